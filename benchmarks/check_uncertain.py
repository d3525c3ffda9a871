"""`--uncertain`'s array verdicts against experta's forward-chaining run, on thousands of draws.

The same check as tests/test_uncertain.py::test_draws_judged_over_arrays_are_experta_verdicts,
at a size too slow for the test run: for each synthetic component without parts (a range of
5x each way on its volume), DRAWS draws of every assumed input with a kbase range (people
and prices apart: a profile cannot give those) are judged over arrays (`sample.judge`) and,
one by one, by `Advisor(shared=False).advise` on a profile that gives that draw's figures.
Prints how many draws were compared and how many verdicts or bills differ.

    python benchmarks/check_uncertain.py --components 300 --draws 8   # about 2,000 draws
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.test_uncertain import _load, _reference_profile

from runplan.advise import Advisor
from runplan.kbase import load_kbase
from runplan.probes import VERDICTS
from runplan.profile import Component
from runplan.rulebase.load import load_rulebase
from runplan.synthetic import estate
from runplan.uncertainty.sample import (
    PEOPLE,
    PRICES,
    inputs_for,
    judge,
    lhs,
    seed_of,
    workload_arrays,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--components", type=int, default=300)
    ap.add_argument("--draws", type=int, default=8)
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args()
    kb, rb = load_kbase(), load_rulebase()
    fast, slow = Advisor(kb, rb), Advisor(kb, rb, shared=False)
    checked = verdicts = bills = 0
    for raw in estate(a.components, a.seed):
        if raw.get("parts"):
            continue
        raw = json.loads(json.dumps(raw))
        traffic = raw.setdefault("traffic", {})
        if traffic.get("avg_rps", 0) > 0:
            traffic["avg_rps"] = {"low": traffic["avg_rps"] / 5, "high": traffic["avg_rps"] * 5}
        c = _load(yaml.safe_dump(raw), kb)
        result = fast.advise(c)
        w = result.workload
        assumed = {x.field for x in result.assumptions}
        inputs = [i for i in inputs_for(c._ranges.get((), {}), w, assumed, kb, fast.view_of(w), 0.0)
                  if i.name not in PEOPLE + PRICES]
        if not inputs:
            continue
        z = lhs(len(inputs), a.draws, seed_of(c, a.draws, 0.0))
        values = np.vstack([i.dist.ppf(z[k]) for k, i in enumerate(inputs)])
        drawn = judge(fast, result, inputs, values)
        assert fast.probes is not None
        rows = fast.probes.base([w]).rows
        arrays = workload_arrays(w, inputs, values, kb, (float(rows.k8s_people_usd[0]),
                                                         float(rows.sls_people_usd[0])), assumed)
        plain = {**raw, "traffic": {k: v for k, v in traffic.items() if k != "avg_rps"}}
        for j in range(a.draws):
            row = {k: float(v[j]) for k, v in arrays.items()}
            expected = slow.advise(Component.model_validate(_reference_profile(plain, row)),
                                   flips=False)
            checked += 1
            verdicts += VERDICTS[int(drawn.verdict[j])] != expected.verdict.verdict
            k8s = expected.costs.kubernetes.monthly_usd
            bills += not math.isclose(float(drawn.kubernetes_usd[j]), k8s, rel_tol=1e-9)
    print(f"{checked:,} draws compared: {verdicts} verdicts and {bills} Kubernetes bills differ")


if __name__ == "__main__":
    main()
