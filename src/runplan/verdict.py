"""From the fired rules to a verdict: hard exclusions first, then scores, then a tie rule.

- Every option starts at 0; each fired rule adds its points (its score; a graded rule's score
  times its degree, `compile.rule_points`).
- An option excluded by a hard constraint cannot win while any option is not excluded.
  Hybrid is a candidate only when rules gave it a positive score (a split must be argued for).
- Highest score wins. On a tie, the option with the lower monthly cost wins (hybrid has no
  single cost and ranks after both); if that ties too, the fixed order serverless, kubernetes,
  hybrid decides (the cheapest option to be wrong with, and reversible, goes first).
- confidence = 1 - exp(-margin / 4), margin = the winner's score minus the best other
  feasible option's; 1.0 when no other option is feasible; 0.0 when every option is excluded.
  `assumed_confidence` then lowers it for each flip on an input nobody gave (`Advisor`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runplan.profile import OPTIONS
from runplan.rulebase.compile import rule_points
from runplan.rulebase.spec import RuleSpec

TIE_ORDER = {"serverless": 0, "kubernetes": 1, "hybrid": 2}
CONFIDENCE_SCALE = 4.0
# How far a flip on an assumed input must lie for it to stop mattering: a default can easily
# be off by 10x (Shahrad et al. 2020: function durations span five orders of magnitude), and
# an idle share nobody gave by 0.3 (the gap between runplan's diurnal and business-hours
# defaults). A flip at that distance keeps 63% of the confidence, at 2x (or 0.1) about 26%.
ASSUMED_LOG_SCALE = math.log(10)
ASSUMED_SHARE_SCALE = 0.3


@dataclass(frozen=True)
class Verdict:
    verdict: str
    confidence: float
    scores: dict[str, float]
    excluded: dict[str, list[str]]
    all_excluded: bool
    points: tuple[tuple[tuple[str, float], ...], ...] = ()  # per fired rule, in their order
    margin: float = 0.0  # the winner's score minus the best other feasible option's
    runner_up: str | None = None  # that option (None when no other option is feasible)


def decide(fired: Sequence[RuleSpec], monthly_usd: dict[str, float | None],
           fields: dict[str, Any]) -> Verdict:
    """Verdict, confidence, scores and exclusions from the rules that fired (`fields`: what
    graded rules read)."""
    scores: dict[str, float] = dict.fromkeys(OPTIONS, 0.0)
    excluded: dict[str, list[str]] = {o: [] for o in OPTIONS}
    points = rule_points(fired, fields)
    for spec, given in zip(fired, points, strict=True):
        for option, p in given:
            scores[option] += p
        for option in spec.exclude:
            excluded[option].append(spec.id)
    # Hybrid is a candidate only where a rule says a split fits (a positive hybrid score).
    feasible = [o for o in OPTIONS if not excluded[o] and (o != "hybrid" or scores[o] > 0)]
    all_excluded = not feasible
    candidates = feasible or list(OPTIONS)

    def rank(option: str) -> tuple[float, float, int]:
        cost = monthly_usd.get(option)
        return (-scores[option], cost if cost is not None else math.inf, TIE_ORDER[option])

    ordered = sorted(candidates, key=rank)
    best = ordered[0]
    margin = math.inf
    if all_excluded:
        confidence = 0.0
    elif len(ordered) == 1:
        confidence = 1.0
    else:
        margin = scores[best] - scores[ordered[1]]
        confidence = round(1 - math.exp(-margin / CONFIDENCE_SCALE), 2)
    return Verdict(best, confidence, {o: round(s, 2) for o, s in scores.items()}, excluded,
                   all_excluded, tuple(points), margin,
                   ordered[1] if len(ordered) > 1 and not all_excluded else None)


def assumed_confidence(confidence: float, distances: Sequence[tuple[float, bool]]) -> float:
    """The confidence lowered for each flip on an input nobody gave: `distances` holds, per
    such flip, how far it lies (|ln(to / now)|, or the idle share's difference) and whether
    that is an idle-share difference. Each multiplies the confidence by 1 - exp(-d / scale):
    a verdict that turns on a guess near the guessed value is not a confident one."""
    for distance, share in distances:
        scale = ASSUMED_SHARE_SCALE if share else ASSUMED_LOG_SCALE
        confidence *= 1 - math.exp(-distance / scale)
    return round(confidence, 2)
