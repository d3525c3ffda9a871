"""Monthly cost of running a workload as pods on Kubernetes, by line item.

Replicas per hour come from the CPU the hour's load needs (rate x CPU ms per request, at the
target utilisation), never fewer than `min_replicas`: the pods run every hour, busy or idle
(article §3, "all of this capacity is always on"). On a new cluster the pods are packed onto
whole nodes of the cheapest fitting type (at least two nodes when there are two replicas, so a
node failure does not take the service down), nodes added for a rise are billed from
`scale_up_lag_s` before they serve and kept `scale_down_delay_s` after the load falls.

The bill is in one of two views (`cost.people`): *standalone*, a new cluster for this component
alone (whole nodes, the control plane, a load balancer, the people to run a cluster and the
service); *marginal*, the component joining a cluster that exists or is justified anyway (the
share of a node its pods request, OpenCost's allocation; its load-balancer capacity units;
its own per-service operations effort). The third view, *allocated*, needs the whole estate
and is made by `portfolio` from the marginal bill.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from runplan.cost.people import PEOPLE_ITEM, people_fte, people_note, people_usd
from runplan.cost.serverless import LineItem, add_up
from runplan.cost.traffic import Layout, Shape
from runplan.fmt import num, rate
from runplan.kbase import FrontDoor, KubernetesPricing, NodeType, Operations

CHEAPER_BY = 1e-12  # a later node type replaces an earlier one only if cheaper by more


@dataclass(frozen=True)
class KubernetesCost:
    items: tuple[LineItem, ...]
    node_type: str
    max_replicas: int
    fixed_usd: float  # control plane and load balancer (nothing in the marginal view)
    people_usd: float
    view: str  # marginal | standalone
    platform: str = ""  # the kbase platform it is the bill of (`estimate.model_bills`)

    @functools.cached_property  # read several times per component; the items never change
    def monthly_usd(self) -> float:
        return add_up(i.monthly_usd for i in self.items)


def replicas_per_level(shape: Shape, cpu_ms: float, ops: Operations) -> tuple[int, ...]:
    """Pods needed at each level of the shape to serve its rate at the target utilisation."""
    per_pod = ops.pod_vcpu * ops.target_utilisation
    return tuple(max(ops.min_replicas, math.ceil(round(rate * cpu_ms / 1000 / per_pod, 9)))
                 for rate in shape.serve)


def replicas_per_hour(shape: Shape, cpu_ms: float, ops: Operations) -> list[int]:
    """Pods needed each hour (the levels' replicas, hour by hour)."""
    per_level = replicas_per_level(shape, cpu_ms, ops)
    return [per_level[level] for level in shape.layout.sequence]


def _pods_per_node(node: NodeType, pod_vcpu: float, pod_gib: float, ops: Operations) -> int:
    usable_cpu = node.vcpu * ops.node_allocatable_fraction
    usable_mem = node.memory_gib * ops.node_allocatable_fraction
    return int(min(usable_cpu // pod_vcpu, usable_mem // pod_gib))


def _node_hours(replicas: tuple[int, ...], layout: Layout, per_node: int, ops: Operations,
                ) -> float:
    """Node-hours over the month, with boot lag on rises and the hold after falls."""
    floor = 2 if ops.min_replicas >= 2 else 1
    nodes = [max(floor, math.ceil(r / per_node)) for r in replicas]
    total = float(sum(nodes[level] * n for level, n in layout.counts))
    for (prev, cur), n in layout.transitions:
        if prev < 0:
            continue
        if nodes[cur] > nodes[prev]:
            total += n * (nodes[cur] - nodes[prev]) * ops.scale_up_lag_s / 3600
        elif nodes[cur] < nodes[prev]:
            total += n * (nodes[prev] - nodes[cur]) * ops.scale_down_delay_s / 3600
    return total


@dataclass(slots=True)  # a value, not frozen: see runplan.advise.Reason
class KubernetesAmounts:
    """The figures of a Kubernetes bill before they become line items (`kubernetes_amounts`)."""

    node: NodeType
    node_quantity: float  # node-hours, or the node share's node-hours (marginal)
    node_usd: float
    fits: bool  # False: no node type fits one pod, priced one pod per largest node
    standalone: bool  # False: the marginal view (no control plane or load balancer hours)
    control_usd: float
    people_usd: float
    lb_usd: float | None  # None: not an HTTP component
    lcu_hours: float
    lcu_usd: float
    max_replicas: int

    def usd(self) -> tuple[float, ...]:
        """The line items' amounts in bill order (the one order both totals sum in)."""
        if not self.standalone:
            return (self.node_usd, self.people_usd) if self.lb_usd is None else \
                (self.node_usd, self.lcu_usd, self.people_usd)
        if self.lb_usd is None:
            return (self.node_usd, self.control_usd, self.people_usd)
        return (self.node_usd, self.control_usd, self.lb_usd, self.lcu_usd, self.people_usd)

    @property
    def monthly_usd(self) -> float:
        return add_up(self.usd())

    @property
    def fixed_usd(self) -> float:
        """The control plane and load balancer (people are their own figure, `people_usd`)."""
        return self.control_usd + (self.lb_usd or 0.0)

    @property
    def variable_usd(self) -> float:
        """The node share and load balancer capacity units: what the component adds to a
        shared cluster's infrastructure bill (`portfolio` spreads fixed cost over this)."""
        return add_up((self.node_usd, self.lcu_usd) if self.lb_usd is not None
                      else (self.node_usd,))


def kubernetes_amounts(
    shape: Shape, cpu_ms: float, memory_mb: float, k8s: KubernetesPricing, door: FrontDoor,
    ops: Operations, http: bool, view: str, maturity: str,
) -> KubernetesAmounts:
    """Nodes (or the node share), control plane, load balancer and people, per month, in
    `view` (marginal | standalone), as numbers only: what the break-even scan and the flip
    probes need, without the notes."""
    hours = shape.layout.hours
    counts = shape.layout.counts
    replicas = replicas_per_level(shape, cpu_ms, ops)
    replica_hours = sum(replicas[level] * n for level, n in counts)
    pod_gib = memory_mb / 1024
    standalone = view == "standalone"
    best: tuple[float, NodeType, float] | None = None
    for node in k8s.node_types:
        per_node = _pods_per_node(node, ops.pod_vcpu, pod_gib, ops)
        if per_node < 1:
            continue
        if not standalone:
            fraction = max(ops.pod_vcpu / (node.vcpu * ops.node_allocatable_fraction),
                           pod_gib / (node.memory_gib * ops.node_allocatable_fraction))
            quantity = replica_hours * fraction
        else:
            quantity = _node_hours(replicas, shape.layout, per_node, ops)
        cost = quantity * node.hourly_usd
        if best is None or cost < best[0] - CHEAPER_BY:
            best = (cost, node, quantity)
    fits = best is not None
    if best is None:  # no node type fits one pod: price whole largest nodes, one pod each
        node = max(k8s.node_types, key=lambda n: (n.memory_gib, n.vcpu))
        quantity = float(replica_hours)
        best = (quantity * node.hourly_usd, node, quantity)
    lb = lcu_hours = lcu = None
    if http:
        lcu_hours = add_up(n * shape.serve[level] / door.capacity_unit_new_connections_per_s
                           for level, n in counts if shape.load[level] > 0)
        lb = door.load_balancer_hourly_usd * hours if standalone else 0.0
        lcu = lcu_hours * door.capacity_unit_hourly_usd
    return KubernetesAmounts(
        best[1], best[2], best[0], fits, standalone,
        k8s.control_plane_hourly_usd * hours if standalone else 0.0,
        people_usd(ops, "nodes", maturity, view), lb, lcu_hours or 0.0, lcu or 0.0,
        max(replicas[level] for level, _ in counts))


def kubernetes_monthly_cost(
    shape: Shape, cpu_ms: float, memory_mb: float, k8s: KubernetesPricing, door: FrontDoor,
    ops: Operations, http: bool, view: str, maturity: str,
) -> KubernetesCost:
    """`kubernetes_amounts` as line items with what each is priced on."""
    a = kubernetes_amounts(shape, cpu_ms, memory_mb, k8s, door, ops, http, view, maturity)
    hours = shape.layout.hours
    if not a.fits:
        note = f"no node type fits a {num(memory_mb, 6)} MB pod; priced one pod per {a.node.name}"
    else:
        note = (f"{'whole nodes' if a.standalone else 'node share'} of {a.node.name} "
                f"at {rate(a.node.hourly_usd)}/h")
    items: list[LineItem] = [LineItem("nodes" if a.standalone else "node share",
                                      a.node_quantity, "node-hours", a.node_usd, note)]
    if a.standalone:
        items.append(LineItem("control plane", hours, "cluster-hours", a.control_usd,
                              f"{rate(k8s.control_plane_hourly_usd)}/h (a new cluster)"))
    if a.lb_usd is not None:
        if a.standalone:
            items.append(LineItem("load balancer", hours, "LB-hours", a.lb_usd,
                                  f"{rate(door.load_balancer_hourly_usd)}/h (a new cluster)"))
        items.append(LineItem("load balancer capacity units", a.lcu_hours, "LCU-hours",
                              a.lcu_usd,
                              f"one new connection per request, "
                              f"{num(door.capacity_unit_new_connections_per_s, 6)}/s per unit"))
    items.append(LineItem(PEOPLE_ITEM, people_fte(ops, "nodes", maturity, view), "FTE",
                          a.people_usd,
                          people_note(ops, "nodes", maturity, view)))
    return KubernetesCost(tuple(items), a.node.name, a.max_replicas, a.fixed_usd, a.people_usd,
                          view)
