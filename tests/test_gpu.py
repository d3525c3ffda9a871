"""GPU components on GPU node types: bills worked out by hand from kbase's sourced prices, and
the providers with no sourced GPU node price reported as not priced."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from runplan.advise import Advisor
from runplan.cli import main
from runplan.cost.estimate import estimate
from runplan.cost.traffic import Shape
from runplan.cost.vector import rows_of, shapes
from runplan.kbase import KnowledgeBase
from runplan.profile import resolve

from .conftest import component, nodes_cost

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
G5_XLARGE = 1.006  # kbase aws.kubernetes.gpu_node_types: g5.xlarge, 1 A10G, 4 vCPU, 16 GiB
G2_STANDARD_4 = 0.706832255  # kbase gcp.kubernetes.gpu_node_types: g2-standard-4, 1 L4

# A steady 10 rps image model, 90 ms a request in Python (45 ms of CPU, kbase's 0.5 share),
# 8 GB, on a cluster the team runs (the marginal view). Steady traffic: 36 of 730 hours at the
# 15 rps peak (1.5 x avg), the other 694 at (26,280,000 - 36 x 15 x 3,600) / (694 x 3,600) =
# 9.74 rps. Pods hold 0.5 vCPU x 0.6 = 0.3 vCPU of load: 15 x 0.045 / 0.3 = 2.25 -> 3 pods at
# the peak, 9.74 x 0.045 / 0.3 = 1.46 -> 2 (the two-replica floor) otherwise:
# 36 x 3 + 694 x 2 = 1,496 replica-hours. Each replica needs the node's one GPU, so its share
# of a node is the whole node (not 0.5 / 3.6 of the vCPU or 8 / 14.4 of the memory).
STEADY_GPU = {"kind": "ml-inference", "traffic": {"pattern": "steady", "avg_rps": 10},
              "execution": {"avg_duration_ms": 90, "memory_mb": 8192, "runtime": "python",
                            "gpu": True},
              "team": {"devops_maturity": "established", "existing_cluster": True}}
REPLICA_HOURS = 36 * 3 + 694 * 2


def _gpu(provider: str) -> dict[str, object]:
    return {**STEADY_GPU, "constraints": {"provider": provider}}


def _items(cost: object) -> dict[str, float]:
    return {i.name: i.monthly_usd for i in cost.items}  # type: ignore[attr-defined]


def test_aws_gpu_bill_marginal_by_hand(kb: KnowledgeBase) -> None:
    w, _ = resolve(component(**_gpu("aws")), kb)
    report = estimate(w, kb, with_break_even=False)
    k = report.kubernetes
    assert k.view == "marginal" and k.priced and k.node_type == "g5.xlarge"
    [nodes] = [i for i in k.items if i.name == "node share"]
    assert nodes.quantity == REPLICA_HOURS == 1496
    assert nodes.monthly_usd == pytest.approx(1496 * G5_XLARGE)  # $1,504.98
    assert nodes.note == ("node share of g5.xlarge at $1.006/h "
                          "(1 x NVIDIA A10G per node, 1 GPU per replica)")
    # LCU-hours: 26,280,000 requests / 3,600 / 25 new connections per s x $0.008; the
    # service's own operations effort at established maturity, 0.01 FTE x $12,500.
    assert _items(k) == {"node share": pytest.approx(1504.976),
                         "load balancer capacity units": pytest.approx(7300 / 25 * 0.008),
                         "operations (people)": pytest.approx(125.0)}
    facts = report.facts()
    assert facts["cost.kubernetes_usd"] == pytest.approx(1504.976 + 2.336 + 125, abs=0.005)
    assert facts["cost.kubernetes_usd"] == 1632.31


def test_aws_gpu_whole_nodes_standalone_by_hand(kb: KnowledgeBase) -> None:
    # Two hours: 0 rps, then 3 rps at 1,000 ms of CPU: 2 then 10 pods (the CPU model, as in
    # test_cost). A g5.xlarge holds one GPU pod (3.6 vCPU would hold 7, 14.4 GiB one 8 GB pod):
    # 2 nodes, then 10; the 8 added nodes billed 240 s before they serve.
    shape = Shape.from_hours((0.0, 3.0), (False, False), 3.0)
    cost = nodes_cost(kb, shape, 1000, 8192, http=False, view="standalone",
                      maturity="established", gpu=True)
    node_hours = 2 + 10 + 8 * 240 / 3600
    assert _items(cost) == {"nodes": pytest.approx(node_hours * G5_XLARGE),
                            "control plane": pytest.approx(2 * 0.10),
                            "operations (people)": pytest.approx((0.5 + 0.01) * 12_500)}
    assert cost.node_type == "g5.xlarge" and cost.max_replicas == 10
    # The same workload without a GPU packs 3 pods on a t3.medium: the CPU bill it had before.
    cpu = nodes_cost(kb, shape, 1000, 512, http=False, view="standalone",
                     maturity="established")
    assert _items(cpu)["nodes"] == pytest.approx((6 + 2 * 240 / 3600) * 0.0416)


def test_gcp_gpu_bill_marginal_by_hand(kb: KnowledgeBase) -> None:
    w, _ = resolve(component(**_gpu("gcp")), kb)
    k = estimate(w, kb, with_break_even=False).kubernetes
    [nodes] = [i for i in k.items if i.name == "node share"]
    assert k.node_type == "g2-standard-4"
    assert nodes.quantity == 1496
    assert nodes.monthly_usd == pytest.approx(1496 * G2_STANDARD_4)  # $1,057.42
    assert "1 x NVIDIA L4 per node" in nodes.note


@pytest.mark.parametrize("provider", ["azure", "on-prem"])
def test_no_sourced_gpu_node_price_is_not_priced(kb: KnowledgeBase, advisor: Advisor,
                                                 runner: CliRunner, tmp_path: Path,
                                                 provider: str) -> None:
    """No GPU node price in kbase: the Kubernetes bill is not priced (no CPU node stands in),
    so no cost ratio, no break-even, and the report says so."""
    w, _ = resolve(component(**_gpu(provider)), kb)
    report = estimate(w, kb)
    assert not report.kubernetes.priced and report.kubernetes.priced_usd is None
    facts = report.facts()
    assert facts["cost.kubernetes_usd"] is None and facts["cost.ratio"] is None
    assert facts["cost.saving_usd"] is None and report.break_even is None
    r = advisor.advise(component(name="g", **_gpu(provider)), flips=False)
    nodes = [o for o in r.platforms if o.platform.bill == "nodes"]
    assert [(o.monthly_usd, o.note) for o in nodes] == [
        (None, "not priced: no sourced GPU price for this platform in kbase")]
    path = tmp_path / "g.yaml"
    path.write_text(f"name: g\nkind: ml-inference\ntraffic: {{pattern: steady, avg_rps: 10}}\n"
                    f"execution: {{avg_duration_ms: 90, memory_mb: 8192, gpu: true}}\n"
                    f"team: {{existing_cluster: true}}\nconstraints: {{provider: {provider}}}\n")
    text = runner.invoke(main, ["advise", str(path)])
    assert text.exit_code == 0, text.output
    [line] = [x for x in text.output.splitlines() if x.startswith("  kubernetes  ")]
    assert line == (f"  kubernetes  not priced: a GPU component, and kbase has no sourced GPU "
                    f"node price for {provider} (marginal: joining a cluster that runs anyway)")
    cost = runner.invoke(main, ["cost", str(path)])
    [nodes_line] = [x for x in cost.output.splitlines() if "node share" in x]
    assert "not priced" in nodes_line and "$" not in nodes_line.split("node share")[1][:20]
    data = json.loads(runner.invoke(main, ["advise", str(path), "--format", "json"]).output)
    assert data["costs"]["kubernetes"]["monthly_usd"] is None
    assert data["costs"]["kubernetes"]["priced"] is False
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text("components:\n" + "".join(
        f"    {line}\n" if k else f"  - {line}\n"
        for k, line in enumerate(path.read_text().splitlines())))
    rows = runner.invoke(main, ["score", str(inventory), "--format", "csv"]).output
    [row] = [x for x in rows.splitlines() if x.startswith('"g",')]
    # no Kubernetes figure, so no "cheaper" either
    assert row.split(",")[3:7] == ['""', '"marginal"', row.split(",")[5], '""']
    # The estate says which components it could not price on Kubernetes, and puts none of
    # them among the money at stake (a gap to a bill without nodes would mean nothing).
    folio = json.loads(runner.invoke(main, ["score", str(inventory), "--format", "json"])
                       .stdout)["portfolio"]
    every = folio["strategies"]["all_kubernetes"]
    assert (every["not_priced_components"], every["not_priced_examples"]) == (1, ["g"])
    assert every["note"] == ("1 GPU component with no sourced GPU node price: its nodes are "
                             "not in this total or the mix")
    assert folio["top_at_stake"] == []


def test_gpu_inference_example_is_priced_on_l4_nodes(runner: CliRunner, kb: KnowledgeBase,
                                                     ) -> None:
    """examples/gpu-inference.yaml (GCP, a cluster the team runs): its Kubernetes line is the
    node share of g2-standard-4 GPU nodes, a whole node per replica, no longer a CPU node."""
    path = EXAMPLES / "gpu-inference.yaml"
    data = json.loads(runner.invoke(main, ["advise", str(path), "--format", "json"]).output)
    assert data["verdict"] == "kubernetes"
    k = data["costs"]["kubernetes"]
    assert k["node_type"] == "g2-standard-4" and k["view"] == "marginal" and k["priced"]
    w, _ = resolve(component(**_example(path)), kb)
    # Replicas per hour: the CPU each hour's load needs at the target utilisation, at least
    # min_replicas (the model of `cost.vector.nodes_bill`, worked out here per hour).
    # The hours at each level of load and the rate each must serve: `cost.vector.shapes`.
    ops, shape = kb.operations, shapes(rows_of([w], kb), kb)
    replica_hours = sum(int(hours) * max(ops.min_replicas, math.ceil(round(
        rate * w.cpu_ms / 1000 / (ops.pod_vcpu * ops.target_utilisation), 9)))
        for hours, rate in zip(shape.counts[0].tolist(), shape.serve[0].tolist(), strict=True))
    assert sum(shape.counts[0].tolist()) == 730
    share = k["breakdown"]["node share"]
    assert share["quantity"] == replica_hours
    assert share["monthly_usd"] == round(replica_hours * G2_STANDARD_4, 2)
    assert data["platform"]["name"] == "gcp-gke-standard"
    assert data["platform"]["monthly_usd"] == k["monthly_usd"]
    text = runner.invoke(main, ["advise", str(path)]).output
    assert "nodes: g2-standard-4;" in text
    assert f"Platform: GKE Standard on nodes (kubernetes, marginal) ${k['monthly_usd']:,.0f}" \
        "/month" in text


def _example(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    assert isinstance(doc, dict)
    return doc


def test_a_decision_record_does_not_price_nodes_it_cannot(runner: CliRunner, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          ) -> None:
    """`adr new` on an Azure GPU component: the Kubernetes option says its nodes are not
    priced (not "$125/month", its people line alone), records no Kubernetes figure, and the
    record checks clean."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.yaml").write_text(
        "name: model\nkind: ml-inference\ntraffic: {pattern: steady, avg_rps: 10}\n"
        "execution: {avg_duration_ms: 90, memory_mb: 8192, gpu: true}\n"
        "team: {devops_maturity: established, existing_cluster: true}\n"
        "constraints: {provider: azure}\n")
    made = runner.invoke(main, ["adr", "new", "--from", "model.yaml", "--title", "Serve it"])
    assert made.exit_code == 0, made.output
    record = tmp_path / made.stdout.strip()
    text = record.read_text()
    assert ("* Neutral, because its nodes are not priced on azure (a GPU component, and kbase "
            "has no sourced GPU node price there)\n") in text
    assert "    kubernetes_usd: null\n" in text and "costs about $125/month" not in text
    checked = runner.invoke(main, ["adr", "check", str(record)])
    assert (checked.exit_code, checked.stdout) == (
        0, "1 record checked: 0 errors, 0 warnings, 0 notes\n")
