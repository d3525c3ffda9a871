"""Input-checking defects found by review: each bad input is one exact message, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from runplan.cli import main
from runplan.kbase import KnowledgeBase
from runplan.profile import Component, max_idle_fraction, resolve

ADR = Path(__file__).resolve().parent / "data" / "adr"


def _run(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(main, list(args))
    return result.exit_code, result.stderr


# -- 1. a CSV header: bounded, linear, one line for many unknown columns ----------------------

def test_a_million_column_header_is_one_message(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "w.csv"  # hung score for 300 s at 318 MB (columns.count per column)
    path.write_text("name,kind" + "," * 999_998 + "\nfoo,api" + "," * 999_998 + "\n")
    assert _run(runner, "score", str(path)) == (2, (
        f"{path}:1: error: the header has 1,000,000 columns, more than 1,000; columns are "
        "dotted profile fields, e.g. traffic.peak_rps\n"))


def test_many_unknown_columns_are_one_line_with_their_count(runner: CliRunner,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    columns = ["name", "kind", "x" * 40, *(f"col{i}" for i in range(997))]  # 1,000 columns
    path.write_text(",".join(columns) + "\nfoo,api" + "," * 998 + "\n")
    assert _run(runner, "score", str(path)) == (2, (
        f"{path}:1: error: 998 unknown columns ({'x' * 27}..., col0, col1 and 995 more); "
        "columns are dotted profile fields, e.g. traffic.peak_rps\n"))


def test_columns_given_twice_are_one_line(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("name,kind,kind,traffic.avg_rps,traffic.avg_rps\nfoo,api,api,1,1\n")
    assert _run(runner, "score", str(path)) == (2, (
        f"{path}:1: error: 2 columns given twice (kind, traffic.avg_rps)\n"))


# -- 2. traffic that contradicts itself --------------------------------------------------------

def test_a_peak_below_the_rate_while_active_is_an_error(runner: CliRunner,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"  # 1 rps over the 10% of the month not idle is 10 rps, above 5
    path.write_text("{name: x, kind: api, traffic: {pattern: diurnal, avg_rps: 1, peak_rps: 5, "
                    "idle_fraction: 0.9}, execution: {avg_duration_ms: 100, memory_mb: 512}}\n")
    assert _run(runner, "advise", str(path)) == (2, (
        f"{path}:1: error: traffic.peak_rps: 5 is below the rate while active: traffic.avg_rps "
        "(1 rps on average) over the 10% of the month not idle (traffic.idle_fraction 0.9) is "
        "10 rps; raise the peak or lower the idle share\n"))


def test_an_assumed_idle_share_gives_way_to_a_given_peak(runner: CliRunner, kb: KnowledgeBase,
                                                        tmp_path: Path) -> None:
    """A bursty webhook at 1 rps with a given peak of 2 rps and no idle share: bursty's
    default 0.8 idle would make the rate while active 1 / (1 - 0.8) = 5 rps, above the given
    peak. The largest idle share the peak allows is 1 - 1/2 = 0.5 (then the active rate is
    the peak), and the assumption says why; no error."""
    traffic = {"pattern": "bursty", "avg_rps": 1, "peak_rps": 2}
    assert kb.traffic.patterns["bursty"].idle_fraction == 0.8
    w, assumed = resolve(Component(name="x", kind="webhook", traffic=traffic), kb)  # type: ignore[arg-type]
    assert w.idle_fraction == 0.5 and w.peak_rps == 2.0
    [idle] = [a for a in assumed if a.field == "traffic.idle_fraction"]
    assert str(idle) == (
        "traffic.idle_fraction not given: assumed 0.5 (the largest idle share the given "
        "traffic.peak_rps allows, 1 - avg_rps / peak_rps: the bursty default 0.8 "
        "(kbase/traffic.yaml) would put the rate while active at 5 rps, above the given peak "
        "of 2 rps)")
    # A peak at or above the default's active rate (5 rps) leaves the default alone.
    w, _ = resolve(Component(name="x", kind="webhook", traffic={**traffic, "peak_rps": 5}), kb)  # type: ignore[arg-type]
    assert w.idle_fraction == 0.8
    path = tmp_path / "x.yaml"
    path.write_text(json.dumps({"name": "x", "kind": "webhook", "traffic": traffic}))
    result = runner.invoke(main, ["advise", str(path), "--format", "json"])
    assert result.exit_code == 0
    assert str(idle) in json.loads(result.stdout)["assumptions"]


def test_the_draws_hold_an_assumed_idle_share_to_a_given_peak(kb: KnowledgeBase) -> None:
    """The uncertainty draws clamp as `resolve` does: the given peak 2 rps, drawn volumes
    0.5, 1, 1.6, 0.5 rps allow idle shares of at most 1 - avg/2 = 0.75, 0.5, 0.2, 0.75; drawn
    idle shares 0.8, 0.9, 0.3, 0.3 become 0.75, 0.5, 0.2, 0.3, and the peak stays 2 (the
    rate while active is 2, 2, 2 and 0.5 / 0.7 = 0.714)."""
    import numpy as np

    from runplan.uncertainty.ranges import fit
    from runplan.uncertainty.sample import Input, workload_arrays

    w, assumed = resolve(Component(name="x", kind="webhook", traffic={  # type: ignore[arg-type]
        "pattern": "bursty", "avg_rps": 1, "peak_rps": 2}), kb)
    dist = fit(0.1, 0.5, 0.9, True)  # any: the values are given below
    inputs = [Input("traffic.avg_rps", dist, "test", False),
              Input("traffic.idle_fraction", dist, "test", True)]
    values = np.array([[0.5, 1.0, 1.6, 0.5], [0.8, 0.9, 0.3, 0.3]])
    got = workload_arrays(w, inputs, values, kb, (0.0, 0.0), {a.field for a in assumed})
    assert got["idle_fraction"].tolist() == pytest.approx([0.75, 0.5, 0.2, 0.3])
    assert got["peak_rps"].tolist() == [2.0, 2.0, 2.0, 2.0]


def test_an_assumed_peak_is_at_least_the_rate_while_active(kb: KnowledgeBase) -> None:
    # steady: peak factor 1.5, but 1 rps over 10% of the month is 10 rps while active
    given = Component(name="x", traffic={"pattern": "steady", "avg_rps": 1,  # type: ignore[arg-type]
                                         "idle_fraction": 0.9})
    w, _ = resolve(given, kb)
    assert w.peak_rps == pytest.approx(1 / (1 - 0.9))


def test_idle_all_but_a_moment_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "i.yaml"  # 1 rps in 0.26 s of the month: 10 million rps while active
    path.write_text("{name: x, kind: api, traffic: {avg_rps: 1, idle_fraction: 0.9999999}}\n")
    assert _run(runner, "advise", str(path)) == (2, (
        f"{path}:1: error: traffic.idle_fraction: must be at most 0.99863 when there is "
        "traffic (at least one of the month's 730 hours has requests), got 0.9999999\n"))
    assert max_idle_fraction(730) == pytest.approx(1 - 1 / 730)
    path.write_text("{name: x, kind: job, traffic: {requests_per_month: 1, "
                    "idle_fraction: 0.99863}}\n")  # one run a month, in its one hour
    assert runner.invoke(main, ["advise", str(path)]).exit_code == 0


# -- 3. a peak too high says what would fit ---------------------------------------------------

def test_a_peak_too_high_for_the_runs_says_the_largest_that_fits(runner: CliRunner,
                                                                  tmp_path: Path) -> None:
    path = tmp_path / "n.yaml"  # one 45-minute run a month: 1 run / 2,700 s = 0.00037 rps
    path.write_text("name: nightly\nkind: job\n"
                    "traffic: {pattern: scheduled, requests_per_month: 1, peak_rps: 1}\n"
                    "execution: {avg_duration_ms: 2700000}\n")
    assert _run(runner, "advise", str(path)) == (2, (
        f"{path}:3: error: traffic.peak_rps: traffic.peak_rps 1 x execution.avg_duration_ms "
        "2,700,000 ms means 2,700 runs at once, more than the 1 run a month "
        "(traffic.requests_per_month); lower the peak to the runs that start together, at most "
        "0.00037 rps, or leave it out\n"))
    path.write_text(path.read_text().replace("peak_rps: 1", "peak_rps: 0.00037"))
    out = runner.invoke(main, ["advise", str(path), "--format", "json"])
    assert out.exit_code == 0
    # One run a month, in the reasons as in the message: a count of 1 takes the singular.
    assert "Runs on a schedule (1 run a month): compute is needed only while it runs." in [
        r["message"] for r in json.loads(out.stdout)["reasons"]]
    assert "1 runs" not in out.stdout


def test_a_count_takes_its_noun_in_the_right_number() -> None:
    """Rule templates' `{field:style noun}` and `fmt.plural`: the singular only for a figure
    shown as 1 (0.6 shows as 1 in whole numbers; 0.5 in four digits is 0.5)."""
    from runplan.fmt import plural
    from runplan.rulebase.compile import placeholders, render

    template = "({traffic.requests_per_month:int run} a month, {x:num request} in flight)"
    assert placeholders(template) == ["traffic.requests_per_month", "x"]
    assert render(template, {"traffic.requests_per_month": 1, "x": 1.0}) == \
        "(1 run a month, 1 request in flight)"
    assert render(template, {"traffic.requests_per_month": 0.6, "x": 0.5}) == \
        "(1 run a month, 0.5 requests in flight)"
    assert render(template, {"traffic.requests_per_month": 30, "x": 2}) == \
        "(30 runs a month, 2 requests in flight)"
    assert render(template, {"traffic.requests_per_month": 1, "x": 3},
                  lambda f: f == "traffic.requests_per_month") == \
        "(1 (assumed) run a month, 3 requests in flight)"
    assert [plural(n, "component") for n in (0, 1, 2, 1_024)] == [
        "0 components", "1 component", "2 components", "1,024 components"]
    assert plural(1, "entity", "entities") == "1 entity" and plural(1.0, "run") == "1 run"


# -- 4. numbers in messages: runplan's wording, the same in every format ----------------------

def test_a_figure_past_its_bound_reads_as_a_person_writes_it(runner: CliRunner,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("name: t\ntraffic: {avg_rps: 1e308}\nexecution: {memory_mb: 5e-324}\n")
    assert _run(runner, "advise", str(path)) == (2, (
        f"{path}:2: error: traffic.avg_rps: must be at most 100,000,000, got a number too large "
        f"to use\n{path}:3: error: execution.memory_mb: must be at least 1, got a number too "
        "close to 0 to use\n"))


@pytest.mark.parametrize("name,text", [
    ("p.yaml", "name: t\nexecution: {memory_mb: .inf}\n"),
    ("p.json", '{"name": "t", "execution": {"memory_mb": Infinity}}\n'),
    ("p.jsonl", '{"name": "t", "execution": {"memory_mb": 1e400}}\n'),
    ("p.csv", "name,execution.memory_mb\nt,inf\n"),
])
def test_infinity_is_one_wording_in_every_format(runner: CliRunner, tmp_path: Path,
                                                 name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    result = runner.invoke(main, ["score", str(path), "--format", "json", "-q", "-j", "1"])
    [error] = json.loads(result.stdout)["errors"] if result.stdout else [None]
    line = 1 if name.endswith((".json", ".jsonl")) else 2
    message = "must be a finite number, got a number too large to use"
    if error is None:  # a YAML or JSON document's problem is the file's: exit 2
        assert (result.exit_code, result.stderr) == (
            2, f"{path}:{line}: error: execution.memory_mb: {message}\n")
    else:
        assert (error["line"], error["field"], error["message"]) == (
            line, "execution.memory_mb", message)


@pytest.mark.parametrize("name,text", [
    ("p.yaml", "name: t\ntraffic: {avg_rps: .nan}\n"),
    ("p.jsonl", '{"name": "t", "traffic": {"avg_rps": NaN}}\n'),
    ("p.csv", "name,traffic.avg_rps\nt,NaN\n"),
])
def test_nan_is_named_nan_in_every_format(runner: CliRunner, tmp_path: Path, name: str,
                                          text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    result = runner.invoke(main, ["score", str(path), "-q", "-j", "1"])
    line = 1 if name.endswith(".jsonl") else 2
    assert f"{path}:{line}: error: traffic.avg_rps: must be a finite number, got NaN\n" \
        in result.stderr
    assert "Input should be" not in result.stderr and "got nan" not in result.stderr


# -- 5. adr check names MADR's sections as MADR spells them -----------------------------------

def test_a_missing_madr_section_is_named_as_madr_spells_it(runner: CliRunner,
                                                           tmp_path: Path) -> None:
    text = (ADR / "0001-stripe-webhook-on-lambda.md").read_text()
    path = tmp_path / "0009-no-context.md"
    path.write_text(text.replace("## Context and Problem Statement", "## Background"))
    result = runner.invoke(main, ["adr", "check", str(path), "--format", "json",
                                  "--fail-on", "never"])
    assert [(f["check"], f["message"], f["line"]) for f in json.loads(result.stdout)["findings"]
            ] == [("ADR-SECTION-MISSING", "no 'Context and Problem Statement' section", 35)]
    # matched whatever its case
    path.write_text(text.replace("## Context and Problem Statement",
                                 "## context AND problem statement"))
    result = runner.invoke(main, ["adr", "check", str(path), "--format", "json",
                                  "--fail-on", "never"])
    assert json.loads(result.stdout)["findings"] == []
