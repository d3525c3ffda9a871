"""How runplan writes money: whole dollars from $100, cents below, `n/a` for no figure."""

from __future__ import annotations


def usd(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"${x:,.0f}" if abs(x) >= 100 else f"${x:,.2f}"
