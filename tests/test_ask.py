"""`runplan ask`: adaptive questions, help, back, invalid answers, scripts, profile and ADR."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from runplan.cli import main
from runplan.questions import load_questionnaire, parse_answer
from runplan.units import quantity

# The article's webhook for a small team (§7, §9): bursty, mostly idle, nobody waits on it.
WEBHOOK = ["payments-webhook", "3", "n",  # what it is; not accepting yet
           "", "none", "256MB", "n", "n",  # limits: aws, no compliance, memory, stateless
           "bursty", "60k/month", "20", "90%", "y"]  # load, then accept
# A steady core API for a platform team with a cluster (§6, §8, §10).
CORE_API = ["core-api", "api", "n",
            "aws", "", "n", "1GB", "n", "n",
            "steady", "300", "600", "0", "n",
            "40ms", "", "go", "n",
            "y", "150", "n",
            "platform", "y", "12", "y"]


def ask(runner: CliRunner, answers: list[str], *args: str) -> tuple[int, str, str]:
    """Exit code, what the user sees (the transcript on stderr, the verdict on stdout), and
    stdout alone."""
    result = runner.invoke(main, ["ask", *args], input="\n".join(answers) + "\n")
    return result.exit_code, result.output, result.stdout


def test_webhook_interview_ends_serverless_with_fewer_questions(runner: CliRunner) -> None:
    code, out, _ = ask(runner, WEBHOOK)
    assert code == 0, out
    assert "payments-webhook: SERVERLESS" in out
    total = len(load_questionnaire().questions)
    assert f"Asked 10 of {total} questions" in out
    # Skipped as irrelevant for a webhook: the time limit, GPU, websockets questions.
    assert "longest single run" not in out and "GPU" not in out
    assert "  -> provisional verdict: serverless" in out


def test_core_api_interview_ends_kubernetes(runner: CliRunner) -> None:
    code, out, _ = ask(runner, CORE_API)
    assert code == 0, out
    assert "core-api: KUBERNETES" in out
    total = len(load_questionnaire().questions)
    asked = int(out.split("Asked ")[1].split(" of ")[0])
    assert asked < total


def test_help_invalid_and_back(runner: CliRunner, tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    answers = ["svc", "?", "seven", "3", "<", "1", "y"]
    code, out, _ = ask(runner, answers, "--save-profile", str(profile))
    assert code == 0, out
    assert ("    The article's cases differ by kind: webhooks and event handlers are the classic "
            "function workloads") in out
    assert ("    (source: article §7 (What actually happens in real SaaS platforms): webhooks, file "
            "processing and scheduled jobs on the edges, core APIs and long-running workers in "
            "Kubernetes; article §9 (When Serverless is the smarter execution layer))") in out
    assert ("    not accepted: choose 1-8 or one of: api, web, webhook, event-handler, worker, "
            "job, stream, ml-inference; ? for help") in out
    # Asked after `?`, after the invalid answer, and again after `<` at the accept prompt;
    # the last answer (1: api) is kept.
    assert out.count("2. What kind of component is it? [Enter: api] >") == 4
    saved = yaml.safe_load(profile.read_text())
    assert saved == {"name": "svc", "kind": "api"}


def test_back_from_the_accept_prompt(runner: CliRunner, tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    code, out, _ = ask(runner, ["svc", "3", "<", "job", "y"], "--save-profile", str(profile))
    assert code == 0, out
    assert yaml.safe_load(profile.read_text())["kind"] == "job"


def test_end_of_input_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    profile, adr = tmp_path / "p.yaml", tmp_path / "adr.md"
    code, out, stdout = ask(runner, ["svc", "3"], "--save-profile", str(profile), "--adr",
                            str(adr))
    assert (code, stdout) == (1, "")
    assert out.endswith("\nrunplan ask: end of input before the interview finished; nothing "
                        "written\n")
    assert not profile.exists() and not adr.exists()
    assert list(tmp_path.iterdir()) == []


def test_saved_profile_round_trips_through_advise(runner: CliRunner, tmp_path: Path) -> None:
    profile = tmp_path / "webhook.yaml"
    code, out, _ = ask(runner, WEBHOOK, "--save-profile", str(profile))
    assert code == 0
    advised = runner.invoke(main, ["advise", str(profile)])
    assert advised.exit_code == 0
    verdict_line = next(line for line in out.splitlines()
                        if line.startswith("payments-webhook: "))
    assert advised.stdout.splitlines()[0] == verdict_line == \
        "payments-webhook: SERVERLESS (confidence 0.94)"  # ECS on Fargate 4.977x: 3.28 points
    # The whole view is the same: the profile holds exactly what was answered.
    assert advised.stdout in out


def test_adr_draft_is_madr_with_the_profile(runner: CliRunner, tmp_path: Path) -> None:
    adr = tmp_path / "0001-payments-webhook.md"
    code, _, _ = ask(runner, WEBHOOK, "--adr", str(adr))
    assert code == 0
    text = adr.read_text()
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["status"] == "proposed"
    assert front["runplan"]["profile"]["name"] == "payments-webhook"
    assert front["runplan"]["profile"]["traffic"]["pattern"] == "bursty"
    for heading in ("## Context and Problem Statement", "## Decision Drivers",
                    "## Considered Options", "## Decision Outcome", "### Consequences",
                    "### Confirmation", "## Pros and Cons of the Options", "## More Information"):
        assert heading in text
    assert 'Chosen option: "Serverless functions", because ' in text
    assert "* Bad, because about 0.24% of requests meet a cold start (+200 ms each)" in text


def test_adr_draft_references_the_saved_profile_in_one_repository(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "docs" / "adr").mkdir(parents=True)
    (tmp_path / "services").mkdir()
    monkeypatch.chdir(tmp_path)
    code, _, _ = ask(runner, WEBHOOK, "--save-profile", "services/webhook.yaml", "--adr",
                     "docs/adr/0001-payments-webhook.md")
    assert code == 0
    front = yaml.safe_load((tmp_path / "docs/adr/0001-payments-webhook.md").read_text().split(
        "---\n")[1])
    assert front["runplan"]["profile"] == "../../services/webhook.yaml"
    checked = runner.invoke(main, ["adr", "check", "docs/adr", "--fail-on", "note"])
    assert (checked.exit_code, checked.stdout) == (
        0, "1 record checked: 0 errors, 0 warnings, 0 notes\n")


def test_answers_file(runner: CliRunner, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("name: nightly-export\nkind: job\nmax_duration: 40min\n"
                       "runs: 30\nexecution.memory_mb: 2GB\n")
    result = runner.invoke(main, ["ask", "--answers", str(answers), "--format", "json"])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.stdout)
    assert result.stderr.startswith("Asked ")
    assert data["verdict"] == "kubernetes"
    assert data["excluded"]["serverless"] == ["LIMIT-DURATION-001"]


@pytest.mark.parametrize("text,message", [
    ("kind: lambda\n", "kind: choose 1-8 or one of: api, web, webhook, event-handler, worker, "
                       "job, stream, ml-inference"),
    ("peak_rps: 5\n", "peak_rps: not a question id or profile field (did you mean "
                      "traffic.peak_rps?)"),
    ("memory: -3\n", "memory: must be at least 1 MB, got -3"),
    ("engineers: '1e999'\n", "engineers: '1e999' is too large a number"),
    (f"calls: {'1' * 400}\n", "calls: '111111111111111111111111'... (400 characters) is too "
                              "large a number"),
    ("memory: 1,5GB\n", "memory: '1,5GB': use '.' as the decimal separator (1.5GB); ',' only "
                        "between groups of three digits (1,500)"),
])
def test_bad_answers_file(runner: CliRunner, tmp_path: Path, text: str, message: str) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("name: x\n" + text)
    result = runner.invoke(main, ["ask", "--answers", str(answers)])
    assert result.exit_code == 2
    assert result.stderr == f"{answers}:2: error: {message}\n"


@pytest.mark.parametrize("text,unit,value", [
    ("2k", "rps", 2000.0), ("3M/month", "rps", 3e6 / (730 * 3600)), ("300ms", "ms", 300.0),
    ("2s", "ms", 2000.0), ("40min", "s", 2400.0), ("2GB", "MB", 2048.0), ("90%", "share", 0.9),
    ("1.5M", "per month", 1.5e6), ("30/day", "per month", 30 * 730 / 24),
    ("120 req/min", "rps", 2.0), ("120/min", "rps", 2.0), ("7,200 requests per hour", "rps", 2.0),
    ("1h30m", "s", 5400.0), ("1h 30m", "s", 5400.0), ("2m30s", "ms", 150_000.0),
    ("1,500", "rps", 1500.0), ("12,000,000", "per month", 12e6), ("2k rps", "rps", 2000.0),
    ("5M", "rps", 5e6), ("1.5GB", "MB", 1536.0), ("2.5s", "s", 2.5)])
def test_units(text: str, unit: str, value: float) -> None:
    assert quantity(text, unit) == pytest.approx(value)


DECIMAL_COMMA = "use '.' as the decimal separator"


@pytest.mark.parametrize("text,unit,message", [
    ("1,5k", "rps", f"'1,5k': {DECIMAL_COMMA} (1.5k); ',' only between groups of three digits "
                    "(1,500)"),
    ("1,5GB", "MB", f"'1,5GB': {DECIMAL_COMMA} (1.5GB); ',' only between groups of three "
                    "digits (1,500)"),
    ("2,5s", "s", f"'2,5s': {DECIMAL_COMMA} (2.5s); ',' only between groups of three digits "
                  "(1,500)"),
    ("1,50,0", "rps", f"'1,50,0': {DECIMAL_COMMA}; ',' only between groups of three digits "
                      "(1,500)"),
    ("5m", "rps", "'5m' is ambiguous: write 5M for 5 million requests per second or 5/min for "
                  "5 per minute"),
    ("1e999", "people", "'1e999' is too large a number"),
    ("1" * 400, "calls", "'111111111111111111111111'... (400 characters) is too large a number"),
    ("30m1h", "s", "expected a duration like 300ms, 2s, 40min or 1h30m, got '30m1h'"),
    ("1h30", "s", "expected a duration like 300ms, 2s, 40min or 1h30m, got '1h30'"),
])
def test_units_refused(text: str, unit: str, message: str) -> None:
    with pytest.raises(ValueError) as exc:
        quantity(text, unit)
    assert str(exc.value) == message


def test_huge_numbers_are_asked_again_and_the_answers_kept(runner: CliRunner) -> None:
    engineers = CORE_API.index("12")
    answers = [*CORE_API[:engineers], "1e999", "1" * 400, "1e300", "12", "n",
               "", "", "", "1e999", "1" * 400, "3", ""]
    code, out, _ = ask(runner, answers)
    assert code == 0, out
    assert out.count("19. How many engineers are on the team? [people, Enter: 4] >") == 4
    assert out.count("23. How many synchronous calls to other internal services per request? "
                     "[calls, Enter: 0] >") == 3
    assert out.count("    not accepted: '1e999' is too large a number; ? for help\n") == 2
    assert out.count("    not accepted: '1e300' is too large a number; ? for help\n") == 1
    assert out.count("    not accepted: '111111111111111111111111'... (400 characters) is too "
                     "large a number; ? for help\n") == 2
    assert "core-api: KUBERNETES" in out
    assert "Calls 3 internal services synchronously per request" in out
    assert "Asked 24 of 28 questions" in out


def test_an_ambiguous_rate_is_asked_again(runner: CliRunner) -> None:
    average = CORE_API.index("300")
    answers = [*CORE_API[:average], "5m", "1,5k", "120 req/min", *CORE_API[average + 1:]]
    code, out, _ = ask(runner, answers)
    assert code == 0
    assert ("    not accepted: '5m' is ambiguous: write 5M for 5 million requests per second or "
            "5/min for 5 per minute; ? for help\n") in out
    assert ("    not accepted: '1,5k': use '.' as the decimal separator (1.5k); ',' only between "
            "groups of three digits (1,500); ? for help\n") in out
    # 120 req/min is 2 rps; against the 600 rps peak answered next that is a 300x peak,
    # bursty whatever the pattern says (TRAFFIC-BURSTY-002, issue 12), not steady.
    code, _, stdout = ask(runner, answers, "--format", "json")
    data = json.loads(stdout)
    fired = {r["rule"]: r["message"] for r in data["reasons"]}
    assert fired["TRAFFIC-BURSTY-002"].startswith(
        "Peak of 600 rps is 300x the average (steady traffic)")
    assert "TRAFFIC-STEADY-001" not in fired
    # The team runs a cluster: this API is priced joining it, at its marginal cost ($80.35:
    # node share, LB units, 0.005 FTE) where a flat 1/20 of the cluster's fixed cost charged
    # $335; against $34.81 on functions that is 2.3x, not 34x, and the platform team's
    # cluster wins, narrowly (issue 12's existing-cluster case).
    k8s = data["costs"]["kubernetes"]
    assert (k8s["view"], k8s["monthly_usd"], data["verdict"]) == ("marginal", 80.35,
                                                                  "kubernetes")


def test_every_verdict_relevant_field_has_a_question() -> None:
    from runplan.rulebase.load import load_rulebase

    fields = {f for r in load_rulebase().rules for f in (*r.fields_read(), *r.fields_graded())}
    profile_fields = {f for f in fields if not f.startswith(("cost.", "cold_start.", "limits.",
                                                             "parts.", "traffic.peak_to_avg",
                                                             "traffic.avg_concurrency"))}
    # and what the cost core reads
    profile_fields |= {"execution.avg_duration_ms", "execution.memory_mb", "execution.runtime",
                       "execution.cpu_ms",
                       "traffic.peak_rps", "constraints.provider", "execution.gpu",
                       "execution.long_lived_connections", "execution.max_duration_s",
                       "latency.p99_slo_ms"}
    asked = {q.field for q in load_questionnaire().questions}
    assert profile_fields - asked <= {"traffic.requests_per_month"}
    q = load_questionnaire().get("kind")
    assert q is not None and parse_answer(q, "web") == "web"


def _spawn(*args: str) -> object:
    import os
    import shutil
    import sys

    pexpect = pytest.importorskip("pexpect")
    exe = shutil.which("runplan", path=os.path.dirname(sys.executable)) or "runplan"
    return pexpect.spawn(exe, ["ask", *args], encoding="utf-8", timeout=30,
                         dimensions=(40, 120), env={**os.environ, "TERM": "xterm"})


DOWN = "\x1b[B"


def test_terminal_arrow_keys_help_invalid_back(tmp_path: Path) -> None:
    """A real pseudo-terminal (prompt_toolkit): Down cycles the choices, ? explains, a wrong
    answer is re-asked with the reason, < goes back, and the profile is written at the end."""
    import pexpect

    profile = tmp_path / "p.yaml"
    child: pexpect.spawn = _spawn("--save-profile", str(profile))  # type: ignore[assignment]
    child.expect("Name of the component")
    child.sendline("svc")
    child.expect("What kind of component is it")
    child.send(DOWN * 3 + "\r")  # api, web, webhook
    child.expect("Accept it and finish")
    child.sendline("n")
    child.expect("Which provider must it run on")
    child.sendline("?")
    child.expect(r"\(source: article §10 \(The messy reality of choosing\): forced to use")
    child.sendline("mars")
    child.expect("not accepted: choose 1-5 or one of: aws, gcp, azure, on-prem, any")
    child.sendline("<")
    child.expect("What kind of component is it")
    child.send(DOWN * 6 + "\r")  # job
    child.expect("Accept it and finish")
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert yaml.safe_load(profile.read_text()) == {"name": "svc", "kind": "job"}


def test_terminal_ctrl_c_writes_nothing(tmp_path: Path) -> None:
    import pexpect

    profile, adr = tmp_path / "p.yaml", tmp_path / "a.md"
    child: pexpect.spawn = _spawn("--save-profile", str(profile), "--adr", str(adr))  # type: ignore[assignment]
    child.expect("Name of the component")
    child.sendline("svc")
    child.expect("What kind of component is it")
    child.sendcontrol("c")
    child.expect("runplan ask: interrupted; nothing written")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("answers", [WEBHOOK, CORE_API], ids=["webhook", "core-api"])
def test_adr_draft_passes_adr_check(runner: CliRunner, tmp_path: Path,
                                    answers: list[str]) -> None:
    adr = tmp_path / "0001-draft.md"
    code, _, _ = ask(runner, answers, "--adr", str(adr))
    assert code == 0
    checked = runner.invoke(main, ["adr", "check", str(adr), "--fail-on", "note"])
    assert checked.exit_code == 0, checked.output
    assert checked.stdout == "1 record checked: 0 errors, 0 warnings, 0 notes\n"


def test_questions_go_once_a_hard_constraint_rules_functions_out(runner: CliRunner) -> None:
    # Websockets rule functions out (LIMIT-CONNECTIONS-001): no latency or lock-in questions.
    code, out, _ = ask(runner, ["chat", "api", "", "", "", "y", "", "n"] + [""] * 30)
    assert code == 0, out
    assert "hard constraint: serverless excluded by LIMIT-CONNECTIONS-001" in out
    for gone in ("Does a person wait on the answer?", "99th-percentile",
                 "How much provider lock-in", "Must it be portable"):
        assert gone not in out
    assert "Is there already a production Kubernetes cluster" in out


def test_provider_option_skips_its_question(runner: CliRunner) -> None:
    code, out, _ = ask(runner, WEBHOOK[:3] + WEBHOOK[4:], "--provider", "gcp")
    assert code == 0, out
    assert "Which provider must it run on?" not in out
    assert "Monthly cost on gcp:" in out


def test_missing_output_directory_is_refused_before_asking(runner: CliRunner,
                                                         tmp_path: Path) -> None:
    target = tmp_path / "nope" / "p.yaml"
    code, out, stdout = ask(runner, WEBHOOK, "--save-profile", str(target))
    assert (code, stdout) == (2, "")
    assert out == f"{target}: error: --save-profile: directory {target.parent} does not exist\n"


def test_json_verdict_alone_on_stdout(runner: CliRunner) -> None:
    """`runplan ask --format json > j.out`: the questions and the transcript go to stderr, so
    stdout parses as JSON and holds nothing else."""
    import json

    result = runner.invoke(main, ["ask", "--format", "json"], input="\n".join(WEBHOOK) + "\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] == "serverless"
    assert result.stdout.startswith("{\n")
    assert "1. Name of the component > payments-webhook\n" in result.stderr
    assert "  -> provisional verdict: serverless" in result.stderr
    assert result.stderr.rstrip().endswith("inputs assumed (runplan defaults).")


def test_terminal_json_redirected_to_a_file(tmp_path: Path) -> None:
    """`runplan ask --format json > j.out` on a terminal: the interview stays on the terminal
    (stderr) and the file holds only the JSON."""
    import json
    import os
    import shlex
    import shutil
    import sys

    pexpect = pytest.importorskip("pexpect")
    exe = shutil.which("runplan", path=os.path.dirname(sys.executable)) or "runplan"
    out = tmp_path / "j.out"
    child = pexpect.spawn("/bin/sh", ["-c", f"{shlex.quote(exe)} ask --format json > "
                                      f"{shlex.quote(str(out))}"], encoding="utf-8",
                          timeout=30, dimensions=(40, 120), env={**os.environ, "TERM": "xterm"})
    child.expect("Name of the component")
    child.sendline("svc")
    child.expect("What kind of component is it")
    child.sendline("job")
    child.expect("Accept it and finish")
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    data = json.loads(out.read_text())
    assert data["name"] == "svc"
    assert out.read_text().startswith("{\n")


@pytest.mark.parametrize("text,unit", [
    ("1" + " " * (1 << 20) + "x", "rps"),  # the number pattern's lazy tail was quadratic here
    ("1 per" + " " * (1 << 20) + "!", "per month"),  # and the period pattern's two spaces
    ("1," * (1 << 19) + "5", "rps"),
    ("1h" * (1 << 19), "s"),
])
def test_a_long_answer_is_refused_quickly_and_quoted_short(text: str, unit: str) -> None:
    import time

    started = time.perf_counter()
    with pytest.raises(ValueError) as exc:
        quantity(text, unit)
    assert time.perf_counter() - started < 5  # a sanity bound; it takes milliseconds
    assert f"... ({len(text):,} characters)" in str(exc.value)
    assert len(str(exc.value)) < 200


@pytest.mark.parametrize("unit", ["rps", "per month", "ms", "s", "MB", "share", "people"])
def test_any_answer_is_a_finite_number_or_a_reason(unit: str) -> None:
    import math

    from hypothesis import example, given, settings
    from hypothesis import strategies as st

    digits = st.text(alphabet="0123456789.,_eE+-kKmMbBgGhs /%", max_size=40)

    @settings(max_examples=300, deadline=None)
    @given(st.one_of(digits, st.text(max_size=40)))
    @example("1e308k")  # finite, until multiplied by its unit
    @example("1e308GB")
    @example("1e308h")
    @example("1e308/s")
    def check(text: str) -> None:
        try:
            value = quantity(text, unit)
        except ValueError as exc:
            assert str(exc)
        else:
            assert math.isfinite(value)

    check()
