"""`--uncertain` for a component with parts: each part drawn, the whole judged per draw.

A component with parts has no traffic of its own: its verdict reads its parts' verdicts and
the sums of their bills (`Advisor._whole`). Under `--uncertain`:

- each part has its own inputs (its profile's ranges, `component._ranges[("parts", i)]`, and
  the kbase ranges of what it assumed), drawn from a seed of the component's content and the
  part's place; the estate-wide figures (people, prices) are drawn alike in every part, as in
  every component of an estate (`sample.draw_z`);
- each part is judged over arrays in each view it can take: standalone (a new cluster of its
  own) and marginal (joining the cluster another part stands up). Per draw, the part that
  carries the cluster is chosen as `Advisor._share_cluster` chooses it at the point
  (`advise.cluster_anchor`, `advise.joins_cluster`), and every part takes that draw's view;
- the whole's verdict in each draw: its rule fields at that draw (the parts' verdict counts,
  the sums of their bills, the first part's platform; `advise.whole_fields`), fired on the
  shared inference (experta once per distinct set of conditions) and decided as at the point
  (`verdict.decide`, the sums breaking ties).

The whole's inputs are the parts': `PART: field` for a part's own, the estate-wide ones once.
Its tornado moves one input at a time with every other at its median: a part's own input in
that part alone, an estate-wide one in every part at once. Each part's probability is the
share of draws in which it keeps its most probable verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from runplan.advise import Advisor, Result, cluster_anchor, joins_cluster, whole_fields
from runplan.cost.estimate import cost_facts
from runplan.cost.vector import Array
from runplan.probes import VERDICTS
from runplan.profile import Component
from runplan.uncertainty.report import Summary, summarise, tornado_values
from runplan.uncertainty.sample import (
    Draws,
    Input,
    Job,
    _digest,
    draw_z,
    drawn,
    estate_wide,
    inputs_for,
    judge_many,
    seed_of,
)
from runplan.verdict import decide

SLS = VERDICTS.index("serverless")
VIEWS = ("standalone", "marginal")
# The whole's figures a draw moves besides its parts' verdicts, its view and whether its
# first part runs a cluster; while no rule's condition reads one, the rules fired are the
# same for every draw with the same of those.
SUMS = frozenset({"cost.kubernetes_usd", "cost.serverless_usd", "cost.people_usd",
                  "cost.fixed_usd"})


@dataclass
class _Part:
    """One part's draws and tornado columns, judged in each view it can take."""

    name: str
    provider: str
    standalone: bool  # priced standalone at the point unless another part's cluster is shared
    # Its inputs in the standalone view where it has one; the views' differ only in the
    # spread of the Kubernetes people factor (a cluster's FTE or a service's).
    inputs: list[Input]
    judged: dict[str, Draws]  # by view: n draws, then 1 + 2 x inputs tornado columns


def uncertain_parts(advisor: Advisor, component: Component, result: Result, n: int,
                    price_uncertainty: float) -> Summary:
    """The summary of a component with parts over n draws (the module's notes)."""
    seed = seed_of(component, n, price_uncertainty)
    jobs: list[Job] = []
    plan: list[tuple[str, str, bool, list[Input], list[str]]] = []
    for i, r in enumerate(result.parts):
        alone = advisor.view_of(r.workload) == "standalone"
        views = [v for v in VIEWS if alone or v == "marginal"]
        z: Array | None = None
        first: list[Input] = []
        for v in views:
            point = r if r.costs.view == v else advisor.part_result(component, i, v)
            inputs = inputs_for(component._ranges.get(("parts", i), {}), point.workload,
                                {a.field for a in point.assumptions}, advisor.kb, v,
                                price_uncertainty, point.costs.kubernetes_platform)
            if z is None:
                z, first = draw_z(inputs, n, _digest([seed, "part", i])), inputs
            jobs.append((point, inputs, np.hstack([drawn(inputs, z), tornado_values(inputs)])))
        plan.append((r.name, advisor.kb.provider(r.workload.provider).provider, alone, first,
                     views))
    judged = iter(judge_many(advisor, jobs))
    parts = [_Part(name, prov, alone, inputs, {v: next(judged) for v in views})
             for name, prov, alone, inputs, views in plan]
    names, columns = _cases(parts, n)
    whole = _whole(advisor, result, parts, columns)
    values = _values(parts, names, columns)
    inputs = [_named(parts, key) for key in names]
    d = Draws(inputs, values[:, :n], *(a[:n] for a in whole[:6]))
    t = Draws(inputs, values[:, n:], *(a[n:] for a in whole[:6]))
    s = summarise(result, d, t)
    s.parts = _part_shares(parts, whole[6][:, :n])
    return s


def _cases(parts: list[_Part], n: int) -> tuple[list[tuple[int, int]], Array]:
    """The whole's inputs, each as (part, its index there) of the first part that has it,
    and (parts, cases): the column of each part's judged draws that each case reads: the n
    draws, every input at its median, then each input at its p10 and at its p90."""
    names: list[tuple[int, int]] = []
    seen: dict[str, int] = {}
    for p, part in enumerate(parts):
        for q, i in enumerate(part.inputs):
            if estate_wide(i.name):
                if i.name in seen:
                    continue
                seen[i.name] = len(names)
            names.append((p, q))
    k = len(names)
    cols = np.empty((len(parts), n + 1 + 2 * k), dtype=int)
    cols[:, :n] = np.arange(n)
    cols[:, n:] = n  # each part's own median column
    for j, (p, q) in enumerate(names):
        name = parts[p].inputs[q].name
        moved = [(pp, [i.name for i in part.inputs].index(name))
                 for pp, part in enumerate(parts)
                 if any(i.name == name for i in part.inputs)] if estate_wide(name) else [(p, q)]
        for pp, qq in moved:
            cols[pp, n + 1 + 2 * j] = n + 1 + 2 * qq
            cols[pp, n + 2 + 2 * j] = n + 2 + 2 * qq
    return names, cols


def _named(parts: list[_Part], key: tuple[int, int]) -> Input:
    p, q = key
    i = parts[p].inputs[q]
    if estate_wide(i.name):
        return i
    return Input(f"{parts[p].name}: {i.name}", i.dist, i.source, i.assumed, i.point)


def _values(parts: list[_Part], names: list[tuple[int, int]], cols: Array) -> Array:
    """(inputs, cases): each input's value in each case, read off the part it is from."""
    out = np.empty((len(names), cols.shape[1]))
    for j, (p, q) in enumerate(names):
        view = "standalone" if parts[p].standalone else "marginal"
        out[j] = parts[p].judged[view].values[q, cols[p]]
    return out


def _views(parts: list[_Part], cols: Array) -> Array:
    """(parts, cases) bool: the part is judged marginal in that case (it joins the cluster
    the case's anchor part stands up, or is marginal anyway)."""
    alone = np.array([p.standalone for p in parts])
    cand = np.zeros(cols.shape, dtype=bool)
    for i, p in enumerate(parts):
        if p.standalone:
            d = p.judged["standalone"]
            cand[i] = (d.verdict[cols[i]] != SLS) & d.on_nodes[cols[i]]
    anchor = cluster_anchor(cand)
    joins = joins_cluster(anchor, alone, np.array([p.provider for p in parts], dtype=object))
    out: Array = joins | ~alone[:, None]
    return out


def _whole(advisor: Advisor, result: Result, parts: list[_Part], cols: Array,
           ) -> tuple[Array, ...]:
    """Per case, the whole's Draws columns (verdict, Kubernetes and serverless sums, runs a
    cluster, on nodes, functions excluded) and, last, each part's verdict (parts, cases)."""
    marginal = _views(parts, cols)
    cases = cols.shape[1]
    got: dict[str, Array] = {}
    for name in ("verdict", "kubernetes_usd", "serverless_usd", "runs_cluster", "on_nodes",
                 "serverless_excluded"):
        rows = []
        for i, p in enumerate(parts):
            m = p.judged["marginal"]
            s = p.judged.get("standalone", m)
            rows.append(np.where(marginal[i], getattr(m, name)[cols[i]],
                                 getattr(s, name)[cols[i]]))
        got[name] = np.vstack(rows)
    verdicts = got["verdict"]
    k8s = got["kubernetes_usd"].sum(axis=0)
    sls_each = got["serverless_usd"]
    on_functions: Array = np.asarray(
        (np.isfinite(sls_each) & ~got["serverless_excluded"]).all(axis=0))
    sls = np.where(on_functions, sls_each.sum(axis=0), np.inf)
    bill = np.where((verdicts == SLS) & np.isfinite(sls_each), sls_each, got["kubernetes_usd"])
    hybrid = bill.sum(axis=0)
    counts = np.stack([(verdicts == code).sum(axis=0) for code in range(len(VERDICTS))])
    point = result.inputs
    costs = result.costs
    people, fixed = costs.kubernetes.people_usd, costs.kubernetes.fixed_usd
    codes = np.empty(cases, dtype=int)
    by_sums = bool(SUMS & advisor.inference.fields_read)
    fired_for: dict[tuple[Any, ...], Any] = {}
    for c in range(cases):
        facts = cost_facts(float(k8s[c]), people, fixed,
                           float(sls[c]) if on_functions[c] else None, None, None,
                           costs.limits, "marginal" if marginal[0, c] else "standalone",
                           bool(got["runs_cluster"][0, c]))
        fields = dict(point)
        fields.update(facts)
        fields["parts.count"] = len(parts)
        for code, o in enumerate(VERDICTS):
            fields[f"parts.{o}"] = int(counts[code, c])
        fields = whole_fields(fields)
        monthly = {"kubernetes": float(k8s[c]),
                   "serverless": float(sls[c]) if on_functions[c] else None,
                   "hybrid": float(hybrid[c])}
        key = (c,) if by_sums else (tuple(counts[:, c]), fields["cost.view"],
                                    fields["cost.kubernetes_runs_cluster"], on_functions[c])
        fired = fired_for.get(key)
        if fired is None:  # experta once per distinct set of conditions (`SharedInference`)
            fired = fired_for[key] = advisor.fire(fields)
        codes[c] = VERDICTS.index(decide(fired, monthly, fields).verdict)  # sums break ties
    runs: Array = np.asarray(((verdicts != SLS) & got["runs_cluster"]).any(axis=0))
    nodes: Array = np.asarray(got["on_nodes"].any(axis=0))
    return (codes, k8s, sls, runs, nodes, ~on_functions, verdicts)


def _part_shares(parts: list[_Part], verdicts: Array) -> list[dict[str, Any]]:
    """Each part's most probable verdict over the draws and the share of draws it holds."""
    out = []
    n = verdicts.shape[1]
    for i, p in enumerate(parts):
        counts = np.bincount(verdicts[i], minlength=len(VERDICTS))
        top = int(np.argmax(counts))
        out.append({"name": p.name, "verdict": VERDICTS[top],
                    "probability": round(float(counts[top]) / n, 4)})
    return out
