"""`traffic._pattern_layout` over arrays: the same Layout as the hour-by-hour loop it replaced."""

from __future__ import annotations

import pytest

from runplan.cost.traffic import Layout, _layout, _pattern_layout, _ranking

PATTERNS = ["steady", "diurnal", "business-hours", "bursty", "scheduled", "event-driven"]


def _hour_by_hour(pattern: str, hours: int, active: int, peak_hours: int) -> Layout:
    """The loop as it was: the `active` busiest hours, the first `peak_hours` of them peak."""
    levels = [0] * hours
    for i, h in enumerate(_ranking(pattern, hours)[:active]):
        levels[h] = 2 if i < peak_hours else 1
    return _layout(tuple(levels))


@pytest.mark.parametrize("pattern", PATTERNS)
def test_array_layout_is_the_loop_s_layout(pattern: str) -> None:
    for hours in (1, 2, 24, 730):
        for active in range(0, hours + 1, max(1, hours // 61)):
            for peak in sorted({0, 1, active // 3, max(0, active - 1), active, active + 3}):
                got = _pattern_layout.__wrapped__(pattern, hours, active, peak)
                want = _hour_by_hour(pattern, hours, active, peak)
                assert got == want and repr(got) == repr(want), (hours, active, peak)


def test_a_small_layout_by_hand() -> None:
    """Four steady hours, ranked by the van der Corput position of hour + 1 (1/2, 1/4, 3/4,
    1/8): 3, 1, 0, 2. Three active, one at peak: hour 3 peak, hours 1 and 0 active, hour 2
    idle; sequence 1, 1, 0, 2, so the transitions are -1>1, 1>1, 1>0, 0>2 once each."""
    assert _ranking("steady", 4) == (3, 1, 0, 2)
    layout = _pattern_layout("steady", 4, 3, 1)
    assert layout == Layout(4, ((0, 1), (1, 2), (2, 1)),
                            (((-1, 1), 1), ((0, 2), 1), ((1, 0), 1), ((1, 1), 1)), (1, 1, 0, 2))
    assert all(type(x) is int for x in layout.sequence)
