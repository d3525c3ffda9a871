"""One component from profile to explained verdict: resolve, cost, infer, decide, flips.

The data flows one way: Component -> Workload (+ assumptions) -> CostReport -> rule fields ->
fired rules -> Verdict -> Result. Every number in a Result is an input, a kbase figure or
computed from them by the cost core.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from runplan.cost.estimate import (
    CostReport,
    CrossingCache,
    default_view,
    draft,
    estimate,
    finish,
    probe_facts,
)
from runplan.cost.platforms import (
    PlatformCost,
    broken_limits,
    cheapest,
    platform_costs,
    workload_limit,
)
from runplan.cost.serverless import LineItem, add_up
from runplan.errors import Problem, UserError
from runplan.fmt import num, usd, whole
from runplan.kbase import KnowledgeBase
from runplan.probes import (
    AXES,
    AXIS_ATTR,
    BISECTIONS,
    FACTORS,
    FLIP_PRECISION,
    IDLE_STEPS,
    VARYING,
    BatchProbes,
    flip_candidates,
)
from runplan.profile import (
    Assumption,
    Component,
    Part,
    Workload,
    resolve,
    with_load,
)
from runplan.rulebase.compile import render
from runplan.rulebase.engine import Engine
from runplan.rulebase.load import RuleBase
from runplan.rulebase.shared import SharedInference
from runplan.rulebase.spec import RuleSpec
from runplan.verdict import Verdict, assumed_confidence, decide

FLIPS_KEPT = 2_000  # flip searches remembered for workloads that differ only in name


# A value, never changed once made; not frozen because a frozen dataclass's __init__ costs
# 5-8x a plain one, and a batch makes thousands of these a second.
@dataclass(slots=True)
class Reason:
    rule: str
    title: str
    effect: str
    message: str
    source: str
    facts: dict[str, Any]
    derived: tuple[str, ...]
    asserts: tuple[str, ...]
    score: tuple[tuple[str, float], ...] = ()
    exclude: tuple[str, ...] = ()

    def support(self, verdict: str) -> float:
        """How strongly this reason argues for `verdict`: its points for it, plus more for each
        other option it excludes (a hard constraint outweighs any score)."""
        excluding_others = sum(100.0 for option in self.exclude if option != verdict)
        return excluding_others + sum(p for o, p in self.score if o == verdict and p > 0)


# The flip search probes each input at these multiples (or, for the idle share, steps) each
# way, nearest first; the first probe with another verdict is refined by bisection to about
# 0.2% (a factor of 10 halved 10 times: 10^(1/1024)).


@dataclass(frozen=True)
class Flip:
    field: str
    to: float
    verdict: str
    current: float
    limit: str = ""  # the hard limit the flip sits at, e.g. "the memory limit of AWS Lambda"
    assumed: bool = False  # the current value is runplan's default, not the profile's

    def short(self) -> str:
        """`serverless at 0.3 idle share (now 0.25, assumed)`."""
        limit = f"{self.limit}; " if self.limit else ""
        now = f"now {num(self.current)}{', assumed' if self.assumed else ''}"
        return f"{self.verdict} at {num(self.to)} {_label(self.field)} ({limit}{now})"

    def sentence(self, verdict: str) -> str:
        rise = self.to > self.current
        where = (f"until {num(self.to)} {_label(self.field)}, {self.limit}" if self.limit
                 else f"until about {num(self.to)} {_label(self.field)}")
        now = f"now {num(self.current)}{', assumed: not given' if self.assumed else ''}"
        return (f"{verdict} {where} ({'above' if rise else 'below'} that: {self.verdict}; "
                f"{now})")


def _label(field_path: str) -> str:
    return {"traffic.avg_rps": "rps average", "traffic.peak_rps": "rps at peak",
            "execution.avg_duration_ms": "ms average duration",
            "execution.max_duration_s": "s longest run", "execution.memory_mb": "MB memory",
            "traffic.idle_fraction": "idle share", "latency.p99_slo_ms": "ms p99 SLO",
            }.get(field_path, field_path)


@dataclass(slots=True)  # a value, not frozen: see runplan.advise.Reason
class Result:
    name: str
    provider: str
    workload: Workload
    verdict: Verdict
    costs: CostReport
    reasons: tuple[Reason, ...]
    assumptions: tuple[Assumption, ...]
    derived_facts: tuple[str, ...]
    inputs: dict[str, Any]
    flips: tuple[Flip, ...] = ()
    parts: tuple[Result, ...] = ()
    overridden: tuple[str, ...] = field(default_factory=tuple)
    against_cost: str = ""  # where the verdict is the dearer option: what outweighs the cost
    platforms: tuple[PlatformCost, ...] = ()  # every platform of the provider, kbase order
    platform: PlatformCost | None = None  # the verdict's model on its cheapest feasible one
    parts_usd: float | None = None  # with parts: their sum, each on its verdict (`parts_usd`)
    # --uncertain: the verdict at the point values where the draws' verdict is another one
    # (`uncertainty.report.with_probability`); the flips are where that one changes.
    point_verdict: str | None = None

    @property
    def flips_from(self) -> str:
        """The verdict the flips lead away from: the one at the profile's values."""
        return self.point_verdict or self.verdict.verdict


@dataclass
class Advisor:
    """Holds the knowledge base, the rule base and the one reusable engine."""

    kb: KnowledgeBase
    rulebase: RuleBase
    free_tier: bool = False
    shared: bool = True  # share inference between identical condition outcomes (rulebase.shared)
    # The providers on which the estate has a cluster anyway (`score`'s joint decision): a
    # component there is priced at marginal cost. None: each component on its own, marginal
    # when its team has a cluster (`team.existing_cluster`), standalone otherwise.
    clusters: frozenset[str] | None = None

    def __post_init__(self) -> None:
        self.engine = Engine(self.rulebase)
        self.inference = SharedInference(self.engine)
        self.crossings: CrossingCache | None = {} if self.shared else None
        self._flips: dict[FlipKey, tuple[Flip, ...]] = {}
        self._spec_parts: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {}
        self.probes = BatchProbes(self.kb, self.inference, self.free_tier, self.view_of) \
            if self.shared else None

    def view_of(self, w: Workload) -> str:
        """The view the workload's Kubernetes bill is priced in (see `clusters`)."""
        if self.clusters is not None and self.kb.provider(w.provider).provider in self.clusters:
            return "marginal"
        return default_view(w)

    def fire(self, fields: dict[str, Any]) -> Sequence[RuleSpec]:
        """The rules that fire for these fields, in firing order."""
        return self.inference.run(fields) if self.shared else self.engine.run(fields)

    # -- one workload -----------------------------------------------------------------------

    def fields_for(self, w: Workload, cost_facts: dict[str, Any], parts: dict[str, Any],
                   ) -> dict[str, Any]:
        out = w.fields()
        out.update(cost_facts)
        out["traffic.peak_to_avg"] = round(w.peak_rps / w.avg_rps, 4) if w.avg_rps else None
        out["traffic.avg_concurrency"] = round(w.avg_rps * w.avg_duration_ms / 1000, 4)
        out.update(parts)
        return out

    def infer(self, w: Workload, parts: dict[str, Any], break_even: bool = True,
              view: str | None = None,
              ) -> tuple[CostReport, dict[str, Any], Sequence[RuleSpec], Verdict]:
        costs = estimate(w, self.kb, self.free_tier, with_break_even=break_even,
                         cache=self.crossings, view=view or self.view_of(w))
        return self._infer(w, costs, parts)

    def _infer(self, w: Workload, costs: CostReport, parts: dict[str, Any],
               ) -> tuple[CostReport, dict[str, Any], Sequence[RuleSpec], Verdict]:
        fields = self.fields_for(w, costs.facts(), parts)
        fired = self.fire(fields)
        monthly = {"kubernetes": costs.kubernetes.monthly_usd,
                   "serverless": costs.serverless.monthly_usd if costs.serverless else None}
        return costs, fields, fired, decide(fired, monthly, fields)

    def verdict_only(self, w: Workload, parts: dict[str, Any],
                     fired_set: Callable[[dict[str, Any]], Sequence[RuleSpec]] | None,
                     ) -> str:
        """The verdict alone (the flip search's probes): from `fired_set`
        (`SharedInference.for_probes`) on the fast path; from experta on the plain path."""
        if fired_set is None:
            return self.infer(w, parts, break_even=False)[3].verdict
        facts, monthly = probe_facts(w, self.kb, self.free_tier, self.view_of(w))
        fields = self.fields_for(w, facts, parts)
        return decide(fired_set(fields), monthly, fields).verdict

    # -- a component ------------------------------------------------------------------------

    def advise(self, component: Component, file: str = "", flips: bool = True) -> Result:
        """The verdict for a component; its parts first, since their verdicts are facts."""
        if not component.parts:
            return self._result(component, None, file, flips)
        part_results = tuple(self._result(p, component, file, flips=False)
                             for p in component.parts)
        return self._whole(component, file, self._share_cluster(component, file, part_results))

    def _share_cluster(self, component: Component, file: str, results: tuple[Result, ...],
                       ) -> tuple[Result, ...]:
        """The parts of a component share one cluster, as `score`'s estate does: where a part
        runs on Kubernetes on a new cluster of nodes (standalone, paying the control plane and
        the people who run it), the component's other parts on that provider join that
        cluster (marginal) and are judged again at that price. The first such part carries
        the cluster (`cluster_anchor`), so the component still costs the sum of its parts."""
        standalone = [r.costs.view == "standalone" for r in results]
        anchor = int(cluster_anchor(np.array(
            [[s and r.verdict.verdict != "serverless" and self._on_nodes(r)]
             for s, r in zip(standalone, results, strict=True)], dtype=bool))[0])
        if anchor < 0:
            return results
        providers = [self.kb.provider(r.workload.provider).provider for r in results]
        joins = joins_cluster(np.array([anchor]), np.array(standalone),
                              np.array(providers, dtype=object))[:, 0]
        return tuple(self._result(part, component, file, flips=False, view="marginal")
                     if join else r
                     for part, r, join in zip(component.parts, results, joins, strict=True))

    def part_result(self, component: Component, i: int, view: str) -> Result:
        """Part i of `component` judged with its Kubernetes bill in `view` (`_share_cluster`
        judges a part that joins another's cluster so; `--uncertain` judges each part both
        ways)."""
        return self._result(component.parts[i], component, "", flips=False, view=view)

    def _on_nodes(self, r: Result) -> bool:
        """The Kubernetes model's platform is nodes the team runs (a cluster to share)."""
        p = self.kb.provider(r.workload.provider)
        return any(pl.name == r.costs.kubernetes.platform and pl.bill == "nodes"
                   for pl in p.platforms)

    def _whole(self, component: Component, file: str, part_results: tuple[Result, ...],
               ) -> Result:
        """A component with parts: the sum of its parts. Its costs are the parts' bills
        added up (`parts_costs`), its rules read the parts' facts, those sums (not their
        ratio: `PARENT_UNCOMPARED`) and the team, constraints and architecture the parts
        inherit; it has no traffic, execution or latency of its own (`PARENT_ABSENT`: None),
        so no rule fires on figures that only runplan's defaults would give it. No flips
        (each part's inputs are its own) and no platforms (each part has its own)."""
        w, assumed = resolve(component, self.kb, file=file)
        parts = parts_facts(part_results)
        costs = parts_costs(part_results)
        fields = whole_fields(self.fields_for(w, costs.facts(), parts))
        fired = self.fire(fields)
        monthly = {"kubernetes": costs.kubernetes.monthly_usd,
                   "serverless": costs.serverless.monthly_usd if costs.serverless else None,
                   "hybrid": parts_usd(part_results)}
        own = [a for a in assumed if not a.field.startswith(PARENT_ABSENT)]
        return self._assemble(w, own, parts, (costs, fields, fired, decide(fired, monthly, fields)),
                              part_results, (), options=())

    def _result(self, part: Part, parent: Component | None, file: str, flips: bool,
                part_results: tuple[Result, ...] = (), view: str | None = None) -> Result:
        """`view`: the Kubernetes bill's, where not `view_of`'s (a part joining the cluster
        another part stands up: `_share_cluster`)."""
        w, assumed = resolve(part, self.kb, parent=parent, file=file)
        parts = parts_facts(part_results)
        inferred = self.infer(w, parts, view=view)
        check_finite(inferred[0], self.kb.overridden, file)
        return self._assemble(w, assumed, parts, inferred, part_results,
                              self.shared_flips(w, parts, inferred[3].verdict) if flips else ())

    def _assemble(self, w: Workload, assumed: list[Assumption], parts: dict[str, Any],
                  inferred: tuple[CostReport, dict[str, Any], Sequence[RuleSpec], Verdict],
                  part_results: tuple[Result, ...], flips: tuple[Flip, ...],
                  options: tuple[PlatformCost, ...] | None = None) -> Result:
        """The Result; `options`: the platforms, where priced already with others'."""
        costs, fields, fired, verdict = inferred
        if options is None:
            options = costs.platforms
        if flips and assumed:
            given_up = {a.field for a in assumed}
            flips = tuple(Flip(f.field, f.to, f.verdict, f.current, f.limit, True)
                          if _assumed(f.field, given_up) else f for f in flips)
            distances = [(_distance(f, f.current), f.field == "traffic.idle_fraction")
                         for f in flips if f.assumed]
            if distances:
                verdict = replace(verdict, confidence=assumed_confidence(verdict.confidence,
                                                                         distances))
        given_up = {a.field for a in assumed}
        reasons = tuple(self._reason(spec, fields, given, given_up)
                        for spec, given in zip(fired, verdict.points, strict=True))
        return Result(
            name=w.name, provider=costs.provider, workload=w, verdict=verdict, costs=costs,
            reasons=reasons, against_cost=against_cost(verdict, costs, reasons),
            assumptions=tuple(assumed),
            derived_facts=tuple(f for spec in fired for f in spec.asserts), inputs=fields,
            flips=flips, parts=part_results, overridden=self.kb.overridden,
            platforms=options, platform=cheapest(options, verdict.verdict),
            parts_usd=parts_usd(part_results) if part_results else None)

    def _reason(self, spec: RuleSpec, fields: dict[str, Any],
                points: tuple[tuple[str, float], ...], assumed: set[str]) -> Reason:
        """A fired rule with its message filled from this component's figures (`points`: what
        it gave; a graded rule's effect is its points here); a figure on an assumed input is
        marked so (`assumed`: the fields nobody gave)."""
        parts = self._spec_parts.get(spec.id)
        if parts is None:  # what depends on the rule alone, worked out once per rule
            parts = self._spec_parts[spec.id] = (
                spec.effect(), tuple(dict.fromkeys((*spec.fields_read(), *spec.fields_graded()))),
                spec.facts_needed())
        effect, fields_read, facts_read = parts
        if spec.grade:
            effect = spec.effect(points)
        facts = {f: fields.get(f) for f in fields_read}
        return Reason(spec.id, spec.title, effect,
                      render(spec.message, fields,
                             (lambda name: _assumed(name, assumed)) if assumed else None),
                      spec.source,
                      facts, facts_read, spec.asserts, points, spec.exclude)

    # -- many components --------------------------------------------------------------------

    def advise_many(self, items: Sequence[tuple[Component, str]], flips: bool = True,
                    resolved: Sequence[tuple[Workload, list[Assumption]] | None] | None = None,
                    break_evens: bool = True) -> list[Result]:
        """`advise` for each (component, file), the same Results, with the break-even scans
        and flip searches of the components without parts done together over arrays
        (`runplan.probes`); on the plain path, or for rules those arrays cannot evaluate,
        one by one. `resolved`: each component's own workload where already resolved (by
        `check_component`)."""
        probes = self.probes
        if probes is None or not probes.supported:
            return [self.advise(c, file=f, flips=flips) for c, f in items]
        out: list[Result | None] = [None] * len(items)
        todo: list[tuple[int, Workload, list[Assumption]]] = []
        for k, (c, f) in enumerate(items):
            if c.parts:
                out[k] = self.advise(c, file=f, flips=flips)
            else:
                known = resolved[k] if resolved is not None else None
                w, assumed = known if known is not None else resolve(c, self.kb, file=f)
                todo.append((k, w, assumed))
        with_fn = [t for t in todo if self.kb.provider(t[1].provider).functions.available
                   and break_evens]
        found = dict(zip([t[0] for t in with_fn], probes.break_evens([t[1] for t in with_fn]),
                         strict=True))
        parts = parts_facts(())
        inferred = {}
        outcomes = {}  # each component's field-condition outcomes, which the flips reuse
        drafts = [draft(w, self.view_of(w)) for _, w, _ in todo]
        options = platform_costs([d.billed() for d in drafts], self.kb, self.free_tier)
        for (k, w, _), d, on in zip(todo, drafts, options, strict=True):
            costs = finish(d, on, self.kb, self.free_tier, with_break_even=False)
            if k in found:
                costs = replace(costs, break_even=found[k])
            inferred[k] = self._infer(w, costs, parts)
            check_finite(costs, self.kb.overridden, items[k][1])
            outcomes[k] = self.inference.outcomes
        flip_of: dict[int, tuple[Flip, ...]] = {}
        if flips:
            pending: dict[FlipKey, list[int]] = {}
            for k, w, _ in todo:
                key = _flip_key(w, parts, inferred[k][3].verdict)
                if key in self._flips:
                    flip_of[k] = self._flips[key]
                else:
                    pending.setdefault(key, []).append(k)
            keys = list(pending)
            ws = [key[0] for key in keys]
            found_flips = flip_candidates(probes, ws, [key[2] for key in keys],
                                          [outcomes[pending[key][0]] for key in keys])
            for key, w, axes in zip(keys, ws, found_flips, strict=True):
                chosen = self._keep_flips(key, tuple(self._choose(w, axes)))
                for k in pending[key]:
                    flip_of[k] = chosen
        for k, w, assumed in todo:
            out[k] = self._assemble(w, assumed, parts, inferred[k], (), flip_of.get(k, ()))
        return [r for r in out if r is not None]

    def _choose(self, w: Workload, axes: dict[str, list[tuple[float, str]]]) -> list[Flip]:
        """`flips`'s choice from each axis's candidates: up first, down only if nearer."""
        out = []
        for name in AXES:
            if name not in axes:
                continue
            value = getattr(w, AXIS_ATTR[name])
            best: Flip | None = None
            for hi, verdict in axes[name]:
                candidate = self._flip(w, name, hi, verdict, value)
                if best is None or _distance(candidate, value) < _distance(best, value):
                    best = candidate
            if best is not None:
                out.append(best)
        return out

    # -- flips ------------------------------------------------------------------------------

    def shared_flips(self, w: Workload, parts: dict[str, Any], current: str) -> tuple[Flip, ...]:
        """`flips`, computed once for workloads that differ only in name (common in an estate
        built from templates); a pure function of the key, so sharing changes no byte."""
        if not self.shared:
            return tuple(self.flips(w, parts, current))
        key = _flip_key(w, parts, current)
        found = self._flips.get(key)
        if found is None:
            found = self._keep_flips(key, tuple(self.flips(w, parts, current)))
        return found

    def _keep_flips(self, key: FlipKey, flips: tuple[Flip, ...]) -> tuple[Flip, ...]:
        if len(self._flips) >= FLIPS_KEPT:  # bounded memory on any estate
            self._flips.clear()
        self._flips[key] = flips
        return flips

    def flips(self, w: Workload, parts: dict[str, Any], current: str) -> list[Flip]:
        """For each numeric input that matters, the nearest value at which the verdict changes."""
        hours = self.kb.operations.hours_per_month
        axes: list[tuple[str, float, Any]] = [
            ("traffic.avg_rps", w.avg_rps, lambda v: with_load(w, v * hours * 3600, hours)),
            ("traffic.peak_rps", w.peak_rps,
             lambda v: w.but(peak_rps=max(v, w.avg_rps))),
            ("execution.avg_duration_ms", w.avg_duration_ms,
             lambda v: w.but(avg_duration_ms=v, cpu_ms=w.cpu_ms * v / w.avg_duration_ms,
                               max_duration_s=max(w.max_duration_s, v / 1000))),
            ("execution.max_duration_s", w.max_duration_s,
             lambda v: w.but(max_duration_s=max(v, w.avg_duration_ms / 1000))),
            ("execution.memory_mb", w.memory_mb, lambda v: w.but(memory_mb=v)),
            ("traffic.idle_fraction", w.idle_fraction,
             lambda v: w.but(idle_fraction=min(1.0, max(0.0, v)))),
        ]
        if w.p99_slo_ms is not None:
            axes.append(("latency.p99_slo_ms", w.p99_slo_ms,
                         lambda v: w.but(p99_slo_ms=v)))
        # Probes differ from w only in the VARYING fields and the facts computed from them.
        # The view does not move with a probe: a fixed field, like the profile's own.
        fixed = {**w.fields(), **parts, "cost.view": self.view_of(w)}
        fired_set = self.inference.for_probes(fixed, VARYING) \
            if self.shared else None
        out: list[Flip] = []
        for name, value, make in axes:
            if value <= 0 and name != "traffic.idle_fraction":
                continue
            flip = self._nearest_flip(w, name, value, make, parts, current, fired_set)
            if flip is not None:
                out.append(flip)
        return out

    def _flip(self, w: Workload, name: str, far: float, verdict: str, value: float) -> Flip:
        """A flip from the bisection's value on the far side (either search path), snapped to
        the hard limit it sits at when within the bisection's precision of one, and never
        outside what a profile may give (a longest run below the average duration, a peak
        below the average load: the probe there is the same as at that bound)."""
        to, limit = _round(far), ""
        rise = far > value
        window = FLIP_PRECISION * (1 + 1e-9)  # the last halving's rounding error
        for figure, what in self._hard_limits(w, name):
            if (figure < far <= figure * window) if rise else (figure / window <= far <= figure):
                to, limit = float(figure), what
                break
        floor = {"traffic.peak_rps": w.avg_rps,
                 "execution.max_duration_s": w.avg_duration_ms / 1000}.get(name)
        if floor is not None and to < floor:
            to = floor
        return Flip(name, to, verdict, value, limit)

    def _hard_limits(self, w: Workload, name: str) -> list[tuple[float, str]]:
        """The limits an axis can cross of the serverless platforms the workload fits now, in
        the axis's unit, each with its name ("the time limit of Cloud Run services
        (request-based billing)"; platforms that share a figure named together), current
        platforms before legacy ones, in kbase order."""
        p = self.kb.provider(w.provider)
        if not p.functions.available:
            return []
        named: dict[float, list[str]] = {}
        what = "memory" if name == "execution.memory_mb" else "time"
        for pl in sorted((pl for pl in p.platforms if pl.model == "serverless"),
                         key=lambda pl: pl.status == "legacy"):
            if broken_limits(pl.limits, w):
                continue  # ruled out already: crossing its limits changes nothing
            max_s = workload_limit(pl.limits, w)
            figure = {"execution.memory_mb": pl.limits.memory_max_mb,
                      "execution.max_duration_s": max_s,
                      "execution.avg_duration_ms": None if max_s is None else max_s * 1000,
                      }.get(name)
            if figure:
                named.setdefault(float(figure), []).append(pl.title)
        return [(figure, f"the {what} limit of {' and '.join(titles)}")
                for figure, titles in named.items()]

    def _nearest_flip(self, w: Workload, name: str, value: float, make: Any,
                      parts: dict[str, Any], current: str, fired_set: Any) -> Flip | None:
        def verdict_at(v: float) -> str:
            return self.verdict_only(make(v), parts, fired_set)

        best: Flip | None = None
        if name == "traffic.idle_fraction":
            ups = [min(1.0, value + d) for d in IDLE_STEPS]
            downs = [max(0.0, value - d) for d in IDLE_STEPS]
        else:
            ups = [value * f for f in FACTORS]
            downs = [value / f for f in FACTORS]
        for grid in (ups, downs):
            last = value
            for v in dict.fromkeys(grid):
                if v == last:
                    continue
                other = verdict_at(v)
                if other != current:
                    lo, hi = last, v  # verdict is `current` at lo, `other` at hi
                    for _ in range(BISECTIONS):
                        mid = (lo + hi) / 2 if name == "traffic.idle_fraction" \
                            else math.sqrt(lo * hi)
                        if verdict_at(mid) == current:
                            lo = mid
                        else:
                            hi = mid
                    candidate = self._flip(w, name, hi, verdict_at(hi), value)
                    if best is None or _distance(candidate, value) < _distance(best, value):
                        best = candidate
                    break
                last = v
        return best


FlipKey = tuple[Workload, tuple[tuple[str, Any], ...], str]

# The inputs a flip's axis stands on: average rps comes from the monthly volume when only that
# is given (so an assumed volume makes the rps assumed); a peak or a longest run not given is
# derived from the average, itself perhaps assumed.
_STANDS_ON = {"traffic.avg_rps": ("traffic.avg_rps", "traffic.requests_per_month"),
              "traffic.peak_rps": ("traffic.peak_rps",),
              # a ratio of the peak to the average: assumed when the peak is
              "traffic.peak_to_avg": ("traffic.peak_rps",),
              "execution.max_duration_s": ("execution.max_duration_s",)}


def _assumed(field_path: str, assumed: set[str]) -> bool:
    return any(f in assumed for f in _STANDS_ON.get(field_path, (field_path,)))


# Above this a monthly figure is a mistyped override or profile, not an estimate: a thousand
# times the largest cloud bill there is; and sums over an estate stay finite below it.
MAX_MONTHLY_USD = 1e15


def check_finite(costs: CostReport, overridden: tuple[str, ...], file: str) -> None:
    """Refuse an estimate that no output could show: a cost that overflowed to infinity or
    NaN (a huge --pricing override), or a monthly cost beyond MAX_MONTHLY_USD. The message
    names the overrides in force, or else the profile."""
    figures: list[tuple[str, str, float, bool]] = []  # field, what, value, a monthly cost
    for model, bill in (("kubernetes", costs.kubernetes), ("serverless", costs.serverless)):
        if bill is not None:
            figures += [(f"costs.{model}", f"the {i.name} cost", i.monthly_usd, True)
                        for i in bill.items]
            figures.append((f"costs.{model}", "the monthly cost", bill.monthly_usd, True))
    if costs.break_even is not None:
        figures.append(("costs.break_even", "the break-even", costs.break_even.requests_per_month,
                        False))
    if costs.cold_start is not None:
        figures += [("cold_start", "the cold-start share", costs.cold_start.share_of_requests,
                     False),
                    ("cold_start", "the p99 estimate", costs.cold_start.p99_estimate_ms, False)]
    for where, what, x, monthly in figures:
        if not math.isfinite(x):
            problem = f"{what} is not a finite number"
        elif monthly and abs(x) > MAX_MONTHLY_USD:
            problem = f"{what} is above {whole(MAX_MONTHLY_USD)} a month"
        else:
            continue
        cause = ("the --pricing overrides in force: " + ", ".join(overridden)) if overridden \
            else "the profile's figures (load, duration, memory)"
        raise UserError(Problem(file, None, where, f"{problem}; check {cause}"))


def _flip_key(w: Workload, parts: dict[str, Any], current: str) -> FlipKey:
    """Flips depend on everything but the name: the key they are shared under."""
    return (w.but(name=""), tuple(sorted(parts.items())), current)


def _round(x: float) -> float:
    if x == 0:
        return 0.0
    digits = 3 - math.floor(math.log10(abs(x)))
    return round(x, max(0, digits))


def _distance(f: Flip, value: float) -> float:
    if f.field == "traffic.idle_fraction" or value == 0:
        return abs(f.to - value)
    return abs(math.log(max(f.to, 1e-12) / value))


def against_cost(v: Verdict, costs: CostReport, reasons: Sequence[Reason]) -> str:
    """Where the verdict is the dearer of Kubernetes and serverless (both feasible): by how
    much it costs more, and the reasons that outweigh that, with their points."""
    if costs.serverless is None or v.verdict == "hybrid" or v.all_excluded or \
            not costs.kubernetes.priced:  # no Kubernetes figure to be dearer or cheaper
        return ""
    bill = {"kubernetes": costs.kubernetes.monthly_usd, "serverless": costs.serverless.monthly_usd}
    other = "serverless" if v.verdict == "kubernetes" else "kubernetes"
    if v.excluded[other] or bill[v.verdict] <= bill[other]:
        return ""
    net = []
    for x in reasons:
        points = dict(x.score)
        gain = points.get(v.verdict, 0.0) - points.get(other, 0.0)
        if gain > 0:
            net.append((gain, x.rule))
    net.sort(key=lambda pair: -pair[0])
    shown = ", ".join(f"{rule} ({gain:+.2f})".replace(".00)", ")") for gain, rule in net[:4])
    lead = v.scores[v.verdict] - v.scores[other]
    dearer, cheaper = round(bill[v.verdict], 2), round(bill[other], 2)
    ratio = f"{dearer / cheaper:,.3g}x" if cheaper else "more than"
    return (f"{v.verdict} despite the cost: {usd(dearer)}/month, {ratio} the {usd(cheaper)} "
            f"of {other}, {usd(dearer - cheaper)} more; outweighed by {shown or 'no rule'}: "
            f"{v.verdict} leads {other} by {lead:.2f} points")


# The rule fields of a component with parts that are its parts' own, not its: its workload's
# figures (`Advisor._whole`). Prefixes of the dotted field paths; `kind` matches only itself
# among the fields.
PARENT_ABSENT = ("kind", "traffic.", "execution.", "latency.")


# The cost comparison of a component with parts is its parts' own: each part's verdict has
# weighed its bills. The ratio of its all-on-one-model sums is no rule input (a cost rule on it
# would count the cost a second time, and could set the component against all its parts);
# the sums themselves are (the team rules quote them).
PARENT_UNCOMPARED = ("cost.ratio", "cost.saving_usd", "cost.break_even_rps")


def whole_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The rule fields of a component with parts, from `fields_for`'s: no traffic, execution
    or latency of its own (`PARENT_ABSENT`), no ratio of its sums (`PARENT_UNCOMPARED`)."""
    out = {k: None if k.startswith(PARENT_ABSENT) else v for k, v in fields.items()}
    out["traffic.avg_concurrency"] = None  # computed from the absent figures
    out.update(dict.fromkeys(PARENT_UNCOMPARED))
    return out


def cluster_anchor(candidates: np.ndarray[Any, np.dtype[Any]]) -> np.ndarray[Any, np.dtype[Any]]:
    """Per column of `candidates` (parts, cases), the part that carries the component's
    cluster: the first candidate (a part on a new cluster of nodes: standalone, not
    serverless, on nodes); -1 where none is."""
    first = np.argmax(candidates, axis=0)
    out: np.ndarray[Any, np.dtype[Any]] = np.where(candidates.any(axis=0), first, -1)
    return out


def joins_cluster(anchor: np.ndarray[Any, np.dtype[Any]],
                  standalone: np.ndarray[Any, np.dtype[Any]],
                  providers: np.ndarray[Any, np.dtype[Any]]) -> np.ndarray[Any, np.dtype[Any]]:
    """(parts, cases): the parts that join the cluster the anchor part (per case, -1: none)
    stands up: every other part priced standalone on the anchor's provider."""
    parts = np.arange(len(standalone))[:, None]
    same = providers[:, None] == providers[np.maximum(anchor, 0)][None, :]
    out: np.ndarray[Any, np.dtype[Any]] = (anchor[None, :] >= 0) & (parts != anchor[None, :]) \
        & standalone[:, None] & same
    return out


def part_bill(p: Result) -> float:
    """What a part costs on its own verdict: its Kubernetes bill for kubernetes, its functions
    bill for serverless. A part that is itself hybrid (a warm core with elastic edges, a split
    runplan does not price inside one workload) or that has no functions bill is priced on
    Kubernetes, where its core runs."""
    sls = p.costs.serverless
    if p.verdict.verdict == "serverless" and sls is not None:
        return sls.monthly_usd
    return p.costs.kubernetes.monthly_usd


def parts_usd(parts: tuple[Result, ...]) -> float:
    """A component's cost as the sum of its parts, each on its own verdict (`part_bill`): the
    cost of its hybrid, and of either model when all its parts chose it."""
    return add_up(part_bill(p) for p in parts)


def parts_costs(parts: tuple[Result, ...]) -> CostReport:
    """The cost report of a component with parts: each model's bill is the sum of its parts'
    bills on that model, one line item per part (each part's items stay in its own report).
    No functions bill when a part cannot run on functions (none on the provider, or a hard
    constraint excludes it there); no break-even or cold start (each part has its own); of
    the limits, only whether the provider has functions (each part checks its own)."""
    first = parts[0].costs

    def items(bill: Callable[[Result], float], model: str) -> tuple[LineItem, ...]:
        return tuple(LineItem(f"part {p.name}", 1.0, "part", bill(p),
                              f"{p.name}'s {model} bill") for p in parts)

    k8s = replace(first.kubernetes,
                  items=items(lambda p: p.costs.kubernetes.monthly_usd, "Kubernetes"),
                  node_type=", ".join(dict.fromkeys(p.costs.kubernetes.node_type
                                                    for p in parts)),
                  max_replicas=sum(p.costs.kubernetes.max_replicas for p in parts),
                  fixed_usd=add_up(p.costs.kubernetes.fixed_usd for p in parts),
                  people_usd=add_up(p.costs.kubernetes.people_usd for p in parts))
    on_functions = all(p.costs.serverless is not None and not p.verdict.excluded["serverless"]
                       for p in parts)
    sls = None
    if on_functions and first.serverless is not None:
        sls = replace(first.serverless, items=items(
            lambda p: p.costs.serverless.monthly_usd if p.costs.serverless else 0.0,
            "functions"))
    limits = {k: None for k in first.limits}
    limits["functions_available"] = first.limits.get("functions_available")
    return replace(first, serverless=sls, kubernetes=k8s, break_even=None, cold_start=None,
                   provisioned_instances=sum(p.costs.provisioned_instances for p in parts),
                   limits=limits)


def parts_facts(parts: tuple[Result, ...]) -> dict[str, Any]:
    counts = {"kubernetes": 0, "serverless": 0, "hybrid": 0}
    for p in parts:
        counts[p.verdict.verdict] += 1
    return {"parts.count": len(parts), **{f"parts.{k}": v for k, v in counts.items()}}


