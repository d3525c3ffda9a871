"""Components with parts (issue 12, item 6): priced as the sum of their parts on their own
verdicts, rules on the parts' facts rather than the parent's defaults, and a part's own
volume replacing the parent's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runplan.advise import PARENT_ABSENT, PARENT_UNCOMPARED, Advisor, Result, part_bill
from runplan.cli import main
from runplan.kbase import KnowledgeBase
from runplan.profile import Component, resolve
from runplan.report.batch import cheaper as batch_cheaper

from .conftest import EXAMPLES, PROFILES

TEAM = {"devops_maturity": "established", "existing_cluster": True, "engineers": 10}
API = {"name": "api", "kind": "api", "traffic": {"pattern": "steady", "avg_rps": 80},
       "latency": {"p99_slo_ms": 100, "user_facing": True}}
HOOKS = {"name": "hooks", "kind": "webhook",
         "traffic": {"pattern": "bursty", "requests_per_month": 30_000}}
SHOP = {"name": "shop", "team": TEAM, "constraints": {"provider": "aws"}, "parts": [API, HOOKS]}


def _alone(parent: dict[str, Any], part: dict[str, Any], joined: bool = False) -> Component:
    """A part as a component of its own: the parent's sections with the part's fields over
    them (the parents here give no traffic, so no volume precedence is involved); `joined`:
    advised by a team that already runs a cluster (marginal)."""
    data: dict[str, Any] = {"name": part["name"]}
    for key in ("kind", "traffic", "execution", "latency", "architecture", "team",
                "constraints"):
        a, b = parent.get(key), part.get(key)
        if isinstance(a, dict) or isinstance(b, dict):
            data[key] = {**(a or {}), **(b or {})}
        elif b is not None or a is not None:
            data[key] = b if b is not None else a
    if joined:
        data["team"] = {**data.get("team", {}), "existing_cluster": True}
    return Component.model_validate(data)


def _bill(r: Result, model: str) -> float:
    if model == "serverless":
        assert r.costs.serverless is not None
        return r.costs.serverless.monthly_usd
    return r.costs.kubernetes.monthly_usd


def test_a_two_part_component_costs_its_parts_chosen_bills(advisor: Advisor) -> None:
    """A steady 80 rps API with a 100 ms p99 SLO (kubernetes) and a bursty 30,000-a-month
    webhook (functions): the component costs the API's Kubernetes bill plus the webhook's
    functions bill. The webhook's, by hand from kbase/providers/aws.yaml: 30,000 requests x
    $0.20/1M = $0.006; 30,000 x 0.1 s (default duration) x 0.5 GB (default memory) = 1,500
    GB-s x $0.0000166667 = $0.025; API Gateway HTTP API 30,000 x $1.00/1M = $0.03; people
    0.003 FTE per serverless service for an established team x $12,500 (kbase/operations.yaml)
    = $37.50; $37.561."""
    r = advisor.advise(Component.model_validate(SHOP))
    api, hooks = r.parts
    assert (api.verdict.verdict, hooks.verdict.verdict, r.verdict.verdict) == \
        ("kubernetes", "serverless", "hybrid")
    webhook = 30_000 * 0.20 / 1e6 + 1_500 * 0.0000166667 + 30_000 * 1.00 / 1e6 + 0.003 * 12_500
    assert webhook == pytest.approx(37.561, abs=1e-6)
    assert _bill(hooks, "serverless") == pytest.approx(webhook, rel=1e-6)
    # Each part's bill is the bill of the same workload advised on its own.
    api_alone = advisor.advise(_alone(SHOP, API))
    assert api_alone.verdict.verdict == "kubernetes"
    assert _bill(api, "kubernetes") == pytest.approx(_bill(api_alone, "kubernetes"), rel=1e-12)
    assert r.parts_usd == pytest.approx(_bill(api_alone, "kubernetes") + webhook, rel=1e-6)
    # Both models' bills are the parts' sums too, one line item per part.
    c = r.costs
    assert c.kubernetes.monthly_usd == pytest.approx(
        _bill(api, "kubernetes") + _bill(hooks, "kubernetes"), rel=1e-12)
    assert c.serverless is not None
    assert c.serverless.monthly_usd == pytest.approx(
        _bill(api, "serverless") + webhook, rel=1e-6)
    assert [i.name for i in c.kubernetes.items] == ["part api", "part hooks"]
    assert c.break_even is None and c.cold_start is None
    assert r.platforms == () and r.platform is None  # each part has its own


def test_the_parts_sum_is_in_text_and_json(runner: CliRunner, tmp_path: Path,
                                          advisor: Advisor) -> None:
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(SHOP))
    r = advisor.advise(Component.model_validate(SHOP))
    assert r.parts_usd is not None
    data = json.loads(runner.invoke(main, ["advise", str(path), "--format", "json"]).output)
    assert data["costs"]["parts"] == {
        "monthly_usd": round(r.parts_usd, 2),
        "breakdown": {"api": {"verdict": "kubernetes",
                              "monthly_usd": round(_bill(r.parts[0], "kubernetes"), 2)},
                      "hooks": {"verdict": "serverless", "monthly_usd": 37.56}}}
    assert data["costs"]["break_even"] is None
    assert [p["costs"]["serverless"]["monthly_usd"] for p in data["parts"]][1] == 37.56
    text = runner.invoke(main, ["advise", str(path)]).output
    api_usd = f"${_bill(r.parts[0], 'kubernetes'):,.0f}"
    assert (f"  parts       ${r.parts_usd:,.0f}  (each on its verdict: api kubernetes "
            f"{api_usd} + hooks serverless $37.56)") in text
    assert "break-even" not in text
    explained = runner.invoke(main, ["advise", str(path), "--explain"]).output
    inputs = explained[explained.index("Inputs"):explained.index("Assumptions:")]
    assert "traffic." not in inputs and "kind =" not in inputs
    assert "    kind, traffic, execution, latency: its parts' own (none of its own)" in inputs
    assert "    team.existing_cluster = true" in inputs


def test_no_parent_rule_fires_on_parent_defaults(advisor: Advisor) -> None:
    """The parent gives no traffic: before, it was priced at the default 1M requests a month
    and TRAFFIC-LOW-001 fired on them. Now it has no traffic, execution or latency figures of
    its own, no rule reads one, and none is listed as assumed."""
    r = advisor.advise(Component.model_validate(SHOP))
    rules = [x.rule for x in r.reasons]
    assert "TRAFFIC-LOW-001" not in rules
    assert rules == ["TEAM-PLATFORM-001", "TEAM-CLUSTER-001", "VERDICT-PARTS-DIVERGE-001"]
    for x in r.reasons:
        assert not [f for f in x.facts if f.startswith(PARENT_ABSENT)], x.rule
    assert r.inputs["traffic.requests_per_month"] is None and r.inputs["kind"] is None
    assert not [a for a in r.assumptions if a.field.startswith(PARENT_ABSENT)]
    # No cost rule: each part's verdict weighed its own bills; the ratio of the all-on-one-
    # model sums is not a rule input (it would count the cost twice).
    assert all(r.inputs[f] is None for f in PARENT_UNCOMPARED)
    # The team rule quotes the sum of the parts' Kubernetes bills, the report's figure.
    team = next(x for x in r.reasons if x.rule == "TEAM-CLUSTER-001")
    assert f"(${r.costs.kubernetes.monthly_usd:,.0f}/month, its own operations effort " \
        "included)" in team.message


def test_no_rule_of_a_bundled_parent_reads_its_own_workload(advisor: Advisor) -> None:
    import yaml

    parents = [p for p in PROFILES if "parts" in (yaml.safe_load(p.read_text()) or {})]
    assert parents  # media-service
    for p in parents:
        r = advisor.advise(Component.model_validate(yaml.safe_load(p.read_text())))
        assert r.parts_usd == pytest.approx(sum(part_bill(x) for x in r.parts), rel=1e-12)
        for x in r.reasons:
            assert not [f for f in x.facts if f.startswith(PARENT_ABSENT)], (p.name, x.rule)


def test_media_service_costs_its_upload_api_on_kubernetes_and_thumbnails_on_functions(
        advisor: Advisor) -> None:
    import yaml

    from .conftest import EXAMPLES

    r = advisor.advise(Component.model_validate(
        yaml.safe_load((EXAMPLES / "media-service.yaml").read_text())))
    upload, thumbs = r.parts
    assert (upload.verdict.verdict, thumbs.verdict.verdict, r.verdict.verdict) == \
        ("kubernetes", "serverless", "hybrid")
    assert "TRAFFIC-LOW-001" not in [x.rule for x in r.reasons]
    assert r.parts_usd == pytest.approx(
        _bill(upload, "kubernetes") + _bill(thumbs, "serverless"), rel=1e-12)


# -- a part's own volume ----------------------------------------------------------------------

def test_a_parts_volume_replaces_the_parents(kb: KnowledgeBase, runner: CliRunner,
                                             tmp_path: Path) -> None:
    """Parent avg_rps 20 with peak 60; a part giving requests_per_month 30,000 was rejected as
    contradicting the parent's avg_rps. Now the part's volume wins, and the parent's peak
    (a multiple of the parent's volume) is not inherited: the part's peak is its pattern's
    default. A part giving nothing inherits both; a part giving avg_rps beats a parent's
    requests_per_month the same way."""
    seconds = kb.operations.hours_per_month * 3600
    parent = Component.model_validate({
        "name": "shop", "traffic": {"pattern": "steady", "avg_rps": 20, "peak_rps": 60},
        "parts": [{"name": "hooks", "traffic": {"requests_per_month": 30_000}},
                  {"name": "core"}]})
    hooks, _ = resolve(parent.parts[0], kb, parent=parent)
    assert hooks.requests_per_month == 30_000 and hooks.avg_rps == 30_000 / seconds
    steady = kb.traffic.patterns["steady"]
    avg = 30_000 / seconds
    assert hooks.peak_rps == round(max(avg / (1 - steady.idle_fraction),
                                       avg * steady.peak_to_avg), 6)
    core, _ = resolve(parent.parts[1], kb, parent=parent)
    assert (core.avg_rps, core.peak_rps) == (20, 60)
    other = Component.model_validate({
        "name": "shop", "traffic": {"requests_per_month": 1_000_000},
        "parts": [{"name": "api", "traffic": {"avg_rps": 5}}]})
    api, _ = resolve(other.parts[0], kb, parent=other)
    assert api.requests_per_month == 5 * seconds
    # The command line: exit 0, where it was `parts[0].traffic.avg_rps: disagrees with ...`.
    path = tmp_path / "shop.yaml"
    path.write_text("name: shop\ntraffic: {pattern: steady, avg_rps: 20, peak_rps: 60}\n"
                    "parts:\n  - name: hooks\n    kind: webhook\n"
                    "    traffic: {requests_per_month: 30000}\n  - name: core\n")
    result = runner.invoke(main, ["advise", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [p["name"] for p in data["parts"]] == ["hooks", "core"]


def test_a_part_contradicting_itself_is_still_an_error(runner: CliRunner,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text("name: shop\nparts:\n  - name: hooks\n"
                    "    traffic: {requests_per_month: 30000, avg_rps: 20}\n")
    result = runner.invoke(main, ["advise", str(path)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"{path}:4: error: parts[0].traffic.avg_rps: disagrees with "
        "traffic.requests_per_month (30,000/month is 0.01142 rps over 730 h); give one of them")


# -- the property --------------------------------------------------------------------------

PART = st.fixed_dictionaries({
    "kind": st.sampled_from(["api", "webhook", "worker", "job", "event-handler"]),
    "traffic": st.fixed_dictionaries({
        "pattern": st.sampled_from(["steady", "diurnal", "bursty", "business-hours"]),
        "requests_per_month": st.floats(1e4, 1e9)}),
    "execution": st.fixed_dictionaries({"avg_duration_ms": st.floats(10, 3000),
                                        "memory_mb": st.sampled_from([256, 512, 1024, 2048])}),
})


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(parts=st.lists(PART, min_size=1, max_size=3),
       team=st.fixed_dictionaries({"existing_cluster": st.booleans(),
                                   "devops_maturity": st.sampled_from(["basic", "platform"])}),
       provider=st.sampled_from(["aws", "gcp", "azure"]))
def test_a_component_with_parts_costs_the_sum_of_its_parts(
        advisor: Advisor, parts: list[dict[str, Any]], team: dict[str, Any],
        provider: str) -> None:
    """Whatever its parts: the component's cost is each part's bill on that part's verdict,
    the part advised as a component of its own, added up; each model's bill is the sum of the
    parts' bills on it."""
    named = [{"name": f"p{i}", **p} for i, p in enumerate(parts)]
    parent = {"name": "c", "team": team, "constraints": {"provider": provider}, "parts": named}
    r = advisor.advise(Component.model_validate(parent))
    # A part that joins the cluster another part stands up (`Advisor._share_cluster`) is the
    # part advised alone by a team that has that cluster.
    alone = [advisor.advise(_alone(parent, p, joined=part.costs.view == "marginal"))
             for p, part in zip(named, r.parts, strict=True)]
    for part, own in zip(r.parts, alone, strict=True):
        assert part.verdict.verdict == own.verdict.verdict
    expected = 0.0
    for own in alone:
        sls = own.costs.serverless
        expected += sls.monthly_usd if own.verdict.verdict == "serverless" and sls else \
            own.costs.kubernetes.monthly_usd
    assert r.parts_usd == pytest.approx(expected, rel=1e-9)
    assert r.costs.kubernetes.monthly_usd == pytest.approx(
        sum(own.costs.kubernetes.monthly_usd for own in alone), rel=1e-9)
    if r.costs.serverless is not None:
        assert r.costs.serverless.monthly_usd == pytest.approx(
            sum(own.costs.serverless.monthly_usd for own in alone
                if own.costs.serverless is not None), rel=1e-9)
    if {p.verdict.verdict for p in r.parts} == {r.verdict.verdict}:  # all on one model
        assert r.parts_usd == pytest.approx(_bill(r, r.verdict.verdict), rel=1e-9)


def test_an_estate_places_a_component_by_its_parts(advisor: Advisor) -> None:
    """Two steady APIs on an existing cluster, both kubernetes: the component's cluster
    share and mix are its parts', not those of a default 1M-requests workload."""
    from runplan.portfolio import placement

    data = {"name": "core", "team": TEAM, "parts": [
        {"name": "a", "kind": "api", "traffic": {"pattern": "steady", "avg_rps": 80},
         "latency": {"p99_slo_ms": 100, "user_facing": True}},
        {"name": "b", "kind": "api", "traffic": {"pattern": "steady", "avg_rps": 120},
         "latency": {"p99_slo_ms": 100, "user_facing": True}}]}
    r = advisor.advise(Component.model_validate(data))
    assert [p.verdict.verdict for p in r.parts] == ["kubernetes", "kubernetes"]
    assert r.verdict.verdict == "kubernetes"
    placed = placement(r, advisor.kb, advisor.free_tier)
    parts = [placement(p, advisor.kb, advisor.free_tier) for p in r.parts]
    assert placed.marginal_usd == pytest.approx(sum(p.marginal_usd for p in parts), rel=1e-12)
    assert placed.variable_usd == pytest.approx(sum(p.variable_usd for p in parts), rel=1e-12)
    assert placed.mix_variable_usd == pytest.approx(placed.variable_usd, rel=1e-12)
    assert placed.mix_cluster_usd == pytest.approx(sum(p.mix_cluster_usd for p in parts),
                                                   rel=1e-12)
    assert placed.mix_functions_usd == 0
    assert r.parts_usd == pytest.approx(r.costs.kubernetes.monthly_usd, rel=1e-12)


def test_cost_plot_of_a_component_with_parts_is_refused(runner: CliRunner,
                                                         tmp_path: Path) -> None:
    from .conftest import EXAMPLES

    target = tmp_path / "curve.png"
    profile = EXAMPLES / "media-service.yaml"
    result = runner.invoke(main, ["cost", str(profile), "--plot", str(target)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"{profile}: error: --plot: a component with parts has no cost curve of its own: "
        "plot each part as a profile, or its tornado with --uncertain")
    assert not target.exists()
    # with --uncertain, --plot is the tornado of its parts' inputs
    result = runner.invoke(main, ["cost", str(profile), "--uncertain=100", "--plot",
                                  str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_part_functions_cannot_run_leaves_the_component_no_functions_bill(
        advisor: Advisor) -> None:
    """A 30-minute transcode job (beyond Lambda's 15 minutes) and a webhook: all on functions
    is not an option (no `costs.serverless`), the hybrid is the job's Kubernetes bill plus
    the webhook's $37.561 (test_a_two_part_component_costs_its_parts_chosen_bills)."""
    r = advisor.advise(Component.model_validate({
        "name": "pipeline", "team": TEAM, "parts": [
            {"name": "transcode", "kind": "job",
             "traffic": {"pattern": "scheduled", "requests_per_month": 720},
             "execution": {"avg_duration_ms": 1_800_000, "max_duration_s": 3600,
                           "memory_mb": 4096}}, HOOKS]}))
    job, hooks = r.parts
    assert hooks.verdict.verdict == "serverless"
    assert job.verdict.excluded["serverless"] == ["LIMIT-DURATION-001"]
    assert r.costs.serverless is None and r.verdict.verdict == "hybrid"
    assert r.parts_usd == pytest.approx(_bill(job, "kubernetes") + 37.561, rel=1e-6)
    assert r.against_cost == ""


MEDIA_ROW = """  - name: media-service
    kind: api
    parts:
      - name: upload-api
        kind: api
        traffic: {pattern: steady, avg_rps: 60, peak_rps: 150}
        execution: {avg_duration_ms: 80, memory_mb: 512, runtime: go}
        latency: {p99_slo_ms: 200, user_facing: true}
      - name: thumbnailer
        kind: event-handler
        traffic: {pattern: bursty, requests_per_month: 200000, peak_rps: 50}
        execution: {avg_duration_ms: 1500, max_duration_s: 20, memory_mb: 1536, runtime: python}
"""


def test_score_cheaper_of_a_hybrid_compares_its_parts_sum(runner: CliRunner,
                                                          tmp_path: Path) -> None:
    # The bundled estate plus a component with parts (examples/media-service.yaml's). On the
    # estate's cluster, at marginal cost: upload-api $184.11 on Kubernetes (its verdict),
    # thumbnailer $45.04 on Lambda (its verdict): $229.15, what the hybrid costs. Both parts
    # on the cluster: 184.11 + 152.44 = $336.54; both on functions: 331.84 + 45.04 = $376.88.
    # `cheaper` compares what the verdict used: hybrid (it said kubernetes, $336.54 < $376.88).
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text((EXAMPLES / "inventory.yaml").read_text() + MEDIA_ROW)
    out = runner.invoke(main, ["score", str(inventory), "--format", "csv"]).stdout
    rows = {line.split(",")[0]: line for line in out.splitlines()}
    assert rows["name"].endswith(",platform,platform_usd,parts_usd")
    assert rows['"media-service"'].startswith(
        '"media-service","hybrid",0.98,336.54,"marginal",376.88,"hybrid",')
    assert rows['"media-service"'].endswith(',229.15')
    # A row without parts keeps its two-way comparison and an empty parts cell.
    assert rows['"catalog-api"'].startswith(
        '"catalog-api","kubernetes",0.89,304.0,"marginal",1197.54,"kubernetes",')
    assert rows['"catalog-api"'].endswith(',""')
    # Markdown and HTML: the same comparison, with the parts' sum beside it.
    md = runner.invoke(main, ["score", str(inventory), "--format", "markdown"]).stdout
    assert "| media-service | hybrid | 0.98 | $337 | marginal | $327 | $377 | hybrid (parts $229) |" \
        in md
    assert "| catalog-api | kubernetes | 0.89 | $304 | marginal | $736 | $1,198 | kubernetes | " \
        in md
    html = tmp_path / "estate.html"
    runner.invoke(main, ["score", str(inventory), "-o", str(html)])
    assert ('<td class="num">$377</td><td>hybrid (parts $229)</td>') in html.read_text()


@pytest.mark.parametrize(("k8s", "sls", "parts", "cheaper"), [
    (336.54, 376.88, 229.15, "hybrid"), (336.54, 376.88, None, "kubernetes"),
    (500.0, 100.0, 229.15, "serverless"), (300.0, None, 229.15, "hybrid"),
    (300.0, None, None, ""), (229.15, 400.0, 229.15, "kubernetes")])
def test_cheaper_weighs_the_parts_sum(k8s: float, sls: float | None, parts: float | None,
                                      cheaper: str) -> None:
    # A part functions cannot run leaves no serverless bill: the hybrid against the cluster.
    assert batch_cheaper(k8s, sls, parts) == cheaper


def test_parts_on_a_new_cluster_share_it(advisor: Advisor) -> None:
    """Two steady APIs and a webhook on Azure (no priced node-less platform, so AKS nodes),
    no cluster yet, an established team. The first API stands the cluster up (standalone: the
    control plane and the cluster's 0.5 FTE); the other parts join it (marginal), as `score`
    prices an estate, instead of each paying a cluster of its own."""
    team = {"devops_maturity": "established", "existing_cluster": False, "engineers": 10}
    api = {"kind": "api", "execution": {"avg_duration_ms": 80, "memory_mb": 512},
           "constraints": {"portability_required": True}}
    shop = Component.model_validate({
        "name": "shop", "team": team, "constraints": {"provider": "azure"},
        "parts": [{**api, "name": "catalog-api", "traffic": {"pattern": "steady", "avg_rps": 300}},
                  {**api, "name": "cart-api", "traffic": {"pattern": "steady", "avg_rps": 200}},
                  HOOKS]})
    r = advisor.advise(shop)
    catalog, cart, hooks = r.parts
    assert [p.costs.view for p in r.parts] == ["standalone", "marginal", "marginal"]
    assert catalog.costs.kubernetes.platform == cart.costs.kubernetes.platform == "azure-aks"
    k = r.costs.kubernetes
    # People: one cluster's 0.5 FTE + each part's own 0.01 FTE (established), x $12,500;
    # three clusters would be 3 x 0.51 FTE = $19,125.
    assert k.people_usd == pytest.approx((0.5 + 3 * 0.01) * 12_500)
    # Fixed: the first part's control plane and load balancer only.
    assert k.fixed_usd == catalog.costs.kubernetes.fixed_usd > 0
    assert cart.costs.kubernetes.fixed_usd == hooks.costs.kubernetes.fixed_usd == 0.0
    # Still the sum of its parts, each on its own verdict.
    assert r.verdict.verdict == "hybrid" and cart.verdict.verdict == "kubernetes"
    assert k.monthly_usd == pytest.approx(sum(p.costs.kubernetes.monthly_usd for p in r.parts))
