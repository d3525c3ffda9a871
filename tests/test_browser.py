"""`runplan serve` in a real browser: the distribution's headless chromium, driven by
Playwright with `executable_path` (no browser is ever downloaded). One server and one browser
for the module. Skips only where there is no chromium and RUNPLAN_REQUIRE_BROWSER is unset
(.ci/run sets it, so in CI these tests cannot skip)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from runplan.cli import main
from runplan.config import Config
from runplan.web.app import Site, create_app
from runplan.web.server import serving
from runplan.web.state import encode

from .conftest import EXAMPLES
from .test_web import CORE_API, NASTY, WEBHOOK, ask_json

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serving(create_app(Site(Config()))) as base:
        yield base.rstrip("/")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if BROWSER is None:
        if os.environ.get("RUNPLAN_REQUIRE_BROWSER"):
            pytest.fail("chromium is required here (.ci/run installs it) but not found")
        pytest.skip("no chromium on this machine (.ci/run installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=BROWSER, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True)
    p = context.new_page()
    p.set_default_timeout(20_000)
    p.problems = []  # CSP violations and script errors seen by the page
    p.dialogs = []
    # A page refused with 422 (a wrong answer, shown in the page) is the browser's console
    # line, not a problem; anything else on the console's error level is.
    p.on("console", lambda m: p.problems.append(m.text) if m.type == "error" and not
         m.text.endswith("status of 422 (Unprocessable Entity)") else None)
    p.on("pageerror", lambda e: p.problems.append(str(e)))

    def dialog(d: Any) -> None:
        p.dialogs.append(d.message)
        d.dismiss()

    p.on("dialog", dialog)
    yield p
    assert p.problems == []  # no CSP violation, no script error, on any page a test opened
    context.close()


def question(page: Any) -> str:
    return str(page.locator('input[name="q"]').get_attribute("value"))


def answer(page: Any, text: str | None) -> None:
    """Answer the question on the page with the mouse and keyboard a person would use."""
    if text is None:
        page.click("#use-default")
        return
    choice = page.locator(f'button[name="choice"][value="{text}"]')
    if choice.count():
        choice.click()
    else:
        page.fill("#answer", text)
        page.press("#answer", "Enter")


def interview(page: Any, url: str, answers: dict[str, str]) -> None:
    page.goto(f"{url}/ask")
    for _ in range(60):
        page.wait_for_load_state()
        if "/result" in page.url:
            return
        before = page.url
        answer(page, answers.get(question(page)))
        page.wait_for_url(lambda u, before=before: u != before)
    raise AssertionError("the interview did not end")


@pytest.mark.parametrize(("answers", "verdict"), [(WEBHOOK, "serverless"),
                                                  (CORE_API, "kubernetes")])
def test_interview_gives_asks_verdict(page: Any, url: str, tmp_path: Path,
                                      answers: dict[str, str], verdict: str) -> None:
    interview(page, url, answers)
    page.wait_for_selector("#verdict")
    cli = ask_json(tmp_path, answers)
    assert page.text_content("#verdict") == cli["verdict"] == verdict
    assert page.text_content("#confidence") == f"{cli['confidence']:.2f}"
    # The cost curve was drawn by the page's script (allowed by the CSP: a static file).
    if not cli.get("parts"):
        page.wait_for_selector("svg.curve")


def test_back_and_change_an_answer(page: Any, url: str) -> None:
    page.goto(f"{url}/ask")
    answer(page, "svc")
    page.wait_for_selector('input[name="q"][value="kind"]', state="attached")
    answer(page, "webhook")
    page.wait_for_selector('input[name="q"][value="provider"]', state="attached")
    assert "webhook: receives callbacks" in page.text_content("ol.given")
    page.click("#back")
    page.wait_for_selector('input[name="q"][value="kind"]', state="attached")
    assert "webhook" not in (page.text_content("ol.given") or "")
    answer(page, "job")
    page.wait_for_selector('input[name="q"][value="provider"]', state="attached")
    assert "job: scheduled or batch runs" in page.text_content("ol.given")
    assert page.text_content("#provisional-verdict") in ("kubernetes", "serverless", "hybrid")


def test_a_wrong_value_shows_the_reason(page: Any, url: str) -> None:
    from fastapi.testclient import TestClient

    from .test_web import walk_to

    state = walk_to(TestClient(create_app(Site(Config()))), {"name": "svc"}, "memory")
    page.goto(f"{url}/ask?s={state}")
    page.fill("#answer", "lots")
    page.press("#answer", "Enter")
    page.wait_for_selector("#answer-error")
    assert page.text_content("#answer-error") == ("not accepted: expected a size like 512MB "
                                                  "or 2GB, got 'lots'")
    assert page.get_attribute("#answer", "aria-invalid") == "true"
    assert page.input_value("#answer") == "lots"


def test_what_if_past_a_flip_changes_the_verdict(page: Any, url: str) -> None:
    from playwright.sync_api import expect

    profile = yaml.safe_load((EXAMPLES / "payments-webhook.yaml").read_text())
    page.goto(f"{url}/result?p={encode(profile)}")
    assert page.text_content("#verdict") == "serverless"
    # The uncertainty as `advise --uncertain` gives it, its tornado's bars drawn by the CSS.
    out = CliRunner().invoke(main, ["advise", str(EXAMPLES / "payments-webhook.yaml"),
                                    "--uncertain", "--format", "json"])
    u = json.loads(out.output)["uncertainty"]
    assert page.text_content("#u-summary") == u["summary"]
    rows = page.locator("#tornado tbody tr")
    assert rows.evaluate_all("(rs) => rs.map((r) => r.cells[0].textContent)") == \
        [b["input"] for b in u["tornado"]]
    for k in range(rows.count()):
        box = rows.nth(k).locator(".bar").bounding_box()
        assert box is not None and box["width"] >= 1 and box["height"] > 4
    control = page.locator('input[name="w.execution.memory_mb"]')
    control.fill("12000")
    control.dispatch_event("change")  # as leaving the field does
    expect(page.locator("#verdict")).to_have_text("kubernetes")
    page.wait_for_url(lambda u: "p=" in u and u != f"{url}/result?p={encode(profile)}")
    page.wait_for_selector("svg.curve")  # redrawn for the new inputs
    # The slider moves the number with it, and re-judges on release.
    slider = page.locator('input[type="range"][data-for]').first
    slider.evaluate("(r) => { r.value = 256; r.dispatchEvent(new Event('input', {bubbles: true}));"
                    " r.dispatchEvent(new Event('change', {bubbles: true})); }")
    expect(page.locator("#verdict")).to_have_text("serverless")


def test_upload_the_example_inventory(page: Any, url: str) -> None:
    page.goto(f"{url}/estate")
    page.set_input_files("#file", str(EXAMPLES / "inventory.yaml"))
    page.click("button.primary")
    page.wait_for_selector("#components")
    rows = page.locator("#components tbody tr")
    assert rows.count() == 28
    names = page.locator("#components tbody tr td:first-child a[href^='#c-']").all_text_contents()
    assert {"payments-webhook", "data-export", "legacy-erp"} <= set(names)
    page.wait_for_selector("svg.curve")  # the report's first component curve
    page.fill("#component-filter", "webhook")
    visible = [r for r in rows.all() if r.is_visible()]
    assert 0 < len(visible) < 28
    assert all("webhook" in r.text_content().lower() for r in visible)
    page.fill("#component-filter", "")
    page.click("#components thead th:first-child button.sort")
    first = page.locator("#components tbody tr td:first-child a[href^='#c-']").first
    assert first.text_content() == sorted(names)[0]
    # Any component opens on its result page.
    page.click("#components tbody tr:has(a[href='#c-payments-webhook']) a.open")
    page.wait_for_selector("#verdict")
    assert page.text_content("h1").startswith("payments-webhook: ")


def test_download_the_profile_and_advise_accepts_it(page: Any, url: str, tmp_path: Path) -> None:
    profile = yaml.safe_load((EXAMPLES / "core-api.yaml").read_text())
    page.goto(f"{url}/result?p={encode(profile)}")
    with page.expect_download() as got:
        page.click("#dl-profile")
    file = tmp_path / "core-api.yaml"
    got.value.save_as(file)
    cli = CliRunner().invoke(main, ["advise", str(file), "--format", "json"])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.stdout)["verdict"] == page.text_content("#verdict") == "kubernetes"


@pytest.mark.parametrize("name", NASTY)
def test_a_name_with_markup_is_text(page: Any, url: str, name: str) -> None:
    page.goto(f"{url}/result?p={encode({'name': name, 'kind': 'webhook'})}")
    assert page.text_content("h1").startswith(f"{name}: ")
    assert page.locator("h1 script, h1 img").count() == 0
    assert page.dialogs == []


def test_keyboard_only_interview(page: Any, url: str, tmp_path: Path) -> None:
    """Tab to a control, Enter or Space on it; typing where a question takes text."""
    page.goto(f"{url}/ask")
    answers = WEBHOOK
    for _ in range(60):
        page.wait_for_load_state()
        if "/result" in page.url:
            break
        before = page.url
        q = question(page)
        text = answers.get(q)
        if page.locator("#answer").count():
            _tab_to(page, "#answer")  # focused already (autofocus), or reached by Tab
            if text is not None:
                page.keyboard.type(text)
                page.keyboard.press("Enter")
            else:
                _tab_to(page, "#use-default")
                page.keyboard.press("Space")
        else:
            _tab_to(page, f'button[name="choice"][value="{text}"]' if text is not None
                    else "#use-default")
            page.keyboard.press("Enter" if text is not None else "Space")
        page.wait_for_url(lambda u, before=before: u != before)
    page.wait_for_selector("#verdict")
    assert page.text_content("#verdict") == ask_json(tmp_path, answers)["verdict"]


def _tab_to(page: Any, selector: str) -> None:
    for _ in range(60):
        if page.evaluate("(s) => document.activeElement === document.querySelector(s)",
                         selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")
