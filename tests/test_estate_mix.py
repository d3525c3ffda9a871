"""The recommended mix stands up a cluster only where a component runs on one.

A Kubernetes verdict whose platform is node-less (ECS on Fargate, Cloud Run) runs there in
the mix: no cluster's fixed cost reaches it. A cluster the team runs already is paid for
either way, and says so. Under `--uncertain`, the estate's cluster probability counts the
draws that put a component on a cluster, not every Kubernetes verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from runplan.cli import main

API_A = ("  - name: api-a\n    kind: api\n"
         "    traffic: {pattern: steady, requests_per_month: 30000000}\n"
         "    execution: {avg_duration_ms: 120, memory_mb: 512}\n")
HOOK_B = ("  - name: hook-b\n    kind: webhook\n"
          "    traffic: {pattern: bursty, requests_per_month: 200000}\n")
WORKER = ("  - name: big-worker\n    kind: worker\n"
          "    traffic: {pattern: steady, avg_rps: 400}\n"
          "    execution: {avg_duration_ms: 300, memory_mb: 2048}\n"
          "    team: {devops_maturity: established, existing_cluster: true}\n")


def score(tmp_path: Path, components: str, *args: str) -> dict[str, Any]:
    path = tmp_path / "estate.yaml"
    path.write_text("defaults:\n  constraints: {provider: aws}\ncomponents:\n" + components)
    result = CliRunner().invoke(main, ["score", str(path), "--format", "json", "-q", "-j", "1",
                                       *args])
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_a_kubernetes_verdict_on_ecs_fargate_stands_up_no_cluster(tmp_path: Path) -> None:
    """api-a's rules say Kubernetes (steady load), and its Kubernetes is ECS on Fargate: the
    mix was $9,731 with a $9,464 cluster (mostly the people who run it) for api-a alone,
    while the same report said no cluster is justified."""
    data = score(tmp_path, API_A + HOOK_B)
    api, hook = data["components"]
    assert (api["verdict"], api["platform"]["name"]) == ("kubernetes", "aws-ecs-fargate")
    assert (hook["verdict"], hook["platform"]["name"]) == ("serverless", "aws-lambda")
    p = data["portfolio"]
    ecs = api["costs"]["kubernetes"]["monthly_usd"]
    lam = hook["costs"]["serverless"]["monthly_usd"]
    mix = p["strategies"]["recommended_mix"]
    assert (mix["containers_usd"], mix["functions_usd"], mix["cluster_variable_usd"],
            mix["cluster_fixed_usd"], mix["clusters"]) == (ecs, lam, 0.0, 0.0, [])
    assert mix["monthly_usd"] == pytest.approx(ecs + lam, abs=0.01)
    assert ecs + lam < 400  # two small services, not a cluster's $9,464 of fixed cost
    assert (p["clusters"], p["allocation"]) == ([], [])
    assert p["cluster_decision"]["aws"]["justified"] is False


def test_the_text_names_the_node_less_containers(tmp_path: Path) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text("defaults:\n  constraints: {provider: aws}\ncomponents:\n" + API_A + HOOK_B)
    out = CliRunner().invoke(main, ["score", str(path), "-q", "-j", "1"]).stdout
    data = score(tmp_path, API_A + HOOK_B)
    mix = data["portfolio"]["strategies"]["recommended_mix"]
    assert (f"recommended mix: ${mix['monthly_usd']:,.0f}/month (cluster at marginal cost "
            f"$0.00 + fixed $0.00, functions ${mix['functions_usd']:.2f}, node-less containers "
            f"${mix['containers_usd']:,.0f})") in " ".join(out.split())
    assert "No component is placed on a cluster: no cluster needed." in out


def test_under_uncertainty_no_draw_puts_api_a_on_a_cluster(tmp_path: Path) -> None:
    """Most draws keep api-a a Kubernetes verdict, none on a cluster: the probability that
    the estate runs one is 0 (it was the share of Kubernetes verdicts, 0.88)."""
    data = score(tmp_path, API_A + HOOK_B, "--uncertain=200")
    u = data["portfolio"]["uncertainty"]
    assert u["cluster_justified_probability"] == {"aws": 0.0}
    api = data["components"][0]
    assert api["verdict"] == "kubernetes" and api["uncertainty"]["probability"] > 0.5


def test_a_cluster_the_team_runs_is_paid_either_way(tmp_path: Path) -> None:
    data = score(tmp_path, API_A + WORKER)
    p = data["portfolio"]
    [cluster] = p["clusters"]
    fixed = 0.10 * 730 + 0.0225 * 730 + 0.5 * 12_500  # control plane, ALB, 0.5 FTE established
    assert cluster["fixed_total_usd"] == pytest.approx(fixed, abs=0.01)
    assert (cluster["justified"], cluster["existing_for"]) == ("existing", ["big-worker"])
    assert cluster["message"] == (
        "The aws cluster exists already (big-worker: the team runs one); its fixed cost "
        f"${fixed:,.2f}/month is paid either way. Its 2 components cost "
        f"${cluster['variable_usd']:,.2f}/month on it at marginal cost and "
        f"${cluster['without_cluster_usd']:,.2f} off it (functions or node-less containers).")
    assert p["cluster_decision"]["aws"]["because"] == "big-worker's team already runs a cluster"
    u = score(tmp_path, API_A + WORKER, "--uncertain=100")["portfolio"]["uncertainty"]
    assert u["cluster_justified_probability"] == {"aws": 1.0}
