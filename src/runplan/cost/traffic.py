"""Turn a profile's traffic figures into an hourly load over a month.

The month has `hours` hours (730 by default). Of them, round(idle_fraction x hours) carry no
traffic; the pattern decides which (nights for diurnal, evenings and weekends for
business-hours, a seeded scatter for bursty and event-driven, even spacing for scheduled).
Of the active hours, the pattern's `peak_hour_share` run at `peak_rps`; the rest share what is
left of the monthly total equally. So the monthly total is kept exactly, the busiest hour runs
at the peak, and the idle hours match the idle fraction.

When the month's volume cannot fill even one whole hour at the peak (a job that runs a few
minutes a day), the peak is shorter than an hour: every active hour then carries an equal share
of the volume and is flagged as containing a burst at `peak_rps`, which is what capacity and
cold starts are sized on.

The shape is computed once, over arrays (`cost.vector.shapes`); this module holds the layouts
(which hour is at which level) and `Shape`, a shape given hour by hour for hand calculations.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Layout:
    """Which level each hour of the month is at, summarised for the cost core.

    The cost of an hour depends only on its level and the previous hour's level (a rise boots
    nodes, a fall keeps them a while, an instance warm in one hour can serve the next), so the
    cost core sums over `counts` (hours per level) and `transitions` ((previous level, level)
    -> how often; the first hour's previous level is -1) instead of over every hour.
    """

    hours: int
    counts: tuple[tuple[int, int], ...]
    transitions: tuple[tuple[tuple[int, int], int], ...]
    sequence: tuple[int, ...]


def _layout(sequence: tuple[int, ...]) -> Layout:
    counts: dict[int, int] = {}
    transitions: dict[tuple[int, int], int] = {}
    previous = -1
    for level in sequence:
        counts[level] = counts.get(level, 0) + 1
        transitions[previous, level] = transitions.get((previous, level), 0) + 1
        previous = level
    return Layout(len(sequence), tuple(sorted(counts.items())), tuple(sorted(transitions.items())),
                  sequence)


@lru_cache(maxsize=1024)  # a layout holds its 730-hour sequence: ~6 KB each
def _pattern_layout(pattern: str, hours: int, active: int, peak_hours: int) -> Layout:
    """Idle hours at level 0; of the `active` busiest hours, the first `peak_hours` at level 2
    and the rest at level 1. Over arrays: estates with measured loads and idle shares miss
    this cache for most components, and the hour-by-hour loop was 45% of scoring them; the
    result is `_layout` of the same sequence (a test compares the two for every pattern)."""
    import numpy as np

    order = np.asarray(_ranking(pattern, hours), dtype=np.intp)
    levels = np.zeros(hours, dtype=np.intp)
    levels[order[:active]] = 1
    levels[order[:min(peak_hours, active)]] = 2
    counts = np.bincount(levels, minlength=3)
    previous = np.concatenate(([-1], levels[:-1]))
    pairs = np.bincount((previous + 1) * 3 + levels, minlength=12)  # (previous, level), sorted
    return Layout(hours, tuple((int(lv), int(n)) for lv, n in enumerate(counts.tolist()) if n),
                  tuple(((int(code) // 3 - 1, int(code) % 3), int(n))
                        for code, n in enumerate(pairs.tolist()) if n),
                  tuple(levels.tolist()))


IDLE, ACTIVE, PEAK = 0, 1, 2
FLAT_TOLERANCE = 1e-12  # a peak this close to the mean is no peak


@dataclass(frozen=True)
class Shape:
    """The month's load: every hour is at one of a few levels, each with the hour's average
    rate (`load`) and the rate capacity must meet in it (`serve`: the burst peak where the hour
    holds one, else the average)."""

    load: tuple[float, ...]
    serve: tuple[float, ...]
    layout: Layout
    peak_rps: float

    @property
    def load_rps(self) -> tuple[float, ...]:
        """Average requests per second in each hour."""
        return tuple(self.load[level] for level in self.layout.sequence)

    def rate_to_serve(self, hour: int) -> float:
        """The rate capacity must meet in an hour: the burst peak or the hour's average."""
        return self.serve[self.layout.sequence[hour]]

    @classmethod
    def from_hours(cls, load_rps: tuple[float, ...], peak: tuple[bool, ...], peak_rps: float,
                   ) -> Shape:
        """A shape given hour by hour (for tests and hand calculations)."""
        keys: dict[tuple[float, bool], int] = {}
        sequence = tuple(keys.setdefault((x, f), len(keys)) for x, f in zip(load_rps, peak,
                                                                             strict=True))
        pairs = sorted(keys, key=keys.__getitem__)
        return cls(tuple(x for x, _ in pairs), tuple(peak_rps if f else x for x, f in pairs),
                   _layout(sequence), peak_rps)


def _score(pattern: str, hour: int) -> float:
    """How likely an hour is to be busy under a pattern (higher = busier); hour 0 = Monday 00:00."""
    hour_of_day, day = hour % 24, (hour // 24) % 7
    if pattern == "diurnal":
        return math.cos(2 * math.pi * (hour_of_day - 14) / 24)
    if pattern == "business-hours":
        weekday = day < 5
        return (2.0 if weekday and 9 <= hour_of_day < 18 else 0.0) + math.cos(
            2 * math.pi * (hour_of_day - 13) / 24) * 0.5 + (0.25 if weekday else 0.0)
    return 0.0


@lru_cache(maxsize=64)
def _ranking(pattern: str, hours: int) -> tuple[int, ...]:
    """Hours from busiest to quietest; ties broken by a fixed spread so choices are even."""
    if pattern in ("bursty", "event-driven"):
        order = list(range(hours))
        random.Random(f"runplan-{pattern}").shuffle(order)  # seeded: same input, same bytes
        return tuple(order)
    if pattern in ("scheduled", "steady"):
        # Bit-reversal-like spread: 0, h/2, h/4, 3h/4 ... so any prefix is evenly spaced.
        return tuple(sorted(range(hours), key=lambda h: (_spread_key(h, hours), h)))
    return tuple(sorted(range(hours), key=lambda h: (-_score(pattern, h), _spread_key(h, hours))))


def _spread_key(hour: int, hours: int) -> float:
    """Van der Corput position of an hour: prefixes of the sorted order are evenly spread."""
    n, denom, out = hour + 1, 1.0, 0.0
    while n:
        denom *= 2
        n, rem = divmod(n, 2)
        out += rem / denom
    return out
