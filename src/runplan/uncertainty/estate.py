"""`score --uncertain`: the estate's answers from its components' draws.

Each component sends back, besides its summary, its draws as deviations from its own point
(`ComponentDraws`): each model's monthly cost and the cost of its verdict in each draw minus
those at the median inputs, and whether the draw's verdict is Kubernetes. Draw j of every
component stands on the same estate-wide figures (people, prices: `sample.draw_z`), so the
sums over components are draws of the estate:

- each strategy's total: the portfolio's own figure (clusters' fixed costs, allocation, as
  `portfolio` works them out at the point) plus the sum of its components' deviations in
  the draw (all Kubernetes: their Kubernetes bills; all serverless: their serverless bills;
  the recommended mix: each on its draw's verdict); p10, p50, p90 over the draws;
- the probability that the estate runs a cluster on a provider: 1 where the estate has one
  anyway for a reason the draws do not move (a team runs one already, a component only
  nodes run: `portfolio.ClusterSurvey`), else the share of draws in which at least one
  component's verdict puts it on a cluster (its verdict is not serverless and its
  Kubernetes platform in that draw is a cluster the team runs: nodes, EKS on Fargate; not
  ECS on Fargate or Cloud Run), as `portfolio.placement` places it at the point;
- "measure these first": the components and inputs with the highest value of information.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from runplan.cost.vector import Array
from runplan.probes import VERDICTS
from runplan.uncertainty.report import Summary

MEASURE_FIRST = 10
SLS = VERDICTS.index("serverless")


@dataclass
class ComponentDraws:
    """What the estate needs of one component's draws (sent from a worker)."""

    name: str
    provider: str
    probability: float
    top_input: str | None
    top_value_usd: float
    kubernetes_delta: Array  # (N,) float32
    serverless_delta: Array
    mix_delta: Array
    on_cluster: Array  # (N,) bool: the draw's verdict puts it on a cluster


def component_draws(s: Summary, name: str, provider: str) -> ComponentDraws:
    d, t = s.draws_judged, s.point
    assert d is not None and t is not None
    pk, ps = float(t.kubernetes_usd[0]), float(t.serverless_usd[0])

    def delta(a: Array, point: float) -> Array:
        with np.errstate(invalid="ignore"):
            out = a - point
        return np.where(np.isfinite(out), out, 0.0)

    mix = delta(d.mix_usd, float(t.mix_usd[0]))  # on each draw's verdict, as the mix prices it
    top = s.top_input
    return ComponentDraws(name, provider, s.probability, top,
                          s.value_of_information.get(top, 0.0) if top else 0.0,
                          delta(d.kubernetes_usd, pk).astype(np.float32),
                          delta(d.serverless_usd, ps).astype(np.float32),
                          mix.astype(np.float32), (d.verdict != SLS) & d.runs_cluster)


@dataclass
class EstateDraws:
    """The running sums over the estate's components, in input order."""

    draws: int
    components: int = 0
    kubernetes: Array | None = None
    serverless: Array | None = None
    mix: Array | None = None
    cluster: dict[str, Array] = field(default_factory=dict)  # provider -> any on a cluster
    _measure: list[tuple[float, int, str, str]] = field(default_factory=list)

    def add(self, c: ComponentDraws) -> None:
        i = self.components
        self.components += 1
        n = self.draws
        if self.kubernetes is None or self.serverless is None or self.mix is None:
            self.kubernetes, self.serverless, self.mix = np.zeros(n), np.zeros(n), np.zeros(n)
        self.kubernetes += c.kubernetes_delta
        self.serverless += c.serverless_delta
        self.mix += c.mix_delta
        self.cluster[c.provider] = self.cluster.get(c.provider, np.zeros(n, dtype=bool)) | \
            c.on_cluster
        if c.top_input is not None and c.top_value_usd > 0:
            item = (c.top_value_usd, -i, c.name, c.top_input)
            if len(self._measure) < MEASURE_FIRST:
                heapq.heappush(self._measure, item)
            else:
                heapq.heappushpop(self._measure, item)

    def summary(self, portfolio: dict[str, Any]) -> dict[str, Any]:
        """The estate's uncertainty (the JSON contract's `portfolio.uncertainty`)."""
        strategies = portfolio["strategies"]
        out: dict[str, Any] = {"draws": self.draws, "components_sampled": self.components}
        totals: dict[str, Any] = {}
        sums = {"all_kubernetes": self.kubernetes, "all_serverless": self.serverless,
                "recommended_mix": self.mix}
        for key, delta in sums.items():
            base = strategies[key]["monthly_usd"]
            if delta is None:
                totals[key] = {"p10": base, "p50": base, "p90": base}
                continue
            p = np.percentile(base + delta, [10, 50, 90])
            totals[key] = {"p10": round(float(p[0]), 2), "p50": round(float(p[1]), 2),
                           "p90": round(float(p[2]), 2)}
        out["strategy_totals_usd"] = totals
        decided = portfolio.get("cluster_decision") or {}
        anyway = {prov for prov, d in decided.items()
                  if d["justified"] and d["fixed_usd"] is None}  # a team's, or one only nodes run
        out["cluster_justified_probability"] = {
            provider: 1.0 if provider in anyway else round(float(a.mean()), 4)
            for provider, a in sorted(self.cluster.items())}
        out["measure_first"] = [
            {"name": name, "input": what, "value_usd": round(value, 2)}
            for value, _, name, what in sorted(self._measure, key=lambda x: (-x[0], -x[1]))]
        return out


def estate_lines(u: dict[str, Any]) -> list[str]:
    """The estate's uncertainty in sentences (text, Markdown, HTML)."""
    from runplan.fmt import plural, usd

    lines = [f"{plural(u['components_sampled'], 'component')} sampled, {u['draws']:,} draws "
             "each."]
    for provider, p in u["cluster_justified_probability"].items():
        lines.append(f"A cluster on {provider} is justified in {p:.0%} of plausible cases.")
    names = {"all_kubernetes": "all Kubernetes", "all_serverless": "all serverless",
             "recommended_mix": "recommended mix"}
    for key, t in u["strategy_totals_usd"].items():
        lines.append(f"{names[key]}: p10 {usd(t['p10'])}, p50 {usd(t['p50'])}, "
                     f"p90 {usd(t['p90'])} a month")
    return lines


def measure_lines(u: dict[str, Any]) -> list[str]:
    from runplan.fmt import usd

    return [f"{i}. {m['name']}: {m['input']} (worth up to {usd(m['value_usd'])}/month)"
            for i, m in enumerate(u["measure_first"], 1)]
