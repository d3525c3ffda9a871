"""Share inference between inputs whose rule conditions all come out the same.

Which rules fire depends only on the outcome of each field condition (the derived facts and
the firing order follow from those outcomes, and the verdict from the rules that fired and
the costs). So the outcomes of every distinct field condition of the rule base, packed into
bytes, are a key under which one experta run serves every later input with the same key.
The messages are still filled from each input's own figures (`advise._reason`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runplan.rulebase.compile import predicate
from runplan.rulebase.engine import Engine
from runplan.rulebase.spec import FieldCond, RuleSpec, leaves

MAX_ENTRIES = 100_000


class SharedInference:
    """`run(fields)` as `Engine.run(fields)`, computed once per signature of outcomes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        distinct: dict[tuple[str, str, Any], Callable[[Any], bool]] = {}
        for spec in engine.rulebase.rules:
            for leaf in leaves(spec.when):
                if isinstance(leaf, FieldCond):
                    value = tuple(leaf.value) if isinstance(leaf.value, list) else leaf.value
                    key = (leaf.field, leaf.op, value)
                    if key not in distinct:  # negation is the same outcome, inverted
                        distinct[key] = predicate(FieldCond(leaf.field, leaf.op, leaf.value))
        self._checks = [(field, check) for (field, _, _), check in distinct.items()]
        self._cache: dict[bytes, tuple[RuleSpec, ...]] = {}
        self.hits = self.misses = 0

    def signature(self, fields: dict[str, Any]) -> bytes:
        return bytes(check(fields.get(field)) for field, check in self._checks)

    def run(self, fields: dict[str, Any]) -> tuple[RuleSpec, ...]:
        key = self.signature(fields)
        fired = self._cache.get(key)
        if fired is None:
            self.misses += 1
            if len(self._cache) >= MAX_ENTRIES:  # bounded memory on any estate
                self._cache.clear()
            fired = self._cache[key] = tuple(self.engine.run(fields))
        else:
            self.hits += 1
        return fired
