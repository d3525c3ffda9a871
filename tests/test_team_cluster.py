"""Issue 12's loose ends: the team rules know whether the Kubernetes option is a cluster the
team runs (`cost.kubernetes_runs_cluster`), and the cold starts and the time limit are those
of the platform the serverless model runs on (Cloud Run services, Container Apps), not always
the functions'."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from click.testing import CliRunner

from runplan.advise import Advisor, Result
from runplan.cli import main
from runplan.cost.estimate import probe_facts
from runplan.kbase import KnowledgeBase
from runplan.profile import Component, resolve

from .conftest import EXAMPLES

# A queue worker for a team of four at basic DevOps maturity with no cluster yet: 800 ms a
# message, 40 ms of it CPU, 3,008 MB, 600 messages a second, steady.
WORKER: dict[str, Any] = {
    "name": "w", "kind": "worker", "traffic": {"pattern": "steady", "avg_rps": 600},
    "execution": {"avg_duration_ms": 800, "cpu_ms": 40, "memory_mb": 3008, "runtime": "python"},
    "team": {"devops_maturity": "basic", "existing_cluster": False}}


def _advise(advisor: Advisor, profile: dict[str, Any]) -> Result:
    return advisor.advise(Component.model_validate(profile), flips=False)


def test_which_platforms_are_a_cluster_the_team_runs(kb: KnowledgeBase) -> None:
    """Nodes always; EKS on Fargate too (the team initiates its version upgrades and runs its
    add-ons, AWS runs the nodes); not ECS on Fargate (no cluster), GKE Autopilot (Google runs
    the nodes and upgrades the cluster), App Runner or Container Apps."""
    got = {pl.name: pl.team_runs_cluster for p in kb.providers.values() for pl in p.platforms
           if pl.model == "kubernetes"}
    assert got == {"aws-ecs-fargate": False, "aws-eks-fargate": True, "aws-app-runner": False,
                   "aws-eks-nodes": True, "gcp-gke-autopilot": False, "gcp-gke-standard": True,
                   "azure-container-apps-dedicated": False, "azure-aks": True,
                   "on-prem-kubernetes": True}


def test_no_cluster_risk_on_ecs_fargate_but_on_aks(advisor: Advisor) -> None:
    """The same worker and team. On AWS the Kubernetes model runs on ECS on Fargate: no
    cluster to run, so TEAM-OPS-LOW-002 (+0.5) instead of the cluster risk (+2), and no
    small-team reason; kubernetes 6.9 (cost, 3% of Lambda's bill) + 1.5 steady + 1.5 worker
    against 1 (latency-tolerant) + 0.5. On Azure it runs on AKS nodes: the cluster risk and
    the small team weigh in, 0.42 (cost, 1.23x) + 1 + 2 + 1 = 4.42 against 3."""
    aws = _advise(advisor, {**WORKER, "constraints": {"provider": "aws"}})
    facts = aws.costs.facts()
    assert aws.costs.kubernetes.platform == "aws-ecs-fargate"
    assert facts["cost.kubernetes_runs_cluster"] is False and facts["cost.view"] == "standalone"
    rules = {x.rule: x for x in aws.reasons}
    assert not {"TEAM-OPS-LOW-001", "TEAM-SMALL-001", "TEAM-NO-DEVOPS-001"} & set(rules)
    assert rules["TEAM-OPS-LOW-002"].effect == "serverless +0.5"
    assert rules["TEAM-OPS-LOW-002"].message == (
        "The team's DevOps maturity is basic, but Kubernetes here runs on Amazon ECS on AWS "
        "Fargate, with no nodes or cluster for the team to run: only the service's own sizing, "
        "scaling and networking are left to learn, far less operational risk than a cluster.")
    assert aws.verdict.verdict == "kubernetes"
    assert aws.verdict.scores == {"kubernetes": pytest.approx(9.9, abs=0.005),
                                  "serverless": 1.5, "hybrid": 0.0}

    azure = _advise(advisor, {**WORKER, "constraints": {"provider": "azure"}})
    facts = azure.costs.facts()
    assert azure.costs.kubernetes.platform == "azure-aks"
    assert facts["cost.kubernetes_runs_cluster"] is True
    rules = {x.rule: x for x in azure.reasons}
    assert "TEAM-OPS-LOW-002" not in rules
    assert rules["TEAM-OPS-LOW-001"].message == (
        "No cluster yet, and the team's DevOps maturity is basic: Kubernetes here means running "
        "a cluster on AKS on nodes, with no one on call for it and no cluster skills yet, so its "
        "upgrades, patches and first incidents would be learned in production.")
    assert rules["TEAM-SMALL-001"].message == (
        "A team of 4 (assumed) with no cluster: Kubernetes on AKS on nodes would be a cluster to run, "
        "where serverless lets them ship without running infrastructure.")
    assert azure.verdict.scores == {"kubernetes": 3.0, "serverless": pytest.approx(4.42, abs=0.005),
                                    "hybrid": 0.0}


def test_a_team_without_devops_on_ecs_fargate_is_not_told_about_kubernetes(
        advisor: Advisor) -> None:
    r = _advise(advisor, {**WORKER, "team": {"devops_maturity": "none", "existing_cluster": False},
                          "constraints": {"provider": "aws"}})
    rules = {x.rule for x in r.reasons}
    assert "TEAM-NO-DEVOPS-001" not in rules and "TEAM-OPS-LOW-002" in rules
    r = _advise(advisor, {**WORKER, "team": {"devops_maturity": "none", "existing_cluster": False},
                          "constraints": {"provider": "azure"}})
    risk = next(x for x in r.reasons if x.rule == "TEAM-NO-DEVOPS-001")
    assert risk.message == ("No DevOps experience on the team: running Kubernetes on AKS on "
                            "nodes would be learned in production.")


# A worker at 0.01 messages a second every hour of the month (26,280 a month), 100 ms each,
# 512 MB, on Azure: Container Apps (consumption) is the serverless model's platform.
QUIET: dict[str, Any] = {
    "name": "q", "kind": "worker",
    "traffic": {"pattern": "steady", "avg_rps": 0.01, "peak_rps": 0.01, "idle_fraction": 0},
    "execution": {"avg_duration_ms": 100, "memory_mb": 512}, "constraints": {"provider": "azure"}}


def test_cold_starts_are_those_of_container_apps_when_it_is_the_platform(
        advisor: Advisor, kb: KnowledgeBase, runner: CliRunner, tmp_path: Any) -> None:
    """Flat traffic at r = 0.01/s: each of the 730 hours a request is cold when the gap since
    the previous one exceeds the keep-alive K (Poisson: exp(-r K) of them), and the month's
    first one is cold: share = exp(-r K) + 1 / 26,280. Container Apps scales to zero after its
    300 s KEDA cooldown: exp(-3) + 1/26,280 = 0.049825; Azure Functions keep an instance
    1,200 s, exp(-12) + 1/26,280 = 0.000044, which runplan reported before. A cold start adds
    Container Apps' (borrowed) 4,800 ms for python; p99 is then a cold request: 100 ms + 320 ms
    warm overhead + 4,800 ms."""
    r = _advise(advisor, QUIET)
    assert r.costs.serverless is not None
    assert r.costs.serverless.platform == "azure-container-apps"
    cs = r.costs.cold_start
    assert cs is not None and cs.platform == "Azure Container Apps (consumption)"
    assert round(cs.share_of_requests, 6) == round(math.exp(-3) + 1 / 26_280, 6) == 0.049825
    assert round(math.exp(-12) + 1 / 26_280, 6) == 0.000044
    assert cs.added_latency_ms == 4_800 and cs.p99_estimate_ms == 100 + 320 + 4_800
    facts = r.costs.facts()
    assert facts["cold_start.platform"] == "Azure Container Apps (consumption)"
    assert facts["cold_start.share"] == 0.049825
    # The arrays (flip search) say the same.
    w = resolve(Component.model_validate(QUIET), kb)[0]
    assert probe_facts(w, kb)[0]["cold_start.share"] == 0.049825
    path = tmp_path / "q.yaml"
    path.write_text(json.dumps(QUIET))
    out = runner.invoke(main, ["advise", str(path)]).stdout
    assert ("Cold starts on Azure Container Apps (consumption): 5% of requests, +4,800 ms "
            "each; p99 about 5,220 ms\n") in out
    data = json.loads(runner.invoke(main, ["advise", str(path), "--format", "json"]).stdout)
    assert data["cold_start"] == {"share_of_requests": 0.049825, "added_latency_ms": 4800.0,
                                  "p99_estimate_ms": 5220.0, "breaches_slo": False,
                                  "platform": "Azure Container Apps (consumption)"}


def test_the_long_run_rule_names_the_platform_and_its_limit(advisor: Advisor) -> None:
    """An API on GCP whose requests take 2 s (50 ms of CPU: Cloud Run services serve 80 at a
    time on one instance), up to 200 s: the serverless model runs on Cloud Run services, whose
    request timeout is 3,600 s, and the message says so (it named a function's limit)."""
    r = _advise(advisor, {"name": "c", "kind": "api", "traffic": {"pattern": "steady",
                                                                   "avg_rps": 200},
                          "execution": {"avg_duration_ms": 2000, "cpu_ms": 50,
                                        "max_duration_s": 200, "memory_mb": 512},
                          "constraints": {"provider": "gcp"}})
    facts = r.costs.facts()
    assert facts["limits.platform"] == "Cloud Run services (request-based billing)"
    assert facts["limits.function_max_duration_s"] == 3600
    longrun = next(x for x in r.reasons if x.rule == "LIMIT-LONGRUN-001")
    assert longrun.message == (
        "Runs take up to 200 s, long for scale-to-zero execution (the time limit on Cloud Run "
        "services (request-based billing): 3,600 s): every second is billed, a retry repeats "
        "the whole run, and a growing run can outgrow the limit.")
    # A worker on Container Apps (no ingress: no time limit of the platform's own).
    r = _advise(advisor, {"name": "j", "kind": "worker",
                          "traffic": {"pattern": "bursty", "requests_per_month": 20_000},
                          "execution": {"avg_duration_ms": 200_000, "max_duration_s": 600},
                          "constraints": {"provider": "azure"}})
    facts = r.costs.facts()
    assert facts["limits.platform"] == "Azure Container Apps (consumption)"
    assert facts["limits.function_max_duration_s"] is None
    assert facts["limits.exceeds_duration"] is False


def test_a_jobs_cold_starts_are_per_run_with_no_p99(runner: CliRunner) -> None:
    """examples/nightly-reconcile-azure.yaml: 30 runs a month of 10 minutes on Container Apps
    jobs, every run cold (nothing stays warm for a day). A p99 of its 600-second duration
    plus the start would be a figure no one waits on; the line says runs and stops there."""
    out = runner.invoke(main, ["advise", str(EXAMPLES / "nightly-reconcile-azure.yaml")]).stdout
    assert "Cold starts on Azure Container Apps (consumption): 100% of runs, +1,600 ms each\n" \
        in out
    assert "p99 about" not in out
