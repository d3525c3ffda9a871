"""The fast path (inference shared between identical condition outcomes, break-evens shared
between workloads that differ only in load, flips shared between identical workloads) gives
exactly the plain path's results: a fresh experta run for every evaluation, nothing shared."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

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


def test_run_store_shares_runs_between_processes(rulebase: RuleBase, kb: KnowledgeBase,
                                                 tmp_path: Path) -> None:
    """A key run by one process is read by another from the store, not run again, and the
    rules read back are the ones experta fires, in its order."""
    import multiprocessing

    from runplan.rulebase.shared import RunStore

    path = str(tmp_path / "runs.sqlite")
    components = _components(150, seed=21)
    first = Advisor(kb, rulebase)
    first.inference.store = RunStore(path)
    inputs = [first.advise(c, flips=False).inputs for c in components]
    assert first.inference.misses > 20 and first.inference.stored == 0

    ctx = multiprocessing.get_context("spawn")  # a process that inherits nothing
    with ctx.Pool(1) as pool:
        stored, misses, fired = pool.apply(_run_all, (path, inputs))
    assert (stored, misses) == (first.inference.misses, 0)
    assert fired == [[s.id for s in first.engine.run(f)] for f in inputs]


def _run_all(path: str, inputs: list[dict[str, Any]]) -> tuple[int, int, list[list[str]]]:
    from runplan.kbase import load_kbase
    from runplan.rulebase.load import load_rulebase
    from runplan.rulebase.shared import RunStore

    adv = Advisor(load_kbase(), load_rulebase())
    adv.inference.store = RunStore(path)
    fired = [[s.id for s in adv.inference.run(f)] for f in inputs]
    return adv.inference.stored, adv.inference.misses, fired


def test_a_failing_run_store_falls_back_to_running_experta(rulebase: RuleBase,
                                                           kb: KnowledgeBase, tmp_path: Path) -> None:
    from runplan.rulebase.shared import RunStore

    adv = Advisor(kb, rulebase)
    store = RunStore(str(tmp_path / "runs.sqlite"))
    (tmp_path / "runs.sqlite").unlink()
    (tmp_path / "runs.sqlite").mkdir()  # the file is now a directory: every query fails
    store._db = None
    adv.inference.store = store
    c = _components(1, seed=4)[0]
    assert result_data(adv.advise(c, flips=False)) == \
        result_data(Advisor(kb, rulebase, shared=False).advise(c, flips=False))
    assert store.failed and adv.inference.misses == 1


def test_standing_alone_rules_merge_into_the_order_experta_fires(rulebase: RuleBase,
                                                                kb: KnowledgeBase) -> None:
    """experta runs once per key of the rules that do not stand alone; the standing-alone
    rules are merged in by agenda key. On 3,000 components the merged order is the order a
    fresh experta run fires, and there are far fewer runs than distinct keys."""
    from runplan.rulebase.engine import stands_alone

    alone = {spec.id for spec in rulebase.rules if stands_alone(spec)}
    assert len(alone) >= 20  # most shipped rules assert nothing and read the component only
    assert "TRAFFIC-IDLE-001" not in alone  # asserts idle_heavy
    adv = Advisor(kb, rulebase)
    keys = set()
    merged_somewhere = False
    for c in _components(3000, seed=31):
        fields = adv.advise(c, flips=False).inputs
        keys.add(adv.inference.key(fields))
        fired = [s.id for s in adv.inference.run(fields)]
        assert fired == [s.id for s in adv.engine.run(fields)], c.name
        ids = [i for i in fired if i not in alone]
        merged_somewhere |= bool(ids) and any(fired.index(a) < fired.index(ids[-1])
                                              for a in fired if a in alone)
    assert merged_somewhere  # standing-alone rules do fire between the others
    assert adv.inference.misses * 4 < len(keys)
