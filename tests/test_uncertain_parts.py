"""`--uncertain` on a component with parts (issue 14): each part drawn, the whole judged per
draw as `Advisor.advise` judges it, the cluster carried by the part that stands one up in
that draw. Each draw is checked against experta's run (no sharing) on a profile whose parts
give that draw's figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from runplan.advise import Advisor
from runplan.cli import main
from runplan.kbase import load_kbase
from runplan.probes import VERDICTS
from runplan.profile import Component
from runplan.rulebase.load import RuleBase
from runplan.uncertainty.report import summary_data, uncertain
from runplan.uncertainty.sample import workload_arrays

from .test_uncertain import _load, _reference_profile

# People figures pinned to within a millionth (a profile cannot give them): the reference
# kbase's figures are their medians.
TIGHT = """operations:
  fte_monthly_usd: 12499.99..12500.01
  people:
    cluster_fte:
      nodes:
        established: 0.4999999..0.5000001
    service_fte:
      nodes:
        established: 0.00999999..0.01000001
      serverless:
        established: 0.00299999..0.00300001
"""

GIVEN = {"avg_duration_ms": 80, "max_duration_s": 2, "memory_mb": 512, "cpu_ms": 40,
         "runtime": "go", "stateful": False, "long_lived_connections": False, "gpu": False,
         "idempotent": True}


def _api(name: str, low: float, high: float) -> dict[str, Any]:
    return {"name": name, "kind": "api",
            "traffic": {"pattern": "steady", "avg_rps": f"{low}..{high}", "peak_rps": 2000,
                        "idle_fraction": 0},
            "execution": dict(GIVEN), "latency": {"p99_slo_ms": 500, "user_facing": True}}


HOOKS = {"name": "hooks", "kind": "webhook",
         "traffic": {"pattern": "bursty", "requests_per_month": 30_000, "peak_rps": 5,
                     "idle_fraction": 0.9},
         "execution": {**GIVEN, "avg_duration_ms": 300, "cpu_ms": 100},
         "latency": {"p99_slo_ms": 5000, "user_facing": False}}
# On Azure with portability required, Kubernetes is AKS on nodes: a part on Kubernetes
# stands up a cluster the others join (`Advisor._share_cluster`).
SHOP = {"name": "shop", "kind": "api",
        "team": {"devops_maturity": "established", "existing_cluster": False, "engineers": 10},
        "constraints": {"provider": "azure", "portability_required": True, "compliance": [],
                        "lock_in_tolerance": "medium", "custom_networking": False},
        "architecture": {"calls_per_request": 1, "legacy_monolith": False},
        "parts": [_api("catalog-api", 1, 100), _api("cart-api", 30, 600), HOOKS]}


def test_each_draw_of_a_whole_is_experta_on_its_parts_figures(tmp_path: Path,
                                                              rulebase: RuleBase) -> None:
    path = tmp_path / "tight.yaml"
    path.write_text(TIGHT)
    kb = load_kbase(path)
    fast, slow = Advisor(kb, rulebase), Advisor(kb, rulebase, shared=False)
    c = _load(yaml.safe_dump(SHOP), kb)
    result = fast.advise(c)
    n = 40
    s = uncertain(fast, c, result, n, 0.0)
    d = s.draws_judged
    assert d is not None
    names = [i.name for i in d.inputs]
    assert names[:2] == ["catalog-api: traffic.avg_rps", "people.fte_monthly_usd"]
    assert "cart-api: traffic.avg_rps" in names and names.count("people.fte_monthly_usd") == 1
    rows = []
    for i, (part, r) in enumerate(zip(SHOP["parts"], result.parts, strict=True)):
        mine = [k for k, name in enumerate(names) if name.startswith(f"{part['name']}: ")]
        inputs = [d.inputs[k] for k in mine]
        inputs = [type(x)(x.name.split(": ", 1)[1], x.dist, x.source, x.assumed) for x in inputs]
        assert fast.probes is not None
        batch = fast.probes.base([r.workload])
        people = (float(batch.rows.k8s_people_usd[0]), float(batch.rows.sls_people_usd[0]))
        rows.append(workload_arrays(r.workload, inputs, d.values[mine], kb, people, set()))
        assert not r.assumptions, i
    seen = set()
    anchors = set()
    for j in range(n):
        parts = [_reference_profile(p, {k: float(v[j]) for k, v in row.items()})
                 for p, row in zip(SHOP["parts"], rows, strict=True)]
        ref = Component.model_validate(json.loads(json.dumps({**SHOP, "parts": parts})))
        expected = slow.advise(ref, flips=False)
        assert VERDICTS[int(d.verdict[j])] == expected.verdict.verdict, j
        assert d.kubernetes_usd[j] == pytest.approx(expected.costs.kubernetes.monthly_usd,
                                                    rel=1e-5)
        assert expected.costs.serverless is not None
        assert d.serverless_usd[j] == pytest.approx(expected.costs.serverless.monthly_usd,
                                                    rel=1e-5)
        seen.add(expected.verdict.verdict)
        anchors.add(tuple(p.costs.view for p in expected.parts))
    # The draws reach two wholes, and each API carries the cluster in some: catalog-api
    # (the others join it) and, where catalog-api alone would be on functions, cart-api
    # (catalog-api joins it and is judged again at marginal cost, as at the point).
    assert seen == {"hybrid", "serverless"}
    assert {("standalone", "marginal", "marginal"), ("marginal", "standalone", "marginal")} \
        <= anchors
    assert tuple(p.costs.view for p in result.parts) == ("marginal", "standalone", "marginal")


def test_a_whole_of_exact_parts_holds_its_verdict(kb: Any, advisor: Advisor) -> None:
    """examples/media-service.yaml: its parts given but for what kbase fills in; the
    upload API on the team's cluster, the thumbnailer on functions: hybrid in nearly every
    draw, each part's share reported."""
    text = (Path(__file__).parents[1] / "examples" / "media-service.yaml").read_text()
    c = _load(text, kb)
    r = advisor.advise(c)
    s = uncertain(advisor, c, r, 400, 0.0)
    data = summary_data(s)
    assert data["verdict"] == r.verdict.verdict == "hybrid"
    assert data["probability"] >= 0.99
    assert [p["name"] for p in data["parts"]] == ["upload-api", "thumbnailer"]
    assert [p["verdict"] for p in data["parts"]] == ["kubernetes", "serverless"]
    assert all(0.9 <= p["probability"] <= 1 for p in data["parts"])
    # a part's own input is named after it; the people figures once
    names = [i["input"] for i in data["inputs"]]
    assert "thumbnailer: traffic.idle_fraction" in names
    assert names.count("people.fte_monthly_usd") == 1
    # the tornado's median column is the point: its gap is the point's bills apart
    gap = r.costs.kubernetes.monthly_usd - (r.costs.serverless.monthly_usd
                                             if r.costs.serverless else np.inf)
    bar = next(b for b in s.tornado if b.input == "thumbnailer: traffic.idle_fraction")
    assert s.point is not None
    assert float(s.point.kubernetes_usd[0] - s.point.serverless_usd[0]) == pytest.approx(
        gap, abs=0.01)
    assert bar.verdict_low == bar.verdict_high == "hybrid"


def test_advise_uncertain_on_parts_gives_the_same_bytes(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(yaml.safe_dump(SHOP))
    runner = CliRunner()
    runs = [runner.invoke(main, ["advise", str(path), "--uncertain=200", "--format", "json"])
            for _ in range(2)]
    assert runs[0].exit_code == 0, runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    u = json.loads(runs[0].stdout)["uncertainty"]
    assert [p["name"] for p in u["parts"]] == ["catalog-api", "cart-api", "hooks"]
    assert sum(u["shares"].values()) == pytest.approx(1.0)
