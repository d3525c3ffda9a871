"""The HTML report in a real headless browser: charts drawn, every component present."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from runplan.cli import main
from runplan.fmt import usd

from .conftest import EXAMPLES

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html") / "report.html"
    result = CliRunner().invoke(main, ["score", str(EXAMPLES / "inventory.yaml"), "-o", str(out),
                                       "-q", "-j", "1"])
    assert result.exit_code == 0, result.output
    return out


def _browser() -> str:
    if BROWSER is None:
        if os.environ.get("RUNPLAN_REQUIRE_BROWSER"):
            pytest.fail("chromium is required here (.ci/run installs it) but not found")
        pytest.skip("no chromium on this machine (.ci/run installs Debian's chromium)")
    return BROWSER


def test_report_is_self_contained(report: Path) -> None:
    text = report.read_text()
    assert not re.search(r"<(script|img|link|iframe)[^>]+(src|href)=\"https?:", text)
    assert "url(http" not in text and "@import" not in text


def test_report_renders_charts_and_every_component(report: Path, tmp_path: Path) -> None:
    browser = _browser()
    profile = tmp_path / "profile"
    dom = subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                          report.as_uri()], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    # The two matplotlib charts, inline.
    for chart in ("chart-portfolio", "chart-costs"):
        assert re.search(rf'<figure id="{chart}"><svg', dom), chart
    # The cost curve of the first (open) component was drawn by the page's script.
    assert re.search(r'<svg[^>]*class="curve"[^>]*aria-label="cost curve of storefront-web"',
                     dom)
    names = re.findall(r'<tr><td><a href="#c-([^"]+)">', dom)
    assert len(names) == 28
    for name in ("payments-webhook", "data-export", "legacy-erp"):
        assert name in names
    assert "The aws cluster is required" in dom
    shot = tmp_path / "report.png"
    subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", "--window-size=1200,2000",
                    f"--screenshot={shot}", report.as_uri()], capture_output=True, timeout=120,
                   check=True, cwd=tmp_path)
    assert shot.stat().st_size > 50_000  # a page with charts, not a blank one


# -- layout and content of the estate report (findings of the session-9 review) -------------

STEADY = """components:
  - name: steady-api
    kind: api
    traffic: {pattern: steady, avg_rps: 400, peak_rps: 600, idle_fraction: 0}
    execution: {avg_duration_ms: 40, max_duration_s: 2, memory_mb: 512, cpu_ms: 20,
                runtime: go}
    team: {devops_maturity: established, existing_cluster: true, engineers: 12}
    constraints: {provider: aws}
"""


def _score_html(tmp_path: Path, text: str, *args: str) -> str:
    estate = tmp_path / "estate.yaml"
    estate.write_text(text)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["score", str(estate), "-q", "-j", "1", "-o", str(out),
                                       *args])
    assert result.exit_code == 0, result.output
    return out.read_text()


def test_nothing_to_measure_is_said_and_its_column_left_out(tmp_path: Path) -> None:
    """A steady API on a team's own cluster: no input's value of information is above zero.
    The report says so where the list would be, and has no column of dashes."""
    text = _score_html(tmp_path, STEADY, "--uncertain=200")
    assert ("<h2>Measure these first</h2><p id=\"measure-first\">Nothing to measure first: "
            "knowing any single input exactly would change no verdict to a cheaper one (its "
            "value of information is zero for every component).</p>") in text
    assert "<th>measure first</th>" not in text
    row = re.search(r'<tr><td><a href="#c-steady-api">.*?</tr>', text)
    assert row is not None and row.group(0).count("<td") == 9
    # the same bytes for the same input
    assert _score_html(tmp_path, STEADY, "--uncertain=200") == text


def test_nothing_to_measure_in_text_and_markdown(tmp_path: Path) -> None:
    estate = tmp_path / "estate.yaml"
    estate.write_text(STEADY)
    for fmt, head in (("text", "Measure these first:\n  "), ("markdown",
                                                             "## Measure these first\n\n")):
        got = CliRunner().invoke(main, ["score", str(estate), "-q", "-j", "1",
                                        "--uncertain=200", "--format", fmt])
        assert got.exit_code == 0, got.output
        assert head + "Nothing to measure first: knowing any single input exactly" in \
            got.output, fmt


def test_measure_first_column_names_the_input_and_its_worth(tmp_path: Path) -> None:
    """big-memory-api's memory straddles Lambda's 10,240 MB limit: worth measuring; its row
    names the input and what knowing it is worth, the others a dash."""
    from .test_uncertain import ESTATE

    text = _score_html(tmp_path, ESTATE, "--uncertain=200")
    data = json.loads(CliRunner().invoke(main, ["score", str(tmp_path / "estate.yaml"), "-q",
                                                "-j", "1", "--uncertain=200",
                                                "--format", "json"]).output)
    worth = data["portfolio"]["uncertainty"]["measure_first"][0]
    assert worth["name"] == "big-memory-api" and worth["value_usd"] > 0
    assert "<th>measure first</th>" in text and '<ol id="measure-first">' in text
    row = re.search(r'<tr><td><a href="#c-big-memory-api">.*?</tr>', text)
    assert row is not None
    assert row.group(0).endswith(
        f'<td>execution.<wbr>memory_mb <span class="muted nowrap">up to '
        f'{usd(worth["value_usd"])}/mo</span></td></tr>')
    steady = re.search(r'<tr><td><a href="#c-steady-api">.*?</tr>', text)
    assert steady is not None and steady.group(0).endswith("<td>-</td></tr>")


def test_tornado_prints_each_bars_gaps_and_shortens_long_names() -> None:
    from runplan.report.html import _esc
    from runplan.uncertainty.plot import tornado_svg

    long = "prices.aws.platforms.aws-ecs-fargate.prices.vcpu_hour_usd"
    bars = [{"input": long, "p10": 0.03, "p90": 0.05, "gap_usd_at_p10": -12.4,
             "gap_usd_at_p90": 340.0, "crosses_flip": True},
            {"input": "people.fte_monthly_usd", "p10": 9000, "p90": 15000,
             "gap_usd_at_p10": -1234.0, "gap_usd_at_p90": -35.5, "crosses_flip": False},
            {"input": "traffic.avg_rps", "p10": 1, "p90": 2, "gap_usd_at_p10": None,
             "gap_usd_at_p90": None, "crosses_flip": False}]
    svg = tornado_svg(bars, _esc)
    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg)
    # printed, not only in tooltips: each bar's gap at p10 and at p90, negative as -$12
    assert ">-$12.40 / $340 (flips)</text>" in svg
    assert ">-$1,234 / -$35.50</text>" in svg
    assert "traffic.avg_rps" not in svg  # no gaps: no bar
    # the long name on two lines broken after a dot, cut with an ellipsis, whole in the title
    assert '<tspan x="200">prices.aws.platforms.</tspan>' in svg
    assert '<tspan x="200" dy="12">aws-ecs-fargate.prices.vcpu_h…</tspan>' in svg
    assert (f"<title>{long}: p10 0.03 gives -$12.40, p90 0.05 gives $340 (crosses a flip)"
            "</title>") in svg
    assert "gap at p10 / p90" in texts[0]
    assert "red: the verdict flips between the input's p10 and p90" in texts[-1]
    assert re.match(r'<svg class="tornado" [^>]*viewBox="0 0 666 \d+"', svg)
    assert tornado_svg(bars, _esc) == svg  # same input, same bytes


def test_portfolio_totals_clear_of_the_title() -> None:
    """Every bar's total, the node-less containers' segment's too, lies inside the axes,
    below the title: headroom over the tallest bar."""
    from runplan.report.html import _pyplot, portfolio_figure

    strategies = {"all_kubernetes": {"variable_usd": 6937.0, "fixed_usd": 6339.0},
                  "all_serverless": {"monthly_usd": 11106.0, "feasible": False},
                  "recommended_mix": {"cluster_variable_usd": 4899.0,
                                      "cluster_fixed_usd": 6339.0, "functions_usd": 428.0,
                                      "containers_usd": 432.0}}
    fig = portfolio_figure({"strategies": strategies,
                            "verdicts": {"kubernetes": 17, "serverless": 11, "hybrid": 0}})
    try:
        ax = fig.axes[0]
        renderer = fig.canvas.get_renderer()
        box = ax.get_window_extent(renderer)
        title = ax.title.get_window_extent(renderer)
        totals = {t.get_text(): t.get_window_extent(renderer) for t in ax.texts}
        assert sorted(totals) == ["\\$11,106", "\\$12,098", "\\$13,276"]
        for text, b in totals.items():
            assert box.y0 < b.y0 and b.y1 < box.y1 < title.y0, text
        assert len(ax.patches) == 12  # four segments of three bars, containers' included
    finally:
        _pyplot().close(fig)


def test_components_table_fits_a_wide_window_and_stacks_on_a_phone(tmp_path: Path) -> None:
    """At 1400 px the table fits the page (no sideways scroll) and a nearest flip gets a
    readable column; at 390 px each row is a card of labelled lines, the page still does
    not scroll sideways."""
    browser = _browser()
    text = _score_html(tmp_path, (EXAMPLES / "inventory.yaml").read_text())
    page_file = tmp_path / "r.html"
    page_file.write_text(text)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=browser, args=FLAGS, headless=True)
        try:
            for width in (1400, 390):
                page = b.new_page(viewport={"width": width, "height": 900})
                page.goto(page_file.as_uri())
                got = page.evaluate("""() => {
                  const t = document.querySelector('#components');
                  const flip = t.querySelector('tbody td.flip');
                  const money = t.querySelector('tbody td.num');
                  return {page: document.documentElement.scrollWidth,
                          table: t.scrollWidth, wrap: t.parentElement.clientWidth,
                          flip: flip.getBoundingClientRect().width,
                          display: getComputedStyle(flip).display,
                          label: getComputedStyle(flip, '::before').content,
                          money: getComputedStyle(money).whiteSpace};
                }""")
                assert got["page"] == width, got
                assert got["table"] <= got["wrap"], got
                if width == 1400:
                    assert got["flip"] >= 14 * 16 and got["display"] == "table-cell", got
                    assert got["money"] == "nowrap", got
                else:
                    assert got["display"] == "block" and got["label"] == '"nearest flip"', got
                page.close()
        finally:
            b.close()
