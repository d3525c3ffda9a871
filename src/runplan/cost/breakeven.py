"""The load at which Kubernetes and serverless cost the same, everything else held.

Load is scaled as a whole (monthly requests and the peak together, the traffic shape kept).
The cost gap is scanned over a log grid from 1,000 to 10^12 requests a month; each sign change
is refined by bisection, and the crossing nearest the component's own load is reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

LOW, HIGH, STEPS_PER_DECADE, BISECTIONS = 1e3, 1e12, 6, 40


@dataclass(frozen=True)
class BreakEven:
    requests_per_month: float
    avg_rps: float
    serverless_cheaper_below: bool


Crossing = tuple[float, bool]  # (requests per month, serverless cheaper below it)


def crossings(diff: Callable[[float], float]) -> tuple[Crossing, ...]:
    """Every load at which `diff(rpm)` (Kubernetes minus serverless cost) changes sign."""
    decades = math.log10(HIGH / LOW)
    grid = [LOW * 10 ** (i / STEPS_PER_DECADE) for i in range(int(decades * STEPS_PER_DECADE) + 1)]
    values = [diff(x) for x in grid]
    out: list[Crossing] = []
    for (a, fa), (b, fb) in zip(zip(grid, values, strict=True), zip(grid[1:], values[1:],
                                                                    strict=True), strict=False):
        if (fa > 0) == (fb > 0):
            continue
        lo, hi, flo = a, b, fa
        for _ in range(BISECTIONS):
            mid = math.sqrt(lo * hi)
            fm = diff(mid)
            if (fm > 0) == (flo > 0):
                lo, flo = mid, fm
            else:
                hi = mid
            if hi / lo < 1.0001:
                break
        out.append((math.sqrt(lo * hi), fa > 0))
    return tuple(out)


def nearest(found: tuple[Crossing, ...], current_rpm: float, hours: float) -> BreakEven | None:
    """The crossing nearest the component's own load (None when the costs never cross)."""
    if not found:
        return None
    anchor = max(current_rpm, LOW)
    rpm, below = min(found, key=lambda c: abs(math.log(c[0] / anchor)))
    return BreakEven(rpm, rpm / (hours * 3600), below)


def break_even(diff: Callable[[float], float], current_rpm: float, hours: float,
               ) -> BreakEven | None:
    """`diff(rpm)` = Kubernetes minus serverless monthly cost; None when it never changes sign."""
    return nearest(crossings(diff), current_rpm, hours)
