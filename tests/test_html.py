"""The HTML report in a real headless browser: charts drawn, every component present."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from runplan.cli import main

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
