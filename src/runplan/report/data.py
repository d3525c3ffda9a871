"""A Result as plain data: the JSON output contract of DESIGN.md (extended, never renamed)."""

from __future__ import annotations

from typing import Any

from runplan.advise import Result, part_bill
from runplan.cost.estimate import CostReport
from runplan.cost.platforms import PlatformCost
from runplan.cost.serverless import LineItem


def _money(x: float) -> float:
    return round(x, 2)


def _items(items: tuple[LineItem, ...]) -> dict[str, Any]:
    return {i.name: {"monthly_usd": _money(i.monthly_usd), "quantity": round(i.quantity, 4),
                     "unit": i.unit, "note": i.note} for i in items}


def costs_data(r: Result) -> dict[str, Any]:
    c = r.costs
    be = c.break_even
    out: dict[str, Any] = {
        "provider": c.provider,
        "free_tier": c.free_tier,
        "kubernetes": {"monthly_usd": None if not c.kubernetes.priced
                       else _money(c.kubernetes.monthly_usd),
                       "priced": c.kubernetes.priced,
                       "platform": c.kubernetes.platform or None,
                       "view": c.kubernetes.view,
                       "people_usd": _money(c.kubernetes.people_usd),
                       "node_type": c.kubernetes.node_type,
                       "max_replicas": c.kubernetes.max_replicas,
                       "fixed_usd": _money(c.kubernetes.fixed_usd),
                       "breakdown": _items(c.kubernetes.items)},
        "serverless": None if c.serverless is None else {
            "monthly_usd": _money(c.serverless.monthly_usd),
            "platform": c.serverless.platform or None,
            "provisioned_instances": c.provisioned_instances,
            "breakdown": _items(c.serverless.items)},
        "break_even": None if be is None else {
            "requests_per_month": round(be.requests_per_month, 0),
            "avg_rps": round(be.avg_rps, 4),
            "serverless_cheaper_below": be.serverless_cheaper_below},
    }
    if r.parts_usd is not None:  # a component with parts: their sum, each on its verdict
        out["parts"] = {"monthly_usd": _money(r.parts_usd),
                        "breakdown": {p.name: {"verdict": p.verdict.verdict,
                                               "monthly_usd": _money(part_bill(p))}
                                      for p in r.parts}}
    return out


def platform_data(o: PlatformCost, c: CostReport | None = None) -> dict[str, Any]:
    """A platform with its bill, or the limit that rules it out."""
    p = o.platform
    # The bills the verdict reads (each model's platform) are itemised once, under `costs`;
    # `bill_in` points there.
    bill_in = None
    if c is not None and o.monthly_usd is not None:
        if p.name == c.kubernetes.platform:
            bill_in = "costs.kubernetes"
        elif c.serverless is not None and p.name == c.serverless.platform:
            bill_in = "costs.serverless"
    return {"model": p.model, "name": p.name, "title": p.title, "kind": p.kind,
            "status": p.status, "view": o.view,
            "monthly_usd": None if o.monthly_usd is None else _money(o.monthly_usd),
            "feasible": o.feasible, "ruled_out_by": o.ruled_out_by, "note": o.note,
            "bill_in": bill_in, "breakdown": {} if bill_in else _items(o.items)}


def cold_start_data(r: Result) -> dict[str, Any] | None:
    cs = r.costs.cold_start
    if cs is None:
        return None
    return {"share_of_requests": round(cs.share_of_requests, 6),
            "added_latency_ms": round(cs.added_latency_ms, 1),
            "p99_estimate_ms": round(cs.p99_estimate_ms, 1),
            "breaches_slo": cs.breaches_slo, "platform": cs.platform or None}


def result_data(r: Result) -> dict[str, Any]:
    """One component's result, keys in the contract's order."""
    v = r.verdict
    out: dict[str, Any] = {
        "name": r.name,
        "verdict": v.verdict,
        "confidence": v.confidence,
        "scores": v.scores,
        "excluded": v.excluded,
        "costs": costs_data(r),
        "platform": None if r.platform is None else platform_data(r.platform, r.costs),
        "alternatives": [platform_data(o, r.costs) for o in r.platforms if o is not r.platform],
        "cold_start": cold_start_data(r),
        "reasons": [{"rule": x.rule, "effect": x.effect, "message": x.message,
                     "source": x.source, "title": x.title, "facts": x.facts,
                     "derived_facts_read": list(x.derived), "asserts": list(x.asserts)}
                    for x in r.reasons],
        "assumptions": [str(a) for a in r.assumptions],
        "flips": [{"field": f.field, "from": f.current, "to": f.to, "verdict": f.verdict,
                   "assumed": f.assumed} for f in r.flips],
        "against_cost": r.against_cost or None,
        "derived_facts": list(r.derived_facts),
        "all_excluded": v.all_excluded,
        "overridden_figures": list(r.overridden),
    }
    if r.parts:
        out["parts"] = [result_data(p) for p in r.parts]
    return out


def advise_document(r: Result, explain: bool = False) -> dict[str, Any]:
    """`runplan advise --format json` (and the web API's advise): the result, the currency
    label once, and with `explain` the explanation's lines."""
    from runplan.fmt import currency
    from runplan.report.text import explain_text

    data = result_data(r)
    data["currency"] = currency()  # the label of every money figure, once per document
    if explain:
        data["explanation"] = explain_text(r).splitlines()
    return data


def rule_data(r: Any) -> dict[str, Any]:
    """A rule as `runplan rules list --format json` gives it."""
    from pathlib import Path

    return {"id": r.id, "theme": r.theme, "title": r.title, "source": r.source,
            "rationale": r.rationale, "recommendation": r.recommendation,
            "effect": r.effect(), "message": r.message, "asserts": list(r.asserts),
            "fields_read": list(r.fields_read()), "facts_read": list(r.facts_read()),
            "grade": [_grade_data(t) for t in r.grade],
            "file": Path(r.file).name, "examples": r.examples}


def _grade_data(t: Any) -> dict[str, Any]:
    """A grade term as in the rule file."""
    if hasattr(t, "fact"):
        return {"fact": t.fact}
    return {"field": t.field, "from": t.start, "to": t.end,
            "scale": "log" if t.log else "linear"}


def figure_rows(raw: dict[str, Any], provider: str | None = None) -> list[dict[str, Any]]:
    """Every kbase figure as `runplan kbase show --format json` gives it (one file's with
    `provider`)."""
    from runplan.kbase import iter_figures

    keys = [provider] if provider else list(raw)
    return [{"file": k, "figure": p, **f} for k in keys for p, f in iter_figures(raw[k])]
