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
class RuleSpec:
    id: str
    title: str
    source: str
    rationale: str
    when: Cond
    asserts: tuple[str, ...] = ()
    score: tuple[tuple[str, float], ...] = ()
    exclude: tuple[str, ...] = ()
    message: str = ""
    theme: str = ""
    file: str = ""
    line: int = 0
    recommendation: str = ""
    aliases: tuple[str, ...] = ()
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict, hash=False,
                                                      compare=False)

    def effect(self) -> str:
        """`serverless +3, kubernetes -1, excludes serverless`: what firing does to the verdict."""
        parts = [f"{opt} {pts:+g}" for opt, pts in self.score]
        parts += [f"excludes {opt}" for opt in self.exclude]
        parts += [f"asserts {f}" for f in self.asserts] if not parts else []
        return ", ".join(parts)

    def fields_read(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.field for c in leaves(self.when)
                                   if isinstance(c, FieldCond)))

    def facts_read(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.fact for c in leaves(self.when) if isinstance(c, FactCond)))


def leaves(c: Cond) -> list[FieldCond | FactCond]:
    """The field and fact conditions of a condition tree, in reading order."""
    if isinstance(c, AllCond | AnyCond):
        return [leaf for item in c.items for leaf in leaves(item)]
    return [c]
