"""The vocabulary rules may read: profile fields, cost-core facts and facts about parts.

Profile fields come from the profile (resolved, so never missing); the others are computed
before inference. A rule file naming anything else is rejected when it is loaded.
"""

from __future__ import annotations

from runplan.profile import FIELD_PATHS

COST_FACTS: dict[str, str] = {
    "cost.kubernetes_platform": "the platform the Kubernetes figures are the bill of (the "
                                "cheapest that fits: EKS on nodes, ECS on Fargate, ...)",
    "cost.kubernetes_platform_view": "the view of that platform's own bill: standalone, "
                                     "marginal or per-use (ECS on Fargate: no cluster to "
                                     "pay for); what the cost reasons name",
    "cost.serverless_platform": "the platform the serverless figures are the bill of (the "
                                "cheapest that fits: Lambda, Cloud Run services, ...)",
    "cost.view": "the view the Kubernetes figures are in: marginal (joining a cluster that "
                 "exists or is justified anyway) or standalone (a new cluster for it alone)",
    "cost.kubernetes_runs_cluster": "the Kubernetes platform is a cluster the team runs: "
                                    "nodes (EKS, GKE Standard, AKS, on-premises) or a control "
                                    "plane it upgrades (EKS on Fargate); false on node-less "
                                    "platforms with no cluster to run (ECS on Fargate, GKE "
                                    "Autopilot, Container Apps)",
    "cost.kubernetes_usd": "Kubernetes monthly cost in cost.view, people included, USD",
    "cost.serverless_usd": "serverless monthly cost, people included, USD (null where no "
                           "functions exist)",
    "cost.people_usd": "the people (operations) line of the Kubernetes cost in cost.view, "
                       "USD per month; already inside cost.kubernetes_usd and cost.ratio",
    "cost.fixed_usd": "Kubernetes fixed infrastructure in cost.view (control plane, load "
                      "balancer; 0 when marginal), USD/month; people not included",
    "cost.ratio": "Kubernetes cost / serverless cost",
    "cost.saving_usd": "Kubernetes cost minus serverless cost, USD per month",
    "cost.break_even_rps": "average rps at which both models cost the same (null: never)",
    "cold_start.platform": "the platform the cold_start figures are of: the serverless "
                           "model's (Lambda, Cloud Run services, ...; functions where none "
                           "fits)",
    "cold_start.share": "share of requests that meet a cold start, 0..1",
    "cold_start.added_ms": "latency a cold start adds, ms",
    "cold_start.p99_ms": "estimated p99 latency on the serverless platform, ms",
    "cold_start.breaches_slo": "cold starts push the p99 estimate over latency.p99_slo_ms, "
                               "which the warm path meets (provisioned concurrency fixes it)",
    "cold_start.warm_p99_ms": "the warm path on the serverless platform: duration plus "
                              "invoke overhead, ms",
    "cold_start.p99_to_slo": "the p99 estimate on the serverless platform / "
                             "latency.p99_slo_ms",
    "cold_start.warm_to_slo": "the warm path on the serverless platform / latency.p99_slo_ms "
                              "(over 1: no warm instance meets the objective)",
    "limits.functions_available": "the provider offers managed functions",
    "limits.platform": "the platform the limits are of: the serverless model's (the "
                       "functions where none fits)",
    "limits.function_max_duration_s": "the time limit of limits.platform for this kind, s "
                                      "(null: none, as Container Apps jobs)",
    "limits.function_memory_max_mb": "the memory ceiling of limits.platform, MB",
    "limits.exceeds_duration": "execution.max_duration_s is over the function time limit",
    "limits.exceeds_memory": "execution.memory_mb is over the function memory ceiling",
    "limits.gpu_unavailable": "a GPU is needed and functions have none",
    "limits.connections_unsupported": "long-lived connections are needed and functions cannot hold them",
    "limits.peak_concurrency": "peak rps x duration: instances busy at the peak",
    "limits.exceeds_concurrency": "peak concurrency is over the provider's concurrency quota",
    "traffic.peak_to_avg": "traffic.peak_rps / traffic.avg_rps",
    "traffic.avg_concurrency": "traffic.avg_rps x execution.avg_duration_ms: requests in "
                               "flight on average (instances busy, one request each)",
}
PART_FACTS: dict[str, str] = {
    "parts.count": "number of parts (0 for a component without parts)",
    "parts.kubernetes": "parts whose own verdict is kubernetes",
    "parts.serverless": "parts whose own verdict is serverless",
    "parts.hybrid": "parts whose own verdict is hybrid",
}
KNOWN_FIELDS: frozenset[str] = frozenset(FIELD_PATHS.values()) | frozenset(COST_FACTS) | \
    frozenset(PART_FACTS)
