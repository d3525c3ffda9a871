"""Flip searches and break-even scans for many components at once, over arrays.

`Advisor.flips` and `cost.estimate`'s break-even walk price one probe at a time: about 90
cost evaluations per component, most of a batch's time. Here every component of a batch
moves through the same steps together: each step's probes, of all components, are priced in
one `cost.vector` pass per provider, their rule conditions evaluated as boolean arrays tier by
tier (`compile.stratify`, as `SharedInference.for_probes` does), and the verdict decided as
`verdict.decide` does. The steps are the scalar ones (the same grid, the same bisections, the
same stopping rules), so the flips and break-evens are the same numbers; tests compare the
two paths on thousands of synthetic components.

Rule conditions that this module cannot evaluate over arrays (set membership on a moving
field, which no shipped rule has), or a graded rule reading a field these arrays do not carry,
make `BatchProbes.supported` false, and the scalar search runs instead. Graded rules get their
points from `compile.ramp_degree` and `compile.graded`, the functions `compile.rule_points`
uses for one component.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from runplan.cost.breakeven import BISECTIONS as BE_BISECTIONS
from runplan.cost.breakeven import GRID, LOW, PRECISION, BreakEven
from runplan.cost.platforms import LIMIT_FLAGS
from runplan.cost.vector import MOVING, Array, Costs, Rows, costs, pyround, rows_of
from runplan.facts import COST_FACTS
from runplan.kbase import KnowledgeBase
from runplan.profile import FIELD_PATHS, OPTIONS, Workload
from runplan.rulebase.compile import graded, is_number, ramp_degree
from runplan.rulebase.shared import SharedInference
from runplan.rulebase.spec import FactGrade
from runplan.verdict import TIE_ORDER

FACTORS = (2, 10, 100)
IDLE_STEPS = (0.1, 0.3, 1.0)
BISECTIONS = 10
# How close a flip found by bisection is to where the verdict changes: within the widest grid
# step (x10 -> x100) halved BISECTIONS times, as a ratio.
FLIP_PRECISION = max(FACTORS[0], *(b / a for a, b in itertools.pairwise(FACTORS))) \
    ** (1 / 2 ** BISECTIONS)
AXES = ("traffic.avg_rps", "traffic.peak_rps", "execution.avg_duration_ms",
        "execution.max_duration_s", "execution.memory_mb", "traffic.idle_fraction",
        "latency.p99_slo_ms")
AXIS_ATTR = {path: attr for attr, path in FIELD_PATHS.items() if path in AXES}
VARYING = frozenset({"traffic.requests_per_month", "traffic.avg_rps", "traffic.peak_rps",
                     "traffic.idle_fraction", "execution.avg_duration_ms",
                     "execution.max_duration_s", "execution.memory_mb", "execution.cpu_ms",
                     "latency.p99_slo_ms", *(f for f in COST_FACTS if f != "cost.view")})
VERDICTS = tuple(sorted(OPTIONS, key=TIE_ORDER.__getitem__))  # index = tie order
ROWS = 8192  # probes priced per numpy pass: enough to amortise numpy's per-call cost
NUMERIC_OPS = {"lt": np.less, "lte": np.less_equal, "gt": np.greater, "gte": np.greater_equal}


@dataclass
class Batch:
    """Workloads as rows (`BatchProbes.base`), with each one's provider."""

    rows: Rows
    providers: list[str]
    provider: Array  # index into providers, per workload


@dataclass
class Field:
    """A field over rows: values (booleans as 0/1), which rows have none, and its type."""

    values: Array
    none: Array
    boolean: bool


def leaf_supported(op: str, expected: Any) -> bool:
    if op in NUMERIC_OPS:
        return is_number(expected)
    if op == "between":
        return isinstance(expected, tuple | list) and len(expected) == 2 and \
            all(is_number(x) for x in expected)
    return op in ("eq", "ne", "exists")


def leaf_outcome(f: Field, op: str, expected: Any) -> Array:
    """`compile.OPS[op](value, expected)` for every row (without the leaf's negation)."""
    some = ~f.none
    if op in NUMERIC_OPS:
        return some & ~f.boolean & NUMERIC_OPS[op](np.where(some, f.values, 0.0), expected) \
            if not f.boolean else np.zeros(len(some), dtype=bool)
    if op == "between":
        if f.boolean:
            return np.zeros(len(some), dtype=bool)
        v = np.where(some, f.values, 0.0)
        inside: Array = some & (expected[0] <= v) & (v <= expected[1])
        return inside
    if op == "exists":
        given: Array = some == bool(expected)
        return given
    same_type = isinstance(expected, bool) == f.boolean and (
        isinstance(expected, bool) or is_number(expected))
    same = some & (f.values == float(expected)) if same_type else np.zeros(len(some), bool)
    return same if op == "eq" else some & ~same


class BatchProbes:
    """The flip search and the break-even scan over arrays, for one Advisor's rule base."""

    def __init__(self, kb: KnowledgeBase, inference: SharedInference, free_tier: bool,
                 view_of: Callable[[Workload], str] | None = None) -> None:
        self.kb, self.free_tier = kb, free_tier
        self.view_of = view_of
        self.hours = kb.operations.hours_per_month
        self.checks = inference._checks
        self.moving_leaves = [(i, key) for key, i in inference._leaf_index.items()
                              if key[0] in VARYING]
        self.rules = inference._stratified
        graded_fields = {f for spec, _ in self.rules for f in spec.fields_graded()}
        self.read = {key[0] for _, key in self.moving_leaves} | graded_fields
        self.supported = all(leaf_supported(op, value) for _, (_, op, value) in
                              self.moving_leaves) and graded_fields <= VARYING

    # -- rows ---------------------------------------------------------------------------------

    def base(self, ws: Sequence[Workload]) -> Batch:
        """The workloads as rows, to be repeated and changed into probes."""
        rows = rows_of(ws, self.kb, None if self.view_of is None else
                       [self.view_of(w) for w in ws])
        names = sorted({w.provider for w in ws})
        return Batch(rows, names, np.array([names.index(w.provider) for w in ws], dtype=int))

    def _price(self, batch: Batch, who: Array, rows: Rows, cold: bool = True,
               ) -> tuple[dict[str, Array], dict[str, Costs]]:
        """Rows priced per provider: (row indices per provider, their costs), each row at its
        price and people factors (`Rows.factors`: `--uncertain`'s draws)."""
        code = batch.provider[who]
        groups: dict[str, Array] = {}
        priced = {}
        for c, name in enumerate(batch.providers):
            index = np.flatnonzero(code == c)
            if len(index):
                groups[name] = index
                priced[name] = costs(rows.take(index), self.kb.provider(name), self.kb,
                                     self.free_tier, cold)
        return groups, priced

    # -- break-even ---------------------------------------------------------------------------

    def _gaps(self, batch: Batch, who: Array, rpm: Array) -> Array:
        """`_gaps_rows` in slices of at most ROWS rows (bounded memory whatever the batch)."""
        return _sliced(lambda s: self._gaps_rows(batch, who[s], rpm[s]), len(who))

    def _gaps_rows(self, batch: Batch, who: Array, rpm: Array) -> Array:
        """`load_scan`'s cost gap (Kubernetes minus serverless) of the load-free form of
        workload `who` (per row) at `rpm` requests a month."""
        h = self.hours
        base = batch.rows.take(who)
        busy = base.requests_per_month > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            base_peak = np.where(busy, base.peak_rps / base.requests_per_month * 1e6,
                                 base.peak_rps)
            base_rpm = np.where(busy, 1e6, base.requests_per_month)
            scale = np.where(base_rpm != 0, rpm / base_rpm, 0.0)
        load = np.maximum(0.0, rpm)
        base.requests_per_month = load
        base.avg_rps = load / (h * 3600)
        base.peak_rps = np.where(base_rpm != 0, base_peak * scale, load / (h * 3600))
        groups, priced = self._price(batch, who, base, cold=False)
        gap = np.zeros(len(who))
        for name, index in groups.items():
            c = priced[name]
            sls = c.serverless_usd if c.serverless_usd is not None else 0.0
            # a nodes bill not priced has no break-even (`estimate`)
            gap[index] = np.where(c.kubernetes_priced, c.kubernetes_usd - sls, np.nan)
        return gap

    def break_evens(self, ws: Sequence[Workload]) -> list[BreakEven | None]:
        """`nearest_crossing(load_scan(w))` for each workload (one with functions)."""
        if not ws:
            return []
        n, g = len(ws), len(GRID)
        grid = np.array(GRID)
        batch = self.base(ws)
        values = self._gaps(batch, np.repeat(np.arange(n), g), np.tile(grid, n)).reshape(n, g)
        pos = values > 0
        change = np.argwhere(pos[:, :-1] != pos[:, 1:])  # (workload, interval)
        found: dict[int, list[tuple[int, float, bool]]] = {}
        if len(change):
            who, idx = change[:, 0], change[:, 1]
            lo, hi = grid[idx], grid[idx + 1]
            flo = values[who, idx]
            active = np.ones(len(who), dtype=bool)
            for _ in range(BE_BISECTIONS):
                at = np.flatnonzero(active)
                if not len(at):
                    break
                mid = np.sqrt(lo[at] * hi[at])
                fm = self._gaps(batch, who[at], mid)
                same = (fm > 0) == (flo[at] > 0)
                lo[at] = np.where(same, mid, lo[at])
                flo[at] = np.where(same, fm, flo[at])
                hi[at] = np.where(same, hi[at], mid)
                active[at] = ~(hi[at] / lo[at] < PRECISION)
            rpm = np.sqrt(lo * hi)
            for k, (w_i, i) in enumerate(zip(who.tolist(), idx.tolist(), strict=True)):
                found.setdefault(w_i, []).append((i, float(rpm[k]), bool(values[w_i, i] > 0)))
        out: list[BreakEven | None] = []
        for w_i, w in enumerate(ws):
            anchor = max(w.requests_per_month, LOW)
            best: tuple[float, int, float, bool] | None = None
            for i, x, below in found.get(w_i, ()):
                cand = (abs(math.log(x / anchor)), i, x, below)
                if best is None or cand[:2] < best[:2]:
                    best = cand
            out.append(None if best is None else
                       BreakEven(best[2], best[2] / (self.hours * 3600), best[3]))
        return out

    # -- verdicts -----------------------------------------------------------------------------

    def _fields(self, rows: Rows, groups: dict[str, Array], priced: dict[str, Costs],
                ) -> dict[str, Field]:
        """Every moving field and cost fact for every row, as `Advisor.fields_for` has it."""
        n = len(rows.cpu_ms)
        no = np.zeros(n, dtype=bool)
        out: dict[str, Field] = {}

        def num(name: str, values: Array) -> None:
            out[name] = Field(values, np.isnan(values), False)

        for attr in MOVING:
            num(FIELD_PATHS[attr], getattr(rows, attr))
        k8s, people, fixed = np.zeros(n), np.zeros(n), np.zeros(n)
        sls = np.full(n, np.nan)
        share, p99, warm = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        breaches = np.zeros(n)
        added = np.full(n, np.nan)
        runs = np.ones(n)
        has_fn = np.zeros(n, dtype=bool)
        conc = rows.peak_rps * rows.avg_duration_ms / 1000
        lim = {k: np.zeros(n) for k in ("function_max_duration_s", "function_memory_max_mb",
                                         *LIMIT_FLAGS)}
        for name, index in groups.items():
            c, p = priced[name], self.kb.provider(name)
            k8s[index], people[index], fixed[index] = \
                np.where(c.kubernetes_priced, c.kubernetes_usd, np.nan), c.people_usd, \
                c.fixed_usd  # NaN: not priced, the fact is None as in `cost_facts`
            runs[index] = c.runs_cluster
            fn = p.functions
            if c.serverless_usd is None or not fn.available:
                continue
            assert c.cold_share is not None and c.cold_p99_ms is not None
            assert c.cold_warm_p99_ms is not None and c.cold_added_ms is not None
            assert c.max_duration_s is not None and c.memory_max_mb is not None
            has_fn[index] = True
            sls[index] = c.serverless_usd
            share[index], p99[index] = c.cold_share, c.cold_p99_ms
            warm[index], added[index] = c.cold_warm_p99_ms, c.cold_added_ms
            breaches[index] = c.breaches_slo
            # the serverless model's platform's (`limits_of`): none (inf) is None
            lim["function_max_duration_s"][index] = np.where(np.isinf(c.max_duration_s), np.nan,
                                                             c.max_duration_s)
            lim["function_memory_max_mb"][index] = np.where(np.isinf(c.memory_max_mb), np.nan,
                                                            c.memory_max_mb)
            for flag in LIMIT_FLAGS:  # the serverless model's (`cost.vector.costs`)
                lim[flag][index] = c.flags[flag]
        none = ~has_fn
        wanted = self.read
        rounded: dict[str, tuple[Callable[[], Array], int]] = {
            "traffic.peak_to_avg": (lambda: rows.peak_rps / rows.avg_rps, 4),
            "cost.kubernetes_usd": (lambda: k8s, 2),
            "cost.serverless_usd": (lambda: sls, 2),
            "cost.people_usd": (lambda: people, 2),
            "cost.fixed_usd": (lambda: fixed, 2),
            "cost.ratio": (lambda: np.where(has_fn & (sls != 0), k8s / sls, np.nan), 4),
            "cost.saving_usd": (lambda: k8s - sls, 2),
            "cold_start.share": (lambda: share, 6),
            "cold_start.p99_ms": (lambda: p99, 1),
            "limits.peak_concurrency": (lambda: conc, 3),
            "traffic.avg_concurrency": (lambda: rows.avg_rps * rows.avg_duration_ms / 1000, 4),
            "cold_start.warm_p99_ms": (lambda: warm, 1),
            "cold_start.p99_to_slo": (lambda: p99 / rows.p99_slo_ms, 4),
            "cold_start.warm_to_slo": (lambda: warm / rows.p99_slo_ms, 4)}
        with np.errstate(divide="ignore", invalid="ignore"):
            for name, (value, digits) in rounded.items():
                if name in wanted:  # only what a rule reads: Python's rounding is not free
                    num(name, pyround(value(), digits))
        if "traffic.peak_to_avg" in out:
            out["traffic.peak_to_avg"].values[rows.avg_rps == 0] = np.nan
            out["traffic.peak_to_avg"].none[rows.avg_rps == 0] = True
        num("cost.break_even_rps", np.full(n, np.nan))
        num("cold_start.added_ms", added)
        out["cost.kubernetes_runs_cluster"] = Field(runs, no, True)
        out["cold_start.breaches_slo"] = Field(breaches, none, True)
        out["limits.functions_available"] = Field(has_fn.astype(float), no, True)
        for name in ("function_max_duration_s", "function_memory_max_mb"):
            num(f"limits.{name}", np.where(has_fn, lim[name], np.nan))
        for name in LIMIT_FLAGS:  # booleans, none where the provider has no functions
            out[f"limits.{name}"] = Field(lim[name], none, True)
        return out

    def verdicts(self, batch: Batch, who: Array, moving: dict[str, Array], fixed: Array,
                 ) -> Array:
        """`_verdicts_rows` in slices of at most ROWS rows."""
        return _sliced(lambda s: self._verdicts_rows(
            batch, who[s], {k: v[s] for k, v in moving.items()}, fixed), len(who))

    def judged(self, batch: Batch, who: Array, moving: dict[str, Array], fixed: Array,
               factors: dict[str, Array] | None = None,
               ) -> tuple[Array, Array, Array, Array]:
        """`verdicts` with each row's Kubernetes and serverless monthly totals (as the verdict
        weighs them: serverless inf where it has no figure) and whether its Kubernetes
        platform is a cluster the team runs (`Costs.runs_cluster`), each row at its price and
        people factors (`Rows.factors`; `--uncertain`, `runplan.uncertainty.sample`).
        `moving` may also set the rows' people lines (`k8s_people_usd`, `sls_people_usd`)."""
        k8s: list[Array] = []
        sls: list[Array] = []
        runs: list[Array] = []
        codes = _sliced(lambda s: self._verdicts_rows(
            batch, who[s], {k: v[s] for k, v in moving.items()}, fixed,
            {k: v[s] for k, v in (factors or {}).items()}, (k8s, sls, runs)), len(who))
        return codes, np.concatenate(k8s), np.concatenate(sls), np.concatenate(runs)

    def _verdicts_rows(self, batch: Batch, who: Array, moving: dict[str, Array], fixed: Array,
                       factors: dict[str, Array] | None = None,
                       keep: tuple[list[Array], list[Array], list[Array]] | None = None,
                       ) -> Array:
        """The verdict (index into VERDICTS) of workload `who` (per row) with the `moving`
        fields changed. `fixed`: each workload's outcomes of every leaf, of which those on
        fields that do not move are read, (workloads, leaves)."""
        rows = batch.rows.take(who)
        for name, values in moving.items():
            setattr(rows, name, values)
        rows.factors = factors or {}
        groups, priced = self._price(batch, who, rows)
        fields = self._fields(rows, groups, priced)
        n = len(who)
        fixed = fixed[who]
        outcome: dict[int, Array] = {}
        for i, (field, op, value) in self.moving_leaves:
            outcome[i] = leaf_outcome(fields[field], op, value)
        facts: dict[str, Array] = {}
        degrees: dict[str, Array] = {}  # each derived fact's degree (`compile.rule_points`)
        zeros = np.zeros(n, dtype=bool)
        scores: dict[str, Array] = {o: np.zeros(n) for o in OPTIONS}
        excluded: dict[str, Array] = {o: zeros.copy() for o in OPTIONS}
        for spec, tree in self.rules:
            fired = _holds(tree, outcome, fixed, facts, zeros)
            if not fired.any():
                continue
            degree: Array | None = None
            if spec.grade:
                degree = np.ones(n)
                for term in spec.grade:
                    if isinstance(term, FactGrade):
                        degree = degree * degrees.get(term.fact, np.zeros(n))
                    else:
                        read = fields[term.field]
                        degree = degree * ramp_degree(np.where(read.none, np.nan, read.values),
                                                      term)
            for f in spec.asserts:
                facts[f] = facts.get(f, zeros) | fired
                got = np.where(fired, 1.0 if degree is None else degree, 0.0)
                degrees[f] = np.maximum(degrees[f], got) if f in degrees else got
            for option, points in spec.score:
                given = points if degree is None else graded(points, degree)
                scores[option] = scores[option] + np.where(fired, given, 0.0)
            for option in spec.exclude:
                excluded[option] = excluded[option] | fired
        k8s_total = np.zeros(n)
        sls_total = np.full(n, np.inf)
        runs = np.ones(n, dtype=bool)
        for name, index in groups.items():
            c = priced[name]
            k8s_total[index] = c.kubernetes_usd
            runs[index] = c.runs_cluster
            if c.serverless_usd is not None:  # NaN: not priced, as `decide`'s None
                sls_total[index] = np.where(np.isnan(c.serverless_usd), np.inf,
                                            c.serverless_usd)
        if keep is not None:
            keep[0].append(k8s_total)
            keep[1].append(sls_total)
            keep[2].append(runs)
        cost = {"serverless": sls_total, "kubernetes": k8s_total, "hybrid": np.full(n, np.inf)}
        feasible = {o: ~excluded[o] & ((scores[o] > 0) if o == "hybrid" else ~zeros)
                    for o in OPTIONS}
        anyone = np.logical_or.reduce([feasible[o] for o in OPTIONS])
        best = np.full(n, -1)
        best_score = np.full(n, -np.inf)
        best_cost = np.full(n, np.inf)
        for code, o in enumerate(VERDICTS):  # tie order: the first of equals stays
            allowed = np.where(anyone, feasible[o], True)
            better = allowed & ((best < 0) | (scores[o] > best_score) |
                                ((scores[o] == best_score) & (cost[o] < best_cost)))
            best = np.where(better, code, best)
            best_score = np.where(better, scores[o], best_score)
            best_cost = np.where(better, cost[o], best_cost)
        out: Array = best
        return out


def _holds(node: Any, outcome: dict[int, Array], fixed: Array, facts: dict[str, Array],
           zeros: Array) -> Array:
    """Where a compiled condition holds, per row: moving leaves from `outcome`, the others
    from `fixed`, derived facts from `facts`. (A module function, not a closure: a recursive
    closure is a reference cycle that keeps its arrays alive until the cyclic GC runs.)"""
    tag = node[0]
    out: Array
    if tag == "leaf":
        got = outcome[node[1]] if node[1] in outcome else fixed[:, node[1]]
        out = got != node[2]
    elif tag == "fact":
        out = facts.get(node[1], zeros) != node[2]
    else:
        parts = [_holds(item, outcome, fixed, facts, zeros) for item in node[1]]
        if tag == "all":
            out = np.logical_and.reduce(parts) if parts else ~zeros
        else:
            out = np.logical_or.reduce(parts) if parts else zeros
    return out


def _sliced(fn: Callable[[slice], Array], n: int) -> Array:
    """`fn` over consecutive slices of `n` rows, ROWS at a time, joined."""
    if n <= ROWS:
        return fn(slice(0, n))
    return np.concatenate([fn(slice(i, min(n, i + ROWS))) for i in range(0, n, ROWS)])


def flip_candidates(probes: BatchProbes, ws: Sequence[Workload], current: Sequence[str],
                    outcomes: Sequence[Sequence[bool]],
                    ) -> list[dict[str, list[tuple[float, str]]]]:
    """For each workload, per axis, the flips found going up and going down (each: the
    bisection's last value on the far side, unrounded, and the verdict there), found by the
    steps `Advisor.flips` takes one probe at a time: the grid outward from the value (a
    value equal to the last one skipped), the first grid point with another verdict, then
    `BISECTIONS` halvings (geometric; arithmetic for the idle share). `outcomes`: each
    workload's outcome of every field condition (`SharedInference.outcomes`), of which those
    on fields that do not move are read; the moving ones are evaluated per probe."""
    n = len(ws)
    batch = probes.base(ws)
    fixed = np.array(outcomes, dtype=bool).reshape(n, len(probes.checks))
    code = np.array([VERDICTS.index(c) for c in current], dtype=int)
    who_l, axis_l, value_l = [], [], []
    for j, w in enumerate(ws):
        for a, name in enumerate(AXES):
            value = getattr(w, AXIS_ATTR[name])
            if value is None or (value <= 0 and name != "traffic.idle_fraction"):
                continue
            who_l += [j, j]
            axis_l += [a, a]
            value_l += [value, value]
    if not who_l:
        return [{} for _ in ws]
    who, axis, value = np.array(who_l), np.array(axis_l), np.array(value_l, dtype=float)
    up = np.arange(len(who)) % 2 == 0  # each axis: up, then down
    idle = axis == AXES.index("traffic.idle_fraction")
    grid = np.empty((len(who), 3))
    for k, (f, d) in enumerate(zip(FACTORS, IDLE_STEPS, strict=True)):
        grid[:, k] = np.where(idle, np.where(up, np.minimum(1.0, value + d),
                                             np.maximum(0.0, value - d)),
                              np.where(up, value * f, value / f))
    previous = np.column_stack([value, grid[:, :2]])
    fresh = grid != previous  # the scalar walk skips a point equal to the last one
    rows, cols = np.nonzero(fresh)
    verdict = np.full(grid.shape, -1)
    verdict[rows, cols] = _verdicts_at(probes, batch, fixed, who[rows], axis[rows],
                                       grid[rows, cols])
    other = fresh & (verdict != code[who][:, None])
    found = other.any(axis=1)
    first = np.argmax(other, axis=1)
    # The last point with the current verdict before the first other one: the value itself
    # or the previous fresh grid point (equal to it when skipped).
    s = np.flatnonzero(found)
    lo = previous[s, first[s]]
    hi = grid[s, first[s]]
    hi_verdict = verdict[s, first[s]]
    s_who, s_axis, s_idle = who[s], axis[s], idle[s]
    for _ in range(BISECTIONS):
        if not len(s):
            break
        mid = np.where(s_idle, (lo + hi) / 2, np.sqrt(lo * hi))
        at = _verdicts_at(probes, batch, fixed, s_who, s_axis, mid)
        keep = at == code[s_who]
        lo = np.where(keep, mid, lo)
        hi = np.where(keep, hi, mid)
        hi_verdict = np.where(keep, hi_verdict, at)
    out: list[dict[str, list[tuple[float, str]]]] = [{} for _ in ws]
    for j, a, x, v in zip(s_who.tolist(), s_axis.tolist(), hi.tolist(), hi_verdict.tolist(),
                          strict=True):
        out[j].setdefault(AXES[a], []).append((x, VERDICTS[v]))
    return out


def _verdicts_at(probes: BatchProbes, batch: Batch, fixed: Array, who: Array, axis: Array,
                 v: Array) -> Array:
    """The verdict of each probe (workload, axis index, value), the axis moved as
    `Advisor.flips` moves it (a load keeps its shape; a duration moves CPU time with it)."""
    if not len(who):
        return np.zeros(0, dtype=int)
    base = batch.rows.take(who)
    moving = {n: getattr(base, n).copy() for n in MOVING}
    h = probes.hours

    def on(name: str) -> Array:
        mask: Array = axis == AXES.index(name)
        return mask

    m = on("traffic.avg_rps")
    if m.any():
        rpm_new = v[m] * h * 3600
        w_rpm = base.requests_per_month[m]
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(w_rpm != 0, rpm_new / w_rpm, 0.0)
        rpm = np.maximum(0.0, rpm_new)
        moving["requests_per_month"][m] = rpm
        moving["avg_rps"][m] = rpm / (h * 3600)
        moving["peak_rps"][m] = np.where(w_rpm != 0, base.peak_rps[m] * scale, rpm / (h * 3600))
    m = on("traffic.peak_rps")
    moving["peak_rps"][m] = np.maximum(v[m], base.avg_rps[m])
    m = on("execution.avg_duration_ms")
    if m.any():
        moving["avg_duration_ms"][m] = v[m]
        moving["cpu_ms"][m] = base.cpu_ms[m] * v[m] / base.avg_duration_ms[m]
        moving["max_duration_s"][m] = np.maximum(base.max_duration_s[m], v[m] / 1000)
    m = on("execution.max_duration_s")
    moving["max_duration_s"][m] = np.maximum(v[m], base.avg_duration_ms[m] / 1000)
    m = on("execution.memory_mb")
    moving["memory_mb"][m] = v[m]
    m = on("traffic.idle_fraction")
    moving["idle_fraction"][m] = np.minimum(1.0, np.maximum(0.0, v[m]))
    m = on("latency.p99_slo_ms")
    moving["p99_slo_ms"][m] = v[m]
    return probes.verdicts(batch, who, moving, fixed)
