"""The web application: pages (Jinja2, autoescaped; htmx only makes them smoother) and a JSON
API (the CLI's `--format json` documents), over the library that the CLI uses.

Stateless: every request carries what it needs (the interview's answers or the profile in
the URL, an inventory in the upload). Nothing a user sends is written to disk but an upload,
to a temporary directory removed when the request ends; no path a user sends is opened.
Bad input gets the CLI's one-line messages, in the page or as JSON, never a traceback.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from runplan.advise import Advisor, Result
from runplan.ask import Interview, profile_text
from runplan.config import Config, effective_settings
from runplan.errors import Problem, UserError
from runplan.fmt import num, printable, set_currency, usd
from runplan.formats import INPUT_FORMATS, PROVIDERS
from runplan.kbase import load_kbase
from runplan.questions import Question, Questionnaire, coerce, load_questionnaire, parse_answer
from runplan.report.data import advise_document, figure_rows, rule_data
from runplan.rulebase.load import load_rulebase
from runplan.userfile import MAX_FILE_BYTES
from runplan.web.state import decode, encode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_UPLOAD_BYTES = MAX_FILE_BYTES  # an inventory upload: 2 MiB, as `score` reads a profile
MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 64 * 1024  # the multipart envelope around it
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
STATIC = Path(__file__).parent / "static"
REPORT_DIR = Path(__file__).parent.parent / "report"
UPLOAD_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl", ".ndjson", ".csv")


@dataclass
class Site:
    """What the server was started with: the settings, the advisor (built once), and the
    inventory `--inventory` names (the only file path the server opens)."""

    config: Config
    rules_dirs: tuple[Path, ...] = ()
    pricing: Path | None = None
    inventory: Path | None = None
    advisor: Advisor = field(init=False)
    questionnaire: Questionnaire = field(init=False)
    # One advisor holds one inference engine: requests take turns on it (and on `score`'s
    # in-process worker, whose advisor is a module global).
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        set_currency(self.config.currency)
        pricing = self.pricing if self.pricing is not None else self.config.pricing
        self.pricing = pricing
        self.rules_dirs = self.rules_dirs or self.config.rules_dirs
        kb = load_kbase(pricing, self.config.kbase_settings())
        self.advisor = Advisor(kb, load_rulebase(self.rules_dirs))
        self.questionnaire = load_questionnaire()
        self._estate_advisors: dict[frozenset[str], Advisor] = {}

    def advisor_for(self, clusters: frozenset[str]) -> Advisor:
        """The advisor that prices a component as `score` does in an estate with a cluster on
        `clusters` (`Advisor.clusters`, the estate's joint decision); none: on its own. At
        most one per set of providers, built on first use; call under `lock`."""
        if not clusters:
            return self.advisor
        if clusters not in self._estate_advisors:
            self._estate_advisors[clusters] = Advisor(self.advisor.kb, self.advisor.rulebase,
                                                      clusters=clusters)
        return self._estate_advisors[clusters]


# -- safety: size limits and headers ------------------------------------------------------------


def limits(app: ASGIApp, max_body: int = MAX_BODY_BYTES) -> ASGIApp:
    """Refuses a request body over `max_body` bytes (by its Content-Length, and by counting
    what arrives), and adds the security headers to every response."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        too_big = PlainTextResponse(f"request: the body is larger than the limit of "
                                    f"{max_body:,} bytes\n", status_code=413)
        if length.isdigit() and int(length) > max_body:
            await _secured(too_big)(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > max_body:
                    raise _TooBig
            return message

        async def secured_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        try:
            await app(scope, counted, secured_send)
        except _TooBig:
            if not started:
                await _secured(too_big)(scope, receive, send)

    return wrapped


class _TooBig(Exception):
    pass


_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY"),
            (b"cache-control", b"no-store")]


def _secured(response: Response) -> Response:
    for k, v in _HEADERS:
        response.headers[k.decode()] = v.decode()
    return response


# -- templates ----------------------------------------------------------------------------------


def _printable(x: Any) -> Any:
    """A user's string shown with control characters as escapes (`fmt.printable`); markup
    runplan made itself (the estate report, `|safe`) as it is."""
    return printable(x) if isinstance(x, str) and not isinstance(x, Markup) else x


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("runplan.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      finalize=_printable,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["usd"] = usd
    env.filters["num"] = lambda x, digits=4: num(x, digits)
    env.filters["pct"] = lambda x: f"{x:.2f}"
    return env


# -- the interview ------------------------------------------------------------------------------


def replay(site: Site, answers: Any) -> Interview:
    """The interview after the answers a link carries ([question id, value, given] in the
    order asked), each checked as `runplan ask` checks it: the same questions in the same
    order, the same verdict."""
    interview = Interview(site.questionnaire, site.advisor, site.config.provider)
    if not isinstance(answers, list) or len(answers) > len(site.questionnaire.questions):
        raise UserError(Problem("link", None, "s", "does not hold a list of answers"))
    for i, item in enumerate(answers):
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)
                and isinstance(item[2], bool)):
            raise UserError(Problem("link", None, f"s[{i}]", "is not [question, answer, given]"))
        q = interview.next()
        if q is None or q.id != item[0]:
            raise UserError(Problem("link", None, f"s[{i}]", "does not follow the "
                                    "questionnaire; start the interview again"))
        try:
            value = coerce(q, item[1]) if item[2] else q.default
            interview.answer(q, value, given=item[2])
        except ValueError as exc:
            raise UserError(Problem("link", None, q.id, str(exc))) from None
    return interview


def take_answer(interview: Interview, q: Question, text: str) -> tuple[Any, bool]:
    """An answer typed or chosen for `q`, as `runplan ask` takes it (empty: the default);
    (value, given). Raises ValueError with `ask`'s reason."""
    if text.strip() == "":
        if q.type == "text" and q.default is None:
            raise ValueError("an answer is needed")
        given = q.default is not None
        interview.answer(q, q.default, given=given)
        return q.default, given
    value = parse_answer(q, text)
    interview.answer(q, value)
    return value, True


def _shown(q: Question, value: Any, given: bool) -> str:
    if not given:
        return "runplan's default"
    if q.type == "boolean":
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(value) or "none"
    if value is None:
        return "none"
    label = dict(q.choices).get(value) if q.choices else None
    return str(label or value)


# -- the result ---------------------------------------------------------------------------------


def load_profile(site: Site, data: Any, name: str = "profile") -> Any:
    from runplan.profile import component_from

    return component_from(data, {}, name, site.advisor.kb, None)


def set_field(profile: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A copy of `profile` with one dotted field set (a what-if control)."""
    out: dict[str, Any] = json.loads(json.dumps(profile))
    node = out
    *parents, last = dotted.split(".")
    for key in parents:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[last] = value
    if last in ("requests_per_month", "avg_rps"):  # one volume: the control's replaces the other
        node.pop("avg_rps" if last == "requests_per_month" else "requests_per_month", None)
    return out


def whatif_fields(r: Result, profile: dict[str, Any]) -> list[dict[str, Any]]:
    """The inputs the verdict's flips depend on, and the load: a control each."""
    from runplan.profile import FIELD_PATHS

    traffic = profile.get("traffic") if isinstance(profile.get("traffic"), dict) else {}
    load = "traffic.avg_rps" if "avg_rps" in (traffic or {}) else "traffic.requests_per_month"
    out: list[dict[str, Any]] = []
    for f in r.flips:
        if any(c["field"] == f.field for c in out):
            continue
        top = max(f.to, f.current) * 2 or 1.0
        out.append({"field": f.field, "value": _plain(f.current), "max": top, "flip": f.to,
                    "verdict": f.verdict, "label": f.field.split(".")[-1].replace("_", " ")})
    if not any(c["field"] == load for c in out) and not r.parts:
        short = load.split(".")[-1]
        current = float(getattr(r.workload, short))  # given, or runplan's default
        assert load in FIELD_PATHS.values()
        out.append({"field": load, "value": _plain(current), "max": current * 10 or 1e6,
                    "flip": None,
                    "verdict": None, "label": short.replace("_", " ")})
    return out


def _plain(x: float) -> str:
    """A number as an `<input type=number>` takes it: no thousands separator, no unit."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 2**53 else repr(round(x, 6))


# -- the estate ---------------------------------------------------------------------------------


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def tornado_rows(u: dict[str, Any]) -> dict[str, Any]:
    """The result page's uncertainty: `summary_data`'s block with each tornado row's bar placed
    on one scale (percent of the width, from the lowest gap to the highest, gap 0 included) for
    the page's CSS bars. Rows without a figure at both ends keep no bar."""
    gaps = [g for b in u["tornado"] for g in (b["gap_usd_at_p10"], b["gap_usd_at_p90"])
            if g is not None]
    lo, hi = min([0.0, *gaps]), max([0.0, *gaps])
    span = hi - lo or 1.0

    def at(v: float) -> float:
        return float(round((v - lo) / span * 100, 2))

    rows = []
    for b in u["tornado"]:
        a, c = b["gap_usd_at_p10"], b["gap_usd_at_p90"]
        bar = None
        if a is not None and c is not None:
            left, right = sorted((at(a), at(c)))
            bar = {"left": left, "width": max(0.5, round(right - left, 2))}
        rows.append({**b, "bar": bar, "worth": u["value_of_information_usd"].get(b["input"])})
    return {**u, "rows": rows, "zero": at(0.0), "low": lo, "high": hi}


def upload_name(filename: str | None) -> str:
    """The upload's base name, reduced to safe characters (it names the temporary file, so
    that `score` tells its format as it would from the file's own name)."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    safe = _SAFE_NAME.sub("_", base).strip("._")[:100]
    return safe or "inventory.yaml"


def score_bytes(site: Site, data: bytes, filename: str, input_format: str | None, fmt: str,
                ) -> tuple[str, dict[str, Any], frozenset[str]]:
    """`runplan score` on an upload: the report (json or html), each good component's
    profile by name, and the providers on which the estate has a cluster (`score`'s joint
    decision, `Advisor.clusters`). The upload lives in a temporary directory removed on
    return."""
    from runplan.batch import run_score
    from runplan.inventory import decoded, read_inventory
    from runplan.score import Settings

    if len(data) > MAX_UPLOAD_BYTES:
        raise UserError(Problem(filename, None, "", f"file is larger than the limit of "
                                f"{MAX_UPLOAD_BYTES:,} bytes"))
    if input_format is not None and input_format not in INPUT_FORMATS:
        raise UserError(Problem(filename, None, "input_format", "must be one of "
                                + ", ".join(INPUT_FORMATS)))
    settings = Settings(site.rules_dirs, site.pricing, False, None, flips=True,
                        curves=fmt == "html", figures=site.config.kbase_settings(),
                        currency=site.config.currency or "USD")
    with tempfile.TemporaryDirectory(prefix="runplan-serve-") as tmp:
        src = Path(tmp) / filename
        src.write_bytes(data)
        out = Path(tmp) / "report.out"
        try:
            with site.lock:
                decided: dict[str, Any] = {}
                run_score(src, input_format, None, fmt, out, 1, True, False, settings,
                          name=filename, log=io.StringIO(), decided=decided)
                profiles: dict[str, Any] = {}
                for e in read_inventory(src, input_format, None, filename).entries:
                    e = decoded(e)
                    if isinstance(e.data, dict) and isinstance(e.data.get("name"), str):
                        profiles.setdefault(e.data["name"], e.data)
        except UserError as exc:  # a file-level problem names the upload, not the temp file
            raise UserError([Problem(filename if p.file == str(src) else p.file, p.line,
                                     p.field, p.message) for p in exc.problems]) from None
        finally:
            set_currency(site.config.currency)
        clusters = frozenset(k for k, d in decided.items() if d["justified"])
        return out.read_text(encoding="utf-8"), profiles, clusters


_ROW = re.compile(r'<tr><td><a href="#c-([^"]*)">')


def estate_page(report: str, profiles: dict[str, Any], clusters: frozenset[str]) -> str:
    """The body of `score -o report.html` for the site's page: its inline script dropped
    (the site serves curve.js as a file), each component linked to its result page, priced
    there as in the estate (`c`: the providers with the estate's cluster)."""
    import html

    body = report[report.index("<body>") + len("<body>"):report.rindex("</body>")]
    body = re.sub(r"<script>.*?</script>\s*$", "", body, flags=re.S)

    def link(m: re.Match[str]) -> str:
        name = html.unescape(m.group(1))
        profile = profiles.get(name)
        if profile is None:
            return m.group(0)
        href = "/result?" + urlencode({"p": encode(profile), **estate_arg(clusters)})
        return (f'<tr><td><a class="open" href="{html.escape(href)}" title="result page">'
                f'&#8599;</a> <a href="#c-{m.group(1)}">')

    body = _ROW.sub(link, body)
    return body.replace("<h1>", "<h1 class=\"report-title\">", 1)


def estate_arg(clusters: frozenset[str]) -> dict[str, str]:
    """The link argument that carries the estate's clusters to a result page (none: none)."""
    return {"c": ",".join(sorted(clusters))} if clusters else {}


# -- the application ----------------------------------------------------------------------------


def create_app(site: Site) -> ASGIApp:
    app = FastAPI(title="runplan", version=_version(), docs_url=None, redoc_url=None,
                  description="Where should each component run: Kubernetes, serverless "
                  "functions, or both. The same JSON as the command line's --format json.")
    env = _environment()

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context), status_code=status)

    def problems_json(exc: UserError, status: int = 422) -> JSONResponse:
        return JSONResponse({"errors": [{"file": p.file, "line": p.line, "field": p.field,
                                         "message": p.message, "text": str(p)}
                                        for p in exc.problems]}, status_code=status)

    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError) -> Response:
        return user_error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        # Named by field, never echoing what was sent (FastAPI's default includes it).
        problems = [Problem("request", None, ".".join(str(x) for x in e.get("loc", ())[1:]),
                            str(e.get("msg", "not valid"))) for e in exc.errors()]
        return user_error_response(request, UserError(problems))

    def user_error_response(request: Request, exc: UserError) -> Response:
        if request.url.path.startswith("/api/"):
            return problems_json(exc)
        return page("error.html", 422, title="Not accepted",
                    messages=[str(p) for p in exc.problems])

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("runplan: unexpected error, please report\n", status_code=500)

    # -- static files: htmx, the site's script and style, the report's curve.js and CSS

    @app.get("/static/curve.js", include_in_schema=False)
    def curve_js() -> Response:
        return Response((REPORT_DIR / "curve.js").read_bytes(), media_type="text/javascript")

    @app.get("/static/report.css", include_in_schema=False)
    def report_css() -> Response:
        from runplan.report.html import _CSS

        # The report's own style but its page layout (the site's header and width).
        return Response(re.sub(r"^body\{[^}]*\}\s*", "", _CSS.lstrip()), media_type="text/css")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    # -- pages

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> HTMLResponse:
        return page("home.html", title="runplan", served=site.inventory is not None,
                    questions=len(site.questionnaire.questions))

    @app.get("/ask", response_class=HTMLResponse, include_in_schema=False)
    def ask(request: Request, s: str = "", q: str = "", a: str = "", choice: str | None = None,
            do: str = "answer") -> Response:
        answers = decode(s, "s") if s else []
        with site.lock:
            interview = replay(site, answers)
            if do == "back" and answers:
                return _see(f"/ask?{urlencode({'s': encode(answers[:-1])})}" if answers[:-1]
                            else "/ask")
            if do == "finish" and interview.asked:
                return _see("/result?" + urlencode({"p": encode(interview.profile())}))
            current = interview.next()
            error = None
            typed = a
            if current is not None and q == current.id and do in ("answer", "default"):
                text = "" if do == "default" else choice if choice is not None else a
                try:
                    value, given = take_answer(interview, current, text)
                except ValueError as exc:
                    error = f"not accepted: {exc}"
                else:
                    answers = [*answers, [current.id, value, given]]
                    if interview.next() is None:
                        return _see("/result?" + urlencode({"p": encode(interview.profile())}))
                    return _see("/ask?" + urlencode({"s": encode(answers)}))
            if current is None:
                return _see("/result?" + urlencode({"p": encode(interview.profile())}))
            result = interview.provisional()
            qs = site.questionnaire
            shown = []
            for item in answers:
                asked = qs.get(item[0])
                assert asked is not None  # replay checked every id
                shown.append((asked, _shown(asked, item[1], item[2])))
            return page("ask.html", 422 if error else 200, title=current.prompt, q=current,
                        group=dict(qs.groups)[current.group], s=s if answers else "",
                        number=len(interview.asked) + 1, total=len(qs.questions),
                        error=error, typed=typed, result=result, given=shown,
                        inputs=_inputs())

    @app.get("/result", response_class=HTMLResponse, include_in_schema=False)
    def result_page(request: Request, p: str, c: str = "") -> Response:
        profile = _profile_arg(p)
        clusters = _clusters_arg(c)
        estate = estate_arg(clusters)
        changed = {k[2:]: v for k, v in request.query_params.items() if k.startswith("w.")}
        if changed:
            for key, raw in sorted(changed.items()):
                profile = set_field(profile, key, _number(key, raw))
            url = "/result?" + urlencode({"p": encode(profile), **estate})
            if "hx-request" not in request.headers:
                return _see(url)
        else:
            url = str(request.url.path) + "?" + urlencode({"p": p, **estate})
        with site.lock:
            advisor = site.advisor_for(clusters)
            component = load_profile(site, profile)
            result = advisor.advise(component, file="profile")
            curve = None
            if not result.parts:
                from runplan.report.charts import curve_data

                curve = json.dumps(curve_data(advisor, result), allow_nan=False)
            controls = whatif_fields(result, profile)
            from runplan.uncertainty.report import summary_data, uncertain

            spread = tornado_rows(summary_data(uncertain(advisor, component, result)))
            # On the estate's cluster (`Advisor.view_of`): priced as the estate table has it.
            shared = bool(clusters) and not result.parts and \
                advisor.kb.provider(result.workload.provider).provider in clusters
        data = advise_document(result)
        token = encode(profile)
        response = page("result.html", title=f"{result.name}: {result.verdict.verdict}",
                        r=result, d=data, curve=curve, controls=controls, token=token, u=spread,
                        share=url, downloads=urlencode({"p": token, **estate}),
                        estate=estate.get("c"), shared=shared)
        if "hx-request" in request.headers:
            response.headers["HX-Push-Url"] = url
        return response

    @app.get("/result/profile.yaml", include_in_schema=False)
    def profile_download(p: str, c: str = "") -> Response:
        profile = _profile_arg(p)
        with site.lock:
            advisor = site.advisor_for(_clusters_arg(c))
            result = advisor.advise(load_profile(site, profile), file="profile")
        name = _file_stem(result.name)
        text = profile_text(result, profile, f"{name}.yaml", by="runplan serve")
        return _download(text, f"{name}.yaml", "application/yaml")

    @app.get("/result/adr.md", include_in_schema=False)
    def adr_download(p: str, c: str = "") -> Response:
        from runplan.adr.madr import new_record, today
        from runplan.adr.revisit import review_by

        profile = _profile_arg(p)
        with site.lock:
            component = load_profile(site, profile)
            result = site.advisor_for(_clusters_arg(c)).advise(component, file="profile")
        from runplan.uncertainty.ranges import as_written

        data = as_written(component.model_dump(exclude_unset=True), component._ranges)
        text = new_record(result, data, f"Where {result.name} runs", data.get("description"),
                          None, command="runplan serve",
                          review=review_by(today(), site.config.review_months, None))
        return _download(text, f"{_file_stem(result.name)}-decision.md", "text/markdown")

    @app.get("/result/result.json", include_in_schema=False)
    def json_download(p: str, c: str = "") -> Response:
        profile = _profile_arg(p)
        with site.lock:
            result = site.advisor_for(_clusters_arg(c)).advise(load_profile(site, profile),
                                                               file="profile")
        return _download(_json(advise_document(result)), f"{_file_stem(result.name)}.json",
                         "application/json")

    @app.get("/estate", response_class=HTMLResponse, include_in_schema=False)
    def estate_form() -> HTMLResponse:
        return page("estate.html", title="Estate", formats=INPUT_FORMATS, body=None,
                    served=site.inventory is not None, limit=MAX_UPLOAD_BYTES)

    @app.post("/estate", response_class=HTMLResponse, include_in_schema=False)
    async def estate_upload(request: Request) -> HTMLResponse:
        data, name, fmt = await _upload(request)
        report, profiles, clusters = score_bytes(site, data, name, fmt, "html")
        return page("estate.html", title=f"Estate: {name}", formats=INPUT_FORMATS,
                    body=estate_page(report, profiles, clusters),
                    served=site.inventory is not None,
                    limit=MAX_UPLOAD_BYTES)

    @app.get("/estate/served", response_class=HTMLResponse, include_in_schema=False)
    def estate_served() -> HTMLResponse:
        if site.inventory is None:
            raise UserError(Problem("--inventory", None, "", "this server was started "
                                    "without an inventory"))
        from runplan.userfile import read_bytes

        data = read_bytes(site.inventory)
        report, profiles, clusters = score_bytes(site, data, upload_name(site.inventory.name),
                                                 None,
                                       "html")
        return page("estate.html", title=f"Estate: {site.inventory.name}",
                    formats=INPUT_FORMATS, body=estate_page(report, profiles, clusters),
                    served=True,
                    limit=MAX_UPLOAD_BYTES)

    @app.get("/rules", response_class=HTMLResponse, include_in_schema=False)
    def rules_page() -> HTMLResponse:
        import yaml

        rules = [{**rule_data(r), "line": r.line,
                  "examples_yaml": yaml.safe_dump(r.examples, sort_keys=False).rstrip()
                  if r.examples else ""} for r in site.advisor.rulebase.rules]
        return page("rules.html", title="Rules", rules=rules)

    @app.get("/kbase", response_class=HTMLResponse, include_in_schema=False)
    def kbase_page() -> HTMLResponse:
        kb = site.advisor.kb
        return page("kbase.html", title="Knowledge base", figures=figure_rows(kb.raw),
                    settings=effective_settings(site.config, kb), overridden=kb.overridden,
                    config=site.config.name or None,
                    pricing=None if site.pricing is None else str(site.pricing))

    # -- the JSON API

    @app.post("/api/advise", tags=["api"], summary="Advise one component",
              openapi_extra=_profile_body())
    async def api_advise(request: Request, explain: bool = False) -> Response:
        """The result of `runplan advise PROFILE --format json [--explain]`."""
        body = await request.body()
        try:
            profile = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise UserError(Problem("request", None, "", "the body is not JSON")) from None
        with site.lock:
            result = site.advisor.advise(load_profile(site, profile, "request"), file="request")
            text = _json(advise_document(result, explain))
        return Response(text, media_type="application/json")

    @app.post("/api/score", tags=["api"], summary="Score an inventory",
              openapi_extra=_upload_body())
    async def api_score(request: Request) -> Response:
        """The report of `runplan score FILE --format json` for the uploaded inventory."""
        data, name, fmt = await _upload(request)
        report, _, _ = score_bytes(site, data, name, fmt, "json")
        return Response(report, media_type="application/json")

    @app.get("/api/rules", tags=["api"], summary="Every rule")
    def api_rules() -> Response:
        """`runplan rules list --format json`."""
        return Response(_json([rule_data(r) for r in site.advisor.rulebase.rules]),
                        media_type="application/json")

    @app.get("/api/kbase", tags=["api"], summary="Every kbase figure")
    def api_kbase(provider: str | None = None) -> Response:
        """`runplan kbase show [PROVIDER] --format json`: each price and limit with its
        unit, source and as-of date."""
        known = [*PROVIDERS, "operations", "traffic"]
        if provider is not None and provider not in known:
            raise UserError(Problem("request", None, "provider", "must be one of "
                                    + ", ".join(known)))
        return Response(_json(figure_rows(site.advisor.kb.raw, provider)),
                        media_type="application/json")

    return limits(app)


def _json(data: Any) -> str:
    """As the CLI writes JSON (`cli._json`)."""
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _download(text: str, filename: str, media: str) -> Response:
    return Response(text, media_type=f"{media}; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


def _file_stem(name: str) -> str:
    return _SAFE_NAME.sub("-", name).strip("-.")[:60] or "component"


def _profile_arg(p: str) -> dict[str, Any]:
    profile = decode(p, "p")
    if not isinstance(profile, dict):
        raise UserError(Problem("link", None, "p", "does not hold a profile (a mapping)"))
    return profile


def _clusters_arg(c: str) -> frozenset[str]:
    """The link's `c`: the providers on which the estate it came from has a cluster."""
    names = frozenset(x for x in c.split(",") if x) if c else frozenset()
    if any(x not in PROVIDERS for x in names):
        raise UserError(Problem("link", None, "c", "must name providers: "
                                + ", ".join(PROVIDERS)))
    return names


def _number(key: str, raw: str) -> float | int:
    try:
        value = float(raw)
    except ValueError:
        raise UserError(Problem("what-if", None, key, "expected a number")) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise UserError(Problem("what-if", None, key, "expected a finite number"))
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


async def _upload(request: Request) -> tuple[bytes, str, str | None]:
    """The inventory of a multipart upload (field `file`, optional `input_format`)."""
    form = await request.form(max_files=1, max_fields=8)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise UserError(Problem("request", None, "file", "choose an inventory file to upload"))
    try:
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        name = upload_name(upload.filename)
    finally:
        await upload.close()  # a spooled temporary file, if python-multipart made one
    fmt = form.get("input_format")
    fmt = fmt if isinstance(fmt, str) and fmt else None
    if fmt is None and not name.lower().endswith(UPLOAD_SUFFIXES):
        raise UserError(Problem(name, None, "", "cannot tell the format from the extension; "
                                f"choose a format ({' | '.join(INPUT_FORMATS)})"))
    return data, name, fmt


def _inputs() -> int:
    from runplan.ask import INPUTS

    return INPUTS


def _version() -> str:
    import runplan

    return str(runplan.__version__)


def _profile_body() -> dict[str, Any]:
    from runplan.profile import profile_schema

    schema = profile_schema()
    schema.pop("$schema", None)
    return {"requestBody": {"required": True, "description": "A component profile, as "
                            "`runplan advise` reads it.",
                            "content": {"application/json": {"schema": schema}}}}


def _upload_body() -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary",
                                "description": "An inventory: every format `runplan score` "
                                "reads, told by the file name's extension"},
                       "input_format": {"type": "string", "enum": list(INPUT_FORMATS)}}}}}}}
