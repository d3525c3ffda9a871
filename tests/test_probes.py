"""The batch paths (`runplan.cost.vector` over many rows, `runplan.probes`,
`Advisor.advise_many`) give the one-component path's results exactly: the same floats from the
cost core, the same break-evens, the same flips, the same JSON."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from runplan.advise import Advisor
from runplan.cost.estimate import estimate, monthly_costs, probe_facts
from runplan.cost.vector import costs, pyround, rows_of
from runplan.kbase import KnowledgeBase
from runplan.profile import Component, Workload, resolve
from runplan.report.data import result_data
from runplan.rulebase.load import RuleBase, load_rulebase
from runplan.synthetic import estate

from .conftest import ROOT


def _components(count: int, seed: int) -> list[Component]:
    return [Component.model_validate(c) for c in estate(count, seed)]


def _workloads(kb: KnowledgeBase, count: int, seed: int) -> list[Workload]:
    """Synthetic workloads and, for each, three with one figure moved far (as probes are)."""
    ws = [resolve(c, kb)[0] for c in _components(count, seed)]
    rng = random.Random(seed)
    moved = []
    for w in ws:
        for _ in range(3):
            name = rng.choice(["requests_per_month", "memory_mb", "avg_duration_ms",
                               "idle_fraction", "peak_rps", "cpu_ms"])
            value = getattr(w, name) * rng.choice([0.01, 0.1, 0.5, 2, 10, 100])
            moved.append(w.but(**{name: min(1.0, value) if name == "idle_fraction" else value}))
    return ws + moved


@pytest.mark.parametrize("free_tier", [False, True])
def test_a_batch_prices_each_row_as_the_report_prices_it_alone(kb: KnowledgeBase,
                                                               free_tier: bool) -> None:
    """The bills are written once (`cost.vector`); a batch of rows of many components (the
    flip search's, `score`'s) gives each the floats its own report, its probe facts and its
    totals-only shortcut (no cold starts without an SLO) give it."""
    ws = _workloads(kb, 600, seed=21)
    ws += [w.but(provider=p) for w in ws[:300] for p in ("gcp", "azure", "on-prem")]
    checked = 0
    for provider in sorted({w.provider for w in ws}):
        group = [w for w in ws if w.provider == provider]
        p = kb.provider(provider)
        full = costs(rows_of(group, kb), p, kb, free_tier)
        totals = costs(rows_of(group, kb), p, kb, free_tier, cold=False)
        for i, w in enumerate(group):
            # The report's bills (line items, each model on its platform) against the batch.
            report = estimate(w, kb, free_tier, with_break_even=False)
            facts, monthly = probe_facts(w, kb, free_tier)
            sls, k8s = monthly_costs(w, kb, free_tier)
            assert float(full.kubernetes_usd[i]) == report.kubernetes.monthly_usd == \
                monthly["kubernetes"] == k8s, w
            assert float(totals.kubernetes_usd[i]) == k8s, w
            assert round(float(full.fixed_usd[i]), 2) == facts["cost.fixed_usd"] == \
                report.facts()["cost.fixed_usd"]
            assert round(float(full.people_usd[i]), 2) == facts["cost.people_usd"] == \
                report.facts()["cost.people_usd"]
            if not p.functions.available:
                assert full.serverless_usd is None and sls is None
                continue
            assert full.serverless_usd is not None and totals.serverless_usd is not None
            assert full.cold_share is not None and full.breaches_slo is not None
            got = None if math.isnan(full.serverless_usd[i]) else float(full.serverless_usd[i])
            expected = report.serverless.monthly_usd if report.serverless else None
            assert got == expected == monthly["serverless"] == sls, w
            assert (None if math.isnan(totals.serverless_usd[i])
                    else float(totals.serverless_usd[i])) == sls, w
            assert round(float(full.cold_share[i]), 6) == facts["cold_start.share"]
            assert bool(full.breaches_slo[i]) == facts["cold_start.breaches_slo"]
            checked += 1
    assert checked > 2500


@pytest.mark.parametrize("view", ["marginal", "standalone"])
def test_a_batch_in_a_forced_view_prices_each_row_as_alone(kb: KnowledgeBase,
                                                           view: str) -> None:
    """`score` forces a view on every component of a provider (`Advisor.clusters`): both
    paths price it the same, people cost by each row's own maturity included."""
    ws = _workloads(kb, 200, seed=5)
    assert {w.devops_maturity for w in ws} == {"none", "basic", "established", "platform"}
    p = kb.provider("aws")
    group = [w for w in ws if w.provider == "aws"]
    full = costs(rows_of(group, kb, [view] * len(group)), p, kb, False)
    for i, w in enumerate(group):
        facts, monthly = probe_facts(w, kb, False, view)
        assert facts["cost.view"] == view
        assert float(full.kubernetes_usd[i]) == monthly["kubernetes"], w
        assert round(float(full.people_usd[i]), 2) == facts["cost.people_usd"]
        assert full.serverless_usd is not None
        assert float(full.serverless_usd[i]) == monthly["serverless"], w


def test_pyround_is_pythons_round_on_halfway_values() -> None:
    rng = random.Random(1)
    xs = [rng.choice([rng.uniform(0, 1e4), round(rng.uniform(0, 100), 3) + 0.0005,
                      round(rng.uniform(0, 10), 1) + 0.05, rng.randint(0, 1000) / 1000 + 5e-5])
          for _ in range(50_000)] + [2.675, 0.125, 0.375, 1.005, 1e-7, 0.0, math.nan]
    a = np.array(xs)
    for digits in (1, 2, 3, 4, 6, 9):
        got = pyround(a, digits).tolist()
        want = [round(x, digits) for x in xs]
        assert [g for g, w in zip(got, want, strict=True)
                if g != w and not (math.isnan(g) and math.isnan(w))] == []
    assert np.round(2.675, 2) != round(2.675, 2)  # why pyround exists: numpy rounds it up


def test_break_evens_equal_the_scalar_walk(kb: KnowledgeBase, rulebase: RuleBase) -> None:
    adv = Advisor(kb, rulebase)
    assert adv.probes is not None
    ws = [w for w in _workloads(kb, 300, seed=22)
          if kb.provider(w.provider).functions.available]
    found = adv.probes.break_evens(ws)
    crossed = 0
    for w, be in zip(ws, found, strict=True):
        assert be == estimate(w, kb).break_even, w
        crossed += be is not None
    assert crossed > len(ws) // 2  # most workloads have a break-even to find


def _same(a: Advisor, b: Advisor, components: list[Component], flips: bool = True) -> None:
    batch = a.advise_many([(c, "inv.yaml") for c in components], flips=flips)
    for c, got in zip(components, batch, strict=True):
        want = b.advise(c, file="inv.yaml", flips=flips)
        assert json.dumps(result_data(got)) == json.dumps(result_data(want)), c.name


def test_advise_many_equals_advise_on_a_thousand(kb: KnowledgeBase,
                                                 rulebase: RuleBase) -> None:
    components = _components(1000, seed=23)
    components += random.Random(4).sample(components, 50)  # repeats: the flip cache is hit
    fast, scalar = Advisor(kb, rulebase), Advisor(kb, rulebase)
    _same(fast, scalar, components)
    flipped = [r for r in fast.advise_many([(c, "") for c in components[:200]]) if r.flips]
    assert len(flipped) > 120  # the comparison covered real flips, not empty lists


def test_advise_many_with_free_tier_parts_and_every_provider(kb: KnowledgeBase,
                                                             rulebase: RuleBase) -> None:
    components = _components(150, seed=24)
    components = [c.model_copy(update={"constraints": c.constraints.model_copy(
        update={"provider": p})}) for c, p in zip(
        components, ["aws", "gcp", "azure", "on-prem"] * 40, strict=False)]
    components.append(Component.model_validate({
        "name": "shop", "parts": [{"name": "api", "kind": "api"},
                                  {"name": "export", "kind": "job",
                                   "execution": {"avg_duration_ms": 2_400_000}}]}))
    _same(Advisor(kb, rulebase, free_tier=True), Advisor(kb, rulebase, free_tier=True),
          components)
    _same(Advisor(kb, rulebase), Advisor(kb, rulebase), components, flips=False)


def test_rules_the_arrays_cannot_evaluate_fall_back_to_the_scalar_search(
        kb: KnowledgeBase, tmp_path: Path) -> None:
    (tmp_path / "memory.yaml").write_text(
        "theme: custom\ndescription: a set-membership test on a moving field\nrules:\n"
        "  - id: CUSTOM-MEMORY-001\n    title: Small standard sizes suit functions\n"
        "    source: a test of the fallback, not guidance\n"
        "    rationale: The standard sizes of most function platforms start small.\n"
        "    when: {field: execution.memory_mb, op: in, value: [128, 256]}\n"
        "    then:\n      score: {serverless: 2}\n      message: standard size\n",
        encoding="utf-8")
    rules = load_rulebase([tmp_path])
    adv = Advisor(kb, rules)
    assert adv.probes is not None and not adv.probes.supported
    _same(adv, Advisor(kb, rules), _components(40, seed=25))


def _flips_both_ways(kb: KnowledgeBase, rules: RuleBase, profile: dict[str, Any]
                     ) -> list[dict[str, Any]]:
    """The flips of `advise` (the scalar search), checked equal to the array search's."""
    c = Component.model_validate(profile)
    scalar = result_data(Advisor(kb, rules).advise(c))["flips"]
    [arrays] = Advisor(kb, rules).advise_many([(c, "")])
    assert result_data(arrays)["flips"] == scalar
    # `assumed` (whether the input was given) is tested in test_judgement
    return [{k: v for k, v in f.items() if k != "assumed"} for f in scalar]


def test_a_flip_at_a_hard_limit_is_the_limit(kb: KnowledgeBase, rulebase: RuleBase) -> None:
    # was 10,251 MB (payments-webhook), 3,602-3,608 s and 32,803 MB (monthly-report, gcp)
    webhook = yaml.safe_load((ROOT / "examples" / "payments-webhook.yaml").read_text())
    flips = _flips_both_ways(kb, rulebase, webhook)
    assert {"field": "execution.memory_mb", "from": 256.0, "to": 10240.0,
            "verdict": "kubernetes"} in flips
    report = yaml.safe_load((ROOT / "examples" / "monthly-report.yaml").read_text())
    got = {f["field"]: f["to"] for f in _flips_both_ways(kb, rulebase, report)}
    assert got == {"execution.avg_duration_ms": 3_600_000.0, "execution.max_duration_s": 3600.0,
                   "execution.memory_mb": 32768.0}


def test_flip_text_says_it_is_the_limit(runner: CliRunner) -> None:
    from runplan.cli import main

    out = runner.invoke(main, ["advise", str(ROOT / "examples" / "payments-webhook.yaml")]).stdout
    assert ("  - serverless until 10,240 MB memory, the memory limit of AWS Lambda (above that: "
            "kubernetes; now 256)\n") in out


def test_a_flip_is_never_below_the_average_duration(kb: KnowledgeBase,
                                                     rulebase: RuleBase) -> None:
    # A 15-minute average on Lambda, longest run 18 minutes: the flip down was 899.6 s, a
    # longest run below the average, which the profile validator refuses.
    job = {"name": "export", "kind": "job", "traffic": {"requests_per_month": 100},
           "execution": {"avg_duration_ms": 900_000, "max_duration_s": 1080}}
    [flip] = [f for f in _flips_both_ways(kb, rulebase, job)
              if f["field"] == "execution.max_duration_s"]
    assert flip == {"field": "execution.max_duration_s", "from": 1080.0, "to": 900.0,
                    "verdict": "serverless"}
    from runplan.profile import check_component

    moved = {**job, "execution": {**job["execution"], "max_duration_s": flip["to"]}}
    check_component(Component.model_validate(moved), kb, "moved", {})  # no UserError


def test_a_flip_at_the_average_without_a_limit_is_the_average(kb: KnowledgeBase,
                                                               tmp_path: Path) -> None:
    # The verdict changes where the longest run reaches the average (990 s): the search's far
    # side was 989.5 s, below the average.
    (tmp_path / "even.yaml").write_text(
        "theme: custom\ndescription: a threshold at the average duration\nrules:\n"
        "  - id: CUSTOM-EVEN-001\n    title: Runs that always take as long go on the cluster\n"
        "    source: a test of the flip search, not guidance\n"
        "    rationale: When the longest run is the average run, the load is a steady batch.\n"
        "    when: {field: execution.max_duration_s, op: lte, value: 990}\n"
        "    then:\n      exclude: [serverless, hybrid]\n      message: Runs take as long.\n",
        encoding="utf-8")
    job = {"name": "batch", "kind": "job", "constraints": {"provider": "gcp"},
           "traffic": {"requests_per_month": 3000},
           "execution": {"avg_duration_ms": 990_000, "max_duration_s": 1200}}
    flips = _flips_both_ways(kb, load_rulebase([tmp_path]), job)
    assert {"field": "execution.max_duration_s", "from": 1200.0, "to": 990.0,
            "verdict": "kubernetes"} in flips
