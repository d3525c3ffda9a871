"""kbase figures: every figure has a range fitting its unit, checked on the shipped files and on
`--pricing` overrides, which may give a figure's value or the kbase's own figure shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from runplan.cli import main
from runplan.errors import UserError
from runplan.kbase import iter_figures, load_kbase

from .conftest import EXAMPLES


def advise(runner: CliRunner, pricing: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(main, ["advise", str(EXAMPLES / "core-api.yaml"), "--pricing",
                                  str(pricing), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("text,line,message", [
    ("operations:\n  hours_per_month: 0\n", 2, "operations.hours_per_month: must be more than 0, got 0"),
    ("operations:\n  pod_vcpu: 0\n", 2, "operations.pod_vcpu: must be more than 0, got 0"),
    ("operations:\n  target_utilisation: 0\n", 2,
     "operations.target_utilisation: must be more than 0, got 0"),
    ("aws:\n  functions:\n    billing_increment_ms: 0\n", 3,
     "aws.functions.billing_increment_ms: must be more than 0, got 0"),
    ("aws:\n  functions:\n    memory_increment_mb: 0\n", 3,
     "aws.functions.memory_increment_mb: must be more than 0, got 0"),
    ("operations:\n  fte_monthly_usd: -18000\n", 2,
     "operations.fte_monthly_usd: must be at least 0, got -18,000"),
    ("operations:\n  people: {cluster_fte: {nodes: {basic: -1}}}\n", 2,
     "operations.people.cluster_fte.nodes.basic: must be at least 0, got -1"),
    ("operations:\n  hours_per_month: 745\n", 2,
     "operations.hours_per_month: must be at most 744, got 745"),
    ("operations:\n  target_utilisation: 1.5\n", 2,
     "operations.target_utilisation: must be at most 1, got 1.5"),
    ("operations:\n  min_replicas: 1.5\n", 2,
     "operations.min_replicas: must be integer; got 1.5"),
    ("operations:\n  people:\n    service_fte:\n      serverless:\n        basic: -0.1\n", 5,
     "operations.people.service_fte.serverless.basic: must be at least 0, got -0.1"),
    ("operations:\n  cpu_fraction_by_runtime: {go: 0}\n", 2,
     "operations.cpu_fraction_by_runtime.go: must be more than 0, got 0"),
    ("traffic:\n  patterns:\n    steady:\n      idle_fraction: 1\n", 4,
     "traffic.patterns.steady.idle_fraction: must be less than 1, got 1"),
    ("traffic:\n  patterns:\n    bursty:\n      peak_to_avg: 0.5\n", 4,
     "traffic.patterns.bursty.peak_to_avg: must be at least 1, got 0.5"),
    ("operations:\n  hours_per_month:\n    value: 0\n    unit: hours\n    source: mine\n"
     "    as_of: '2026-12-01'\n", 3, "operations.hours_per_month: must be more than 0, got 0"),
    ("operations:\n  hours_per_month:\n    value: 30\n    unit: days\n", 4,
     "operations.hours_per_month: the kbase gives this figure in hours; give the value in "
     "that unit"),
    ("operations:\n  hours_per_month: {value: 720, note: x}\n", 2,
     "operations.hours_per_month.note: unknown field; allowed: value, unit, source, as_of"),
    ("operations:\n  cpu_fraction_by_runtime: {pyhton: 0.6}\n", 2,
     "operations.cpu_fraction_by_runtime.pyhton: not a kbase figure (did you mean 'python'?)"),
])
def test_an_override_out_of_its_range_is_one_line_exit_2(runner: CliRunner, tmp_path: Path,
                                                         text: str, line: int,
                                                         message: str) -> None:
    pricing = tmp_path / "pricing.yaml"
    pricing.write_text(text)
    code, out, err = advise(runner, pricing)
    assert (code, out) == (2, "")
    assert err == f"{pricing}:{line}: error: {message}\n"


def test_the_kbase_figure_shape_is_an_override(runner: CliRunner, tmp_path: Path) -> None:
    pricing = tmp_path / "pricing.yaml"
    pricing.write_text("operations:\n  hours_per_month:\n    value: 720\n    unit: hours\n"
                       "    source: our finance team's 30-day month\n    as_of: '2026-12-01'\n"
                       "  cpu_fraction_by_runtime: {go: 0.6}\n")
    code, out, _ = advise(runner, pricing, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["overridden_figures"] == ["operations.hours_per_month",
                                          "operations.cpu_fraction_by_runtime"]
    # core-api joins its team's cluster (marginal: no control plane of its own); the webhook
    # stands up a new one: 720 h of a $0.10/h control plane
    assert "control plane" not in data["costs"]["kubernetes"]["breakdown"]
    result = runner.invoke(main, ["advise", str(EXAMPLES / "payments-webhook.yaml"), "--pricing",
                                  str(pricing), "--format", "json"])
    data = json.loads(result.stdout)
    nodes = next(o for o in [data["platform"], *data["alternatives"]]
                 if o["name"] == "aws-eks-nodes")  # EKS on nodes: a new cluster
    plane = (nodes["breakdown"] or data["costs"]["kubernetes"]["breakdown"])["control plane"]
    assert (plane["quantity"], plane["monthly_usd"]) == (720.0, 72.0)
    kb = load_kbase(pricing)
    assert kb.operations.hours_per_month == 720
    assert kb.operations.cpu_fraction_by_runtime["go"] == 0.6
    assert kb.operations.cpu_fraction_by_runtime["python"] == 0.5  # the others kept
    [(_, figure)] = [f for f in iter_figures(kb.raw["operations"]) if f[0] == "hours_per_month"]
    assert figure == {"value": 720, "unit": "hours", "as_of": "2026-12-01",
                      "source": f"override from {pricing}: our finance team's 30-day month"}


def _numbers(kb_raw: dict[str, Any]) -> list[tuple[tuple[str, ...], float]]:
    """Every number in a figure's value (one key of a mapping value), by override path."""
    out: list[tuple[tuple[str, ...], float]] = []
    for doc, tree in kb_raw.items():
        for dotted, figure in iter_figures(tree):
            path = (doc, *dotted.split("."))
            value = figure["value"]
            if isinstance(value, dict):
                key, first = next(iter(value.items()))
                out.append(((*path, key), first))
            elif isinstance(value, int | float) and not isinstance(value, bool):
                out.append((path, value))
    return out


def test_every_figure_refuses_a_negative_value(tmp_path: Path) -> None:
    numbers = _numbers(load_kbase().raw)
    assert len(numbers) > 100
    for i, (path, _) in enumerate(numbers):
        pricing = tmp_path / f"pricing-{i}.yaml"
        override: Any = -1
        for key in reversed(path):
            override = {key: override}
        pricing.write_text(json.dumps(override))
        with pytest.raises(UserError) as exc:
            load_kbase(pricing)
        [problem] = exc.value.problems
        assert problem.field == ".".join(path), problem
        assert problem.message.startswith(("must be more than", "must be at least")), problem
