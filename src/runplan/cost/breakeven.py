"""The load at which Kubernetes and serverless cost the same, everything else held.

Load is scaled as a whole (monthly requests and the peak together, the traffic shape kept).
The cost gap is scanned over a log grid from 1,000 to 10^12 requests a month; each sign change
is refined by bisection, and the crossing nearest the component's own load is reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

LOW, HIGH, STEPS_PER_DECADE, BISECTIONS = 1e3, 1e12, 6, 40
PRECISION = 1.0001  # a bisection stops once hi / lo is under this


@dataclass(frozen=True)
class BreakEven:
    requests_per_month: float
    avg_rps: float
    serverless_cheaper_below: bool


Crossing = tuple[float, bool]  # (requests per month, serverless cheaper below it)
GRID: tuple[float, ...] = tuple(
    LOW * 10 ** (i / STEPS_PER_DECADE)
    for i in range(int(math.log10(HIGH / LOW) * STEPS_PER_DECADE) + 1))


class Scan:
    """The cost gap over the fixed log grid, evaluated only where asked and remembered, with
    each sign change refined by the same bisection whoever asks first."""

    def __init__(self, diff: Callable[[float], float],
                 many: Callable[[Sequence[float]], list[float]] | None = None) -> None:
        """`many`: the gap at many loads in one call (the same floats as `diff` at each),
        which prices the whole grid at once the first time a grid value is asked for."""
        self.diff = diff
        self.many = many
        self._values: dict[int, float] = {}
        self._refined: dict[int, Crossing | None] = {}

    def value(self, i: int) -> float:
        if i not in self._values:
            if self.many is not None:
                self._values = dict(enumerate(self.many(GRID)))
            else:
                self._values[i] = self.diff(GRID[i])
        return self._values[i]

    def crossing(self, i: int) -> Crossing | None:
        """The crossing inside [GRID[i], GRID[i + 1]], if the gap changes sign there."""
        if i in self._refined:
            return self._refined[i]
        fa, fb = self.value(i), self.value(i + 1)
        found: Crossing | None = None
        if (fa > 0) != (fb > 0):
            lo, hi, flo = GRID[i], GRID[i + 1], fa
            for _ in range(BISECTIONS):
                mid = math.sqrt(lo * hi)
                fm = self.diff(mid)
                if (fm > 0) == (flo > 0):
                    lo, flo = mid, fm
                else:
                    hi = mid
                if hi / lo < PRECISION:
                    break
            found = (math.sqrt(lo * hi), fa > 0)
        self._refined[i] = found
        return found


def _gap_to(i: int, log_anchor: float) -> float:
    """How far (in log load) the grid interval i lies from the anchor: 0 when it holds it."""
    lo, hi = math.log(GRID[i]), math.log(GRID[i + 1])
    return 0.0 if lo <= log_anchor <= hi else min(abs(lo - log_anchor), abs(hi - log_anchor))


def nearest_crossing(scan: Scan, current_rpm: float, hours: float) -> BreakEven | None:
    """The crossing nearest the component's own load (None when the costs never cross).

    Grid intervals are visited outward from the load, and the walk stops once every interval
    left is farther than the best crossing found, so usually only a few decades are priced;
    the answer is the one a scan of the whole grid would give (ties: the lower load).
    """
    anchor = max(current_rpm, LOW)
    la = math.log(anchor)
    best: tuple[float, int, Crossing] | None = None
    for i in sorted(range(len(GRID) - 1), key=lambda j: (_gap_to(j, la), j)):
        if best is not None and _gap_to(i, la) > best[0]:
            break
        found = scan.crossing(i)
        if found is not None:
            d = abs(math.log(found[0] / anchor))
            if best is None or (d, i) < best[:2]:
                best = (d, i, found)
    if best is None:
        return None
    rpm, below = best[2]
    return BreakEven(rpm, rpm / (hours * 3600), below)
