"""Typed rule specifications, the neutral form between a rule file and the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldCond:
    """`{field: traffic.idle_fraction, op: gte, value: 0.5}`; `negate` comes from a `not`."""

    field: str
    op: str
    value: Any = None
    negate: bool = False


@dataclass(frozen=True)
class FactCond:
    """`{fact: idle_heavy}`: a derived fact asserted by another rule (or its absence)."""

    fact: str
    negate: bool = False


@dataclass(frozen=True)
class AllCond:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class AnyCond:
    items: tuple[Cond, ...]


Cond = FieldCond | FactCond | AllCond | AnyCond


@dataclass(frozen=True)
class Ramp:
    """`{field: cost.ratio, from: 1, to: 50, scale: log}`: 0 at `start`, 1 at `end`, linear
    between (in the logarithm with `log`), held at 0 and 1 outside; 0 where the field is
    missing (or negative, on a log ramp; a 0 lies at the far low end). `start` > `end` makes a
    falling ramp."""

    field: str
    start: float
    end: float
    log: bool = False


@dataclass(frozen=True)
class FactGrade:
    """`{fact: steady_load}` in a grade: the degree of a derived fact (that of the rule that
    asserted it, the largest if several did)."""

    fact: str


GradeTerm = Ramp | FactGrade


@dataclass(frozen=True)
class RuleSpec:
    id: str
    title: str
    source: str
    rationale: str
    when: Cond
    asserts: tuple[str, ...] = ()
    score: tuple[tuple[str, float], ...] = ()
    grade: tuple[GradeTerm, ...] = ()  # the rule's degree, 0..1: the product of its terms
    exclude: tuple[str, ...] = ()
    message: str = ""
    theme: str = ""
    file: str = ""
    line: int = 0
    recommendation: str = ""
    aliases: tuple[str, ...] = ()
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict, hash=False,
                                                      compare=False)

    def effect(self, points: tuple[tuple[str, float], ...] | None = None) -> str:
        """`serverless +3, kubernetes -1, excludes serverless`: what firing does to the verdict
        (with `points`: what it did for one component; a graded rule's `score` is its most)."""
        if points is not None:
            parts = [f"{opt} {pts:+.2f}".rstrip("0").rstrip(".") for opt, pts in points]
        elif self.grade:
            terms = ", ".join(_term(t) for t in self.grade)
            parts = [f"{opt} {pts:+g} at most" for opt, pts in self.score]
            parts[-1:] = [f"{parts[-1]}, graded by {terms}"] if parts else []
        else:
            parts = [f"{opt} {pts:+g}" for opt, pts in self.score]
        parts += [f"excludes {opt}" for opt in self.exclude]
        parts += [f"asserts {f}" for f in self.asserts] if not parts else []
        return ", ".join(parts)

    def fields_read(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.field for c in leaves(self.when)
                                   if isinstance(c, FieldCond)))

    def facts_read(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.fact for c in leaves(self.when) if isinstance(c, FactCond)))

    def facts_needed(self) -> tuple[str, ...]:
        """The derived facts its condition or its grade reads: it fires after their producers."""
        return tuple(dict.fromkeys((*self.facts_read(), *(t.fact for t in self.grade
                                                           if isinstance(t, FactGrade)))))

    def fields_graded(self) -> tuple[str, ...]:
        """The fields the rule's grade reads (beyond those its condition reads)."""
        return tuple(dict.fromkeys(t.field for t in self.grade if isinstance(t, Ramp)))


def _term(t: GradeTerm) -> str:
    if isinstance(t, FactGrade):
        return t.fact
    return f"{t.field} {t.start:g} to {t.end:g}{' (log)' if t.log else ''}"


def leaves(c: Cond) -> list[FieldCond | FactCond]:
    """The field and fact conditions of a condition tree, in reading order."""
    if isinstance(c, AllCond | AnyCond):
        return [leaf for item in c.items for leaf in leaves(item)]
    return [c]
