"""Views of a scored inventory: terminal (rich), JSON (streamed), CSV (streamed), Markdown.

Each view is a sink: `component(scored)` as results arrive in input order, `finish(...)` once
with the portfolio, the rejected rows and what was skipped. JSON and CSV write as they go, so
an estate of any size is never held in memory; the terminal and Markdown views keep one short
row per component.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any, TextIO

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from runplan.advise import Result
from runplan.errors import Problem
from runplan.fmt import csv_cell, currency, md, money_key, money_unit, num, plural, printable, usd
from runplan.inventory import Skipped
from runplan.portfolio import nearest_flip
from runplan.report.text import top_reasons

TABLE_ROWS = 50
CSV_COLUMNS = ("name", "verdict", "confidence", "kubernetes_usd", "kubernetes_view",
               "serverless_usd", "cheaper", "excluded", "top_reason", "nearest_flip", "platform",
               "platform_usd", "parts_usd")


# With --uncertain and no input worth measuring (no component's top input has a value of
# information above zero): said, rather than the "measure these first" list left out.
NOTHING_TO_MEASURE = ("Nothing to measure first: knowing any single input exactly would change "
                      "no verdict to a cheaper one (its value of information is zero for every "
                      "component).")

# With --uncertain: the probability of the verdict (also its `confidence` then), the input
# most worth measuring and what knowing it is worth a month.
UNCERTAIN_COLUMNS = ("probability", "top_input", "top_input_value_usd")


def uncertain_header() -> tuple[str, ...]:
    key = money_key()
    return tuple(c.removesuffix("_usd") + f"_{key}" if c.endswith("_usd") else c
                 for c in UNCERTAIN_COLUMNS)


def csv_header() -> tuple[str, ...]:
    """The CSV column names, money columns named by the currency label (`kubernetes_eur`)."""
    key = money_key()
    return tuple(c.removesuffix("_usd") + f"_{key}" if c.endswith("_usd") else c
                 for c in CSV_COLUMNS)


def summary_row(r: Result) -> dict[str, Any]:
    """One line per component: the verdict, both costs (the Kubernetes one in the view the
    verdict compared, named), which is cheaper by those figures, the strongest reason, the
    nearest flip. A component with parts also has its parts' sum, each part on its verdict
    (`parts_usd`, what its hybrid costs), and `cheaper` weighs it too: the figures the verdict
    used, less any option a hard constraint excludes (it cannot be the cheaper)."""
    v = r.verdict
    top = top_reasons(r, 1)
    flip = nearest_flip(r.flips)
    k8s = r.costs.kubernetes.priced_usd  # None: a GPU component, no GPU node price
    sls = r.costs.serverless.monthly_usd if r.costs.serverless else None
    return {
        "name": r.name, "verdict": v.verdict, "confidence": v.confidence,
        "kubernetes_usd": None if k8s is None else round(k8s, 2),
        "kubernetes_view": r.costs.view,
        "serverless_usd": None if sls is None else round(sls, 2),
        "cheaper": cheaper(None if v.excluded.get("kubernetes") else k8s,
                           None if v.excluded.get("serverless") else sls,
                           None if v.excluded.get("hybrid") else r.parts_usd),
        "excluded": "; ".join(f"{o} ({', '.join(ids)})" for o, ids in v.excluded.items() if ids),
        "top_reason": f"{top[0].rule}: {top[0].message}" if top else "",
        "nearest_flip": flip.short() if flip else "",
        "platform": r.platform.platform.name if r.platform else "",
        "platform_usd": None if r.platform is None or r.platform.monthly_usd is None
        else round(r.platform.monthly_usd, 2),
        "parts_usd": None if r.parts_usd is None else round(r.parts_usd, 2),
    }


def cheaper_cell(row: dict[str, Any]) -> str:
    """The Markdown and HTML `cheaper` cell: the option, and a component's parts sum."""
    parts = row.get("parts_usd")
    return (row["cheaper"] or "-") + ("" if parts is None else f" (parts {usd(parts)})")


def cheaper(kubernetes: float | None, serverless: float | None, parts: float | None) -> str:
    """The option the figures make cheapest: kubernetes, serverless, or, for a component with
    parts, hybrid (the parts each on its verdict) when it is below both; a tie keeps the
    earlier. Empty when there is nothing to compare."""
    options = [(o, usd) for o, usd in (("kubernetes", kubernetes), ("serverless", serverless),
                                      ("hybrid", parts)) if usd is not None]
    if len(options) < 2:
        return ""
    return min(options, key=lambda o: o[1])[0]


@dataclass
class Outcome:
    """Everything known at the end of a run, for `finish`."""

    file: str
    fmt: str
    portfolio: dict[str, Any]
    errors: list[Problem]  # every problem of every rejected component
    skipped: Skipped
    scored: int
    rejected: int  # components rejected (one may have several problems)

    def counts_line(self) -> str:
        skipped = sum(self.skipped.counts.values())
        return (f"{plural(self.scored + self.rejected, 'component')} read: {self.scored:,} "
                f"scored, {self.rejected:,} rejected"
                + (f", {plural(skipped, 'entity', 'entities')} skipped" if skipped else ""))

    def skipped_lines(self) -> list[str]:
        return [f"skipped {n} ({reason}): {', '.join(self.skipped.names[reason][:10])}"
                + (" ..." if n > 10 else "") for reason, n in sorted(self.skipped.counts.items())]



def allocated_by_name(p: dict[str, Any]) -> dict[str, float]:
    """Each cluster member's allocated cost (marginal + its share of the fixed cost)."""
    return {a["name"]: a["total_usd"] for a in p["allocation"]}


def portfolio_lines(p: dict[str, Any]) -> list[str]:
    """The portfolio answer as plain sentences (shared by the text and Markdown views)."""
    s = p["strategies"]
    k, sl, mix = s["all_kubernetes"], s["all_serverless"], s["recommended_mix"]
    lines = [
        f"all Kubernetes:   {usd(k['monthly_usd'])}/month (marginal {usd(k['variable_usd'])} + "
        f"{usd(k['fixed_usd'])} fixed for {plural(len(k['clusters']), 'cluster')})"
        + (f" (not priced in full: {k['note']}: {', '.join(k['not_priced_examples'])})"
           if k["note"] else ""),
        f"all serverless:   {usd(sl['monthly_usd'])}/month"
        + ("" if sl["feasible"] else f" (not feasible: {sl['note']})"),
        f"recommended mix:  {usd(mix['monthly_usd'])}/month (cluster at marginal cost "
        f"{usd(mix['cluster_variable_usd'])} + fixed {usd(mix['cluster_fixed_usd'])}, "
        f"functions {usd(mix['functions_usd'])}"
        + (f", node-less containers {usd(mix['containers_usd'])}" if mix["containers_usd"]
           else "") + ")",
    ]
    return lines


def cluster_lines(p: dict[str, Any]) -> list[str]:
    decided = [f"Priced on {prov}: {d['view']} ("
               + ("a cluster is justified: " if d["justified"] else "no cluster is justified: ")
               + f"{d['because']})." for prov, d in p.get("cluster_decision", {}).items()]
    if not p["clusters"]:
        return [*decided, "No component is placed on a cluster: no cluster needed."]
    return [*decided, *(c["message"] for c in p["clusters"])]


def top_lines(p: dict[str, Any]) -> tuple[list[str], list[str]]:
    stake = [f"{i}. {x['name']} ({x['verdict']}): {usd(x['at_stake_usd'])}/month between "
             f"Kubernetes {usd(x['kubernetes_usd'])} ({x['kubernetes_view']}) and functions "
             f"{usd(x['serverless_usd'])}" for i, x in enumerate(p["top_at_stake"], 1)]
    close = []
    for i, x in enumerate(p["top_closest_to_flip"], 1):
        how = f"x{num(x['factor'])}" if x["factor"] is not None else \
            f"{'+' if x['to'] >= x['from'] else ''}{num(x['to'] - x['from'], 2)}"
        close.append(f"{i}. {x['name']} ({x['verdict']}): {x['flips_to']} at {x['field']} = "
                     f"{num(x['to'], 4)} (now {num(x['from'], 4)}"
                     f"{', assumed' if x['assumed'] else ''}, {how})")
    return stake, close


# -- sinks ------------------------------------------------------------------------------------


@dataclass
class TextSink:
    out: TextIO
    width: int = 120
    rows: list[dict[str, Any]] = field(default_factory=list)

    def component(self, row: dict[str, Any], data: dict[str, Any] | bytes) -> None:
        self.rows.append(row)

    def finish(self, o: Outcome) -> None:
        # Rendered into a string and written whole: rich's own handling of a closed pipe exits
        # 1, where runplan exits 141 quietly (runplan.cli.boundary).
        buf = io.StringIO()
        console = Console(file=buf, width=self.width, highlight=False, soft_wrap=False,
                          force_terminal=self.out.isatty(),
                          color_system="auto" if self.out.isatty() else None)
        self._render(console, o)
        self.out.write(buf.getvalue())

    def _render(self, console: Console, o: Outcome) -> None:
        console.print(_text(f"runplan score: {o.file} ({o.fmt}): {o.counts_line()}"))
        table = Table(show_edge=False, pad_edge=False, header_style="bold")
        shown = self.rows[:TABLE_ROWS]
        allocated = allocated_by_name(o.portfolio)
        # The view in the Kubernetes header when every row shares it (a column otherwise),
        # the allocated column when a cluster has members: room for the names.
        views = sorted({r["kubernetes_view"] for r in shown})
        one_view = len(views) == 1
        columns = [("component", "left"), ("verdict", "left"), ("conf", "right"),
                   (f"Kubernetes/mo\n({views[0]})" if one_view else "Kubernetes/mo", "right")]
        columns += [] if one_view else [("view", "left")]
        columns += [("allocated/mo", "right")] if allocated else []
        columns += [("serverless/mo", "right"), ("nearest flip", "left")]
        for col, justify in columns:
            table.add_column(col, justify=justify, overflow="fold")  # type: ignore[arg-type]
        for r in shown:
            cells: list[Any] = [_text(r["name"]), _text(r["verdict"]), f"{r['confidence']:.2f}",
                                usd(r["kubernetes_usd"])]
            cells += [] if one_view else [r["kubernetes_view"]]
            cells += [usd(allocated.get(r["name"]))] if allocated else []
            cells += [usd(r["serverless_usd"]), _text(r["nearest_flip"] or "-")]
            table.add_row(*cells)
        if shown:
            console.print(table)
        if len(self.rows) > TABLE_ROWS:
            console.print(_text(f"... {len(self.rows) - TABLE_ROWS} more components: "
                               "--format json|csv|markdown|html or -o FILE lists them all"))
        p = o.portfolio
        v = p["verdicts"]
        console.print(_text(f"\nVerdicts: kubernetes {v['kubernetes']}, serverless "
                           f"{v['serverless']}, hybrid {v['hybrid']}"))
        console.print(_text("\nPortfolio, monthly:"))
        for line in portfolio_lines(p):
            console.print(_text("  " + line))
        console.print(_text("\nIs a cluster justified?"))
        for line in cluster_lines(p):
            console.print(_text("  " + line))
        u = p.get("uncertainty")
        if u is not None:
            from runplan.uncertainty.estate import estate_lines, measure_lines

            console.print(_text("\nUnder uncertainty:"))
            for line in estate_lines(u):
                console.print(_text("  " + line))
            console.print(_text("\nMeasure these first:"))
            for line in measure_lines(u) or [NOTHING_TO_MEASURE]:
                console.print(_text("  " + line))
        stake, close = top_lines(p)
        if stake:
            console.print(_text("\nMost money at stake:"))
            for line in stake:
                console.print(_text("  " + line))
        if close:
            console.print(_text("\nClosest to a flip:"))
            for line in close:
                console.print(_text("  " + line))
        for line in o.skipped_lines():
            console.print(_text(line))
        if o.errors:
            console.print(_text(f"\nRejected ({len(o.errors)}; also on stderr):"))
            for e in o.errors:
                console.print(_text(f"  {e}"))


def component_json(data: dict[str, Any]) -> bytes:
    """One component of the batch JSON as UTF-8, on one line so that each component greps as
    a line. orjson, because a 100k estate's report is about 700 MB and is written at the
    speed it is scored: 11 µs a component against 50 µs for json's C encoder, and its bytes
    go to the file as they are (no decoding in the worker, no encoding in the writer). The
    text differs from `json.dumps` only in spacing, in exponents (`1e-7` for `1e-07`) and in
    writing non-ASCII as UTF-8 rather than `\\u` escapes; it parses to the same values (a
    test checks)."""
    return orjson.dumps(data)


@dataclass
class JsonSink:
    """`{"components": [...], "portfolio": {...}, "errors": [...], ...}`, written as it goes,
    one component per line; as UTF-8 bytes straight to the stream's buffer where it has one
    (everything this sink writes goes that way, so text and bytes never interleave)."""

    out: TextIO
    started: bool = False

    def __post_init__(self) -> None:
        self.raw = getattr(self.out, "buffer", None)

    def _write(self, text: str | bytes) -> None:
        if self.raw is not None:
            self.raw.write(text.encode() if isinstance(text, str) else text)
        else:
            self.out.write(text if isinstance(text, str) else text.decode())

    def component(self, row: dict[str, Any], data: dict[str, Any] | bytes) -> None:
        """`data`: the component's JSON, or its bytes already (`component_json`, in a
        worker)."""
        self._write(b"{\n  \"components\": [\n    " if not self.started else b",\n    ")
        self._write(data if isinstance(data, bytes) else component_json(data))
        self.started = True

    def finish(self, o: Outcome) -> None:
        self._write("{\n  \"components\": [" if not self.started else "\n  ]")
        if not self.started:
            self._write("]")
        rest = {"portfolio": o.portfolio,
                "errors": [{"file": e.file, "line": e.line, "field": e.field,
                            "message": e.message} for e in o.errors],
                "skipped": [{"reason": r, "count": n, "names": o.skipped.names[r]}
                            for r, n in sorted(o.skipped.counts.items())],
                "summary": {"file": o.file, "format": o.fmt, "scored": o.scored,
                            "rejected": o.rejected,
                            "skipped": sum(o.skipped.counts.values()),
                            "currency": currency()}}
        for key, value in rest.items():
            text = json.dumps(value, indent=2, allow_nan=False)
            self._write(f",\n  {json.dumps(key)}: " + _indent(text, 2).lstrip())
        self._write("\n}\n")


def _indent(text: str, n: int) -> str:
    pad = " " * n
    return "\n".join(pad + line for line in text.splitlines())


@dataclass
class CsvSink:
    out: TextIO
    writer: Any = None
    uncertain: bool = False  # --uncertain: UNCERTAIN_COLUMNS after the others

    def __post_init__(self) -> None:
        # Every text cell quoted (a separator inside one never starts a new cell, whatever
        # separator a spreadsheet assumes) and neutralised by `fmt.csv_cell` (OWASP's advice
        # on CSV injection); numbers unquoted, as they are.
        self.writer = csv.writer(self.out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
        self.columns = CSV_COLUMNS + (UNCERTAIN_COLUMNS if self.uncertain else ())
        header = csv_header() + (uncertain_header() if self.uncertain else ())
        self.out.write(",".join(header) + "\n")  # runplan's own names: nothing to quote

    def component(self, row: dict[str, Any], data: dict[str, Any] | bytes) -> None:
        self.writer.writerow([csv_cell(row[c]) for c in self.columns])

    def finish(self, o: Outcome) -> None:
        pass  # the summary and the rejected rows go to stderr


@dataclass
class MarkdownSink:
    out: TextIO
    rows: list[dict[str, Any]] = field(default_factory=list)

    def component(self, row: dict[str, Any], data: dict[str, Any] | bytes) -> None:
        self.rows.append(row)

    def finish(self, o: Outcome) -> None:
        w = self.out.write
        w(f"# runplan score: {md(o.file)}\n\n{md(o.counts_line())}.\n\n")
        allocated = allocated_by_name(o.portfolio)
        m = md(money_unit())
        w(f"| component | verdict | confidence | Kubernetes {m}/mo | view | allocated {m}/mo | "
          f"serverless {m}/mo | cheaper | strongest reason | nearest flip |\n"
          "|---|---|---:|---:|---|---:|---:|---|---|---|\n")
        for r in self.rows:
            w(f"| {md(r['name'])} | {md(r['verdict'])} | {r['confidence']:.2f} | "
              f"{usd(r['kubernetes_usd'])} | {r['kubernetes_view']} | "
              f"{usd(allocated.get(r['name']))} | {usd(r['serverless_usd'])} | "
              f"{cheaper_cell(r)} | {md(r['top_reason'])} | {md(r['nearest_flip'])} |\n")
        p = o.portfolio
        v = p["verdicts"]
        w(f"\n**Verdicts:** kubernetes {v['kubernetes']}, serverless {v['serverless']}, "
          f"hybrid {v['hybrid']}\n\n## Portfolio (monthly)\n\n")
        for line in portfolio_lines(p):
            w(f"- {md(' '.join(line.split()))}\n")
        w("\n## Is a cluster justified?\n\n")
        for line in cluster_lines(p):
            w(f"{md(line)}\n")
        u = p.get("uncertainty")
        if u is not None:
            from runplan.uncertainty.estate import estate_lines, measure_lines

            w("\n## Under uncertainty\n\n" + "".join(f"- {md(x)}\n" for x in estate_lines(u)))
            w("\n## Measure these first\n\n" + "".join(
                f"{md(x)}\n" for x in measure_lines(u) or [NOTHING_TO_MEASURE]))
        stake, close = top_lines(p)
        if stake:
            w("\n## Most money at stake\n\n" + "".join(f"{md(x)}\n" for x in stake))
        if close:
            w("\n## Closest to a flip\n\n" + "".join(f"{md(x)}\n" for x in close))
        extra = o.skipped_lines()
        if extra:
            w("\n## Skipped\n\n" + "".join(f"- {md(x)}\n" for x in extra))
        if o.errors:
            w(f"\n## Rejected ({len(o.errors)})\n\n" + "".join(f"- {md(str(e))}\n"
                                                               for e in o.errors))


def _text(text: str) -> Text:
    """A user's string as rich text: printed literally (no markup), control characters
    escaped (`fmt.printable`; line breaks kept)."""
    return Text(printable(text, keep="\n"))
