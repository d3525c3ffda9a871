"""Each platform's monthly bill and limits: the platforms of kbase/providers under each model.

A model's platforms (DESIGN.md "Platforms and cost views"): functions, serverless containers
(Cloud Run services, Container Apps consumption), node-less containers (ECS or EKS on Fargate,
GKE Autopilot) and Kubernetes on nodes. Functions are billed by `cost.serverless` and nodes
by `cost.kubernetes`, the bills the verdict reads; the two container bills are here, each
written once over arrays (one row = one workload, the single report is the one-row case),
with their line items as arrays too.

- request-containers (billed per use while serving requests, scaled to zero when idle): an
  instance is sized at the smallest row of the platform's vCPU table that holds the memory;
  each request's time is rounded up to the billing increment; overlapping requests share an
  instance (up to `requests_per_instance`, fewer when their CPU would fill its vCPU first):
  instance-seconds = busy seconds / clamp(requests in flight while active, 1, per instance).
  Then instance-seconds x vCPU x rate + x GiB x rate + requests x rate, less the free tier.
- task-hours (node-less containers, billed per running task or pod for what it requests):
  a service runs the replicas the Kubernetes replica model gives (`kubernetes.
  replicas_per_level`), a job one task per run for its duration (at least `min_billed_s`);
  each task asks `pod_vcpu` vCPU and its memory, at least `min_gb_per_vcpu` per vCPU;
  + the cluster fee less any monthly credit, + the load balancer an HTTP service needs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from runplan.cost.kubernetes import kubernetes_amounts, replicas_per_level
from runplan.cost.people import PEOPLE_ITEM, people_fte, people_note, people_usd
from runplan.cost.serverless import LineItem, add_up, serverless_monthly_cost
from runplan.cost.traffic import Shape
from runplan.fmt import num
from runplan.kbase import KnowledgeBase, Platform, PlatformLimits, Provider
from runplan.profile import EVENT_KINDS, HTTP_KINDS, Workload

Array = np.ndarray[Any, np.dtype[Any]]
PER_USE = "per-use"  # the view of a bill that scales with use (nothing shared to allocate)


@dataclass(slots=True)
class Usage:
    """What the container bills read, one row per workload (arrays of equal length)."""

    requests: Array  # requests (or runs) a month
    avg_duration_ms: Array
    cpu_ms: Array  # CPU time per request
    memory_mb: Array
    active_hours: Array  # hours of the month with traffic
    replica_hours: Array  # pod-hours the Kubernetes replica model runs a service for
    job: Array  # bool: one task per run instead of always-on replicas
    front_door_usd: Array  # the load balancer an HTTP container service needs, else 0
    hours: float  # hours in the month


@dataclass(slots=True)
class Bill:
    """Line items over rows: `usd[i, r]` is item i of row r's bill."""

    names: tuple[str, ...]
    units: tuple[str, ...]
    quantity: Array  # (items, rows)
    usd: Array  # (items, rows)
    notes: tuple[str, ...]

    def total(self) -> Array:
        """Each row's monthly USD, its items added in bill order (as `add_up` does)."""
        out = np.zeros(self.usd.shape[1])
        for row in self.usd:
            out = out + row
        return out

    def items(self, row: int) -> tuple[LineItem, ...]:
        return tuple(LineItem(n, float(self.quantity[i, row]), u, float(self.usd[i, row]),
                              note)
                     for i, (n, u, note) in enumerate(zip(self.names, self.units, self.notes,
                                                          strict=True)))


def _table_lookup(table: tuple[tuple[float, float], ...], memory_mb: Array,
                  ) -> tuple[Array, Array]:
    """(memory MB, vCPU) of the smallest table row that holds each memory (the largest row
    above the table)."""
    t = np.array(table)
    at = np.minimum(np.searchsorted(t[:, 0], memory_mb, side="left"), len(t) - 1)
    return t[at, 0], t[at, 1]


def request_containers_bill(u: Usage, prices: dict[str, Any], free_tier: bool) -> Bill:
    """Cloud Run services (request-based billing) and Container Apps consumption."""
    size_mb, vcpu = _table_lookup(prices["vcpu_by_memory_mb"], u.memory_mb)
    size_mb = np.maximum(size_mb, u.memory_mb)  # above the table: the memory itself
    gib = size_mb / 1024
    step = prices["billing_increment_ms"]
    billed_s = np.ceil(np.round(u.avg_duration_ms / step, 9)) * step / 1000
    busy_s = u.requests * billed_s
    active_s = u.active_hours * 3600
    with np.errstate(divide="ignore", invalid="ignore"):
        in_flight = np.where(active_s > 0, busy_s / active_s, 0.0)
        by_cpu = np.where(u.cpu_ms > 0, vcpu * u.avg_duration_ms / u.cpu_ms, np.inf)
    per_instance = np.clip(by_cpu, 1.0, prices["requests_per_instance"])
    instance_s = busy_s / np.clip(in_flight, 1.0, per_instance)
    free = free_tier
    vcpu_s = np.maximum(0.0, instance_s * vcpu - (prices["free_vcpu_seconds"] if free else 0.0))
    gib_s = np.maximum(0.0, instance_s * gib - (prices["free_gib_seconds"] if free else 0.0))
    req = np.maximum(0.0, u.requests - (prices["free_requests"] if free else 0.0))
    free_note = ", free tier subtracted" if free else ""
    return Bill(
        ("container requests", "container compute (vCPU-s)", "container compute (GiB-s)"),
        ("requests", "vCPU-s", "GiB-s"),
        np.array([req, vcpu_s, gib_s]),
        np.array([req * prices["request_usd_per_million"] / 1e6,
                  vcpu_s * prices["vcpu_second_usd"], gib_s * prices["gib_second_usd"]]),
        (f"${num(prices['request_usd_per_million'], 6)} per 1M{free_note}",
         f"${num(prices['vcpu_second_usd'], 6)} per vCPU-s, up to "
         f"{num(prices['requests_per_instance'], 6)} requests per instance{free_note}",
         f"${num(prices['gib_second_usd'], 6)} per GiB-s{free_note}"))


def task_hours_bill(u: Usage, prices: dict[str, Any], task_vcpu: float) -> Bill:
    """ECS or EKS on Fargate and GKE Autopilot: per task (pod) for the vCPU and memory asked."""
    gb = np.maximum(u.memory_mb / 1024, prices["min_gb_per_vcpu"] * task_vcpu)
    run_s = np.maximum(u.avg_duration_ms / 1000, prices["min_billed_s"])
    task_hours = np.where(u.job, u.requests * run_s / 3600, u.replica_hours)
    n = len(task_hours)
    cluster = max(0.0, prices["cluster_hourly_usd"] * u.hours - prices["cluster_credit_usd"])
    return Bill(
        ("task vCPU", "task memory", "cluster fee", "load balancer"),
        ("vCPU-hours", "GB-hours", "cluster-months", "months"),
        np.array([task_hours * task_vcpu, task_hours * gb, np.ones(n), np.ones(n)]),
        np.array([task_hours * task_vcpu * prices["vcpu_hour_usd"],
                  task_hours * gb * prices["gb_hour_usd"], np.full(n, cluster),
                  u.front_door_usd]),
        (f"{num(task_vcpu, 6)} vCPU per task at ${num(prices['vcpu_hour_usd'], 6)}/vCPU-h",
         f"at least {num(prices['min_gb_per_vcpu'], 6)} GB per vCPU at "
         f"${num(prices['gb_hour_usd'], 6)}/GB-h",
         f"${num(prices['cluster_hourly_usd'], 6)}/h less a "
         f"${num(prices['cluster_credit_usd'], 6)} monthly credit",
         "as for Kubernetes"))


def usage_of(ws: Sequence[tuple[Workload, Shape]], p: Provider, kb: KnowledgeBase) -> Usage:
    """The Usage of workloads (each with its traffic shape) on one provider, a row each."""
    rows = []
    for w, shape in ws:
        counts = shape.layout.counts
        replicas = replicas_per_level(shape, w.cpu_ms, kb.operations)
        door = 0.0
        if w.kind in HTTP_KINDS:  # a container service's own load balancer, as on Kubernetes
            a = kubernetes_amounts(shape, w.cpu_ms, w.memory_mb, p.kubernetes, p.front_door,
                                   kb.operations, True, "standalone", w.devops_maturity)
            door = (a.lb_usd or 0.0) + a.lcu_usd
        rows.append((w.requests_per_month, w.avg_duration_ms, w.cpu_ms, w.memory_mb,
                     sum(n for level, n in counts if shape.load[level] > 0),
                     sum(replicas[level] * n for level, n in counts), w.kind == "job", door))
    cols = [np.array(c, dtype=float) for c in zip(*rows, strict=True)] if rows \
        else [np.zeros(0)] * 8
    return Usage(cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6].astype(bool),
                 cols[7], kb.operations.hours_per_month)


def broken_limits(limits: PlatformLimits, w: Workload) -> list[str]:
    """Every limit of a platform the workload breaks, each as `field: what`."""
    out = []
    max_s = limits.duration_limit_s(w.kind in HTTP_KINDS, w.kind in EVENT_KINDS)
    if max_s is not None and w.max_duration_s > max_s:
        out.append(f"execution.max_duration_s: the longest run ({w.max_duration_s:,.0f} s) is "
                   f"over the {max_s:,.0f} s limit")
    if limits.memory_max_mb is not None and w.memory_mb > limits.memory_max_mb:
        out.append(f"execution.memory_mb: {w.memory_mb:,.0f} MB is over the "
                   f"{limits.memory_max_mb:,.0f} MB limit")
    if w.gpu and not limits.gpu:
        out.append("execution.gpu: no GPU on this platform")
    if w.long_lived_connections and not limits.long_lived_connections:
        out.append("execution.long_lived_connections: cannot hold long-lived connections open")
    concurrency = w.peak_rps * w.avg_duration_ms / 1000
    if limits.concurrency_max is not None and concurrency > limits.concurrency_max:
        out.append(f"traffic.peak_rps x execution.avg_duration_ms: {concurrency:,.0f} at once, "
                   f"over the {limits.concurrency_max:,.0f} limit")
    return out


def ruled_out_by(limits: PlatformLimits, w: Workload) -> str | None:
    """The first limit of a platform the workload breaks; None: it fits."""
    broken = broken_limits(limits, w)
    return broken[0] if broken else None


@dataclass(slots=True)  # a value, not frozen: see runplan.advise.Reason
class PlatformCost:
    """One platform for one workload: its bill if it fits, else the limit that rules it out."""

    platform: Platform
    feasible: bool
    ruled_out_by: str | None
    monthly_usd: float | None  # None: ruled out, or no sourced price (see note)
    view: str  # per-use | standalone | allocated
    items: tuple[LineItem, ...]
    note: str = ""


def _unpriced(p: Platform, w: Workload, provider: Provider) -> str:
    if p.bill == "unpriced":
        return "not priced: no sourced prices for this platform in kbase"
    if w.gpu and p.bill == "nodes" and provider.kubernetes.gpu_node_types:
        return ""  # priced on the GPU node types (`cost.kubernetes`)
    if w.gpu and p.kind != "functions":
        return "not priced: no sourced GPU price for this platform in kbase"
    return ""


@dataclass(slots=True)
class Billed:
    """A workload with the two bills the verdict reads (functions may be None)."""

    workload: Workload
    shape: Shape
    kubernetes_usd: float
    kubernetes_items: tuple[LineItem, ...]
    functions_usd: float | None
    functions_items: tuple[LineItem, ...]
    kubernetes_view: str = "standalone"  # the view the nodes bill is in (`cost.people`)


def platform_costs(many: Sequence[Billed], kb: KnowledgeBase, free_tier: bool,
                   ) -> list[tuple[PlatformCost, ...]]:
    """For each workload, every platform of its provider in kbase order: feasible ones with
    their bill, the others with the limit that rules them out. Functions and nodes carry the
    bills the verdict reads; each container bill is computed once per provider over all the
    workloads' rows."""
    out: list[list[PlatformCost]] = [[] for _ in many]
    groups: dict[str, list[int]] = {}
    for k, b in enumerate(many):
        groups.setdefault(kb.provider(b.workload.provider).provider, []).append(k)
    for name, index in groups.items():
        p = kb.providers[name]
        usage: Usage | None = None
        for platform in p.platforms:
            options = [_one(platform, p, many[k], free_tier, kb) for k in index]
            pending = [row for row, o in enumerate(options)
                       if o.feasible and not o.note and platform.bill in CONTAINER_BILLS]
            if pending:  # the container bill, once over all this provider's rows
                if usage is None:
                    usage = usage_of([(many[k].workload, many[k].shape) for k in index], p, kb)
                bill = _container_bill(platform, usage, kb, free_tier)
                for row in pending:
                    w = many[index[row]].workload
                    people = (_container_people(kb, platform, w.devops_maturity),)
                    options[row].items = (*bill.items(row), *people)
                    options[row].monthly_usd = add_up(i.monthly_usd for i in options[row].items)
            for k, o in zip(index, options, strict=True):
                out[k].append(o)
    return [tuple(o) for o in out]


CONTAINER_BILLS = ("request-containers", "task-hours")


def people_item(kb: KnowledgeBase, kind: str, maturity: str, view: str) -> LineItem:
    """A platform bill's operations line (`cost.people`), as the functions and nodes bills
    carry theirs, so that serverless platforms are compared with their people cost."""
    ops = kb.operations
    return LineItem(PEOPLE_ITEM, people_fte(ops, kind, maturity, view), "FTE",
                    people_usd(ops, kind, maturity, view),
                    people_note(ops, kind, maturity, view))


def _container_people(kb: KnowledgeBase, platform: Platform, maturity: str) -> LineItem:
    """A container platform's operations line. Serverless containers carry a serverless
    service's effort, as functions do. Node-less task bills carry a node-less service's effort,
    plus running the cluster where there is a Kubernetes cluster to run (a platform billing a
    cluster fee: EKS on Fargate, GKE Autopilot); ECS on Fargate has no cluster to upgrade, so
    only the service's effort (the marginal figure)."""
    if platform.bill == "request-containers":
        return people_item(kb, "serverless", maturity, "standalone")
    cluster = platform.prices["cluster_hourly_usd"] > 0
    return people_item(kb, "nodeless", maturity, "standalone" if cluster else "marginal")


def _container_bill(platform: Platform, u: Usage, kb: KnowledgeBase, free_tier: bool) -> Bill:
    if platform.bill == "request-containers":
        return request_containers_bill(u, platform.prices, free_tier)
    return task_hours_bill(u, platform.prices, kb.operations.pod_vcpu)


def _one(platform: Platform, p: Provider, b: Billed, free_tier: bool, kb: KnowledgeBase,
         ) -> PlatformCost:
    """One platform for one workload, container bills left for `platform_costs` to fill."""
    w = b.workload
    why = ruled_out_by(platform.limits, w)
    view = b.kubernetes_view if platform.bill == "nodes" else _view(platform, w)
    if why is not None:
        return PlatformCost(platform, False, why, None, view, ())
    note = _unpriced(platform, w, p)
    if note or platform.bill in CONTAINER_BILLS:
        return PlatformCost(platform, True, None, None, view, (), note)
    if platform.bill == "functions":
        return PlatformCost(platform, True, None, b.functions_usd, view, b.functions_items)
    if platform.bill == "functions_legacy":
        cost = serverless_monthly_cost(
            w.requests_per_month, w.avg_duration_ms, w.memory_mb,
            p.function_pricing(platform.bill),
            p.front_door.http_api_tiers if w.kind in HTTP_KINDS else None, free_tier)
        items = (*cost.items, people_item(kb, "serverless", w.devops_maturity, "standalone"))
        return PlatformCost(platform, True, None, add_up(i.monthly_usd for i in items), view,
                            items)
    return PlatformCost(platform, True, None, b.kubernetes_usd, view, b.kubernetes_items)


def _view(p: Platform, w: Workload) -> str:
    return "standalone" if p.kind == "node-less-containers" else PER_USE


def cheapest(options: tuple[PlatformCost, ...], model: str) -> PlatformCost | None:
    """The platform a model runs on: its cheapest feasible priced platform (kbase order breaks
    ties), else its first feasible one not priced; None when none fits. A legacy platform
    (Azure's Consumption plan) only where no current one fits: it is not what a team would
    choose today."""
    fits = [o for o in options if o.feasible and o.platform.model == model]
    current = [o for o in fits if o.platform.status != "legacy"]
    fits = current or fits
    priced = [o for o in fits if o.monthly_usd is not None]
    if priced:
        return min(priced, key=lambda o: o.monthly_usd if o.monthly_usd is not None
                   else math.inf)
    return fits[0] if fits else None
