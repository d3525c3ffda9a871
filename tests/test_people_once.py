"""People cost is read by one rule, the cost comparison; a low-maturity team's operational risk
is its own reason, weighed so that it does not count the people time a second time."""

from __future__ import annotations

import math
from typing import Any

import pytest

from runplan.advise import Advisor, Result
from runplan.rulebase.compile import placeholders, rule_points
from runplan.rulebase.load import RuleBase
from runplan.rulebase.spec import FieldCond, leaves

# A queue worker on AWS for a team at basic DevOps maturity with no cluster yet (the
# standalone view: a new cluster, 0.765 FTE of people time in its bill): 800 ms a message,
# 40 ms of it CPU, 3,008 MB.
WORKER: dict[str, Any] = {
    "name": "w", "kind": "worker",
    "execution": {"avg_duration_ms": 800, "cpu_ms": 40, "memory_mb": 3008, "runtime": "python"},
    "team": {"devops_maturity": "basic", "existing_cluster": False},
    "constraints": {"provider": "aws"}}
RISK = ("No cluster yet, and the team's DevOps maturity is basic: Kubernetes here means running "
        "a cluster on AKS on nodes, with no one on call for it and no cluster skills yet, so its "
        "upgrades, patches and first incidents would be learned in production.")
NODELESS = ("The team's DevOps maturity is basic, but Kubernetes here runs on Amazon ECS on AWS "
            "Fargate, with no nodes or cluster for the team to run: only the service's own "
            "sizing, scaling and networking are left to learn, far less operational risk than a "
            "cluster.")


def _at(advisor: Advisor, avg_rps: float, provider: str = "aws") -> Result:
    from runplan.profile import Component

    return advisor.advise(Component.model_validate(
        {**WORKER, "traffic": {"pattern": "steady", "avg_rps": avg_rps},
         "constraints": {"provider": provider}}), flips=False)


def _reads(spec: Any) -> set[str]:
    read = {leaf.field for leaf in leaves(spec.when) if isinstance(leaf, FieldCond)}
    return read | {p.split(":")[0] for p in placeholders(spec.message)}


def test_only_the_cost_rules_read_people_cost(rulebase: RuleBase) -> None:
    """`cost.people_usd` (the people line inside `cost.kubernetes_usd`) is quoted by the cost
    comparison alone; no team or idle rule reads it, in its condition or its message."""
    readers = sorted(s.id for s in rulebase.rules if "cost.people_usd" in _reads(s))
    assert readers == ["COST-SERVERLESS-CHEAPER-001"]


def test_the_ops_risk_rule_speaks_of_risk_and_cites_the_article(rulebase: RuleBase) -> None:
    spec = rulebase.get("TEAM-OPS-LOW-001")
    assert spec is not None
    assert not [f for f in _reads(spec) if f.startswith("cost.") and f not in (
        "cost.view", "cost.kubernetes_runs_cluster", "cost.kubernetes_platform")]
    assert spec.score == (("serverless", 2.0),)
    assert "$" not in spec.message and "people" not in spec.message
    # Section titles exactly as kbase/article.yaml has them (tests/test_sources.py checks them).
    assert spec.source.startswith(
        "article §10 (The messy reality of choosing): skill gaps, a junior team that cannot "
        "maintain a Kubernetes cluster; article §1 (The mistake that quietly destroys teams)")
    # Worth what a 2.7x cost gap is to the cost rule: less than any gap of 3x or more.
    cost = rulebase.get("COST-KUBERNETES-CHEAPER-001")
    assert cost is not None
    three = rule_points([cost], {"cost.ratio": 1 / 3})[0][0][1]
    assert three == pytest.approx(2.25, abs=0.01) and three > 2.0


def test_a_large_cost_gap_for_kubernetes_beats_the_ops_risk(advisor: Advisor) -> None:
    """600 messages/s steady: functions bill 1.6 billion GB-s or so, about $62k a month; the
    Kubernetes model runs on ECS on Fargate for $2,134 (no cluster to run: the service's own
    effort only), 3.4% of it. The cost rule gives 8 x ln(1 / 0.0343) / ln 50 = 6.9 points.
    With no cluster to run, the risk reason is the node-less one (+0.5) and the small team's
    does not fire."""
    r = _at(advisor, 600)
    facts = r.costs.facts()
    assert facts["cost.view"] == "standalone"
    assert r.costs.kubernetes.platform == "aws-ecs-fargate"
    assert facts["cost.kubernetes_usd"] == pytest.approx(2_133.79, abs=0.01)
    assert facts["cost.serverless_usd"] == pytest.approx(62_123.48, abs=0.01)
    assert facts["cost.ratio"] == pytest.approx(0.0343, abs=1e-4)
    cost = next(x for x in r.reasons if x.rule == "COST-KUBERNETES-CHEAPER-001")
    assert cost.score[0][1] == pytest.approx(8 * math.log(1 / 0.0343) / math.log(50), abs=1e-3)
    risk = next(x for x in r.reasons if x.rule == "TEAM-OPS-LOW-002")
    assert risk.message == NODELESS and risk.effect == "serverless +0.5"
    assert r.verdict.verdict == "kubernetes"
    # cost 6.9 + steady 1.5 + worker 1.5 against node-less risk 0.5 + tolerant latency 1
    assert r.verdict.scores == {"kubernetes": pytest.approx(9.9, abs=0.005),
                                "serverless": 1.5, "hybrid": 0.0}


def test_equal_costs_go_to_serverless_for_the_risk_reason(advisor: Advisor) -> None:
    """At the break-even load of the same worker on Azure (where the Kubernetes model is AKS
    nodes, a cluster to run) the two bills are equal (ratio 1.00) and no cost rule weighs in;
    the operational risk decides: without its +2 Kubernetes would win."""
    be = _at(advisor, 600, "azure").costs.break_even
    assert be is not None
    r = _at(advisor, be.avg_rps, "azure")
    facts = r.costs.facts()
    assert facts["cost.ratio"] == pytest.approx(1.0, abs=0.005)
    rules = {x.rule for x in r.reasons}
    assert not rules & {"COST-SERVERLESS-CHEAPER-001", "COST-KUBERNETES-CHEAPER-001"}
    assert "TEAM-OPS-LOW-001" in rules
    assert next(x for x in r.reasons if x.rule == "TEAM-OPS-LOW-001").message == RISK
    assert r.verdict.verdict == "serverless"
    scores = r.verdict.scores
    assert scores["serverless"] - 2 < scores["kubernetes"] < scores["serverless"]

