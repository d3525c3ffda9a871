"""Draws of a component's uncertain inputs, priced and judged over arrays.

The inputs (`inputs_for`): every range the profile gave, and every figure runplan assumed
that kbase gives a plausible range for (traffic defaults beside their value in
kbase/traffic.yaml, the CPU share's spread in kbase/uncertainty.yaml, the people figures'
low/high in kbase/operations.yaml), and each model's prices when a price uncertainty is set.

Draws (`draw`): a Latin hypercube, midpoint variant: for N draws each input's N values are
its quantiles at the N equal-probability strata's midpoints, (k + 0.5) / N, in an order that
is a random permutation per input. Every input's marginal is then stratified exactly (its
p10 and p90, and the bins `report.evpi` puts it in, hold the share of draws they should),
which converges faster than plain random draws for the near-additive effects of a cost
model; unlike Sobol points it works for any N (Sobol's balance needs a power of two), and it
needs only numpy and the standard library's normal quantile (scipy.stats.qmc costs 0.8 s to
import, more than the draws themselves). The permutations come from numpy's PCG64 seeded
with a SHA-256 of the component's canonical content, the number of draws and the price
uncertainty: the same input gives the same bytes across runs, machines, worker counts and
PYTHONHASHSEED.

The draws are priced and judged by `BatchProbes.judged`: the array cost core and the array
rule evaluation the flip search uses (`runplan.probes`); tests compare them with experta's
forward-chaining run on the same sampled profiles.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from runplan.advise import Advisor, Result
from runplan.cost.platforms import people_of
from runplan.cost.vector import MOVING, Array, pyround
from runplan.kbase import RANGE_FROM, KnowledgeBase, Platform
from runplan.paths import kbase_dir
from runplan.profile import (
    SECONDS_PER_HOUR,
    Component,
    Workload,
    active_rate,
    derived_cpu_ms,
    derived_max_s,
    derived_peak,
    idle_under_peak,
    max_idle_fraction,
)
from runplan.uncertainty.ranges import RANGEABLE, Dist, Ranges, bounds, fit
from runplan.userfile import read_text
from runplan.yamlio import load_yaml

DEFAULT_DRAWS = 1000
MAX_DRAWS = 1_000_000
PEOPLE = ("people.fte_monthly_usd", "people.kubernetes_fte", "people.serverless_fte")
PRICES = ("prices.kubernetes", "prices.serverless")


@dataclass(frozen=True)
class Input:
    """One uncertain input: a profile field, a kbase figure it was filled from, or a factor."""

    name: str
    dist: Dist
    source: str  # where its range comes from
    assumed: bool  # not given by the profile
    point: float | None = None  # a price figure's value in kbase (its draws' factor is x/point)


@dataclass
class Draws:
    """N draws of a component: its inputs' values (inputs, N) and what the arrays said."""

    inputs: list[Input]
    values: Array  # (inputs, N): each input's value in each draw
    verdict: Array  # (N,) index into probes.VERDICTS
    kubernetes_usd: Array
    serverless_usd: Array  # inf: no figure
    runs_cluster: Array  # (N,) bool: the Kubernetes platform is a cluster the team runs
    on_nodes: Array  # (N,) bool: Kubernetes on nodes (`probes.Judged`)
    serverless_excluded: Array  # (N,) bool: a hard constraint rules functions out

    def take(self, columns: slice | Array) -> Draws:
        """The draws at these columns."""
        return Draws(self.inputs, self.values[:, columns], self.verdict[columns],
                     self.kubernetes_usd[columns], self.serverless_usd[columns],
                     self.runs_cluster[columns], self.on_nodes[columns],
                     self.serverless_excluded[columns])


@lru_cache(maxsize=8)
def _strata(n: int) -> Array:
    """The standard normal's quantiles at the midpoints of n equal-probability strata."""
    from statistics import NormalDist

    inv = NormalDist().inv_cdf
    out: Array = np.array([inv((k + 0.5) / n) for k in range(n)])
    return out


@lru_cache(maxsize=1)
def _spread_doc() -> dict[str, Any]:
    path = kbase_dir() / "uncertainty.yaml"
    data, _ = load_yaml(read_text(path), str(path))
    out: dict[str, Any] = data
    return out


def default_price_uncertainty() -> float:
    return float(_spread_doc()["price_uncertainty"]["value"])


def _kbase_fit(figure: dict[str, Any], share: bool = False) -> Dist | None:
    """A kbase figure's range, its value the median (None: no range, or an empty one)."""
    low, high, value = figure.get("low"), figure.get("high"), figure["value"]
    if low is None or high is None or not low < high:
        return None
    if not share and low <= 0:
        return None
    return fit(float(low), float(value), float(high), share)


def _factor(low: float, high: float) -> Dist:
    return fit(low, 1.0, high, False)


def inputs_for(given: Ranges, w: Workload, assumed: set[str], kb: KnowledgeBase,
               view: str, price_uncertainty: float, platform: Platform | None = None,
               ) -> list[Input]:
    """The uncertain inputs of a workload (a component without parts, or a part) whose
    profile gives the ranges `given`, in a fixed order; `platform`: its Kubernetes model's
    at the point (whose people line the Kubernetes FTE's spread is of; None: nodes)."""
    out = [Input(f, d, "profile range", False) for f, d in given.items()]
    traffic = kb.raw["traffic"]
    pattern = traffic["patterns"][w.pattern]

    def add(name: str, figure: dict[str, Any], where: str, share: bool = False) -> None:
        dist = _kbase_fit(figure, share)
        if dist is not None:
            why = figure.get("range_source")
            ranged = str(why).startswith(RANGE_FROM)  # a range the --pricing file gave
            out.append(Input(name, dist, f"{where} ({why})" if why else where, not ranged))

    if "traffic.requests_per_month" in assumed:
        add("traffic.requests_per_month", traffic["default_requests_per_month"],
            "kbase/traffic.yaml default_requests_per_month")
    if "traffic.idle_fraction" in assumed:
        held = "traffic.peak_rps" not in assumed and w.idle_fraction < pattern[
            "idle_fraction"]["value"]  # the given peak holds it down (`idle_under_peak`)
        add("traffic.idle_fraction", pattern["idle_fraction"],
            f"kbase/traffic.yaml {w.pattern} idle_fraction"
            + (", each draw held to at most 1 - avg_rps / peak_rps by the given peak"
               if held else ""), share=True)
    if "traffic.peak_rps" in assumed:
        add("traffic.peak_to_avg", pattern["peak_to_avg"],
            f"kbase/traffic.yaml {w.pattern} peak_to_avg")
    if "execution.avg_duration_ms" in assumed:
        add("execution.avg_duration_ms", traffic["default_duration_ms"],
            "kbase/traffic.yaml default_duration_ms")
    if "execution.max_duration_s" in assumed:
        add("execution.max_to_avg_duration", traffic["max_to_avg_duration"],
            "kbase/traffic.yaml max_to_avg_duration")
    if "execution.memory_mb" in assumed:
        add("execution.memory_mb", traffic["default_memory_mb"],
            "kbase/traffic.yaml default_memory_mb")
    if "execution.cpu_ms" in assumed:
        spread = _spread_doc()["cpu_share_factor"]
        out.append(Input("execution.cpu_share", _factor(spread["low"], spread["high"]),
                         f"kbase/uncertainty.yaml cpu_share_factor ({spread['source']})",
                         True))
    def fte_factor(name: str, figure: dict[str, Any], where: str) -> None:
        """A model's FTE as a factor on its kbase figure (none where the organisation gave
        the figure as one value: `kbase.exact`)."""
        low, high, value = figure.get("low"), figure.get("high"), figure["value"]
        if low is None or high is None or not value or not low < high:
            return
        why = figure.get("range_source")
        out.append(Input(name, _factor(low / value, high / value),
                         f"kbase/operations.yaml {where} " + (f"({why})" if why else "low/high"),
                         not str(why).startswith(RANGE_FROM)))

    ops = kb.raw["operations"]
    add("people.fte_monthly_usd", ops["fte_monthly_usd"], "kbase/operations.yaml fte_monthly_usd")
    people = ops["people"]
    # The Kubernetes people line's main figure: running a cluster where the line pays for one
    # (standalone nodes, EKS on Fargate or Autopilot new), else the service's own effort.
    kind, line_view = people_of(platform, view)
    if kind == "serverless":  # serverless containers: a serverless service's effort
        kind, which = "serverless", "service_fte"
    else:
        which = "cluster_fte" if line_view == "standalone" and \
            people["cluster_fte"].get(kind, {}).get(w.devops_maturity) else "service_fte"
    fte_factor("people.kubernetes_fte", people[which][kind][w.devops_maturity],
               f"people.{which}.{kind}.{w.devops_maturity}")
    fte_factor("people.serverless_fte", people["service_fte"]["serverless"][w.devops_maturity],
               f"people.service_fte.serverless.{w.devops_maturity}")
    for key, r in kb.price_ranges.items():
        if key.startswith(f"{kb.provider(w.provider).provider}."):
            out.append(Input(f"prices.{key}", r.dist, r.source, False, r.point))
    if price_uncertainty > 0:
        pu = min(price_uncertainty, 0.9)
        for name in PRICES:
            out.append(Input(name, _factor(1 - pu, 1 + pu), f"price uncertainty "
                             f"{price_uncertainty:.0%} each way (90% interval)", True))
    return out


def seed_of(component: Component, n: int, price_uncertainty: float) -> int:
    """A seed from the component's canonical content (never Python's hash()), its
    descriptions left out: editing prose in a profile does not move its draws (in CI, a
    record's probability across `--fragile-below`). The name stays: two components of an
    estate that differ only in name are two services, drawn apart."""
    ranges = {"/".join(map(str, where)): {f: [d.mu, d.below, d.above, d.share]
                                           for f, d in sorted(table.items())}
              for where, table in sorted(component._ranges.items(), key=lambda kv: str(kv[0]))}
    content = component.model_dump(mode="json", exclude={"description": True, "parts": {
        "__all__": {"description"}}})
    return _digest([content, ranges, n, price_uncertainty])


def lhs(d: int, n: int, seed: int) -> Array:
    """(d, n) standard normal values: a midpoint Latin hypercube (see the module's notes)."""
    rng = np.random.default_rng(seed)
    order = np.argsort(rng.random((d, n)), axis=1)  # a permutation per input
    out: Array = _strata(n)[order]
    return out


def _digest(value: Any) -> int:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def draw_z(inputs: list[Input], n: int, seed: int) -> Array:
    """`lhs` for a component's inputs, except that the estate-wide figures (people, prices)
    take the same permutation in every component, seeded by their name alone: draw j of
    every component of an estate then stands on the same FTE cost and price levels, as one
    organisation's estate does."""
    z = lhs(len(inputs), n, seed)
    for k, i in enumerate(inputs):
        if estate_wide(i.name):
            z[k] = lhs(1, n, _digest(["estate-wide", i.name, n]))[0]
    return z


def estate_wide(name: str) -> bool:
    """An input that is the organisation's, not the component's: a people figure or a price."""
    return name in PEOPLE or name.startswith("prices.")


def prepare(component: Component, result: Result, view: str, kb: KnowledgeBase, n: int,
            price_uncertainty: float) -> tuple[list[Input], Array]:
    """A component's uncertain inputs and their n drawn values, (inputs, n)."""
    w = result.workload
    inputs = inputs_for(component._ranges.get((), {}), w, {a.field for a in result.assumptions},
                        kb, view, price_uncertainty, result.costs.kubernetes_platform)
    return inputs, drawn(inputs, draw_z(inputs, n, seed_of(component, n, price_uncertainty)))


def drawn(inputs: list[Input], z: Array) -> Array:
    """The inputs' values at the standard normal draws `z` (inputs, N)."""
    values = np.empty_like(z)
    for k, i in enumerate(inputs):
        values[k] = i.dist.ppf(z[k])
        if i.name in RANGEABLE:  # a tail beyond the field's limit stands at the limit
            low, high, _ = bounds(i.name)
            values[k] = np.clip(values[k], low, high)
    return values


def workload_arrays(w: Workload, inputs: list[Input], values: Array, kb: KnowledgeBase,
                    people: tuple[float, float], assumed: set[str]) -> dict[str, Array]:
    """The moving row fields (`cost.vector.MOVING`, people lines) of each draw, derived as
    `profile.resolve` derives them (`derived_peak` and the others)."""
    n = values.shape[1]
    got = {i.name: values[k] for k, i in enumerate(inputs)}
    seconds = kb.operations.hours_per_month * SECONDS_PER_HOUR
    full = np.full
    if "traffic.requests_per_month" in got:
        rpm = got["traffic.requests_per_month"]
    elif "traffic.avg_rps" in got:
        rpm = got["traffic.avg_rps"] * seconds
    else:
        rpm = full(n, w.requests_per_month)
    avg = rpm / seconds
    idle = np.minimum(got.get("traffic.idle_fraction", full(n, w.idle_fraction)),
                      max_idle_fraction(kb.operations.hours_per_month))
    if "traffic.idle_fraction" in assumed and "traffic.peak_rps" not in assumed:
        # An assumed idle share gives way to a given peak, as in `resolve`.
        with np.errstate(over="ignore", divide="ignore"):
            idle = idle_under_peak(avg, idle, got.get("traffic.peak_rps", w.peak_rps),
                                   np.maximum, np.where)
    active = active_rate(avg, idle, np.maximum)  # a peak is at least the rate while active
    if "traffic.peak_rps" in got:
        peak = np.maximum(got["traffic.peak_rps"], active)
    elif "traffic.peak_rps" in assumed:
        factor = got.get("traffic.peak_to_avg", kb.traffic.patterns[w.pattern].peak_to_avg)
        peak = derived_peak(avg, idle, factor, np.maximum, pyround)
    else:
        peak = np.maximum(w.peak_rps, active)  # given: it stays, never below the active rate
    duration = got.get("execution.avg_duration_ms", full(n, w.avg_duration_ms))
    if "execution.max_duration_s" in got:
        longest = np.maximum(got["execution.max_duration_s"], duration / 1000)
    elif "execution.max_duration_s" in assumed:
        longest = derived_max_s(duration, got.get("execution.max_to_avg_duration",
                                                  kb.traffic.max_to_avg_duration), pyround)
    else:
        longest = np.maximum(w.max_duration_s, duration / 1000)
    if "execution.cpu_ms" in got:
        cpu = got["execution.cpu_ms"]
    elif "execution.cpu_ms" in assumed:
        share = kb.operations.cpu_fraction_by_runtime[w.runtime]
        cpu = derived_cpu_ms(duration, share * got.get("execution.cpu_share", 1.0), pyround)
    else:
        cpu = full(n, w.cpu_ms)
    slo = got.get("latency.p99_slo_ms",
                  full(n, np.nan if w.p99_slo_ms is None else w.p99_slo_ms))
    factor = people_factors(inputs, values, kb)
    out = {"requests_per_month": rpm, "avg_rps": avg, "peak_rps": peak, "idle_fraction": idle,
           "avg_duration_ms": duration, "max_duration_s": longest,
           "memory_mb": got.get("execution.memory_mb", full(n, w.memory_mb)), "cpu_ms": cpu,
           "p99_slo_ms": slo,
           "k8s_people_usd": people[0] * factor["people.kubernetes"],
           "sls_people_usd": people[1] * factor["people.serverless"]}
    assert set(MOVING) <= set(out)
    return {k: np.asarray(v, dtype=float) * np.ones(n) for k, v in out.items()}


def people_factors(inputs: list[Input], values: Array, kb: KnowledgeBase) -> dict[str, Array]:
    """Per draw, the factor on each model's people lines: the FTE cost's draw over its kbase
    figure times the model's FTE draw (`people.kubernetes`, `people.serverless`; the nodes and
    functions bills' lines, and the node-less platforms' through `Rows.factors`)."""
    got = {i.name: values[k] for k, i in enumerate(inputs)}
    n = values.shape[1]
    fte = got.get("people.fte_monthly_usd")
    ratio = np.ones(n) if fte is None else fte / kb.operations.fte_monthly_usd
    return {"people.kubernetes": ratio * got.get("people.kubernetes_fte", 1.0),
            "people.serverless": ratio * got.get("people.serverless_fte", 1.0)}


def draw_factors(inputs: list[Input], values: Array, kb: KnowledgeBase) -> dict[str, Array]:
    """Per draw, the factors a bill reads (`cost.vector.Rows.factors`): the people lines'
    and the prices': a model's (`--price-uncertainty`) as drawn, a figure's as its draw over
    its kbase value."""
    out = people_factors(inputs, values, kb)
    for k, i in enumerate(inputs):
        if i.name in PRICES:
            out[i.name] = values[k]
        elif i.name.startswith("prices.") and i.point:
            out[i.name.removeprefix("prices.")] = values[k] / i.point
    return out


ROWS_PER_PASS = 16_384  # draws judged together (several components' at once)


Job = tuple[Result, list[Input], Array]  # a point's result, its inputs, their drawn values


def judge(advisor: Advisor, result: Result, inputs: list[Input], values: Array) -> Draws:
    """Price and judge each draw (columns of `values`) over arrays."""
    return judge_many(advisor, [(result, inputs, values)])[0]


def judge_many(advisor: Advisor, items: list[Job]) -> list[Draws]:
    """`judge` for several components, their draws priced and judged together in passes of
    about ROWS_PER_PASS rows (numpy's per-call cost spread over many components). Each in
    the view its result was judged in (a part may join the cluster another part stands
    up: `Advisor._share_cluster`)."""
    out: list[Draws] = []
    group: list[Job] = []
    size = 0
    for item in items:
        group.append(item)
        size += item[2].shape[1]
        if size >= ROWS_PER_PASS:
            out += _judge_group(advisor, group)
            group, size = [], 0
    if group:
        out += _judge_group(advisor, group)
    return out


def _judge_group(advisor: Advisor, group: list[Job]) -> list[Draws]:
    probes = advisor.probes
    assert probes is not None
    batch = probes.base([r.workload for r, _, _ in group], [r.costs.view for r, _, _ in group])
    fixed_rows = []
    for r, _, _ in group:
        advisor.inference.run(r.inputs)  # the point's field-condition outcomes
        fixed_rows.append(list(advisor.inference.outcomes))
    fixed = np.array(fixed_rows, dtype=bool).reshape(len(group), -1)
    moving: dict[str, list[Array]] = {}
    factors: list[dict[str, Array]] = []
    who: list[Array] = []
    for j, (r, inputs, values) in enumerate(group):
        people = (float(batch.rows.k8s_people_usd[j]), float(batch.rows.sls_people_usd[j]))
        arrays = workload_arrays(r.workload, inputs, values, advisor.kb, people,
                                 {a.field for a in r.assumptions})
        for name, a in arrays.items():
            moving.setdefault(name, []).append(a)
        factors.append(draw_factors(inputs, values, advisor.kb))
        who.append(np.full(values.shape[1], j, dtype=int))
    joined = {name: np.concatenate(parts) for name, parts in moving.items()}
    keys = sorted({k for f in factors for k in f})
    by_key = {k: np.concatenate([f.get(k, np.ones(len(w))) for f, w in
                                 zip(factors, who, strict=True)]) for k in keys}
    got = probes.judged(batch, np.concatenate(who), joined, fixed, by_key)
    out = []
    start = 0
    for _r, inputs, values in group:
        end = start + values.shape[1]
        out.append(Draws(inputs, values, got.verdict[start:end], got.kubernetes_usd[start:end],
                         got.serverless_usd[start:end], got.runs_cluster[start:end],
                         got.on_nodes[start:end], got.serverless_excluded[start:end]))
        start = end
    return out


def sample(advisor: Advisor, component: Component, result: Result, n: int,
           price_uncertainty: float) -> Draws:
    """N draws of a component without parts, judged."""
    inputs, values = prepare(component, result, advisor.view_of(result.workload), advisor.kb,
                             n, price_uncertainty)
    return judge(advisor, result, inputs, values)
