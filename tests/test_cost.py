"""Cost core against hand calculations written out here, and the laws it must obey."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runplan.cost.estimate import estimate, monthly_costs
from runplan.cost.vector import rows_of, shapes, tiered
from runplan.kbase import KnowledgeBase, Tier
from runplan.profile import resolve, with_load

from .conftest import component, functions_cost, nodes_cost


def _items(cost):
    return {i.name: i.monthly_usd for i in cost.items}


def test_aws_lambda_1m_requests_100ms_128mb(kb: KnowledgeBase) -> None:
    # 1,000,000 x 0.1 s x 0.125 GB = 12,500 GB-s x $0.0000166667 = $0.2083
    # requests: 1M x $0.20/1M = $0.20  -> compute $0.41; HTTP API 1M x $1.00/1M = $1.00
    cost = functions_cost(kb, "aws", 1e6, 100, 128, http=True)
    items = _items(cost)
    assert items["function requests"] == pytest.approx(0.20)
    assert items["function compute (GB-s)"] == pytest.approx(12_500 * 0.0000166667)
    assert items["function requests"] + items["function compute (GB-s)"] == pytest.approx(
        0.41, abs=0.005)
    assert items["front door (HTTP API)"] == pytest.approx(1.00)


def test_gcp_same_workload(kb: KnowledgeBase) -> None:
    # requests 1M x $0.40/1M = $0.40; memory 12,500 GiB-s x $0.0000025 = $0.03125;
    # vCPU from Google's table: 128 MiB -> 0.083 vCPU; 1M x 0.1 s = 100,000 s x 0.083
    # = 8,300 vCPU-s x $0.000024 = $0.1992
    items = _items(functions_cost(kb, "gcp", 1e6, 100, 128, http=True))
    assert items["function requests"] == pytest.approx(0.40)
    assert items["function compute (GB-s)"] == pytest.approx(0.03125)
    assert items["function compute (vCPU-s)"] == pytest.approx(0.1992)
    assert items["front door (HTTP API)"] == 0.0


@pytest.mark.parametrize(("memory_mb", "vcpu"), [(512, 0.333), (8192, 2.0), (600, 0.583),
                                                 (40000, 8.0)])
def test_gcp_functions_cpu_follows_googles_table(kb: KnowledgeBase, memory_mb: float,
                                                  vcpu: float) -> None:
    # 1M requests x 1 s = 1,000,000 s x vCPU (512 MiB -> 0.333, 8 GiB -> 2; 600 MB takes the
    # 1 GiB row, 0.583; above 32 GiB the largest row, 8) x $0.000024
    items = _items(functions_cost(kb, "gcp", 1e6, 1000, memory_mb))
    assert items["function compute (vCPU-s)"] == pytest.approx(1e6 * vcpu * 0.000024)


def test_azure_flex_consumption_is_the_default(kb: KnowledgeBase) -> None:
    # Flex on-demand bills the instance memory, 2,048 MB at least: 128 MB -> 2 GB, and at
    # least 1,000 ms an execution (flex-consumption-plan, Billing): 100 ms -> 1 s.
    # 1M x 1 s x 2 GB = 2,000,000 GB-s x $0.000026 = $52.00; 1M executions x $0.40/1M = $0.40
    items = _items(functions_cost(kb, "azure", 1e6, 100, 128))
    assert items == {"function requests": pytest.approx(0.40),
                     "function compute (GB-s)": pytest.approx(52.00)}
    # 3,000 MB takes the 4,096 MB instance: 1M x 1 s x 4 GB = 4,000,000 GB-s x $0.000026
    items = _items(functions_cost(kb, "azure", 1e6, 100, 3000))
    assert items["function compute (GB-s)"] == pytest.approx(104.00)
    # free grant: 250,000 executions and 100,000 GB-s: 750,000 x $0.40/1M = $0.30;
    # 1,900,000 GB-s x $0.000026 = $49.40
    items = _items(functions_cost(kb, "azure", 1e6, 100, 128, free_tier=True))
    assert items == {"function requests": pytest.approx(0.30),
                     "function compute (GB-s)": pytest.approx(49.40)}


def test_azure_flex_rounds_past_the_minimum_up_to_100_ms(kb: KnowledgeBase) -> None:
    # The kbase had Flex billed per 1 ms with a 100 ms minimum (the legacy plan's figures);
    # Microsoft's Flex page says 1,000 ms at least, then rounded up to the nearest 100 ms.
    # 1,250 ms -> 1,300 ms: 1M x 1.3 s x 2 GB = 2,600,000 GB-s x $0.000026 = $67.60
    items = _items(functions_cost(kb, "azure", 1e6, 1250, 512))
    assert items["function compute (GB-s)"] == pytest.approx(67.60)


def test_azure_legacy_consumption_same_workload(kb: KnowledgeBase) -> None:
    # 1M x $0.20/1M = $0.20; 12,500 GB-s x $0.000016 = $0.20 (128 MB metering, 100 ms minimum)
    fn = kb.provider("azure").function_pricing("functions_legacy")
    assert fn.service == "Azure Functions Consumption plan (legacy)"
    items = _items(functions_cost(kb, "azure", 1e6, 100, 128, bill="functions_legacy"))
    assert items == {"function requests": pytest.approx(0.20),
                     "function compute (GB-s)": pytest.approx(0.20)}


def test_azure_legacy_rounds_memory_and_minimum_duration(kb: KnowledgeBase) -> None:
    # 200 MB is metered as 256 MB, 20 ms is billed as 100 ms: 1M x 0.1 s x 0.25 GB = 25,000 GB-s
    items = _items(functions_cost(kb, "azure", 1e6, 20, 200, bill="functions_legacy"))
    assert items["function compute (GB-s)"] == pytest.approx(25_000 * 0.000016)


def test_free_tier_is_subtracted_only_when_asked(kb: KnowledgeBase) -> None:
    cost = functions_cost(kb, "aws", 1e6, 100, 128, free_tier=True)
    assert cost.monthly_usd == 0.0


def test_tiers_are_cumulative() -> None:
    tiers = (Tier(300e6, 1.00), Tier(None, 0.90))
    # 400M requests: 300M at $1.00/M + 100M at $0.90/M = $390
    assert tiered(np.array([400e6]), tiers, per=1e6)[0] == pytest.approx(390.0)


def test_steady_100rps_serverless_line_items(kb: KnowledgeBase) -> None:
    # 100 rps x 730 h x 3600 s = 262,800,000 requests; 50 ms x 0.5 GB -> 6,570,000 GB-s
    w, _ = resolve(component(kind="api", traffic={"pattern": "steady", "avg_rps": 100},
                             execution={"avg_duration_ms": 50, "memory_mb": 512}), kb)
    report = estimate(w, kb, with_break_even=False)
    items = _items(report.serverless)
    assert items["function requests"] == pytest.approx(262.8 * 0.20)
    assert items["function compute (GB-s)"] == pytest.approx(6_570_000 * 0.0000166667)
    assert items["front door (HTTP API)"] == pytest.approx(262.8 * 1.00)


def test_steady_100rps_kubernetes_existing_cluster(kb: KnowledgeBase) -> None:
    # cpu_ms = 50 ms x 0.5 (python) = 25 ms. Steady: 36 of 730 hours at the 150 rps peak
    # (1.5 x avg), the rest at (73,000 - 36 x 150) / 694 = 97.41 rps.
    # Pods hold 0.5 vCPU x 0.6 = 0.3 vCPU of load: peak 150 x 0.025 / 0.3 = 12.5 -> 13 pods,
    # otherwise 97.41 x 0.025 / 0.3 = 8.1 -> 9 pods. Pod-hours 36 x 13 + 694 x 9 = 6,714.
    # With a cluster already running (the marginal view) a pod pays its share of the cheapest
    # node per pod, t3.medium (2 vCPU x 0.9 usable): 0.5 / 1.8 of $0.0416/h; no control plane
    # or load balancer hours (the cluster has them anyway); its own operations effort, 0.015
    # FTE at basic DevOps maturity x $12,500.
    w, _ = resolve(component(kind="api", traffic={"pattern": "steady", "avg_rps": 100},
                             execution={"avg_duration_ms": 50, "memory_mb": 512},
                             team={"existing_cluster": True}), kb)
    report = estimate(w, kb, with_break_even=False)
    assert report.view == "marginal"
    items = _items(report.kubernetes)
    node_share = 6714 * 0.5 / 1.8 * 0.0416
    # LCU-hours: each hour's rate / 25 new connections per s -> (36 x 150 + 694 x 97.41) / 25
    lcu = (36 * 150 + (73_000 - 36 * 150)) / 25 * 0.008
    assert items == {"node share": pytest.approx(node_share),
                     "load balancer capacity units": pytest.approx(lcu),
                     "operations (people)": pytest.approx(0.015 * 12_500)}
    assert report.kubernetes.monthly_usd == pytest.approx(77.584 + 23.36 + 187.5, abs=1e-3)
    assert report.kubernetes.fixed_usd == 0.0


def test_three_views_of_one_component(kb: KnowledgeBase) -> None:
    """Marginal, standalone and allocated for one two-hour workload, by hand. Hour 1 idle,
    hour 2 at 3 rps x 1,000 ms CPU = 10 pods (0.3 vCPU of load each); HTTP; basic maturity."""
    from runplan.advise import Advisor
    from runplan.cost.traffic import Shape
    from runplan.portfolio import Portfolio, placement
    from runplan.rulebase.load import load_rulebase

    shape = Shape.from_hours((0.0, 3.0), (False, False), 3.0)
    lcu = 3 / 25 * 0.008  # one hour with load: 3 new connections/s over 25 per LCU
    # Standalone: whole t3.medium nodes (3 pods each; 2 nodes as the floor, then 4), the rise
    # billed 240 s early; the control plane and the ALB for both hours; the people to run a
    # new cluster (0.75 FTE at basic) and the service (0.015 FTE), x $12,500.
    alone = nodes_cost(kb, shape, 1000, 512, http=True, view="standalone", maturity="basic")
    assert _items(alone) == {"nodes": pytest.approx((6 + 2 * 240 / 3600) * 0.0416),
                             "control plane": pytest.approx(2 * 0.10),
                             "load balancer": pytest.approx(2 * 0.0225),
                             "load balancer capacity units": pytest.approx(lcu),
                             "operations (people)": pytest.approx(0.765 * 12_500)}
    assert alone.monthly_usd == pytest.approx(0.2551 + 0.2 + 0.045 + 0.00096 + 9562.5, abs=1e-4)
    # Marginal: 2 + 10 = 12 pod-hours x 0.5/1.8 of a t3.medium; LCU; the service's 0.015 FTE.
    marginal = nodes_cost(kb, shape, 1000, 512, http=True, view="marginal", maturity="basic")
    assert _items(marginal) == {"node share": pytest.approx(12 * 0.5 / 1.8 * 0.0416),
                                "load balancer capacity units": pytest.approx(lcu),
                                "operations (people)": pytest.approx(187.5)}
    # Allocated: two steady APIs on the estate's cluster at basic maturity; the cluster's
    # fixed cost ($73 control plane + $16.43 ALB + 0.75 FTE = $9,464.93) spread by each
    # one's node share and LCUs (OpenCost-style) on top of its marginal cost.
    adv = Advisor(kb, load_rulebase(()), clusters=frozenset({"aws"}))
    a = adv.advise(component(name="a", kind="api", traffic={"pattern": "steady", "avg_rps": 100},
                             execution={"avg_duration_ms": 50, "memory_mb": 512}), flips=False)
    b = adv.advise(component(name="b", kind="worker", traffic={"pattern": "steady",
                                                               "avg_rps": 50},
                             execution={"avg_duration_ms": 50, "memory_mb": 512},
                             constraints={"compliance": ["air-gapped"]}), flips=False)
    assert a.costs.view == b.costs.view == "marginal"
    # b: 50 rps steady: peak 75 x 0.025 / 0.3 = 6.25 -> 7 pods for 36 h, the other 694 h at
    # (36,500 - 36 x 75) / 694 = 48.7 rps -> 4.06 -> 5 pods: 36 x 7 + 694 x 5 = 3,722
    # pod-hours; no LB (a worker).
    weight_a = 6714 * 0.5 / 1.8 * 0.0416 + 73_000 / 25 * 0.008
    weight_b = 3722 * 0.5 / 1.8 * 0.0416
    fixed = 0.10 * 730 + 0.0225 * 730 + 0.75 * 12_500
    folio = Portfolio(kb)
    for r in (a, b):
        assert r.verdict.verdict == "kubernetes"
        folio.add(placement(r, kb, False))
    summary = folio.summary()
    got = {x["name"]: x for x in summary["allocation"]}
    assert got["a"]["marginal_usd"] == pytest.approx(weight_a + 187.5, abs=0.01)
    assert got["b"]["marginal_usd"] == pytest.approx(weight_b + 187.5, abs=0.01)
    assert got["a"]["fixed_share_usd"] == pytest.approx(
        fixed * weight_a / (weight_a + weight_b), abs=0.01)
    assert got["a"]["total_usd"] + got["b"]["total_usd"] == pytest.approx(
        weight_a + weight_b + 2 * 187.5 + fixed, abs=0.02)
    [cluster] = summary["clusters"]
    assert cluster["fixed_total_usd"] == pytest.approx(fixed, abs=0.01)


def test_people_cost_depends_on_maturity_and_is_counted_once(kb: KnowledgeBase) -> None:
    """One figure per bill: the Kubernetes bill's people line is `cost.people_usd`, inside
    `cost.kubernetes_usd` once; the serverless bill carries the service's own effort."""
    figures = {"none": (1.0, 0.02, 0.006), "basic": (0.75, 0.015, 0.004),
               "established": (0.5, 0.01, 0.003), "platform": (0.25, 0.005, 0.002)}
    for maturity, (cluster, service, functions) in figures.items():
        w, _ = resolve(component(kind="worker", traffic={"pattern": "steady", "avg_rps": 5},
                                 team={"devops_maturity": maturity}), kb)
        report = estimate(w, kb, with_break_even=False)
        facts = report.facts()
        assert facts["cost.view"] == "standalone"
        # The Kubernetes model runs on ECS on Fargate (the cheapest that fits): no cluster to
        # run, so its people line is the service's own effort; no cluster fee, no load
        # balancer for a worker: nothing fixed.
        assert report.kubernetes.platform == "aws-ecs-fargate"
        assert facts["cost.people_usd"] == pytest.approx(service * 12_500)
        people = [i for i in report.kubernetes.items if i.name == "operations (people)"]
        assert len(people) == 1 and people[0].monthly_usd == facts["cost.people_usd"]
        assert facts["cost.fixed_usd"] == 0.0
        # EKS on nodes, a new cluster: the cluster's effort and the service's, once.
        nodes = next(o for o in report.platforms if o.platform.bill == "nodes")
        on_nodes = [i for i in nodes.items if i.name == "operations (people)"]
        assert len(on_nodes) == 1
        assert on_nodes[0].monthly_usd == pytest.approx((cluster + service) * 12_500)
        assert report.serverless is not None
        assert _items(report.serverless)["operations (people)"] == pytest.approx(
            functions * 12_500)


def test_new_cluster_whole_nodes_with_scale_lag(kb: KnowledgeBase) -> None:
    # Two hours: 0 rps then 3 rps at 1,000 ms CPU -> 10 pods -> 4 t3.medium nodes (3 pods each).
    # Hour 1 needs max(2, 1) = 2 nodes (availability floor); the rise adds 2 nodes billed
    # 240 s early: node-hours = 2 + 4 + 2 x 240/3600.
    from runplan.cost.traffic import Shape

    shape = Shape.from_hours((0.0, 3.0), (False, False), 3.0)
    cost = nodes_cost(kb, shape, 1000, 512, http=False, view="standalone",
                      maturity="established")
    assert cost.max_replicas == 10 and cost.node_type == "t3.medium"
    items = _items(cost)
    assert items["nodes"] == pytest.approx((6 + 2 * 240 / 3600) * 0.0416)
    assert items["control plane"] == pytest.approx(2 * 0.10)
    assert items["operations (people)"] == pytest.approx((0.5 + 0.01) * 12_500)


def test_scheduled_job(kb: KnowledgeBase) -> None:
    # 730 runs of 120 s at 1,024 MB on AWS: 87,600 GB-s x $0.0000166667 = $1.46 + $0.000146
    w, _ = resolve(component(kind="job", traffic={"pattern": "scheduled",
                                                   "requests_per_month": 730},
                             execution={"avg_duration_ms": 120_000, "memory_mb": 1024}), kb)
    sls = estimate(w, kb, with_break_even=False).serverless
    assert sls is not None
    # + the service's own operations effort on functions: 0.004 FTE (basic) x $12,500 = $50
    assert sls.monthly_usd == pytest.approx(87_600 * 0.0000166667 + 730 * 0.20 / 1e6 + 50)
    assert _items(sls)["operations (people)"] == pytest.approx(50)
    assert "front door (HTTP API)" not in _items(sls)


def _shape(kb: KnowledgeBase, pattern: str, requests: float, peak_rps: float, idle: float,
           ) -> tuple[list[float], list[float]]:
    """One workload's month (`cost.vector.shapes`' one row): (hours per level, each level's
    average rps), levels idle, active, peak."""
    w, _ = resolve(component(kind="api", traffic={
        "pattern": pattern, "requests_per_month": requests, "peak_rps": peak_rps,
        "idle_fraction": idle}), kb)
    sh = shapes(rows_of([w], kb), kb)
    return sh.counts[0].tolist(), sh.load[0].tolist()


def test_traffic_shape_keeps_total_peak_and_idle_hours(kb: KnowledgeBase) -> None:
    # 10M requests, 25% of 730 hours idle: round(182.5) = 182 idle (half to even), 548
    # active; diurnal's peak-hour share 0.15: round(82.2) = 82 hours at the 20 rps peak
    # (5.904M requests), the other 466 at (10M - 5.904M) / (466 x 3,600) = 2.4416 rps.
    counts, load = _shape(kb, "diurnal", 10_000_000, 20.0, 0.25)
    assert kb.traffic.patterns["diurnal"].peak_hour_share == 0.15
    assert counts == [182, 466, 82]
    assert load[0] == 0.0 and load[2] == 20.0
    assert load[1] == pytest.approx((10_000_000 - 82 * 20 * 3600) / (466 * 3600))
    assert sum(n * x * 3600 for n, x in zip(counts, load, strict=True)) == pytest.approx(
        10_000_000)


@pytest.mark.parametrize("pattern", ["steady", "diurnal", "business-hours", "bursty",
                                     "scheduled", "event-driven"])
def test_every_pattern_keeps_the_total(kb: KnowledgeBase, pattern: str) -> None:
    counts, load = _shape(kb, pattern, 5_000_000, 30.0, 0.5)
    assert sum(n * x * 3600 for n, x in zip(counts, load, strict=True)) == pytest.approx(
        5_000_000)
    assert counts[0] == 365 and sum(counts) == 730
    assert max(x for n, x in zip(counts, load, strict=True) if n) <= 30.0 + 1e-9


def test_break_even_lies_where_the_curves_cross(kb: KnowledgeBase) -> None:
    w, _ = resolve(component(kind="api", traffic={"pattern": "steady", "avg_rps": 100},
                             execution={"avg_duration_ms": 50, "memory_mb": 512},
                             team={"existing_cluster": True}), kb)
    be = estimate(w, kb).break_even
    assert be is not None
    hours = kb.operations.hours_per_month
    below = monthly_costs(with_load(w, be.requests_per_month * 0.97, hours), kb)
    above = monthly_costs(with_load(w, be.requests_per_month * 1.03, hours), kb)
    assert (below[0] or 0) < below[1]  # serverless cheaper just below
    assert (above[0] or 0) > above[1]  # Kubernetes cheaper just above


loads = st.floats(min_value=1e3, max_value=1e9)


@settings(max_examples=30, deadline=None)
@given(a=loads, b=loads)
def test_costs_are_monotonic_in_load(kb: KnowledgeBase, a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    w, _ = resolve(component(kind="api", traffic={"pattern": "diurnal", "avg_rps": 10}), kb)
    hours = kb.operations.hours_per_month
    s_lo, k_lo = monthly_costs(with_load(w, lo, hours), kb)
    s_hi, k_hi = monthly_costs(with_load(w, hi, hours), kb)
    assert (s_lo or 0) <= (s_hi or 0) + 1e-9
    assert k_lo <= k_hi + 1e-9


@settings(max_examples=20, deadline=None)
@given(rpm=st.floats(min_value=0, max_value=1e8))
def test_kubernetes_never_below_its_fixed_part(kb: KnowledgeBase, rpm: float) -> None:
    w, _ = resolve(component(kind="web", traffic={"pattern": "bursty", "requests_per_month": 1e5}),
                   kb)
    report = estimate(with_load(w, rpm, kb.operations.hours_per_month), kb, with_break_even=False)
    assert report.kubernetes.monthly_usd >= report.kubernetes.fixed_usd


def test_serverless_compute_is_zero_at_zero_load(kb: KnowledgeBase) -> None:
    cost = functions_cost(kb, "aws", 0, 100, 512, http=True)
    assert cost.monthly_usd == 0.0


def test_cold_start_share_for_sparse_traffic(kb: KnowledgeBase) -> None:
    # 1,000 events a month over 292 active hours (event-driven: 60% idle): 0.000951 rps, so a
    # request finds its instance gone (gap > 600 s keep-alive) with probability
    # exp(-0.000951 x 600) = 0.565; scale-out after idle hours only adds to that.
    w, _ = resolve(component(kind="event-handler", traffic={"pattern": "event-driven",
                                                            "requests_per_month": 1000}), kb)
    cs = estimate(w, kb, with_break_even=False).cold_start
    rate = 1000 / (292 * 3600)
    assert cs is not None
    assert math.exp(-rate * 600) - 0.01 <= cs.share_of_requests <= 1.0
    assert cs.added_latency_ms == pytest.approx(84.6 + 115)  # python init + platform overhead
    assert cs.p99_estimate_ms == pytest.approx(100 + 25 + 84.6 + 115)


def test_cold_starts_rare_for_steady_traffic(kb: KnowledgeBase) -> None:
    # 100 rps all month: gaps never exceed the keep-alive; only scale-out instances start cold.
    w, _ = resolve(component(kind="api", traffic={"pattern": "steady", "avg_rps": 100}), kb)
    cs = estimate(w, kb, with_break_even=False).cold_start
    assert cs is not None and cs.share_of_requests < 0.0001
    assert cs.p99_estimate_ms == pytest.approx(100 + 25)


def test_a_reports_cold_starts_are_the_arrays_one_row(kb: KnowledgeBase) -> None:
    """A flat 0.005 rps on Lambda, 100 ms of python a request, p99 objective 150 ms, idle
    never: 18 requests an hour over 730 hours = 13,140 a month. Each hour exp(-0.005 x 600 s
    keep-alive) = exp(-3) of them find no warm instance, and the month's first hour starts
    one: share = exp(-3) + 1/13,140 = 0.049863. Over 1%, so p99 is a cold request: 100 ms +
    25 ms warm overhead + 84.6 ms python init + 115 ms provisioning = 324.6 ms; the warm path
    (125 ms) meets the objective, the cold tail breaks it, so one instance (0.005 x 0.1 s in
    flight, at least 1) is kept warm."""
    w, _ = resolve(component(kind="worker", constraints={"provider": "aws"},
                             traffic={"pattern": "steady", "avg_rps": 0.005, "peak_rps": 0.005,
                                      "idle_fraction": 0},
                             execution={"avg_duration_ms": 100, "memory_mb": 512,
                                        "runtime": "python"},
                             latency={"p99_slo_ms": 150}), kb)
    report = estimate(w, kb, with_break_even=False)
    cs = report.cold_start
    assert cs is not None and cs.platform == "AWS Lambda"
    assert cs.share_of_requests == pytest.approx(math.exp(-3) + 1 / 13_140, rel=1e-12)
    assert round(cs.share_of_requests, 6) == 0.049863
    assert cs.added_latency_ms == pytest.approx(84.6 + 115)
    assert cs.warm_p99_ms == 125 and cs.p99_estimate_ms == pytest.approx(324.6)
    assert cs.breaches_slo is True and report.provisioned_instances == 1
    assert cs.p99_to_slo == pytest.approx(324.6 / 150) and cs.warm_to_slo == 125 / 150
    facts = report.facts()
    assert facts["cold_start.share"] == 0.049863 and facts["cold_start.p99_to_slo"] == 2.164
