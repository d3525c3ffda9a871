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

A GPU component (`execution.gpu`) runs on the provider's GPU node types
(`kubernetes.gpu_node_types`), each replica taking `GPUS_PER_REPLICA` of a node's GPUs: the GPU
is the resource that fills a node (a g5.xlarge holds one replica), and in the marginal view a
replica's share of a node is at least its share of the node's GPUs. A provider with no sourced
GPU node price leaves the nodes bill not priced (`KubernetesAmounts.priced`): the report says
so instead of printing a CPU node's price.
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
# GPUs one replica of a GPU component needs (the profile has no GPU count: one GPU per replica).
GPUS_PER_REPLICA = 1


@dataclass(frozen=True)
class KubernetesCost:
    items: tuple[LineItem, ...]
    node_type: str
    max_replicas: int
    fixed_usd: float  # control plane and load balancer (nothing in the marginal view)
    people_usd: float
    view: str  # marginal | standalone
    platform: str = ""  # the kbase platform it is the bill of (`estimate.model_bills`)
    priced: bool = True  # False: a GPU component on a provider with no sourced GPU node price

    @functools.cached_property  # read several times per component; the items never change
    def monthly_usd(self) -> float:
        return add_up(i.monthly_usd for i in self.items)

    @property
    def priced_usd(self) -> float | None:
        """The monthly total as a report shows it: None when the nodes are not priced (a GPU
        component with no sourced GPU node price), never a bill without its nodes."""
        return self.monthly_usd if self.priced else None


def replicas_per_level(shape: Shape, cpu_ms: float, ops: Operations) -> tuple[int, ...]:
    """Pods needed at each level of the shape to serve its rate at the target utilisation."""
    per_pod = ops.pod_vcpu * ops.target_utilisation
    return tuple(max(ops.min_replicas, math.ceil(round(rate * cpu_ms / 1000 / per_pod, 9)))
                 for rate in shape.serve)


def replicas_per_hour(shape: Shape, cpu_ms: float, ops: Operations) -> list[int]:
    """Pods needed each hour (the levels' replicas, hour by hour)."""
    per_level = replicas_per_level(shape, cpu_ms, ops)
    return [per_level[level] for level in shape.layout.sequence]


def node_types_for(k8s: KubernetesPricing, gpu: bool) -> tuple[NodeType, ...]:
    """The node types a component's pods run on: GPU node types for a GPU component."""
    return k8s.gpu_node_types if gpu else k8s.node_types


def _pods_per_node(node: NodeType, pod_vcpu: float, pod_gib: float, ops: Operations,
                   gpu: bool) -> int:
    usable_cpu = node.vcpu * ops.node_allocatable_fraction
    usable_mem = node.memory_gib * ops.node_allocatable_fraction
    fit = min(usable_cpu // pod_vcpu, usable_mem // pod_gib)
    return int(min(fit, node.gpus // GPUS_PER_REPLICA) if gpu else fit)


def _node_fraction(node: NodeType, pod_vcpu: float, pod_gib: float, ops: Operations,
                   gpu: bool) -> float:
    """A pod's share of a node (the marginal view): its largest share of any resource the
    node has, the GPUs (wholly allocatable) for a GPU component."""
    share = max(pod_vcpu / (node.vcpu * ops.node_allocatable_fraction),
                pod_gib / (node.memory_gib * ops.node_allocatable_fraction))
    return max(share, GPUS_PER_REPLICA / node.gpus) if gpu else share


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

    node: NodeType | None  # None: not priced (no GPU node type for a GPU component)
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
    gpu: bool = False  # priced on GPU node types

    @property
    def priced(self) -> bool:
        """False: a GPU component on a provider with no sourced GPU node price; the amounts
        then hold no node cost and the bill is reported as not priced."""
        return self.node is not None

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
    ops: Operations, http: bool, view: str, maturity: str, gpu: bool = False,
) -> KubernetesAmounts:
    """Nodes (or the node share), control plane, load balancer and people, per month, in
    `view` (marginal | standalone), as numbers only: what the break-even scan and the flip
    probes need, without the notes. A GPU component (`gpu`) is placed on GPU node types."""
    hours = shape.layout.hours
    counts = shape.layout.counts
    replicas = replicas_per_level(shape, cpu_ms, ops)
    replica_hours = sum(replicas[level] * n for level, n in counts)
    pod_gib = memory_mb / 1024
    standalone = view == "standalone"
    types = node_types_for(k8s, gpu)
    best: tuple[float, NodeType, float] | None = None
    for node in types:
        per_node = _pods_per_node(node, ops.pod_vcpu, pod_gib, ops, gpu)
        if per_node < 1:
            continue
        if not standalone:
            quantity = replica_hours * _node_fraction(node, ops.pod_vcpu, pod_gib, ops, gpu)
        else:
            quantity = _node_hours(replicas, shape.layout, per_node, ops)
        cost = quantity * node.hourly_usd
        if best is None or cost < best[0] - CHEAPER_BY:
            best = (cost, node, quantity)
    fits = best is not None
    chosen: NodeType | None = None
    if best is not None:
        node_usd, chosen, quantity = best
    elif types:  # no node type fits one pod: price whole largest nodes, one pod each
        chosen = max(types, key=lambda n: (n.memory_gib, n.vcpu))
        quantity = float(replica_hours)
        node_usd = quantity * chosen.hourly_usd
    else:  # a GPU component and no sourced GPU node type: the nodes are not priced
        quantity, node_usd = float(replica_hours), 0.0
    lb = lcu_hours = lcu = None
    if http:
        lcu_hours = add_up(n * shape.serve[level] / door.capacity_unit_new_connections_per_s
                           for level, n in counts if shape.load[level] > 0)
        lb = door.load_balancer_hourly_usd * hours if standalone else 0.0
        lcu = lcu_hours * door.capacity_unit_hourly_usd
    return KubernetesAmounts(
        chosen, quantity, node_usd, fits, standalone,
        k8s.control_plane_hourly_usd * hours if standalone else 0.0,
        people_usd(ops, "nodes", maturity, view), lb, lcu_hours or 0.0, lcu or 0.0,
        max(replicas[level] for level, _ in counts), gpu)


def kubernetes_monthly_cost(
    shape: Shape, cpu_ms: float, memory_mb: float, k8s: KubernetesPricing, door: FrontDoor,
    ops: Operations, http: bool, view: str, maturity: str, gpu: bool = False,
) -> KubernetesCost:
    """`kubernetes_amounts` as line items with what each is priced on."""
    a = kubernetes_amounts(shape, cpu_ms, memory_mb, k8s, door, ops, http, view, maturity, gpu)
    hours = shape.layout.hours
    what = "GPU node type" if gpu else "node type"
    if a.node is None:
        note = (f"not priced: no sourced GPU node price in kbase; {GPUS_PER_REPLICA} GPU per "
                f"replica, {num(a.node_quantity, 6)} replica-hours")
    elif not a.fits:
        note = f"no {what} fits a {num(memory_mb, 6)} MB pod; priced one pod per {a.node.name}"
    else:
        note = (f"{'whole nodes' if a.standalone else 'node share'} of {a.node.name} "
                f"at {rate(a.node.hourly_usd)}/h")
        if gpu:
            note += (f" ({a.node.gpus} x {a.node.gpu_model} per node, {GPUS_PER_REPLICA} GPU "
                     f"per replica)")
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
    node_name = "not priced (no GPU node type)" if a.node is None else a.node.name
    return KubernetesCost(tuple(items), node_name, a.max_replicas, a.fixed_usd, a.people_usd,
                          view, priced=a.priced)
