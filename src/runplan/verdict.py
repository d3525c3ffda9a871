"""From the fired rules to a verdict: hard exclusions first, then scores, then a tie rule.

- Every option starts at 0; each fired rule adds its score.
- An option excluded by a hard constraint cannot win while any option is not excluded.
  Hybrid is a candidate only when rules gave it a positive score (a split must be argued for).
- Highest score wins. On a tie, the option with the lower monthly cost wins (hybrid has no
  single cost and ranks after both); if that ties too, the fixed order serverless, kubernetes,
  hybrid decides (the cheapest option to be wrong with, and reversible, goes first).
- confidence = 1 - exp(-margin / 4), margin = the winner's score minus the best other
  feasible option's; 1.0 when no other option is feasible; 0.0 when every option is excluded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from runplan.profile import OPTIONS
from runplan.rulebase.spec import RuleSpec

TIE_ORDER = {"serverless": 0, "kubernetes": 1, "hybrid": 2}
CONFIDENCE_SCALE = 4.0


@dataclass(frozen=True)
class Verdict:
    verdict: str
    confidence: float
    scores: dict[str, float]
    excluded: dict[str, list[str]]
    all_excluded: bool


def decide(fired: Sequence[RuleSpec], monthly_usd: dict[str, float | None]) -> Verdict:
    """Verdict, confidence, scores and exclusions from the rules that fired."""
    scores: dict[str, float] = dict.fromkeys(OPTIONS, 0.0)
    excluded: dict[str, list[str]] = {o: [] for o in OPTIONS}
    for spec in fired:
        for option, points in spec.score:
            scores[option] += points
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
    if all_excluded:
        confidence = 0.0
    elif len(ordered) == 1:
        confidence = 1.0
    else:
        margin = scores[best] - scores[ordered[1]]
        confidence = round(1 - math.exp(-margin / CONFIDENCE_SCALE), 2)
    return Verdict(best, confidence, {o: round(s, 2) for o, s in scores.items()}, excluded,
                   all_excluded)
