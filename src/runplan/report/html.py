"""The HTML report: one self-contained file (no network at view time) with charts.

- cost per component under each model (matplotlib, inline SVG): the component's Kubernetes
  cost in the view its verdict used (marginal on the estate's cluster, or standalone) against
  functions, log scale;
- the portfolio split: the three strategies as stacked bars (variable, fixed, functions);
- every component in a `<details>` section: verdict, reasons, costs, flips, assumptions, and
  its cost curve, drawn by a few lines of inline JavaScript from data embedded in the page
  when the section is opened (the first one is open, so the page shows one at once).
"""

from __future__ import annotations

import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from runplan.fmt import currency, num, printable, usd, whole
from runplan.report.batch import (
    NOTHING_TO_MEASURE,
    Outcome,
    allocated_by_name,
    cheaper_cell,
    cluster_lines,
    portfolio_lines,
    top_lines,
)
from runplan.report.charts import label

MAX_BARS = 40
MAX_DETAILS = 2_000  # detail sections (with cost curves) kept in one page; the table lists all


def _esc(x: Any) -> str:
    """A user's string as HTML text or attribute: escaped, control characters (NUL, ESC)
    shown as escapes (`fmt.printable`)."""
    return html.escape(printable(str(x)), quote=True)


def _breakable(name: str) -> str:
    """An input's name (`people.serverless_fte`) as HTML that may break after its dots."""
    return _esc(name).replace(".", ".<wbr>")


def _worth(row: dict[str, Any]) -> float | None:
    """What knowing the row's top input is worth a month, when above zero (`--uncertain`)."""
    value = row.get("top_input_value_usd")
    return value if row.get("top_input") and value is not None and value > 0 else None


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "runplan"  # stable ids: same input, same bytes
    plt.rcParams["font.size"] = 9
    return plt


def cost_chart(rows: list[dict[str, Any]]) -> str:
    """Horizontal bars: the Kubernetes cost the verdict used and the serverless cost per
    component (log scale)."""
    plt = _pyplot()
    shown = rows
    if len(rows) > MAX_BARS:
        def stake(r: dict[str, Any]) -> float:
            s, k = r["serverless_usd"], r["kubernetes_usd"]
            return -abs(k - s) if s is not None and k is not None else 0.0

        shown = sorted(rows, key=stake)[:MAX_BARS]
    names = [r["name"] for r in shown]
    k8s = [max(r["kubernetes_usd"], 0.01) if r["kubernetes_usd"] is not None else 0
           for r in shown]  # None: not priced (a GPU component without a GPU node price)
    views = sorted({r["kubernetes_view"] for r in shown})
    sls = [max(r["serverless_usd"], 0.01) if r["serverless_usd"] is not None else 0 for r in shown]
    fig, ax = plt.subplots(figsize=(9, 0.28 * len(shown) + 1.2), dpi=100)
    y = list(range(len(shown)))
    ax.barh([i - 0.2 for i in y], k8s, height=0.4, color="#326ce5",
            label=f"Kubernetes ({', '.join(views)})")
    ax.barh([i + 0.2 for i in y], sls, height=0.4, color="#ff9900", label="serverless")
    ax.set_yticks(y, [f"{label(n)} → {r['verdict']}" for n, r in zip(names, shown, strict=True)])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel(f"monthly cost ({currency()}, log scale)")
    title = "Cost per component under each model"
    if len(rows) > MAX_BARS:
        title += f" ({MAX_BARS} with the most at stake of {len(rows)})"
    ax.set_title(title)
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    out = _svg(fig)
    plt.close(fig)
    return out


def portfolio_chart(p: dict[str, Any]) -> str:
    """Stacked bars: what each strategy costs a month, split into variable, fixed, functions
    and node-less containers, each bar's total over it."""
    plt = _pyplot()
    fig = portfolio_figure(p)
    out = _svg(fig)
    plt.close(fig)
    return out


def portfolio_figure(p: dict[str, Any]) -> Any:
    """`portfolio_chart`'s matplotlib figure (the caller closes it)."""
    plt = _pyplot()
    s = p["strategies"]
    labels = ["all Kubernetes", "all serverless" + ("" if s["all_serverless"]["feasible"]
                                                    else "\n(not feasible)"), "recommended mix"]
    cluster = [s["all_kubernetes"]["variable_usd"], 0.0, s["recommended_mix"]["cluster_variable_usd"]]
    fixed = [s["all_kubernetes"]["fixed_usd"], 0.0, s["recommended_mix"]["cluster_fixed_usd"]]
    functions = [0.0, s["all_serverless"]["monthly_usd"], s["recommended_mix"]["functions_usd"]]
    containers = [0.0, 0.0, s["recommended_mix"]["containers_usd"]]
    fig, ax = plt.subplots(figsize=(9.5, 3.6), dpi=100)
    ax.bar(labels, cluster, color="#326ce5", label="cluster: nodes and LB units")
    ax.bar(labels, fixed, bottom=cluster, color="#9db7f0",
           label="cluster: fixed (control plane, LB, people)")
    bottom = [a + b for a, b in zip(cluster, fixed, strict=True)]
    ax.bar(labels, functions, bottom=bottom, color="#ff9900", label="functions")
    bottom = [a + b for a, b in zip(bottom, functions, strict=True)]
    if any(containers):
        ax.bar(labels, containers, bottom=bottom, color="#5fa35f",
               label="node-less containers (no cluster)")
    totals = [a + b for a, b in zip(bottom, containers, strict=True)]
    for i, total in enumerate(totals):
        ax.annotate(label(whole(total)), (i, total), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=9)
    # Headroom over the tallest bar for its total (a zero-height segment on top of a bar is
    # a sticky edge that `margins` would not pass), the title clear of it.
    ax.set_ylim(0, max(totals) * 1.15 if max(totals) > 0 else 1.0)
    ax.yaxis.set_major_formatter(lambda y, _: label(whole(y)))
    ax.set_ylabel(f"monthly cost ({currency()})")
    v = p["verdicts"]
    ax.set_title(f"Portfolio: {v['kubernetes']} kubernetes, {v['serverless']} serverless, "
                 f"{v['hybrid']} hybrid", pad=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1200px;color:#1d1d1f;padding:0 1rem;
overflow-wrap:break-word}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{text-align:left;padding:.3rem .45rem;border-bottom:1px solid #eee;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.table-wrap{overflow-x:auto}
#components td:first-child{min-width:10rem}.flip{min-width:14rem}.nowrap{white-space:nowrap}
@media (max-width:700px){
#components thead{display:none}
#components tr{display:block;border-bottom:1px solid #ccc;padding:.4rem 0}
#components td{display:block;position:relative;border:0;padding:.1rem 0 .1rem 8.5rem;
min-width:0;text-align:left;white-space:normal}
#components td::before{position:absolute;left:0;width:8rem;color:#666;font-weight:400}
#components td:nth-child(1)::before{content:"component"}
#components td:nth-child(2)::before{content:"verdict"}
#components td:nth-child(3)::before{content:"confidence"}
#components td:nth-child(4)::before{content:"Kubernetes/mo"}
#components td:nth-child(5)::before{content:"view"}
#components td:nth-child(6)::before{content:"allocated/mo"}
#components td:nth-child(7)::before{content:"serverless/mo"}
#components td:nth-child(8)::before{content:"cheaper"}
#components td:nth-child(9)::before{content:"nearest flip"}
#components td:nth-child(10)::before{content:"measure first"}
body{margin:1rem auto}}
.kubernetes{color:#1f4fb4;font-weight:600}.serverless{color:#b36b00;font-weight:600}
.hybrid{color:#6b2fa3;font-weight:600}
details{border:1px solid #e3e3e3;border-radius:6px;margin:.4rem 0;padding:.3rem .8rem}
summary{cursor:pointer;font-weight:500}
.answer{background:#f5f8ff;border-left:4px solid #326ce5;padding:.6rem 1rem}
.muted{color:#666;font-size:.85rem}
.error{color:#a40000;font-family:ui-monospace,monospace;font-size:.85rem}
svg{max-width:100%;height:auto}
.tornado-wrap{overflow-x:auto}svg.tornado{min-width:540px}  /* its text readable on a phone */
"""

_JS = (Path(__file__).parent / "curve.js").read_text(encoding="utf-8")


@dataclass
class HtmlSink:
    out: TextIO
    rows: list[dict[str, Any]] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    def component(self, row: dict[str, Any], data: dict[str, Any] | bytes) -> None:
        self.rows.append(row)
        if len(self.details) < MAX_DETAILS:
            assert isinstance(data, dict), "the HTML report needs each component's data"
            self.details.append(_details(row, data, open_=not self.details))

    def finish(self, o: Outcome) -> None:
        p = o.portfolio
        w = self.out.write
        w("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
          f"<title>runplan score: {_esc(o.file)}</title><style>{_CSS}</style></head><body>\n")
        w(f"<h1>runplan score: {_esc(o.file)}</h1>\n<p>{_esc(o.counts_line())}.</p>\n")
        w("<h2>Portfolio</h2>\n<div class=\"answer\" id=\"cluster-answer\">"
          + "".join(f"<p>{_esc(x)}</p>" for x in cluster_lines(p)) + "</div>\n<ul>"
          + "".join(f"<li>{_esc(' '.join(x.split()))}</li>" for x in portfolio_lines(p))
          + "</ul>\n")
        if self.rows:
            w(f"<figure id=\"chart-portfolio\">{portfolio_chart(p)}</figure>\n")
            w(f"<figure id=\"chart-costs\">{cost_chart(self.rows)}</figure>\n")
        u = p.get("uncertainty")
        if u is not None:
            from runplan.uncertainty.estate import estate_lines, measure_lines

            w("<h2>Under uncertainty</h2>\n<ul id=\"uncertainty\">" + "".join(
                f"<li>{_esc(x)}</li>" for x in estate_lines(u)) + "</ul>\n")
            w("<h2>Measure these first</h2>" + ("<ol id=\"measure-first\">" + "".join(
                f"<li>{_esc(x.split('. ', 1)[1])}</li>" for x in measure_lines(u)) + "</ol>\n"
                if u["measure_first"] else
                f"<p id=\"measure-first\">{_esc(NOTHING_TO_MEASURE)}</p>\n"))
        stake, close = top_lines(p)
        if stake:
            w("<h2>Most money at stake</h2><ol>" + "".join(
                f"<li>{_esc(x.split('. ', 1)[1])}</li>" for x in stake) + "</ol>\n")
        if close:
            w("<h2>Closest to a flip</h2><ol>" + "".join(
                f"<li>{_esc(x.split('. ', 1)[1])}</li>" for x in close) + "</ol>\n")
        # The "measure first" column: a component's input worth measuring (its value of
        # information above zero) and what knowing it is worth; left out when no row has one.
        measure = u is not None and any(_worth(r) for r in self.rows)
        w("<h2>Components</h2>\n<div class=\"table-wrap\"><table id=\"components\"><thead><tr>"
          "<th>component</th><th>verdict</th><th>confidence</th><th>Kubernetes<wbr>/mo</th>"
          "<th>view</th><th>allocated<wbr>/mo</th><th>serverless<wbr>/mo</th><th>cheaper</th>"
          "<th class=\"flip\">nearest flip</th>"
          + ("<th>measure first</th>" if measure else "") + "</tr></thead><tbody>\n")
        allocated = allocated_by_name(p)
        for r in self.rows:
            worth = _worth(r)
            w(f"<tr><td><a href=\"#c-{_esc(r['name'])}\">{_esc(r['name'])}</a></td>"
              f"<td class=\"{r['verdict']}\">{r['verdict']}</td>"
              f"<td class=\"num\">{r['confidence']:.2f}</td>"
              f"<td class=\"num\">{usd(r['kubernetes_usd'])}</td>"
              f"<td>{_esc(r['kubernetes_view'])}</td>"
              f"<td class=\"num\">{usd(allocated.get(r['name']))}</td>"
              f"<td class=\"num\">{usd(r['serverless_usd'])}</td>"
              f"<td>{_esc(cheaper_cell(r))}</td>"
              f"<td class=\"flip\">{_esc(r['nearest_flip'] or '-')}</td>"
              + ("" if not measure else "<td>-</td>" if worth is None else
                 f"<td>{_breakable(r['top_input'])} <span class=\"muted nowrap\">up to "
                 f"{usd(worth)}/mo</span></td>")
              + "</tr>\n")
        more = len(self.rows) - len(self.details)
        w("</tbody></table></div>\n<h2>Details</h2>\n<p class=\"muted\">Open a component for its "
          "reasons, costs and cost curve."
          + (f" The first {len(self.details):,} components have a section here; the other "
             f"{more:,} are in the table above and in --format json.</p>\n" if more else
             "</p>\n"))
        w("".join(self.details))
        extra = o.skipped_lines()
        if extra:
            w("<h2>Skipped</h2><ul>" + "".join(f"<li>{_esc(x)}</li>" for x in extra) + "</ul>\n")
        if o.errors:
            w(f"<h2>Rejected ({len(o.errors)})</h2><ul id=\"errors\">"
              + "".join(f"<li class=\"error\">{_esc(e)}</li>" for e in o.errors) + "</ul>\n")
        w("<h2>How these numbers are made</h2><ul class=\"muted\">"
          + "".join(f"<li>{_esc(a)}</li>" for a in p["assumptions"])
          + "<li>every price and limit comes from runplan's kbase with its source and as-of "
            "date (<code>runplan kbase show</code>)</li></ul>\n")
        w(f"<script>{_JS}</script>\n</body></html>\n")


def _details(row: dict[str, Any], data: dict[str, Any], open_: bool) -> str:
    name = row["name"]
    c = data["costs"]
    curve = data.get("cost_curve")
    parts = [f"<details class=\"component\" id=\"c-{_esc(name)}\" data-name=\"{_esc(name)}\""
             + (" open" if open_ else "") + ">",
             f"<summary>{_esc(name)}: <span class=\"{row['verdict']}\">{row['verdict']}</span> "
             f"(confidence {row['confidence']:.2f})</summary>",
             "<p><b>Why</b></p><ul>"]
    parts += [f"<li>{_esc(r['message'])} <span class=\"muted\">[{_esc(r['rule'])}, "
              f"{_esc(r['effect'])}; {_esc(r['source'])}]</span></li>" for r in data["reasons"]]
    if data.get("against_cost"):
        parts.append(f"<li><b>Against the cost</b>: {_esc(data['against_cost'])}</li>")
    parts.append("</ul>")
    sls = c["serverless"]
    be = c["break_even"]
    parts.append(f"<p><b>Monthly cost on {_esc(c['provider'])}</b>: Kubernetes "
                 f"{usd(c['kubernetes']['monthly_usd'])} ({_esc(c['kubernetes']['view'])}), "
                 f"serverless "
                 f"{usd(sls['monthly_usd'] if sls else None)}"
                 + (f"; break-even about {num(be['avg_rps'], 4)} rps average" if be else "")
                 + (f"; its parts, each on its verdict, {usd(c['parts']['monthly_usd'])}"
                    if c.get("parts") else "")
                 + "</p>")
    if data["flips"]:
        parts.append("<p><b>What would change it</b></p><ul>" + "".join(
            f"<li>{_esc(f['field'])}: {num(f['from'], 4)}"
            f"{' (assumed)' if f['assumed'] else ''} → {num(f['to'], 4)} gives "
            f"{_esc(f['verdict'])}</li>" for f in data["flips"]) + "</ul>")
    u = data.get("uncertainty")
    if u:
        from runplan.uncertainty.plot import tornado_svg

        tornado = tornado_svg(u["tornado"], _esc)
        parts.append(f"<p><b>Under uncertainty</b>: {_esc(u['summary'])}</p>"
                     + (f"<div class=\"tornado-wrap\">{tornado}</div>" if tornado else ""))
    if curve:
        parts.append("<div class=\"curve-slot\"></div><script type=\"application/json\" "
                     "class=\"curve-data\">" + json.dumps(curve, allow_nan=False).replace("</", "<\\/")
                     + "</script>")
    if data["assumptions"]:
        parts.append("<p class=\"muted\">Assumed: " + "; ".join(
            _esc(a) for a in data["assumptions"]) + "</p>")
    parts.append("</details>\n")
    return "".join(parts)
