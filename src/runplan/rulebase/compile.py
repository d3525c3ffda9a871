"""From rule specs to what the engine runs: total predicates, negation pushed to the leaves,
salience tiers so that every producer of a derived fact fires before all of its readers, and
message templates filled without eval.
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from runplan.fmt import num, number_of, usd
from runplan.rulebase.spec import (
    AllCond,
    AnyCond,
    Cond,
    FactCond,
    FactGrade,
    FieldCond,
    Ramp,
    RuleSpec,
)

# A graded rule's points are kept to multiples of 1/1024: sums of such numbers are exact in
# floating point whatever the order, so the experta path and the array path (which add the
# same points in different orders) reach the same scores bit for bit, ties included.
QUANTUM = 1024.0


def is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _cmp(fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(actual: Any, expected: Any) -> bool:
        return is_number(actual) and fn(actual, expected)

    return check


def _member(actual: Any, expected: Any) -> bool:
    if isinstance(actual, tuple | list):  # a list field (compliance) matches if any item is in
        return any(a in expected for a in actual)
    return actual in expected


def _same(a: Any, b: Any) -> bool:
    """Equality that keeps booleans apart from 0 and 1."""
    return bool(a == b) and isinstance(a, bool) == isinstance(b, bool)


OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a is not None and _same(a, b),
    "ne": lambda a, b: a is not None and not _same(a, b),
    "lt": _cmp(lambda a, b: a < b),
    "lte": _cmp(lambda a, b: a <= b),
    "gt": _cmp(lambda a, b: a > b),
    "gte": _cmp(lambda a, b: a >= b),
    "between": _cmp(lambda a, b: b[0] <= a <= b[1]),
    "in": lambda a, b: a is not None and _member(a, b),
    "not_in": lambda a, b: a is not None and not _member(a, b),
    "exists": lambda a, b: (a is not None and a != ()) == bool(b),
}


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt, "lte": operator.le, "gt": operator.gt, "ge": operator.ge,
    "gte": operator.ge}
_NUMBER = (int, float)


def predicate(cond: FieldCond) -> Callable[[Any], bool]:
    """A total predicate for one field condition: a missing or None value never raises.

    Comparisons against a number, equality with a string or a boolean and membership in
    strings get direct closures (they run millions of times in a batch); everything else
    goes through `OPS`. All mean exactly what `OPS` says (tests/test_rules.py checks).
    """
    fn, expected, negate = OPS[cond.op], cond.value, cond.negate
    if isinstance(expected, list):
        expected = tuple(expected)

    def generic(actual: Any) -> bool:
        try:
            result = bool(fn(actual, expected))
        except (TypeError, ValueError):
            result = False
        return not result if negate else result

    compare = _COMPARE.get(cond.op)
    flip = negate != (cond.op in ("ne", "not_in"))  # `ne`: not None and not `eq`, and so on
    check: Callable[[Any], bool]
    if compare is not None and is_number(expected):

        def check(actual: Any) -> bool:
            # type() rather than isinstance: True is an int, but never a number here (is_number).
            return (type(actual) in _NUMBER and compare(actual, expected)) != negate
    elif cond.op in ("eq", "ne") and isinstance(expected, bool):

        def check(actual: Any) -> bool:
            return negate if actual is None else (actual is expected) != flip
    elif cond.op in ("eq", "ne") and isinstance(expected, str):

        def check(actual: Any) -> bool:
            if actual is None:
                return negate
            return (type(actual) is str and actual == expected) != flip
    elif cond.op in ("in", "not_in") and isinstance(expected, tuple) and \
            all(isinstance(x, str) for x in expected):
        members = frozenset(expected)

        def check(actual: Any) -> bool:
            if type(actual) is str:
                return (actual in members) != flip
            return generic(actual)  # None, lists (compliance) and the rest
    else:
        check = generic

    check.__name__ = f"{cond.field} {'not ' if negate else ''}{cond.op} {expected!r}"
    return check


def ramp_degree(values: Any, ramp: Ramp) -> Any:
    """A `Ramp` over an array of floats (NaN where missing): 0 before `start`, 1 after `end`,
    linear between (in the logarithm for a log ramp). The flip search's arrays use this;
    `ramp_one` is the same formula on one float (tests check they agree)."""
    x = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if ramp.log:  # 0 (a figure rounded to nothing) lies at the far low end: -inf
            x = np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.where(x == 0, -np.inf, np.nan))
            a, b = math.log(ramp.start), math.log(ramp.end)
        else:
            a, b = ramp.start, ramp.end
        t = np.clip((x - a) / (b - a), 0.0, 1.0)
    return np.where(np.isnan(t), 0.0, t)


def ramp_one(value: Any, ramp: Ramp) -> float:
    """`ramp_degree` for one value (a component's own verdict: numpy's per-call cost would be
    a twentieth of a batch); 0 for a missing or non-numeric value."""
    if not is_number(value) or math.isnan(value) or (ramp.log and value < 0):
        return 0.0
    if ramp.log and value == 0:  # a figure rounded to nothing: the far low end of the ramp
        return 1.0 if ramp.end < ramp.start else 0.0
    if ramp.log:
        x, a, b = math.log(value), math.log(ramp.start), math.log(ramp.end)
    else:
        x, a, b = value, ramp.start, ramp.end
    return min(1.0, max(0.0, (x - a) / (b - a)))


def graded(points: float, degree: Any) -> Any:
    """A graded rule's points at `degree` (an array), to the nearest 1/QUANTUM."""
    return np.round(np.multiply(points, degree) * QUANTUM) / QUANTUM


def graded_one(points: float, degree: float) -> float:
    """`graded` for one degree (Python's round, like numpy's, rounds half to even)."""
    return round(points * degree * QUANTUM) / QUANTUM


def rule_points(fired: Iterable[RuleSpec], fields: dict[str, Any],
                ) -> list[tuple[tuple[str, float], ...]]:
    """The points each fired rule gives, in the order given (producers of a derived fact
    before its readers, as experta fires them): a plain rule its `score`; a graded rule its
    `score` times its degree, the product of its ramps and of the degrees of the facts it
    names. A fact's degree is that of the rule that asserted it (the largest, if several)."""
    facts: dict[str, float] = {}
    out = []
    for spec in fired:
        if not spec.grade:
            out.append(spec.score)
            for f in spec.asserts:
                facts[f] = 1.0
            continue
        degree = 1.0
        for term in spec.grade:
            if isinstance(term, FactGrade):
                degree *= facts.get(term.fact, 0.0)
            else:
                degree *= ramp_one(fields.get(term.field), term)
        for f in spec.asserts:
            facts[f] = max(facts.get(f, 0.0), degree)
        out.append(tuple((option, graded_one(p, degree)) for option, p in spec.score))
    return out


def negate(c: Cond) -> Cond:
    """De Morgan: the negation of a condition with `not` only on leaves."""
    if isinstance(c, FieldCond):
        return FieldCond(c.field, c.op, c.value, not c.negate)
    if isinstance(c, FactCond):
        return FactCond(c.fact, not c.negate)
    if isinstance(c, AllCond):
        return AnyCond(tuple(negate(i) for i in c.items))
    return AllCond(tuple(negate(i) for i in c.items))


def stratify(rules: list[RuleSpec], last_theme: str = "verdict") -> dict[str, int]:
    """Tier of each rule: producers of a fact sit in a lower tier than every reader of it.

    Rules of the `last_theme` (the verdict rules) sit after all others. Raises ValueError on a
    cycle (a fact that, through other rules, depends on itself).
    """
    producers: dict[str, list[str]] = {}
    for r in rules:
        for f in r.asserts:
            producers.setdefault(f, []).append(r.id)
    by_id = {r.id: r for r in rules}
    tier: dict[str, int] = {}
    visiting: set[str] = set()

    def visit(rule_id: str, chain: tuple[str, ...]) -> int:
        if rule_id in tier:
            return tier[rule_id]
        if rule_id in visiting:
            raise ValueError("derived facts form a cycle: " + " -> ".join((*chain, rule_id)))
        visiting.add(rule_id)
        level = 0
        for fact in by_id[rule_id].facts_needed():
            for p in producers.get(fact, []):
                if p != rule_id:
                    level = max(level, visit(p, (*chain, rule_id)) + 1)
        visiting.discard(rule_id)
        tier[rule_id] = level
        return level

    for r in rules:
        visit(r.id, ())
    top = max(tier.values(), default=0) + 1
    for r in rules:
        if r.theme == last_theme:
            tier[r.id] = max(tier[r.id], top)
    return tier


# `{field}`, `{field:style}`, or `{field:style noun}`: a count with its noun, singular when the
# figure shows as 1 (`{traffic.requests_per_month:int run}`: "1 run", "30 runs").
_PLACEHOLDER = re.compile(
    r"\{([a-z_][a-z0-9_.]*)(?::(pct|usd|int|num|ms|s|list|a|A)(?: ([a-z]+))?)?\}")
# Words read with a vowel sound though spelled with a consonant (`an ml-inference`).
_VOWEL_SOUND = re.compile(r"[aeio]|u(?!ni|se|sa|ti)|ml\b|ml-|sql\b|x-|html?\b|http", re.I)


def with_article(word: str, capital: bool = False) -> str:
    """`word` after "a" or "an", as it is read: `a webhook`, `an event-handler`, `an api`;
    `capital`: at the start of a sentence (`An event-handler`)."""
    article = "an" if _VOWEL_SOUND.match(word) else "a"
    return f"{article.capitalize() if capital else article} {word}"


def placeholders(template: str) -> list[str]:
    return [m.group(1) for m in _PLACEHOLDER.finditer(template)]


def _format(value: Any, style: str | None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, tuple | list):
        return ", ".join(map(str, value)) or "none"
    if style in ("a", "A"):
        return with_article(str(value).lower() if isinstance(value, bool) else str(value),
                            capital=style == "A")
    if isinstance(value, bool) or not is_number(value):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if not math.isfinite(value):
        return str(value)
    if style == "pct":
        return f"{value * 100:.0f}%" if value >= 0.01 or value == 0 else f"{num(value * 100, 2)}%"
    if style == "usd":
        return usd(value)
    if style == "int":
        return f"{value:,.0f}"
    if style == "ms":
        return f"{value:,.0f} ms"
    if style == "s":
        return f"{value:,.0f} s"
    return num(value, 4)


def render(template: str, fields: dict[str, Any],
           assumed: Callable[[str], bool] | None = None) -> str:
    """Fill `{traffic.idle_fraction:pct}`-style placeholders from the fields; a figure that
    stands on an input nobody gave (`assumed`) says so: "Idle 80% (assumed) of the month"."""
    out = []
    for text, name, style, noun in _pieces(template):
        out.append(text)
        if name is not None:
            shown = _format(fields.get(name), style)
            out.append(shown)
            if assumed is not None and fields.get(name) is not None and assumed(name):
                out.append(" (assumed)")
            if noun is not None:
                out.append(f" {number_of(shown, noun)}")
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def _pieces(template: str) -> tuple[tuple[str, str | None, str | None, str | None], ...]:
    """A template split once into (text before, placeholder field, style, noun) pieces: a
    batch renders the same few dozen messages for every component."""
    out: list[tuple[str, str | None, str | None, str | None]] = []
    at = 0
    for m in _PLACEHOLDER.finditer(template):
        out.append((template[at:m.start()], m.group(1), m.group(2), m.group(3)))
        at = m.end()
    out.append((template[at:], None, None, None))
    return tuple(out)
