"""Reading users' files: bounded, regular files only, records confined to their repository,
JSON read as JSON, streams read once, rows counted as rows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from runplan.cli import main
from runplan.errors import UserError
from runplan.inventory import _json_entries, check_entry, read_inventory
from runplan.kbase import KnowledgeBase
from runplan.profile import load_component
from runplan.synthetic import estate
from runplan.yamlio import decode_json, load_json, load_yaml

from .conftest import EXAMPLES, ROOT

RUNPLAN = [sys.executable, "-m", "runplan"]
NOT_REGULAR = ("error: not a regular file (a device, FIFO, socket or /proc file); runplan "
               "reads regular files only")


def run(*args: str, stdin: bytes | None = None, cwd: Path | None = None,
        ) -> subprocess.CompletedProcess[str]:
    """runplan in its own process (a hang would fail the test, not stall the suite)."""
    return subprocess.run([*RUNPLAN, *args], input=None if stdin is None else stdin.decode(),
                          capture_output=True, text=True, timeout=120, cwd=cwd, check=False)


# -- decision records reference files inside their repository only ---------------------------

SECRET = "SECRET-TOKEN-abc123"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with a record folder and a profile folder, and a folder beside it."""
    top = tmp_path / "repo"
    top.mkdir()
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(top)], check=True)
    else:
        (top / ".git").mkdir()
    (top / "docs" / "adr").mkdir(parents=True)
    (top / "services").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "p.yaml").write_text(f"name: {SECRET}\nkind: nonsense\n")
    return top


def record(repo: Path, profile: str) -> Path:
    path = repo / "docs" / "adr" / "0001-api.md"
    path.write_text("---\nstatus: accepted\ndate: 2026-03-02\nrunplan:\n"
                    f"  profile: {profile}\n---\n# Run the API on EKS\n\n"
                    "## Context and Problem Statement\n\nWhere?\n\n## Considered Options\n\n"
                    "* EKS\n\n## Decision Outcome\n\nChosen option: \"EKS\", because.\n")
    return path


def outside_message(path: Path, profile: str, repo: Path) -> str:
    return (f"{path}:5: error: runplan.profile: {profile}: outside the repository "
            f"({repo}); a record may reference files inside its repository only (or "
            "give --root)\n")


@pytest.mark.parametrize("profile", ["/etc/passwd", "../../../outside/p.yaml", "/dev/zero",
                                     "/proc/self/status"])
def test_a_record_cannot_reference_a_file_outside_its_repository(
        runner: CliRunner, repo: Path, profile: str) -> None:
    path = record(repo, profile)
    result = runner.invoke(main, ["adr", "check", str(path)])
    assert result.exit_code == 2
    assert result.stderr == outside_message(path, profile, repo)
    assert "root:" not in result.output and SECRET not in result.output


def test_a_profile_path_the_system_cannot_take_is_that_records_error(
        runner: CliRunner, repo: Path, tmp_path: Path) -> None:
    """A NUL byte (`ValueError: embedded null byte`), a 300-character component and a ~6 KB path
    (`OSError: [Errno 36]`) exited 3 for the whole run; now each is its record's error, the
    other records are still checked and the SARIF is still written."""
    (repo / "services" / "ok.yaml").write_text(
        (EXAMPLES / "payments-webhook.yaml").read_text())
    adr = repo / "docs" / "adr"
    front = ("---\nstatus: accepted\ndate: 2026-03-02\nrunplan:\n  profile: \"{}\"\n---\n"
             "# Run it\n\n## Context and Problem Statement\n\nWhere?\n")
    nul = "../../services/ok.yaml\\0/etc/passwd"  # YAML's escape: the value holds a NUL
    long = "../../services/" + "b" * 300 + ".yaml"
    huge = "../../" + "c/" * 3000 + "x.yaml"
    for name, profile in (("0001-nul.md", nul), ("0002-long.md", long), ("0003-huge.md", huge),
                          ("0004-ok.md", "../../services/ok.yaml")):
        (adr / name).write_text(front.format(profile))
    sarif = tmp_path / "x.sarif"
    result = runner.invoke(main, ["adr", "check", str(adr), "--format", "sarif", "-o",
                                  str(sarif)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{adr}/0001-nul.md:5: error: runplan.profile: ../../services/ok.yaml\\x00/etc/passwd: "
        "a file name cannot contain a NUL byte",
        f"{adr}/0002-long.md:5: error: runplan.profile: ../../services/{'b' * 45}..."
        f"{'b' * 35}.yaml (320 characters): file name too long",
        f"{adr}/0003-huge.md:5: error: runplan.profile: ../../{'c/' * 27}..."
        f"{'c/' * 17}x.yaml (6,012 characters): file name too long"]
    run = json.loads(sarif.read_text())["runs"][0]
    assert len(run["invocations"][0]["toolExecutionNotifications"]) == 3
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in run["results"]} == {str(adr / "0004-ok.md")}


LONG = "a" * 300


@pytest.mark.parametrize("args", [
    ["advise", f"{LONG}.yaml"], ["score", f"{LONG}.jsonl"], ["adr", "check", f"{LONG}.md"],
    ["examples", LONG], ["rules", "validate", LONG],
    ["adr", "new", "--from", "p.yaml", "--title", "x", "-o", f"{LONG}.md"]])
def test_a_file_name_too_long_is_one_line(runner: CliRunner, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          args: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(EXAMPLES / "payments-webhook.yaml", "p.yaml")
    name = next(a for a in args if a.startswith(LONG))
    result = runner.invoke(main, args)
    assert (result.exit_code, result.stdout) == (2, "")
    shown = f"{name[:60]}...{name[-40:]} ({len(name)} characters)"
    assert result.stderr == f"{shown}: error: file name too long\n"


def test_a_symlink_out_of_the_repository_is_refused(runner: CliRunner, repo: Path) -> None:
    (repo / "services" / "link.yaml").symlink_to(repo.parent / "outside" / "p.yaml")
    (repo / "services" / "zero.yaml").symlink_to("/dev/zero")
    for name in ("link.yaml", "zero.yaml"):
        path = record(repo, f"../../services/{name}")
        result = runner.invoke(main, ["adr", "check", str(path)])
        assert (result.exit_code, result.stderr) == (
            2, outside_message(path, f"../../services/{name}", repo))
        assert SECRET not in result.output


def test_a_record_that_is_a_symlink_out_of_the_repository_is_refused(runner: CliRunner,
                                                                     repo: Path) -> None:
    outside = repo.parent / "outside" / "0009-leak.md"
    outside.write_text(f"---\nstatus: {SECRET}\n---\n# {SECRET}\n")
    (repo / "docs" / "adr" / "0009-leak.md").symlink_to(outside)
    (repo / "services" / "api.yaml").write_text((EXAMPLES / "core-api.yaml").read_text())
    record(repo, "../../services/api.yaml")
    result = runner.invoke(main, ["adr", "check", str(repo / "docs" / "adr"),
                                  "--fail-on", "never"])
    assert result.exit_code == 2
    assert result.stdout.startswith("1 record checked")
    assert result.stderr == (f"{repo / 'docs' / 'adr' / '0009-leak.md'}: error: a symlink to a "
                             f"file outside the repository ({repo}); a record must be a file "
                             "of the repository (or give --root)\n")
    assert SECRET not in result.output


def test_a_fifo_in_the_repository_is_refused_without_a_hang(repo: Path) -> None:
    os.mkfifo(repo / "services" / "api.yaml")
    path = record(repo, "../../services/api.yaml")
    result = run("adr", "check", str(path))
    assert result.returncode == 2
    assert result.stderr == f"{repo / 'services' / 'api.yaml'}: {NOT_REGULAR}\n"


def test_errors_about_a_referenced_file_echo_none_of_its_content(runner: CliRunner,
                                                                 repo: Path) -> None:
    (repo / "services" / "api.yaml").write_text(
        f"name: api\ntraffic: {SECRET}\nkind: {SECRET}\n{SECRET}: 5\n"
        f"execution: {{memory_mb: 512, runtime: '{SECRET}'}}\n")
    path = record(repo, "../../services/api.yaml")
    result = runner.invoke(main, ["adr", "check", str(path)])
    assert result.exit_code == 2
    assert SECRET not in result.output
    profile = repo / "services" / "api.yaml"
    assert result.stderr.splitlines() == [
        f"{profile}:2: error: traffic: must be object",
        f"{profile}:3: error: kind: must be one of api, web, worker, job, webhook, stream, "
        "event-handler, ml-inference",
        f"{profile}:4: error: <unknown field>: unknown field; allowed: architecture, "
        "constraints, description, execution, kind, latency, name, parts, team, traffic",
        f"{profile}:5: error: execution.runtime: must be one of python, node, java, go, "
        "dotnet, ruby, rust, container"]


def test_a_profile_inside_the_repository_is_checked(runner: CliRunner, repo: Path) -> None:
    (repo / "services" / "api.yaml").write_text((EXAMPLES / "core-api.yaml").read_text())
    (repo / "services" / "link.yaml").symlink_to("api.yaml")  # a link inside is fine
    for name in ("api.yaml", "link.yaml"):
        result = runner.invoke(main, ["adr", "check", str(record(repo, f"../../services/{name}")),
                                      "--fail-on", "never"])
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("1 record checked")


def test_root_widens_or_narrows_what_a_record_may_reference(runner: CliRunner,
                                                            repo: Path) -> None:
    (repo.parent / "outside" / "api.yaml").write_text((EXAMPLES / "core-api.yaml").read_text())
    path = record(repo, "../../../outside/api.yaml")
    wide = runner.invoke(main, ["adr", "check", str(path), "--root", str(repo.parent),
                                "--fail-on", "never"])
    assert wide.exit_code == 0, wide.output
    (repo / "services" / "api.yaml").write_text((EXAMPLES / "core-api.yaml").read_text())
    path = record(repo, "../../services/api.yaml")
    narrow = runner.invoke(main, ["adr", "check", str(path), "--root", str(repo / "docs")])
    assert (narrow.exit_code, narrow.stderr) == (
        2, outside_message(path, "../../services/api.yaml", repo / "docs"))


def test_outside_git_the_repository_is_the_current_directory(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same rule `adr new` follows to reference a profile instead of copying it."""
    project = tmp_path / "project"
    (project / "docs" / "adr").mkdir(parents=True)
    (project / "services").mkdir()
    (project / "services" / "api.yaml").write_text((EXAMPLES / "core-api.yaml").read_text())
    path = record(project, "../../services/api.yaml")
    monkeypatch.chdir(project)
    inside = runner.invoke(main, ["adr", "check", str(path), "--fail-on", "never"])
    assert inside.exit_code == 0, inside.output
    monkeypatch.chdir(project / "docs")
    outside = runner.invoke(main, ["adr", "check", str(path)])
    assert (outside.exit_code, outside.stderr) == (
        2, outside_message(path, "../../services/api.yaml", project / "docs"))


# -- one bounded reader: devices, FIFOs and /proc refused, never a hang ----------------------


@pytest.mark.parametrize("args", [
    ["advise", "/dev/zero"],
    ["advise", "/proc/self/status"],
    ["advise", str(EXAMPLES / "core-api.yaml"), "--pricing", "/dev/zero"],
    ["score", "/dev/zero", "--input-format", "yaml"],
    ["score", "/dev/zero", "--input-format", "jsonl"],
    ["score", str(EXAMPLES / "inventory.yaml"), "--defaults", "/dev/zero"],
    ["ask", "--answers", "/dev/zero"],
], ids=["advise", "proc", "pricing", "score-yaml", "score-jsonl", "defaults", "answers"])
def test_a_device_is_refused_with_one_message(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(main, args)
    named = next(a for a in args if a.startswith(("/dev/", "/proc/")))
    assert (result.exit_code, result.stderr) == (2, f"{named}: {NOT_REGULAR}\n")


def test_a_fifo_or_a_device_in_a_rules_directory_does_not_hang(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    os.mkfifo(rules / "org.yaml")
    result = run("rules", "validate", str(rules))
    assert (result.returncode, result.stderr) == (2, f"{rules / 'org.yaml'}: {NOT_REGULAR}\n")
    (rules / "org.yaml").unlink()
    (rules / "org.yaml").symlink_to("/dev/zero")
    result = run("advise", str(EXAMPLES / "core-api.yaml"), "--rules", str(rules))
    assert (result.returncode, result.stderr) == (2, f"{rules / 'org.yaml'}: {NOT_REGULAR}\n")


def test_a_named_pipe_of_json_lines_is_read_once(tmp_path: Path) -> None:
    """A FIFO is a stream like stdin: `score` waits for its writer, as `cat` does, and reads
    it as it comes (here the writer comes a second after the reader)."""
    fifo = tmp_path / "estate.jsonl"
    os.mkfifo(fifo)
    rows = (EXAMPLES / "inventory.jsonl").read_bytes()
    reader = subprocess.Popen([*RUNPLAN, "score", str(fifo), "--format", "json", "-q"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    with open(fifo, "wb") as w:
        w.write(rows)
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    assert json.loads(out)["summary"]["scored"] == 28


# -- stdin and pipes: every row, read once ---------------------------------------------------


@pytest.mark.parametrize(("name", "fmt"), [("inventory.jsonl", "jsonl"),
                                           ("inventory.csv", "csv"),
                                           ("inventory.yaml", "yaml")])
@pytest.mark.parametrize("target", ["-", "/dev/stdin"])
def test_piped_inventory_scores_every_row(name: str, fmt: str, target: str) -> None:
    """`cat inventory.jsonl | runplan score - --input-format jsonl` (was: 0 components read)."""
    result = run("score", target, "--input-format", fmt, "--format", "json",
                 stdin=(EXAMPLES / name).read_bytes())
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["summary"]["scored"] == 28
    assert data["components"][0]["name"] == "storefront-web"
    assert result.stderr == "runplan score: 28 components read: 28 scored, 0 rejected\n"


def test_stdin_needs_a_format(runner: CliRunner) -> None:
    result = runner.invoke(main, ["score", "-"], input="")
    assert (result.exit_code, result.stderr) == (
        2, "<stdin>: error: give --input-format (yaml | json | csv | jsonl | backstage) to "
           "read stdin\n")


def test_jsonl_from_stdin_names_its_rows(runner: CliRunner) -> None:
    result = runner.invoke(main, ["score", "-", "--input-format", "jsonl", "--format", "json",
                                  "-q", "-j", "1"],
                           input='{"name": "a", "kind": "webhook"}\n{"name": "b", "kind": 5}\n')
    assert result.exit_code == 0
    assert result.stderr == "<stdin>:2: error: kind: must be one of api, web, worker, job, " \
        "webhook, stream, event-handler, ml-inference; got 5\n"


def test_a_jsonl_bom_keeps_row_1_and_a_bad_byte_names_its_line(runner: CliRunner,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "estate.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"name": "a", "kind": "webhook"}\n{"name": "b"}\n')
    result = runner.invoke(main, ["score", str(path), "--format", "json", "-q", "-j", "1"])
    assert result.exit_code == 0, result.stderr
    assert [c["name"] for c in json.loads(result.stdout)["components"]] == ["a", "b"]
    path.write_bytes(b'{"name": "a", "kind": "webhook"}\n{"name": "b\xff"}\n')
    result = runner.invoke(main, ["score", str(path), "--format", "json", "-q", "-j", "1"])
    assert (result.exit_code, result.stderr) == (
        2, f"{path}:2: error: not UTF-8 text (byte 12 of the line is invalid)\n")


def test_a_bad_byte_in_a_profile_names_its_line(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"name: x\nkind: api\ndescription: caf\xe9\n")
    result = runner.invoke(main, ["advise", str(path)])
    assert (result.exit_code, result.stderr) == (
        2, f"{path}:3: error: not UTF-8 text (byte 34 is invalid)\n")


# -- JSON read as JSON; YAML numbers as numbers; aliases counted by what they add -------------


def test_json_profiles_take_json_numbers_and_refuse_what_json_does_not_allow(
        runner: CliRunner, tmp_path: Path, kb: KnowledgeBase) -> None:
    good = tmp_path / "p.json"
    good.write_text('{"name": "x", "kind": "api",\n "traffic": {"requests_per_month": 3e6}}\n')
    assert runner.invoke(main, ["advise", str(good)]).exit_code == 0
    traffic = load_component(good, kb).traffic
    assert traffic is not None and traffic.requests_per_month == 3_000_000
    for value, message in [
            ("0x10", "3: error: invalid JSON: Expecting ',' delimiter (column 30)"),
            ("1:30", "3: error: invalid JSON: Expecting ',' delimiter (column 30)"),
            ("NaN", "3: error: execution.memory_mb: must be a finite number, got NaN"),
            ("1e400", "3: error: execution.memory_mb: must be a finite number, got a number too "
             "large to use")]:
        bad = tmp_path / "bad.json"
        bad.write_text('{"name": "x",\n "kind": "api",\n "execution": {"memory_mb": '
                       f'{value}}}}}\n')
        result = runner.invoke(main, ["advise", str(bad)])
        assert (result.exit_code, result.stderr) == (2, f"{bad}:{message}\n"), value
    dup = tmp_path / "dup.json"
    dup.write_text('{"name": "x",\n "kind": "api",\n "name": "y"}\n')
    result = runner.invoke(main, ["advise", str(dup)])
    assert (result.exit_code, result.stderr) == (
        2, f"{dup}:3: error: name: duplicate key (first given on line 1)\n")


def test_yaml_reads_3e6_as_a_number(runner: CliRunner, tmp_path: Path, kb: KnowledgeBase,
                                    ) -> None:
    """YAML 1.1 wanted `3.0e+6`; `3e6` and `1E-3` are numbers now. YAML 1.1's other numbers
    are strings: `1:30` (sexagesimal 90), `0x10` (16), `0o17`, `1_000`; `010` is ten, not
    eight."""
    data, _ = load_yaml("a: 3e6\nb: 1E-3\nc: -2.5e+3\nd: 0x10\ne: '3e6'\nf: 1e\ng: 1:30\n"
                        "h: 010\ni: 0o17\nj: 1_000\nk: 1:30.5\nl: .5\nm: -7\n", "f")
    assert data == {"a": 3e6, "b": 0.001, "c": -2500.0, "d": "0x10", "e": "3e6", "f": "1e",
                    "g": "1:30", "h": 10, "i": "0o17", "j": "1_000", "k": "1:30.5", "l": 0.5,
                    "m": -7}
    for value in ("1:30", "0x10"):  # was read as 90 and 16 without a word; text is read
        bad = tmp_path / "bad.yaml"  # by the field's unit parser, which refuses both
        bad.write_text(f"name: x\nkind: api\ntraffic: {{requests_per_month: {value}}}\n")
        result = runner.invoke(main, ["advise", str(bad)])
        assert (result.exit_code, result.stderr) == (
            2, f"{bad}:3: error: traffic.requests_per_month: expected a count like 30, 2k, 1.5M "
            f"or 30/day, got '{value}'\n")
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nkind: api\ntraffic: {requests_per_month: 3e6}\n")
    assert runner.invoke(main, ["advise", str(path)]).exit_code == 0
    traffic = load_component(path, kb).traffic
    assert traffic is not None and traffic.requests_per_month == 3_000_000


def test_a_large_document_without_aliases_is_not_an_alias_bomb() -> None:
    """201,000 values and no alias: only what aliases add counts against the limit."""
    data, _ = load_yaml("values: [" + "1, " * 201_000 + "]\n", "big.yaml")
    assert len(data["values"]) == 201_000


def test_nesting_is_limited(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("name: x\ntraffic: " + "[" * 995 + "]" * 995 + "\n")
    result = runner.invoke(main, ["advise", str(path)])
    assert (result.exit_code, result.stderr) == (
        2, f"{path}:2: error: nested more than 100 levels deep; runplan files are shallow\n")


def _json_estate(path: Path, count: int, **top: Any) -> None:
    path.write_text(json.dumps({**top, "components": list(estate(count))}, indent=2))


def test_a_50000_component_json_inventory_is_read(tmp_path: Path, kb: KnowledgeBase) -> None:
    """Was refused as an alias bomb past about 4,500 components (every node was counted)."""
    path = tmp_path / "estate.json"
    _json_estate(path, 50_000)
    inventory = read_inventory(path)
    entries = list(inventory.entries)
    assert inventory.total == len(entries) == 50_000
    lines = path.read_text().splitlines()
    for e in (entries[0], entries[1], entries[49_999]):  # each row's line is its own "{"
        assert lines[e.line - 1] == "    {" and lines[e.line - 2] in ("  \"components\": [",
                                                                     "    },")
        assert f'"name": "{e.data["name"]}"' in "".join(lines[e.line:e.line + 40])
    assert check_entry(entries[49_999], kb).component is not None


def test_a_json_inventory_past_the_old_cap_scores(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "estate.json"
    _json_estate(path, 5_000)
    result = runner.invoke(main, ["score", str(path), "--format", "csv", "--no-flips", "-j", "2"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "runplan score: 5,000 components read: 5,000 scored, 0 rejected\n"
    assert len(result.stdout.splitlines()) == 5_001


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("RUNPLAN_LARGE"), reason="set RUNPLAN_LARGE=1 (about "
                    "40 s on two loaded cores)")
def test_a_50000_component_json_inventory_scores(tmp_path: Path) -> None:
    path = tmp_path / "estate.json"
    _json_estate(path, 50_000)
    result = run("score", str(path), "--format", "csv", "--no-flips", "-o",
                 str(tmp_path / "out.csv"))
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("runplan score: 50,000 components read: 50,000 scored, 0 "
                                    "rejected; wrote")


def test_a_bad_json_row_names_its_own_line_and_field(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "estate.json"
    path.write_text('{"defaults": {"team": {"devops_maturity": "basic"}},\n'
                    ' "components": [\n'
                    '  {"name": "a", "kind": "webhook"},\n'
                    '  {"name": "b",\n'
                    '   "kind": "api",\n'
                    '   "execution": {"memory_mb": -5}},\n'
                    '  {"name": "c", "kind": "job", "kind": "api"}\n'
                    ' ]}\n')
    result = runner.invoke(main, ["score", str(path), "--format", "json", "-q", "-j", "1"])
    assert (result.exit_code, result.stderr) == (
        2, f"{path}:7: error: components[2].kind: duplicate key (first given on line 7)\n")
    path.write_text(path.read_text().replace('"kind": "job", ', ""))
    result = runner.invoke(main, ["score", str(path), "--format", "json", "-q", "-j", "1"])
    assert result.exit_code == 0
    assert result.stderr == f"{path}:6: error: components[1].execution.memory_mb: must be at least 1, " \
        "got -5\n"
    assert [c["name"] for c in json.loads(result.stdout)["components"]] == ["a", "c"]


@pytest.mark.parametrize(("text", "message"), [
    ('{"components": [{"name": "a"},]}', "1: error: invalid JSON: Expecting value (column 31)"),
    ('{"components": [], "components": []}',
     "1: error: components: duplicate key (first given on line 1)"),
    ('{"components": []} []', "1: error: invalid JSON: expected the end of the file"),
    ('{"defaults": {"team": {"engineers": 1, "engineers": 2}, x}, "components": []}',
     "1: error: invalid JSON: Expecting property name enclosed in double quotes (column 57)"),
    ('{"services": [],\n "components": []}', "1: error: services: unknown key; an inventory "
     "has defaults and components"),
    ('{"defaults": {"team":\n {"devops_maturity": "expert"}}, "components": []}',
     "2: error: defaults.team.devops_maturity: must be one of none, basic, established, "
     'platform; got "expert"'),
])
def test_json_inventory_file_errors(runner: CliRunner, tmp_path: Path, text: str,
                                    message: str) -> None:
    path = tmp_path / "estate.json"
    path.write_text(text)
    result = runner.invoke(main, ["score", str(path), "-q", "-j", "1"])
    assert (result.exit_code, result.stderr) == (2, f"{path}:{message}\n")


# -- rows counted as rows; every problem of the branch a section fits ------------------------


def test_the_summary_counts_rows_not_problems(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text("components:\n"
                    "  - {name: a, kind: webhook}\n"
                    "  - name: b\n"
                    "    traffic: {avg_rps: -1, peak_rps: -5}\n"
                    "  - {name: c, kind: job}\n")
    result = runner.invoke(main, ["score", str(path), "--format", "json", "-j", "1"])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"{path}:4: error: components[1].traffic.avg_rps: must be at least 0, got -1",
        f"{path}:4: error: components[1].traffic.peak_rps: must be at least 0, got -5",
        "runplan score: 3 components read: 2 scored, 1 rejected"]
    summary = json.loads(result.stdout)["summary"]
    assert (summary["scored"], summary["rejected"]) == (2, 1)


def test_every_problem_of_a_bad_section_is_reported(runner: CliRunner, tmp_path: Path) -> None:
    """A section is `object or null`: an object is checked as an object, all of it."""
    path = tmp_path / "p.yaml"
    path.write_text("name: x\ntraffic:\n  avg_rps: -1\n  pattern: weird\n"
                    "execution: {memory_mb: lots}\n")
    result = runner.invoke(main, ["advise", str(path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{path}:3: error: traffic.avg_rps: must be at least 0, got -1",
        f"{path}:4: error: traffic.pattern: must be one of steady, diurnal, business-hours, "
        'bursty, scheduled, event-driven; got "weird"',
        f"{path}:5: error: execution.memory_mb: expected a size like 512MB or 2GB, got 'lots'"]


def test_null_is_not_given_so_defaults_apply(tmp_path: Path, kb: KnowledgeBase) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text("defaults:\n  team: {devops_maturity: platform, engineers: 9}\n"
                    "components:\n  - {name: a, kind: webhook, team: null}\n"
                    "  - {name: b, kind: webhook, team: {engineers: null}}\n"
                    "  - {name: c, kind: webhook, team: {engineers: 2}}\n")
    teams = []
    for entry in read_inventory(path).entries:
        component = check_entry(entry, kb).component
        assert component is not None and component.team is not None
        teams.append((component.team.devops_maturity, component.team.engineers))
    assert teams == [("platform", 9), ("platform", 9), ("platform", 2)]


def test_the_readme_promises_what_the_reader_does() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "64 MiB" in readme


# -- no input makes the reader fail in any way but a UserError --------------------------------

_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=4),
    max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet='{}[]",:0123456789eE.+-\\ntrufalsenNI x\ufeff', max_size=80))
def test_any_json_text_is_read_or_refused_with_a_message(text: str) -> None:
    """Truncated, doubled, malformed JSON: a value, or one Problem; never another error."""
    for reader in (load_json, lambda t, n: (decode_json(t, n), None)):
        try:
            reader(text, "f.json")
        except UserError as exc:
            assert len(exc.problems) == 1 and exc.problems[0].file == "f.json"


@settings(max_examples=60, deadline=None)
@given(components=st.lists(_JSONISH, max_size=5), wrap=st.booleans())
def test_any_json_inventory_is_split_or_refused(tmp_path_factory: pytest.TempPathFactory,
                                               components: list[Any], wrap: bool,
                                               kb: KnowledgeBase) -> None:
    path = tmp_path_factory.mktemp("inv") / "estate.json"
    path.write_text(json.dumps({"components": components} if wrap else components, indent=1))
    try:
        entries = list(read_inventory(path).entries)
    except UserError:
        return
    assert len(entries) == len(components)
    for entry, raw in zip(entries, components, strict=True):
        assert entry.data == raw
        checked = check_entry(entry, kb)
        for p in checked.problems:  # a row's problem names a line of its own component
            assert p.line is not None and p.line >= entry.line


@settings(max_examples=200, deadline=None)
@given(text=st.builds(lambda a, b: a + b,
                      st.sampled_from(['', '{"components": [', '{"defaults": {', '[',
                                       '{"components": [{"name": "a"}', '{"components":[],']),
                      st.text(alphabet='{}[]",:01e.-\n nulNaI\ufeff', max_size=40)))
def test_any_text_as_a_json_inventory_is_split_or_refused(text: str) -> None:
    try:
        _json_entries(text, "f.json", None)
    except UserError as exc:
        assert [p.file for p in exc.problems] == ["f.json"] * len(exc.problems)
