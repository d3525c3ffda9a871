"""`runplan score` at scale and under attack: a row never sinks the batch, a dead worker or a
signal never hangs it nor leaves a file behind, extreme numbers never reach an internal error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from runplan.cli import main
from runplan.synthetic import estate

# The poison rows of issue 13 item 6, each of which killed the whole batch (exit 3, no report).
DEEP = '{"name": "deep", "description": ' + "[" * 995 + "]" * 995 + "}"
CALLS_1E309 = '{"name": "calls-1e309", "architecture": {"calls_per_request": 1' + "0" * 309 + "}}"
CALLS_2_64 = '{"name": "calls-2-64", "architecture": {"calls_per_request": 18446744073709551616}}'
SUBNORMAL = '{"name": "subnormal", "execution": {"memory_mb": 5e-324}}'


def _estate_with_poison(path: Path) -> dict[int, str]:
    """1,000 synthetic rows with the four poison rows among them; {line: poison row}."""
    rows = [json.dumps(c, sort_keys=True) for c in estate(996, 3)]
    poison = {10: DEEP, 250: CALLS_1E309, 600: CALLS_2_64, 1000: SUBNORMAL}
    for line in sorted(poison):
        rows.insert(line - 1, poison[line])
    path.write_text("\n".join(rows) + "\n")
    return poison


@pytest.mark.parametrize("fmt", ["json", "csv", "text"])
def test_poison_rows_are_their_own_errors_in_a_1000_row_estate(runner: CliRunner,
                                                               tmp_path: Path,
                                                               fmt: str) -> None:
    path = tmp_path / "estate.jsonl"
    _estate_with_poison(path)
    result = runner.invoke(main, ["score", str(path), "--format", fmt, "-q", "-j", "1"])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"{path}:10: error: nested more than 32 levels deep (a profile needs four)",
        f"{path}:250: error: architecture.calls_per_request: must be <= 10000, got "
        + "1" + "0" * 56 + "...",  # the first 57 characters of a 310-digit number
        f"{path}:600: error: architecture.calls_per_request: must be <= 10000, got "
        "18446744073709551616",
        f"{path}:1000: error: execution.memory_mb: must be >= 1, got 5e-324"]
    if fmt == "json":
        data = json.loads(result.stdout)
        assert data["summary"] == {"file": str(path), "format": "jsonl", "scored": 996,
                                   "rejected": 4, "skipped": 0}
        assert [e["line"] for e in data["errors"]] == [10, 250, 600, 1000]
        assert len(data["components"]) == 996
        assert data["components"][0]["name"] == "svc-000000"
    elif fmt == "csv":
        assert len(result.stdout.splitlines()) == 1 + 996
    else:
        assert "1000 components read: 996 scored, 4 rejected" in " ".join(result.stdout.split())


def test_the_same_poison_given_to_advise_is_one_message(runner: CliRunner,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: subnormal\nexecution:\n  memory_mb: 5.0e-324\n")
    result = runner.invoke(main, ["advise", str(path)])
    assert (result.exit_code, result.stderr) == (
        2, f"{path}:3: error: execution.memory_mb: must be >= 1, got 5e-324\n")


def test_a_row_the_code_fails_on_is_an_internal_error_row_and_exit_3(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The net under the validation: orjson refusing one row's data (as it refused ints
    past 2**64 before the profile had bounds) costs that row only; the report is written, the
    row's error names its line and the exception's type, no traceback, and the exit code is
    3 (runplan failed on a row) even though the rest was scored."""
    import orjson

    real = orjson.dumps

    def dumps(data: Any, *args: Any) -> bytes:
        if isinstance(data, dict) and data.get("name") == "svc-000002":
            raise TypeError("Integer exceeds 64-bit range")
        return real(data, *args)

    monkeypatch.setattr(orjson, "dumps", dumps)
    path = tmp_path / "estate.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in estate(5, 1)))
    out = tmp_path / "report.json"
    result = runner.invoke(main, ["score", str(path), "-o", str(out), "-q", "-j", "1"])
    assert result.exit_code == 3
    message = (f"{path}:3: error: internal error (TypeError) while scoring this row; the "
               "other rows are scored; please report it")
    assert result.stderr == message + "\n"
    data = json.loads(out.read_text())
    assert [c["name"] for c in data["components"]] == ["svc-000000", "svc-000001",
                                                       "svc-000003", "svc-000004"]
    assert data["errors"] == [{"file": str(path), "line": 3, "field": "",
                               "message": message.split("error: ", 1)[1]}]
