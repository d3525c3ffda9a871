"""The terminal view: the verdict first, the three strongest reasons, costs, then the rest."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from runplan.advise import Result

STRONGEST = 3


def _strength(effect: str) -> float:
    total = 0.0
    for part in effect.split(", "):
        if part.startswith("excludes"):
            total += 100
        elif " " in part and part.rsplit(" ", 1)[1].lstrip("+-").replace(".", "").isdigit():
            total += abs(float(part.rsplit(" ", 1)[1]))
    return total


def _usd(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"${x:,.0f}" if abs(x) >= 100 else f"${x:,.2f}"


def render_text(r: Result, explain: bool = False, width: int = 100) -> str:
    buf = io.StringIO()
    con = Console(file=buf, width=width, force_terminal=False, color_system=None,
                  highlight=False, soft_wrap=True)
    v = r.verdict
    con.print(f"{r.name}: {v.verdict.upper()} (confidence {v.confidence:.2f})")
    con.print(f"scores: kubernetes {v.scores['kubernetes']:g}, serverless "
              f"{v.scores['serverless']:g}, hybrid {v.scores['hybrid']:g}")
    for option, ids in v.excluded.items():
        if ids:
            con.print(f"hard constraint: {option} excluded by {', '.join(ids)}")
    if v.all_excluded:
        con.print("every option is excluded by a hard constraint: review the constraints")
    con.print("")
    con.print("Why:")
    chosen = [x for x in r.reasons if v.verdict in x.effect or "excludes" in x.effect]
    top = sorted(chosen or list(r.reasons), key=lambda x: -_strength(x.effect))[:STRONGEST]
    for x in top:
        con.print(f"  - {x.message} [{x.rule}, {x.effect}; {x.source}]")
    c = r.costs
    con.print("")
    con.print(f"Monthly cost on {c.provider}:")
    con.print(f"  kubernetes  {_usd(c.kubernetes.monthly_usd)}"
              f"  (fixed {_usd(c.kubernetes.fixed_usd)}, nodes: {c.kubernetes.node_type})")
    con.print(f"  serverless  {_usd(c.serverless.monthly_usd if c.serverless else None)}")
    if c.break_even:
        side = "serverless" if c.break_even.serverless_cheaper_below else "kubernetes"
        con.print(f"  break-even  {c.break_even.avg_rps:,.3g} rps average "
                  f"({c.break_even.requests_per_month:,.0f} requests/month); "
                  f"{side} is cheaper below it")
    else:
        con.print("  break-even  none between 1,000 and 10^12 requests/month")
    if c.cold_start:
        cs = c.cold_start
        con.print(f"Cold starts: {cs.share_of_requests * 100:.2g}% of requests, "
                  f"+{cs.added_latency_ms:,.0f} ms each; p99 about {cs.p99_estimate_ms:,.0f} ms"
                  + (" (breaches the SLO)" if cs.breaches_slo else ""))
    if r.flips:
        con.print("What would change it:")
        for f in r.flips:
            con.print(f"  - {f.sentence(v.verdict)}")
    elif not r.parts:
        con.print("What would change it: no single input within 100x of its value flips it")
    if r.parts:
        con.print("Parts:")
        for p in r.parts:
            con.print(f"  - {p.name}: {p.verdict.verdict} (confidence "
                      f"{p.verdict.confidence:.2f})")
    con.print(f"Assumed: {len(r.assumptions)} inputs not given "
              + ("(listed below)" if explain else "(--explain lists them)"))
    if r.overridden:
        con.print("Overridden kbase figures: " + ", ".join(r.overridden))
    if explain:
        con.print("")
        con.print(explain_text(r))
    return buf.getvalue()


def explain_text(r: Result) -> str:
    """The full chain: inputs (given or assumed), cost facts, fired rules in order, verdict."""
    lines = ["Inputs (assumed ones marked *):"]
    assumed = {a.field for a in r.assumptions}
    for key, value in r.inputs.items():
        if key.startswith(("cost.", "cold_start.", "limits.", "parts.", "traffic.peak_to_avg")):
            continue
        lines.append(f"  {'*' if key in assumed else ' '} {key} = {value}")
    lines.append("Assumptions:")
    lines += [f"  - {a}" for a in r.assumptions] or ["  (none)"]
    lines.append("Cost-core facts:")
    for key, value in r.inputs.items():
        if key.startswith(("cost.", "cold_start.", "limits.", "traffic.peak_to_avg", "parts.")):
            lines.append(f"    {key} = {value}")
    lines.append("Line items:")
    c = r.costs
    for label, items in (("kubernetes", c.kubernetes.items),
                         ("serverless", c.serverless.items if c.serverless else ())):
        for i in items:
            lines.append(f"    {label:<10} {i.name:<40} {_usd(i.monthly_usd):>10}  "
                         f"{i.quantity:,.6g} {i.unit}; {i.note}")
    lines.append("Rules fired, in order:")
    for n, x in enumerate(r.reasons, 1):
        facts = ", ".join(f"{k}={v}" for k, v in x.facts.items())
        derived = f"; derived facts read: {', '.join(x.derived)}" if x.derived else ""
        asserts = f"; asserts: {', '.join(x.asserts)}" if x.asserts else ""
        lines.append(f"  {n:>2}. {x.rule} ({x.effect}) because {facts}{derived}{asserts}")
        lines.append(f"      {x.message}")
        lines.append(f"      source: {x.source}")
    v = r.verdict
    lines.append(f"Verdict: {v.verdict} with scores {v.scores}, confidence {v.confidence:.2f}")
    return "\n".join(lines)


def rules_table(rules: list[tuple[str, str, str, str]]) -> str:
    buf = io.StringIO()
    con = Console(file=buf, width=160, force_terminal=False, color_system=None)
    table = Table("id", "theme", "title", "source", show_lines=False)
    for row in rules:
        table.add_row(*row)
    con.print(table)
    return buf.getvalue()
