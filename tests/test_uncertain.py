"""Decisions under uncertainty (issue 14): ranges in profiles, draws judged over arrays, the
probability of the verdict, the tornado and the value of information."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from runplan.advise import Advisor
from runplan.cli import main
from runplan.kbase import KnowledgeBase
from runplan.probes import VERDICTS
from runplan.profile import Component, component_from
from runplan.rulebase.load import RuleBase
from runplan.synthetic import estate
from runplan.uncertainty.ranges import Z90, parse_range
from runplan.uncertainty.report import evpi, regrets, uncertain, wilson_margin
from runplan.uncertainty.sample import PEOPLE, PRICES, inputs_for, judge, lhs, seed_of
from runplan.yamlio import load_yaml

from .conftest import ROOT
from .test_adr_revisit import ORDERS_2


def _load(text: str, kb: KnowledgeBase, name: str = "p.yaml") -> Component:
    return component_from(*load_yaml(text, name), name, kb)


# -- syntax and distributions -------------------------------------------------------------


def test_an_interval_is_a_log_normal_90_percent_interval() -> None:
    d = parse_range("2M..8M", "traffic.requests_per_month")
    assert d is not None and not d.share
    assert d.median == pytest.approx(4e6)  # the geometric mean of the ends
    assert d.below == pytest.approx(math.log(2) / Z90)  # ln(8M / 2M) / 2 / 1.645
    assert d.quantile(0.05) == pytest.approx(2e6)
    assert d.quantile(0.95) == pytest.approx(8e6)


def test_units_work_inside_ranges() -> None:
    rps = parse_range("2k..8k", "traffic.avg_rps")
    ms = parse_range({"low": "300ms", "high": "2s"}, "execution.avg_duration_ms")
    mb = parse_range("512MB..2GB", "execution.memory_mb")
    idle = parse_range("10%..40%", "traffic.idle_fraction")
    assert rps is not None and rps.low == 2000 and rps.high == 8000
    assert ms is not None and (ms.low, ms.high) == (300, 2000)
    assert mb is not None and (mb.low, mb.high) == (512, 2048)
    assert idle is not None and idle.share and (idle.low, idle.high) == (0.1, 0.4)


def test_a_share_is_logit_normal_and_stays_in_0_1() -> None:
    d = parse_range({"low": 0.1, "high": 0.4}, "traffic.idle_fraction")
    assert d is not None
    # median: the inverse logit of the mean of logit(0.1) and logit(0.4)
    mid = (math.log(0.1 / 0.9) + math.log(0.4 / 0.6)) / 2
    assert d.median == pytest.approx(1 / (1 + math.exp(-mid)))
    x = d.ppf(np.linspace(-8, 8, 101))
    assert (x > 0).all() and (x < 1).all()


def test_a_skewed_triple_keeps_all_three_points() -> None:
    d = parse_range({"p10": "50ms", "p50": "80ms", "p90": "300ms"}, "execution.avg_duration_ms")
    assert d is not None
    assert d.quantile(0.10) == pytest.approx(50)
    assert d.quantile(0.50) == pytest.approx(80)
    assert d.quantile(0.90) == pytest.approx(300)
    assert d.above > d.below  # two pieces: wider above the median than below


def test_a_range_stands_at_its_median_without_uncertain(kb: KnowledgeBase,
                                                        advisor: Advisor) -> None:
    ranged = _load("name: a\ntraffic: {avg_rps: 2..8}\n", kb)
    plain = _load("name: a\ntraffic: {avg_rps: 4}\n", kb)
    assert ranged.traffic is not None and ranged.traffic.avg_rps == 4.0
    assert ranged == plain.model_copy() or ranged.model_dump() == plain.model_dump()
    assert advisor.advise(ranged).verdict == advisor.advise(plain).verdict


@pytest.mark.parametrize(("line", "field", "message"), [
    ("traffic: {avg_rps: 8M..2M}", "traffic.avg_rps",
     "the low end must be below the high end, got 8e+06..2e+06"),
    ("traffic: {avg_rps: ..5}", "traffic.avg_rps",
     "a range needs both ends: low..high, e.g. 2M..8M"),
    ("execution: {memory_mb: {low: 3}}", "execution.memory_mb",
     "a range is {low: .., high: ..} (a 90% interval) or {p10: .., p50: .., p90: ..}; got "
     "only low"),
    ("execution: {runtime: python..go}", "execution.runtime",
     "takes one value, not a range (ranges are for traffic.requests_per_month, "
     "traffic.avg_rps, traffic.peak_rps, traffic.idle_fraction, execution.avg_duration_ms, "
     "execution.max_duration_s, execution.memory_mb, execution.cpu_ms, latency.p99_slo_ms)"),
    ("team: {engineers: {low: 2, high: 5}}", "team.engineers",
     "takes one value, not a range (ranges are for traffic.requests_per_month, "
     "traffic.avg_rps, traffic.peak_rps, traffic.idle_fraction, execution.avg_duration_ms, "
     "execution.max_duration_s, execution.memory_mb, execution.cpu_ms, latency.p99_slo_ms)"),
])
def test_range_syntax_errors_name_file_line_and_field(tmp_path: Path, runner: CliRunner,
                                                      line: str, field: str,
                                                      message: str) -> None:
    path = tmp_path / "svc.yaml"
    path.write_text(f"name: svc\nkind: api\n{line}\n")
    got = runner.invoke(main, ["advise", str(path)])
    assert got.exit_code == 2
    assert got.stderr if hasattr(got, "stderr") else True
    assert got.output.strip().splitlines()[-1] == f"{path}:3: error: {field}: {message}"


# -- the draws ------------------------------------------------------------------------------


def test_latin_hypercube_stratifies_each_input() -> None:
    z = lhs(3, 1000, 7)
    for row in z:  # each input takes each stratum's midpoint exactly once
        p = np.sort(0.5 * (1 + np.vectorize(math.erf)(row / math.sqrt(2))))
        assert np.allclose(p, (np.arange(1000) + 0.5) / 1000)
    assert not np.array_equal(z[0], z[1])


def test_the_seed_is_the_content_not_pythons_hash(kb: KnowledgeBase) -> None:
    a = _load("name: a\ntraffic: {avg_rps: 2..8}\n", kb)
    b = _load("name: a\ntraffic: {avg_rps: 2..9}\n", kb)
    assert seed_of(a, 1000, 0.0) == seed_of(_load("name: a\ntraffic: {avg_rps: 2..8}\n", kb),
                                            1000, 0.0)
    assert seed_of(a, 1000, 0.0) != seed_of(b, 1000, 0.0)
    assert seed_of(a, 1000, 0.0) != seed_of(a, 999, 0.0)


def _reference_profile(raw: dict[str, Any], row: dict[str, float]) -> dict[str, Any]:
    """A profile that gives every moving figure of one draw exactly."""
    out = json.loads(json.dumps(raw))
    traffic = out.setdefault("traffic", {})
    traffic.pop("avg_rps", None)
    traffic.update(requests_per_month=row["requests_per_month"], peak_rps=row["peak_rps"],
                   idle_fraction=row["idle_fraction"])
    execution = out.setdefault("execution", {})
    execution.update(avg_duration_ms=row["avg_duration_ms"],
                     max_duration_s=row["max_duration_s"], memory_mb=row["memory_mb"],
                     cpu_ms=row["cpu_ms"])
    if not math.isnan(row["p99_slo_ms"]):
        out.setdefault("latency", {})["p99_slo_ms"] = row["p99_slo_ms"]
    return out


def test_draws_judged_over_arrays_are_experta_verdicts(kb: KnowledgeBase,
                                                       rulebase: RuleBase) -> None:
    """Each draw's array verdict equals the forward-chaining experta run (`Advisor.advise`,
    no sharing) on a profile that gives that draw's figures: about 20 synthetic components x 8
    draws of every assumed input with a kbase range (people and prices apart: a profile
    cannot give those), plus a range on each one's volume. benchmarks/check_uncertain.py
    compares thousands."""
    fast = Advisor(kb, rulebase)
    slow = Advisor(kb, rulebase, shared=False)
    from runplan.uncertainty.sample import workload_arrays

    checked = differ = 0
    for raw in estate(30, 11):
        if raw.get("parts"):
            continue
        raw = json.loads(json.dumps(raw))
        traffic = raw.setdefault("traffic", {})
        if "avg_rps" in traffic and traffic["avg_rps"] > 0:
            rps = traffic["avg_rps"]
            traffic["avg_rps"] = {"low": rps / 5, "high": rps * 5}
        c = _load(yaml.safe_dump(raw), kb)
        result = fast.advise(c)
        w = result.workload
        inputs = [i for i in inputs_for(c._ranges.get((), {}), w, {a.field for a in result.assumptions}, kb,
                                        fast.view_of(w), 0.0)
                  if i.name not in PEOPLE + PRICES]
        if not inputs:
            continue
        z = lhs(len(inputs), 8, seed_of(c, 8, 0.0))
        values = np.vstack([i.dist.ppf(z[k]) for k, i in enumerate(inputs)])
        drawn = judge(fast, result, inputs, values)
        assert fast.probes is not None
        people = (float(fast.probes.base([w]).rows.k8s_people_usd[0]),
                  float(fast.probes.base([w]).rows.sls_people_usd[0]))
        rows = workload_arrays(w, inputs, values, kb, people,
                               {a.field for a in result.assumptions})
        plain = {k: v for k, v in raw.items()}
        plain["traffic"] = {k: v for k, v in traffic.items() if k != "avg_rps"}
        for j in range(8):
            row = {k: float(v[j]) for k, v in rows.items()}
            ref = Component.model_validate(_reference_profile(plain, row))
            expected = slow.advise(ref, flips=False)
            checked += 1
            if VERDICTS[int(drawn.verdict[j])] != expected.verdict.verdict:
                differ += 1
            sls = expected.costs.serverless
            assert drawn.kubernetes_usd[j] == pytest.approx(
                expected.costs.kubernetes.monthly_usd, rel=1e-9)
            if sls is not None and math.isfinite(drawn.serverless_usd[j]):
                assert drawn.serverless_usd[j] == pytest.approx(sls.monthly_usd, rel=1e-9)
    assert checked >= 150
    assert differ == 0


# -- what the draws say ---------------------------------------------------------------------

EXACT = """name: steady-api
kind: api
traffic: {pattern: steady, avg_rps: 400, peak_rps: 600, idle_fraction: 0}
execution: {avg_duration_ms: 40, max_duration_s: 2, memory_mb: 512, cpu_ms: 20,
            runtime: go, stateful: false, long_lived_connections: false, gpu: false,
            idempotent: true}
latency: {p99_slo_ms: 300, user_facing: true}
architecture: {calls_per_request: 1, legacy_monolith: false}
team: {devops_maturity: established, existing_cluster: true, engineers: 12}
constraints: {provider: aws, compliance: [], lock_in_tolerance: medium,
              portability_required: false, custom_networking: false}
"""


def test_exact_inputs_far_from_flips_give_probability_one(kb: KnowledgeBase,
                                                          advisor: Advisor) -> None:
    c = _load(EXACT, kb)
    result = advisor.advise(c)
    assert not result.assumptions
    s = uncertain(advisor, c, result, 1000, 0.0)
    assert {i.name for i in s.inputs} == set(PEOPLE)  # only kbase's people figures vary
    assert s.verdict == result.verdict.verdict == "kubernetes"
    assert s.probability == 1.0
    # Wilson's interval at p = 1: z^2 / (n + z^2) = 3.8415 / 1003.8415
    assert s.margin == pytest.approx(round(1.959963984540054 ** 2 / (1000 + 1.959963984540054
                                                                     ** 2), 4))
    assert all(v == 0 for v in s.value_of_information.values())
    assert s.line().endswith("no input's range changes it")


ON_FLIP = """name: big-memory-api
kind: api
traffic: {pattern: business-hours, avg_rps: 2, peak_rps: 10, idle_fraction: 0.7}
execution: {avg_duration_ms: 200, max_duration_s: 5, memory_mb: {low: 5120, high: 20480},
            cpu_ms: 100, runtime: python}
team: {devops_maturity: basic, existing_cluster: false, engineers: 4}
constraints: {provider: aws}
"""


def test_on_a_flip_a_symmetric_range_gives_about_one_half(kb: KnowledgeBase,
                                                          advisor: Advisor) -> None:
    """Memory sits at AWS Lambda's 10,240 MB limit, the median of a symmetric (in log) range:
    above it the functions are ruled out."""
    c = _load(ON_FLIP, kb)
    result = advisor.advise(c)
    assert result.workload.memory_mb == 10240
    assert any(f.field == "execution.memory_mb" and f.to == 10240 for f in result.flips)
    n = 1000
    s = uncertain(advisor, c, result, n, 0.0)
    assert abs(s.shares["serverless"] - 0.5) <= wilson_margin(0.5, n)
    assert abs(s.probability - 0.5) <= s.margin
    memory = next(b for b in s.tornado if b.input == "execution.memory_mb")
    assert memory.crosses and {memory.verdict_low, memory.verdict_high} == \
        {"serverless", "kubernetes"}
    voi = s.value_of_information
    assert voi["execution.memory_mb"] > 0  # the input the flip depends on
    assert voi["execution.memory_mb"] == pytest.approx(s.regret_usd, rel=0.05)
    others = {k: v for k, v in voi.items() if k != "execution.memory_mb"}
    assert others and all(v == 0 for v in others.values())  # cannot change the decision
    assert s.top_input == "execution.memory_mb"


def test_value_of_information_hand_worked_two_outcomes() -> None:
    """Twenty draws: for x of 1-10 the rules say serverless, for 11-20 kubernetes, and the
    models are $100 apart in each. The most probable verdict (a tie: serverless, first in
    tie order) regrets $100 in half the draws: $50 expected. Knowing x exactly (two bins)
    the rules' verdict in each bin is the right one: all $50 avoided. An input y that does
    not line up with the outcome (each bin half and half) saves nothing."""
    sls, k8s = VERDICTS.index("serverless"), VERDICTS.index("kubernetes")
    verdict = np.array([sls] * 10 + [k8s] * 10)
    k8s_usd = np.array([300.0] * 10 + [200.0] * 10)
    sls_usd = np.array([200.0] * 10 + [300.0] * 10)
    regret = regrets(verdict, k8s_usd, sls_usd)
    assert regret[sls].tolist() == [0.0] * 10 + [100.0] * 10
    assert regret[k8s].tolist() == [100.0] * 10 + [0.0] * 10
    assert regret[sls].mean() == 50.0
    x = np.arange(1.0, 21.0)
    assert evpi(x, verdict, regret, sls, bins=2) == 50.0
    y = np.array([*range(1, 20, 2), *range(2, 21, 2)], dtype=float)  # odd: serverless
    assert evpi(y, verdict, regret, sls, bins=2) == 0.0


def test_price_uncertainty_widens_the_costs(kb: KnowledgeBase, advisor: Advisor) -> None:
    c = _load(EXACT, kb)
    result = advisor.advise(c)
    narrow = uncertain(advisor, c, result, 400, 0.0)
    wide = uncertain(advisor, c, result, 400, 0.3)
    assert {i.name for i in wide.inputs} == set(PEOPLE) | set(PRICES)

    def width(s: Any) -> float:
        p = s.percentiles["serverless_usd"]
        return float(p["p90"] - p["p10"])

    assert width(wide) > width(narrow)


# -- the command line -----------------------------------------------------------------------


def _run(args: list[str], hashseed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    return subprocess.run([sys.executable, "-m", "runplan", *args], env=env, check=True,
                          capture_output=True, cwd=ROOT).stdout


def test_same_bytes_across_runs_and_hash_seeds(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(ON_FLIP)
    args = ["advise", str(path), "--uncertain=300", "--format", "json"]
    first = _run(args, "0")
    assert first == _run(args, "12345")
    data = json.loads(first)
    assert data["confidence"] == data["uncertainty"]["probability"]
    assert data["uncertainty"]["draws"] == 300


def test_text_is_one_line_and_plot_writes_a_tornado(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(ON_FLIP)
    plot = tmp_path / "t.png"
    got = runner.invoke(main, ["advise", str(path), "--uncertain=200", "--plot", str(plot)])
    assert got.exit_code == 0, got.output
    lines = [x for x in got.output.splitlines() if x.startswith("uncertain: ")]
    assert len(lines) == 1
    assert "execution.memory_mb decides it: measure it first" in lines[0]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- the estate -----------------------------------------------------------------------------

ESTATE = """components:
  - name: big-memory-api
    kind: api
    traffic: {pattern: business-hours, avg_rps: 2, peak_rps: 10, idle_fraction: 0.7}
    execution: {avg_duration_ms: 200, max_duration_s: 5, memory_mb: {low: 5120, high: 20480},
                cpu_ms: 100, runtime: python}
    team: {devops_maturity: basic, existing_cluster: false, engineers: 4}
    constraints: {provider: aws}
  - name: steady-api
    kind: api
    traffic: {pattern: steady, avg_rps: 400, peak_rps: 600, idle_fraction: 0}
    execution: {avg_duration_ms: 40, max_duration_s: 2, memory_mb: 512, cpu_ms: 20,
                runtime: go}
    team: {devops_maturity: established, existing_cluster: true, engineers: 12}
    constraints: {provider: aws}
  - name: orders-worker
    kind: worker
    traffic: {requests_per_month: 1M..20M}
    constraints: {provider: aws}
"""


def test_score_uncertain_same_bytes_for_any_worker_count(tmp_path: Path) -> None:
    estate_file = tmp_path / "estate.yaml"
    estate_file.write_text(ESTATE)
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.json"
        _run(["score", str(estate_file), "--uncertain=200", "-q", "-j", jobs, "-o", str(out)],
             "0" if jobs == "1" else "99")
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    data = json.loads(outs[0])
    big = next(c for c in data["components"] if c["name"] == "big-memory-api")
    assert big["confidence"] == big["uncertainty"]["probability"]
    assert big["uncertainty"]["top_input"] == "execution.memory_mb"
    u = data["portfolio"]["uncertainty"]
    assert u["draws"] == 200 and u["components_sampled"] == 3
    # steady-api is on Kubernetes in every draw: a cluster on aws in every draw
    assert u["cluster_justified_probability"] == {"aws": 1.0}
    assert u["measure_first"][0]["name"] == "big-memory-api"
    assert u["measure_first"][0]["input"] == "execution.memory_mb"
    totals = u["strategy_totals_usd"]["all_serverless"]
    assert totals["p10"] <= totals["p50"] <= totals["p90"]


def test_score_uncertain_csv_markdown_html(tmp_path: Path, runner: CliRunner) -> None:
    estate_file = tmp_path / "estate.yaml"
    estate_file.write_text(ESTATE)
    csv_out = runner.invoke(main, ["score", str(estate_file), "--uncertain=200", "-q", "-j",
                                   "1", "--format", "csv"]).output.splitlines()
    assert csv_out[0].endswith(",parts_usd,probability,top_input,top_input_value_usd")
    big = next(x for x in csv_out if x.startswith('"big-memory-api"'))
    assert '"execution.memory_mb"' in big
    md_out = runner.invoke(main, ["score", str(estate_file), "--uncertain=200", "-q", "-j",
                                  "1", "--format", "markdown"]).output
    assert "## Under uncertainty" in md_out and "## Measure these first" in md_out
    assert "A cluster on aws is justified in 100% of plausible cases." in md_out
    html = tmp_path / "r.html"
    got = runner.invoke(main, ["score", str(estate_file), "--uncertain=200", "-q", "-j", "1",
                               "-o", str(html)])
    assert got.exit_code == 0, got.output
    text = html.read_text()
    assert 'id="measure-first"' in text and 'class="tornado"' in text
    assert "<th>measure first</th>" in text


def test_score_without_uncertain_has_no_uncertainty(tmp_path: Path, runner: CliRunner) -> None:
    estate_file = tmp_path / "estate.yaml"
    estate_file.write_text(ESTATE)
    got = runner.invoke(main, ["score", str(estate_file), "-q", "-j", "1", "--format", "json"])
    data = json.loads(got.output)
    assert "uncertainty" not in data["portfolio"]
    assert all("uncertainty" not in c for c in data["components"])
    csv_out = runner.invoke(main, ["score", str(estate_file), "-q", "-j", "1", "--format",
                                   "csv"]).output
    assert csv_out.splitlines()[0].endswith(",parts_usd")


def test_csv_cells_take_ranges(tmp_path: Path, runner: CliRunner) -> None:
    inv = tmp_path / "inv.csv"
    inv.write_text("name,kind,traffic.avg_rps\nalpha,api,2..8\nbeta,worker,..5\n")
    got = runner.invoke(main, ["score", str(inv), "--uncertain=100", "-q", "-j", "1",
                               "--format", "json"])
    assert got.exit_code == 0
    data = json.loads(got.stdout)
    assert [c["name"] for c in data["components"]] == ["alpha"]
    alpha = data["components"][0]["uncertainty"]
    assert alpha["inputs"][0] == {"input": "traffic.avg_rps", "low": 2.0, "high": 8.0,
                                  "interval": "90%", "median": 4.0,
                                  "distribution": "log-normal", "assumed": False,
                                  "source": "profile range"}
    assert data["errors"] == [{"file": str(inv), "line": 3, "field": "traffic.avg_rps",
                               "message": "a range needs both ends: low..high, e.g. 2M..8M"}]


# -- ask ------------------------------------------------------------------------------------


def test_ask_offers_a_range_for_volume_questions_and_takes_one() -> None:
    from runplan.questions import coerce, load_questionnaire, parse_answer

    q = load_questionnaire().get("rate")
    assert q is not None and q.field == "traffic.avg_rps"
    assert q.hint() == " [rps, or a range, e.g. 2k..8k, Enter: runplan's default]"
    assert parse_answer(q, "2k..8k") == "2k..8k"
    assert coerce(q, {"low": 2, "high": 8}) == {"low": 2, "high": 8}
    with pytest.raises(ValueError, match=r"^the low end must be below the high end, got "
                                         r"8000\.\.2000$"):
        parse_answer(q, "8k..2k")
    with pytest.raises(ValueError, match=r"^a range of this figure is log-normal: its low "
                                         r"end must be above 0, got -1$"):
        coerce(q, {"low": -1, "high": 8})
    share = load_questionnaire().get("idle")
    assert share is not None and share.field == "traffic.idle_fraction"
    assert parse_answer(share, "10%..40%") == "10%..40%"


def test_ask_saves_a_range_that_advise_samples(tmp_path: Path, runner: CliRunner) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("name: svc\ntraffic.avg_rps: 2k..8k\n")
    saved = tmp_path / "svc.yaml"
    got = runner.invoke(main, ["ask", "--answers", str(answers), "--save-profile", str(saved)])
    assert got.exit_code == 0, got.output
    assert yaml.safe_load(saved.read_text())["traffic"]["avg_rps"] == "2k..8k"
    got = runner.invoke(main, ["advise", str(saved), "--uncertain=200", "--format", "json"])
    data = json.loads(got.stdout)
    assert data["uncertainty"]["inputs"][0]["input"] == "traffic.avg_rps"
    assert data["uncertainty"]["inputs"][0]["median"] == 4000.0


def test_the_published_schema_accepts_ranges() -> None:
    import jsonschema

    schema = json.loads((ROOT / "kbase/schemas/component.schema.json").read_text())
    v = jsonschema.Draft202012Validator(schema)
    ok = {"name": "a", "traffic": {"avg_rps": "2k..8k", "idle_fraction": {"low": 0.1,
                                                                          "high": 0.4}},
          "execution": {"avg_duration_ms": {"p10": 50, "p50": 80, "p90": "300ms"}}}
    assert list(v.iter_errors(ok)) == []
    for bad in ({"traffic": {"avg_rps": {"low": 2}}}, {"team": {"engineers": "2..5"}},
                {"execution": {"runtime": {"low": 1, "high": 2}}}):
        assert list(v.iter_errors({"name": "a", **bad}))


def test_decision_records_carry_the_sampled_probability(runner: CliRunner,
                                                        tmp_path: Path) -> None:
    """`adr new --uncertain=N` records the probability over the draws (what `advise
    --uncertain=N` prints as confidence), and `adr check --uncertain=N` holds an accepted record
    to it (ADR-FRAGILE below 0.6); without it both read the score-margin confidence."""
    profile = tmp_path / "orders.yaml"
    profile.write_text(ORDERS_2)
    advised = json.loads(runner.invoke(main, ["advise", str(profile), "--format", "json",
                                              "--uncertain=400"]).output)
    plain = json.loads(runner.invoke(main, ["advise", str(profile), "--format", "json"]).output)
    assert advised["verdict"] == plain["verdict"] == "serverless"
    assert advised["confidence"] != plain["confidence"]
    record = tmp_path / "0001-orders.md"
    result = runner.invoke(main, ["adr", "new", "--from", str(profile), "--title", "Orders",
                                  "--profile-inline", "-o", str(record), "--uncertain=400"])
    assert result.exit_code == 0, result.output
    front = yaml.safe_load(record.read_text().split("---")[1])
    assert front["runplan"]["revisit"]["probability"] == round(advised["confidence"], 2)
    record.write_text(record.read_text().replace("status: proposed", "status: accepted", 1))
    for extra, p in ((["--uncertain=400"], advised["confidence"]), ([], plain["confidence"])):
        out = runner.invoke(main, ["adr", "check", str(record), "--format", "json",
                                   "--fail-on", "never", *extra]).output
        fragile = [f for f in json.loads(out)["findings"] if f["check"] == "ADR-FRAGILE"]
        assert (len(fragile) == 1) == (p < 0.6)
        if fragile:
            assert f"holds is {p:.2f}" in fragile[0]["message"]
