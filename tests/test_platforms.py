"""Platform bills against hand calculations written out here, and platform limits."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from runplan.advise import Advisor
from runplan.cli import main
from runplan.cost.platforms import (
    Billed,
    Usage,
    platform_costs,
    request_containers_bill,
    ruled_out_by,
    task_hours_bill,
)
from runplan.cost.vector import rows_of, usage_of
from runplan.kbase import KnowledgeBase, Platform, load_kbase
from runplan.paths import kbase_dir
from runplan.profile import resolve
from runplan.validation import validate
from runplan.yamlio import load_data_file

from .conftest import EXAMPLES, component


def _platform(kb: KnowledgeBase, name: str) -> Platform:
    return next(p for prov in kb.providers.values() for p in prov.platforms if p.name == name)


def _usage(**rows: list[float]) -> Usage:
    n = len(next(iter(rows.values())))
    base: dict[str, Any] = {"requests": [0.0] * n, "avg_duration_ms": [100.0] * n,
                            "cpu_ms": [50.0] * n, "memory_mb": [512.0] * n,
                            "active_hours": [730.0] * n, "replica_hours": [0.0] * n,
                            "job": [False] * n, "front_door_usd": [0.0] * n}
    base.update(rows)
    return Usage(**{k: np.array(v) for k, v in base.items()}, hours=730.0)


def _by_name(bill: Any, row: int) -> dict[str, float]:
    return {i.name: i.monthly_usd for i in bill.items(row)}


def test_fargate_task_hours(kb: KnowledgeBase) -> None:
    # Row 0, a service: 2 tasks all month = 2 x 730 = 1,460 task-hours of 0.5 vCPU and
    # max(512 MB, 2 GB per vCPU x 0.5) = 1 GB:
    #   vCPU    1,460 x 0.5 x $0.04048 = $29.5504
    #   memory  1,460 x 1 GB x $0.004445 = $6.4897
    #   ECS has no cluster fee; the load balancer passed in: $16.425
    # Row 1, a job: 600 runs x 1,500 s = 250 task-hours of 0.5 vCPU and 4 GB:
    #   vCPU 250 x 0.5 x $0.04048 = $5.06; memory 250 x 4 x $0.004445 = $4.445
    # Row 2, a 30 s job is billed the 1-minute minimum: 1,000 runs x 60 s = 16.667 task-hours
    #   vCPU 16.667 x 0.5 x $0.04048 = $0.33733; memory 16.667 x 1 GB x $0.004445 = $0.074083
    fargate = _platform(kb, "aws-ecs-fargate")
    u = _usage(requests=[1e6, 600, 1000], avg_duration_ms=[100, 1_500_000, 30_000],
               memory_mb=[512, 4096, 512], replica_hours=[1460, 0, 0],
               job=[False, True, True], front_door_usd=[16.425, 0, 0])
    bill = task_hours_bill(u, fargate.prices, kb.operations.pod_vcpu)
    assert _by_name(bill, 0) == pytest.approx({"task vCPU": 29.5504, "task memory": 6.4897,
                                               "cluster fee": 0.0, "load balancer": 16.425})
    assert _by_name(bill, 1) == pytest.approx({"task vCPU": 5.06, "task memory": 4.445,
                                               "cluster fee": 0.0, "load balancer": 0.0})
    assert _by_name(bill, 2)["task vCPU"] == pytest.approx(1000 * 60 / 3600 * 0.5 * 0.04048)
    assert _by_name(bill, 2)["task memory"] == pytest.approx(1000 * 60 / 3600 * 0.004445)
    assert bill.total() == pytest.approx([29.5504 + 6.4897 + 16.425, 5.06 + 4.445,
                                          0.337333 + 0.074083], abs=1e-6)
    # EKS on Fargate: the same tasks + the EKS cluster fee $0.10 x 730 h = $73
    eks = task_hours_bill(u, _platform(kb, "aws-eks-fargate").prices, kb.operations.pod_vcpu)
    assert _by_name(eks, 1)["cluster fee"] == pytest.approx(73.0)


def test_autopilot_bills_pod_resources_and_the_credit(kb: KnowledgeBase) -> None:
    # 1,460 pod-hours of 0.5 vCPU and max(512 MB, 1 GiB per vCPU x 0.5) = 0.5 GiB:
    #   vCPU    1,460 x 0.5 x $0.0445 = $32.485
    #   memory  1,460 x 0.5 x $0.0049225 = $3.593425
    #   cluster fee $0.10 x 730 h = $73 less the $74.40 monthly credit: $0
    autopilot = _platform(kb, "gcp-gke-autopilot")
    u = _usage(replica_hours=[1460.0], memory_mb=[512.0])
    bill = task_hours_bill(u, autopilot.prices, kb.operations.pod_vcpu)
    assert _by_name(bill, 0) == pytest.approx({"task vCPU": 32.485, "task memory": 3.593425,
                                               "cluster fee": 0.0, "load balancer": 0.0})


def test_cloud_run_request_billing_with_googles_cpu_table(kb: KnowledgeBase) -> None:
    # 512 MiB -> 0.333 vCPU (Google's table), 0.5 GiB; 200 ms billed as 0.2 s (100 ms steps).
    # Row 0: 1M requests x 0.2 s = 200,000 busy s over 730 active hours (2,628,000 s): 0.076
    #   in flight, so requests do not overlap: 200,000 instance-seconds.
    #   vCPU-s 200,000 x 0.333 = 66,600 x $0.000024 = $1.5984
    #   GiB-s 200,000 x 0.5 = 100,000 x $0.0000025 = $0.25
    #   requests 1M x $0.40/1M = $0.40
    # Row 1: 100 rps all month = 262,800,000 requests x 0.2 s = 52,560,000 busy s: 20 in
    #   flight; an instance's 0.333 vCPU holds 0.333 x 200 / 50 = 1.332 requests at 50 ms CPU
    #   each, so instance-seconds = 52,560,000 / 1.332 = 39,459,459.46:
    #   vCPU-s 39,459,459.46 x 0.333 = 13,140,000 (the CPU time) x $0.000024 = $315.36
    #   GiB-s 39,459,459.46 x 0.5 = 19,729,729.73 x $0.0000025 = $49.324324
    #   requests 262.8M x $0.40/1M = $105.12
    run = _platform(kb, "gcp-cloud-run")
    u = _usage(requests=[1e6, 262.8e6], avg_duration_ms=[200.0, 200.0], cpu_ms=[80.0, 50.0])
    bill = request_containers_bill(u, run.prices, free_tier=False)
    assert _by_name(bill, 0) == pytest.approx({"container requests": 0.40,
                                               "container compute (vCPU-s)": 1.5984,
                                               "container compute (GiB-s)": 0.25})
    assert _by_name(bill, 1) == pytest.approx({"container requests": 105.12,
                                               "container compute (vCPU-s)": 315.36,
                                               "container compute (GiB-s)": 49.324324})
    # With the free tier (180,000 vCPU-s, 360,000 GiB-s, 2M requests) row 0 costs nothing;
    # row 1 pays (13,140,000 - 180,000) x $0.000024 = $311.04 for its vCPU-s.
    free = request_containers_bill(u, run.prices, free_tier=True)
    assert free.total()[0] == 0.0
    assert _by_name(free, 1)["container compute (vCPU-s)"] == pytest.approx(311.04)


def test_container_apps_consumption(kb: KnowledgeBase) -> None:
    # 512 MB -> 0.25 vCPU, 0.5 GiB; 200 ms billed as 1 s (per-second billing):
    # 1M x 1 s = 1,000,000 instance-seconds (0.38 in flight: no overlap)
    #   vCPU-s 1,000,000 x 0.25 = 250,000 x $0.000024 = $6.00
    #   GiB-s 1,000,000 x 0.5 = 500,000 x $0.000003 = $1.50
    #   requests 1M x $0.40/1M = $0.40  -> $7.90
    apps = _platform(kb, "azure-container-apps")
    bill = request_containers_bill(_usage(requests=[1e6], avg_duration_ms=[200.0]),
                                   apps.prices, free_tier=False)
    assert _by_name(bill, 0) == pytest.approx({"container requests": 0.40,
                                               "container compute (vCPU-s)": 6.00,
                                               "container compute (GiB-s)": 1.50})
    assert bill.total()[0] == pytest.approx(7.90)


def test_usage_of_a_steady_worker(kb: KnowledgeBase) -> None:
    # A steady worker at 1 rps x 50 ms CPU needs 0.05 vCPU: the 2-replica minimum all month,
    # 2 x 730 = 1,460 pod-hours; not HTTP: no load balancer.
    w, _ = resolve(component(kind="worker", traffic={"pattern": "steady", "avg_rps": 1},
                             execution={"avg_duration_ms": 100, "cpu_ms": 50,
                                        "memory_mb": 512}), kb)
    u = usage_of(rows_of([w], kb), kb.provider("aws"), kb)
    assert (u.replica_hours[0], u.active_hours[0], u.front_door_usd[0]) == (1460, 730, 0.0)
    costs = {o.platform.name: o.monthly_usd for o in platform_costs(
        [Billed(w)], kb, free_tier=False)[0].options}
    # Fargate: 1,460 x (0.5 x $0.04048 + 1 GB x $0.004445) = $36.0401, plus the people line
    # (basic maturity, $12,500 per FTE-month): ECS has no cluster to run, so the service's
    # 0.015 FTE = $187.50 -> $223.5401; EKS on Fargate adds the $73 cluster fee and the
    # node-less cluster's 0.35 FTE = $4,375 -> $36.0401 + 73 + 187.50 + 4,375 = $4,671.5401.
    # Lambda: 2,628,000 requests x $0.20/1M = $0.5256; x 0.1 s x 0.5 GB = 131,400 GB-s x
    # $0.0000166667 = $2.19000438; the service's 0.004 FTE = $50 -> $52.71560438.
    # EKS nodes, standalone: 2 replicas fit one t3.medium but the floor is 2 nodes, 1,460
    # node-hours x $0.0416 = $60.736; control plane 730 h x $0.10 = $73; a new cluster's
    # 0.75 FTE + the service's 0.015 = $9,562.50 -> $9,696.236. App Runner is unpriced.
    assert costs == pytest.approx({"aws-lambda": 52.71560438, "aws-ecs-fargate": 223.5401,
                                   "aws-eks-fargate": 4671.5401, "aws-app-runner": None,
                                   "aws-eks-nodes": 9696.236})


def test_http_container_service_pays_its_load_balancer(kb: KnowledgeBase) -> None:
    # An API at 1 rps all month: the ALB $0.0225 x 730 h = $16.425 plus capacity units,
    # 730 h x 1 new connection/s / 25 per LCU = 29.2 LCU-hours x $0.008 = $0.2336
    w, _ = resolve(component(kind="api", traffic={"pattern": "steady", "avg_rps": 1},
                             execution={"avg_duration_ms": 100}), kb)
    u = usage_of(rows_of([w], kb), kb.provider("aws"), kb)
    assert u.front_door_usd[0] == pytest.approx(16.425 + 0.2336)


def test_ml_inference_is_an_http_kind(kb: KnowledgeBase, advisor: Advisor) -> None:
    # An inference endpoint is an HTTP API: both bills carry the front door.
    r = advisor.advise(component(kind="ml-inference", traffic={"requests_per_month": 1e6}))
    nodes = next(o for o in r.platforms if o.platform.name == "aws-eks-nodes")
    assert {"load balancer", "load balancer capacity units"} <= {i.name for i in nodes.items}
    assert "load balancer" in {i.name for i in r.costs.kubernetes.items}  # ECS on Fargate
    assert r.costs.serverless is not None
    sls = {i.name: i.monthly_usd for i in r.costs.serverless.items}
    assert sls["front door (HTTP API)"] == pytest.approx(1.00)  # 1M x $1.00/1M


@pytest.mark.parametrize(("provider", "kind", "max_s", "platform", "why"), [
    ("aws", "job", 2400, "aws-lambda",
     "execution.max_duration_s: the longest run (2,400 s) is over the 900 s limit"),
    ("aws", "job", 2400, "aws-ecs-fargate", None),
    # Event-driven Cloud Run functions stop at 9 minutes, HTTP ones at 60.
    ("gcp", "event-handler", 720, "gcp-cloud-run-functions",
     "execution.max_duration_s: the longest run (720 s) is over the 540 s limit"),
    ("gcp", "api", 720, "gcp-cloud-run-functions", None),
    ("gcp", "worker", 720, "gcp-cloud-run-functions",
     "execution.max_duration_s: the longest run (720 s) is over the 540 s limit"),
    # A job is started by a scheduler calling it: the general 60 minutes.
    ("gcp", "job", 720, "gcp-cloud-run-functions", None),
    # HTTP-triggered Azure functions answer within 230 s (the load balancer's idle timeout).
    ("azure", "api", 300, "azure-functions-flex",
     "execution.max_duration_s: the longest run (300 s) is over the 230 s limit"),
    # A 12-minute job fits Flex Consumption, not the legacy Consumption plan's 10 minutes.
    ("azure", "job", 720, "azure-functions-flex", None),
    ("azure", "job", 720, "azure-functions-consumption",
     "execution.max_duration_s: the longest run (720 s) is over the 600 s limit"),
    # Container Apps: an HTTP request ends at the 240 s ingress timeout; a job (scheduled,
    # event or manual) runs for the replicaTimeout its owner sets, no ceiling stated.
    ("azure", "api", 300, "azure-container-apps",
     "execution.max_duration_s: the longest run (300 s) is over the 240 s limit"),
    ("azure", "webhook", 241, "azure-container-apps",
     "execution.max_duration_s: the longest run (241 s) is over the 240 s limit"),
    ("azure", "api", 240, "azure-container-apps", None),
    ("azure", "job", 720, "azure-container-apps", None),
    ("azure", "event-handler", 2400, "azure-container-apps", None),
])
def test_platform_duration_limits(kb: KnowledgeBase, provider: str, kind: str, max_s: float,
                                  platform: str, why: str | None) -> None:
    w, _ = resolve(component(kind=kind, constraints={"provider": provider},
                             traffic={"pattern": "scheduled", "requests_per_month": 600},
                             execution={"avg_duration_ms": max_s * 500,
                                        "max_duration_s": max_s}), kb)
    assert ruled_out_by(_platform(kb, platform).limits, w) == why


def test_websockets_fit_containers_not_functions(kb: KnowledgeBase) -> None:
    w, _ = resolve(component(kind="stream", execution={"long_lived_connections": True,
                                                         "max_duration_s": 600}), kb)
    assert ruled_out_by(_platform(kb, "aws-lambda").limits, w) == (
        "execution.long_lived_connections: cannot hold long-lived connections open")
    assert ruled_out_by(_platform(kb, "gcp-cloud-run").limits, w) is None
    assert ruled_out_by(_platform(kb, "gcp-gke-autopilot").limits, w) is None


def test_a_websocket_stream_is_bounded_by_the_http_limit(kb: KnowledgeBase) -> None:
    # A websocket is an HTTP request held open: on Container Apps the 240 s ingress timeout
    # bounds a stream's hour-long sessions (a stream without connections, a job-like replica,
    # has no limit); Cloud Run services hold one for up to their 60-minute request timeout.
    w, _ = resolve(component(kind="stream", constraints={"provider": "azure"},
                             execution={"long_lived_connections": True,
                                        "max_duration_s": 3600}), kb)
    assert ruled_out_by(_platform(kb, "azure-container-apps").limits, w) == (
        "execution.max_duration_s: the longest run (3,600 s) is over the 240 s limit")
    assert ruled_out_by(_platform(kb, "gcp-cloud-run").limits, w) is None
    plain, _ = resolve(component(kind="stream", constraints={"provider": "azure"},
                                 execution={"max_duration_s": 3600}), kb)
    assert ruled_out_by(_platform(kb, "azure-container-apps").limits, plain) is None


def test_concurrency_over_the_quota_is_weighed_not_a_wall(advisor: Advisor,
                                                         kb: KnowledgeBase) -> None:
    # 3,000 rps at peak x 1 s = 3,000 runs at once: over Lambda's 1,000 concurrent executions,
    # a default quota AWS raises on request. Lambda still fits; LIMIT-CONCURRENCY-001 weighs
    # it, graded on a log scale from the quota (0) to three times it (serverless -3): full here.
    c = component(kind="worker", traffic={"avg_rps": 100, "peak_rps": 3000},
                  execution={"avg_duration_ms": 1000})
    w, _ = resolve(c, kb)
    assert ruled_out_by(_platform(kb, "aws-lambda").limits, w) is None
    r = advisor.advise(c)
    assert r.verdict.excluded["serverless"] == []
    assert r.inputs["limits.exceeds_concurrency"] is True
    assert {x.rule: x.effect for x in r.reasons}["LIMIT-CONCURRENCY-001"] == "serverless -3"
    # At 1,200 at once: log(1.2) / log(3) of the way, 0.166 x 3 = 0.5 points.
    r = advisor.advise(c.model_copy(update={"traffic": c.traffic.model_copy(
        update={"peak_rps": 1200.0})}))
    assert {x.rule: x.effect for x in r.reasons}["LIMIT-CONCURRENCY-001"] == "serverless -0.5"


def test_a_twelve_minute_azure_job_is_not_excluded_from_serverless(advisor: Advisor) -> None:
    r = advisor.advise(component(kind="job", constraints={"provider": "azure"},
                                 traffic={"pattern": "scheduled", "requests_per_month": 300},
                                 execution={"avg_duration_ms": 600_000, "max_duration_s": 720}))
    assert r.verdict.excluded["serverless"] == []
    # The limits are those of the platform the serverless model runs on: Container Apps jobs,
    # with no time limit of their own (Flex Consumption's would be 3,600 s).
    assert r.inputs["limits.platform"] == "Azure Container Apps (consumption)"
    assert r.inputs["limits.function_max_duration_s"] is None
    assert "LIMIT-DURATION-001" not in {x.rule for x in r.reasons}


def test_a_twelve_minute_azure_job_runs_on_container_apps_jobs_when_cheaper(
        runner: CliRunner) -> None:
    # examples/nightly-reconcile-azure.yaml: 30 runs a month of 600 s (720 s at most) at 2 GB.
    #   Container Apps job: 2 GiB -> 1 vCPU; 30 x 600 s = 18,000 s, one run at a time:
    #     18,000 vCPU-s x $0.000024 = $0.432 + 36,000 GiB-s x $0.000003 = $0.108
    #     + 30 requests x $0.40/1M = $0.000012 -> $0.54
    #   Flex Consumption: 18,000 s x 2 GB = 36,000 GB-s x $0.000026 = $0.936 -> $0.94
    #   each + the service's operations effort: 0.004 FTE (basic) x $12,500 = $50
    data = json.loads(runner.invoke(main, [
        "advise", str(EXAMPLES / "nightly-reconcile-azure.yaml"), "--format", "json"]).stdout)
    assert data["verdict"] == "serverless"
    assert (data["platform"]["name"], data["platform"]["monthly_usd"]) == (
        "azure-container-apps", 50.54)
    costs = {a["name"]: (a["monthly_usd"], a["ruled_out_by"]) for a in data["alternatives"]}
    assert costs["azure-functions-flex"] == (50.94, None)
    assert costs["azure-functions-consumption"] == (
        None, "execution.max_duration_s: the longest run (720 s) is over the 600 s limit")


def _fargate(runner: CliRunner, path: Path) -> dict[str, tuple[str, float, float, float]]:
    data = json.loads(runner.invoke(main, ["advise", str(path), "--format", "json"]).stdout)

    def items(a: dict[str, Any]) -> dict[str, Any]:  # a chosen platform's bill is in costs
        return a["breakdown"] or data["costs"][a["bill_in"].split(".")[1]]["breakdown"]

    return {a["name"]: (a["view"], a["monthly_usd"], items(a)["cluster fee"]["monthly_usd"],
                        items(a)["load balancer"]["monthly_usd"])
            for a in (data["platform"], *data["alternatives"])
            if a["name"] in ("aws-ecs-fargate", "aws-eks-fargate")}


def test_node_less_alternatives_on_an_existing_cluster(runner: CliRunner,
                                                       tmp_path: Path) -> None:
    # examples/core-api.yaml: a platform team with an EKS cluster; 120 rps steady, 512 MB.
    # The replica model runs 5,506 task-hours of 0.5 vCPU and max(0.5 GB, 2 GB x 0.5) = 1 GB:
    #   vCPU 2,753 vCPU-h x $0.04048 = $111.44; memory 5,506 GB-h x $0.004445 = $24.47
    #   load-balancer capacity: 3,504 LCU-h x $0.008 = $28.03; ALB hours 730 x $0.0225 = $16.43
    #   the service's effort 0.005 FTE (platform) x $12,500 = $62.50
    # EKS on Fargate runs on the team's cluster (a Fargate profile): marginal, no new cluster
    # fee, capacity units only: 111.44 + 24.47 + 28.03 + 62.50 = $226.44 (226.45 unrounded).
    # ECS on Fargate has no cluster to join: per-use, its own ALB:
    #   111.44 + 24.47 + 16.43 + 28.03 + 62.50 = $242.87.
    assert _fargate(runner, EXAMPLES / "core-api.yaml") == {
        "aws-ecs-fargate": ("per-use", 242.87, 0.0, 44.46),
        "aws-eks-fargate": ("marginal", 226.45, 0.0, 28.03)}
    # Without a cluster EKS on Fargate is a new cluster: standalone, $0.10 x 730 = $73 fee,
    # its own ALB, and the people to run a node-less cluster (0.1 FTE, platform) on top of the
    # service's 0.005: 0.105 x $12,500 = $1,312.50 -> 111.44 + 24.47 + 73 + 44.46 + 1,312.50
    # = $1,565.87. ECS on Fargate is the same $242.87 either way (and, cheapest, the platform
    # of the kubernetes model).
    profile = tmp_path / "core-api.yaml"
    profile.write_text((EXAMPLES / "core-api.yaml").read_text().replace(
        "existing_cluster: true", "existing_cluster: false"))
    assert _fargate(runner, profile) == {
        "aws-ecs-fargate": ("per-use", 242.87, 0.0, 44.46),
        "aws-eks-fargate": ("standalone", 1565.87, 73.0, 44.46)}


def test_gpu_components_are_flagged_unpriced(advisor: Advisor) -> None:
    # GKE Standard is priced on its GPU node type (tests/test_gpu.py works the bill out);
    # Cloud Run services and Autopilot have no sourced GPU price and say so.
    r = advisor.advise(component(kind="ml-inference", constraints={"provider": "gcp"},
                                 execution={"gpu": True, "memory_mb": 8192}))
    notes = {o.platform.name: (o.feasible, o.monthly_usd, o.note) for o in r.platforms}
    unpriced = "not priced: no sourced GPU price for this platform in kbase"
    assert r.costs.kubernetes.node_type == "g2-standard-4"
    assert notes == {
        "gcp-cloud-run-functions": (False, None, ""),
        "gcp-cloud-run": (True, None, unpriced),
        "gcp-gke-autopilot": (True, None, unpriced),
        "gcp-gke-standard": (True, r.costs.kubernetes.monthly_usd, "")}


def test_result_names_its_platform_and_alternatives(runner: CliRunner) -> None:
    out = runner.invoke(main, ["advise", str(EXAMPLES / "chat-websocket.yaml"),
                               "--format", "json"]).output
    data = json.loads(out)
    assert data["verdict"] == "kubernetes"
    assert {k: data["platform"][k] for k in ("model", "name", "view")} == {
        "model": "kubernetes", "name": "azure-aks", "view": "standalone"}
    assert data["platform"]["monthly_usd"] == data["costs"]["kubernetes"]["monthly_usd"]
    alternatives = {a["name"]: a for a in data["alternatives"]}
    assert alternatives["azure-functions-flex"]["ruled_out_by"] == (
        "execution.long_lived_connections: cannot hold long-lived connections open")
    assert alternatives["azure-functions-consumption"]["status"] == "legacy"
    text = runner.invoke(main, ["advise", str(EXAMPLES / "chat-websocket.yaml")]).output
    assert f"Platform: AKS on nodes (kubernetes, standalone) " \
           f"${data['platform']['monthly_usd']:,.0f}/month" in text


def test_more_runs_at_once_than_in_the_month_is_an_error(runner: CliRunner,
                                                         tmp_path: Path) -> None:
    # 2 starts/s at peak x 1,500 s = 3,000 runs in flight, but only 900 runs a month
    path = tmp_path / "transcode.yaml"
    path.write_text("name: transcode\nkind: job\n"
                    "traffic: {pattern: scheduled, requests_per_month: 900, peak_rps: 2}\n"
                    "execution: {avg_duration_ms: 1500000, max_duration_s: 2400}\n")
    result = runner.invoke(main, ["advise", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"{path}:3: error: traffic.peak_rps: traffic.peak_rps 2 x execution.avg_duration_ms "
        "1,500,000 ms means 3,000 runs at once, more than the 900 runs a month "
        "(traffic.requests_per_month); lower the peak to the runs that start together, at most "
        "0.6 rps, or leave it out\n")


def test_idle_all_month_with_traffic_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "idle.yaml"
    path.write_text("name: idle\ntraffic: {requests_per_month: 1000, idle_fraction: 1.0}\n")
    result = runner.invoke(main, ["advise", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"{path}:2: error: traffic.idle_fraction: 1 means no traffic at all, but "
        "traffic.requests_per_month is 1,000 a month; give the share of the month with no "
        "traffic, below 1\n")


def test_an_impossible_row_is_that_rows_error(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text("components:\n"
                    "  - {name: ok, traffic: {requests_per_month: 1000}}\n"
                    "  - {name: bad, kind: job, traffic: {requests_per_month: 10, peak_rps: 1},"
                    " execution: {avg_duration_ms: 60000}}\n")
    result = runner.invoke(main, ["score", str(path), "--format", "json"])
    data = json.loads(result.stdout)
    assert [c["name"] for c in data["components"]] == ["ok"]
    assert len(data["errors"]) == 1 and "60 runs at once, more than the 10 runs a month" in \
        data["errors"][0]["message"]


def test_a_platform_price_is_overridden_by_its_name(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("gcp: {platforms: {gcp-cloud-run: {prices: {requests_per_instance: 40}}}}\n")
    kb = load_kbase(path)
    assert kb.overridden == ("gcp.platforms.gcp-cloud-run.prices.requests_per_instance",)
    assert _platform(kb, "gcp-cloud-run").prices["requests_per_instance"] == 40


def test_markdown_and_cost_views_list_the_platforms(runner: CliRunner) -> None:
    path = str(EXAMPLES / "video-transcode-job.yaml")
    md = runner.invoke(main, ["advise", path, "--format", "markdown"]).output
    # 900 runs x 1,500 s = 375 task-hours x (0.5 vCPU x $0.04048 + 4 GB x $0.004445) = $14.26,
    # plus the service's people line (established maturity: 0.01 FTE x $12,500 = $125; ECS has
    # no cluster to run) = $139.26, printed whole from $100
    assert "| **Amazon ECS on AWS Fargate** | kubernetes | per-use | $139 |" in md
    assert ("| AWS Lambda | serverless | per-use | ruled out: execution.max_duration_s: the "
            "longest run (2,400 s) is over the 900 s limit |") in md
    cost = runner.invoke(main, ["cost", path]).output
    assert "Platform: Amazon ECS on AWS Fargate (kubernetes, per-use) $139/month" in cost


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 1e9), st.floats(1, 100), st.floats(1, 600_000), st.floats(0.05, 1),
       st.sampled_from([128.0, 512.0, 3000.0, 8192.0]), st.booleans())
def test_container_bills_never_fall_as_requests_rise(requests: float, factor: float,
                                                    duration_ms: float, cpu_share: float,
                                                    memory_mb: float, free: bool) -> None:
    kb = load_kbase()
    u = _usage(requests=[requests, requests * factor], avg_duration_ms=[duration_ms] * 2,
               cpu_ms=[duration_ms * cpu_share * 0.5] * 2, memory_mb=[memory_mb] * 2,
               replica_hours=[1460.0, 1460.0], job=[True, True])
    for name in ("gcp-cloud-run", "azure-container-apps"):
        total = request_containers_bill(u, _platform(kb, name).prices, free).total()
        assert total[1] >= total[0] * (1 - 1e-12)
    total = task_hours_bill(u, _platform(kb, "aws-ecs-fargate").prices, 0.5).total()
    assert total[1] >= total[0] * (1 - 1e-12)


def test_score_csv_names_each_components_platform(runner: CliRunner) -> None:
    out = runner.invoke(main, ["score", str(EXAMPLES / "inventory.yaml"), "--format", "csv"])
    rows = out.stdout.splitlines()
    assert rows[0].endswith(",nearest_flip,platform,platform_usd,parts_usd")
    data = json.loads(runner.invoke(main, ["score", str(EXAMPLES / "inventory.yaml"),
                                           "--format", "json"]).stdout)
    first = data["components"][0]
    assert rows[1].startswith(f'"{first["name"]}",')  # text cells are quoted
    assert rows[1].endswith(
        f',"{first["platform"]["name"]}",{first["platform"]["monthly_usd"]},""')


def test_a_legacy_platform_is_not_chosen_while_a_current_one_fits(runner: CliRunner) -> None:
    # signup-notifier: 15,000 events a month of 300 ms at 256 MB on Azure.
    #   legacy Consumption: 15,000 x 0.3 s x 0.25 GB = 1,125 GB-s x $0.000016 = $0.018
    #                       + 15,000 x $0.20/1M = $0.003 -> $0.02 (cheapest, but legacy)
    #   Container Apps: 0.25 vCPU / 0.5 GiB, 1 s billed: 15,000 s x 0.25 = 3,750 vCPU-s
    #                   x $0.000024 = $0.09 + 7,500 GiB-s x $0.000003 = $0.0225
    #                   + 15,000 x $0.40/1M = $0.006 -> $0.1185
    #   Flex: 300 ms billed as the 1,000 ms minimum: 15,000 x 1 s x 2 GB = 30,000 GB-s
    #         x $0.000026 = $0.78 + $0.006 -> $0.786
    data = json.loads(runner.invoke(main, ["advise", str(EXAMPLES / "signup-notifier.yaml"),
                                           "--format", "json"]).stdout)
    assert data["verdict"] == "serverless"
    # + on each the service's own operations effort: 0.004 FTE (basic) x $12,500 = $50
    assert (data["platform"]["name"], data["platform"]["monthly_usd"]) == (
        "azure-container-apps", 50.12)
    costs = {a["name"]: a["monthly_usd"] for a in data["alternatives"]}
    assert costs["azure-functions-consumption"] == 50.02
    assert costs["azure-functions-flex"] == 50.79


def test_app_runner_is_listed_as_legacy(runner: CliRunner) -> None:
    # AWS's App Runner developer guide: "AWS App Runner is no longer open to new customers";
    # the kbase listed it as current.
    out = runner.invoke(main, ["advise", str(EXAMPLES / "payments-webhook.yaml")]).stdout
    assert ("  AWS App Runner (kubernetes, legacy, standalone)  not priced: no sourced prices for "
            "this platform in kbase") in out.splitlines()


def test_the_provider_schema_checks_platforms() -> None:
    data, lines = load_data_file(kbase_dir() / "providers" / "aws.yaml")
    assert validate(data, "provider", "aws.yaml", lines) == []
    bad = copy.deepcopy(data)
    bad["platforms"][1]["bill"] = "per-pod"
    del bad["platforms"][2]["prices"]["min_billed_s"]
    problems = [f"{p.field}: {p.message}" for p in validate(bad, "provider", "aws.yaml", lines)]
    assert problems == [
        "platforms[1].bill: must be one of functions, functions_legacy, request-containers, "
        'task-hours, nodes, unpriced; got "per-pod"',
        "platforms[2].prices.min_billed_s: is required"]


def test_an_event_driven_gcp_function_over_nine_minutes_runs_on_cloud_run(
        advisor: Advisor) -> None:
    """Cloud Run functions stop event-driven work at 540 s; Cloud Run services take
    60-minute requests: the serverless model is not excluded, it runs on Cloud Run."""
    r = advisor.advise(component(kind="event-handler", constraints={"provider": "gcp"},
                                 traffic={"requests_per_month": 3000},
                                 execution={"avg_duration_ms": 400_000, "max_duration_s": 720}))
    assert r.verdict.excluded["serverless"] == []
    assert "LIMIT-DURATION-001" not in {x.rule for x in r.reasons}
    functions = next(o for o in r.platforms if o.platform.name == "gcp-cloud-run-functions")
    assert functions.ruled_out_by == ("execution.max_duration_s: the longest run (720 s) is "
                                      "over the 540 s limit")
    run = next(o for o in r.platforms if o.platform.name == "gcp-cloud-run")
    assert r.costs.serverless is not None and r.costs.serverless.platform == "gcp-cloud-run"
    assert r.costs.serverless.monthly_usd == run.monthly_usd
    assert run.feasible and run.monthly_usd is not None


def test_the_nodeless_team_is_cheapest_on_ecs_fargate(runner: CliRunner) -> None:
    # examples/nodeless-team.yaml: 100 rps steady (262.8M requests a month), 150 ms, 1 GB, a
    # basic team without a cluster.
    #   Lambda: 262.8M x $0.20/1M = $52.56 + 262.8M x 0.15 s x 1 GB = 39.42M GB-s x
    #           $0.0000166667 = $657.00 + HTTP API 262.8M x $1.00/1M = $262.80 + people
    #           0.004 FTE x $12,500 = $50 -> $1,022.36
    #   ECS on Fargate: 15,311 task-hours (the replica model) x 0.5 vCPU = 7,655.5 vCPU-h x
    #           $0.04048 = $309.89 + 15,311 GB-h x $0.004445 = $68.06 + its ALB $39.78 + the
    #           service's effort 0.015 FTE x $12,500 = $187.50 -> $605.24 (no cluster fee)
    data = json.loads(runner.invoke(main, ["advise", str(EXAMPLES / "nodeless-team.yaml"),
                                           "--format", "json"]).stdout)
    priced = {o["name"]: o["monthly_usd"] for o in (data["platform"], *data["alternatives"])
              if o["monthly_usd"] is not None}
    assert min(priced, key=lambda n: priced[n]) == "aws-ecs-fargate"
    assert (priced["aws-ecs-fargate"], priced["aws-lambda"]) == (605.24, 1022.36)
    assert data["costs"]["serverless"]["monthly_usd"] == 1022.36
