"""The only module that imports experta: the import shim, a safe agenda, and the engine.

experta 1.9.4 is the last release. Three things are wrong with it on modern Python, and two
cost more than they need to; this module is where runplan lives with them (see
../shared/reference/experta-notes.md):

1. Its pinned frozendict 1.2 subclasses `collections.Mapping`, gone since Python 3.10
   (nilp0inter/experta#34). We alias it for the one import and remove it again.
2. Its `DepthStrategy` removes a cancelled activation by looking only at the neighbours of its
   bisect position, so with three or more activations on the same key a cancelled one stays
   on the agenda and fires (wrong results). `SafeDepthStrategy` scans the whole equal-key
   range, and adds the rule's declaration order to the key so ties cannot occur at all and
   the firing order does not depend on PYTHONHASHSEED.
3. Importing experta calls `logging.basicConfig()`, adding a handler to the root logger. We
   remove what it added and quieten its loggers.
4. Its `reset()` finds the engine's DefFacts with `inspect.getmembers` and walks the Rete
   network recursively, a debug-log call per node, every time: about a quarter of a run for a
   rule base of this size. The DefFacts and the network never change after construction, so
   `_TracingEngine` lists the DefFacts once and `_FlatResetMatcher` wipes each node's memory
   from a flat list of the network's nodes (the same `_reset` per node, in one loop).
5. After every declared fact and every firing, `ReteMatcher.changes` asks each of the ~50
   conflict-set nodes for its new activations, and each answers with two fresh sets even
   when nothing reached it: a tenth of a run. `_FlatResetMatcher.changes` lets the network
   take the facts as before (`root_node.add`/`remove`) and asks only the nodes that hold
   news, in the same order.

There is no truth maintenance in experta, so `compile.stratify` gives every producer of a
derived fact a higher salience than its readers. One engine is built per rule base and reused
with `reset()` for each component (a fresh engine per component is 13x slower and leaks).
`Engine.run_keyed` also reports the agenda key each rule fired by (`_KeyedAgenda` remembers
the activation it handed out), which `rulebase.shared` uses to merge in the rules that
`stands_alone` without running experta for them.
"""

from __future__ import annotations

import bisect
import collections
import collections.abc
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

_root_handlers = list(logging.getLogger().handlers)
if not hasattr(collections, "Mapping"):
    collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]
    try:
        import frozendict  # noqa: F401  (the alias is needed only while its class body runs)
    finally:
        del collections.Mapping  # type: ignore[attr-defined]

from experta import AND, NOT, OR, Fact, KnowledgeEngine, P, Rule  # noqa: E402
from experta.agenda import Agenda  # noqa: E402
from experta.matchers import ReteMatcher  # noqa: E402
from experta.strategies import DepthStrategy  # noqa: E402

for _h in logging.getLogger().handlers[:]:
    if _h not in _root_handlers:
        logging.getLogger().removeHandler(_h)
logging.getLogger("experta").setLevel(logging.WARNING)

from runplan.rulebase.compile import predicate  # noqa: E402
from runplan.rulebase.load import RuleBase  # noqa: E402
from runplan.rulebase.spec import AllCond, AnyCond, Cond, FactCond, FieldCond, RuleSpec  # noqa: E402

__all__ = ["Engine", "SafeDepthStrategy", "stale_activations_left", "stands_alone",
           "tie_demo_fired"]


class SafeDepthStrategy(DepthStrategy):  # type: ignore[misc]
    """Depth-first agenda whose removals are exact and whose ties are broken by rule order."""

    order: ClassVar[dict[str, int]] = {}

    def get_key(self, activation: Any) -> tuple[Any, ...]:
        name = getattr(activation.rule, "__name__", "")
        return self.key_of(activation.rule.salience, [f["__factid__"] for f in activation.facts],
                           name)

    @classmethod
    def key_of(cls, salience: int, fact_ids: list[int], name: str) -> tuple[Any, ...]:
        """The key of an activation: the agenda fires the largest first. Higher salience
        first; then the one on the most recent facts (depth first); then the rule declared
        first (earlier-declared rules get the larger key)."""
        return (salience, sorted(fact_ids, reverse=True), -cls.order.get(name, 0))

    def _update_agenda(self, agenda: Any, added: Any, removed: Any) -> None:
        acts = agenda.activations
        for act in removed:
            act.key = self.get_key(act)
            lo = bisect.bisect_left(acts, act)
            hi = bisect.bisect_right(acts, act)
            for i in range(lo, hi):
                if acts[i] == act:
                    del acts[i]
                    break
        for act in added:
            act.key = self.get_key(act)
            bisect.insort(acts, act)


class ComponentFact(Fact):  # type: ignore[misc]
    """The component: every rule field (dotted path) with its value, None when unknown."""


class Derived(Fact):  # type: ignore[misc]
    """A derived fact asserted by a rule, e.g. `idle_heavy`."""


def _ce(cond: Cond) -> Any:
    """The condition as experta patterns. The field conditions of one `all` become one
    pattern over the component fact (one check per field) rather than one pattern each that
    Rete must then join with itself: the same matches, half the work per run."""
    if isinstance(cond, FieldCond):
        return ComponentFact(**{cond.field: P(predicate(cond))})
    if isinstance(cond, FactCond):
        pattern = Derived(name=cond.fact)
        return NOT(pattern) if cond.negate else pattern
    if isinstance(cond, AllCond):
        fields = [c for c in cond.items if isinstance(c, FieldCond)]
        if len(fields) > 1 and _distinct_fields(fields):
            merged = ComponentFact(**{c.field: P(predicate(c)) for c in fields})
            rest = [_ce(c) for c in cond.items if not isinstance(c, FieldCond)]
            return AND(merged, *rest) if rest else merged
        return AND(*(_ce(c) for c in cond.items))
    if isinstance(cond, AnyCond):
        return OR(*(_ce(c) for c in cond.items))
    raise TypeError(cond)


def _distinct_fields(conds: list[FieldCond]) -> bool:
    """Whether field conditions are on different fields, so that `_ce` makes them one
    pattern over the component fact (a field tested twice needs a pattern per test)."""
    return len({c.field for c in conds}) == len(conds)


def _salience(spec: RuleSpec, tiers: dict[str, int]) -> int:
    """A rule's experta salience: lower tiers (producers of derived facts) fire first."""
    return -tiers.get(spec.id, 0)


def _anchored(cond: Cond) -> bool:
    """Whether every match of the condition includes the component fact itself; a rule
    whose condition is not gets a leading `ComponentFact()` (a rule over derived facts only
    would otherwise match without the component, and fire in another order)."""
    if isinstance(cond, FieldCond):
        return True
    if isinstance(cond, AllCond):
        return any(_anchored(c) for c in cond.items)
    return False


def _rhs(spec: RuleSpec) -> Callable[[Any], None]:
    def fire(engine: Any) -> None:
        engine.record(spec)

    fire.__name__ = spec.id
    return fire


class _FlatResetMatcher(ReteMatcher):  # type: ignore[misc]
    """Rete whose `reset` wipes every node's memory from a flat list (point 4 above) and
    whose `changes` asks only the conflict-set nodes that hold news (point 5)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        nodes: dict[int, Any] = {}
        stack = [self.root_node]
        while stack:  # a node shared by several rules is reached more than once
            node = stack.pop()
            nodes.setdefault(id(node), node)
            stack.extend(child.node for child in node.children)
        self._nodes = tuple(nodes.values())

    def reset(self) -> None:
        for node in self._nodes:
            node._reset()

    def changes(self, adding: Any = None, deleting: Any = None) -> tuple[list[Any], list[Any]]:
        for fact in deleting or ():
            self.root_node.remove(fact)
        for fact in adding or ():
            self.root_node.add(fact)
        added: list[Any] = []
        removed: list[Any] = []
        for node in self._get_conflict_set_nodes():  # point 5: only the nodes with news
            if node.added or node.removed:
                news, gone = node.get_activations()
                added.extend(news)
                removed.extend(gone)
        return added, removed


class _KeyedAgenda(Agenda):  # type: ignore[misc]
    """experta's agenda, remembering the activation it handed out last, so that a firing
    can be recorded with the strategy key it was chosen by (`Engine.run_keyed`)."""

    last: Any = None

    def get_next(self) -> Any:
        self.last = super().get_next()
        return self.last


class _TracingEngine(KnowledgeEngine):  # type: ignore[misc]
    __strategy__ = SafeDepthStrategy
    __matcher__ = _FlatResetMatcher

    agenda: Any

    def reset(self, **kwargs: Any) -> None:
        super().reset(**kwargs)
        keyed = _KeyedAgenda()
        keyed.activations = self.agenda.activations  # what the initial facts activated
        self.agenda = keyed

    def get_deffacts(self) -> list[Any]:
        # Listed once (point 4 above): experta looks them up with inspect on every reset.
        if "_deffacts" not in self.__dict__:
            self._deffacts = super().get_deffacts()
        return self._deffacts  # type: ignore[no-any-return]

    def reset_run(self) -> None:
        self.fired: list[RuleSpec] = []
        self.keys: list[tuple[Any, ...]] = []
        self.fired_ids: set[str] = set()

    def record(self, spec: RuleSpec) -> None:
        # An `any` becomes several activations of one rule; it counts once.
        if spec.id in self.fired_ids:
            return
        self.fired_ids.add(spec.id)
        self.fired.append(spec)
        self.keys.append(self.agenda.last.key)
        for fact in spec.asserts:
            self.declare(Derived(name=fact))


def _engine_class(rules: tuple[RuleSpec, ...], tiers: dict[str, int],
                  strategy: type = SafeDepthStrategy) -> type:
    namespace: dict[str, Any] = {"__strategy__": strategy}
    for spec in rules:
        salience = _salience(spec, tiers)
        lhs = (_ce(spec.when),) if _anchored(spec.when) else (ComponentFact(), _ce(spec.when))
        namespace[spec.id] = Rule(*lhs, salience=salience)(_rhs(spec))
    return type("RunplanEngine", (_TracingEngine,), namespace)


@dataclass
class Engine:
    """One experta engine for a rule base, reset and reused for every component."""

    rulebase: RuleBase

    def __post_init__(self) -> None:
        strategy = _ordered_strategy(self.rulebase.rules)
        self._engine = _engine_class(self.rulebase.rules, self.rulebase.tiers, strategy)()
        # The component fact carries the fields some rule reads (a pattern over a field the
        # fact lacks never matches, so a read field is always there, None when unknown).
        self._read = tuple(dict.fromkeys(f for spec in self.rulebase.rules
                                         for f in spec.fields_read()))
        # The id a component fact gets after a reset: the same in every run (the initial
        # facts come first), whichever process ran it.
        self._engine.reset()
        self.component_id: int = self._engine.declare(ComponentFact())["__factid__"]

    def run(self, fields: dict[str, Any]) -> list[RuleSpec]:
        """The rules that fire for one component's fields, in firing order."""
        return [spec for spec, _ in self.run_keyed(fields)]

    def run_keyed(self, fields: dict[str, Any]) -> list[tuple[RuleSpec, tuple[Any, ...]]]:
        """`run`, each rule with the agenda key its activation fired by."""
        e = self._engine
        e.reset()
        e.reset_run()
        # list fields arrive as tuples (Workload.fields)
        fact = e.declare(ComponentFact(**{f: fields.get(f) for f in self._read}))
        assert fact["__factid__"] == self.component_id
        e.run()
        return list(zip(e.fired, e.keys, strict=True))

    def solo_key(self, spec: RuleSpec) -> tuple[Any, ...]:
        """The agenda key of a rule that `stands_alone`: its one activation matches the
        component fact and nothing else."""
        return self._engine.strategy.key_of(  # type: ignore[no-any-return]
            _salience(spec, self.rulebase.tiers), [self.component_id], spec.id)


def stands_alone(spec: RuleSpec) -> bool:
    """Whether a rule's firing can neither change nor be changed by any other rule's: it
    asserts nothing, and its condition is field conditions only, which `_ce` makes one
    pattern over the component fact (one activation, on that fact alone, present from the
    moment the fact is declared). Such a rule fires, if its condition holds, at the point the
    agenda's order gives its key; `SharedInference` relies on this."""
    if spec.asserts:
        return False
    c = spec.when
    if isinstance(c, FieldCond):
        return True
    fields = [i for i in c.items if isinstance(i, FieldCond)] if isinstance(c, AllCond) else []
    return isinstance(c, AllCond) and len(fields) == len(c.items) and _distinct_fields(fields)


def _ordered_strategy(rules: tuple[RuleSpec, ...]) -> type:
    """The safe strategy with ties broken by the rules' declaration order."""
    order = {spec.id: i for i, spec in enumerate(rules)}
    return type("RunplanStrategy", (SafeDepthStrategy,), {"order": order})


def stale_activations_left(stock: bool, ties: int = 20) -> int:
    """How many cancelled activations an agenda keeps after cancelling all of `ties` that share
    one key (same salience, same facts): 0 for runplan's strategy; often most for the stock one.

    This is the defect behind wrong results with the stock `DepthStrategy` (experta-notes §2.1).
    """
    from experta.activation import Activation

    class _Rule:
        salience = 0

        def __init__(self, name: str) -> None:
            self.__name__ = name

    fact = ComponentFact(a=1)
    fact.__factid__ = 1
    strategy = DepthStrategy() if stock else SafeDepthStrategy()
    agenda = Agenda()
    acts = [Activation(_Rule(f"R{i:03d}"), [fact]) for i in range(ties)]
    strategy.update_agenda(agenda, acts, [])
    # Cancel them in an order unlike the agenda's, as the matcher does in real runs.
    middle_out = sorted(acts, key=lambda a: abs(acts.index(a) - ties // 2))
    strategy.update_agenda(agenda, [], middle_out)
    return len(agenda.activations)


def tie_demo_fired(rules: tuple[RuleSpec, ...], fields: dict[str, Any]) -> list[str]:
    """Run rules that all share one salience on runplan's agenda (declaration order breaks
    ties), so a rule that asserts a fact fires before the `not` rules it cancels.
    """
    engine = _engine_class(rules, {}, _ordered_strategy(rules))()
    engine.reset()
    engine.reset_run()
    engine.declare(ComponentFact(**fields))
    engine.run()
    return [s.id for s in engine.fired]
