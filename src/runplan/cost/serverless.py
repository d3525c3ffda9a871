"""A bill's line items, how they are added, and the functions bill as a report holds it.

The functions bill itself is written once, over arrays, in `cost.vector.functions_bill` (a
single component's report is its one-row case).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass


def add_up(values: Iterable[float]) -> float:
    """Left-to-right addition. `sum` compensates rounding from Python 3.12 on; every bill
    total is added this way so the line items, the totals-only path and the array path
    (`cost.vector`) give the same float on any Python."""
    total = 0.0
    for v in values:
        total += v
    return total


# A value, never changed once made; not frozen because a frozen dataclass's __init__ costs
# 5-8x a plain one, and a batch makes thousands of these a second.
@dataclass(slots=True)
class LineItem:
    """One line of a bill: what it is, how much of it, and what it costs per month."""

    name: str
    quantity: float
    unit: str
    monthly_usd: float
    note: str = ""


@dataclass(frozen=True)
class ServerlessCost:
    items: tuple[LineItem, ...]
    platform: str = ""  # the kbase platform it is the bill of (`estimate.model_bills`)

    @functools.cached_property  # read several times per component; the items never change
    def monthly_usd(self) -> float:
        return add_up(i.monthly_usd for i in self.items)
