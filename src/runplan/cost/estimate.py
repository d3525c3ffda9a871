"""Both models' monthly cost, the break-even, cold starts and platform limits for a workload.

This is the one place that picks prices for a workload and hands them to the pure functions
of the cost core; the facts it returns are what the rule base reasons over.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from runplan.cost.breakeven import BreakEven, Scan, nearest_crossing
from runplan.cost.coldstart import ColdStart
from runplan.cost.kubernetes import KubernetesCost
from runplan.cost.people import PEOPLE_ITEM, people_usd
from runplan.cost.platforms import (
    LIMIT_FLAGS,
    Billed,
    PlatformCost,
    Priced,
    cheapest,
    platform_costs,
    platform_view,
    workload_breaks,
    workload_limit,
)
from runplan.cost.serverless import ServerlessCost, add_up
from runplan.kbase import KnowledgeBase, Platform, Provider
from runplan.profile import EVENT_KINDS, HTTP_KINDS, Workload, with_load


@dataclass(slots=True)  # a value, not frozen: see runplan.advise.Reason
class CostReport:
    provider: str
    serverless: ServerlessCost | None
    kubernetes: KubernetesCost
    break_even: BreakEven | None
    cold_start: ColdStart | None
    provisioned_instances: int
    limits: dict[str, Any]
    free_tier: bool
    platforms: tuple[PlatformCost, ...] = ()  # every platform of the provider, kbase order

    @property
    def view(self) -> str:
        """The view the Kubernetes bill is in (marginal | standalone)."""
        return self.kubernetes.view

    @property
    def kubernetes_platform(self) -> Platform | None:
        """The platform the Kubernetes bill is of (None: none priced fits, nodes)."""
        return next((o.platform for o in self.platforms
                     if o.platform.name == self.kubernetes.platform), None)

    @property
    def runs_cluster(self) -> bool:
        """Whether the Kubernetes model runs on a cluster the team runs (`runs_cluster`)."""
        return runs_cluster(self.kubernetes_platform)

    def facts(self) -> dict[str, Any]:
        """Cost, cold-start and limit facts as rule fields (`cost.ratio`, `cold_start.share`)."""
        titles = {o.platform.name: o.platform.title for o in self.platforms}
        on = self.kubernetes_platform
        return {**cost_facts(self.kubernetes.monthly_usd if self.kubernetes.priced else None,
                             self.kubernetes.people_usd, self.kubernetes.fixed_usd,
                             self.serverless.monthly_usd if self.serverless else None,
                             self.break_even, self.cold_start, self.limits, self.view,
                             self.runs_cluster),
                "cost.kubernetes_platform": titles.get(self.kubernetes.platform),
                "cost.kubernetes_platform_view": next(
                    (o.view for o in self.platforms if o.platform is on), self.view),
                "cost.serverless_platform": None if self.serverless is None
                else titles.get(self.serverless.platform)}


def runs_cluster(platform: Platform | None) -> bool:
    """Whether the Kubernetes model's platform is a cluster the team runs (`cost.
    kubernetes_runs_cluster`): its kbase figure; no platform, Kubernetes on nodes (as
    `cost.vector.costs` has it, over rows)."""
    return True if platform is None else platform.team_runs_cluster


def cost_facts(k8s: float | None, people: float, fixed: float, sls: float | None,
               break_even: BreakEven | None, cold: ColdStart | None, limits: dict[str, Any],
               view: str, cluster: bool = True) -> dict[str, Any]:
    """The cost core's figures as rule fields; one function for reports and probes alike.
    Every Kubernetes figure is in `view`, the one the verdict compares; `k8s` None: the nodes
    bill is not priced (a GPU component with no sourced GPU node price), so no ratio.
    `cluster`: the Kubernetes model's platform is a cluster the team runs (`runs_cluster`)."""
    out: dict[str, Any] = {
        "cost.view": view,
        "cost.kubernetes_runs_cluster": cluster,
        "cost.kubernetes_usd": None if k8s is None else round(k8s, 2),
        "cost.serverless_usd": None if sls is None else round(sls, 2),
        "cost.people_usd": round(people, 2),
        "cost.fixed_usd": round(fixed, 2),
        "cost.ratio": None if not sls or k8s is None else round(k8s / sls, 4),
        "cost.saving_usd": None if sls is None or k8s is None else round(k8s - sls, 2),
        "cost.break_even_rps": None if not break_even else round(break_even.avg_rps, 4),
        "cold_start.share": None if cold is None else round(cold.share_of_requests, 6),
        "cold_start.added_ms": None if cold is None else cold.added_latency_ms,
        "cold_start.p99_ms": None if cold is None else round(cold.p99_estimate_ms, 1),
        "cold_start.breaches_slo": None if cold is None else cold.breaches_slo,
        "cold_start.warm_p99_ms": None if cold is None else round(cold.warm_p99_ms, 1),
        "cold_start.p99_to_slo": None if cold is None or cold.p99_to_slo is None
        else round(cold.p99_to_slo, 4),
        "cold_start.warm_to_slo": None if cold is None or cold.warm_to_slo is None
        else round(cold.warm_to_slo, 4),
        "cold_start.platform": None if cold is None else cold.platform or None,
    }
    out.update({f"limits.{k}": v for k, v in limits.items()})
    return out


def default_view(w: Workload) -> str:
    """The view a component is priced in on its own: marginal when the team already runs a
    cluster (`team.existing_cluster`), standalone otherwise."""
    return "marginal" if w.existing_cluster else "standalone"


def serverless_people_usd(w: Workload, kb: KnowledgeBase) -> float:
    """The serverless bill's operations line: the service's own effort (pipelines,
    observability, on-call), by DevOps maturity."""
    return people_usd(kb.operations, "serverless", w.devops_maturity, "marginal")


def cold_start_ms(w: Workload, p: Provider) -> float:
    fn = p.functions
    return fn.cold_start_ms.get(w.runtime, 0.0) + fn.cold_start_overhead_ms


def limits_of(w: Workload, p: Provider, serverless: Platform | None) -> dict[str, Any]:
    """What the serverless model's platform allows, against what the workload needs. The
    hard-limit flags are the serverless model's: none is set where some serverless platform
    fits (`serverless`, the one it runs on: a Cloud Run service holds the websocket a
    function cannot); where none fits (None), the functions' own. The time limit and the
    memory ceiling (`function_max_duration_s`, `function_memory_max_mb`, None: none) are
    those of the platform the serverless model runs on, the functions' where none fits;
    `platform` names it."""
    fn = p.functions
    concurrency = w.peak_rps * w.avg_duration_ms / 1000
    if not fn.available:
        return {"functions_available": False, "function_max_duration_s": None,
                "exceeds_duration": None, "exceeds_memory": None, "gpu_unavailable": None,
                "connections_unsupported": None, "peak_concurrency": round(concurrency, 3),
                "exceeds_concurrency": None, "function_memory_max_mb": None,
                "platform": None}
    functions = next((pl for pl in p.platforms if pl.bill == "functions"), None)
    breaks = dict.fromkeys(LIMIT_FLAGS, False)
    if functions is not None and serverless is None:
        breaks = workload_breaks(functions.limits, w)
    if functions is not None and serverless is not None and serverless.name == functions.name:
        # the quota counts where the model runs on functions: see HARD_LIMITS
        breaks["exceeds_concurrency"] = workload_breaks(functions.limits, w)["exceeds_concurrency"]
    on = serverless or functions
    if on is None:  # no functions platform listed: the functions figures themselves
        max_s: float | None = fn.duration_limit_s(w.kind in HTTP_KINDS, w.kind in EVENT_KINDS)
        memory: float | None = fn.memory_max_mb
    else:
        max_s, memory = workload_limit(on.limits, w), on.limits.memory_max_mb
    return {
        "functions_available": True,
        "function_max_duration_s": max_s,
        "function_memory_max_mb": memory,
        **{f: breaks[f] for f in LIMIT_FLAGS[:4]},
        "peak_concurrency": round(concurrency, 3),
        "exceeds_concurrency": breaks["exceeds_concurrency"],
        "platform": None if on is None else on.title,
    }


def monthly_costs(w: Workload, kb: KnowledgeBase, free_tier: bool = False,
                  view: str | None = None) -> tuple[float | None, float]:
    """(serverless, kubernetes) monthly USD at the workload's load, each model on its
    platform, nothing else: `cost.vector`'s one-row case (without cold starts where no SLO
    could make them cost anything). Serverless None: no functions, or its platform is not
    priced."""
    from runplan.cost.vector import costs, rows_of  # which imports this module

    c = costs(rows_of([w], kb, [view or default_view(w)]), kb.provider(w.provider), kb,
              free_tier, cold=w.p99_slo_ms is not None)
    sls = None if c.serverless_usd is None or math.isnan(c.serverless_usd[0]) \
        else float(c.serverless_usd[0])
    return sls, float(c.kubernetes_usd[0])


def gaps(ws: Sequence[Workload], kb: KnowledgeBase, free_tier: bool, view: str) -> list[float]:
    """Kubernetes less serverless (0 where there is no serverless figure), monthly USD, for
    workloads of one provider in one view: `monthly_costs` for many rows at once (a batch
    prices each row as it prices it alone)."""
    from runplan.cost.vector import costs, rows_of  # which imports this module

    c = costs(rows_of(ws, kb, [view] * len(ws)), kb.provider(ws[0].provider), kb, free_tier,
              cold=ws[0].p99_slo_ms is not None)
    k = c.kubernetes_usd.tolist()
    if c.serverless_usd is None:
        return [float(x) for x in k]
    return [a - (0.0 if math.isnan(b) else b)
            for a, b in zip(k, c.serverless_usd.tolist(), strict=True)]


def marginal_bill(w: Workload, kb: KnowledgeBase) -> tuple[float, float]:
    """The workload's Kubernetes bill on nodes in the marginal view (joining a cluster): its
    total and its variable part (the node share and load balancer capacity units)."""
    from runplan.cost.vector import nodes_bill, rows_of, shapes  # which imports this module

    rows = rows_of([w], kb, ["marginal"])
    nb = nodes_bill(rows, shapes(rows, kb), kb.provider(w.provider), kb)
    return float(nb.total()[0]), float(nb.variable()[0])


def probe_facts(w: Workload, kb: KnowledgeBase, free_tier: bool = False,
                view: str | None = None) -> tuple[dict[str, Any], dict[str, float | None]]:
    """`estimate(w, with_break_even=False).facts()` and both monthly totals, without line
    items: what a flip-search probe needs to reach a verdict (`cost.vector`'s one row)."""
    from runplan.cost.vector import cold_start, costs, rows_of  # which imports this module

    p = kb.provider(w.provider)
    view = view or default_view(w)
    c = costs(rows_of([w], kb, [view]), p, kb, free_tier)
    k8s_usd = None if math.isnan(c.kubernetes_usd[0]) else float(c.kubernetes_usd[0])
    sls = None if c.serverless_usd is None or math.isnan(c.serverless_usd[0]) \
        else float(c.serverless_usd[0])
    k, s_ = int(c.options.kubernetes[0]), int(c.options.serverless[0])
    on = p.platforms[s_] if s_ >= 0 else None
    cs = cold_start(c, 0, p, w.p99_slo_ms)
    limits = limits_of(w, p, on)
    facts = cost_facts(k8s_usd, float(c.people_usd[0]), float(c.fixed_usd[0]), sls, None, cs,
                       limits, view, bool(c.runs_cluster[0]))
    # The titles as `CostReport.facts` has them: what the messages name (no rule reads them).
    facts["cost.kubernetes_platform"] = None if k < 0 else p.platforms[k].title
    facts["cost.kubernetes_platform_view"] = view if k < 0 or p.platforms[k].bill == "nodes" \
        else platform_view(p.platforms[k], view)
    facts["cost.serverless_platform"] = None if s_ < 0 or sls is None else p.platforms[s_].title
    return facts, {"kubernetes": k8s_usd, "serverless": sls}


def load_free(w: Workload) -> Workload:
    """The workload with its load taken out: the peak kept as a multiple of a 10^6 requests a
    month. Workloads that differ only in load have the same cost curves (`with_load` scales
    the monthly volume and the peak together), so their break-evens are computed once."""
    if w.requests_per_month <= 0:
        return w.but(name="")
    return w.but(name="", requests_per_month=1e6, avg_rps=0.0,
                   peak_rps=w.peak_rps / w.requests_per_month * 1e6)


CrossingCache = dict[tuple[Workload, str], Scan]


def load_scan(w: Workload, kb: KnowledgeBase, free_tier: bool,
              cache: CrossingCache | None = None, view: str | None = None) -> Scan:
    """The cost gap of `w` as its load is scaled, from its load-free form, so the answer
    depends only on that form and the view (cached or not, the same bytes)."""
    view = view or default_view(w)
    free = load_free(w)
    key = (free, view)
    if cache is not None and key in cache:
        return cache[key]
    hours = kb.operations.hours_per_month

    def diff(rpm: float) -> float:
        return gaps([with_load(free, rpm, hours)], kb, free_tier, view)[0]

    def many(rpms: Sequence[float]) -> list[float]:
        return gaps([with_load(free, rpm, hours) for rpm in rpms], kb, free_tier, view)

    scan = Scan(diff, many)
    if cache is not None:
        if len(cache) >= 2_000:  # bounded memory: a scan holds up to 55 prices
            cache.clear()
        cache[key] = scan
    return scan


@dataclass(slots=True)
class Draft:
    """A workload before its platforms are priced (which `Advisor.advise_many` does for many
    workloads at once): the workload and the view of its bill on nodes."""

    workload: Workload
    view: str

    def billed(self) -> Billed:
        return Billed(self.workload, self.view)


def draft(w: Workload, view: str | None = None) -> Draft:
    """The workload, its bill on nodes in `view` (None: `default_view`)."""
    return Draft(w, view or default_view(w))


def estimate(w: Workload, kb: KnowledgeBase, free_tier: bool = False,
             with_break_even: bool = True, cache: CrossingCache | None = None,
             view: str | None = None) -> CostReport:
    """Everything the cost core knows about a workload, each model on its platform (the
    cheapest that fits, `model_bills`), a Kubernetes bill on nodes in `view` (marginal |
    standalone; None: `default_view`)."""
    d = draft(w, view)
    return finish(d, platform_costs([d.billed()], kb, free_tier)[0], kb, free_tier,
                  with_break_even, cache)


def finish(d: Draft, priced: Priced, kb: KnowledgeBase, free_tier: bool = False,
           with_break_even: bool = True, cache: CrossingCache | None = None) -> CostReport:
    """`estimate` from a draft and its platforms (`platform_costs`, of this draft alone or of
    many at once: the same figures)."""
    w = d.workload
    p = kb.provider(w.provider)
    options = priced.options
    k8s, model_sls = model_bills(priced.nodes, priced.functions, options)
    be = None
    if with_break_even and model_sls is not None and k8s.priced:
        be = nearest_crossing(load_scan(w, kb, free_tier, cache, d.view), w.requests_per_month,
                              kb.operations.hours_per_month)
    s = cheapest(options, "serverless")
    on = None if s is None else s.platform
    return CostReport(w.provider if w.provider != "any" else "aws", model_sls, k8s, be,
                      priced.cold_start, priced.provisioned_instances,
                      limits_of(w, p, on), free_tier, options)


def model_bills(nodes: KubernetesCost, functions: ServerlessCost | None,
                options: tuple[PlatformCost, ...]) -> tuple[KubernetesCost, ServerlessCost | None]:
    """Each model's bill: its platform's (`platforms.cheapest`). Kubernetes on nodes where no
    priced platform of the model fits; functions where no serverless platform fits (the
    hard-limit rules then exclude it); no serverless bill where the one that fits is not
    priced (a GPU)."""
    k = cheapest(options, "kubernetes")
    if k is not None and k.platform.bill == "nodes":
        nodes = replace(nodes, platform=k.platform.name)
    elif k is not None and k.monthly_usd is not None:
        fixed = add_up(i.monthly_usd for i in k.items if i.name in FIXED_ITEMS)
        people = add_up(i.monthly_usd for i in k.items if i.name == PEOPLE_ITEM)
        # The view stays the team's cluster situation (`cost.view`, which rules read: a new
        # cluster or one that runs anyway); the platform's own is in its option.
        nodes = KubernetesCost(k.items, k.platform.title, nodes.max_replicas, fixed, people,
                               nodes.view, k.platform.name)
    s = cheapest(options, "serverless")
    if functions is None or s is None:
        return nodes, functions
    if s.monthly_usd is None:
        return nodes, None
    return nodes, ServerlessCost(s.items, s.platform.name)


FIXED_ITEMS = ("cluster fee", "load balancer")  # a node-less bill's fixed lines
