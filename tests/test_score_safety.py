"""`runplan score` at scale and under attack: a row never sinks the batch, a dead worker or a
signal never hangs it nor leaves a file behind, extreme numbers never reach an internal error."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
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
        f"{path}:10: error: invalid JSON: nested too deeply",
        f"{path}:250: error: architecture.calls_per_request: must be at most 10,000, got "
        "a number too large to use",  # a 310-digit number, never its digits
        f"{path}:600: error: architecture.calls_per_request: must be at most 10,000, got "
        "a number too large to use",  # 2**64: 10^18 and above is not shown
        f"{path}:1000: error: execution.memory_mb: must be at least 1, got a number too close "
        "to 0 to use"]
    if fmt == "json":
        data = json.loads(result.stdout)
        assert data["summary"] == {"file": str(path), "format": "jsonl", "scored": 996,
                                   "rejected": 4, "skipped": 0, "currency": "USD"}
        assert [e["line"] for e in data["errors"]] == [10, 250, 600, 1000]
        assert len(data["components"]) == 996
        assert data["components"][0]["name"] == "svc-000000"
    elif fmt == "csv":
        assert len(result.stdout.splitlines()) == 1 + 996
    else:
        assert "1,000 components read: 996 scored, 4 rejected" in " ".join(result.stdout.split())


@pytest.mark.parametrize("depth", [33, 40, 500])
def test_a_row_that_decodes_but_nests_deeper_than_a_profile_is_refused(
        runner: CliRunner, tmp_path: Path, depth: int) -> None:
    """Deep enough to decode, and then to run the validators' recursion out near the limit
    (980 deep did: an internal error); 33 lists in the mapping (34 levels) is already past
    anything a profile needs. Deeper than the decoder goes is `invalid JSON: nested too
    deeply`."""
    path = tmp_path / "estate.jsonl"
    path.write_text('{"name": "deep", "description": ' + "[" * depth + "]" * depth + '}\n'
                    '{"name": "plain"}\n')
    result = runner.invoke(main, ["score", str(path), "--format", "csv", "-q", "-j", "1"])
    assert (result.exit_code, result.stderr) == (
        0, f"{path}:1: error: nested more than 32 levels deep (a profile needs four)\n")


def test_the_same_poison_given_to_advise_is_one_message(runner: CliRunner,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: subnormal\nexecution:\n  memory_mb: 5.0e-324\n")
    result = runner.invoke(main, ["advise", str(path)])
    assert (result.exit_code, result.stderr) == (
        2, f"{path}:3: error: execution.memory_mb: must be at least 1, got a number too close "
        "to 0 to use\n")


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


# -- dead workers and signals ------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    """The scorer's worker processes (Linux /proc; not multiprocessing's resource tracker,
    which is no worker)."""
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as f:
            for child in f.read().split():
                with contextlib.suppress(OSError), open(f"/proc/{child}/cmdline", "rb") as c:
                    if b"resource_tracker" not in c.read():
                        out.append(int(child))
    return out


def _start(path: Path, out: Path, tmp: Path, *args: str) -> subprocess.Popen[bytes]:
    """`runplan score PATH -o OUT` in its own process group, its scratch under `tmp`."""
    tmp.mkdir(exist_ok=True)
    return subprocess.Popen([sys.executable, "-m", "runplan", "score", str(path), "-o", str(out),
                             "-q", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "TMPDIR": str(tmp)}, start_new_session=True)


def _workers_of(proc: subprocess.Popen[bytes], count: int = 2) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = _children(proc.pid)
        if len(found) >= count:
            return found
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("no workers started")


def _estate(tmp_path: Path, count: int) -> Path:
    from runplan.synthetic import write_jsonl

    path = tmp_path / "estate.jsonl"
    write_jsonl(str(path), count, 11, "real")
    return path


def _left_beside(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}"))


def test_a_killed_worker_stops_the_run_within_seconds(tmp_path: Path) -> None:
    """Issue 13 item 7's acceptance: SIGKILL to one worker during `score -o out.json`, as the
    out-of-memory killer would: one line naming the signal and the rows in hand, exit 3
    within seconds, the old target untouched, no temp file beside it, no scratch directory.
    (Retrying the chunk, as before, hid the kill: exit 0, no word.)"""
    path = _estate(tmp_path, 3000)
    out = tmp_path / "out.json"
    out.write_text("the old report\n")
    proc = _start(path, out, tmp_path / "tmp", "-j", "2")
    os.kill(_workers_of(proc)[0], signal.SIGKILL)
    killed = time.monotonic()
    _, stderr = proc.communicate(timeout=60)
    assert time.monotonic() - killed < 10
    assert proc.returncode == 3
    message = stderr.decode()
    prefix = (f"runplan score: a worker process was killed by SIGKILL (out of memory?) while "
              f"scoring {path}:")
    assert message.startswith(prefix) and message.endswith(f"; nothing written to {out}\n")
    first, last = (int(n) for n in message[len(prefix):].split(";")[0].split("-"))
    assert 1 <= first < last <= 3000  # the rows handed out and not yet scored
    assert message.count("\n") == 1
    assert out.read_text() == "the old report\n"
    assert _left_beside(out) == []
    assert os.listdir(tmp_path / "tmp") == []


@pytest.mark.parametrize("sig,code,jobs", [(signal.SIGTERM, 143, "2"), (signal.SIGINT, 130, "2"),
                                           (signal.SIGTERM, 143, "1")])
def test_a_signal_leaves_the_old_target_and_nothing_else(tmp_path: Path, sig: int, code: int,
                                                         jobs: str) -> None:
    """SIGTERM or Ctrl-C (SIGINT to the whole process group, workers included) in the middle
    of `score -o out.json`: exit 128 + the signal within seconds, one line, no traceback from
    the scorer or its workers, the old report untouched, no temp file beside it, no scratch
    directory."""
    path = _estate(tmp_path, 3000)
    out = tmp_path / "out.json"
    out.write_text("the old report\n")
    proc = _start(path, out, tmp_path / "tmp", "-j", jobs)
    deadline = time.monotonic() + 60
    while not _left_beside(out) and time.monotonic() < deadline:  # the output is open
        time.sleep(0.02)
    if jobs == "2":
        _workers_of(proc)
    time.sleep(0.5)  # scoring under way
    assert proc.poll() is None
    assert len(_left_beside(out)) == 1
    sent = time.monotonic()
    os.killpg(proc.pid, sig)
    _, stderr = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 10
    assert (proc.returncode, stderr.decode()) == (
        code, f"runplan score: stopped by {signal.Signals(sig).name}; nothing written to "
        f"{out}\n")
    assert out.read_text() == "the old report\n"
    assert _left_beside(out) == []
    assert os.listdir(tmp_path / "tmp") == []


def test_workers_start_before_the_caller_runs_any_thread() -> None:
    """`score_all` forks its workers before it returns, so that the progress display's
    thread is never running when a process forks."""
    import multiprocessing

    from runplan.inventory import Entry
    from runplan.score import Settings, score_all

    entries = [Entry(i, "estate", i + 1, c, {}) for i, c in enumerate(estate(200, 4))]
    results = score_all(iter(entries), Settings(encode=True, rows=False), 2, len(entries))
    try:
        assert len(multiprocessing.active_children()) == 2
        two = [s.data for s in results]
    finally:
        results.close()
    assert multiprocessing.active_children() == []
    one = [s.data for s in score_all(iter(entries), Settings(encode=True, rows=False), 1)]
    assert two == one and len(one) == 200


def test_no_usable_temporary_directory_scores_without_a_shared_store(tmp_path: Path) -> None:
    """Workers share experta runs through a scratch file; with no temporary directory to
    put it in, they share nothing, with the same results (was an internal error, exit 3)."""
    path = _estate(tmp_path, 600)
    plain = tmp_path / "plain.json"
    done = subprocess.run([sys.executable, "-m", "runplan", "score", str(path), "-o",
                           str(plain), "-q", "-j", "1"], capture_output=True)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out.json"
    script = ("import sys, tempfile; tempfile.tempdir = sys.argv[1]; "
              "from runplan.cli import main; main(sys.argv[2:], prog_name='runplan')")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "no-such-dir"), "score",
                           str(path), "-o", str(out), "-q", "-j", "2"], capture_output=True)
    assert (done.returncode, done.stderr) == (0, b"")
    assert out.read_bytes() == plain.read_bytes()


# -- extreme numbers ---------------------------------------------------------------------------

NUMERIC = [("traffic", "requests_per_month"), ("traffic", "avg_rps"), ("traffic", "peak_rps"),
           ("traffic", "idle_fraction"), ("execution", "avg_duration_ms"),
           ("execution", "max_duration_s"), ("execution", "memory_mb"), ("execution", "cpu_ms"),
           ("latency", "p99_slo_ms"), ("architecture", "calls_per_request"),
           ("team", "engineers")]
# As JSON text: zero, subnormals, the largest doubles, 2**64, past the double range (a float
# literal json reads as inf, and a 401-digit integer), and ordinary values beside them.
# Exponents are written with a point and a sign, which JSON and YAML 1.1 both read as floats.
EXTREMES = ["0", "-0.0", "5.0e-324", "2.2250738585072014e-308", "1.0e-300", "1.0e-9", "0.5",
            "1", "3", "1024", "1.0e+6", "1.0e+9", "1.0e+15", "1.0e+308",
            "1.7976931348623157e+308", "18446744073709551616", "9007199254740993", "1.0e+400",
            "1" + "0" * 400, "-1", "-1.0e+308"]
ORDINARY = ["0.001", "0.01", "0.3", "2", "5", "60", "100", "512", "900", "4096", "86400",
            "1.0e+7"]  # so that extremes meet valid neighbours often enough to be scored


def _profile_text(name: str, figures: list[tuple[tuple[str, str], str]], depth: int,
                  pattern: str) -> str:
    sections: dict[str, dict[str, str]] = {"traffic": {"pattern": f'"{pattern}"'}}
    for (section, field), value in figures:
        sections.setdefault(section, {})[field] = value  # the last value of a field wins
    body = [f'"name": "{name}"'] + [
        f'"{s}": {{{", ".join(f"{json.dumps(k)}: {v}" for k, v in fields.items())}}}'
        for s, fields in sections.items()]
    if depth:
        body.append('"description": ' + "[" * depth + "]" * depth)
    return "{" + ", ".join(body) + "}"


def _profiles() -> Any:
    from hypothesis import strategies as st

    figure = st.tuples(st.sampled_from(NUMERIC), st.sampled_from(EXTREMES + ORDINARY))
    pattern = st.sampled_from(["steady", "diurnal", "business-hours", "bursty", "scheduled",
                               "event-driven"])
    return st.tuples(st.lists(figure, min_size=1, max_size=4),
                     st.sampled_from([0, 0, 0, 0, 40, 990, 5000]), pattern)


def test_extreme_numbers_through_advise_and_score_never_an_internal_error(
        tmp_path: Path) -> None:
    """Profiles with extreme figures, one at a time through `advise` and forty at a time
    (with a good row) through `score`: a bad value is a clean message (advise: exit 2; score:
    that row's error), a valid one is scored; never exit 3, never "internal error"."""
    from hypothesis import HealthCheck, given, settings

    runner = CliRunner()
    batch: list[str] = []

    @settings(max_examples=100, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(_profiles())
    def one(example: tuple[list[tuple[tuple[str, str], str]], int, str]) -> None:
        figures, depth, pattern = example
        text = _profile_text(f"c{len(batch)}", figures, depth, pattern)
        batch.append(text)
        path = tmp_path / "p.json"
        path.write_text(text + "\n")
        result = runner.invoke(main, ["advise", str(path), "--format", "json"])
        assert result.exit_code in (0, 2), (text[:300], result.output)
        if result.exit_code == 0:
            data = json.loads(result.stdout)
            assert data["verdict"] in ("kubernetes", "serverless", "hybrid")
            assert "Infinity" not in result.stdout and "NaN" not in result.stdout
        else:
            lines = result.stderr.splitlines()
            assert lines and all(line.startswith(f"{path}") and ": error: " in line
                                 for line in lines), (text[:300], result.stderr)
            assert "unexpected" not in result.stderr

    one()
    estate_path = tmp_path / "extreme.jsonl"
    rows = [*batch, '{"name": "plain", "traffic": {"avg_rps": 5}}']
    estate_path.write_text("\n".join(rows) + "\n")
    for fmt in ("json", "text"):
        result = runner.invoke(main, ["score", str(estate_path), "--format", fmt, "-q", "-j",
                                      "1"])
        assert result.exit_code == 0, result.stderr
        assert "internal error" not in result.stderr and "unexpected" not in result.stderr
        if fmt == "json":
            data = json.loads(result.stdout)
            rejected = {e["line"] for e in data["errors"]}  # a row may have several problems
            assert data["summary"]["scored"] + len(rejected) == len(rows)
            assert data["components"][-1]["name"] == "plain"


@pytest.mark.parametrize("traffic,message", [
    ("requests_per_month: 1.0e-300, peak_rps: 1", "traffic.requests_per_month: must be 0 or at "
     "least 0.001 requests a month (one request in 83 years), got a number too close to 0 to "
     "use"),
    ("avg_rps: 5.0e-324, peak_rps: 1", "traffic.avg_rps: must be 0 or at least 0.001 requests a "
     "month (one request in 83 years), got a number too close to 0 to use"),
])
def test_a_volume_too_small_to_scale_is_refused(runner: CliRunner, tmp_path: Path,
                                                traffic: str, message: str) -> None:
    """Found by the fuzzing above: a peak of 1 rps over 1e-300 requests a month, scaled by
    the break-even scan to other volumes, overflowed to an infinite peak (exit 3 in advise).
    A volume is 0 (a dormant component) or at least one request in 83 years."""
    path = tmp_path / "p.yaml"
    path.write_text(f"name: tiny\ntraffic: {{{traffic}}}\n")
    result = runner.invoke(main, ["advise", str(path)])
    assert (result.exit_code, result.stderr) == (2, f"{path}:2: error: {message}\n")
    rows = tmp_path / "estate.jsonl"
    rows.write_text('{"name": "tiny", "traffic": {' + ", ".join(
        f'"{kv.split(": ")[0]}": {kv.split(": ")[1]}' for kv in traffic.split(", "))
        + '}}\n{"name": "plain"}\n')
    result = runner.invoke(main, ["score", str(rows), "--format", "csv", "-q", "-j", "1"])
    assert (result.exit_code, result.stderr) == (0, f"{rows}:1: error: {message}\n")
    assert [row[0] for row in csv.reader(io.StringIO(result.stdout))] == ["name", "plain"]


def test_a_row_whose_own_figures_cost_more_than_any_bill_is_that_row_s_error(
        runner: CliRunner, tmp_path: Path) -> None:
    """Within every bound, yet a billion rps of a million CPU-seconds each: the estimate is
    refused (above $10^15 a month) as this row's error, the rest is scored; with a --pricing
    override in force the same refusal is the override file's fault, exit 2 for the run
    (tests/test_output.py)."""
    path = tmp_path / "estate.jsonl"
    path.write_text('{"name": "huge", "traffic": {"avg_rps": 1e8, "peak_rps": 1e9}, '
                    '"execution": {"cpu_ms": 1e12, "memory_mb": 33554432}}\n{"name": "plain"}\n')
    result = runner.invoke(main, ["score", str(path), "--format", "json", "-q", "-j", "1"])
    assert (result.exit_code, result.stderr) == (
        0, f"{path}:1: error: costs.kubernetes: the nodes cost is above "
        "$1,000,000,000,000,000 a month; check the profile's figures (load, duration, memory)\n")
    assert [c["name"] for c in json.loads(result.stdout)["components"]] == ["plain"]
