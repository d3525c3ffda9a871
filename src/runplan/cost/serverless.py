"""Monthly cost of running a workload on managed functions, by line item."""

from __future__ import annotations

import math
from dataclasses import dataclass

from runplan.kbase import FunctionPricing, Tier


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class ServerlessCost:
    items: tuple[LineItem, ...]

    @property
    def monthly_usd(self) -> float:
        return sum(i.monthly_usd for i in self.items)


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
    items: list[LineItem] = []
    gb = billed_memory_gb(memory_mb, fn)
    billed_ms = billed_duration_ms(duration_ms, fn)
    seconds = requests * billed_ms / 1000
    gb_seconds = seconds * gb
    free_req = fn.free_requests if free_tier else 0.0
    free_gbs = fn.free_gb_seconds if free_tier else 0.0
    billable_req = max(0.0, requests - free_req)
    items.append(LineItem("function requests", billable_req, "requests",
                          billable_req * fn.request_usd_per_million / 1e6,
                          f"${fn.request_usd_per_million:g} per 1M"
                          + (f", {free_req:,.0f} free" if free_tier else "")))
    use_pc = provisioned_instances > 0 and fn.provisioned_duration_gb_second_usd is not None
    billable_gbs = max(0.0, gb_seconds - free_gbs) if not use_pc else gb_seconds
    if use_pc:
        rate = fn.provisioned_duration_gb_second_usd or 0.0
        items.append(LineItem("function compute (GB-s on provisioned)", billable_gbs, "GB-s",
                              billable_gbs * rate, f"${rate:g} per GB-s"))
    else:
        items.append(LineItem("function compute (GB-s)", billable_gbs, "GB-s",
                              tiered(billable_gbs, fn.gb_second_tiers),
                              f"{billed_ms:g} ms billed x {gb:g} GB"))
    if fn.vcpu_second_usd:
        vcpu_s = seconds * gb * fn.vcpu_per_gb
        billable_vcpu = max(0.0, vcpu_s - (fn.free_vcpu_seconds if free_tier else 0.0))
        items.append(LineItem("function compute (vCPU-s)", billable_vcpu, "vCPU-s",
                              billable_vcpu * fn.vcpu_second_usd,
                              f"{fn.vcpu_per_gb:g} vCPU per GB at ${fn.vcpu_second_usd:g}"))
    if http_tiers is not None:
        items.append(LineItem("front door (HTTP API)", requests, "requests",
                              tiered(requests, http_tiers, per=1e6), "per 1M requests, tiered"))
    if provisioned_instances > 0:
        if fn.provisioned_gb_second_usd is None:
            items.append(LineItem("provisioned concurrency", provisioned_instances, "instances",
                                  0.0, "not priced: no sourced figure for this provider"))
        else:
            if seconds_per_month is None:
                raise ValueError("seconds_per_month is needed to price provisioned concurrency")
            reserved = provisioned_instances * gb * seconds_per_month
            items.append(LineItem("provisioned concurrency", reserved, "GB-s reserved",
                                  reserved * fn.provisioned_gb_second_usd,
                                  f"{provisioned_instances} instances all month at "
                                  f"${fn.provisioned_gb_second_usd:g} per GB-s"))
    return ServerlessCost(tuple(items))
