"""The estate as a whole: what each strategy costs, and whether a cluster pays for itself.

Per component (`placement`), from its scored Result:

- its Kubernetes cost in the *marginal* view (joining the estate's cluster): the node share
  its pods request, its load balancer capacity units and its own operations effort
  (`cost.people`), without any of the cluster's fixed cost;
- its serverless cost (its own operations effort included); the options its hard
  constraints exclude;
- its cost in the recommended mix: on functions when the verdict is serverless; otherwise on
  the platform its Kubernetes bill was judged on: the shared cluster (at marginal cost) when
  that platform is a cluster the team runs (nodes, EKS on Fargate), else that node-less
  platform (ECS on Fargate, Cloud Run: containers with no cluster, which a cluster's fixed
  cost never reaches); a hybrid with parts is priced part by part on each part's own
  verdict, a hybrid without parts as a Kubernetes verdict (its split is not in the profile).

Over the estate (`Portfolio`): one cluster per provider carries every component placed on
Kubernetes, its fixed cost (control plane, one load balancer when any component is HTTP, the
people who run the cluster at the DevOps maturity of its most mature member: kbase/<provider>
.yaml and kbase/operations.yaml) spread over those components in proportion to their node
share and load-balancer units (the *allocated* view, OpenCost-style); the totals of
all-Kubernetes, all-serverless and the recommended mix; whether a cluster is justified (the
mix with the cluster against the same components off it, each on functions or a node-less
container platform such as ECS on Fargate, unless a component no such platform runs
requires it); and the five decisions with the most money at stake (the two figures each
verdict compared) and the five closest to flipping.

`ClusterSurvey` is `score`'s first pass: before any component is priced for its verdict, it
decides per provider whether the estate has a cluster anyway (one exists, a component that
neither functions nor a node-less platform runs needs one, or it is cheaper in total: the
components' savings at marginal cost on it, against their cheapest bill off it, exceed its
fixed cost); on such a provider every component is then priced at marginal cost.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field, replace
from typing import Any

from runplan.advise import Flip, Result
from runplan.cost.estimate import marginal_bill
from runplan.cost.people import cluster_fte
from runplan.cost.platforms import cheapest
from runplan.cost.serverless import add_up
from runplan.fmt import cents, plural
from runplan.kbase import KnowledgeBase
from runplan.profile import HTTP_KINDS, MATURITY_ORDER

TOP = 5
NAMES_KEPT = 20


@dataclass(slots=True)  # a value, not frozen: see runplan.advise.Reason
class Placement:
    name: str
    provider: str
    verdict: str
    confidence: float
    kubernetes_usd: float  # in the view the verdict used (`view`)
    view: str
    serverless_usd: float | None
    marginal_usd: float  # on the estate's cluster: node share, LB units, its own people
    variable_usd: float  # the node share and LB units alone (the fixed cost's spreading key)
    http: bool
    serverless_excluded_by: tuple[str, ...]
    mix_cluster_usd: float  # the part of the mix that runs on the cluster (marginal cost)
    mix_variable_usd: float  # the same part's node share and LB units
    mix_functions_usd: float  # the part of the mix that runs on functions
    # all of it off the cluster: `off_cluster_usd` where the mix puts it on the cluster, else
    # its cost in the mix (functions, node-less containers); None: only nodes run it
    functions_instead_usd: float | None
    flip: tuple[str, float, float, str, bool] | None  # nearest: field, from, to, verdict, assumed
    maturity: str = "basic"  # team.devops_maturity
    existing_cluster: bool = False  # team.existing_cluster
    priced: bool = True  # False: a GPU component with no sourced GPU node price (no nodes in it)
    # The cheapest way to run it with no cluster of nodes: functions unless a hard constraint
    # excludes them, or a node-less container platform (ECS on Fargate, Autopilot) that fits
    # and is priced. None: only a cluster of nodes runs it (`needs_nodes`).
    off_cluster_usd: float | None = None
    kubernetes_excluded: bool = False  # a hard constraint excludes the Kubernetes model
    needs_nodes: tuple[str, ...] = ()  # why nothing but a cluster of nodes runs it
    # The part of the mix on its Kubernetes model's node-less platform (ECS on Fargate, Cloud
    # Run): containers with no cluster, where its verdict is not serverless.
    mix_containers_usd: float = 0.0
    on_cluster: bool = False  # the mix puts it (or one of its parts) on the cluster

    @property
    def needs_cluster(self) -> bool:
        return self.on_cluster

    @property
    def justifies_cluster(self) -> bool:
        """Whether this component alone makes a cluster on its provider a given: its team
        runs one, or neither functions nor any node-less platform can run it."""
        return self.existing_cluster or self.off_cluster_usd is None

    @property
    def at_stake_usd(self) -> float | None:
        """What the decision moves per month: the gap between the two figures the verdict
        compared (Kubernetes in its view, `view`, and functions). None where one of them
        cannot run (a hard constraint excludes it) or is not priced."""
        if self.serverless_usd is None or not self.priced or self.serverless_excluded_by \
                or self.kubernetes_excluded:
            return None
        return abs(self.kubernetes_usd - self.serverless_usd)


def _serverless_blocked(r: Result) -> tuple[str, ...]:
    if r.costs.serverless is None:
        return ("no managed functions on " + r.workload.provider,)
    return tuple(r.verdict.excluded.get("serverless", []))


def placement(r: Result, kb: KnowledgeBase, free_tier: bool) -> Placement:
    """One component's portfolio facts (see the module docstring). A component with parts has
    no workload of its own: its figures are its parts' added up, whatever its verdict."""
    placed = [placement(p, kb, free_tier) for p in r.parts]
    if placed:
        marginal = add_up(pp.marginal_usd for pp in placed)
        variable = add_up(pp.variable_usd for pp in placed)
        http = any(pp.http for pp in placed)
    else:
        marginal, variable = marginal_bill(r.workload, kb)
        http = r.workload.kind in HTTP_KINDS
        off = _off_cluster(r, marginal)
        if off is not None:  # cheaper on a node-less platform: it adds nothing to a cluster
            marginal, variable = off, 0.0
    sls = r.costs.serverless.monthly_usd if r.costs.serverless else None
    blocked: tuple[str, ...] = () if r.parts else _serverless_blocked(r)
    containers = 0.0
    on_cluster = False
    if r.parts:  # whatever the verdict, the parts are what runs
        cluster = functions = cluster_var = 0.0
        instead: float | None = 0.0
        for p, pp in zip(r.parts, placed, strict=True):
            cluster += pp.mix_cluster_usd
            cluster_var += pp.mix_variable_usd
            functions += pp.mix_functions_usd
            containers += pp.mix_containers_usd
            on_cluster = on_cluster or pp.on_cluster
            instead = None if instead is None or pp.functions_instead_usd is None \
                else instead + pp.functions_instead_usd
            blocked = blocked + tuple(f"{p.name}: {b}" for b in _serverless_blocked(p))
    elif r.verdict.verdict == "serverless":
        cluster, cluster_var, functions = 0.0, 0.0, sls or 0.0
        instead = sls
    elif not r.costs.runs_cluster:
        # Its Kubernetes model's platform in the view it was judged in is node-less (ECS on
        # Fargate, Cloud Run): it runs there, with no cluster, whatever a cluster would cost.
        cluster = cluster_var = functions = 0.0
        containers = r.costs.kubernetes.monthly_usd
        instead = containers
    else:
        cluster, cluster_var, functions = marginal, variable, 0.0
        instead = None  # what it costs off the cluster: `off_cluster_usd`, below
        on_cluster = True
    if placed:
        offs = [pp.off_cluster_usd for pp in placed]
        off_cluster = None if any(o is None for o in offs) else add_up(o or 0.0 for o in offs)
        needs = tuple(f"{pp.name}: {n}" for pp in placed for n in pp.needs_nodes)
    else:
        off_cluster, needs = _without_nodes(r, sls, blocked)
        if on_cluster:
            instead = off_cluster
    nearest = nearest_flip(r.flips)
    return Placement(r.name, r.costs.provider, r.verdict.verdict, r.verdict.confidence,
                     r.costs.kubernetes.monthly_usd, r.costs.view, sls, marginal, variable,
                     http, blocked, cluster, cluster_var, functions,
                     instead,
                     None if nearest is None else (nearest.field, nearest.current, nearest.to,
                                                   nearest.verdict, nearest.assumed),
                     r.workload.devops_maturity, r.workload.existing_cluster,
                     all(pp.priced for pp in placed) if placed else r.costs.kubernetes.priced,
                     off_cluster, bool(r.verdict.excluded.get("kubernetes")), needs,
                     containers, on_cluster)


def _without_nodes(r: Result, serverless: float | None, blocked: tuple[str, ...],
                   ) -> tuple[float | None, tuple[str, ...]]:
    """The cheapest bill with no cluster of nodes (functions unless excluded, or a node-less
    or serverless container platform that fits, is priced, whose model no hard constraint
    excludes and whose bill is not in the marginal view: that one joins the cluster), or None
    and why not."""
    bills = [] if blocked or serverless is None else [serverless]
    bills += [o.monthly_usd for o in r.platforms
              if o.platform.bill != "nodes" and o.platform.kind != "functions" and o.feasible
              and o.monthly_usd is not None and not r.verdict.excluded.get(o.platform.model)
              and o.view != "marginal"]  # marginal: joining the cluster (EKS on Fargate)
    if bills:
        return min(bills), ()
    return None, blocked or ("no functions or node-less platform fits",)


def _off_cluster(r: Result, on_cluster: float) -> float | None:
    """The Kubernetes model's bill where a node-less platform (ECS on Fargate, Autopilot)
    beats joining a cluster at `on_cluster`, chosen as `platforms.choose` chooses (kbase
    order breaks ties); None where the cluster is the cheaper."""
    nodes = [o for o in r.platforms if o.platform.bill == "nodes"]
    if not nodes:
        return None
    joined = replace(nodes[0], monthly_usd=on_cluster, feasible=True)
    chosen = cheapest(tuple(joined if o is nodes[0] else o for o in r.platforms), "kubernetes")
    if chosen is None or chosen is joined or chosen.monthly_usd is None:
        return None
    return chosen.monthly_usd


def flip_distance(field_name: str, current: float, to: float) -> float:
    """How far a flip is: the factor's log for figures, the difference for a share."""
    if field_name == "traffic.idle_fraction" or current <= 0 or to <= 0:
        return abs(to - current)
    return abs(math.log(to / current))


def nearest_flip(flips: tuple[Flip, ...]) -> Flip | None:
    if not flips:
        return None
    return min(flips, key=lambda f: (flip_distance(f.field, f.current, f.to), f.field))


def cluster_fixed_usd(kb: KnowledgeBase, provider: str, http: bool, maturity: str,
                      ) -> dict[str, float]:
    """A cluster's fixed monthly cost by item (figures from kbase): the control plane, a load
    balancer when any member is HTTP, and the people who run the cluster (`cost.people`, at
    `maturity`; each member's own per-service effort is in its marginal cost)."""
    p = kb.provider(provider)
    hours = kb.operations.hours_per_month
    ops = kb.operations
    out = {"control plane": p.kubernetes.control_plane_hourly_usd * hours,
           "operations (people)": cluster_fte(ops, "nodes", maturity) * ops.fte_monthly_usd}
    if http:
        out["load balancer"] = p.front_door.load_balancer_hourly_usd * hours
    return out


def most_mature(a: str | None, b: str) -> str:
    """The more mature of two DevOps maturities (the team that would run a shared cluster)."""
    return b if a is None or MATURITY_ORDER.index(b) > MATURITY_ORDER.index(a) else a


@dataclass
class ClusterSurvey:
    """`score`'s first pass, per provider: is there a cluster anyway? (module docstring)
    Fed the placements in input order; once a component justifies a cluster by itself
    (`Placement.justifies_cluster`), later ones on its provider may be left out."""

    kb: KnowledgeBase
    trigger: dict[str, str] = field(default_factory=dict)  # the first such component, why
    savings: dict[str, float] = field(default_factory=dict)
    http: dict[str, bool] = field(default_factory=dict)
    maturity: dict[str, str] = field(default_factory=dict)

    def add(self, p: Placement) -> None:
        prov = p.provider
        self.http[prov] = self.http.get(prov, False) or p.http
        self.maturity[prov] = most_mature(self.maturity.get(prov), p.maturity)
        self.savings.setdefault(prov, 0.0)
        if p.justifies_cluster and prov not in self.trigger:
            self.trigger[prov] = (
                f"{p.name}'s team already runs a cluster" if p.existing_cluster else
                f"{p.name} needs a cluster of nodes: neither functions nor a node-less "
                f"platform runs it ({', '.join(p.needs_nodes)})")
        elif p.off_cluster_usd is not None and p.off_cluster_usd > p.marginal_usd:
            self.savings[prov] += p.off_cluster_usd - p.marginal_usd

    def decisions(self) -> dict[str, dict[str, Any]]:
        """Per provider: justified or not, why, and the view components are priced in. (A
        cluster a component needs by itself reports no saving or fixed cost here: the survey
        stops looking at the others there; `Portfolio.summary`'s clusters have both.)"""
        out = {}
        for prov in sorted(self.savings):
            fixed = sum(cluster_fixed_usd(self.kb, prov, self.http[prov],
                                          self.maturity[prov]).values())
            saving = self.savings[prov]
            why = self.trigger.get(prov, "")
            if not why and saving > fixed:
                why = (f"components cheaper on it save {cents(saving)}/month at marginal cost, "
                       f"more than its {cents(fixed)} fixed cost")
            out[prov] = {
                "justified": bool(why),
                "because": why or (f"the components cheaper on a cluster would save "
                                   f"{cents(saving)}/month at marginal cost, less than its "
                                   f"{cents(fixed)} fixed cost; no component needs a cluster "
                                   "of nodes"),
                "fixed_usd": None if prov in self.trigger else round(fixed, 2),
                "saving_usd": None if prov in self.trigger else round(saving, 2),
                "view": "marginal" if why else "standalone"}
        return out

    def clusters(self) -> frozenset[str]:
        """The providers with a cluster anyway: price their components at marginal cost."""
        return frozenset(p for p, d in self.decisions().items() if d["justified"])


@dataclass
class _Cluster:
    variable: float = 0.0  # the members' marginal cost (node share, LB units, own people)
    weight: float = 0.0  # the members' node share and LB units (the fixed cost's spreading key)
    http: bool = False
    maturity: str | None = None
    members: list[tuple[str, float, float]] = field(default_factory=list)
    functions_instead: float = 0.0
    required_by: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    required_count: int = 0
    required_variable: float = 0.0  # the required members' marginal cost
    against_verdict: int = 0
    existing: list[str] = field(default_factory=list)  # members whose team runs it already


@dataclass
class Portfolio:
    """Streams placements in; `summary()` gives the portfolio view (JSON contract)."""

    kb: KnowledgeBase
    decisions: dict[str, dict[str, Any]] | None = None  # `ClusterSurvey.decisions`, if made
    count: int = 0
    verdicts: dict[str, int] = field(default_factory=lambda: {"kubernetes": 0, "serverless": 0,
                                                             "hybrid": 0})
    all_k8s_variable: dict[str, float] = field(default_factory=dict)
    all_k8s_http: dict[str, bool] = field(default_factory=dict)
    all_k8s_maturity: dict[str, str] = field(default_factory=dict)
    all_sls: float = 0.0
    sls_infeasible: int = 0
    sls_infeasible_names: list[str] = field(default_factory=list)
    k8s_unpriced: int = 0  # GPU components with no sourced GPU node price (no nodes priced)
    k8s_unpriced_names: list[str] = field(default_factory=list)
    mix_functions: float = 0.0
    mix_containers: float = 0.0  # node-less containers (ECS on Fargate, Cloud Run): no cluster
    clusters: dict[str, _Cluster] = field(default_factory=dict)
    _stake: list[tuple[float, int, str, dict[str, Any]]] = field(default_factory=list)
    _close: list[tuple[float, int, str, dict[str, Any]]] = field(default_factory=list)

    def add(self, p: Placement) -> None:
        i = self.count
        self.count += 1
        self.verdicts[p.verdict] += 1
        self.all_k8s_variable[p.provider] = self.all_k8s_variable.get(p.provider, 0.0) + \
            p.marginal_usd
        self.all_k8s_http[p.provider] = self.all_k8s_http.get(p.provider, False) or p.http
        self.all_k8s_maturity[p.provider] = most_mature(self.all_k8s_maturity.get(p.provider),
                                                        p.maturity)
        if not p.priced:
            self.k8s_unpriced += 1
            if len(self.k8s_unpriced_names) < NAMES_KEPT:
                self.k8s_unpriced_names.append(p.name)
        if p.serverless_usd is None or p.serverless_excluded_by:
            self.sls_infeasible += 1
            if len(self.sls_infeasible_names) < NAMES_KEPT:
                self.sls_infeasible_names.append(p.name)
        else:
            self.all_sls += p.serverless_usd
        self.mix_functions += p.mix_functions_usd
        self.mix_containers += p.mix_containers_usd
        if p.needs_cluster:
            c = self.clusters.setdefault(p.provider, _Cluster())
            c.variable += p.mix_cluster_usd
            c.weight += p.mix_variable_usd
            c.http = c.http or p.http
            c.maturity = most_mature(c.maturity, p.maturity)
            c.members.append((p.name, p.mix_cluster_usd, p.mix_variable_usd))
            if p.existing_cluster and len(c.existing) < NAMES_KEPT:
                c.existing.append(p.name)
            if p.functions_instead_usd is None:
                c.required_count += 1
                c.required_variable += p.mix_cluster_usd
                if len(c.required_by) < NAMES_KEPT:
                    c.required_by.append((p.name, p.needs_nodes))
            else:
                c.functions_instead += p.functions_instead_usd - p.mix_functions_usd - \
                    p.mix_containers_usd
                if p.verdict != "serverless":
                    c.against_verdict += 1
        stake = p.at_stake_usd
        if stake is not None:
            item = {"name": p.name, "verdict": p.verdict, "at_stake_usd": round(stake, 2),
                    "kubernetes_usd": round(p.kubernetes_usd, 2), "kubernetes_view": p.view,
                    "marginal_usd": round(p.marginal_usd, 2),
                    "serverless_usd": round(p.serverless_usd or 0.0, 2)}
            _push(self._stake, (stake, -i, p.name, item))
        if p.flip is not None:
            fname, cur, to, verdict, assumed = p.flip
            d = flip_distance(fname, cur, to)
            factor = to / cur if cur > 0 and fname != "traffic.idle_fraction" else None
            item = {"name": p.name, "verdict": p.verdict, "field": fname, "from": cur, "to": to,
                    "flips_to": verdict, "factor": None if factor is None else round(factor, 3),
                    "assumed": assumed}
            _push(self._close, (-d, -i, p.name, item))

    def summary(self) -> dict[str, Any]:
        fixed_all = {prov: cluster_fixed_usd(self.kb, prov, self.all_k8s_http[prov],
                                             self.all_k8s_maturity[prov])
                     for prov in sorted(self.all_k8s_variable)}
        all_k8s_var = sum(self.all_k8s_variable.values())
        all_k8s_fixed = sum(sum(f.values()) for f in fixed_all.values())
        mix_clusters = []
        allocation = []
        mix_fixed = mix_cluster_var = 0.0
        for prov in sorted(self.clusters):
            c = self.clusters[prov]
            fixed = cluster_fixed_usd(self.kb, prov, c.http, c.maturity or "basic")
            fixed_total = sum(fixed.values())
            mix_fixed += fixed_total
            mix_cluster_var += c.variable
            mix_clusters.append(self._cluster_view(prov, c, fixed, fixed_total))
            for name, marginal, weight in c.members:
                share = allocated_share(fixed_total, weight, c.weight, len(c.members))
                allocation.append({"name": name, "provider": prov, "view": "allocated",
                                   "marginal_usd": round(marginal, 2),
                                   "fixed_share_usd": round(share, 2),
                                   "total_usd": round(marginal + share, 2)})
        mix_total = mix_cluster_var + mix_fixed + self.mix_functions + self.mix_containers
        return {
            "components": self.count,
            "verdicts": dict(self.verdicts),
            "strategies": {
                "all_kubernetes": {
                    "monthly_usd": round(all_k8s_var + all_k8s_fixed, 2),
                    "variable_usd": round(all_k8s_var, 2),
                    "fixed_usd": round(all_k8s_fixed, 2),
                    "clusters": sorted(fixed_all),
                    "not_priced_components": self.k8s_unpriced,
                    "not_priced_examples": self.k8s_unpriced_names,
                    "note": "" if not self.k8s_unpriced else
                    f"{plural(self.k8s_unpriced, 'GPU component')} with no sourced GPU node "
                    "price: its nodes are not in this total or the mix"},
                "all_serverless": {
                    "monthly_usd": round(self.all_sls, 2),
                    "feasible": self.sls_infeasible == 0,
                    "infeasible_components": self.sls_infeasible,
                    "infeasible_examples": self.sls_infeasible_names,
                    "note": "" if not self.sls_infeasible else
                    f"{plural(self.sls_infeasible, 'component')} cannot run on functions (hard "
                    "constraints or no functions); the total prices only the others"},
                "recommended_mix": {
                    "monthly_usd": round(mix_total, 2),
                    "cluster_variable_usd": round(mix_cluster_var, 2),
                    "cluster_fixed_usd": round(mix_fixed, 2),
                    "functions_usd": round(self.mix_functions, 2),
                    "containers_usd": round(self.mix_containers, 2),
                    "clusters": sorted(self.clusters)},
            },
            "clusters": mix_clusters,
            "cluster_decision": self.decisions or {},
            "allocation": allocation,
            "top_at_stake": [x[3] for x in sorted(self._stake, reverse=True)],
            "top_closest_to_flip": [x[3] for x in sorted(self._close, reverse=True)],
            "assumptions": [
                "one shared cluster per provider carries every component placed on Kubernetes",
                "a component's marginal cost on the cluster is the node share its pods "
                "request, its load balancer capacity units and its own operations effort",
                "the cluster's fixed cost (control plane, load balancer, the people who run "
                "the cluster at the DevOps maturity of its most mature member) is allocated "
                "in proportion to node share and load balancer units (OpenCost-style)",
                "a component whose Kubernetes runs on a node-less platform (ECS on Fargate, "
                "Cloud Run) runs there in the mix, with no cluster",
                "a hybrid without parts is priced as a Kubernetes verdict (its split is not "
                "in the profile)",
                "money at stake is the gap between the two figures the verdict compared: "
                "Kubernetes in its view and functions; none where a hard constraint "
                "excludes either"],
        }

    def _cluster_view(self, prov: str, c: _Cluster, fixed: dict[str, float],
                      fixed_total: float) -> dict[str, Any]:
        with_cluster = c.variable + fixed_total
        members = len(c.members)
        its = f"its {members} components" if members != 1 else "its one component"
        cost = "cost" if members != 1 else "costs"
        view: dict[str, Any] = {
            "provider": prov, "components": members,
            "variable_usd": round(c.variable, 2),
            "fixed_usd": {k: round(v, 2) for k, v in fixed.items()},
            "fixed_total_usd": round(fixed_total, 2),
            "fixed_share_of_cost": round(fixed_total / with_cluster, 4) if with_cluster else 0.0,
            "with_cluster_usd": round(with_cluster, 2),
        }
        without = c.functions_instead
        if c.required_count:
            rest = members - c.required_count
            rest_on = c.variable - c.required_variable
            named = "; ".join(f"{n}: {', '.join(b)}" for n, b in c.required_by[:3]) + \
                ("; ..." if c.required_count > 3 else "")
            view["justified"] = "required"
            view["required_by"] = [{"name": n, "because": list(b)} for n, b in c.required_by]
            view["required_count"] = c.required_count
            view["others_on_cluster_usd"] = round(rest_on, 2)
            view["others_off_cluster_usd"] = round(without, 2)
            view["message"] = (
                f"The {prov} cluster is required by {plural(c.required_count, 'component')} "
                f"({named}) that no node-less platform runs; its fixed cost "
                f"{cents(fixed_total)}/month. It costs {cents(with_cluster)}/month with {its} "
                f"({fixed_total / with_cluster:.0%} fixed)"
                + ("." if not rest else
                   f"; the other {rest} cost {cents(rest_on)} at marginal cost on it and "
                   f"{cents(without)} off it (functions or node-less containers)."))
            return view
        gap = without - with_cluster
        view["without_cluster_usd"] = round(without, 2)
        view["difference_usd"] = round(abs(gap), 2)
        view["moved_against_verdict"] = c.against_verdict
        if c.existing:  # its fixed cost is paid whatever the estate decides
            named = ", ".join(c.existing[:3]) + (", ..." if len(c.existing) > 3 else "")
            view["justified"] = "existing"
            view["existing_for"] = list(c.existing)
            view["message"] = (
                f"The {prov} cluster exists already ({named}: the team runs one); its fixed "
                f"cost {cents(fixed_total)}/month is paid either way. {its.capitalize()} "
                f"{cost} {cents(c.variable)}/month on it at marginal cost and "
                f"{cents(without)} off it (functions or node-less containers).")
            return view
        if gap > 0:
            view["justified"] = "yes"
            view["message"] = (
                f"The {prov} cluster is justified: {its} {cost} "
                f"{cents(with_cluster)}/month on it ({cents(fixed_total)} of it fixed) and "
                f"{cents(without)} off it (functions or node-less containers); the cluster "
                f"saves {cents(gap)}/month.")
        else:
            view["justified"] = "no"
            view["message"] = (
                f"The {prov} cluster is not justified by cost: {its} {cost} "
                f"{cents(with_cluster)}/month on it ({cents(fixed_total)} of it fixed, "
                f"{fixed_total / with_cluster:.0%}) and {cents(without)} off it (functions or "
                f"node-less containers), {cents(-gap)}/month less. No component needs a "
                "cluster of nodes; "
                f"{c.against_verdict} of {members} would run against runplan's verdict "
                "(see their reasons).")
        return view


def allocated_share(fixed_total: float, weight: float, weights: float, members: int) -> float:
    """A member's share of a cluster's fixed cost: in proportion to its node share and load
    balancer units (OpenCost's idle and shared-cost allocation), evenly when none has any."""
    return fixed_total * (weight / weights) if weights > 0 else fixed_total / members


def _push(heap: list[tuple[float, int, str, dict[str, Any]]],
          item: tuple[float, int, str, dict[str, Any]]) -> None:
    """Keep the TOP largest by (key, earlier first)."""
    if len(heap) < TOP:
        heapq.heappush(heap, item)
    elif item[:2] > heap[0][:2]:
        heapq.heapreplace(heap, item)
