"""The cost core over arrays: many workloads of one provider priced in one pass.

Every bill is written here once, over arrays, with its line items as arrays too (`NodesBill`,
`FunctionsBill`, and the container platforms' `platforms.Bill`): a single component's report
is the one-row case (`estimate`), and the flip search and the break-even scan price tens of
probes per component in one pass. Tests check the bills against hand calculations. The traffic
shape (`shapes`, the model in the `cost.traffic` docstring) and the cold starts (`cold_starts`,
the model in the `cost.coldstart` docstring) are written here once too: a report's cold starts
are the one-row case (`cold_start`). Rounding that rules read (`round(x, 2)`) goes through
Python's own `round`, which numpy's differs from on halfway cases.

A probe is a row: the fields that move (`MOVING`) as float arrays (NaN for a missing SLO) and,
per row, the fields that do not (pattern, HTTP or not, runtime's cold start, the Kubernetes
bill's view and each bill's people cost, from `cost.people` as the bills carry them) as
arrays too, so rows of different components can share a pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from runplan.cost.coldstart import P99_SHARE, ColdStart
from runplan.cost.estimate import cold_start_ms, default_view, serverless_people_usd
from runplan.cost.kubernetes import CHEAPER_BY, GPUS_PER_REPLICA, KubernetesCost
from runplan.cost.people import PEOPLE_ITEM, people_fte, people_note, people_usd
from runplan.cost.platforms import (
    CONTAINER_BILLS,
    HARD_LIMITS,
    LIMIT_FLAGS,
    Bill,
    Factor,
    Usage,
    choose,
    container_bill,
    container_people_usd,
    duration_limit,
    joins,
    limit_breaks,
)
from runplan.cost.serverless import LineItem, ServerlessCost
from runplan.cost.traffic import FLAT_TOLERANCE, Shape, _pattern_layout
from runplan.fmt import num, plural, rate
from runplan.kbase import (
    RUNTIMES,
    ColdStartFigures,
    FunctionPricing,
    KnowledgeBase,
    NodeType,
    Operations,
    Platform,
    Provider,
    Tier,
)
from runplan.profile import EVENT_KINDS, HTTP_KINDS, MATURITY_ORDER, Workload

Array = np.ndarray[Any, np.dtype[Any]]
MOVING = ("requests_per_month", "avg_rps", "peak_rps", "idle_fraction", "avg_duration_ms",
          "max_duration_s", "memory_mb", "cpu_ms", "p99_slo_ms")


@dataclass
class Rows:
    """Probes of one provider: the moving fields and, per row, what does not move."""

    requests_per_month: Array
    avg_rps: Array
    peak_rps: Array
    idle_fraction: Array
    avg_duration_ms: Array
    max_duration_s: Array
    memory_mb: Array
    cpu_ms: Array
    p99_slo_ms: Array  # NaN: no SLO
    pattern: Array  # per row, an index into `patterns(kb)`
    http: Array  # bool
    standalone: Array  # bool: the Kubernetes bill's view is standalone (else marginal)
    k8s_people_usd: Array  # the Kubernetes bill's people line in its view
    sls_people_usd: Array  # the serverless bill's people line
    event: Array  # bool: an event-driven kind (its function time limit may differ)
    cold_start_ms: Array  # the runtime's cold start plus the platform overhead
    gpu: Array  # bool
    long_lived_connections: Array  # bool
    job: Array  # bool: a job (one task per run on a node-less platform)
    maturity: Array  # int: the team's DevOps maturity, an index into MATURITY_ORDER
    runtime: Array  # int: an index into kbase.RUNTIMES (a platform's own cold start)
    # Per row, factors on price figures and people lines (`--uncertain`'s draws), by key: a
    # price figure's dotted kbase path (`aws.functions.request_usd_per_million`), a model's
    # prices (`prices.kubernetes`, `prices.serverless`: `--price-uncertainty`) or a model's
    # people lines on node-less platforms (`people.kubernetes`, `people.serverless`). Empty:
    # list prices (`price_factor`).
    factors: dict[str, Array] = field(default_factory=dict)

    def take(self, index: Array) -> Rows:
        moving = {n: getattr(self, n)[index] for n in MOVING}
        return Rows(**moving, pattern=self.pattern[index],
                    http=self.http[index], standalone=self.standalone[index],
                    k8s_people_usd=self.k8s_people_usd[index],
                    sls_people_usd=self.sls_people_usd[index],
                    event=self.event[index],
                    cold_start_ms=self.cold_start_ms[index], gpu=self.gpu[index],
                    long_lived_connections=self.long_lived_connections[index],
                    job=self.job[index], maturity=self.maturity[index],
                    runtime=self.runtime[index],
                    factors={k: v[index] for k, v in self.factors.items()})



def price_factor(rows: Rows, key: str, model: str) -> Factor:
    """Per row, the factor on the price figure `key` (its dotted kbase path) in a bill of
    `model`: the figure's own draw times the model's (`Rows.factors`); 1.0 at list prices. A
    bill line is its quantity times its price, so a factor on the price is the same bill as a
    kbase whose figure is that much higher (tests compare the two)."""
    if not rows.factors:
        return 1.0
    out: Factor = 1.0
    for k in (key, f"prices.{model}"):
        got = rows.factors.get(k)
        if got is not None:
            out = out * got
    return out


def priced_by(rows: Rows, prefix: str, model: str) -> Callable[[str], Factor]:
    """`price_factor` for the figures under one kbase path (`aws.functions`)."""
    return lambda name: price_factor(rows, f"{prefix}.{name}", model)


def rows_of(ws: Sequence[Workload], kb: KnowledgeBase,
            views: Sequence[str] | None = None) -> Rows:
    """Workloads as rows (each on its own provider's cold start), the Kubernetes bill of each
    in its view (`views`; None: `estimate.default_view`)."""
    view = [default_view(w) for w in ws] if views is None else list(views)
    ops = kb.operations
    moving: dict[str, Any] = {n: np.array([math.nan if getattr(w, n) is None
                                            else float(getattr(w, n)) for w in ws])
                              for n in MOVING}
    return Rows(**moving,
                pattern=pattern_codes(kb, [w.pattern for w in ws]),
                http=np.array([w.kind in HTTP_KINDS for w in ws], dtype=bool),
                standalone=np.array([v == "standalone" for v in view], dtype=bool),
                k8s_people_usd=np.array([people_usd(ops, "nodes", w.devops_maturity, v)
                                         for w, v in zip(ws, view, strict=True)], dtype=float),
                sls_people_usd=np.array([serverless_people_usd(w, kb) for w in ws],
                                        dtype=float),
                event=np.array([w.kind in EVENT_KINDS for w in ws], dtype=bool),
                cold_start_ms=np.array([cold_start_ms(w, kb.provider(w.provider)) for w in ws]),
                gpu=np.array([w.gpu for w in ws], dtype=bool),
                long_lived_connections=np.array([w.long_lived_connections for w in ws],
                                                dtype=bool),
                job=np.array([w.kind == "job" for w in ws], dtype=bool),
                maturity=np.array([MATURITY_ORDER.index(w.devops_maturity) for w in ws],
                                  dtype=int),
                runtime=np.array([RUNTIMES.index(w.runtime) for w in ws], dtype=int))


def patterns(kb: KnowledgeBase) -> tuple[str, ...]:
    """The traffic patterns, in the order `Rows.pattern` numbers them."""
    return tuple(sorted(kb.traffic.patterns))


def pattern_codes(kb: KnowledgeBase, names: list[str]) -> Array:
    index = {p: i for i, p in enumerate(patterns(kb))}
    return np.array([index[p] for p in names], dtype=int)


def pyround(a: Array, digits: int) -> Array:
    """Python's `round(x, digits)` element by element; NaN stays NaN. numpy's `round` takes
    rint(x * 10**digits), which differs from Python's correctly rounded result only where
    that product lies within a few ulps of a halfway point; those go through Python, each
    distinct value once (sums of hourly prices over 730 hours often end in 5 at the third
    decimal, and a component's fixed costs repeat in every one of its probes)."""
    scaled = a * 10.0 ** digits
    out: Array = np.round(a, digits)
    with np.errstate(invalid="ignore"):
        near = np.abs(np.abs(scaled - np.floor(scaled)) - 0.5) <= 8 * np.spacing(np.abs(scaled))
    at = np.flatnonzero(near)
    if len(at):
        values, where = np.unique(a[at], return_inverse=True)
        out[at] = np.array([round(v, digits) for v in values.tolist()])[where]
    return out


def _ceil9(a: Array) -> Array:
    """`math.ceil(round(x, 9))`, the cost core's guard against 2.0000000001 pods. numpy's
    `round` differs from Python's only on halfway cases, and those change the ceiling only
    for an x within 1e-16 of n + 5e-10: none of the tested workloads comes near."""
    return np.ceil(np.round(a, 9))


@dataclass
class Shapes:
    """The month's load of every row (the `cost.traffic` model; `traffic.Shape` holds one
    given by hand): levels 0..2 (idle, active, peak), each level's average rate (`load`) and
    the rate capacity must meet in it (`serve`), hours per level and transitions between
    levels ((previous + 1, level), previous -1 = the month's start)."""

    load: Array  # (n, 3)
    serve: Array  # (n, 3)
    counts: Array  # (n, 3)
    transitions: Array  # (n, 4, 3)
    peak_rps: Array


def shapes(rows: Rows, kb: KnowledgeBase) -> Shapes:
    """The month's hourly load of every row (see the `cost.traffic` docstring): of the
    active hours, the pattern's peak-hour share at the peak and the rest sharing what is left
    of the month's volume; a peak no whole hour can hold is a burst in every active hour."""
    hours = int(kb.operations.hours_per_month)
    rpm, idle = rows.requests_per_month, rows.idle_fraction
    n = len(rpm)
    names = patterns(kb)
    share = np.array([kb.traffic.patterns[p].peak_hour_share for p in names])[rows.pattern]
    busy = rpm > 0
    active = np.maximum(1, hours - np.rint(idle * hours))
    mean = np.where(busy, rpm / (active * 3600), 0.0)
    peak = np.where(busy, np.maximum(rows.peak_rps, mean), rows.peak_rps)
    k = np.maximum(1, np.rint(active * share))
    flat = (peak <= mean * (1 + FLAT_TOLERANCE)) | (k >= active)
    with np.errstate(divide="ignore", invalid="ignore"):
        k2 = np.minimum(k, np.floor(rpm / (peak * 3600)))
        rest = (rpm - k2 * peak * 3600) / ((active - k2) * 3600)
    burst = ~flat & (k2 == 0)
    stepped = busy & ~flat & ~burst
    load = np.zeros((n, 3))
    serve = np.zeros((n, 3))
    load[:, 1] = np.where(stepped, rest, mean)
    load[:, 2] = np.where(stepped, peak, 0.0)
    serve[:, 1] = np.where(stepped, rest, np.where(flat, np.where(peak > mean, peak, mean),
                                                   peak))
    serve[:, 2] = load[:, 2]
    load[~busy] = 0.0
    serve[~busy] = 0.0
    act = np.where(busy, active, 0).astype(int)
    peak_hours = np.where(stepped, k2, 0).astype(int)
    key = (rows.pattern * (hours + 1) + act) * (hours + 1) + peak_hours
    uniq, inverse = np.unique(key, return_inverse=True)
    table = np.empty((len(uniq), 15))
    for u, k_ in enumerate(uniq.tolist()):
        rest_, ph = divmod(int(k_), hours + 1)
        pi, a = divmod(rest_, hours + 1)
        table[u] = _layout_row(names[pi], hours, a, ph)
    cells = table[inverse]
    counts, transitions = cells[:, :3], cells[:, 3:].reshape(n, 4, 3)
    return Shapes(load, serve, counts, transitions, peak)


def shapes_from(given: Sequence[Shape]) -> Shapes:
    """Shapes given level by level (`traffic.Shape.from_hours`, for hand calculations), of
    up to three levels each, as rows."""
    n = len(given)
    load, serve, counts = np.zeros((n, 3)), np.zeros((n, 3)), np.zeros((n, 3))
    transitions = np.zeros((n, 4, 3))
    for r, sh in enumerate(given):
        load[r, :len(sh.load)] = sh.load
        serve[r, :len(sh.serve)] = sh.serve
        for level, c in sh.layout.counts:
            counts[r, level] = c
        for (prev, level), c in sh.layout.transitions:
            transitions[r, prev + 1, level] = c
    return Shapes(load, serve, counts, transitions, np.array([sh.peak_rps for sh in given]))


@lru_cache(maxsize=4096)
def _layout_row(pattern: str, hours: int, active: int, peak_hours: int) -> Array:
    """A layout as 15 numbers: hours per level (3), then transitions (previous + 1, level)."""
    layout = _pattern_layout(pattern, hours, active, peak_hours)
    row = np.zeros(15)
    for level, c in layout.counts:
        row[level] = c
    for (prev, level), c in layout.transitions:
        row[3 + (prev + 1) * 3 + level] = c
    return row


def tiered(quantity: Array, tiers: tuple[Tier, ...], per: float = 1.0,
           factor: Callable[[int], Factor] | None = None) -> Array:
    """Price `quantity` through cumulative tiers (`up_to` is the tier's upper bound, in units),
    every row; `per` divides the unit price, e.g. 1e6 for prices per million requests;
    `factor(i)`: the factor on tier i's price (`price_factor`)."""
    total = np.zeros(len(quantity))
    floor = 0.0
    for i, tier in enumerate(tiers):
        top = np.inf if tier.up_to is None else float(tier.up_to)
        used = np.minimum(quantity, top) - floor
        usd = tier.usd if factor is None else tier.usd * factor(i)
        total = total + np.where(quantity > floor, used * usd / per, 0.0)
        floor = top
    return total


@dataclass
class Costs:
    """What the cost core says about every row (the facts `estimate` gives, and the totals).
    Each model's figures are those of its platform (`platforms.choose`): the cheapest that
    fits; Kubernetes on nodes, and functions, where none priced fits."""

    kubernetes_usd: Array
    people_usd: Array  # the Kubernetes platform's people line
    fixed_usd: Array  # the Kubernetes platform's fixed cost (cluster, load balancer)
    serverless_usd: Array | None  # None: the provider has no functions; NaN: not priced
    cold_share: Array | None  # the cold starts of the serverless model's platform
    cold_p99_ms: Array | None
    breaches_slo: Array | None
    flags: dict[str, Array]  # `platforms.LIMIT_FLAGS` of the serverless model (see `costs`)
    options: Options
    kubernetes_priced: Array  # bool: False on nodes with no sourced GPU node type (a GPU row)
    runs_cluster: Array  # bool: the Kubernetes model's platform is a cluster the team runs
    on_nodes: Array  # bool: that platform is Kubernetes on nodes (or none priced fits)
    cold_added_ms: Array | None = None  # what a cold start adds on that platform, ms
    cold_warm_p99_ms: Array | None = None  # its warm path: duration plus overhead, ms
    limits_at: Array | None = None  # per row, the platform the serverless limits are of
    max_duration_s: Array | None = None  # that platform's time limit for the row (inf: none)
    memory_max_mb: Array | None = None  # its memory ceiling (inf: none)
    cold_at: Array | None = None  # per row, the platform the cold starts are of (-1: none)


def cold_start(c: Costs, row: int, p: Provider, p99_slo_ms: float | None) -> ColdStart | None:
    """One row's cold starts as a report has them (`costs`' figures for that row, on the
    serverless model's platform, `Costs.cold_at`); None where the provider has no
    functions."""
    if c.cold_share is None or c.cold_at is None:
        return None
    assert c.cold_p99_ms is not None and c.breaches_slo is not None
    assert c.cold_added_ms is not None and c.cold_warm_p99_ms is not None
    at = int(c.cold_at[row])
    return ColdStart(float(c.cold_share[row]), float(c.cold_added_ms[row]),
                     float(c.cold_p99_ms[row]), bool(c.breaches_slo[row]),
                     float(c.cold_warm_p99_ms[row]), p99_slo_ms,
                     p.platforms[at].title if at >= 0 else "")


@dataclass
class Options:
    """Every platform of the provider over the rows, in kbase order."""

    platforms: tuple[Platform, ...]
    usd: Array  # (platforms, rows): the monthly total where it fits and is priced, else NaN
    fits: Array  # (platforms, rows) bool
    bills: dict[int, Bill]  # the container platforms' bills (people line apart), by index
    people: dict[int, Array]  # the container platforms' people lines, by index
    kubernetes: Array  # per row, the index of the Kubernetes model's platform (-1: none)
    serverless: Array  # per row, the serverless model's (-1: none fits)
    nodes: NodesBill  # Kubernetes on nodes, in each row's view
    functions: FunctionsBill | None  # None: the provider has no functions
    legacy: dict[int, FunctionsBill]  # the functions' legacy plans' bills, by index


def cold_starts(rows: Rows, shape: Shapes, figures: ColdStartFigures,
                cold_ms: Array | None = None) -> tuple[Array, Array, Array]:
    """The cold starts of every row on a platform's cold-start figures (the model in the
    `cost.coldstart` docstring): (share of requests, p99 estimate, breaches SLO). `cold_ms`:
    what a cold start adds per row (None: `start_ms(rows, figures)`)."""
    cold_ms = start_ms(rows, figures) if cold_ms is None else cold_ms
    duration_s = rows.avg_duration_ms / 1000
    load, serve = shape.load, shape.serve
    warm = np.where(load > 0, np.maximum(_ceil9(load.ravel() * np.repeat(duration_s, 3))
                                         .reshape(load.shape), 1), 0)
    needed = np.maximum(_ceil9(serve.ravel() * np.repeat(duration_s, 3)).reshape(serve.shape), 1)
    counts = shape.counts
    served = np.where((counts > 0) & (load > 0), counts * load * 3600, 0.0)  # (row, level)
    total = served[:, 0] + served[:, 1] + served[:, 2]  # the scalar's order
    # Every (previous level, level) pair at once, (row, previous + 1, level); previous -1 is
    # the month's start, with nothing warm.
    rate = load[:, None, :]
    requests = rate * 3600
    gap_cold = requests * np.exp(-rate * figures.keep_alive_s)
    warm_before = np.concatenate([np.zeros((len(load), 1)), warm], axis=1)[:, :, None]
    scale_out = np.maximum(0, needed[:, None, :] - warm_before)
    n = shape.transitions
    each = np.where((n > 0) & (rate > 0), n * np.minimum(requests, gap_cold + scale_out), 0.0)
    # Added one pair after another in the scalar's order: cumsum adds sequentially (a sum
    # over an axis may add pairwise, which rounds differently).
    cold = each.reshape(len(load), 12).cumsum(axis=1)[:, -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total != 0, cold / total, 0.0)
    warm_p99 = rows.avg_duration_ms + figures.warm_latency_ms
    p99 = warm_p99 + np.where(share >= P99_SHARE, cold_ms, 0.0)
    slo = rows.p99_slo_ms
    # Cold starts break an SLO the warm path meets (`coldstart.ColdStart.breaches_slo`).
    breaches = ~np.isnan(slo) & (p99 > np.where(np.isnan(slo), np.inf, slo)) & \
        (np.where(np.isnan(slo), -np.inf, slo) >= warm_p99)
    return share, p99, breaches


def start_ms(rows: Rows, figures: ColdStartFigures) -> Array:
    """What a cold start adds on a platform, per row (by the row's runtime)."""
    out: Array = np.array([figures.start_ms(r) for r in RUNTIMES])[rows.runtime]
    return out


@dataclass
class NodesBill:
    """The bill of Kubernetes on nodes over rows, by line item: the one implementation (the
    report's line items are `items(row)`, the totals `total()`). Pods are packed onto whole
    nodes of the cheapest fitting type (standalone) or pay their share of one (marginal,
    OpenCost's allocation); see the `cost.kubernetes` docstring for the model."""

    types: tuple[NodeType, ...]  # the provider's CPU node types, then its GPU node types
    node: Array  # per row, the index of the node type priced (-1: not priced)
    fits: Array  # bool: some node type of the row's kind fits one pod
    quantity: Array  # node-hours (standalone) or the node share's node-hours (marginal)
    node_usd: Array
    control_usd: Array  # 0.0 in the marginal view
    lb_usd: Array  # 0.0 in the marginal view and for a component that is not HTTP
    lcu_hours: Array  # load balancer capacity units (an HTTP component's)
    lcu_usd: Array
    people_usd: Array
    replica_hours: Array
    max_replicas: Array
    standalone: Array  # bool
    http: Array  # bool
    gpu: Array  # bool
    hours: Array  # hours in the month (the shape's)

    @property
    def priced(self) -> Array:
        """False: a GPU row on a provider with no sourced GPU node price (no node cost)."""
        out: Array = self.node >= 0
        return out

    def total(self) -> Array:
        """Each row's monthly USD, its items added in bill order (`add_up`'s)."""
        # Adding an absent item's 0.0 is exact, so one expression serves every view.
        out: Array = self.node_usd + self.control_usd + self.lb_usd + \
            np.where(self.http, self.lcu_usd, 0.0) + self.people_usd
        return out

    def fixed(self) -> Array:
        """The control plane and load balancer (people are their own figure)."""
        out: Array = self.control_usd + self.lb_usd
        return out

    def variable(self) -> Array:
        """The node share and load balancer capacity units: what the component adds to a
        shared cluster's infrastructure bill (`portfolio` spreads fixed cost over this)."""
        out: Array = self.node_usd + np.where(self.http, self.lcu_usd, 0.0)
        return out

    def report(self, row: int, memory_mb: float, p: Provider, kb: KnowledgeBase,
               maturity: str) -> KubernetesCost:
        """Row `row`'s bill as a report holds it."""
        return KubernetesCost(self.items(row, memory_mb, p, kb, maturity), self.node_type(row),
                              int(self.max_replicas[row]), float(self.fixed()[row]),
                              float(self.people_usd[row]),
                              "standalone" if self.standalone[row] else "marginal",
                              priced=bool(self.priced[row]))

    def node_type(self, row: int) -> str:
        k = int(self.node[row])
        return "not priced (no GPU node type)" if k < 0 else self.types[k].name

    def items(self, row: int, memory_mb: float, p: Provider, kb: KnowledgeBase,
              maturity: str) -> tuple[LineItem, ...]:
        """Row `row`'s line items with what each is priced on."""
        ops, k8s, door = kb.operations, p.kubernetes, p.front_door
        hours = int(self.hours[row])
        standalone, gpu = bool(self.standalone[row]), bool(self.gpu[row])
        view = "standalone" if standalone else "marginal"
        k = int(self.node[row])
        what = "GPU node type" if gpu else "node type"
        if k < 0:
            note = (f"not priced: no sourced GPU node price in kbase; {GPUS_PER_REPLICA} GPU "
                    f"per replica, {num(float(self.quantity[row]), 6)} replica-hours")
        elif not self.fits[row]:
            note = (f"no {what} fits a {num(memory_mb, 6)} MB pod; priced one pod per "
                    f"{self.types[k].name}")
        else:
            node = self.types[k]
            note = (f"{'whole nodes' if standalone else 'node share'} of {node.name} "
                    f"at {rate(node.hourly_usd)}/h")
            if gpu:
                note += (f" ({node.gpus} x {node.gpu_model} per node, {GPUS_PER_REPLICA} GPU "
                         f"per replica)")
        items = [LineItem("nodes" if standalone else "node share", float(self.quantity[row]),
                          "node-hours", float(self.node_usd[row]), note)]
        if standalone:
            items.append(LineItem("control plane", hours, "cluster-hours",
                                  float(self.control_usd[row]),
                                  f"{rate(k8s.control_plane_hourly_usd)}/h (a new cluster)"))
        if self.http[row]:
            if standalone:
                items.append(LineItem("load balancer", hours, "LB-hours",
                                      float(self.lb_usd[row]),
                                      f"{rate(door.load_balancer_hourly_usd)}/h (a new cluster)"))
            items.append(LineItem("load balancer capacity units", float(self.lcu_hours[row]),
                                  "LCU-hours", float(self.lcu_usd[row]),
                                  f"one new connection per request, "
                                  f"{num(door.capacity_unit_new_connections_per_s, 6)}/s per "
                                  f"unit"))
        items.append(LineItem(PEOPLE_ITEM, people_fte(ops, "nodes", maturity, view), "FTE",
                              float(self.people_usd[row]),
                              people_note(ops, "nodes", maturity, view)))
        return tuple(items)


def nodes_bill(rows: Rows, shape: Shapes, p: Provider, kb: KnowledgeBase) -> NodesBill:
    """Kubernetes on nodes for every row: nodes (or the node share), control plane, load
    balancer and people, per month, each row in its view (`rows.standalone`). Replicas per
    level come from the CPU the level's load needs at the target utilisation, never fewer
    than `min_replicas`. The node types are the CPU ones then the GPU ones; a row chooses
    among its own kind only, in kbase order, a later type only if cheaper by `CHEAPER_BY`."""
    ops, k8s, door = kb.operations, p.kubernetes, p.front_door
    n = len(rows.cpu_ms)
    per_pod = ops.pod_vcpu * ops.target_utilisation
    replicas = np.maximum(ops.min_replicas, _ceil9(
        shape.serve.ravel() * np.repeat(rows.cpu_ms, 3) / 1000 / per_pod).reshape(n, 3))
    counts = shape.counts
    replica_hours = (replicas * counts).sum(axis=1)  # whole numbers: exact in any order
    max_replicas = np.where(counts > 0, replicas, 0).max(axis=1) if n else np.zeros(0)
    pod_gib = rows.memory_mb / 1024
    standalone = rows.standalone
    gpu = rows.gpu
    floor = 2 if ops.min_replicas >= 2 else 1
    types = (*k8s.node_types, *k8s.gpu_node_types)
    is_gpu = np.array([k >= len(k8s.node_types) for k in range(len(types))], dtype=bool)
    mine = is_gpu[None, :] == gpu[:, None]  # (row, type): the row's own kind of node
    vcpu = np.array([t.vcpu for t in types])
    usable_cpu = vcpu * ops.node_allocatable_fraction
    usable_mem = np.array([t.memory_gib for t in types]) * ops.node_allocatable_fraction
    gpus = np.array([float(t.gpus) for t in types])
    per_node = np.floor(np.minimum(usable_cpu // ops.pod_vcpu,
                                   usable_mem[None, :] // pod_gib[:, None]))  # (row, type)
    per_node = np.where(is_gpu[None, :], np.minimum(per_node, gpus // GPUS_PER_REPLICA),
                        per_node)
    # A pod's share of a node (marginal): its largest share of any resource the node has,
    # the GPUs (wholly allocatable) for a GPU component.
    fraction = np.maximum(ops.pod_vcpu / usable_cpu, pod_gib[:, None] / usable_mem)
    with np.errstate(divide="ignore"):
        gpu_share = np.where(is_gpu, GPUS_PER_REPLICA / gpus, 0.0)
    fraction = np.where(is_gpu[None, :], np.maximum(fraction, gpu_share[None, :]), fraction)
    with np.errstate(all="ignore"):  # no node fits where per_node is 0: inf and NaN, masked
        nodes = np.maximum(floor, np.ceil(replicas[:, None, :] / per_node[:, :, None]))
        node_hours = _node_hours(nodes, shape, ops)
    quantity_all = np.where(standalone[:, None], node_hours, replica_hours[:, None] * fraction)
    hourly = np.array([t.hourly_usd for t in types])
    if rows.factors:  # per row and type: each node type's price draw
        lists = ["node_types"] * len(k8s.node_types) + ["gpu_node_types"] * len(k8s.gpu_node_types)
        hourly = hourly[None, :] * np.stack([np.broadcast_to(price_factor(
            rows, f"{p.provider}.kubernetes.{where}.{t.name}.hourly_usd", "kubernetes"), (n,))
            for where, t in zip(lists, types, strict=True)], axis=1) if types \
            else np.zeros((n, 0))
    else:
        hourly = np.broadcast_to(hourly, (n, len(types)))
    cost_all = quantity_all * hourly
    best_cost = np.full(n, np.inf)
    best = np.full(n, -1)
    for k in range(len(types)):  # in kbase order, a later type only if cheaper
        fits = mine[:, k] & (per_node[:, k] >= 1)
        cost = cost_all[:, k]
        better = fits & ((best < 0) | (cost < best_cost - CHEAPER_BY))
        best_cost = np.where(better, cost, best_cost)
        best = np.where(better, k, best)
    found = best >= 0
    cols = np.arange(n)
    quantity = np.where(found, quantity_all[cols, np.maximum(best, 0)] if len(types)
                        else 0.0, replica_hours.astype(float))
    # No node type fits one pod: whole largest nodes of the row's kind, one pod each.
    largest = max(range(len(k8s.node_types)),
                  key=lambda k: (k8s.node_types[k].memory_gib, k8s.node_types[k].vcpu))
    fallback = np.full(n, largest)
    if k8s.gpu_node_types:
        g = len(k8s.node_types) + max(range(len(k8s.gpu_node_types)), key=lambda k: (
            k8s.gpu_node_types[k].memory_gib, k8s.gpu_node_types[k].vcpu))
        fallback = np.where(gpu, g, fallback)
    else:  # a GPU row with no GPU node type: no node cost (the bill is not priced)
        fallback = np.where(gpu, -1, fallback)
    node = np.where(found, best, fallback)
    node_usd = np.where(found, best_cost, np.where(
        fallback >= 0, replica_hours * (hourly[cols, np.maximum(fallback, 0)] if len(types)
                                        else 0.0), 0.0))
    hours = counts.sum(axis=1)  # whole numbers: exact in any order
    lcu_hours = np.zeros(n)
    for level in range(3):
        c = counts[:, level]
        lcu_hours = lcu_hours + np.where((c > 0) & (shape.load[:, level] > 0),
                                         c * shape.serve[:, level]
                                         / door.capacity_unit_new_connections_per_s, 0.0)
    f = priced_by(rows, p.provider, "kubernetes")
    return NodesBill(
        types, node, found, quantity, node_usd,
        np.where(standalone, k8s.control_plane_hourly_usd
                 * f("kubernetes.control_plane_hourly_usd") * hours, 0.0),
        np.where(standalone & rows.http, door.load_balancer_hourly_usd
                 * f("front_door.load_balancer_hourly_usd") * hours, 0.0),
        lcu_hours, lcu_hours * door.capacity_unit_hourly_usd
        * f("front_door.capacity_unit_hourly_usd"), rows.k8s_people_usd,
        replica_hours, max_replicas, standalone, rows.http, gpu, hours)


def _node_hours(nodes: Array, shape: Shapes, ops: Operations) -> Array:
    """Node-hours over the month for every row and node type (`nodes`: (row, type, level)),
    with boot lag on rises and the hold after falls."""
    total: Array = (nodes * shape.counts[:, None, :]).sum(axis=2)  # whole numbers: exact
    # The level changes in sorted order, those that happen in some row.
    pairs = [(prev, level) for prev in range(3) for level in range(3)
             if prev != level and shape.transitions[:, prev + 1, level].any()]
    if not pairs:
        return total
    before = [prev for prev, _ in pairs]
    after = [level for _, level in pairs]
    t = shape.transitions[:, [prev + 1 for prev in before], after][:, None, :]  # (row, 1, pair)
    rise = nodes[:, :, after] - nodes[:, :, before]  # (row, type, pair)
    with np.errstate(all="ignore"):
        added = np.where(rise > 0, t * rise * ops.scale_up_lag_s / 3600,
                         np.where(rise < 0, t * -rise * ops.scale_down_delay_s / 3600, 0.0))
    for k in range(len(pairs)):  # one pair after another, in that order
        total = total + added[:, :, k]
    return total


@dataclass
class FunctionsBill:
    """The bill of managed functions over rows, by line item: requests + GB-seconds (+
    vCPU-seconds where billed) + the front door (HTTP) + provisioned concurrency (rows with
    `instances`) + the service's people line; the one implementation (`items(row)`,
    `total()`). With provisioned instances, their reserved GB-seconds are billed all month and
    the executed GB-seconds at the provisioned duration rate (AWS's model)."""

    fn: FunctionPricing
    free_tier: bool
    gb: Array  # billed memory, GB (1 GB = 1,024 MB), rounded up to the metering step
    billed_ms: Array  # duration rounded up to the billing increment, at least the minimum
    requests: Array
    billable_req: Array
    request_usd: Array
    use_pc: Array  # bool: executed GB-seconds at the provisioned duration rate
    billable_gbs: Array
    compute_usd: Array
    vcpu: Array | None  # the vCPU allotted at the memory (None: no vCPU-seconds billed)
    vcpu_s: Array | None
    vcpu_usd: Array | None
    http: Array  # bool
    http_usd: Array
    instances: Array  # provisioned instances (0: none)
    reserved_gbs: Array | None  # None: no sourced price for provisioned concurrency
    reserved_usd: Array
    people_usd: Array | None  # None: a bill without its people line

    def total(self) -> Array:
        """Each row's monthly USD, its items added in bill order (`add_up`'s)."""
        total: Array = self.request_usd + self.compute_usd
        if self.vcpu_usd is not None:
            total = total + self.vcpu_usd
        total = np.where(self.http, total + self.http_usd, total)
        total = np.where(self.instances > 0, total + self.reserved_usd, total)
        if self.people_usd is not None:
            total = total + self.people_usd  # the people line, last
        return total

    def report(self, row: int, kb: KnowledgeBase, maturity: str) -> ServerlessCost:
        """Row `row`'s bill as a report holds it."""
        return ServerlessCost(self.items(row, kb, maturity))

    def items(self, row: int, kb: KnowledgeBase, maturity: str) -> tuple[LineItem, ...]:
        """Row `row`'s line items with what each is priced on."""
        fn, r = self.fn, row
        gb, billed_ms = float(self.gb[r]), float(self.billed_ms[r])
        items = [LineItem("function requests", float(self.billable_req[r]), "requests",
                          float(self.request_usd[r]),
                          f"{rate(fn.request_usd_per_million)} per 1M"
                          + (f", {fn.free_requests:,.0f} free" if self.free_tier else ""))]
        if self.use_pc[r]:
            items.append(LineItem("function compute (GB-s on provisioned)",
                                  float(self.billable_gbs[r]), "GB-s", float(self.compute_usd[r]),
                                  f"{rate(fn.provisioned_duration_gb_second_usd or 0.0)} per "
                                  f"GB-s"))
        else:
            items.append(LineItem("function compute (GB-s)", float(self.billable_gbs[r]), "GB-s",
                                  float(self.compute_usd[r]),
                                  f"{num(billed_ms, 6)} ms billed x {num(gb, 6)} GB"))
        if self.vcpu is not None and self.vcpu_s is not None and self.vcpu_usd is not None:
            items.append(LineItem("function compute (vCPU-s)", float(self.vcpu_s[r]), "vCPU-s",
                                  float(self.vcpu_usd[r]),
                                  f"{num(float(self.vcpu[r]), 6)} vCPU at {num(gb * 1024, 6)} "
                                  f"MB at {rate(fn.vcpu_second_usd)}"))
        if self.http[r]:
            items.append(LineItem("front door (HTTP API)", float(self.requests[r]), "requests",
                                  float(self.http_usd[r]), "per 1M requests, tiered"))
        instances = int(self.instances[r])
        if instances > 0:
            if self.reserved_gbs is None:
                items.append(LineItem("provisioned concurrency", instances, "instances", 0.0,
                                      "not priced: no sourced figure for this provider"))
            else:
                items.append(LineItem("provisioned concurrency", float(self.reserved_gbs[r]),
                                      "GB-s reserved", float(self.reserved_usd[r]),
                                      f"{plural(instances, 'instance')} all month at "
                                      f"{rate(fn.provisioned_gb_second_usd or 0.0)} per GB-s"))
        if self.people_usd is not None:
            ops = kb.operations
            items.append(LineItem(PEOPLE_ITEM, people_fte(ops, "serverless", maturity, "marginal"),
                                  "FTE", float(self.people_usd[r]),
                                  people_note(ops, "serverless", maturity, "marginal")))
        return tuple(items)


def functions_bill(rows: Rows, p: Provider, kb: KnowledgeBase, free_tier: bool,
                   instances: Array, bill: str = "functions", people: bool = True,
                   ) -> FunctionsBill:
    """Every row on the provider's functions (or their legacy plan: `bill`), `instances`
    provisioned per row; `people`: with the service's people line."""
    fn, door = p.function_pricing(bill), p.front_door
    f = priced_by(rows, f"{p.provider}.{bill}", "serverless")
    step = fn.memory_increment_mb
    gb = np.maximum(fn.memory_min_mb, _ceil9(rows.memory_mb / step) * step) / 1024
    billed_ms = np.maximum(fn.min_billed_ms, _ceil9(rows.avg_duration_ms / fn.billing_increment_ms)
                           * fn.billing_increment_ms)
    requests = rows.requests_per_month
    seconds = requests * billed_ms / 1000
    gb_seconds = seconds * gb
    free_req = fn.free_requests if free_tier else 0.0
    free_gbs = fn.free_gb_seconds if free_tier else 0.0
    billable_req = np.maximum(0.0, requests - free_req)
    use_pc = (instances > 0) & (fn.provisioned_duration_gb_second_usd is not None)
    billable_gbs = np.where(use_pc, gb_seconds, np.maximum(0.0, gb_seconds - free_gbs))
    compute = np.where(use_pc, billable_gbs * (fn.provisioned_duration_gb_second_usd or 0.0)
                       * f("provisioned_duration_gb_second_usd"),
                       tiered(billable_gbs, fn.gb_second_tiers,
                              factor=lambda i: f(f"gb_second_tiers.{i}.usd")))
    vcpu = vcpu_s = vcpu_usd = None
    if fn.vcpu_second_usd:
        # The vCPU allotted at a memory size: the smallest size in the platform's table at or
        # above it (Google: 512 MiB -> 0.333 vCPU, 8 GiB -> 2), the largest above the table.
        table = np.array(fn.vcpu_by_memory_mb)
        vcpu = table[np.minimum(np.searchsorted(table[:, 0], gb * 1024, side="left"),
                                len(table) - 1), 1]
        vcpu_s = np.maximum(0.0, seconds * vcpu - (fn.free_vcpu_seconds if free_tier else 0.0))
        vcpu_usd = vcpu_s * fn.vcpu_second_usd * f("vcpu_second_usd")
    reserved_gbs = None
    reserved_usd = np.zeros(len(requests))
    if fn.provisioned_gb_second_usd is not None:
        reserved_gbs = instances * gb * (kb.operations.hours_per_month * 3600)
        reserved_usd = reserved_gbs * fn.provisioned_gb_second_usd * f("provisioned_gb_second_usd")
    return FunctionsBill(
        fn, free_tier, gb, billed_ms, requests, billable_req,
        billable_req * fn.request_usd_per_million * f("request_usd_per_million") / 1e6, use_pc,
        billable_gbs, compute, vcpu, vcpu_s, vcpu_usd, rows.http,
        tiered(requests, door.http_api_tiers, per=1e6, factor=lambda i: price_factor(
            rows, f"{p.provider}.front_door.http_api_tiers.{i}.usd", "serverless")),
        instances, reserved_gbs, reserved_usd, rows.sls_people_usd if people else None)


def costs(rows: Rows, p: Provider, kb: KnowledgeBase, free_tier: bool,
          cold: bool = True) -> Costs:
    """Every row priced on provider `p` (`estimate` without the break-even), each model on
    its platform (`platforms.choose`). `cold=False` skips cold starts where no row has an SLO
    (`monthly_costs`'s shortcut)."""
    shape = shapes(rows, kb)
    nb = nodes_bill(rows, shape, p, kb)
    nodes = nb.total()
    people, fixed = nb.people_usd, nb.fixed()
    n = len(nodes)
    fb = share = p99 = breaches = None
    if p.functions.available:
        if cold or not np.isnan(rows.p99_slo_ms).all():
            share, p99, breaches = cold_starts(rows, shape, functions_figures(p),
                                               rows.cold_start_ms)
        else:
            share = p99 = np.zeros(n)
            breaches = np.zeros(n, dtype=bool)
        instances = np.where(breaches & (rows.requests_per_month > 0), np.maximum(
            1, _ceil9(rows.peak_rps * rows.avg_duration_ms / 1000)), 0)
        with np.errstate(over="ignore", invalid="ignore"):  # refused later, by name
            fb = functions_bill(rows, p, kb, free_tier, instances)
    with np.errstate(over="ignore", invalid="ignore"):
        functions = None if fb is None else fb.total()
        o = _options(rows, shape, p, kb, free_tier, nb, nodes, fb, functions)
    k, s_ = o.kubernetes, o.serverless
    cols = np.arange(n)
    k_usd = o.usd[np.maximum(k, 0), cols] if len(o.platforms) else np.full(n, np.nan)
    is_nodes = np.array([pl.bill == "nodes" for pl in o.platforms] or [True], dtype=bool)
    on_nodes = (k < 0) | np.isnan(k_usd) | is_nodes[np.maximum(k, 0)]  # per platform, not row
    kubernetes = np.where(on_nodes, nodes, k_usd)
    k_people, k_fixed = people.copy(), fixed.copy()
    for i, bill in o.bills.items():  # a node-less platform: its own people and fixed lines
        mine = ~on_nodes & (k == i)
        if mine.any():
            k_people = np.where(mine, o.people[i], k_people)
            fee, door = bill.usd[bill.names.index("cluster fee")], \
                bill.usd[bill.names.index("load balancer")]
            k_fixed = np.where(mine, fee + door, k_fixed)
    runs = np.array([pl.team_runs_cluster for pl in o.platforms] or [True], dtype=bool)
    runs_cluster = on_nodes | runs[np.maximum(k, 0)]  # nodes (or none priced): a cluster
    flags = {f: np.zeros(n, dtype=bool) for f in LIMIT_FLAGS}
    serverless = None
    added = warm = limits_at = max_s = memory = cold_at = None
    if functions is not None:
        s_usd = o.usd[np.maximum(s_, 0), cols] if len(o.platforms) else np.full(n, np.nan)
        # None fits: the functions bill, which the hard-limit rules then exclude; one fits but
        # is not priced (a GPU): no figure.
        serverless = np.where(s_ < 0, functions, s_usd)
        fn = next((pl for pl in o.platforms if pl.bill == "functions"), None)
        if fn is not None:
            breaks = _breaks(fn, rows)
            flags = {f: breaks[f] & (s_ < 0) for f in HARD_LIMITS}
            # The quota is the functions' own: it counts where the model runs on them.
            on_fn = (s_ < 0) | (s_ == o.platforms.index(fn))
            flags["exceeds_concurrency"] = breaks["exceeds_concurrency"] & on_fn
        assert share is not None and p99 is not None and breaches is not None
        added, warm = rows.cold_start_ms, rows.avg_duration_ms + p.functions.warm_latency_ms
        fn_at = next((i for i, pl in enumerate(o.platforms) if pl.bill == "functions"), -1)
        limits_at = np.where(s_ < 0, fn_at, s_)
        cold_at = np.full(n, fn_at)
        for i, pl in enumerate(o.platforms):
            mine = s_ == i
            if pl.bill == "functions" or pl.cold_start is None or not mine.any() or \
                    not (cold or not np.isnan(rows.p99_slo_ms).all()):
                continue
            # The serverless model runs on another platform (Cloud Run services): its cold
            # starts, not the functions' (whose bill keeps its own, provisioned concurrency
            # included).
            ms = start_ms(rows, pl.cold_start)
            got = cold_starts(rows, shape, pl.cold_start, ms)
            share, p99, breaches = (np.where(mine, g, f) for g, f in
                                    zip(got, (share, p99, breaches), strict=True))
            added = np.where(mine, ms, added)
            warm = np.where(mine, rows.avg_duration_ms + pl.cold_start.warm_latency_ms, warm)
            cold_at = np.where(mine, i, cold_at)
        max_s, memory = serverless_limits(o.platforms, limits_at, rows)
    priced = ~on_nodes | nb.priced  # the model's figure: None on nodes not priced
    return Costs(kubernetes, k_people, k_fixed, serverless, share, p99, breaches, flags, o,
                 priced, runs_cluster, on_nodes, added, warm, limits_at, max_s, memory,
                 cold_at)


def functions_figures(p: Provider) -> ColdStartFigures:
    """The cold-start figures of the provider's functions (the functions bill's)."""
    fn = p.functions
    return ColdStartFigures(fn.cold_start_ms, fn.cold_start_overhead_ms, fn.keep_alive_s,
                            fn.warm_latency_ms)


def serverless_limits(platforms: Sequence[Platform], at: Array, rows: Rows,
                      ) -> tuple[Array, Array]:
    """Per row, the time limit and the memory ceiling of platform `at` (its index; -1: none)
    for that row (`platforms.duration_limit`), inf where it sets none."""
    n = len(at)
    max_s, memory = np.full(n, np.inf), np.full(n, np.inf)
    for i, pl in enumerate(platforms):
        mine = at == i
        if mine.any():
            max_s = np.where(mine, duration_limit(pl.limits, rows.http, rows.event,
                                                  rows.long_lived_connections), max_s)
            memory = np.where(mine, math.inf if pl.limits.memory_max_mb is None
                              else pl.limits.memory_max_mb, memory)
    return max_s, memory


def _breaks(platform: Platform, rows: Rows) -> dict[str, Array]:
    return limit_breaks(platform.limits, rows.max_duration_s, rows.memory_mb, rows.gpu,
                        rows.long_lived_connections,
                        rows.peak_rps * rows.avg_duration_ms / 1000, rows.http, rows.event)


def usage_of(rows: Rows, p: Provider, kb: KnowledgeBase) -> Usage:
    """What the container bills read for these rows on provider `p`."""
    shape = shapes(rows, kb)
    return usage(rows, shape, nodes_bill(rows, shape, p, kb), p, kb)


def usage(rows: Rows, shape: Shapes, nb: NodesBill, p: Provider, kb: KnowledgeBase) -> Usage:
    """What the container bills read (`platforms.Usage`): a service runs the replicas of the
    Kubernetes replica model; an HTTP one pays the load balancer a new cluster would."""
    hours = float(int(kb.operations.hours_per_month))  # a layout's whole hours
    replica_hours, lcu = nb.replica_hours, nb.lcu_usd
    lb = p.front_door.load_balancer_hourly_usd * price_factor(
        rows, f"{p.provider}.front_door.load_balancer_hourly_usd", "kubernetes")
    door = np.where(rows.http, lb * hours + lcu, 0.0)
    active = (shape.counts * (shape.load > 0)).sum(axis=1)  # whole hours: exact in any order
    return Usage(rows.requests_per_month, rows.avg_duration_ms, rows.cpu_ms, rows.memory_mb,
                 active, replica_hours, rows.job, door, kb.operations.hours_per_month,
                 np.where(rows.http, lcu, 0.0))


def _options(rows: Rows, shape: Shapes, p: Provider, kb: KnowledgeBase, free_tier: bool,
             nb: NodesBill, nodes: Array, fb: FunctionsBill | None, functions: Array | None,
             ) -> Options:
    """Every platform of `p` over the rows: what it costs where it fits, and each model's
    choice."""
    n = len(rows.cpu_ms)
    plats = p.platforms
    usd = np.full((len(plats), n), np.nan)
    fits = np.zeros((len(plats), n), dtype=bool)
    bills: dict[int, Bill] = {}
    people: dict[int, Array] = {}
    legacy: dict[int, FunctionsBill] = {}
    u: Usage | None = None
    nodes_priced = nb.priced
    for i, pl in enumerate(plats):
        breaks = _breaks(pl, rows)
        fit = ~np.any(np.array([breaks[f] for f in HARD_LIMITS]), axis=0) if n \
            else np.zeros(0, dtype=bool)
        fits[i] = fit
        # A GPU workload is priced on functions (which rule it out) and on nodes with a
        # sourced GPU node type (`platforms._unpriced`), nowhere else.
        priced = fit & (nodes_priced if pl.bill == "nodes"
                        else ~(rows.gpu & (pl.kind != "functions")))
        total: Array | None = None
        if pl.bill == "nodes":
            total = nodes
        elif pl.bill == "functions":
            total = functions
        elif pl.bill == "functions_legacy" and fb is not None:
            legacy[i] = functions_bill(rows, p, kb, free_tier, np.zeros(n), pl.bill)
            total = legacy[i].total()
        elif pl.bill in CONTAINER_BILLS:
            if u is None:
                u = usage(rows, shape, nb, p, kb)
            joined = joins(pl, rows.standalone)  # EKS on Fargate on the team's cluster
            bills[i] = bill = container_bill(pl, u, kb, free_tier, joined, priced_by(
                rows, f"{p.provider}.platforms.{pl.name}.prices", pl.model))
            people[i] = container_people_usd(kb, pl, rows.maturity, joined) \
                * rows.factors.get(f"people.{pl.model}", 1.0)
            total = bill.total() + people[i]
        if total is not None:
            usd[i] = np.where(priced, total, np.nan)
    model = np.array([pl.model == "kubernetes" for pl in plats], dtype=bool)
    legacy_status = np.array([pl.status == "legacy" for pl in plats], dtype=bool)
    return Options(plats, usd, fits, bills, people, choose(usd, fits, model, legacy_status),
                   choose(usd, fits, ~model, legacy_status), nb, fb, legacy)
