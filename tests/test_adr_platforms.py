"""`runplan adr check` against the limits of the platform an option names (issue 12 item 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from runplan.adr.check import map_platform
from runplan.cli import main
from runplan.kbase import KnowledgeBase

RECORD = """---
status: accepted
date: 2026-11-02
runplan:
  profile:
{profile}
---

# {title}

## Context and Problem Statement

Where the service runs.

## Considered Options

* {chosen}
* Something else

## Decision Outcome

Chosen option: "{chosen}", because it fits the workload.

### Consequences

* Good, because it fits.
* Bad, because it is new to the team.
"""
CHOSEN_LINE = 27  # the `Chosen option:` line of RECORD with a six-line profile

# A live-scores feed: 30-minute websocket sessions, about 3,000 open at the evening peak.
WEBSOCKETS = """    name: live-scores
    kind: web
    traffic: {{pattern: diurnal, requests_per_month: 200000, peak_rps: 5, idle_fraction: 0.3}}
    execution: {{avg_duration_ms: 600000, max_duration_s: 1800, memory_mb: 512, long_lived_connections: true}}
    team: {{devops_maturity: basic, existing_cluster: false, engineers: 4}}
    constraints: {{provider: {provider}}}"""
# Video export: twenty runs a day of 25 minutes, up to 40.
LONG_JOB = """    name: video-export
    kind: job
    traffic: {{pattern: scheduled, requests_per_month: 600}}
    execution: {{avg_duration_ms: 1500000, max_duration_s: 2400, memory_mb: 4096}}
    team: {{devops_maturity: basic, existing_cluster: false, engineers: 3}}
    constraints: {{provider: {provider}}}"""


def check(runner: CliRunner, tmp_path: Path, profile: str, provider: str, chosen: str,
          ) -> tuple[int, str, Path]:
    path = tmp_path / "0001-decision.md"
    path.write_text(RECORD.format(profile=profile.format(provider=provider), title="Decision",
                                  chosen=chosen))
    result = runner.invoke(main, ["adr", "check", str(path)])
    return result.exit_code, result.stdout, path


CLEAN = "1 record checked: 0 errors, 0 warnings, 0 notes\n"


def test_fargate_for_a_40_minute_job_is_clean(runner: CliRunner, tmp_path: Path) -> None:
    assert check(runner, tmp_path, LONG_JOB, "aws", "ECS on Fargate")[:2] == (0, CLEAN)


def test_cloud_run_for_a_websocket_service_is_clean(runner: CliRunner, tmp_path: Path) -> None:
    # Cloud Run services hold websockets for up to the 60-minute request timeout; the
    # function limits (LIMIT-CONNECTIONS-001, LIMIT-DURATION-001) are not Cloud Run's.
    assert check(runner, tmp_path, WEBSOCKETS, "gcp", "Cloud Run")[:2] == (0, CLEAN)


def test_lambda_for_the_same_websocket_service_is_an_error(runner: CliRunner,
                                                          tmp_path: Path) -> None:
    code, out, path = check(runner, tmp_path, WEBSOCKETS, "gcp", "AWS Lambda")
    assert code == 1
    assert out.splitlines() == [
        f"{path}:{CHOSEN_LINE}: error: ADR-HARD-CONSTRAINT: chose AWS Lambda, but its limits "
        "rule it out: execution.max_duration_s: the longest run (1,800 s) is over the 900 s "
        "limit; execution.long_lived_connections: cannot hold long-lived connections open",
        "1 record checked: 1 error, 0 warnings, 0 notes"]
    # On AWS itself Lambda is the provider's functions platform: the rules' own exclusions.
    code, out, path = check(runner, tmp_path, WEBSOCKETS, "aws", "AWS Lambda")
    assert code == 1
    assert [line.split(": ")[2] for line in out.splitlines()[:-1]] == [
        "ADR-HARD-CONSTRAINT", "ADR-HARD-CONSTRAINT"]
    assert "LIMIT-CONNECTIONS-001 rules it out" in out


def test_a_model_named_alone_is_checked_against_every_platform_of_it(
        runner: CliRunner, tmp_path: Path) -> None:
    # GCP: Cloud Run services fit the websockets although Cloud Run functions do not.
    assert check(runner, tmp_path, WEBSOCKETS, "gcp", "Serverless")[:2] == (0, CLEAN)
    # AWS: no serverless platform runs 40 minutes (Lambda stops at 15): the rule's error.
    code, out, path = check(runner, tmp_path, LONG_JOB, "aws", "Serverless")
    assert code == 1
    assert out.splitlines()[0] == (
        f"{path}:{CHOSEN_LINE}: error: ADR-HARD-CONSTRAINT: chose serverless, but "
        "LIMIT-DURATION-001 rules it out: The longest run (2,400 s) is over the 900 s function "
        "time limit on aws.")


# A report endpoint: a request can take up to 5 minutes.
SLOW_API = """    name: report-export
    kind: api
    traffic: {{pattern: diurnal, requests_per_month: 20000, peak_rps: 1}}
    execution: {{avg_duration_ms: 120000, max_duration_s: 300, memory_mb: 1024}}
    team: {{devops_maturity: basic, existing_cluster: false, engineers: 3}}
    constraints: {{provider: {provider}}}"""


def test_a_named_platform_over_its_own_limit_is_an_error(runner: CliRunner,
                                                         tmp_path: Path) -> None:
    # Container Apps' 240 s request timeout (Microsoft's ingress page) cannot answer a
    # 5-minute request.
    code, out, path = check(runner, tmp_path, SLOW_API, "azure", "Azure Container Apps")
    assert code == 1
    assert out.splitlines()[0] == (
        f"{path}:{CHOSEN_LINE}: error: ADR-HARD-CONSTRAINT: chose Azure Container Apps "
        "(consumption), but its limits rule it out: execution.max_duration_s: the longest run "
        "(300 s) is over the 240 s limit")


def test_a_forty_minute_job_on_container_apps_jobs_is_clean(runner: CliRunner,
                                                           tmp_path: Path) -> None:
    # A Container Apps job runs for the replicaTimeout its owner sets: no 240 s limit.
    assert check(runner, tmp_path, LONG_JOB, "azure", "Azure Container Apps")[:2] == (0, CLEAN)


@pytest.mark.parametrize(("text", "name"), [
    ("ECS on Fargate", "aws-ecs-fargate"), ("EKS on Fargate", "aws-eks-fargate"),
    ("Amazon EKS", "aws-eks-nodes"), ("Cloud Run", "gcp-cloud-run"),
    ("Cloud Run functions", "gcp-cloud-run-functions"), ("GKE Autopilot", "gcp-gke-autopilot"),
    ("Azure Container Apps", "azure-container-apps"), ("AWS App Runner", "aws-app-runner"),
    ("Azure Functions on the Flex Consumption plan", "azure-functions-flex"),
    ("AWS Lambda", "aws-lambda"), ("Serverless", None), ("Lambda and Fargate", None),
    ("Hybrid: Lambda for webhooks, EKS for the API", None), ("Knative on GKE", None)])
def test_options_map_to_platforms(kb: KnowledgeBase, text: str, name: str | None) -> None:
    found = map_platform(text, kb)
    assert (found.name if found else None) == name


def test_azure_functions_for_a_12_minute_job_is_clean(runner: CliRunner, tmp_path: Path) -> None:
    # Flex Consumption runs 60 minutes on 2-4 GB instances; the legacy Consumption plan's
    # 10 minutes and 1.5 GB rule it out.
    job = """    name: nightly-reconcile
    kind: job
    traffic: {{pattern: scheduled, requests_per_month: 30, peak_rps: 0.0014}}
    execution: {{avg_duration_ms: 600000, max_duration_s: 720, memory_mb: 2048}}
    team: {{devops_maturity: basic, existing_cluster: false, engineers: 3}}
    constraints: {{provider: {provider}}}"""
    assert check(runner, tmp_path, job, "azure", "Azure Functions")[:2] == (0, CLEAN)
    code, out, path = check(runner, tmp_path, job, "azure", "Azure Functions Consumption plan")
    assert code == 1
    assert out.splitlines()[0] == (
        f"{path}:{CHOSEN_LINE}: error: ADR-HARD-CONSTRAINT: chose Azure Functions Consumption "
        "plan (legacy), but its limits rule it out: execution.max_duration_s: the longest run "
        "(720 s) is over the 600 s limit; execution.memory_mb: 2,048 MB is over the 1,536 MB "
        "limit")


def test_cloud_run_with_a_gpu_is_not_a_hard_constraint(runner: CliRunner, tmp_path: Path) -> None:
    # Cloud Run services offer GPUs (NVIDIA L4, some regions); LIMIT-GPU-001 is about functions.
    inference = """    name: image-tagger
    kind: ml-inference
    traffic: {{pattern: diurnal, requests_per_month: 300000}}
    execution: {{avg_duration_ms: 400, memory_mb: 16384, gpu: true}}
    team: {{devops_maturity: basic, existing_cluster: false, engineers: 4}}
    constraints: {{provider: {provider}}}"""
    path = tmp_path / "0001-decision.md"
    path.write_text(RECORD.format(profile=inference.format(provider="gcp"), title="Decision",
                                  chosen="Cloud Run"))
    result = runner.invoke(main, ["adr", "check", str(path), "--format", "json"])
    findings = json.loads(result.stdout)["findings"]
    assert "ADR-HARD-CONSTRAINT" not in {f["check"] for f in findings}
    path.write_text(RECORD.format(profile=inference.format(provider="gcp"), title="Decision",
                                  chosen="Cloud Run functions"))
    result = runner.invoke(main, ["adr", "check", str(path)])
    assert result.exit_code == 1
    assert ("ADR-HARD-CONSTRAINT: chose Cloud Run functions (gen2), but its limits rule it out: "
            "execution.gpu: no GPU on this platform") in result.stdout


# A video app in two parts: an upload API, and an export job of 25 minutes (up to 40).
PARTS = """    name: video-app
    team: {{devops_maturity: basic, existing_cluster: false, engineers: 4}}
    constraints: {{provider: {provider}}}
    parts:
      - name: upload-api
        kind: api
        traffic: {{pattern: diurnal, requests_per_month: 300000, peak_rps: 5}}
        execution: {{avg_duration_ms: 120, memory_mb: 512}}
      - name: export-job
        kind: job
        traffic: {{pattern: scheduled, requests_per_month: 600}}
        execution: {{avg_duration_ms: 1500000, max_duration_s: 2400, memory_mb: 4096}}"""
PARTS_CHOSEN_LINE = CHOSEN_LINE + 6  # the profile is six lines longer


@pytest.mark.parametrize(("chosen", "code", "first"), [
    # Lambda runs neither 40 minutes nor, so, the export part (the parent's defaults, a
    # 1M-request API, would have passed).
    ("AWS Lambda", 1, "error: ADR-HARD-CONSTRAINT: chose serverless, but LIMIT-DURATION-001 "
     "rules out part export-job: The longest run (2,400 s) is over the 900 s function time "
     "limit on aws."),
    ("Serverless", 1, "error: ADR-HARD-CONSTRAINT: chose serverless, but LIMIT-DURATION-001 "
     "rules out part export-job: The longest run (2,400 s) is over the 900 s function time "
     "limit on aws."),
    # Each part on its own verdict: nothing to rule out, runplan's verdict.
    ("Hybrid: Lambda for the API, Fargate for exports", 0, None),
    # Fargate runs both parts; runplan prefers the hybrid, by the parts' sums.
    ("ECS on Fargate", 0, "warning: ADR-DISAGREES: chose kubernetes; runplan's verdict is "
     "hybrid (confidence 0.99): Its parts diverge: 1 on Kubernetes, 1 on functions; run each "
     "where it fits. [VERDICT-PARTS-DIVERGE-001]; kubernetes costs $437/month against "
     "$248 for hybrid (+$189)"),
])
def test_adr_check_of_a_component_with_parts_checks_its_parts(
        runner: CliRunner, tmp_path: Path, chosen: str, code: int, first: str | None) -> None:
    got, out, path = check(runner, tmp_path, PARTS, "aws", chosen)
    assert got == code
    if first is None:
        assert out == CLEAN
    else:
        assert out.splitlines()[0] == f"{path}:{PARTS_CHOSEN_LINE}: {first}"


def test_a_named_platform_over_a_parts_limit_names_the_part(runner: CliRunner,
                                                            tmp_path: Path) -> None:
    # Container Apps answers an HTTP request within 240 s: a part's 5-minute report is over it.
    profile = PARTS.replace("requests_per_month: 300000, peak_rps: 5}}\n        execution: "
                            "{{avg_duration_ms: 120, memory_mb: 512}}",
                            "requests_per_month: 3000, peak_rps: 1}}\n        execution: "
                            "{{avg_duration_ms: 120000, max_duration_s: 300, memory_mb: 512}}")
    code, out, path = check(runner, tmp_path, profile, "azure", "Azure Container Apps")
    assert code == 1
    assert out.splitlines()[0] == (
        f"{path}:{PARTS_CHOSEN_LINE}: error: ADR-HARD-CONSTRAINT: chose Azure Container Apps "
        "(consumption), but its limits rule out part upload-api: execution.max_duration_s: the "
        "longest run (300 s) is over the 240 s limit")
