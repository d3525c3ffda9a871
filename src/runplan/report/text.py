"""The terminal view: the verdict first, the three strongest reasons, costs, then the rest."""

from __future__ import annotations

import io

from runplan.advise import PARENT_ABSENT, Reason, Result, part_bill
from runplan.cost.people import PEOPLE_ITEM
from runplan.cost.serverless import ServerlessCost
from runplan.fmt import num, plural, usd
from runplan.fmt import value as value_text

STRONGEST = 3
# Rule fields computed by the cost core or from parts, as opposed to profile inputs.
COMPUTED = ("cost.", "cold_start.", "limits.", "parts.", "traffic.peak_to_avg")



def _people(bill: ServerlessCost | None) -> str:
    """`  (people $50.00)`: the bill's operations line, where it has one."""
    people = [i.monthly_usd for i in (bill.items if bill else ()) if i.name == PEOPLE_ITEM]
    return f"  (people {usd(people[0])})" if people else ""


_VIEW = {"marginal": "marginal: joining a cluster that runs anyway",
         "standalone": "standalone: a new cluster for this component alone"}


def cost_lines(r: Result) -> list[str]:
    """Both monthly totals, the break-even and the cold-start estimate."""
    c = r.costs
    k = c.kubernetes
    on = next((o for o in r.platforms if o.platform.name == k.platform), None)
    if on is not None and on.platform.bill != "nodes":  # node-less: no nodes, no new cluster
        where = f"on {on.platform.title}, priced for this component"
    else:
        where = f"{_VIEW[k.view]}; nodes: {k.node_type}"
    k8s = (f"  kubernetes  {usd(k.monthly_usd)}  ({where}; fixed {usd(k.fixed_usd)}, "
           f"people {usd(k.people_usd)})") if k.priced else \
        (f"  kubernetes  not priced: a GPU component, and kbase has no sourced GPU node price "
         f"for {c.provider} ({_VIEW[k.view]})")
    excluded = r.verdict.excluded.get("serverless", [])
    ruled_out = f"  (ruled out by {', '.join(excluded)}: not a choice)" \
        if excluded and c.serverless else _people(c.serverless)
    lines = [f"Monthly cost on {c.provider}:", k8s,
             f"  serverless  {usd(c.serverless.monthly_usd if c.serverless else None)}"
             + ruled_out]
    if r.parts_usd is not None:
        lines.append(f"  parts       {usd(r.parts_usd)}  (each on its verdict: {parts_text(r)})")
    elif c.break_even:
        side = "serverless" if c.break_even.serverless_cheaper_below else "kubernetes"
        lines.append(f"  break-even  {num(c.break_even.avg_rps)} rps average "
                     f"({c.break_even.requests_per_month:,.0f} requests/month); "
                     f"{side} is cheaper below it")
    else:
        lines.append("  break-even  none between 1,000 and 10^12 requests/month")
    # The serverless model's platform's cold starts (`cost.vector.cold_start`), not for
    # one that is ruled out.
    on = next((o for o in r.platforms if o.platform.title == (c.cold_start.platform
                                                            if c.cold_start else None)), None)
    if c.cold_start and (on is None or on.feasible):
        cs = c.cold_start
        fn_on = f" on {cs.platform}" if cs.platform else ""
        job = r.workload.kind == "job"  # runs, not requests: no one waits on a p99
        lines.append(f"Cold starts{fn_on}: {num(cs.share_of_requests * 100, 2)}% of "
                     f"{'runs' if job else 'requests'}, +{cs.added_latency_ms:,.0f} ms each"
                     + ("" if job and r.workload.p99_slo_ms is None else
                        f"; p99 about {cs.p99_estimate_ms:,.0f} ms")
                     + (" (breaches the SLO)" if cs.breaches_slo else ""))
    return lines


def parts_text(r: Result) -> str:
    """`upload-api kubernetes $376 + thumbnailer serverless $7.54`: what the parts' sum adds."""
    return " + ".join(f"{p.name} {p.verdict.verdict} {usd(part_bill(p))}" for p in r.parts)


def platform_lines(r: Result) -> list[str]:
    """The platform the verdict's model runs on, then each other one: its bill or its limit."""
    def money(usd: float | None, note: str) -> str:
        return usd_text(usd) if usd is not None else (note or "not priced")

    lines = []
    if r.platform is not None:
        o = r.platform
        lines.append(f"Platform: {o.platform.title} ({o.platform.model}, {o.view}) "
                     f"{money(o.monthly_usd, o.note)}")
    others = [o for o in r.platforms if o is not r.platform]
    if others:
        lines.append("Alternatives:")
        for o in others:
            tail = money(o.monthly_usd, o.note) if o.feasible else \
                f"ruled out: {o.ruled_out_by}"
            legacy = ", legacy" if o.platform.status == "legacy" else ""
            lines.append(f"  {o.platform.title} ({o.platform.model}{legacy}, {o.view})  {tail}")
    return lines


def usd_text(x: float) -> str:
    return f"{usd(x)}/month"


def line_item_lines(r: Result) -> list[str]:
    """Every line item of both bills with its quantity and how it was priced."""
    c = r.costs
    lines = ["Line items:"]
    for label, items in (("kubernetes", c.kubernetes.items),
                         ("serverless", c.serverless.items if c.serverless else ())):
        for i in items:
            unpriced = label == "kubernetes" and not c.kubernetes.priced and \
                i.name in ("nodes", "node share")
            amount = "not priced" if unpriced else usd(i.monthly_usd)
            lines.append(f"    {label:<10} {i.name:<40} {amount:>10}  "
                         f"{num(i.quantity, 6)} {i.unit}; {i.note}")
    return lines


def _overridden(r: Result) -> list[str]:
    return ["Overridden kbase figures: " + ", ".join(r.overridden)] if r.overridden else []


def render_cost_text(r: Result) -> str:
    """`runplan cost`: totals, break-even, cold starts and every line item."""
    return "\n".join([*cost_lines(r), *platform_lines(r), *line_item_lines(r),
                      *_overridden(r)]) + "\n"


def top_reasons(r: Result, n: int = STRONGEST) -> list[Reason]:
    """The reasons that argue most for the verdict (all reasons if none supports it)."""
    v = r.verdict.verdict
    supporting = [x for x in r.reasons if x.support(v) > 0]
    return sorted(supporting or list(r.reasons), key=lambda x: -x.support(v))[:n]


def render_text(r: Result, explain: bool = False) -> str:
    """`runplan advise`: the verdict, its three strongest reasons, costs, flips, assumptions.

    Plain strings, not rich markup: rule messages (an organisation's too) may hold brackets.
    """
    v = r.verdict
    lines = [f"{r.name}: {v.verdict.upper()} (confidence {v.confidence:.2f})",
             f"scores: kubernetes {v.scores['kubernetes']:g}, serverless "
             f"{v.scores['serverless']:g}, hybrid {v.scores['hybrid']:g}"]
    lines += [f"hard constraint: {option} excluded by {', '.join(ids)}"
              for option, ids in v.excluded.items() if ids]
    if v.all_excluded:
        lines.append("every option is excluded by a hard constraint: review the constraints")
    lines += ["", "Why:"]
    lines += [f"  - {x.message} [{x.rule}, {x.effect}; {x.source}]" for x in top_reasons(r)]
    if r.against_cost:
        lines.append(f"  - {r.against_cost[0].upper()}{r.against_cost[1:]}.")
    lines += ["", *cost_lines(r), *platform_lines(r)]
    if r.flips:
        lines.append("What would change it:")
        lines += [f"  - {f.sentence(r.flips_from)}" for f in r.flips]
    elif not r.parts:
        lines.append("What would change it: no single input within 100x of its value flips it")
    if r.parts:
        lines.append("Parts:")
        lines += [f"  - {p.name}: {p.verdict.verdict} (confidence {p.verdict.confidence:.2f})"
                  for p in r.parts]
    lines.append(f"Assumed: {plural(len(r.assumptions), 'input')} not given "
                 + ("(listed below)" if explain else "(--explain lists them)"))
    lines += _overridden(r)
    if explain:
        lines += ["", explain_text(r)]
    return "\n".join(lines) + "\n"


def explain_text(r: Result) -> str:
    """The full chain: inputs (given or assumed), cost facts, fired rules in order, verdict."""
    lines = ["Inputs (assumed ones marked *):"]
    assumed = {a.field for a in r.assumptions}
    for key, value in r.inputs.items():
        if key.startswith(COMPUTED) or (r.parts and key.startswith(PARENT_ABSENT)):
            continue
        lines.append(f"  {'*' if key in assumed else ' '} {key} = {value_text(value)}")
    if r.parts:
        lines.append("    kind, traffic, execution, latency: its parts' own (none of its own)")
    lines.append("Assumptions:")
    lines += [f"  - {a}" for a in r.assumptions] or ["  (none)"]
    lines.append("Cost-core facts:")
    for key, value in r.inputs.items():
        if key.startswith(COMPUTED):
            lines.append(f"    {key} = {value_text(value)}")
    lines += line_item_lines(r)
    lines.append("Rules fired, in order:")
    for n, x in enumerate(r.reasons, 1):
        facts = ", ".join(f"{k}={value_text(v)}" for k, v in x.facts.items())
        derived = f"; derived facts read: {', '.join(x.derived)}" if x.derived else ""
        asserts = f"; asserts: {', '.join(x.asserts)}" if x.asserts else ""
        lines.append(f"  {n:>2}. {x.rule} ({x.effect}) because {facts}{derived}{asserts}")
        lines.append(f"      {x.message}")
        lines.append(f"      source: {x.source}")
    v = r.verdict
    lines.append(f"Verdict: {v.verdict} with scores {value_text(v.scores)}, confidence "
                 f"{v.confidence:.2f}")
    return "\n".join(lines)


def rules_table(rules: list[tuple[str, str, str, str]]) -> str:
    from rich.console import Console  # here: `runplan advise` need not import rich
    from rich.table import Table

    buf = io.StringIO()
    con = Console(file=buf, width=160, force_terminal=False, color_system=None)
    table = Table("id", "theme", "title", "source", show_lines=False)
    for row in rules:
        table.add_row(*row)
    con.print(table)
    return buf.getvalue()
