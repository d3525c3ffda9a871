"""How runplan writes money (whole dollars from $100, cents below, `n/a` for no figure) and counts."""

from __future__ import annotations


def usd(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"${x:,.0f}" if abs(x) >= 100 else f"${x:,.2f}"


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """`1 rule`, `2 rules`, `1,024 files`: a count with its noun in the right number."""
    return f"{n:,} {noun if n == 1 else nouns or noun + 's'}"
