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
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Shape:
    """Average requests per second in each hour, and whether the hour holds a peak burst."""

    load_rps: tuple[float, ...]
    peak: tuple[bool, ...]
    peak_rps: float

    def rate_to_serve(self, hour: int) -> float:
        """The rate capacity must meet in an hour: the burst peak or the hour's average."""
        return self.peak_rps if self.peak[hour] else self.load_rps[hour]


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


def hourly_shape(pattern: str, requests_per_month: float, peak_rps: float,
                 idle_fraction: float, peak_hour_share: float, hours: int = 730) -> Shape:
    """The month's hourly load for a traffic pattern (see the module docstring)."""
    if requests_per_month <= 0:
        return Shape((0.0,) * hours, (False,) * hours, peak_rps)
    active = max(1, hours - round(idle_fraction * hours))
    order = _ranking(pattern, hours)
    active_hours = order[:active]
    mean_active = requests_per_month / (active * 3600)
    peak = max(peak_rps, mean_active)
    load = [0.0] * hours
    flags = [False] * hours
    k = max(1, round(active * peak_hour_share))
    if peak <= mean_active * (1 + 1e-12) or k >= active:
        for h in active_hours:
            load[h] = mean_active
            flags[h] = peak > mean_active
        return Shape(tuple(load), tuple(flags), peak)
    k = min(k, math.floor(requests_per_month / (peak * 3600)))
    if k == 0:  # the peak is a sub-hour burst in every active hour
        for h in active_hours:
            load[h] = mean_active
            flags[h] = True
        return Shape(tuple(load), tuple(flags), peak)
    rest = (requests_per_month - k * peak * 3600) / ((active - k) * 3600)
    for i, h in enumerate(active_hours):
        load[h] = peak if i < k else rest
        flags[h] = i < k
    return Shape(tuple(load), tuple(flags), peak)
