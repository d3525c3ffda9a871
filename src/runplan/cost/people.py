"""People cost: the operations effort a platform needs, priced at the organisation's FTE cost.

The one place that turns kbase's effort figures (`operations.people`, by platform kind and
DevOps maturity) into money; the Kubernetes bill, the serverless bill, the array twin and the
portfolio all read it here, so the people figure of a component is the same wherever it is
printed and is counted once in each bill.

Platform kinds: `nodes` (a cluster on nodes the team runs), `nodeless` (EKS/ECS on Fargate,
GKE Autopilot: the provider runs the nodes), `serverless` (functions, serverless containers:
no cluster). Views of a cluster's cost (`VIEWS`):

- `marginal`: the component joins a cluster that exists or is justified anyway; it pays its
  own per-service effort only, the cluster's effort being paid already;
- `standalone`: a new cluster for this component alone; it pays the cluster's effort and its
  own per-service effort;
- `allocated`: the estate's shared cluster, its fixed cost (the cluster's effort among it)
  spread over its members in proportion to their variable cost (`portfolio`).
"""

from __future__ import annotations

from runplan.fmt import num, whole
from runplan.kbase import Operations

VIEWS = ("marginal", "standalone", "allocated")
PEOPLE_ITEM = "operations (people)"  # the line item each bill carries its people cost in
KINDS = ("nodes", "nodeless", "serverless")


def cluster_fte(ops: Operations, kind: str, maturity: str) -> float:
    """Full-time engineers to run one cluster of this kind (0 where there is no cluster)."""
    return ops.cluster_fte.get(kind, {}).get(maturity, 0.0)


def service_fte(ops: Operations, kind: str, maturity: str) -> float:
    """Full-time engineers to run one more service on a platform of this kind."""
    return ops.service_fte[kind][maturity]


def people_fte(ops: Operations, kind: str, maturity: str, view: str) -> float:
    """The effort a component's bill carries in `view`: its own service effort, plus the
    cluster's effort when it stands a cluster up alone. (Allocated: the service effort; the
    cluster's effort comes with the fixed-cost share.)"""
    own = service_fte(ops, kind, maturity)
    return own + cluster_fte(ops, kind, maturity) if view == "standalone" else own


def people_usd(ops: Operations, kind: str, maturity: str, view: str) -> float:
    """`people_fte` in USD per month."""
    return people_fte(ops, kind, maturity, view) * ops.fte_monthly_usd


def people_note(ops: Operations, kind: str, maturity: str, view: str) -> str:
    """What a people line item is priced on, in words."""
    own = service_fte(ops, kind, maturity)
    cost = f"{whole(ops.fte_monthly_usd)}/FTE-month"
    if view == "standalone" and cluster_fte(ops, kind, maturity):
        return (f"{num(cluster_fte(ops, kind, maturity), 6)} FTE to run a new cluster + "
                f"{num(own, 6)} FTE for the service ({maturity} DevOps maturity) x {cost}")
    return f"{num(own, 6)} FTE for the service ({maturity} DevOps maturity) x {cost}"
