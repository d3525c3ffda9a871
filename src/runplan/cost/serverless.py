"""Monthly cost of running a workload on managed functions, by line item."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass

from runplan.fmt import num, rate
from runplan.kbase import FunctionPricing, Tier


def add_up(values: Iterable[float]) -> float:
    """Left-to-right addition. `sum` compensates rounding from Python 3.12 on; every bill
    total is added this way so the line items, the totals-only path and the array path
    (`cost.vector`) give the same float on any Python."""
    total = 0.0
    for v in values:
        total += v
    return total


# A value, never changed once made; not frozen because a frozen dataclass's __init__ costs
# 5-8x a plain one, and a batch makes thousands of these a second.
@dataclass(slots=True)
class LineItem:
    """One line of a bill: what it is, how much of it, and what it costs per month."""

    name: str
    quantity: float
    unit: str
    monthly_usd: float
    note: str = ""


def tiered(quantity: float, tiers: tuple[Tier, ...], per: float = 1.0) -> float:
    """Price `quantity` through cumulative tiers (`up_to` is the tier's upper bound, in units).

    `per` divides the unit price, e.g. 1e6 for prices per million requests.
    """
    total, floor = 0.0, 0.0
    for tier in tiers:
        top = math.inf if tier.up_to is None else float(tier.up_to)
        if quantity <= floor:
            break
        used = min(quantity, top) - floor
        total += used * tier.usd / per
        floor = top
    return total


def billed_duration_ms(duration_ms: float, fn: FunctionPricing) -> float:
    """Duration rounded up to the billing increment, at least the minimum billed."""
    step = fn.billing_increment_ms
    return max(fn.min_billed_ms, math.ceil(round(duration_ms / step, 9)) * step)


def billed_memory_gb(memory_mb: float, fn: FunctionPricing) -> float:
    """Memory rounded up to the provider's metering step, in GB (1 GB = 1,024 MB)."""
    step = fn.memory_increment_mb
    mb = max(fn.memory_min_mb, math.ceil(round(memory_mb / step, 9)) * step)
    return mb / 1024


def vcpu_for_memory(memory_mb: float, table: tuple[tuple[float, float], ...]) -> float:
    """The vCPU a platform allots at a memory size: the smallest size in its table at or above
    the memory (Google's Cloud Run functions table: 512 MiB -> 0.333 vCPU, 8 GiB -> 2); the
    largest size's vCPU above the table."""
    for mb, vcpu in table:
        if memory_mb <= mb:
            return vcpu
    return table[-1][1]


@dataclass(frozen=True)
class ServerlessCost:
    items: tuple[LineItem, ...]
    platform: str = ""  # the kbase platform it is the bill of (`estimate.model_bills`)

    @functools.cached_property  # read several times per component; the items never change
    def monthly_usd(self) -> float:
        return add_up(i.monthly_usd for i in self.items)


@dataclass(slots=True)  # a value, not frozen: see runplan.advise.Reason
class ServerlessAmounts:
    """The figures of a functions bill before they become line items (`serverless_amounts`)."""

    gb: float
    billed_ms: float
    free_req: float
    billable_req: float
    request_usd: float
    use_pc: bool  # executed GB-seconds at the provisioned duration rate
    billable_gbs: float
    compute_usd: float
    vcpu_s: float | None  # None: the provider does not bill vCPU-seconds separately
    vcpu_usd: float
    http_usd: float | None  # None: not an HTTP component
    reserved_gbs: float | None  # None: nothing provisioned, or no sourced price for it
    reserved_usd: float

    def usd(self, provisioned: bool) -> tuple[float, ...]:
        """The line items' amounts in bill order (the one order both totals sum in)."""
        out = [self.request_usd, self.compute_usd]
        if self.vcpu_s is not None:
            out.append(self.vcpu_usd)
        if self.http_usd is not None:
            out.append(self.http_usd)
        if provisioned:
            out.append(self.reserved_usd)
        return tuple(out)


def serverless_amounts(
    requests: float, duration_ms: float, memory_mb: float, fn: FunctionPricing,
    http_tiers: tuple[Tier, ...] | None, free_tier: bool = False,
    provisioned_instances: int = 0, seconds_per_month: float | None = None,
) -> ServerlessAmounts:
    """`serverless_monthly_cost` as numbers only (the break-even scan and the flip probes)."""
    gb = billed_memory_gb(memory_mb, fn)
    billed_ms = billed_duration_ms(duration_ms, fn)
    seconds = requests * billed_ms / 1000
    gb_seconds = seconds * gb
    free_req = fn.free_requests if free_tier else 0.0
    free_gbs = fn.free_gb_seconds if free_tier else 0.0
    billable_req = max(0.0, requests - free_req)
    use_pc = provisioned_instances > 0 and fn.provisioned_duration_gb_second_usd is not None
    billable_gbs = max(0.0, gb_seconds - free_gbs) if not use_pc else gb_seconds
    if use_pc:
        compute = billable_gbs * (fn.provisioned_duration_gb_second_usd or 0.0)
    else:
        compute = tiered(billable_gbs, fn.gb_second_tiers)
    vcpu_s = vcpu = None
    if fn.vcpu_second_usd:
        vcpu_s = max(0.0, seconds * vcpu_for_memory(gb * 1024, fn.vcpu_by_memory_mb)
                     - (fn.free_vcpu_seconds if free_tier else 0.0))
        vcpu = vcpu_s * fn.vcpu_second_usd
    http = None if http_tiers is None else tiered(requests, http_tiers, per=1e6)
    reserved = None
    if provisioned_instances > 0 and fn.provisioned_gb_second_usd is not None:
        if seconds_per_month is None:
            raise ValueError("seconds_per_month is needed to price provisioned concurrency")
        reserved = provisioned_instances * gb * seconds_per_month
    return ServerlessAmounts(
        gb, billed_ms, free_req, billable_req, billable_req * fn.request_usd_per_million / 1e6,
        use_pc, billable_gbs, compute, vcpu_s, vcpu or 0.0, http, reserved,
        0.0 if reserved is None else reserved * (fn.provisioned_gb_second_usd or 0.0))


def serverless_monthly_usd(
    requests: float, duration_ms: float, memory_mb: float, fn: FunctionPricing,
    http_tiers: tuple[Tier, ...] | None, free_tier: bool = False,
    provisioned_instances: int = 0, seconds_per_month: float | None = None,
) -> float:
    """The total of `serverless_monthly_cost`, the same float, without the line items."""
    a = serverless_amounts(requests, duration_ms, memory_mb, fn, http_tiers, free_tier,
                           provisioned_instances, seconds_per_month)
    return add_up(a.usd(provisioned_instances > 0))


def serverless_monthly_cost(
    requests: float, duration_ms: float, memory_mb: float, fn: FunctionPricing,
    http_tiers: tuple[Tier, ...] | None, free_tier: bool = False,
    provisioned_instances: int = 0, seconds_per_month: float | None = None,
) -> ServerlessCost:
    """Requests + GB-seconds (+ vCPU-seconds where billed) + front door + provisioned concurrency.

    `http_tiers` is the front door's price per million requests (None: not an HTTP component).
    With provisioned instances, their reserved GB-seconds are billed for `seconds_per_month` and
    the executed GB-seconds at the provisioned duration rate (AWS's model).
    """
    a = serverless_amounts(requests, duration_ms, memory_mb, fn, http_tiers, free_tier,
                           provisioned_instances, seconds_per_month)
    items = [LineItem("function requests", a.billable_req, "requests", a.request_usd,
                      f"{rate(fn.request_usd_per_million)} per 1M"
                      + (f", {a.free_req:,.0f} free" if free_tier else ""))]
    if a.use_pc:
        items.append(LineItem("function compute (GB-s on provisioned)", a.billable_gbs, "GB-s",
                              a.compute_usd,
                              f"{rate(fn.provisioned_duration_gb_second_usd or 0.0)} per GB-s"))
    else:
        items.append(LineItem("function compute (GB-s)", a.billable_gbs, "GB-s", a.compute_usd,
                              f"{num(a.billed_ms, 6)} ms billed x {num(a.gb, 6)} GB"))
    if a.vcpu_s is not None:
        items.append(LineItem("function compute (vCPU-s)", a.vcpu_s, "vCPU-s", a.vcpu_usd,
                              f"{num(vcpu_for_memory(a.gb * 1024, fn.vcpu_by_memory_mb), 6)} "
                              f"vCPU at {num(a.gb * 1024, 6)} MB at "
                              f"{rate(fn.vcpu_second_usd)}"))
    if a.http_usd is not None:
        items.append(LineItem("front door (HTTP API)", requests, "requests", a.http_usd,
                              "per 1M requests, tiered"))
    if provisioned_instances > 0:
        if a.reserved_gbs is None:
            items.append(LineItem("provisioned concurrency", provisioned_instances, "instances",
                                  0.0, "not priced: no sourced figure for this provider"))
        else:
            items.append(LineItem("provisioned concurrency", a.reserved_gbs, "GB-s reserved",
                                  a.reserved_usd,
                                  f"{provisioned_instances} instances all month at "
                                  f"{rate(fn.provisioned_gb_second_usd or 0.0)} per GB-s"))
    return ServerlessCost(tuple(items))
