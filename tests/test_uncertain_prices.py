"""Ranges on prices (issue 14): a `--pricing` file may give a provider's price as a range, and
`--uncertain` draws it; the people draws reach every platform's people line. Each draw's bill
is checked against experta's run on a kbase whose figure is the drawn value."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from runplan.advise import Advisor
from runplan.cli import main
from runplan.cost.people import PEOPLE_ITEM
from runplan.errors import UserError
from runplan.kbase import KnowledgeBase, load_kbase
from runplan.probes import VERDICTS
from runplan.rulebase.load import RuleBase
from runplan.uncertainty.ranges import Z90
from runplan.uncertainty.sample import inputs_for, judge, lhs, seed_of

from .test_uncertain import EXACT, _load

PRICES = """aws:
  functions:
    request_usd_per_million: 0.15..0.25
    gb_second_tiers:
      - {up_to: 6000000000, usd: "0.000012..0.000020"}
      - {up_to: 15000000000, usd: 0.000015}
      - {up_to: null, usd: 0.0000133334}
  front_door:
    load_balancer_hourly_usd: {low: 0.02, high: 0.03}
  kubernetes:
    node_types:
      - {name: t3.medium, vcpu: 2, memory_gib: 4, hourly_usd: 0.03..0.12}
      - {name: m7g.large, vcpu: 2, memory_gib: 8, hourly_usd: {low: 0.05, high: 0.0816}}
      - {name: m6i.large, vcpu: 2, memory_gib: 8, hourly_usd: 0.096}
      - {name: c6i.xlarge, vcpu: 4, memory_gib: 8, hourly_usd: 0.17}
  platforms:
    aws-ecs-fargate:
      prices:
        vcpu_hour_usd: {p10: 0.03, p50: 0.035, p90: 0.04048}
"""

TIER0 = "aws.functions.gb_second_tiers.0.usd"
NODE = "aws.kubernetes.node_types."
M7G = f"{NODE}m7g.large.hourly_usd"


def _write(tmp_path: Path, text: str, name: str = "prices.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_price_range_stands_at_its_median(tmp_path: Path) -> None:
    kb = load_kbase(_write(tmp_path, PRICES))
    aws = kb.provider("aws")
    # 0.15..0.25 is a 90% interval: median sqrt(0.15 x 0.25) = 0.1936492 -> 6 digits
    assert aws.functions.request_usd_per_million == 0.193649
    r = kb.price_ranges["aws.functions.request_usd_per_million"]
    assert (r.dist.low, r.dist.high, r.point) == (0.15, 0.25, 0.193649)
    assert r.dist.quantile(0.05) == pytest.approx(0.15)
    assert r.dist.below == pytest.approx(math.log(0.25 / 0.15) / 2 / Z90)
    # inside lists: a tier's usd and a node type's hourly_usd, by index and by name
    assert aws.functions.gb_second_tiers[0].usd == float(f"{math.sqrt(0.000012 * 0.00002):.6g}")
    assert next(t for t in aws.kubernetes.node_types if t.name == "m7g.large").hourly_usd == \
        float(f"{math.sqrt(0.05 * 0.0816):.6g}")
    # a triple stands at its p50
    fargate = next(p for p in aws.platforms if p.name == "aws-ecs-fargate")
    assert fargate.prices["vcpu_hour_usd"] == 0.035
    assert sorted(kb.price_ranges) == sorted([
        "aws.functions.request_usd_per_million", TIER0, "aws.front_door.load_balancer_hourly_usd",
        f"{NODE}t3.medium.hourly_usd", M7G,
        "aws.platforms.aws-ecs-fargate.prices.vcpu_hour_usd"])


@pytest.mark.parametrize(("text", "line", "message"), [
    ("aws:\n  functions:\n    request_usd_per_million: 0.25..0.15\n", 3,
     "aws.functions.request_usd_per_million: the low end must be below the high end, "
     "got 0.25..0.15"),
    ("aws:\n  functions:\n    request_usd_per_million: ..0.25\n", 3,
     "aws.functions.request_usd_per_million: a range needs both ends: low..high, e.g. 2M..8M"),
    ("aws:\n  functions:\n    request_usd_per_million: {low: 0.1}\n", 3,
     "aws.functions.request_usd_per_million: a range is {low: .., high: ..} (a 90% interval) "
     "or {p10: .., p50: .., p90: ..}; got only low"),
    ("aws:\n  functions:\n    memory_increment_mb: 1..64\n", 3,
     "aws.functions.memory_increment_mb: takes one value, not a range (ranges are for a "
     "provider's prices and for figures kbase gives a range: low, high)"),
    ("operations:\n  hours_per_month: 700..740\n", 2,
     "operations.hours_per_month: takes one value, not a range (ranges are for a provider's "
     "prices and for figures kbase gives a range: low, high)"),
    ("aws:\n  functions:\n    request_usd_per_million: 0..0.2\n", 3,
     "aws.functions.request_usd_per_million: a range of this figure is log-normal: its low end "
     "must be above 0, got 0"),
    ("aws:\n  functions:\n    request_usd_per_million: 0.1..cheap\n", 3,
     "aws.functions.request_usd_per_million: expected a price in the figure's unit, e.g. 0.20 "
     "or $0.20"),
    ("aws:\n  functions:\n    request_usd_per_million: {low: 0.1, high: .inf}\n", 3,
     "aws.functions.request_usd_per_million.high: must be a finite number, got a number too "
     "large to use"),
    ("aws:\n  functions:\n    request_usd_per_million: 0.1..1e999\n", 3,
     "aws.functions.request_usd_per_million: a price must be a finite number"),
])
def test_price_range_errors_name_file_line_and_field(tmp_path: Path, runner: CliRunner,
                                                     text: str, line: int,
                                                     message: str) -> None:
    path = _write(tmp_path, text, f"bad{line}{len(text)}.yaml")
    with pytest.raises(UserError) as got:
        load_kbase(path)
    assert [str(p) for p in got.value.problems] == [f"{path}:{line}: error: {message}"]
    result = runner.invoke(main, ["advise", str(Path("examples/payments-webhook.yaml")),
                                  "--pricing", str(path)])
    assert result.exit_code == 2
    assert result.output.strip().endswith(message) and "Traceback" not in result.output


def test_dollar_signs_and_a_kbase_shape_take_ranges(tmp_path: Path) -> None:
    kb = load_kbase(_write(tmp_path, "aws:\n  functions:\n    request_usd_per_million:\n"
                                     "      {value: $0.16..$0.25, source: our contract}\n"))
    r = kb.price_ranges["aws.functions.request_usd_per_million"]
    assert (r.dist.low, r.dist.high, r.point) == (0.16, 0.25, 0.2)  # sqrt(0.04) = 0.2
    raw = kb.raw["aws"]["functions"]["request_usd_per_million"]
    assert raw["source"] == f"override from {tmp_path / 'prices.yaml'}: our contract"


def test_a_range_on_a_people_figure_replaces_kbases_range(tmp_path: Path, advisor: Advisor,
                                                          rulebase: RuleBase) -> None:
    kb = load_kbase(_write(tmp_path, "operations:\n  fte_monthly_usd: 9000..16000\n"))
    figure = kb.raw["operations"]["fte_monthly_usd"]
    assert (figure["value"], figure["low"], figure["high"]) == (12000, 9000, 16000)
    c = _load(EXACT, kb)
    ranged = Advisor(kb, rulebase)
    result = ranged.advise(c)
    fte = next(i for i in inputs_for(c._ranges.get((), {}), result.workload, set(), kb,
                                     ranged.view_of(result.workload), 0.0)
               if i.name == "people.fte_monthly_usd")
    assert not fte.assumed and fte.source.endswith(f"(range from {tmp_path / 'prices.yaml'})")
    assert (fte.dist.low, fte.dist.high) == (9000, 16000)


def _override(kb: KnowledgeBase, values: dict[str, float]) -> dict[str, Any]:
    """An override file's data setting each price key to a value: scalars by their path, list
    entries (a tier, a node type) by writing the whole list with that entry changed."""
    out: dict[str, Any] = {}
    types = copy.deepcopy(kb.raw["aws"]["kubernetes"]["node_types"]["value"])
    for key, value in values.items():
        if key == TIER0:
            tiers = copy.deepcopy(kb.raw["aws"]["functions"]["gb_second_tiers"]["value"])
            tiers[0]["usd"] = value
            out.setdefault("aws", {}).setdefault("functions", {})["gb_second_tiers"] = tiers
        elif key.startswith(NODE):
            name = key.removeprefix(NODE).removesuffix(".hourly_usd")
            next(t for t in types if t["name"] == name)["hourly_usd"] = value
            out.setdefault("aws", {}).setdefault("kubernetes", {})["node_types"] = types
        else:
            node = out
            *parents, last = key.split(".")
            for p in parents:
                node = node.setdefault(p, {})
            node[last] = value
    return out


STANDALONE = EXACT.replace("existing_cluster: true", "existing_cluster: false") \
    .replace("avg_rps: 400, peak_rps: 600", "avg_rps: 30, peak_rps: 45")


@pytest.mark.parametrize("profile", [EXACT, STANDALONE])
def test_a_price_draw_is_the_bill_at_that_price(tmp_path: Path, rulebase: RuleBase,
                                                profile: str) -> None:
    """Each draw's bills and verdict equal experta's on a kbase whose figures are the drawn
    prices (the platform chosen again at those prices, not a bill scaled after)."""
    kb = load_kbase(_write(tmp_path, PRICES))
    fast = Advisor(kb, rulebase)
    c = _load(profile, kb)
    result = fast.advise(c)
    w = result.workload
    inputs = [i for i in inputs_for(c._ranges.get((), {}), w, set(), kb, fast.view_of(w), 0.0)
              if i.name.startswith("prices.")]
    assert len(inputs) == 6
    n = 6
    z = lhs(len(inputs), n, seed_of(c, n, 0.0))
    values = np.vstack([i.dist.ppf(z[k]) for k, i in enumerate(inputs)])
    drawn = judge(fast, result, inputs, values)
    for j in range(n):
        data = _override(kb, {i.name.removeprefix("prices."): float(values[k, j])
                              for k, i in enumerate(inputs)})
        path = _write(tmp_path, yaml.safe_dump(data), f"draw{j}.yaml")
        ref_kb = load_kbase(path)
        expected = Advisor(ref_kb, rulebase, shared=False).advise(_load(profile, ref_kb),
                                                                   flips=False)
        assert drawn.kubernetes_usd[j] == pytest.approx(expected.costs.kubernetes.monthly_usd,
                                                        rel=1e-9)
        assert expected.costs.serverless is not None
        assert drawn.serverless_usd[j] == pytest.approx(expected.costs.serverless.monthly_usd,
                                                        rel=1e-9)
        assert VERDICTS[int(drawn.verdict[j])] == expected.verdict.verdict
    # the prices move both bills (on nodes: the node type chosen at each draw's prices)
    assert len(set(drawn.kubernetes_usd)) == len(set(drawn.serverless_usd)) == n


def test_people_draws_reach_a_node_less_platforms_people_line(tmp_path: Path, kb: KnowledgeBase,
                                                              rulebase: RuleBase) -> None:
    """Kubernetes runs on ECS on Fargate here (no cluster, a small load): its people line is
    the service's FTE x the FTE cost, so a draw of the FTE cost moves it as a kbase with
    that FTE cost does."""
    fast = Advisor(kb, rulebase)
    small = STANDALONE.replace("avg_rps: 30, peak_rps: 45", "avg_rps: 2, peak_rps: 3")
    c = _load(small, kb)
    result = fast.advise(c)
    assert result.costs.kubernetes.platform == "aws-ecs-fargate"
    w = result.workload
    inputs = [i for i in inputs_for(c._ranges.get((), {}), w, set(), kb, fast.view_of(w), 0.0)
              if i.name == "people.fte_monthly_usd"]
    values = np.array([[9000.0, 12500.0, 20000.0]])
    drawn = judge(fast, result, inputs, values)
    for j, fte in enumerate(values[0]):
        path = _write(tmp_path, f"operations:\n  fte_monthly_usd: {fte}\n", f"fte{j}.yaml")
        ref_kb = load_kbase(path)
        expected = Advisor(ref_kb, rulebase, shared=False).advise(_load(small, ref_kb),
                                                                   flips=False)
        assert expected.costs.kubernetes.platform == "aws-ecs-fargate"
        assert drawn.kubernetes_usd[j] == pytest.approx(expected.costs.kubernetes.monthly_usd,
                                                        rel=1e-9)
    assert drawn.kubernetes_usd[0] < drawn.kubernetes_usd[1] < drawn.kubernetes_usd[2]


def test_a_models_price_factor_scales_its_bill_but_not_its_people(kb: KnowledgeBase,
                                                                  advisor: Advisor) -> None:
    """--price-uncertainty: one factor on every price of a model's platforms. On AWS the
    serverless model is Lambda whatever the factor: its bill at factor f is people + (bill -
    people) x f."""
    c = _load(EXACT, kb)
    result = advisor.advise(c)
    w = result.workload
    inputs = [i for i in inputs_for(c._ranges.get((), {}), w, set(), kb, advisor.view_of(w), 0.2)
              if i.name == "prices.serverless"]
    values = np.array([[0.8, 1.0, 1.25]])
    drawn = judge(advisor, result, inputs, values)
    sls = result.costs.serverless
    assert sls is not None
    people = next(x.monthly_usd for x in sls.items if x.name == PEOPLE_ITEM)
    for j, f in enumerate(values[0]):
        assert drawn.serverless_usd[j] == pytest.approx(people + (sls.monthly_usd - people) * f,
                                                        rel=1e-12)


def test_a_long_input_name_wraps_after_its_dots_in_the_tornado() -> None:
    from runplan.uncertainty.plot import wrapped

    name = "prices.aws.platforms.aws-ecs-fargate.prices.vcpu_hour_usd"
    assert wrapped(name) == "prices.aws.platforms.\naws-ecs-fargate.prices.vcpu_hour_usd"
    assert wrapped("traffic.avg_rps") == "traffic.avg_rps"
    assert wrapped(name).replace("\n", "") == name
