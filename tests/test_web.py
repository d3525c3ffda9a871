"""`runplan serve` through the framework's test client: every page and API endpoint, the
same answers and JSON as the command line, bad input with the CLI's messages, and safety."""

from __future__ import annotations

import html
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from click.testing import CliRunner
from fastapi.testclient import TestClient

from runplan.cli import main
from runplan.config import Config
from runplan.fmt import num, usd
from runplan.rulebase.load import load_rulebase
from runplan.web.app import MAX_BODY_BYTES, MAX_UPLOAD_BYTES, Site, create_app
from runplan.web.state import encode

from .conftest import EXAMPLES
from .test_uncertain import ON_FLIP

# The article's webhook for a small team (tests/test_ask.py's WEBHOOK), by question id.
WEBHOOK = {"name": "payments-webhook", "kind": "webhook", "provider": "aws",
           "compliance": "none", "memory": "256MB", "stateful": "n", "connections": "n",
           "pattern": "bursty", "runs": "60k/month", "peak": "20", "idle": "90%"}
# A steady core API for a platform team with a cluster (tests/test_ask.py's CORE_API).
CORE_API = {"name": "core-api", "kind": "api", "provider": "aws", "memory": "1GB",
            "pattern": "steady", "rate": "300", "peak": "600", "idle": "0",
            "duration": "40ms", "runtime": "go", "maturity": "platform",
            "existing_cluster": "y", "engineers": "12"}
NASTY = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>']


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(Site(Config())))


def answer_all(client: TestClient, answers: dict[str, str]) -> str:
    """Answer the interview in the browser's way (one GET per question, the question's id
    and the typed text; Enter where `answers` has none); the result page's URL."""
    url = "/ask"
    for _ in range(60):
        page = client.get(url)
        assert page.status_code == 200, page.text
        state = re.search(r'name="s" value="([^"]*)"', page.text)
        qid = re.search(r'name="q" value="([^"]*)"', page.text)
        assert state is not None and qid is not None
        params = {"s": state.group(1), "q": qid.group(1)}
        if qid.group(1) in answers:
            params["a"] = answers[qid.group(1)]
        else:
            params["do"] = "default"
        step = client.get("/ask", params=params, follow_redirects=False)
        assert step.status_code == 303, step.text
        url = step.headers["location"]
        if url.startswith("/result"):
            return url
    raise AssertionError("the interview did not end")


def walk_to(client: TestClient, answers: dict[str, str], target: str) -> str:
    """The link state when question `target` is next (answers from `answers`, else Enter)."""
    state = ""
    for _ in range(60):
        page = client.get("/ask", params={"s": state} if state else {}).text
        m = re.search(r'name="q" value="([^"]*)"', page)
        assert m is not None
        if m.group(1) == target:
            return state
        params = {"s": state, "q": m.group(1)}
        params.update({"a": answers[m.group(1)]} if m.group(1) in answers else {"do": "default"})
        step = client.get("/ask", params=params, follow_redirects=False)
        state = parse_qs(urlsplit(step.headers["location"]).query)["s"][0]
    raise AssertionError(f"{target} was not asked")


def ask_json(tmp_path: Path, answers: dict[str, str]) -> dict[str, Any]:
    file = tmp_path / "answers.yaml"
    file.write_text(yaml.safe_dump(answers))
    out = CliRunner().invoke(main, ["ask", "--answers", str(file), "--format", "json"])
    assert out.exit_code == 0, out.output
    data: dict[str, Any] = json.loads(out.stdout)
    return data


@pytest.mark.parametrize(("answers", "verdict"), [(WEBHOOK, "serverless"),
                                                  (CORE_API, "kubernetes")])
def test_the_interview_gives_asks_verdict(client: TestClient, tmp_path: Path,
                                          answers: dict[str, str], verdict: str) -> None:
    url = answer_all(client, answers)
    token = parse_qs(urlsplit(url).query)["p"][0]
    web = client.get("/result/result.json", params={"p": token}).json()
    cli = ask_json(tmp_path, answers)
    assert web["verdict"] == verdict
    assert web == cli  # the same result, to the last figure
    page = client.get(url).text
    assert f'id="verdict">{verdict}</span>' in page


def test_a_wrong_answer_is_shown_with_its_reason(client: TestClient) -> None:
    state = encode([["name", "svc", True]])
    page = client.get("/ask", params={"s": state, "q": "kind", "a": "seven"})
    assert page.status_code == 422
    assert ('<p class="error" id="answer-error" role="alert">not accepted: choose 1-8 or one of: '
            'api, web, webhook, event-handler, worker, job, stream, ml-inference</p>') in page.text
    # An out-of-range number: the idle share is at most 1.
    state = walk_to(client, {"name": "svc", "kind": "api", "pattern": "steady"}, "idle")
    page = client.get("/ask", params={"s": state, "q": "idle", "a": "150%"})
    assert page.status_code == 422
    assert "not accepted: must be at most 1, got 1.5</p>" in page.text
    assert 'value="150%"' in page.text  # what was typed stays in the field


def test_back_forgets_the_last_answer(client: TestClient) -> None:
    state = encode([["name", "svc", True], ["kind", "webhook", True]])
    back = client.get("/ask", params={"s": state, "do": "back"}, follow_redirects=False)
    assert back.status_code == 303
    page = client.get(back.headers["location"]).text
    assert "What kind of component is it?" in page
    assert "<b>svc</b>" in page and "webhook: receives callbacks" in page  # asked again


def test_finish_early_takes_the_provisional_verdict(client: TestClient) -> None:
    state = encode([["name", "svc", True], ["kind", "webhook", True]])
    done = client.get("/ask", params={"s": state, "do": "finish"}, follow_redirects=False)
    token = parse_qs(urlsplit(done.headers["location"]).query)["p"][0]
    profile = json.loads(__import__("base64").urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    assert profile == {"name": "svc", "kind": "webhook"}


@pytest.mark.parametrize("token", ["!!!", encode({"a": 1}), encode([["kind", "api", True]]),
                                   "A" * 13_000])
def test_a_bad_link_is_one_message(client: TestClient, token: str) -> None:
    page = client.get("/ask", params={"s": token})
    assert page.status_code == 422
    assert "Traceback" not in page.text
    messages = [html.unescape(m) for m in re.findall(r'<li class="error">([^<]*)</li>',
                                                      page.text)]
    assert len(messages) == 1 and messages[0].startswith("link: error: s"), messages


def test_api_advise_is_the_clis_json(client: TestClient) -> None:
    for name in ("core-api.yaml", "payments-webhook.yaml", "chat-websocket.yaml"):
        profile = yaml.safe_load((EXAMPLES / name).read_text())
        got = client.post("/api/advise", json=profile)
        cli = CliRunner().invoke(main, ["advise", str(EXAMPLES / name), "--format", "json"])
        assert got.status_code == 200
        assert got.text == cli.stdout, name  # the same bytes
    explained = client.post("/api/advise?explain=true", json=profile).json()
    assert explained["explanation"][0].startswith("Inputs")


@pytest.mark.parametrize(("change", "message"), [
    ({"traffic": {"requests_per_mnth": 5}}, "traffic.requests_per_mnth: unknown field (did "
     "you mean 'requests_per_month'?); allowed: avg_rps, idle_fraction, pattern, peak_rps, "
     "requests_per_month"),
    ({"traffic": {"idle_fraction": 2}}, "traffic.idle_fraction: must be at most 1, got 2"),
    ({"constraints": {"provider": "mars"}}, "constraints.provider: must be one of aws, gcp, "
     "azure, any, on-prem; got \"mars\""),
])
def test_api_advise_bad_input_has_the_clis_message(client: TestClient, tmp_path: Path,
                                                    change: dict[str, Any], message: str) -> None:
    profile = {"name": "svc", **change}
    got = client.post("/api/advise", json=profile)
    assert got.status_code == 422
    errors = got.json()["errors"]
    assert [e["text"] for e in errors] == [f"request: error: {message}"]
    file = tmp_path / "svc.json"
    file.write_text(json.dumps(profile))
    cli = CliRunner().invoke(main, ["advise", str(file)])
    assert cli.exit_code == 2
    assert cli.stderr.strip().endswith(message)


def test_api_advise_not_json(client: TestClient) -> None:
    got = client.post("/api/advise", content=b"{nope", headers={"content-type": "application/json"})
    assert got.status_code == 422
    assert got.json()["errors"][0]["text"] == "request: error: the body is not JSON"


def test_api_score_is_the_clis_json(client: TestClient, tmp_path: Path) -> None:
    data = (EXAMPLES / "inventory.yaml").read_bytes()
    got = client.post("/api/score", files={"file": ("inventory.yaml", data)})
    assert got.status_code == 200, got.text
    out = tmp_path / "cli.json"
    os.chdir(EXAMPLES)  # so that the CLI names the file as the upload is named
    try:
        cli = CliRunner().invoke(main, ["score", "inventory.yaml", "-o", str(out), "-q", "-j", "1"])
    finally:
        os.chdir(Path(__file__).parent.parent)
    assert cli.exit_code == 0, cli.output
    web = got.json()
    assert web == json.loads(out.read_text())
    assert len(web["components"]) == 28


def test_every_format_score_reads(client: TestClient) -> None:
    for name in ("inventory.csv", "inventory.jsonl", "catalog-info.yaml"):
        got = client.post("/api/score", files={"file": (name, (EXAMPLES / name).read_bytes())})
        assert got.status_code == 200, (name, got.text)
        assert got.json()["summary"]["scored"] >= 3, name


def test_row_errors_are_the_clis(client: TestClient, tmp_path: Path) -> None:
    text = ("components:\n  - name: a\n    kind: api\n  - name: b\n    traffic:\n"
            "      idle_fraction: 7\n  - name: c\n    kind: lambda\n")
    got = client.post("/api/score", files={"file": ("estate.yaml", text.encode())})
    assert got.status_code == 200
    web = [f"{e['file']}:{e['line']}: error: {e['field']}: {e['message']}"
           for e in got.json()["errors"]]
    (tmp_path / "estate.yaml").write_text(text)
    os.chdir(tmp_path)
    try:
        cli = CliRunner().invoke(main, ["score", "estate.yaml", "-q", "-j", "1"])
    finally:
        os.chdir(Path(__file__).parent.parent)
    assert web == [line for line in cli.stderr.splitlines() if line.startswith("estate.yaml:")]
    assert web == ["estate.yaml:6: error: components[1].traffic.idle_fraction: must be at most 1, "
                   "got 7",
                   "estate.yaml:8: error: components[2].kind: must be one of api, web, worker, job, "
                   "webhook, stream, event-handler, ml-inference; got \"lambda\""]
    page = client.post("/estate", files={"file": ("estate.yaml", text.encode())})
    assert page.status_code == 200
    assert ('<li class="error">estate.yaml:6: error: components[1].traffic.idle_fraction: '
            'must be at most 1, got 7</li>') in page.text


def test_a_broken_yaml_upload(client: TestClient) -> None:
    got = client.post("/api/score", files={"file": ("estate.yaml", b"components: [\n  - a: 1\n")})
    assert got.status_code == 422
    texts = [e["text"] for e in got.json()["errors"]]
    assert len(texts) == 1 and texts[0].startswith("estate.yaml:")
    assert texts[0] == "estate.yaml:2: error: invalid YAML: did not find expected node content"
    page = client.post("/estate", files={"file": ("estate.yaml", b"components: [\n")})
    assert page.status_code == 422 and "Traceback" not in page.text
    assert re.search(r'<li class="error">estate.yaml:\d+: error: invalid YAML: ', page.text)


def test_an_oversized_upload(client: TestClient) -> None:
    # Past the upload limit but inside the request limit: score's own message.
    big = b"components: []\n" + b"#" * MAX_UPLOAD_BYTES
    got = client.post("/api/score", files={"file": ("big.yaml", big)})
    assert got.status_code == 422
    assert got.json()["errors"][0]["text"] == ("big.yaml: error: file is larger than the limit of "
                                               "2,097,152 bytes")
    # Past the request limit: refused before the body is parsed.
    huge = b"#" * (MAX_BODY_BYTES + 1)
    got = client.post("/api/score", files={"file": ("huge.yaml", huge)})
    assert got.status_code == 413
    assert got.text == "request: the body is larger than the limit of 2,162,688 bytes\n"
    got = client.post("/api/advise", content=huge, headers={"content-type": "application/json"})
    assert got.status_code == 413


def test_an_upload_without_a_known_extension(client: TestClient) -> None:
    got = client.post("/api/score", files={"file": ("estate.txt", b"components: []\n")})
    assert got.status_code == 422
    assert got.json()["errors"][0]["text"] == ("estate.txt: error: cannot tell the format from the "
                                               "extension; choose a format (yaml | json | csv | "
                                               "jsonl | backstage)")
    got = client.post("/api/score", files={"file": ("estate.txt", b"components: []\n")},
                      data={"input_format": "yaml"})
    assert got.status_code == 200
    assert got.json()["summary"]["scored"] == 0


def test_unknown_kbase_provider(client: TestClient) -> None:
    got = client.get("/api/kbase", params={"provider": "mars"})
    assert got.status_code == 422
    assert got.json()["errors"][0]["text"] == ("request: error: provider: must be one of aws, gcp, "
                                               "azure, on-prem, operations, traffic")


def test_api_rules_and_kbase_are_the_clis(client: TestClient) -> None:
    for path, args in (("/api/rules", ["rules", "list", "--format", "json"]),
                       ("/api/kbase?provider=gcp", ["kbase", "show", "gcp", "--format", "json"])):
        got = client.get(path)
        cli = CliRunner().invoke(main, args)
        assert got.status_code == 200 and got.text == cli.stdout, path


def test_openapi_documents_the_api(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert set(schema["paths"]) == {"/api/advise", "/api/score", "/api/rules", "/api/kbase"}
    body = schema["paths"]["/api/advise"]["post"]["requestBody"]["content"]["application/json"]
    assert "traffic" in body["schema"]["properties"]  # the profile's own JSON Schema
    assert client.get("/docs").status_code == 404  # no CDN-hosted API explorer


def test_pages_have_a_strict_csp_and_no_inline_script(client: TestClient) -> None:
    token = encode(yaml.safe_load((EXAMPLES / "payments-webhook.yaml").read_text()))
    pages = ["/", "/ask", "/rules", "/kbase", "/estate", f"/result?p={token}"]
    for path in pages:
        got = client.get(path)
        assert got.status_code == 200, path
        csp = got.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("style-src")[0]
        assert got.headers["x-content-type-options"] == "nosniff"
        scripts = re.findall(r"<script([^>]*)>", got.text)
        assert all("src=" in s or 'type="application/json"' in s for s in scripts), path
        assert not re.search(r"\son[a-z]+=", got.text), path
    estate = client.post("/estate", files={"file": ("i.yaml", (EXAMPLES / "inventory.yaml")
                                                    .read_bytes())})
    scripts = re.findall(r"<script([^>]*)>", estate.text)
    assert all("src=" in s or 'type="application/json"' in s for s in scripts)


def test_the_result_page(client: TestClient) -> None:
    profile = yaml.safe_load((EXAMPLES / "payments-webhook.yaml").read_text())
    page = client.get("/result", params={"p": encode(profile)}).text
    assert 'id="verdict">serverless</span>' in page
    assert "LIM-" in page or "[" in page  # reasons with their rule ids and sources
    assert 'data-curve="{' in page and '&#34;break_even&#34;' in page
    assert 'name="w.execution.memory_mb" value="256"' in page  # the flip's control
    # Past the flip (AWS Lambda's memory limit): the verdict moves.
    moved = client.get("/result", params={"p": encode(profile), "w.execution.memory_mb":
                                          "12000"}, follow_redirects=False)
    assert moved.status_code == 303
    after = client.get(moved.headers["location"]).text
    assert 'id="verdict">kubernetes</span>' in after
    # htmx asks for the page itself, told where to point the address bar.
    swapped = client.get("/result", params={"p": encode(profile), "w.execution.memory_mb":
                                            "12000"}, headers={"HX-Request": "true"})
    assert swapped.status_code == 200 and swapped.headers["HX-Push-Url"] == \
        moved.headers["location"]
    bad = client.get("/result", params={"p": encode(profile), "w.execution.memory_mb": "lots"})
    assert bad.status_code == 422
    assert '<li class="error">what-if: error: execution.memory_mb: expected a number</li>' in bad.text




def _cells(page: str, table: str) -> list[list[str]]:
    body = re.search(f'<table id="{table}".*?<tbody>(.*?)</tbody>', page, re.S)
    assert body is not None
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)]


def test_the_result_page_shows_the_uncertainty_as_advise_does(client: TestClient,
                                                              tmp_path: Path) -> None:
    """Memory straddles AWS Lambda's 10,240 MB limit: the page's tornado has the rows, gaps,
    flip crossings and values of information of `advise --uncertain --format json`."""
    path = tmp_path / "big-memory-api.yaml"
    path.write_text(ON_FLIP)
    out = CliRunner().invoke(main, ["advise", str(path), "--uncertain", "--format", "json"])
    assert out.exit_code == 0, out.output
    u = json.loads(out.output)["uncertainty"]
    page = client.get("/result", params={"p": encode(yaml.safe_load(ON_FLIP))}).text
    summary = html.escape(u["summary"], quote=False).replace("'", "&#39;")  # as Jinja escapes
    assert f'<p id="u-summary">{summary}</p>' in page
    assert f'id="u-probability">{u["probability"]:.2f}</b>' in page
    voi = u["value_of_information_usd"]

    def money(x: float | None) -> str:
        return "\u2013" if x is None else usd(x)

    want = [[b["input"], num(b["p10"], 4), num(b["p90"], 4), money(b["gap_usd_at_p10"]),
             money(b["gap_usd_at_p90"]), "",
             f"yes: {b['verdict_at_p10']} at p10, {b['verdict_at_p90']} at p90"
             if b["crosses_flip"] else "no",
             f"{usd(voi[b['input']])}/month" if b["input"] in voi else "\u2013"]
            for b in u["tornado"]]
    assert _cells(page, "tornado") == want
    memory = next(b for b in u["tornado"] if b["input"] == "execution.memory_mb")
    assert memory["crosses_flip"] and voi["execution.memory_mb"] > 0
    assert page.count('class="bar crosses"') == sum(b["crosses_flip"] for b in u["tornado"])


def test_a_component_with_parts_has_its_parts_tornado(client: TestClient) -> None:
    """Sampled part by part (`uncertainty.parts`): the page shows what `advise --uncertain
    --format json` gives, its inputs named after their parts."""
    profile = yaml.safe_load((EXAMPLES / "media-service.yaml").read_text())
    page = client.get("/result", params={"p": encode(profile)}).text
    assert 'id="verdict"' in page and 'id="uncertainty"' in page
    runner = CliRunner()
    out = runner.invoke(main, ["advise", str(EXAMPLES / "media-service.yaml"), "--uncertain",
                               "--format", "json"])
    u = json.loads(out.stdout)["uncertainty"]
    summary = html.escape(u["summary"], quote=False).replace("'", "&#39;")  # as Jinja escapes
    assert f'<p id="u-summary">{summary}</p>' in page
    assert "thumbnailer: traffic.idle_fraction" in page


def test_downloads(client: TestClient, tmp_path: Path) -> None:
    profile = yaml.safe_load((EXAMPLES / "core-api.yaml").read_text())
    token = encode(profile)
    got = client.get("/result/profile.yaml", params={"p": token})
    assert got.headers["content-disposition"] == 'attachment; filename="core-api.yaml"'
    file = tmp_path / "core-api.yaml"
    file.write_text(got.text)
    cli = CliRunner().invoke(main, ["advise", str(file), "--format", "json"])
    assert cli.exit_code == 0
    assert json.loads(cli.stdout)["verdict"] == "kubernetes"
    record = client.get("/result/adr.md", params={"p": token}).text
    adr = tmp_path / "0001-core-api.md"
    adr.write_text(record)
    assert record.startswith("---\nstatus: proposed\n")
    check = CliRunner().invoke(main, ["adr", "check", str(adr)])
    assert check.exit_code == 0, check.output
    data = client.get("/result/result.json", params={"p": token}).json()
    assert data == json.loads(CliRunner().invoke(main, ["advise", str(file), "--format",
                                                        "json"]).stdout)


def test_the_decision_record_download_keeps_a_range(client: TestClient, tmp_path: Path) -> None:
    profile = {"name": "svc", "kind": "api", "traffic": {"avg_rps": "0.5..2"}}
    record = client.get("/result/adr.md", params={"p": encode(profile)}).text
    adr = tmp_path / "0001-svc.md"
    adr.write_text(record)
    front = yaml.safe_load(record.split("---\n")[1])
    assert front["runplan"]["profile"]["traffic"] == {"avg_rps": "0.5..2"}
    check = CliRunner().invoke(main, ["adr", "check", str(adr)])
    assert check.exit_code == 0, check.output


@pytest.mark.parametrize("name", NASTY)
def test_names_are_shown_as_text(client: TestClient, name: str) -> None:
    profile = {"name": name, "kind": "webhook"}
    page = client.get("/result", params={"p": encode(profile)}).text
    assert name not in page
    assert name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace('"', "&#34;") in page
    text = yaml.safe_dump({"components": [{"name": name, "kind": "api"}]})
    estate = client.post("/estate", files={"file": ("e.yaml", text.encode())}).text
    assert name not in estate
    state = encode([["name", name, True]])
    asked = client.get("/ask", params={"s": state}).text
    assert name not in asked


def test_the_browsing_pages(client: TestClient, tmp_path: Path) -> None:
    rules = client.get("/rules").text
    for r in load_rulebase([]).rules:
        assert f'<details class="rule" id="{r.id}">' in rules
    kbase = client.get("/kbase").text
    figures = json.loads(CliRunner().invoke(main, ["kbase", "show", "--format", "json"]).stdout)
    table = kbase[kbase.index('<table id="figures"'):]
    table = table[:table.index("</table>")]
    assert table.count("<tr><td>") == len(figures)
    for f in figures[:40]:
        assert f"<tr><td>{f['file']}.{f['figure']}</td>" in table
    settings = json.loads(CliRunner().invoke(main, ["config", "show", "--format",
                                                    "json"]).stdout)["settings"]
    for row in settings:
        assert f"<tr><td>{row['name']}</td>" in kbase
    pricing = tmp_path / "pricing.yaml"
    pricing.write_text("aws:\n  functions:\n    request_usd_per_million: 0.18\n")
    changed = TestClient(create_app(Site(Config(), pricing=pricing))).get("/kbase").text
    assert "Figures changed by them: aws.functions.request_usd_per_million" in changed


def test_served_inventory(tmp_path: Path) -> None:
    app = create_app(Site(Config(), inventory=EXAMPLES / "inventory.yaml"))
    page = TestClient(app).get("/estate/served")
    assert page.status_code == 200
    assert page.text.count('<a class="open" href="/result?p=') == 28
    none = TestClient(create_app(Site(Config()))).get("/estate/served")
    assert none.status_code == 422


_OPEN = re.compile(r'<a class="open" href="([^"]*)" title="result page">&#8599;</a> '
                   r'<a href="#c-([^"]*)">')


def test_an_estates_component_page_shows_the_estate_figure(client: TestClient,
                                                           runner: CliRunner) -> None:
    """examples/inventory.yaml: the estate decides a shared aws cluster (fraud-scoring needs
    GPU nodes), so `score` prices storefront-web at marginal cost on it, $266.35. Its page,
    opened from the estate, shows that figure and says so, and its JSON download is the
    estate's entry for it, for every component (the same `Advisor.clusters` pricing);
    opened on its own (no `c`), the component is priced by its team alone, a new cluster."""
    data = (EXAMPLES / "inventory.yaml").read_bytes()
    page = client.post("/estate", files={"file": ("inventory.yaml", data)}).text
    links = {html.unescape(n): html.unescape(h) for h, n in _OPEN.findall(page)}
    assert len(links) == 28
    scored = runner.invoke(main, ["score", str(EXAMPLES / "inventory.yaml"), "--format",
                                  "json", "-q"])
    estate = {c["name"]: c for c in json.loads(scored.stdout)["components"]}
    assert estate["storefront-web"]["costs"]["kubernetes"]["monthly_usd"] == 266.35
    href = links["storefront-web"]
    assert parse_qs(urlsplit(href).query)["c"] == ["aws"]
    shown = client.get(href).text
    assert "on the estate's shared aws cluster, at marginal cost" in shown
    assert "<caption>Kubernetes: aws-eks-nodes (marginal): <b>$266</b></caption>" in shown
    for name, link in links.items():  # the advise JSON carries a currency the rows do not
        got = client.get("/result/result.json?" + urlsplit(link).query).json()
        assert {k: v for k, v in got.items() if k != "currency"} == estate[name], name
    alone = {k: v for k, v in parse_qs(urlsplit(href).query).items() if k != "c"}
    own = client.get("/result/result.json", params={"p": alone["p"][0]}).json()
    assert own["costs"]["kubernetes"]["view"] == "standalone"
    assert own["costs"]["kubernetes"]["monthly_usd"] != 266.35
    assert "estate-pricing" not in client.get("/result", params={"p": alone["p"][0]}).text
    assert client.get("/result", params={"p": alone["p"][0], "c": "mars"}).status_code == 422


def test_serve_starts_prints_its_url_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    import urllib.request

    proc = subprocess.Popen([sys.executable, "-m", "runplan", "serve", "--port", "0"],
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        m = re.fullmatch(r"runplan serve: (http://127\.0\.0\.1:\d+/) \(Ctrl-C stops\)\n", line)
        assert m, line
        with urllib.request.urlopen(m.group(1), timeout=30) as got:
            assert got.status == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert proc.stderr.read() == "runplan serve: stopped\n"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_serve_warns_off_loopback(tmp_path: Path) -> None:
    import urllib.request

    proc = subprocess.Popen([sys.executable, "-m", "runplan", "serve", "--host", "0.0.0.0",
                             "--port", "0"], stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline() == ("runplan serve: warning: listening on 0.0.0.0, not "
                                          "loopback: anyone who can reach this machine can "
                                          "use it\n")
        line = proc.stderr.readline()
        m = re.fullmatch(r"runplan serve: http://0\.0\.0\.0:(\d+)/ \(Ctrl-C stops\)\n", line)
        assert m, line
        # Ctrl-C once it serves (a signal while uvicorn starts up is another test's matter)
        with urllib.request.urlopen(f"http://127.0.0.1:{m.group(1)}/", timeout=30) as got:
            assert got.status == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_serve_refuses_a_bad_inventory(tmp_path: Path) -> None:
    got = CliRunner().invoke(main, ["serve", "--inventory", str(tmp_path / "none.yaml")])
    assert got.exit_code == 2
    assert got.stderr == f"{tmp_path / 'none.yaml'}: error: file not found\n"


def test_several_users_at_once() -> None:
    """Eight clients at once on a served app, over HTTP: each gets its own profile's verdict."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    from runplan.web.server import serving

    names = ["core-api.yaml", "payments-webhook.yaml", "chat-websocket.yaml",
             "monthly-report.yaml"] * 2
    want = {n: json.loads(CliRunner().invoke(main, ["advise", str(EXAMPLES / n), "--format",
                                                     "json"]).stdout)["verdict"] for n in names}
    with serving(create_app(Site(Config()))) as url:
        port = int(url.rstrip("/").rsplit(":", 1)[1])

        def advise(name: str) -> tuple[str, int, str]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            body = json.dumps(yaml.safe_load((EXAMPLES / name).read_text()))
            conn.request("POST", "/api/advise", body, {"content-type": "application/json"})
            resp = conn.getresponse()
            data = json.loads(resp.read())
            conn.close()
            return name, resp.status, data["verdict"]

        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(advise, names))
    assert [(n, 200, want[n]) for n in names] == got
    assert {v for _, _, v in got} >= {"kubernetes", "serverless"}
