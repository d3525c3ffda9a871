"""Kubernetes on nodes: the model of its bill, and the bill as a report holds it.

The bill itself is written once, over arrays, in `cost.vector.nodes_bill` (a single
component's report is its one-row case); this module holds the model's constants and the
report's form of the bill (`KubernetesCost`).

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
from dataclasses import dataclass

from runplan.cost.serverless import LineItem, add_up

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
