"""The fast path (inference shared between identical condition outcomes, break-evens shared
between workloads that differ only in load, flips shared between identical workloads) gives
exactly the plain path's results: a fresh experta run for every evaluation, nothing shared."""

from __future__ import annotations

import json
import random

import pytest

from runplan.advise import Advisor
from runplan.kbase import KnowledgeBase
from runplan.profile import Component
from runplan.report.data import result_data
from runplan.rulebase.load import RuleBase
from runplan.synthetic import estate


def _components(count: int, seed: int) -> list[Component]:
    return [Component.model_validate(c) for c in estate(count, seed)]


def test_shared_inference_equals_plain_on_two_thousand(kb: KnowledgeBase,
                                                       rulebase: RuleBase) -> None:
    fast = Advisor(kb, rulebase, shared=True)
    plain = Advisor(kb, rulebase, shared=False)
    components = _components(2000, seed=11)
    # Repeat a few so the shared caches are hit, not only filled.
    components += random.Random(3).sample(components, 200)
    for c in components:
        a = result_data(fast.advise(c, flips=False))
        b = result_data(plain.advise(c, flips=False))
        assert json.dumps(a) == json.dumps(b), c.name
    assert fast.inference.hits > 0 and fast.inference.misses < len(components)
    assert plain.inference.hits == plain.inference.misses == 0


@pytest.mark.parametrize("seed", [5, 6])
def test_shared_flips_equal_plain(kb: KnowledgeBase, rulebase: RuleBase, seed: int) -> None:
    fast = Advisor(kb, rulebase, shared=True)
    plain = Advisor(kb, rulebase, shared=False)
    for c in _components(12, seed):
        assert result_data(fast.advise(c)) == result_data(plain.advise(c)), c.name


def test_shared_run_equals_a_fresh_engine_run(rulebase: RuleBase, kb: KnowledgeBase) -> None:
    """The rules fired through the shared cache are those a direct experta run fires."""
    adv = Advisor(kb, rulebase)
    for c in _components(300, seed=9):
        w = adv.advise(c, flips=False)
        assert adv.engine.run(w.inputs) == list(adv.inference.run(w.inputs))
