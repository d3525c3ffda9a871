"""Markdown view of a result, for pull requests and ADR drafts. Every string that comes from a
user's files (a name, a rule message, an organisation's rule source) goes through `fmt.md`:
it renders as text, never as HTML, a link or an image."""

from __future__ import annotations

from runplan.advise import Result
from runplan.fmt import md, num, usd


def render_markdown(r: Result) -> str:
    v = r.verdict
    c = r.costs
    out = [f"## {md(r.name)}: {v.verdict} (confidence {v.confidence:.2f})", "",
           f"Scores: kubernetes {v.scores['kubernetes']:g}, serverless "
           f"{v.scores['serverless']:g}, hybrid {v.scores['hybrid']:g}.", ""]
    for option, ids in v.excluded.items():
        if ids:
            out.append(f"- **Hard constraint**: {option} excluded by {', '.join(ids)}")
    out += ["", "| rule | effect | reason | source |", "|---|---|---|---|"]
    for x in r.reasons:
        out.append(f"| {md(x.rule)} | {md(x.effect)} | {md(x.message)} | {md(x.source)} |")
    if r.against_cost:
        out += ["", f"**Against the cost**: {md(r.against_cost)}."]
    out += ["", f"| model ({c.provider}) | monthly |", "|---|---:|",
            f"| kubernetes ({c.kubernetes.view}) | "
            f"{usd(c.kubernetes.monthly_usd) if c.kubernetes.priced else 'not priced (GPU)'} |",
            f"| serverless | {usd(c.serverless.monthly_usd if c.serverless else None)} |"]
    if r.parts_usd is not None:
        out.append(f"| its parts, each on its verdict | {usd(r.parts_usd)} |")
    out.append("")
    if r.platforms:
        out += ["| platform | model | view | monthly |", "|---|---|---|---:|"]
        for o in r.platforms:
            chosen = "**" if o is r.platform else ""
            money = usd(o.monthly_usd) if o.monthly_usd is not None else \
                (o.note or "not priced") if o.feasible else f"ruled out: {o.ruled_out_by}"
            out.append(f"| {chosen}{o.platform.title}{chosen} | {o.platform.model} | {o.view} "
                       f"| {money} |")
        out.append("")
    if c.break_even:
        out.append(f"Break-even: about {num(c.break_even.avg_rps)} rps average.")
    if r.flips:
        out += ["", "What would change it:"] + [f"- {md(f.sentence(r.flips_from))}" for f in r.flips]
    if r.assumptions:
        out += ["", "<details><summary>Assumed inputs</summary>", ""]
        out += [f"- {md(str(a))}" for a in r.assumptions] + ["", "</details>"]
    return "\n".join(out) + "\n"
