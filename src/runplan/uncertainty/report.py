"""What the draws say: the probability of the verdict, percentiles, a tornado, the value of
information.

- Probability: the share of draws whose verdict is the most probable one, with the 95%
  Wilson interval's half-width from the number of draws as its margin of error.
- Percentiles: p10, p50, p90 of each model's monthly cost and of the gap (Kubernetes minus
  serverless) over the draws.
- Tornado: each uncertain input at its p10 and at its p90, every other input at its median:
  how far that swing moves the cost gap, and whether either end has another verdict (the swing
  crosses a flip).
- Value of information (`evpi`): the regret of a verdict in a draw is what taking it costs
  when the rules, knowing that draw's inputs, choose another: the two verdicts' monthly
  costs apart. Knowing no input exactly, the decision is the verdict with the least expected
  regret (`decision`). The expected value of perfect information on one input is the
  expected regret avoided by knowing it exactly: the draws are binned on that input
  (deciles); in each bin the decision may switch to the verdict with the least regret
  there, and the regret that avoids is counted. A bin switches only when the regret it
  avoids is more than 3 standard errors of the draws' differences, so an input that cannot
  change the decision gets 0, not sampling noise. The value of knowing every input is the
  decision's expected regret itself (`expected_regret_usd`).
- The verdict: the most probable over the draws, unless its lead over the verdict at the
  profile's values is within 3 standard errors of the two counts (`clearly_more`): then the
  point's verdict stays and the line says the case is too close to call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from runplan.advise import Advisor, Result
from runplan.cost.platforms import cheapest
from runplan.cost.vector import Array
from runplan.errors import Problem, UserError
from runplan.fmt import num, usd
from runplan.probes import VERDICTS
from runplan.profile import Component
from runplan.uncertainty.ranges import Z80, point_of
from runplan.uncertainty.sample import (
    DEFAULT_DRAWS,
    Draws,
    Input,
    default_price_uncertainty,
    judge_many,
    prepare,
)

Z95 = 1.959963984540054
BINS = 10
SIGNIFICANT_SE = 3.0


@dataclass(frozen=True)
class Bar:
    """One input's swing in the tornado."""

    input: str
    low: float  # the input at its p10
    high: float  # and at its p90
    gap_low: float | None  # the cost gap there (Kubernetes minus serverless), USD a month
    gap_high: float | None
    verdict_low: str
    verdict_high: str
    crosses: bool

    @property
    def swing(self) -> float:
        if self.gap_low is None or self.gap_high is None:
            return math.inf if self.crosses else 0.0
        return abs(self.gap_high - self.gap_low)


@dataclass
class Summary:
    draws: int
    verdict: str  # the most probable, unless too close to call (the point's then)
    probability: float
    margin: float
    shares: dict[str, float]
    percentiles: dict[str, dict[str, float | None]]
    tornado: list[Bar]
    value_of_information: dict[str, float]  # input -> USD a month, largest first
    regret_usd: float  # the decision's expected regret: the value of knowing every input exactly
    inputs: list[Input] = field(default_factory=list)
    point_verdict: str = ""
    # input -> how far the verdict's share ranges over the input's deciles, largest first
    moves: dict[str, float] = field(default_factory=dict)
    draws_judged: Draws | None = None  # the draws themselves (the estate sums them)
    point: Draws | None = None  # the tornado's rows; the first: every input at its median
    estate: Any = None  # `score`: what the estate needs of the draws (`estate.ComponentDraws`)
    parts: list[dict[str, Any]] = field(default_factory=list)  # a component with parts: each
    #   part's most probable verdict and its share of the draws (`uncertainty.parts`)

    @property
    def top_input(self) -> str | None:
        """The input most worth measuring: highest value of information, else widest swing."""
        if self.value_of_information and max(self.value_of_information.values()) > 0:
            return next(iter(self.value_of_information))
        crossing = [b for b in self.tornado if b.crosses]
        if crossing:
            return crossing[0].input
        spreads = list(self.moves.values())
        if self.probability < 1 and spreads and spreads[0] > self.spread_noise and \
                (len(spreads) == 1 or spreads[0] > spreads[1]):
            return next(iter(self.moves))
        return None

    @property
    def spread_noise(self) -> float:
        """How far the verdict's share may range over an input's deciles by chance alone:
        2 x SIGNIFICANT_SE binomial standard errors of a decile's share (the range of ten
        such shares is about 3 of them by chance)."""
        p, per_bin = self.probability, max(1.0, self.draws / BINS)
        return 2 * SIGNIFICANT_SE * math.sqrt(p * (1 - p) / per_bin)

    def line(self) -> str:
        """The one-line text summary."""
        p = self.probability
        margin = f"{self.margin:.1%}" if self.margin < 0.01 else f"{self.margin:.0%}"
        head = (f"{self.verdict} in {_share(p)} of plausible cases "
                f"(+/-{margin}, {self.draws:,} draws)")
        ahead = max(self.shares.items(), key=lambda kv: kv[1])
        if ahead[1] > p:  # more draws, but not enough more to overturn the point's verdict
            head = (f"too close to call: {self.verdict} (at the profile's values) in "
                    f"{_share(p)}, {ahead[0]} in {_share(ahead[1])} of plausible cases "
                    f"(+/-{margin}, {self.draws:,} draws)")
        top = self.top_input
        if top is None:
            return f"{head}; " + ("no input's range changes it" if p == 1 else
                                  "no single input's range decides it")
        worth = self.value_of_information.get(top, 0.0)
        if worth <= 0:
            return f"{head}; {top} moves it most (no one input's value alone would change it)"
        return f"{head}; {top} decides it: measure it first, worth up to {usd(worth)}/month"


def _share(p: float) -> str:
    return f"{p:.1%}" if 0.99 < p < 1 or 0 < p < 0.01 else f"{p:.0%}"


def clearly_more(a: Any, b: Any) -> Any:
    """Whether count a exceeds count b by more than SIGNIFICANT_SE standard errors of their
    difference (floats or arrays): a lead that sampling noise does not explain."""
    return a - b > SIGNIFICANT_SE * np.sqrt(a + b)


def wilson_margin(p: float, n: int) -> float:
    """The 95% Wilson score interval's larger half-width for a share p of n draws."""
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(abs(centre + half - p), abs(p - (centre - half)))


def regrets(verdict: Array, k8s: Array, sls: Array) -> Array:
    """(options, N): each verdict's regret in each draw: 0 where the draw's own verdict is
    it, else the two verdicts' monthly costs apart (0 where either has no figure); inf for
    a verdict that no draw takes."""
    cost = np.vstack([sls if o == "serverless" else k8s if o == "kubernetes"
                      else np.full(len(k8s), np.inf) for o in VERDICTS])
    own = cost[verdict, np.arange(len(verdict))]
    with np.errstate(invalid="ignore"):
        apart = np.abs(cost - own)
    apart = np.where(np.isfinite(apart), apart, 0.0)
    out: Array = np.where(np.arange(len(VERDICTS))[:, None] == verdict[None, :], 0.0, apart)
    chosen = np.bincount(verdict, minlength=len(VERDICTS)) > 0
    out[~chosen] = np.inf  # a verdict no draw takes is no option (hybrid has no one cost)
    return out


def evpi(x: Array, verdict: Array, regret: Array, chosen: int, bins: int = BINS) -> float:
    """The expected regret avoided by knowing `x` exactly (see the module's notes)."""
    return float(evpi_all(x[None, :], verdict, regret, chosen, bins)[0][0])


def decision(regret: Array) -> int:
    """The verdict to take knowing no input exactly: the least expected regret (the first in
    tie order among equals)."""
    return int(np.argmin(regret.mean(axis=1)))


def evpi_all(x: Array, verdict: Array, regret: Array, chosen: int, bins: int = BINS,
             ) -> tuple[Array, Array]:
    """`evpi` of each row of `x` (inputs, N) at once, against the decision with the least
    expected regret (`decision`), and each input's spread: how far the share of draws on
    the verdict `chosen` ranges over its bins (what says which input moves the verdict most
    where knowing none alone would change it). In each bin the decision switches to the
    verdict with the least regret there when its lead is more than SIGNIFICANT_SE standard
    errors of the draws' differences: an input that cannot change the decision gets 0,
    not sampling noise."""
    d, n = x.shape
    options = len(regret)
    prior = decision(regret)
    bins = max(1, min(bins, n // 2))
    edges = np.quantile(x, np.linspace(0, 1, bins + 1)[1:-1], axis=1)  # (bins - 1, d)
    where = (edges.T[:, :, None] <= x[:, None, :]).sum(axis=1)  # (d, N); ties stay together
    cell = (np.arange(d)[:, None] * bins + where).ravel()  # (input, bin)
    size = np.bincount(cell, minlength=d * bins).reshape(d, bins)
    saved_by = np.full((d, bins, options), -np.inf)  # the regret each switch avoids in a bin
    square = np.zeros((d, bins, options))
    for o in range(options):
        if o == prior or not np.isfinite(regret[o]).all():
            continue
        diff = np.broadcast_to(regret[prior] - regret[o], (d, n)).ravel()
        saved_by[:, :, o] = np.bincount(cell, weights=diff, minlength=d * bins).reshape(d, bins)
        square[:, :, o] = np.bincount(cell, weights=diff * diff,
                                      minlength=d * bins).reshape(d, bins)
    best = np.argmax(saved_by, axis=2)
    gain = np.take_along_axis(saved_by, best[:, :, None], axis=2)[:, :, 0]
    sq = np.take_along_axis(square, best[:, :, None], axis=2)[:, :, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(size > 1, (sq - gain * gain / np.maximum(size, 1)) /
                       np.maximum(size - 1, 1), 0.0)
    noise = SIGNIFICANT_SE * np.sqrt(np.maximum(size * var, 0.0))
    switch = np.isfinite(gain) & (gain > 0) & (gain > noise)
    saved: Array = np.where(switch, gain, 0.0).sum(axis=1) / n
    counts = np.bincount(cell * options + np.broadcast_to(verdict, (d, n)).ravel(),
                         minlength=d * bins * options).reshape(d, bins, options)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(size > 0, counts[:, :, chosen] / size, np.nan)
    spread: Array = np.nanmax(share, axis=1) - np.nanmin(share, axis=1)
    return saved, spread


def _percentiles(a: Array) -> dict[str, float | None]:
    finite = a[np.isfinite(a)]
    if len(finite) < len(a) or not len(a):
        return {"p10": None, "p50": None, "p90": None}
    p = np.percentile(finite, [10, 50, 90])
    return {"p10": round(float(p[0]), 2), "p50": round(float(p[1]), 2),
            "p90": round(float(p[2]), 2)}


def summarise(result: Result, d: Draws, t: Draws) -> Summary:
    """The probability, percentiles, tornado and value of information of the draws `d`
    (`t`: the tornado's draws, `tornado_values`)."""
    n = len(d.verdict)
    counts = np.bincount(d.verdict, minlength=len(VERDICTS))
    chosen = int(np.argmax(counts))  # ties: the first in tie order (`verdict.TIE_ORDER`)
    at_point = VERDICTS.index(result.verdict.verdict)
    if not clearly_more(float(counts[chosen]), float(counts[at_point])):
        chosen = at_point  # a lead within sampling noise does not overturn the point
    p = float(counts[chosen]) / n
    gap = d.kubernetes_usd - d.serverless_usd
    regret = regrets(d.verdict, d.kubernetes_usd, d.serverless_usd)
    worth, spread = evpi_all(d.values, d.verdict, regret, chosen) if d.inputs else \
        (np.zeros(0), np.zeros(0))
    voi = {i.name: round(float(v), 2) for i, v in zip(d.inputs, worth.tolist(), strict=True)}
    voi = dict(sorted(voi.items(), key=lambda kv: (-kv[1], kv[0])))
    moves = {i.name: round(float(v), 4) for i, v in zip(d.inputs, spread.tolist(), strict=True)}
    moves = dict(sorted(moves.items(), key=lambda kv: (-kv[1], kv[0])))
    return Summary(
        draws=n, verdict=VERDICTS[chosen], probability=round(p, 4),
        margin=round(wilson_margin(p, n), 4),
        shares={VERDICTS[k]: round(float(c) / n, 4) for k, c in enumerate(counts.tolist())},
        percentiles={"kubernetes_usd": _percentiles(d.kubernetes_usd),
                     "serverless_usd": _percentiles(d.serverless_usd),
                     "gap_usd": _percentiles(gap)},
        tornado=_bars(d.inputs, t),
        value_of_information=voi, moves=moves,
        regret_usd=round(float(regret[decision(regret)].mean()), 2),
        inputs=d.inputs, point_verdict=result.verdict.verdict, draws_judged=d, point=t)


def tornado_values(inputs: list[Input]) -> Array:
    """(inputs, 1 + 2 x inputs): every input at its median, then each at its p10 and its
    p90 with the others at their medians."""
    k = len(inputs)
    z = np.zeros((k, 1 + 2 * k))
    for j in range(k):
        z[j, 1 + 2 * j], z[j, 2 + 2 * j] = -Z80, Z80
    if not k:
        return np.zeros((0, 1))
    # The median as the point has it (`ranges.point_of`: 10240, not 10240.000000000002), so
    # the middle row is the point's verdict even on a flip.
    out: Array = np.vstack([np.where(z[j] == 0, point_of(i.dist), i.dist.ppf(z[j]))
                            for j, i in enumerate(inputs)])
    return out


def _bars(inputs: list[Input], t: Draws) -> list[Bar]:
    """The tornado, widest swing first."""
    gap = t.kubernetes_usd - t.serverless_usd
    base = int(t.verdict[0])

    def money(x: float) -> float | None:
        return round(x, 2) if math.isfinite(x) else None

    bars = []
    for j, i in enumerate(inputs):
        lo, hi = 1 + 2 * j, 2 + 2 * j
        bars.append(Bar(i.name, float(t.values[j, lo]), float(t.values[j, hi]),
                        money(float(gap[lo])), money(float(gap[hi])),
                        VERDICTS[int(t.verdict[lo])], VERDICTS[int(t.verdict[hi])],
                        int(t.verdict[lo]) != base or int(t.verdict[hi]) != base))
    return sorted(bars, key=lambda b: (-b.swing, b.input))


def uncertain(advisor: Advisor, component: Component, result: Result, n: int = DEFAULT_DRAWS,
              price_uncertainty: float | None = None) -> Summary:
    """The summary of a component: the one call for a component, and the one a decision
    record takes its probability (`Summary.probability`), top drivers (`Summary.top_input`,
    `tornado`, `value_of_information`) and switching values (`result.flips`) from.
    `price_uncertainty` None: kbase/uncertainty.yaml's default."""
    return uncertain_many(advisor, [(component, result)], n, price_uncertainty)[0]


def uncertain_many(advisor: Advisor, items: list[tuple[Component, Result]], n: int,
                   price_uncertainty: float | None = None) -> list[Summary]:
    """`uncertain` for many components, the draws and tornados of those without parts judged
    together (`sample.judge_many`); a component with parts by `uncertainty.parts`."""
    if advisor.probes is None or not advisor.probes.supported:
        raise UserError(Problem(items[0][1].name if items else "", None, "--uncertain",
                                "these rules have a condition the array evaluation cannot "
                                "judge, which the draws need"))
    pu = default_price_uncertainty() if price_uncertainty is None else price_uncertainty
    from runplan.uncertainty.parts import uncertain_parts  # which imports this module

    jobs: list[tuple[Result, list[Input], Array]] = []
    for c, r in items:
        if c.parts:
            continue
        inputs, values = prepare(c, r, advisor.view_of(r.workload), advisor.kb, n, pu)
        # the draws and the tornado's rows in one block, split after judging
        jobs.append((r, inputs, np.hstack([values, tornado_values(inputs)])))
    judged = iter(judge_many(advisor, jobs))
    out = []
    for c, r in items:
        if c.parts:
            out.append(uncertain_parts(advisor, c, r, n, pu))
        else:
            d = next(judged)
            out.append(summarise(r, d.take(slice(None, n)), d.take(slice(n, None))))
    return out


def with_probability(result: Result, s: Summary) -> Result:
    """The Result with the most probable verdict and its probability as the confidence."""
    verdict = replace(result.verdict, verdict=s.verdict, confidence=s.probability)
    if s.verdict == result.verdict.verdict:
        return replace(result, verdict=verdict)
    # the draws overturn the point: the runner-up is the point's verdict, the flips its own
    verdict = replace(verdict, runner_up=result.verdict.verdict)
    return replace(result, verdict=verdict, platform=cheapest(result.platforms, s.verdict),
                   point_verdict=result.verdict.verdict)


def summary_data(s: Summary) -> dict[str, Any]:
    """The summary as plain data (the JSON contract's `uncertainty`)."""
    return {
        "draws": s.draws, "verdict": s.verdict, "probability": s.probability,
        "margin_of_error": s.margin, "verdict_at_point_values": s.point_verdict,
        "shares": s.shares, "percentiles": s.percentiles,
        "inputs": [{"input": i.name, "low": _sig(i.dist.low), "high": _sig(i.dist.high),
                    "interval": i.dist.level, "median": _sig(i.dist.median),
                    "distribution": ("logit-normal" if i.dist.share else "log-normal") +
                    ("" if math.isclose(i.dist.below, i.dist.above, rel_tol=1e-9)
                     else " (two-piece)"),
                    "assumed": i.assumed, "source": i.source} for i in s.inputs],
        "tornado": [{"input": b.input, "p10": _sig(b.low), "p90": _sig(b.high),
                     "gap_usd_at_p10": b.gap_low, "gap_usd_at_p90": b.gap_high,
                     "verdict_at_p10": b.verdict_low, "verdict_at_p90": b.verdict_high,
                     "crosses_flip": b.crosses} for b in s.tornado],
        "value_of_information_usd": s.value_of_information,
        "verdict_share_spread": s.moves,
        "expected_regret_usd": s.regret_usd,
        "top_input": s.top_input,
        "summary": s.line(),
        **({"parts": s.parts} if s.parts else {}),
    }


def _sig(x: float) -> float:
    return float(f"{x:.6g}")


def describe(b: Bar) -> str:
    """A tornado bar in words."""
    def gap(x: float | None) -> str:
        return "no figure" if x is None else usd(x)

    cross = f" (crosses a flip: {b.verdict_low} at p10, {b.verdict_high} at p90)" \
        if b.crosses else ""
    return (f"{b.input} {num(b.low)}..{num(b.high)}: gap {gap(b.gap_low)} to "
            f"{gap(b.gap_high)}{cross}")


def cost_lines(s: Summary) -> list[str]:
    """`runplan cost --uncertain`: the summary line, the percentiles and the tornado."""
    def money(x: float | None) -> str:
        return "no figure" if x is None else usd(x)

    out = [f"uncertain: {s.line()}"]
    for key, label in (("kubernetes_usd", "Kubernetes"), ("serverless_usd", "serverless"),
                       ("gap_usd", "gap (Kubernetes - serverless)")):
        p = s.percentiles[key]
        out.append(f"  {label}: p10 {money(p['p10'])}, p50 {money(p['p50'])}, "
                   f"p90 {money(p['p90'])} a month")
    out += [f"  tornado: {describe(b)}" for b in s.tornado]
    out += [f"  value of information: {name} {usd(v)}/month"
            for name, v in s.value_of_information.items() if v > 0]
    return out
