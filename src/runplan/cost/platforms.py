"""Each platform's monthly bill and limits: the platforms of kbase/providers under each model.

A model's platforms (DESIGN.md "Platforms and cost views"): functions, serverless containers
(Cloud Run services, Container Apps consumption), node-less containers (ECS or EKS on Fargate,
GKE Autopilot) and Kubernetes on nodes. Functions are billed by `cost.serverless` and nodes
by `cost.kubernetes`, the bills the verdict reads; the two container bills are here, each
written once over arrays (one row = one workload, the single report is the one-row case),
with their line items as arrays too.

- request-containers (billed per use while serving requests, scaled to zero when idle): an
  instance is sized at the smallest row of the platform's vCPU table that holds the memory;
  each request's time is rounded up to the billing increment; overlapping requests share an
  instance (up to `requests_per_instance`, fewer when their CPU would fill its vCPU first):
  instance-seconds = busy seconds / clamp(requests in flight while active, 1, per instance).
  Then instance-seconds x vCPU x rate + x GiB x rate + requests x rate, less the free tier.
- task-hours (node-less containers, billed per running task or pod for what it requests):
  a service runs the replicas the Kubernetes replica model gives (`vector.nodes_bill`'s
  replica-hours), a job one task per run for its duration (at least `min_billed_s`);
  each task asks `pod_vcpu` vCPU and its memory, at least `min_gb_per_vcpu` per vCPU;
  + the cluster fee less any monthly credit, + the load balancer an HTTP service needs.
  On a team's existing cluster a platform that joins it (`joins_existing_cluster`: EKS on
  Fargate) is *marginal*: no new cluster fee, the load balancer's capacity units only (as the
  nodes bill's marginal view), the service's own operations effort. A platform with no cluster
  to pay for (ECS on Fargate) is *per-use* whatever the team runs; one with a cluster of its
  own (GKE Autopilot) is *standalone*.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from runplan.cost.coldstart import ColdStart
from runplan.cost.kubernetes import KubernetesCost
from runplan.cost.people import PEOPLE_ITEM, people_fte, people_note, people_usd
from runplan.cost.serverless import LineItem, ServerlessCost, add_up
from runplan.fmt import num, rate
from runplan.kbase import KnowledgeBase, Platform, PlatformLimits, Provider
from runplan.profile import EVENT_KINDS, HTTP_KINDS, MATURITY_ORDER, Workload

Array = np.ndarray[Any, np.dtype[Any]]
PER_USE = "per-use"  # the view of a bill that scales with use (nothing shared to allocate)


@dataclass(slots=True)
class Usage:
    """What the container bills read, one row per workload (arrays of equal length)."""

    requests: Array  # requests (or runs) a month
    avg_duration_ms: Array
    cpu_ms: Array  # CPU time per request
    memory_mb: Array
    active_hours: Array  # hours of the month with traffic
    replica_hours: Array  # pod-hours the Kubernetes replica model runs a service for
    job: Array  # bool: one task per run instead of always-on replicas
    front_door_usd: Array  # the load balancer an HTTP container service needs, else 0
    hours: float  # hours in the month
    shared_door_usd: Array | None = None  # its capacity units on a cluster's shared one


@dataclass(slots=True)
class Bill:
    """Line items over rows: `usd[i, r]` is item i of row r's bill."""

    names: tuple[str, ...]
    units: tuple[str, ...]
    quantity: Array  # (items, rows)
    usd: Array  # (items, rows)
    notes: tuple[str, ...]

    def total(self) -> Array:
        """Each row's monthly USD, its items added in bill order (as `add_up` does)."""
        out = np.zeros(self.usd.shape[1])
        for row in self.usd:
            out = out + row
        return out

    def items(self, row: int) -> tuple[LineItem, ...]:
        return tuple(LineItem(n, float(self.quantity[i, row]), u, float(self.usd[i, row]),
                              note)
                     for i, (n, u, note) in enumerate(zip(self.names, self.units, self.notes,
                                                          strict=True)))


def _table_lookup(table: tuple[tuple[float, float], ...], memory_mb: Array,
                  ) -> tuple[Array, Array]:
    """(memory MB, vCPU) of the smallest table row that holds each memory (the largest row
    above the table)."""
    t = np.array(table)
    at = np.minimum(np.searchsorted(t[:, 0], memory_mb, side="left"), len(t) - 1)
    return t[at, 0], t[at, 1]


Factor = Array | float  # per row, or one for every row (`cost.vector.price_factor`)


def _list_price(_name: str) -> Factor:
    return 1.0


def request_containers_bill(u: Usage, prices: dict[str, Any], free_tier: bool,
                            f: Callable[[str], Factor] = _list_price) -> Bill:
    """Cloud Run services (request-based billing) and Container Apps consumption; `f(name)`:
    the factor on price `name` (`cost.vector.price_factor`)."""
    size_mb, vcpu = _table_lookup(prices["vcpu_by_memory_mb"], u.memory_mb)
    size_mb = np.maximum(size_mb, u.memory_mb)  # above the table: the memory itself
    gib = size_mb / 1024
    step = prices["billing_increment_ms"]
    billed_s = np.ceil(np.round(u.avg_duration_ms / step, 9)) * step / 1000
    busy_s = u.requests * billed_s
    active_s = u.active_hours * 3600
    with np.errstate(divide="ignore", invalid="ignore"):
        in_flight = np.where(active_s > 0, busy_s / active_s, 0.0)
        by_cpu = np.where(u.cpu_ms > 0, vcpu * u.avg_duration_ms / u.cpu_ms, np.inf)
    per_instance = np.clip(by_cpu, 1.0, prices["requests_per_instance"])
    instance_s = busy_s / np.clip(in_flight, 1.0, per_instance)
    free = free_tier
    vcpu_s = np.maximum(0.0, instance_s * vcpu - (prices["free_vcpu_seconds"] if free else 0.0))
    gib_s = np.maximum(0.0, instance_s * gib - (prices["free_gib_seconds"] if free else 0.0))
    req = np.maximum(0.0, u.requests - (prices["free_requests"] if free else 0.0))
    free_note = ", free tier subtracted" if free else ""
    return Bill(
        ("container requests", "container compute (vCPU-s)", "container compute (GiB-s)"),
        ("requests", "vCPU-s", "GiB-s"),
        np.array([req, vcpu_s, gib_s]),
        np.array([req * prices["request_usd_per_million"] * f("request_usd_per_million") / 1e6,
                  vcpu_s * prices["vcpu_second_usd"] * f("vcpu_second_usd"),
                  gib_s * prices["gib_second_usd"] * f("gib_second_usd")]),
        (f"{rate(prices['request_usd_per_million'])} per 1M{free_note}",
         f"{rate(prices['vcpu_second_usd'])} per vCPU-s, up to "
         f"{num(prices['requests_per_instance'], 6)} requests per instance{free_note}",
         f"{rate(prices['gib_second_usd'])} per GiB-s{free_note}"))


def task_hours_bill(u: Usage, prices: dict[str, Any], task_vcpu: float,
                    joined: Array | None = None, f: Callable[[str], Factor] = _list_price,
                    ) -> Bill:
    """ECS or EKS on Fargate and GKE Autopilot: per task (pod) for the vCPU and memory asked.
    Rows `joined` run on a cluster that is there anyway: no cluster fee, and the load
    balancer's capacity units only (`u.shared_door_usd`)."""
    gb = np.maximum(u.memory_mb / 1024, prices["min_gb_per_vcpu"] * task_vcpu)
    run_s = np.maximum(u.avg_duration_ms / 1000, prices["min_billed_s"])
    task_hours = np.where(u.job, u.requests * run_s / 3600, u.replica_hours)
    n = len(task_hours)
    fee = np.maximum(0.0, prices["cluster_hourly_usd"] * f("cluster_hourly_usd") * u.hours
                     - prices["cluster_credit_usd"])
    on = np.zeros(n, dtype=bool) if joined is None else joined
    cluster = np.where(on, 0.0, fee)
    door = u.front_door_usd if u.shared_door_usd is None else \
        np.where(on, u.shared_door_usd, u.front_door_usd)
    return Bill(
        ("task vCPU", "task memory", "cluster fee", "load balancer"),
        ("vCPU-hours", "GB-hours", "cluster-months", "months"),
        np.array([task_hours * task_vcpu, task_hours * gb, np.where(on, 0.0, 1.0),
                  np.ones(n)]),
        np.array([task_hours * task_vcpu * prices["vcpu_hour_usd"] * f("vcpu_hour_usd"),
                  task_hours * gb * prices["gb_hour_usd"] * f("gb_hour_usd"), cluster, door]),
        (f"{num(task_vcpu, 6)} vCPU per task at {rate(prices['vcpu_hour_usd'])}/vCPU-h",
         f"at least {num(prices['min_gb_per_vcpu'], 6)} GB per vCPU at "
         f"{rate(prices['gb_hour_usd'])}/GB-h",
         f"{rate(prices['cluster_hourly_usd'])}/h per cluster less a "
         f"{rate(prices['cluster_credit_usd'])} monthly credit (none on an existing cluster)",
         "as for Kubernetes"))


LIMIT_FLAGS = ("exceeds_duration", "exceeds_memory", "gpu_unavailable",
               "connections_unsupported", "exceeds_concurrency")
# The limits that rule a platform out. A concurrency quota does not: it is a default the
# provider raises on request (Lambda's 1,000 concurrent executions a Region is a "default
# quota"), so going over it is a risk the rules weigh (LIMIT-CONCURRENCY-001), not a wall.
HARD_LIMITS = LIMIT_FLAGS[:4]


def limit_breaks(limits: PlatformLimits, max_duration_s: Array, memory_mb: Array, gpu: Array,
                 connections: Array, concurrency: Array, http: Array, event: Array,
                 ) -> dict[str, Array]:
    """Which rows break each limit of a platform (`LIMIT_FLAGS`, booleans over rows): the one
    statement of the limits, for the single report (`broken_limits`) and the arrays alike.
    `concurrency`: peak requests in flight (peak rps x average duration). On a platform that
    holds long-lived connections, one (a websocket) is an HTTP request held open, so the HTTP
    limit bounds it whatever the kind (Container Apps' 240 s ingress timeout for a stream of
    websockets); a platform that holds none is ruled out by that already."""
    def limit(value: float | None) -> float:
        return math.inf if value is None else value

    max_s = duration_limit(limits, http, event, connections)
    return {"exceeds_duration": max_duration_s > max_s,
            "exceeds_memory": memory_mb > limit(limits.memory_max_mb),
            "gpu_unavailable": gpu & (not limits.gpu),
            "connections_unsupported": connections & (not limits.long_lived_connections),
            "exceeds_concurrency": concurrency > limit(limits.concurrency_max)}


def duration_limit(limits: PlatformLimits, http: Array, event: Array, connections: Array,
                   ) -> Array:
    """The time limit of a platform for each row (inf: none): the HTTP one for an HTTP kind
    and for long-lived connections the platform holds, the event-driven one for an event
    kind, else the platform's own."""
    def limit(value: float | None) -> float:
        return math.inf if value is None else value

    held = connections & limits.long_lived_connections
    out: Array = np.where(http | held, limit(limits.duration_limit_s(True)),
                          np.where(event, limit(limits.duration_limit_s(False, True)),
                                   limit(limits.duration_limit_s(False))))
    return out


def workload_limit(limits: PlatformLimits, w: Workload) -> float | None:
    """`duration_limit` for one workload (None: none)."""
    got = float(duration_limit(limits, np.array([w.kind in HTTP_KINDS]),
                               np.array([w.kind in EVENT_KINDS]),
                               np.array([w.long_lived_connections]))[0])
    return None if math.isinf(got) else got


def workload_breaks(limits: PlatformLimits, w: Workload) -> dict[str, bool]:
    """`limit_breaks` for one workload."""
    def one(x: Any, kind: Any = float) -> Array:
        return np.array([x], dtype=kind)

    breaks = limit_breaks(limits, one(w.max_duration_s), one(w.memory_mb), one(w.gpu, bool),
                          one(w.long_lived_connections, bool),
                          one(w.peak_rps * w.avg_duration_ms / 1000),
                          one(w.kind in HTTP_KINDS, bool), one(w.kind in EVENT_KINDS, bool))
    return {k: bool(v[0]) for k, v in breaks.items()}


def broken_limits(limits: PlatformLimits, w: Workload) -> list[str]:
    """Every hard limit of a platform the workload breaks (`HARD_LIMITS`), each as
    `field: what`."""
    breaks = workload_breaks(limits, w)
    out = []
    if breaks["exceeds_duration"]:
        held = w.long_lived_connections and limits.long_lived_connections
        max_s = limits.duration_limit_s(w.kind in HTTP_KINDS or held, w.kind in EVENT_KINDS)
        out.append(f"execution.max_duration_s: the longest run ({w.max_duration_s:,.0f} s) is "
                   f"over the {max_s:,.0f} s limit")
    if breaks["exceeds_memory"]:
        out.append(f"execution.memory_mb: {w.memory_mb:,.0f} MB is over the "
                   f"{limits.memory_max_mb:,.0f} MB limit")
    if breaks["gpu_unavailable"]:
        out.append("execution.gpu: no GPU on this platform")
    if breaks["connections_unsupported"]:
        out.append("execution.long_lived_connections: cannot hold long-lived connections open")
    return out


def choose(usd: Array, fits: Array, of_model: Array, legacy: Array) -> Array:
    """Per row, the index of the platform a model runs on (-1: none fits): among the model's
    platforms that fit, current ones first (a legacy one, Azure's Consumption plan, only where
    no current one fits: it is not what a team would choose today); of those, the cheapest
    priced one (`usd`, NaN where not priced; kbase order breaks ties), else the first that
    fits. `usd`, `fits`: (platforms, rows); `of_model`, `legacy`: (platforms,)."""
    n = usd.shape[1]
    if not usd.shape[0]:
        return np.full(n, -1, dtype=int)
    fit = fits & of_model[:, None]
    current = fit & ~legacy[:, None]
    any_current = np.asarray(current.any(axis=0))
    pool = np.where(any_current[None, :], current, fit)
    priced = pool & ~np.isnan(usd)
    cost = np.where(priced, usd, np.inf)
    best = np.argmin(cost, axis=0)  # the first of equal minima: kbase order
    first = np.argmax(pool, axis=0)
    out = np.where(priced.any(axis=0), best, np.where(pool.any(axis=0), first, -1))
    return out if n else np.zeros(0, dtype=int)


def ruled_out_by(limits: PlatformLimits, w: Workload) -> str | None:
    """The first limit of a platform the workload breaks; None: it fits."""
    broken = broken_limits(limits, w)
    return broken[0] if broken else None


@dataclass(slots=True)  # a value, not frozen: see runplan.advise.Reason
class PlatformCost:
    """One platform for one workload: its bill if it fits, else the limit that rules it out."""

    platform: Platform
    feasible: bool
    ruled_out_by: str | None
    monthly_usd: float | None  # None: ruled out, or no sourced price (see note)
    view: str  # per-use | standalone | allocated
    items: tuple[LineItem, ...]
    note: str = ""


def _unpriced(p: Platform, w: Workload, provider: Provider) -> str:
    if p.bill == "unpriced":
        return "not priced: no sourced prices for this platform in kbase"
    if w.gpu and p.bill == "nodes" and provider.kubernetes.gpu_node_types:
        return ""  # priced on the GPU node types (`cost.kubernetes`)
    if w.gpu and p.kind != "functions":
        return "not priced: no sourced GPU price for this platform in kbase"
    return ""


@dataclass(slots=True)
class Billed:
    """A workload to price, with the view its Kubernetes bill on nodes is in."""

    workload: Workload
    kubernetes_view: str = "standalone"  # marginal | standalone (`cost.people`)


@dataclass(slots=True)
class Priced:
    """A workload's platforms (`PlatformCost`, kbase order) and the bills of Kubernetes on
    nodes and of functions, line by line, from the one array pass (`cost.vector`)."""

    options: tuple[PlatformCost, ...]
    nodes: KubernetesCost
    functions: ServerlessCost | None  # None: the provider has no functions
    cold_start: ColdStart | None = None  # the serverless model's platform's (`vector.cold_start`)
    provisioned_instances: int = 0  # kept warm in the functions bill to hide its cold starts


def platform_costs(many: Sequence[Billed], kb: KnowledgeBase, free_tier: bool,
                   ) -> list[Priced]:
    """For each workload, every platform of its provider in kbase order: feasible ones with
    their bill, the others with the limit that rules them out, and the nodes and functions
    bills. Priced by `cost.vector`, once per provider over all the workloads' rows, where each
    model's platform is chosen (`choose`)."""
    from runplan.cost.vector import cold_start, costs, rows_of  # which imports this module

    out: list[Priced | None] = [None for _ in many]
    groups: dict[str, list[int]] = {}
    for k, b in enumerate(many):
        groups.setdefault(kb.provider(b.workload.provider).provider, []).append(k)
    for name, index in groups.items():
        p = kb.providers[name]
        rows = rows_of([many[k].workload for k in index], kb,
                       [many[k].kubernetes_view for k in index])
        c = costs(rows, p, kb, free_tier)
        o = c.options
        nb, fb = o.nodes, o.functions
        for row, k in enumerate(index):
            b = many[k]
            w = b.workload
            nodes = nb.report(row, w.memory_mb, p, kb, w.devops_maturity)
            functions = None if fb is None else fb.report(row, kb, w.devops_maturity)
            out[k] = Priced(tuple(_one(i, pl, b, o, row, kb, nodes, functions)
                                  for i, pl in enumerate(p.platforms)), nodes, functions,
                            cold_start(c, row, p, w.p99_slo_ms),
                            0 if fb is None else int(fb.instances[row]))
    return [x for x in out if x is not None]


CONTAINER_BILLS = ("request-containers", "task-hours")


def people_item(kb: KnowledgeBase, kind: str, maturity: str, view: str) -> LineItem:
    """A platform bill's operations line (`cost.people`), as the functions and nodes bills
    carry theirs, so that serverless platforms are compared with their people cost."""
    ops = kb.operations
    return LineItem(PEOPLE_ITEM, people_fte(ops, kind, maturity, view), "FTE",
                    people_usd(ops, kind, maturity, view),
                    people_note(ops, kind, maturity, view))


def joins(platform: Platform, standalone: Array) -> Array:
    """Rows on which a node-less platform runs on the team's cluster (marginal): it joins an
    existing cluster (`joins_existing_cluster`) and the Kubernetes bill is not standalone."""
    out: Array = np.logical_and(platform.joins_existing_cluster, ~standalone)
    return out


def people_of(platform: Platform | None, view: str) -> tuple[str, str]:
    """The people model's (kind, view) of the Kubernetes model's platform in the Kubernetes
    view `view` (None: Kubernetes on nodes)."""
    if platform is None or platform.bill == "nodes":
        return "nodes", view
    return _people_of(platform, platform_view(platform, view))


def _people_of(platform: Platform, view: str) -> tuple[str, str]:
    """The people model's (kind, view) of a container platform in `view` (see
    `_container_people`)."""
    if platform.bill == "request-containers":
        return "serverless", "standalone"
    return "nodeless", "standalone" if view == "standalone" else "marginal"


def container_people_usd(kb: KnowledgeBase, platform: Platform, maturity: Array,
                         joined: Array) -> Array:
    """`_container_people`'s amount for every row (`maturity`: indices into MATURITY_ORDER;
    `joined`: rows on an existing cluster, `joins`)."""
    def table(view: str) -> Array:
        kind, v = _people_of(platform, view)
        return np.array([people_usd(kb.operations, kind, m, v) for m in MATURITY_ORDER])

    alone = table(platform_view(platform, "standalone"))
    out: Array = np.where(joined, table("marginal")[maturity], alone[maturity])
    return out


def _container_people(kb: KnowledgeBase, platform: Platform, maturity: str, view: str,
                      ) -> LineItem:
    """A container platform's operations line. Serverless containers carry a serverless
    service's effort, as functions do. Node-less task bills carry a node-less service's effort,
    plus running the cluster in the standalone view (a new cluster of the platform's own: EKS
    on Fargate without a cluster, GKE Autopilot); on an existing cluster (marginal) and where
    there is no cluster to upgrade (ECS on Fargate, per-use), only the service's effort."""
    kind, v = _people_of(platform, view)
    return people_item(kb, kind, maturity, v)


def container_bill(platform: Platform, u: Usage, kb: KnowledgeBase, free_tier: bool,
                   joined: Array | None = None, f: Callable[[str], Factor] = _list_price,
                   ) -> Bill:
    """A container platform's bill over rows, without its people line (`joined`: rows on an
    existing cluster, `joins`; `f(name)`: the factor on its price `name`)."""
    if platform.bill == "request-containers":
        return request_containers_bill(u, platform.prices, free_tier, f)
    return task_hours_bill(u, platform.prices, kb.operations.pod_vcpu, joined, f)


def _one(i: int, platform: Platform, b: Billed, o: Any, row: int, kb: KnowledgeBase,
         nodes: KubernetesCost, functions: ServerlessCost | None) -> PlatformCost:
    """Platform `i` for one workload (row `row` of the provider's `cost.vector.Options`)."""
    w = b.workload
    view = b.kubernetes_view if platform.bill == "nodes" else platform_view(platform, b.kubernetes_view)
    if not o.fits[i, row]:
        return PlatformCost(platform, False, ruled_out_by(platform.limits, w), None, view, ())
    note = _unpriced(platform, w, kb.provider(w.provider))
    if note:
        return PlatformCost(platform, True, None, None, view, (), note)
    if platform.bill == "functions" and functions is not None:
        return PlatformCost(platform, True, None, functions.monthly_usd, view, functions.items)
    if platform.bill == "nodes":
        return PlatformCost(platform, True, None, nodes.monthly_usd, view, nodes.items)
    if platform.bill == "functions_legacy":
        items = o.legacy[i].items(row, kb, w.devops_maturity)
    else:
        items = (*o.bills[i].items(row),
                 _container_people(kb, platform, w.devops_maturity, view))
    return PlatformCost(platform, True, None, add_up(x.monthly_usd for x in items), view, items)


def platform_view(p: Platform, kubernetes_view: str) -> str:
    """The view of a platform's bill: node-less containers that join a cluster the team runs
    anyway (the Kubernetes bill is not standalone) are marginal, those with a cluster of their
    own standalone (a new one), those with no cluster to pay for per-use, as are functions and
    serverless containers."""
    if p.kind != "node-less-containers":
        return PER_USE
    if p.joins_existing_cluster and kubernetes_view != "standalone":
        return "marginal"
    fee = float(p.prices.get("cluster_hourly_usd", 0.0)) > 0
    return "standalone" if fee or p.bill == "unpriced" else PER_USE


def cheapest(options: tuple[PlatformCost, ...], model: str) -> PlatformCost | None:
    """The platform a model runs on (`choose`, for one workload's options); None when none
    fits."""
    if not options:
        return None
    usd = np.array([[math.nan if o.monthly_usd is None else o.monthly_usd] for o in options])
    at = int(choose(usd, np.array([[o.feasible] for o in options]),
                    np.array([o.platform.model == model for o in options]),
                    np.array([o.platform.status == "legacy" for o in options]))[0])
    return None if at < 0 else options[at]
