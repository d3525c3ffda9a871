"""Monthly cost of running a workload as pods on Kubernetes, by line item.

Replicas per hour come from the CPU the hour's load needs (rate x CPU ms per request, at the
target utilisation), never fewer than `min_replicas`: the pods run every hour, busy or idle
(article §3, "all of this capacity is always on"). On a new cluster the pods are packed onto
whole nodes of the cheapest fitting type (at least two nodes when there are two replicas, so a
node failure does not take the service down), nodes added for a rise are billed from
`scale_up_lag_s` before they serve and kept `scale_down_delay_s` after the load falls. On an
existing cluster the component pays for the share of a node its pods request (OpenCost's
allocation) and a 1/N share of the cluster's fixed cost, N = `shared_cluster_components`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from runplan.cost.serverless import LineItem
from runplan.cost.traffic import Shape
from runplan.kbase import FrontDoor, KubernetesPricing, NodeType, Operations


@dataclass(frozen=True)
class KubernetesCost:
    items: tuple[LineItem, ...]
    node_type: str
    max_replicas: int
    fixed_usd: float
    people_usd: float

    @property
    def monthly_usd(self) -> float:
        return sum(i.monthly_usd for i in self.items)


def replicas_per_hour(shape: Shape, cpu_ms: float, ops: Operations) -> list[int]:
    """Pods needed each hour to serve the hour's rate at the target CPU utilisation."""
    per_pod = ops.pod_vcpu * ops.target_utilisation
    out = []
    for h in range(len(shape.load_rps)):
        vcpu = shape.rate_to_serve(h) * cpu_ms / 1000
        out.append(max(ops.min_replicas, math.ceil(round(vcpu / per_pod, 9))))
    return out


def _pods_per_node(node: NodeType, pod_vcpu: float, pod_gib: float, ops: Operations) -> int:
    usable_cpu = node.vcpu * ops.node_allocatable_fraction
    usable_mem = node.memory_gib * ops.node_allocatable_fraction
    return int(min(usable_cpu // pod_vcpu, usable_mem // pod_gib))


def _node_hours(replicas: list[int], per_node: int, ops: Operations) -> float:
    """Node-hours over the month, with boot lag on rises and the hold after falls."""
    floor = 2 if ops.min_replicas >= 2 else 1
    nodes = [max(floor, math.ceil(r / per_node)) for r in replicas]
    total = float(sum(nodes))
    for prev, cur in itertools.pairwise(nodes):
        if cur > prev:
            total += (cur - prev) * ops.scale_up_lag_s / 3600
        elif cur < prev:
            total += (prev - cur) * ops.scale_down_delay_s / 3600
    return total


def kubernetes_monthly_cost(
    shape: Shape, cpu_ms: float, memory_mb: float, k8s: KubernetesPricing, door: FrontDoor,
    ops: Operations, http: bool, existing_cluster: bool,
) -> KubernetesCost:
    """Nodes (or the node share), control plane, load balancer and the ops share, per month."""
    hours = len(shape.load_rps)
    replicas = replicas_per_hour(shape, cpu_ms, ops)
    pod_gib = memory_mb / 1024
    share = 1 / ops.shared_cluster_components if existing_cluster else 1.0
    best: tuple[float, NodeType, float] | None = None
    for node in k8s.node_types:
        per_node = _pods_per_node(node, ops.pod_vcpu, pod_gib, ops)
        if per_node < 1:
            continue
        if existing_cluster:
            fraction = max(ops.pod_vcpu / (node.vcpu * ops.node_allocatable_fraction),
                           pod_gib / (node.memory_gib * ops.node_allocatable_fraction))
            quantity = sum(replicas) * fraction
        else:
            quantity = _node_hours(replicas, per_node, ops)
        cost = quantity * node.hourly_usd
        if best is None or cost < best[0] - 1e-12:
            best = (cost, node, quantity)
    items: list[LineItem] = []
    if best is None:  # no node type fits one pod: price whole largest nodes, one pod each
        node = max(k8s.node_types, key=lambda n: (n.memory_gib, n.vcpu))
        quantity = float(sum(replicas))
        best = (quantity * node.hourly_usd, node, quantity)
        note = f"no node type fits a {memory_mb:g} MB pod; priced one pod per {node.name}"
    else:
        note = (f"{'node share' if existing_cluster else 'whole nodes'} of {best[1].name} "
                f"at ${best[1].hourly_usd:g}/h")
    items.append(LineItem("nodes" if not existing_cluster else "node share", best[2],
                          "node-hours", best[0], note))
    control = k8s.control_plane_hourly_usd * hours * share
    people = ops.ops_fte_per_cluster * ops.fte_monthly_usd * share
    shared = f" (1/{ops.shared_cluster_components:g} share of an existing cluster)" \
        if existing_cluster else " (a new cluster)"
    items.append(LineItem("control plane", hours * share, "cluster-hours", control,
                          f"${k8s.control_plane_hourly_usd:g}/h{shared}"))
    if http:
        lcu_hours = sum(shape.rate_to_serve(h) / door.capacity_unit_new_connections_per_s
                        for h in range(hours) if shape.load_rps[h] > 0)
        lb = door.load_balancer_hourly_usd * hours * share
        items.append(LineItem("load balancer", hours * share, "LB-hours", lb,
                              f"${door.load_balancer_hourly_usd:g}/h{shared}"))
        items.append(LineItem("load balancer capacity units", lcu_hours, "LCU-hours",
                              lcu_hours * door.capacity_unit_hourly_usd,
                              f"one new connection per request, "
                              f"{door.capacity_unit_new_connections_per_s:g}/s per unit"))
    items.append(LineItem("operations (people)", ops.ops_fte_per_cluster * share, "FTE", people,
                          f"{ops.ops_fte_per_cluster:g} FTE per cluster x "
                          f"${ops.fte_monthly_usd:,.0f}/month{shared}"))
    fixed = control + people + (door.load_balancer_hourly_usd * hours * share if http else 0.0)
    return KubernetesCost(tuple(items), best[1].name, max(replicas), fixed, people)
