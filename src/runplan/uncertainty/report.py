"""What the draws say: the probability of the verdict, percentiles, a tornado, the value of
information.

- Probability: the share of draws whose verdict is the most probable one, with the 95%
  Wilson interval's half-width from the number of draws as its margin of error.
- Percentiles: p10, p50, p90 of each model's monthly cost and of the gap (Kubernetes minus
  serverless) over the draws.
- Tornado: each uncertain input at its p10 and at its p90, every other input at its median:
  how far that swing moves the cost gap, and whether either end has another verdict (the swing
  crosses a flip).
- Value of information (`evpi`): the regret of a draw is what being on the most probable
  verdict costs when the rules, knowing that draw's inputs, choose another: the two
  verdicts' monthly costs apart. The expected value of perfect information on one input is
  the expected regret avoided by knowing it exactly: the draws are binned on that input
  (deciles); in each bin the decision is the rules' most probable verdict there, and where
  that differs from the overall one the regret it avoids is counted. A bin changes its
  verdict only when its lead is more than 3 standard errors (of the two counts), so an input
  that cannot change the decision gets 0, not sampling noise. The value of knowing every
  input is the verdict's expected regret itself.
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
from runplan.uncertainty.ranges import Z80
from runplan.uncertainty.sample import (
    DEFAULT_DRAWS,
    Draws,
    Input,
    default_price_uncertainty,
    judge,
    sample,
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
    verdict: str  # the most probable
    probability: float
    margin: float
    shares: dict[str, float]
    percentiles: dict[str, dict[str, float | None]]
    tornado: list[Bar]
    value_of_information: dict[str, float]  # input -> USD a month, largest first
    regret_usd: float  # the verdict's expected regret: the value of knowing every input exactly
    inputs: list[Input] = field(default_factory=list)
    point_verdict: str = ""

    @property
    def top_input(self) -> str | None:
        """The input most worth measuring: highest value of information, else widest swing."""
        if self.value_of_information and max(self.value_of_information.values()) > 0:
            return next(iter(self.value_of_information))
        crossing = [b for b in self.tornado if b.crosses]
        if crossing:
            return crossing[0].input
        return None

    def line(self) -> str:
        """The one-line text summary."""
        p = self.probability
        share = f"{p:.1%}" if 0.99 < p < 1 or 0 < p < 0.01 else f"{p:.0%}"
        margin = f"{self.margin:.1%}" if self.margin < 0.01 else f"{self.margin:.0%}"
        head = (f"{self.verdict} in {share} of plausible cases "
                f"(+/-{margin}, {self.draws:,} draws)")
        top = self.top_input
        if top is None:
            return f"{head}; " + ("no input's range changes it" if p == 1 else
                                  "no single input's range decides it")
        worth = self.value_of_information.get(top, 0.0)
        value = f", worth up to {usd(worth)}/month" if worth > 0 else ""
        return f"{head}; {top} decides it: measure it first{value}"


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
    n = len(x)
    bins = max(1, min(bins, n // 2))
    edges = np.quantile(x, np.linspace(0, 1, bins + 1)[1:-1])
    where = np.searchsorted(edges, x, side="right")  # ties stay together
    saved = 0.0
    for b in np.unique(where).tolist():
        inside = where == b
        m = int(inside.sum())
        counts = np.bincount(verdict[inside], minlength=len(regret))
        other = int(np.argmax(counts))  # the rules' verdict knowing x: the bin's most probable
        lead = int(counts[other]) - int(counts[chosen])
        if other == chosen or lead <= SIGNIFICANT_SE * math.sqrt(counts[other] + counts[chosen]):
            continue
        here = regret[:, inside]
        saved += max(0.0, float(here[chosen].mean() - here[other].mean())) * m / n
    return saved


def _percentiles(a: Array) -> dict[str, float | None]:
    finite = a[np.isfinite(a)]
    if len(finite) < len(a) or not len(a):
        return {"p10": None, "p50": None, "p90": None}
    p = np.percentile(finite, [10, 50, 90])
    return {"p10": round(float(p[0]), 2), "p50": round(float(p[1]), 2),
            "p90": round(float(p[2]), 2)}


def summarise(advisor: Advisor, result: Result, d: Draws) -> Summary:
    """The probability, percentiles, tornado and value of information of the draws."""
    n = len(d.verdict)
    counts = np.bincount(d.verdict, minlength=len(VERDICTS))
    chosen = int(np.argmax(counts))  # ties: the first in tie order (`verdict.TIE_ORDER`)
    p = float(counts[chosen]) / n
    gap = d.kubernetes_usd - d.serverless_usd
    regret = regrets(d.verdict, d.kubernetes_usd, d.serverless_usd)
    voi = {i.name: round(evpi(d.values[k], d.verdict, regret, chosen), 2)
           for k, i in enumerate(d.inputs)}
    voi = dict(sorted(voi.items(), key=lambda kv: (-kv[1], kv[0])))
    return Summary(
        draws=n, verdict=VERDICTS[chosen], probability=round(p, 4),
        margin=round(wilson_margin(p, n), 4),
        shares={VERDICTS[k]: round(float(c) / n, 4) for k, c in enumerate(counts.tolist())},
        percentiles={"kubernetes_usd": _percentiles(d.kubernetes_usd),
                     "serverless_usd": _percentiles(d.serverless_usd),
                     "gap_usd": _percentiles(gap)},
        tornado=tornado(advisor, result, d.inputs),
        value_of_information=voi,
        regret_usd=round(float(regret[chosen].mean()), 2),
        inputs=d.inputs, point_verdict=result.verdict.verdict)


def tornado(advisor: Advisor, result: Result, inputs: list[Input]) -> list[Bar]:
    """Each input at its p10 and p90, the others at their medians, widest swing first."""
    k = len(inputs)
    if not k:
        return []
    z = np.zeros((k, 1 + 2 * k))
    for j in range(k):
        z[j, 1 + 2 * j], z[j, 2 + 2 * j] = -Z80, Z80
    values = np.vstack([i.dist.ppf(z[j]) for j, i in enumerate(inputs)])
    d = judge(advisor, result, inputs, values)
    gap = d.kubernetes_usd - d.serverless_usd
    base = int(d.verdict[0])

    def money(x: float) -> float | None:
        return round(x, 2) if math.isfinite(x) else None

    bars = []
    for j, i in enumerate(inputs):
        lo, hi = 1 + 2 * j, 2 + 2 * j
        bars.append(Bar(i.name, float(values[j, lo]), float(values[j, hi]),
                        money(float(gap[lo])), money(float(gap[hi])),
                        VERDICTS[int(d.verdict[lo])], VERDICTS[int(d.verdict[hi])],
                        int(d.verdict[lo]) != base or int(d.verdict[hi]) != base))
    return sorted(bars, key=lambda b: (-b.swing, b.input))


def uncertain(advisor: Advisor, component: Component, result: Result, n: int = DEFAULT_DRAWS,
              price_uncertainty: float | None = None) -> Summary:
    """`sample` then `summarise`: the one call for a component without parts, and the one a
    decision record takes its probability, top drivers (`Summary.top_input`, `tornado`,
    `value_of_information`) and switching values (`result.flips`) from. `price_uncertainty`
    None: kbase/uncertainty.yaml's default."""
    if component.parts:
        raise UserError(Problem(result.name, None, "--uncertain", "a component with parts is "
                                "not sampled as a whole: give each part as a profile"))
    if advisor.probes is None or not advisor.probes.supported:
        raise UserError(Problem(result.name, None, "--uncertain", "these rules have a "
                                "condition the array evaluation cannot judge, which the "
                                "draws need"))
    pu = default_price_uncertainty() if price_uncertainty is None else price_uncertainty
    return summarise(advisor, result, sample(advisor, component, result, n, pu))


def with_probability(result: Result, s: Summary) -> Result:
    """The Result with the most probable verdict and its probability as the confidence."""
    verdict = replace(result.verdict, verdict=s.verdict, confidence=s.probability)
    if s.verdict == result.verdict.verdict:
        return replace(result, verdict=verdict)
    return replace(result, verdict=verdict, platform=cheapest(result.platforms, s.verdict))


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
        "expected_regret_usd": s.regret_usd,
        "top_input": s.top_input,
        "summary": s.line(),
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
