"""A value with its unit where a range may go: `requests_per_month: 30M` reads as a range's end
does (`20M..40M`), with the field's own unit parser (`uncertainty.ranges.value_of`), in YAML and
JSON profiles, inventories, CSV cells, JSON Lines rows and ADR profiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from runplan.cli import main
from runplan.kbase import KnowledgeBase
from runplan.profile import load_component
from tests.conftest import ROOT

# (section, field, as written with its unit, the same by hand in the field's own unit)
EXAMPLES = [
    ("traffic", "requests_per_month", "30M", 30_000_000),  # 30 x 1,000,000
    ("execution", "memory_mb", "2GB", 2048),  # 2 x 1,024 MB
    ("execution", "avg_duration_ms", "1.5s", 1500),  # 1.5 x 1,000 ms
    ("traffic", "idle_fraction", "80%", 0.8),  # 80 / 100
    ("traffic", "avg_rps", "2k", 2000),  # 2 x 1,000 rps
]
IDS = [e[2] for e in EXAMPLES]


def _profile(section: str, field: str, value: object) -> str:
    return f"name: x\nkind: api\n{section}: {{{field}: {value}}}\n"


def _advise_json(runner: CliRunner, path: Path) -> str:
    result = runner.invoke(main, ["advise", str(path), "--format", "json"])
    assert (result.exit_code, result.stderr) == (0, "")
    return result.stdout


@pytest.mark.parametrize(("section", "field", "text", "number"), EXAMPLES, ids=IDS)
def test_a_value_with_its_unit_advises_as_the_plain_number(
        runner: CliRunner, tmp_path: Path, kb: KnowledgeBase, section: str, field: str,
        text: str, number: float) -> None:
    with_unit, plain = tmp_path / "unit.yaml", tmp_path / "plain.yaml"
    with_unit.write_text(_profile(section, field, text))
    plain.write_text(_profile(section, field, number))
    assert getattr(getattr(load_component(with_unit, kb), section), field) == number
    assert _advise_json(runner, with_unit) == _advise_json(runner, plain)


def test_json_text_is_read_with_the_unit_too(runner: CliRunner, tmp_path: Path,
                                             kb: KnowledgeBase) -> None:
    """In JSON a number in quotes is text: on a field that takes units, "5" is 5 rps."""
    quoted, plain = tmp_path / "q.json", tmp_path / "p.json"
    quoted.write_text('{"name": "x", "kind": "api", "traffic": {"avg_rps": "5"}}')
    plain.write_text('{"name": "x", "kind": "api", "traffic": {"avg_rps": 5}}')
    traffic = load_component(quoted, kb).traffic
    assert traffic is not None and traffic.avg_rps == 5
    assert _advise_json(runner, quoted) == _advise_json(runner, plain)


def test_a_value_keeps_its_exact_number(tmp_path: Path, kb: KnowledgeBase) -> None:
    """Not rounded as a range's median is (6 significant digits): 1,234,567 requests."""
    path = tmp_path / "p.yaml"
    path.write_text(_profile("traffic", "requests_per_month", "1.234567M"))
    traffic = load_component(path, kb).traffic
    assert traffic is not None and traffic.requests_per_month == 1.234567 * 1e6


def _score(runner: CliRunner, path: Path) -> str:
    result = runner.invoke(main, ["score", str(path), "--format", "json", "-q", "-j", "1"])
    assert (result.exit_code, result.stderr) == (0, "")
    return result.stdout.replace(str(path), "estate")


HEADER = ("name,kind,traffic.requests_per_month,execution.memory_mb,"
          "execution.avg_duration_ms,traffic.idle_fraction,traffic.avg_rps\n")


def test_csv_cells_take_units(runner: CliRunner, tmp_path: Path) -> None:
    units_, plain = tmp_path / "u" / "e.csv", tmp_path / "p" / "e.csv"
    units_.parent.mkdir()
    plain.parent.mkdir()
    units_.write_text(HEADER + "a,api,30M,2GB,1.5s,80%,\nb,worker,,,,,2k\n")
    plain.write_text(HEADER + "a,api,30000000,2048,1500,0.8,\nb,worker,,,,,2000\n")
    got = _score(runner, units_)
    assert got == _score(runner, plain)
    assert [c["name"] for c in json.loads(got)["components"]] == ["a", "b"]


def test_jsonl_rows_take_units(runner: CliRunner, tmp_path: Path) -> None:
    units_, plain = tmp_path / "u" / "e.jsonl", tmp_path / "p" / "e.jsonl"
    units_.parent.mkdir()
    plain.parent.mkdir()
    row = ('{{"name": "a", "kind": "api", "traffic": {{"requests_per_month": {}, '
           '"idle_fraction": {}}}, "execution": {{"memory_mb": {}, "avg_duration_ms": {}}}}}\n'
           '{{"name": "b", "traffic": {{"avg_rps": {}}}}}\n')
    units_.write_text(row.format('"30M"', '"80%"', '"2GB"', '"1.5s"', '"2k"'))
    plain.write_text(row.format(30000000, 0.8, 2048, 1500, 2000))
    assert _score(runner, units_) == _score(runner, plain)


BAD = [
    ("traffic", "requests_per_month", "30 parsecs",
     "expected a count like 30, 2k, 1.5M or 30/day, got '30 parsecs'"),
    ("execution", "memory_mb", "lots", "expected a size like 512MB or 2GB, got 'lots'"),
    ("execution", "avg_duration_ms", "1:30",
     "expected a duration like 300ms, 2s, 40min or 1h30m, got '1:30'"),
    ("traffic", "avg_rps", "lots", "expected a rate like 120, 2k, 120 rps or 3M/month, got 'lots'"),
    ("traffic", "idle_fraction", "30 parsecs",
     "expected a share like 0.9 or 90%, got '30 parsecs'"),
    ("traffic", "avg_rps", "1e308k", "'1e308k' is too large a number"),
]


@pytest.mark.parametrize(("section", "field", "text", "message"), BAD,
                         ids=[f"{b[1]}-{b[2]}" for b in BAD])
def test_a_bad_unit_value_is_one_message(runner: CliRunner, tmp_path: Path, section: str,
                                         field: str, text: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(_profile(section, field, text))
    result = runner.invoke(main, ["advise", str(path)])
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", f"{path}:3: error: {section}.{field}: {message}\n")


def test_a_bad_unit_value_is_reported_with_the_profiles_other_problems(
        runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nkind: apii\ntraffic:\n  avg_rps: 2 parsecs\n  peak_rps: -3\n")
    result = runner.invoke(main, ["advise", str(path)])
    assert (result.exit_code, result.stderr.splitlines()) == (2, [
        f'{path}:2: error: kind: must be one of api, web, worker, job, webhook, stream, '
        'event-handler, ml-inference; got "apii" (did you mean \'api\'?)',
        f"{path}:4: error: traffic.avg_rps: expected a rate like 120, 2k, 120 rps or "
        "3M/month, got '2 parsecs'",
        f"{path}:5: error: traffic.peak_rps: must be at least 0, got -3"])


def test_a_bad_unit_value_in_an_inventory_rejects_its_row(runner: CliRunner,
                                                          tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("name,traffic.avg_rps,team.engineers\na,30 parsecs,2\nb,1:30,\nc,5,many\n"
                    "d,2k,3\n")
    result = runner.invoke(main, ["score", str(path), "--format", "json", "-q", "-j", "1"])
    assert result.exit_code == 0
    assert [c["name"] for c in json.loads(result.stdout)["components"]] == ["d"]
    assert result.stderr.splitlines() == [
        f"{path}:2: error: traffic.avg_rps: expected a rate like 120, 2k, 120 rps or 3M/month, "
        "got '30 parsecs'",
        f"{path}:3: error: traffic.avg_rps: expected a rate like 120, 2k, 120 rps or 3M/month, "
        "got '1:30'",
        f"{path}:4: error: team.engineers: expected a whole number, got 'many'"]


def test_units_are_only_for_the_fields_that_take_them(runner: CliRunner, tmp_path: Path) -> None:
    """A count of engineers is a whole number: `5k` there is the schema's message."""
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nteam: {engineers: 5k}\n")
    result = runner.invoke(main, ["advise", str(path)])
    assert (result.exit_code, result.stderr) == (
        2, f'{path}:2: error: team.engineers: must be integer; got "5k"\n')


def test_the_published_schema_takes_a_value_with_its_unit() -> None:
    import jsonschema

    schema = json.loads((ROOT / "kbase/schemas/component.schema.json").read_text())
    assert schema["$defs"]["UnitValue"]["description"].startswith(
        "A value with its unit: 30M, 2k, 300ms, 2GB, 80%")
    v = jsonschema.Draft202012Validator(schema)
    ok = {"name": "a", "traffic": {"requests_per_month": "30M", "avg_rps": "2k",
                                   "idle_fraction": "80%"},
          "execution": {"memory_mb": "2GB", "avg_duration_ms": "1.5s"},
          "parts": [{"name": "p", "latency": {"p99_slo_ms": "300ms"}}]}
    assert list(v.iter_errors(ok)) == []
    for bad in ({"traffic": {"avg_rps": "lots"}}, {"team": {"engineers": "5k"}},
                {"execution": {"memory_mb": True}}):
        assert list(v.iter_errors({"name": "a", **bad}))


def test_schema_messages_of_a_plain_value_are_the_numbers(tmp_path: Path) -> None:
    """The schema is asked for messages only; on a field that takes units a non-number that is
    not text is still `must be number`, not the unit branch's pattern."""
    from runplan.validation import validate

    got = [(p.field, p.message) for v in ("lots", True, -5, [1])
           for p in validate({"name": "x", "traffic": {"avg_rps": v}}, "component",
                             str(tmp_path / "p.yaml"), {})]
    assert got == [("traffic.avg_rps", 'must be number; got "lots"'),
                   ("traffic.avg_rps", "must be number; got true"),
                   ("traffic.avg_rps", "must be at least 0, got -5"),
                   ("traffic.avg_rps", "must be number; got [1]")]


ADR = """---
status: accepted
date: 2026-03-02
runplan:
  profile:
    name: lookup
    kind: api
    traffic: {{pattern: steady, avg_rps: {rps}}}
---

# Lookups

## Considered Options

* AWS Lambda
* Kubernetes on EKS

## Decision Outcome

Chosen option: "AWS Lambda", because it needs no cluster.
"""


def test_an_adr_profile_takes_units(runner: CliRunner, tmp_path: Path) -> None:
    record = tmp_path / "0001-lookup.md"
    outputs = []
    for rps in ("5k", "5000"):
        record.write_text(ADR.format(rps=rps))
        result = runner.invoke(main, ["adr", "check", str(record), "--format", "json"])
        outputs.append((result.exit_code, result.stdout, result.stderr))
    assert outputs[0] == outputs[1]
    assert "5,000 rps" in outputs[0][1]
    record.write_text(ADR.format(rps="lots"))
    result = runner.invoke(main, ["adr", "check", str(record)])
    assert (result.exit_code, result.stderr) == (
        2, f"{record}:8: error: runplan.profile.traffic.avg_rps: expected a rate like 120, 2k, "
        "120 rps or 3M/month, got 'lots'\n")
