"""Share inference between inputs whose rules stand the same way.

Which rules fire depends only on the outcome of each field condition: the derived facts and
the firing order follow from those outcomes. Better still, it depends only on what each rule's
condition *reduces to* once its field conditions are known: `all(idle >= 0.5, fact X)` is
`False` whenever the idle share is low, whatever else holds, and `fact X` otherwise. The tuple
of every rule's reduced condition (True, False, or what is left over derived facts) is the
key under which one experta run serves every later input with the same key. The messages
are still filled from each input's own figures (`advise._reason`).

Better again, rules that *stand alone* (`engine.stands_alone`: they assert nothing and match
the component fact alone) cannot change which other rules fire, nor when: their activation is
on the agenda from the start, and the agenda fires its largest key first. So experta runs once
per key of the other rules (368 keys instead of 2,612 on the 10k synthetic estate), each
firing recorded with the agenda key it was chosen by, and the standing-alone rules that hold
are merged in: each fires just before the first of the others whose key is smaller.

Worker processes share what they have run through `RunStore`: a small sqlite file of key →
the keyed firings, so a key one worker has run is not run again by another (a quarter of the
experta runs of two workers on a 10k estate were repeats).

The plain path (`Advisor(shared=False)`) runs experta every time; a test checks the two give
the same results on thousands of components.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from runplan.rulebase.compile import predicate
from runplan.rulebase.engine import Engine, stands_alone
from runplan.rulebase.spec import AllCond, AnyCond, Cond, FactCond, FieldCond, RuleSpec

MAX_ENTRIES = 30_000
Reduced = Hashable  # True, False, ("fact", name, negated), ("all" | "any", (Reduced, ...))
Keyed = tuple[RuleSpec, tuple[Any, ...]]  # a fired rule and the agenda key it fired by


class RunStore:
    """Experta runs shared between processes: `repr(key)` → what the run gave (as JSON), in
    a sqlite file (WAL, so one process writes while the others read). Each process
    opens its own connection on first use (a connection must not cross a fork). A store that
    fails (a read-only or full disk) is switched off: every key is then run locally, which
    gives the same results."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self.failed = False
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS runs (key TEXT PRIMARY KEY, run TEXT)")
        db.close()

    def _conn(self) -> sqlite3.Connection:
        if self._db is None or self._pid != os.getpid():
            self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self._db.execute("PRAGMA synchronous=OFF")  # a scratch file: no fsync
            self._pid = os.getpid()
        return self._db

    def get(self, key: str) -> Any:
        if self.failed:
            return None
        try:
            row = self._conn().execute("SELECT run FROM runs WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            self.failed = True
            return None
        return None if row is None else json.loads(row[0])

    def put(self, key: str, run: Any) -> None:
        if self.failed:
            return
        try:
            self._conn().execute("INSERT OR IGNORE INTO runs VALUES (?, ?)",
                                 (key, json.dumps(run)))
        except sqlite3.Error:
            self.failed = True


class SharedInference:
    """`run(fields)` as `Engine.run(fields)`, computed once per key of reduced conditions
    (once per process, or once in all with a `RunStore`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store: RunStore | None = None
        self._by_id = {spec.id: spec for spec in engine.rulebase.rules}
        self._leaf_index: dict[tuple[str, str, Any], int] = {}
        self._checks: list[tuple[str, Callable[[Any], bool]]] = []
        rules = engine.rulebase.rules
        self._rules = [self._compile(spec.when) for spec in rules]
        tiers = engine.rulebase.tiers
        self._stratified = sorted(zip(rules, self._rules, strict=True),
                                  key=lambda pair: tiers.get(pair[0].id, 0))
        # `_partial` as `key` needs it: a rule that is one field condition or an `all` of
        # field conditions reduces to True or False, read straight off the outcomes.
        self._keyed = [(i, _leaves_only(rule), rule) for i, rule in enumerate(self._rules)]
        self._cache: dict[Hashable, tuple[RuleSpec, ...]] = {}
        self._alone = {i for i, spec in enumerate(rules) if stands_alone(spec)}
        self._alone_key = {i: (engine.solo_key(rules[i]), rules[i]) for i in self._alone}
        self._alone_ids = {rules[i].id for i in self._alone}
        self._bases: dict[Hashable, tuple[Keyed, ...]] = {}  # experta runs, by key of the rest
        self.hits = self.misses = self.stored = 0
        self.outcomes: list[bool] = []

    def _compile(self, cond: Cond) -> Any:
        """The condition with each field leaf replaced by (index, negated)."""
        if isinstance(cond, FieldCond):
            value = tuple(cond.value) if isinstance(cond.value, list) else cond.value
            key = (cond.field, cond.op, value)
            if key not in self._leaf_index:  # a negated leaf shares the outcome, inverted
                self._leaf_index[key] = len(self._checks)
                self._checks.append((cond.field,
                                     predicate(FieldCond(cond.field, cond.op, cond.value))))
            return ("leaf", self._leaf_index[key], cond.negate)
        if isinstance(cond, FactCond):
            return ("fact", cond.fact, cond.negate)
        kind = "all" if isinstance(cond, AllCond) else "any"
        assert isinstance(cond, AllCond | AnyCond)
        return (kind, tuple(self._compile(c) for c in cond.items))

    @property
    def fields_read(self) -> frozenset[str]:
        """The fields some rule's condition reads."""
        return frozenset(field for field, _ in self._checks)

    def key(self, fields: dict[str, Any]) -> tuple[tuple[int, Reduced], ...]:
        outcomes = [check(fields.get(field)) for field, check in self._checks]
        self.outcomes = outcomes  # the last input's outcome per field condition (`_checks`)
        out: list[tuple[int, Reduced]] = []
        for i, leaves, rule in self._keyed:
            if leaves is None:
                if (r := _partial(rule, outcomes)) is not False:
                    out.append((i, r))
                continue
            for j, negated in leaves:  # a conjunction of field conditions: True or False
                if outcomes[j] == negated:
                    break
            else:
                out.append((i, True))
        return tuple(out)

    def run(self, fields: dict[str, Any]) -> tuple[RuleSpec, ...]:
        key = self.key(fields)
        fired = self._cache.get(key)
        if fired is not None:
            self.hits += 1
            return fired
        if len(self._cache) >= MAX_ENTRIES:  # bounded memory on any estate
            self._cache.clear()
            self._bases.clear()
        rest = tuple(item for item in key if item[0] not in self._alone)
        base = self._bases.get(rest)
        if base is None:
            base = self._bases[rest] = self._run(rest, fields)
        # Each standing-alone rule that holds (a conjunction of leaves: in the key only when
        # True), by agenda key, largest first.
        alone = sorted((self._alone_key[i] for i, _ in key if i in self._alone),
                       key=lambda pair: pair[0], reverse=True)
        fired = self._cache[key] = _merged(base, alone)
        return fired

    def _run(self, rest: Hashable, fields: dict[str, Any]) -> tuple[Keyed, ...]:
        """The rules other than the standing-alone ones that fire, with their agenda keys:
        from the store when another process has run this key, else from experta."""
        text = repr(rest) if self.store is not None else ""
        got = self.store.get(text) if self.store is not None else None
        if got is not None:
            self.stored += 1
            return tuple((self._by_id[rid], (salience, facts, order))
                         for rid, salience, facts, order in got)
        self.misses += 1
        base = tuple((spec, k) for spec, k in self.engine.run_keyed(fields)
                     if spec.id not in self._alone_ids)
        if self.store is not None:
            self.store.put(text, [[spec.id, *k] for spec, k in base])
        return base

    def for_probes(self, fields: dict[str, Any], varying: frozenset[str],
                   ) -> Callable[[dict[str, Any]], list[RuleSpec]]:
        """The rules that fire, in no particular order and without experta, for inputs that
        differ from `fields` only in the `varying` fields (the flip search's probes of one
        component, which need only the verdict). Conditions on the other fields are decided
        once here and each rule reduced to what is left; then each probe evaluates the rules
        once each, tier by tier (`compile.stratify` puts every producer of a derived fact in a
        lower tier than its readers, the order experta fires them in), so every fact a rule
        reads is settled before it is read. Tests check the verdicts against experta's."""
        fixed = [None if field in varying else check(fields.get(field))
                 for field, check in self._checks]
        moving = [(i, field, check) for i, (field, check) in enumerate(self._checks)
                  if field in varying]
        rules = [(spec, r) for spec, tree in self._stratified
                 if (r := _partial(tree, fixed)) is not False]

        def fired(probe: dict[str, Any]) -> list[RuleSpec]:
            outcomes: list[bool | None] = list(fixed)
            for i, field, check in moving:
                outcomes[i] = check(probe.get(field))
            facts: set[str] = set()
            out = []
            for spec, r in rules:
                if r is True or _holds(r, outcomes, facts):
                    out.append(spec)
                    facts.update(spec.asserts)
            return out

        return fired


def _merged(base: Sequence[Keyed], alone: Sequence[tuple[tuple[Any, ...], RuleSpec]],
            ) -> tuple[RuleSpec, ...]:
    """The firing order with the standing-alone rules in: the agenda fires its largest key,
    and a standing-alone activation is there from the start, so each fires just before the
    first of the others (in their own firing order) with a smaller key. `alone`: largest key
    first."""
    out: list[RuleSpec] = []
    j = 0
    for spec, k in base:
        while j < len(alone) and alone[j][0] > k:
            out.append(alone[j][1])
            j += 1
        out.append(spec)
    out.extend(spec for _, spec in alone[j:])
    return tuple(out)


def _leaves_only(node: Any) -> tuple[tuple[int, bool], ...] | None:
    """A compiled condition that is a field condition or an `all` of them, as (leaf index,
    negated) pairs; None for anything else."""
    if node[0] == "leaf":
        return ((node[1], node[2]),)
    if node[0] == "all" and all(item[0] == "leaf" for item in node[1]):
        return tuple((item[1], item[2]) for item in node[1])
    return None


def _partial(node: Any, known: Sequence[bool | None]) -> Reduced:
    """A condition with the leaves whose outcome is `known` decided: True, False, or the
    condition over what is left (other leaves and derived facts). With every leaf known, as
    in `key`, what is left reads derived facts only."""
    tag = node[0]
    if tag == "leaf":
        outcome = known[node[1]]
        return tuple(node) if outcome is None else bool(outcome != node[2])
    if tag == "fact":
        return tuple(node)
    items = [_partial(item, known) for item in node[1]]
    if tag == "all":
        if any(r is False for r in items):
            return False
        rest = [r for r in items if r is not True]
        return True if not rest else rest[0] if len(rest) == 1 else ("all", tuple(rest))
    if any(r is True for r in items):
        return True
    rest = [r for r in items if r is not False]
    return False if not rest else rest[0] if len(rest) == 1 else ("any", tuple(rest))


def _holds(node: Any, outcomes: Sequence[bool | None], facts: set[str]) -> bool:
    tag = node[0]
    if tag == "leaf":
        return bool(outcomes[node[1]] != node[2])
    if tag == "fact":
        return bool((node[1] in facts) != node[2])
    if tag == "all":
        return all(_holds(item, outcomes, facts) for item in node[1])
    return any(_holds(item, outcomes, facts) for item in node[1])
