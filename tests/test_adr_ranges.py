"""Decision records on profiles with ranges (issue 14 review, items 2, 3 and 12): `adr check`
and `adr new` read a ranged profile as `advise` does (`profile.component_from`), an inline
profile keeps each range as written, and ADR-FRAGILE compares a probability with the recorded
one only when both were made the same way (`runplan.revisit.probability_method`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from runplan.cli import main

from .test_adr_revisit import AT_2_RPS, EPOCH_2026_06_01, FRAGILE, GROWN, check, variant

# `ask --answers`: the review's reproduction (a range where a number goes).
ANSWERS = "name: svc\ntraffic.avg_rps: 0.5..2\nkind: api\n"
# The review's orders profile: avg_rps a 90% interval of 0.3..3 (median sqrt(0.9) = 0.949).
ORDERS = ("name: orders-api\nkind: api\ntraffic: {pattern: steady, avg_rps: 0.3..3}\n"
          "execution: {avg_duration_ms: 120, memory_mb: 1024, runtime: node}\n"
          "team: {devops_maturity: established}\nconstraints: {provider: aws}\n")
POINTS_SVC = ("points for it over kubernetes: COST-SERVERLESS-CHEAPER-001 +3, TRAFFIC-LOW-001 "
              "+1.05, TEAM-OPS-LOW-002 +0.5")
POINTS_ORDERS = ("points for it over kubernetes: COST-SERVERLESS-CHEAPER-001 +2.79, "
                 "TEAM-PLATFORM-001 -2, TRAFFIC-LOW-001 +0.96")
MEASURE_ORDERS = ("measure traffic.avg_rps first (knowing it was worth up to $33.90/month when "
                  "recorded), or record why the decision stands")


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository of its own (records reference files inside it), dated 2026-06-01."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH_2026_06_01)
    return tmp_path


def _front(path: Path) -> dict[str, Any]:
    return dict(yaml.safe_load(path.read_text().split("---\n")[1]))


def _accept(path: Path) -> None:
    path.write_text(path.read_text().replace("status: proposed", "status: accepted", 1))


def _ask(runner: CliRunner, *args: str) -> None:
    Path("ans.yaml").write_text(ANSWERS)
    result = runner.invoke(main, ["ask", "--answers", "ans.yaml", *args])
    assert result.exit_code == 0, result.output


def _new(runner: CliRunner, *args: str) -> Path:
    Path("orders.yaml").write_text(ORDERS)
    result = runner.invoke(main, ["adr", "new", "--from", "orders.yaml", "--title", "Orders",
                                  "-o", "0001-orders.md", *args])
    assert result.exit_code == 0, result.output
    return Path("0001-orders.md")


def test_ask_adr_check_round_trip_with_a_ranged_profile(runner: CliRunner, here: Path) -> None:
    _ask(runner, "--save-profile", "svc.yaml", "--adr", "0009-svc.md")
    assert "  avg_rps: 0.5..2\n" in Path("svc.yaml").read_text()  # line 18, as written
    revisit = _front(Path("0009-svc.md"))["runplan"]["revisit"]
    assert _front(Path("0009-svc.md"))["runplan"]["profile"] == "svc.yaml"
    # ask has no draws: the probability is the score margin's (the verdict's confidence).
    assert (revisit["probability"], revisit["probability_method"]) == (0.65, "margin")
    assert not {"draws", "top_input", "top_input_value_usd"} & set(revisit)
    assert check(runner, "0009-svc.md", "--as-of", "2026-06-01") == (
        0, "1 record checked: 0 errors, 0 warnings, 0 notes\n", "")
    _accept(Path("0009-svc.md"))
    code, out, err = check(runner, "0009-svc.md", "--as-of", "2026-12-02", "--fragile-below",
                           "0.7")
    assert (code, err) == (0, "")
    assert out == (
        "0009-svc.md:4: warning: ADR-REVIEW-DUE: review-by 2026-12-01 has passed (1 day "
        "before 2026-12-02): review the decision against the profile and current prices, then "
        "set a new review-by date\n"
        "0009-svc.md:16: note: ADR-FRAGILE: accepted, but the probability that serverless "
        f"holds is 0.65, below 0.70; {POINTS_SVC}; measure the inputs it turns on, or record "
        "why the decision stands\n"
        "1 record checked: 0 errors, 1 warning, 1 note\n")
    # Sampled now, the margin's 0.65 is not compared with the 0.97 of 200 draws (what
    # advise --uncertain=200 says of the same profile).
    advised = json.loads(runner.invoke(main, ["advise", "svc.yaml", "--uncertain=200",
                                              "--format", "json"]).stdout)
    assert advised["confidence"] == 0.97
    code, out, _ = check(runner, "0009-svc.md", "--as-of", "2026-06-01", "--fragile-below",
                         "0.99", "--uncertain=200")
    assert code == 0
    assert out.splitlines()[0] == (
        "0009-svc.md:16: note: ADR-FRAGILE: accepted, but the probability that serverless "
        "holds is 0.97 over 200 draws, below 0.99 (the record's 0.65 is the score margin's: "
        f"re-run without --uncertain to compare); {POINTS_SVC}; measure the inputs it turns "
        "on, or record why the decision stands")


def test_a_bad_range_in_a_referenced_profile_is_one_message(runner: CliRunner,
                                                            here: Path) -> None:
    _ask(runner, "--save-profile", "svc.yaml", "--adr", "0009-svc.md")
    profile = Path("svc.yaml")
    profile.write_text(profile.read_text().replace("avg_rps: 0.5..2", "avg_rps: 2..0.5"))
    assert check(runner, "0009-svc.md") == (
        2, "0 records checked: 0 errors, 0 warnings, 0 notes\n",
        "svc.yaml:18: error: traffic.avg_rps: the low end must be below the high end\n")
    profile.write_text(profile.read_text().replace("avg_rps: 2..0.5", "avg_rps: 0.5..2sneaky"))
    code, _, err = check(runner, "0009-svc.md")
    assert (code, err.count("\n"), "sneaky" in err) == (2, 1, False)
    assert err.startswith("svc.yaml:18: error: traffic.avg_rps: ")


def test_ask_adr_inline_keeps_the_range(runner: CliRunner, here: Path) -> None:
    _ask(runner, "--adr", "0009-svc.md")
    front = _front(Path("0009-svc.md"))
    assert front["runplan"]["profile"]["traffic"]["avg_rps"] == "0.5..2"
    _accept(Path("0009-svc.md"))
    code, out, _ = check(runner, "0009-svc.md", "--as-of", "2026-06-01", "--fragile-below",
                         "0.7")
    assert code == 0
    assert "holds is 0.65, below 0.70;" in out


def test_adr_new_from_a_ranged_profile_records_how_it_was_sampled(runner: CliRunner,
                                                                  here: Path) -> None:
    record = _new(runner, "--uncertain=400")
    front = _front(record)
    assert front["runplan"]["profile"] == "orders.yaml"
    # advise --uncertain=400: serverless in 53% of the draws (0.5275); traffic.avg_rps
    # decides it, worth up to $33.90/month.
    advised = json.loads(runner.invoke(main, ["advise", "orders.yaml", "--uncertain=400",
                                              "--format", "json"]).stdout)
    u = advised["uncertainty"]
    assert (advised["confidence"], u["top_input"]) == (0.5275, "traffic.avg_rps")
    assert u["value_of_information_usd"]["traffic.avg_rps"] == 33.9
    revisit = front["runplan"]["revisit"]
    assert {k: revisit[k] for k in ("probability", "probability_method", "draws", "top_input",
                                    "top_input_value_usd")} == {
        "probability": 0.53, "probability_method": "sampled", "draws": 400,
        "top_input": "traffic.avg_rps", "top_input_value_usd": 33.9}
    assert check(runner, str(record), "--as-of", "2026-06-01") == (
        0, "1 record checked: 0 errors, 0 warnings, 0 notes\n", "")


def test_fragile_compares_a_sampled_record_like_with_like(runner: CliRunner,
                                                         here: Path) -> None:
    record = _new(runner, "--uncertain=400")
    _accept(record)
    head = "0001-orders.md:16: note: ADR-FRAGILE: accepted, but the probability that " \
        "serverless holds is "
    # Without --uncertain: the score margin (0.09 at the median 0.949 rps) is not set beside
    # the record's sampled 0.53; the note says how to compare them.
    code, out, _ = check(runner, str(record), "--as-of", "2026-06-01")
    assert code == 0
    assert out == (
        f"{head}0.09 by the score margin, below 0.60 (the record's 0.53 was sampled over 400 "
        f"draws: re-run with --uncertain=400 to compare); {POINTS_ORDERS}; {MEASURE_ORDERS}\n"
        "1 record checked: 0 errors, 0 warnings, 1 note\n")
    # --uncertain (1,000 draws by default) samples a sampled record with its own 400 draws:
    # the same 0.5275 as when it was written, so nothing moved.
    for flag in ("--uncertain", "--uncertain=5000"):
        code, out, _ = check(runner, str(record), "--as-of", "2026-06-01", flag)
        assert code == 0
        assert out.splitlines()[0] == (
            f"{head}0.53 over 400 draws, below 0.60; {POINTS_ORDERS}; {MEASURE_ORDERS}")
    result = runner.invoke(main, ["adr", "check", str(record), "--as-of", "2026-06-01",
                                  "--uncertain", "--format", "json"])
    assert json.loads(result.stdout)["verdicts"][str(record)]["confidence"] == 0.5275
    # Compared when both were sampled: a recorded probability that moved is shown.
    record.write_text(record.read_text().replace("probability: 0.53", "probability: 0.8"))
    code, out, _ = check(runner, str(record), "--as-of", "2026-06-01", "--uncertain")
    assert code == 0
    assert out.splitlines()[0] == (f"{head}0.53 over 400 draws (0.80 when recorded), below "
                                   f"0.60; {POINTS_ORDERS}; {MEASURE_ORDERS}")


def test_a_top_input_worth_nothing_is_named_as_the_one_that_moves_it(
        runner: CliRunner, here: Path) -> None:
    record = _new(runner, "--uncertain=400")
    _accept(record)
    record.write_text(record.read_text().replace("top_input_value_usd: 33.9",
                                                 "top_input_value_usd: 0"))
    _, out, _ = check(runner, str(record), "--as-of", "2026-06-01", "--uncertain")
    assert out.splitlines()[0].endswith(
        "; measure traffic.avg_rps first (it moved the verdict most when recorded), or record "
        "why the decision stands")


def test_adr_new_inline_keeps_each_range_as_written(runner: CliRunner, here: Path) -> None:
    Path("orders.yaml").write_text(
        ORDERS.replace("avg_duration_ms: 120", "avg_duration_ms: {low: 80ms, high: 200ms}")
        + "parts:\n- name: export\n  execution: {memory_mb: 1GB..2GB}\n")
    result = runner.invoke(main, ["adr", "new", "--from", "orders.yaml", "--title", "Orders",
                                  "-o", "0001-orders.md", "--profile-inline"])
    assert result.exit_code == 0, result.output
    record = Path("0001-orders.md")
    profile = _front(record)["runplan"]["profile"]
    assert profile["traffic"] == {"pattern": "steady", "avg_rps": "0.3..3"}
    assert profile["execution"]["avg_duration_ms"] == {"low": "80ms", "high": "200ms"}
    assert profile["execution"]["memory_mb"] == 1024
    assert profile["parts"] == [{"name": "export", "execution": {"memory_mb": "1GB..2GB"}}]
    assert check(runner, str(record), "--as-of", "2026-06-01")[0] == 0
    # The inline ranges are read back as the file's were: the same verdict and confidence.
    for extra in ([], ["--uncertain=200"]):
        from_file = json.loads(runner.invoke(main, ["advise", "orders.yaml", "--format", "json",
                                                    *extra]).stdout)
        checked = json.loads(runner.invoke(main, ["adr", "check", str(record), "--format",
                                                  "json", "--as-of", "2026-06-01",
                                                  *extra]).stdout)
        assert checked["verdicts"][str(record)] == {
            "verdict": from_file["verdict"], "confidence": from_file["confidence"]}
    # A bad inline range: one message naming the record, its line and the field.
    text = record.read_text()
    record.write_text(text.replace("avg_rps: 0.3..3", "avg_rps: 3..0.3"))
    line = 1 + text.split("\n").index("      avg_rps: 0.3..3")
    assert check(runner, str(record)) == (
        2, "0 records checked: 0 errors, 0 warnings, 0 notes\n",
        f"0001-orders.md:{line}: error: runplan.profile.traffic.avg_rps: the low end must be "
        "below the high end, got 3..0.3\n")


def test_an_old_record_without_the_method_still_checks(runner: CliRunner,
                                                       tmp_path: Path) -> None:
    assert "probability_method" not in GROWN.read_text()
    path = variant(tmp_path, AT_2_RPS, ("probability: 0.03", "probability: 0.8"))
    code, out, _ = check(runner, str(path), "--as-of", "2026-07-01")
    assert (code, out) == (0, f"{path}:19: note: ADR-FRAGILE: "
                              + FRAGILE.replace("is 0.03,", "is 0.03 (0.80 when recorded),")
                              + "\n1 record checked: 0 errors, 0 warnings, 1 note\n")


MARGIN = "0.03\n    probability_method: margin"
SAMPLED = "0.03\n    probability_method: sampled\n    draws: 400"


# The new keys are a user's text in CI like the rest: one message each, never the value.
@pytest.mark.parametrize("new,line,field,message", [
    ("0.03\n    probability_method: sneaky", 20, "runplan.revisit.probability_method",
     "must be one of margin, sampled"),
    ("0.03\n    probability_method: sampled", 20, "runplan.revisit.draws",
     "sampled needs draws: the number of draws"),
    ("0.03\n    probability_method: sampled\n    draws: 1.5", 21, "runplan.revisit.draws",
     "must be a whole number from 2 to 1,000,000"),
    ("0.03\n    probability_method: sampled\n    draws: true", 21, "runplan.revisit.draws",
     "must be a whole number from 2 to 1,000,000"),
    ("0.03\n    probability_method: sampled\n    draws: 10000000", 21, "runplan.revisit.draws",
     "must be a whole number from 2 to 1,000,000"),
    (f"{SAMPLED}\n    top_input: \"sneaky\\nfield\"", 22, "runplan.revisit.top_input",
     "must be an input's name (e.g. traffic.avg_rps)"),
    (f"{SAMPLED}\n    top_input: [sneaky]", 22, "runplan.revisit.top_input",
     "must be an input's name (e.g. traffic.avg_rps)"),
    (f"{SAMPLED}\n    top_input_value_usd: -1", 22, "runplan.revisit.top_input_value_usd",
     "must be a number from 0 to 1,000,000,000,000,000"),
    (f"{SAMPLED}\n    top_input_value_usd: sneaky", 22, "runplan.revisit.top_input_value_usd",
     "must be a number from 0 to 1,000,000,000,000,000"),
    (f"{MARGIN}\n    draws: 400", 21, "runplan.revisit.draws",
     "is recorded only with probability_method: sampled"),
    ("0.03\n    top_input: traffic.avg_rps", 20, "runplan.revisit.top_input",
     "is recorded only with probability_method: sampled"),
], ids=["method", "draws-missing", "draws-fraction", "draws-bool", "draws-huge",
        "top-newline", "top-list", "worth-negative", "worth-text", "draws-with-margin",
        "top-without-method"])
def test_malformed_method_metadata_is_one_message(runner: CliRunner, tmp_path: Path, new: str,
                                                  line: int, field: str, message: str) -> None:
    path = variant(tmp_path, ("probability: 0.03", f"probability: {new}"))
    code, out, err = check(runner, str(path), "--as-of", "2027-06-01")
    assert code == 2
    assert err == f"{path}:{line}: error: {field}: {message}\n"
    assert "sneaky" not in out + err


def test_well_formed_method_metadata_is_accepted(runner: CliRunner, tmp_path: Path) -> None:
    for new in (MARGIN, f"{SAMPLED}\n    top_input: 'checkout: traffic.avg_rps'\n"
                     "    top_input_value_usd: 12.5"):
        path = variant(tmp_path, ("probability: 0.03", f"probability: {new}"), AT_2_RPS)
        code, out, err = check(runner, str(path), "--as-of", "2026-07-01")
        assert (code, err) == (0, "")
        assert "ADR-FRAGILE" in out
