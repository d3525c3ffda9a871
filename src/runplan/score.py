"""Score an inventory: check and advise every entry, in worker processes, in input order.

Each worker has its own Advisor (rule base, kbase, the shared-inference caches; built once
here and inherited where processes fork), shares experta runs with the others through a
scratch sqlite file (`RunStore`), and scores chunks of entries; `imap` hands results back in
input order, and every cache is a pure function of its key, so the output is the same bytes
whatever the number of workers.
A bad entry becomes a `Scored` with its problems; the rest are still scored. JSON Lines
entries are decoded here, in the workers; the names they claim come back with their results
and are checked for duplicates in input order by the caller (`inventory.Names`).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from runplan.advise import Advisor, Result
from runplan.errors import Problem
from runplan.inventory import Checked, Claim, Entry, check_entry, claim, decoded
from runplan.kbase import SettingsFigures, load_kbase
from runplan.portfolio import Placement, placement
from runplan.report.batch import component_json, summary_row
from runplan.report.charts import cost_curve
from runplan.report.data import result_data
from runplan.report.html import MAX_DETAILS
from runplan.rulebase.load import load_rulebase
from runplan.rulebase.shared import RunStore

CHUNK = 512  # entries a worker scores together (runplan.probes works over arrays)
MIN_CHUNK = 32
TAIL_SHARES = 2  # near the end, a chunk is at most half of what is left per worker,
TAIL_MIN = 128  # and not under this: a 128-entry chunk costs 10-15% more per entry than 512
GC_YOUNG = 100_000  # allocations between young-generation collections while scoring (`_batch_gc`)


@dataclass(frozen=True)
class Settings:
    rules_dirs: tuple[Path, ...] = ()
    pricing: Path | None = None
    free_tier: bool = False
    provider: str | None = None
    flips: bool = True
    curves: bool = False  # cost curves for the HTML report
    shared: bool = True  # False: the plain path, no inference shared between components
    encode: bool = False  # send each component's JSON as UTF-8 (`component_json`), not a dict
    run_store: str | None = None  # a sqlite file through which workers share experta runs
    rows: bool = True  # the one-line summaries (text, CSV, Markdown, HTML); JSON has none
    # The providers on which the estate has a cluster anyway (`portfolio.ClusterSurvey`):
    # their components are priced at marginal cost. None: each by its own team.existing_cluster.
    clusters: frozenset[str] | None = None
    survey: bool = False  # the first pass: placements only (no JSON, rows, flips, break-evens)
    figures: SettingsFigures | None = None  # the settings file's kbase figures (`config`)


@dataclass(slots=True)  # a value, not frozen: see runplan.advise.Reason
class Scored:
    index: int
    name: str
    line: int | None
    data: dict[str, Any] | bytes | None  # the JSON contract (UTF-8 with Settings.encode)
    row: dict[str, Any] | None  # the one-line summary (None with Settings.rows off)
    placement: Placement | None
    problems: tuple[Problem, ...] = ()
    claim: Claim | None = None  # the name it claims, for `inventory.Names` (in input order)


_advisor: Advisor | None = None
_settings: Settings | None = None
# The survey's providers this process has seen a component justify a cluster on by itself
# (its team runs one, or it cannot run on functions): the rest of their components need no
# inference in the survey. The first such component in input order is always scored (any
# entry skipped comes after one), so the survey's answer is the same for any worker count.
_justified: set[str] = set()


def _init(settings: Settings) -> None:
    global _advisor, _settings
    _settings = settings
    _justified.clear()
    _advisor = Advisor(load_kbase(settings.pricing, settings.figures),
                       load_rulebase(settings.rules_dirs),
                       settings.free_tier, shared=settings.shared, clusters=settings.clusters)
    if settings.run_store is not None and settings.shared:
        _advisor.inference.store = RunStore(settings.run_store)


def score_entry(entry: Entry) -> Scored:
    """One entry: checked, advised, its JSON and its portfolio facts."""
    return score_entries([entry])[0]


def score_entries(entries: list[Entry]) -> list[Scored]:
    """Entries checked, then the good ones advised together (`Advisor.advise_many`)."""
    assert _advisor is not None and _settings is not None, "call _init first"
    adv, s = _advisor, _settings
    entries = [decoded(e) for e in entries]
    out: list[Scored | None] = [None] * len(entries)
    good: list[tuple[int, Checked]] = []
    for k, entry in enumerate(entries):
        checked = check_entry(entry, adv.kb, s.provider)
        if checked.component is None:
            out[k] = Scored(entry.index, entry.label, entry.line, None, None, None,
                            tuple(checked.problems), claim(entry))
        elif s.survey and checked.resolved is not None and \
                adv.kb.provider(checked.resolved[0].provider).provider in _justified:
            out[k] = Scored(entry.index, entry.label, entry.line, None, None, None,
                            claim=claim(entry))
        else:
            good.append((k, checked))
    results = adv.advise_many([(c.component, entries[k].file) for k, c in good
                               if c.component is not None], flips=s.flips and not s.survey,
                              resolved=[c.resolved for _, c in good],
                              break_evens=not s.survey)
    for (k, _), result in zip(good, results, strict=True):
        out[k] = _scored(entries[k], result)
    return [x for x in out if x is not None]


def _scored(entry: Entry, result: Result) -> Scored:
    assert _advisor is not None and _settings is not None, "call _init first"
    adv, s = _advisor, _settings
    if s.survey:
        placed = placement(result, adv.kb, adv.free_tier)
        if placed.justifies_cluster:
            _justified.add(placed.provider)
        return Scored(entry.index, result.name, entry.line, None, None, placed,
                      claim=claim(entry))
    data = result_data(result)
    if s.curves and entry.index < MAX_DETAILS:
        xs, sls, k8s = cost_curve(adv, result.workload, points=25)
        data["cost_curve"] = {"requests_per_month": [round(x, 1) for x in xs],
                              "serverless_usd": [None if v is None else round(v, 2) for v in sls],
                              "kubernetes_usd": [round(v, 2) for v in k8s],
                              "current": result.workload.requests_per_month,
                              "view": result.costs.view}
    placed = placement(result, adv.kb, adv.free_tier)
    row = None
    if s.rows:
        row = summary_row(result)
    return Scored(entry.index, result.name, entry.line,
                  component_json(data) if s.encode else data, row, placed, claim=claim(entry))


def _score_chunk(chunk: list[Entry]) -> list[Scored]:
    return score_entries(chunk)


def _chunks(entries: Iterable[Entry], size: int, expected: int | None = None,
            jobs: int = 1) -> Iterator[list[Entry]]:
    """Chunks of `size` entries; with the count `expected` known, chunks shrink towards the
    end (TAIL_SHARES, TAIL_MIN), so that the workers finish together instead of one waiting
    on the other's last full chunk."""
    chunk: list[Entry] = []
    left = expected
    want = size
    for e in entries:
        chunk.append(e)
        if len(chunk) >= want:
            yield chunk
            if left is not None:
                left -= len(chunk)
                want = max(min(size, TAIL_MIN), min(size, left // (jobs * TAIL_SHARES)))
            chunk = []
    if chunk:
        yield chunk


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        (os.cpu_count() or 1)


@contextlib.contextmanager
def _batch_gc() -> Iterator[None]:
    """The cyclic garbage collector set for a batch, and put back after it. Scoring makes
    millions of short-lived objects and no reference cycles (a test checks), so a collection
    every 700 allocations only walks the caches over and over: a fifth of the CPU time. The
    objects alive now (modules, kbase, rules, the Rete network) are frozen out of every
    collection, which also spares forked workers from copying the pages the collector would
    touch; the young generation is collected every GC_YOUNG allocations instead."""
    before = _relax_gc()
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _relax_gc() -> tuple[int, int, int]:
    """Freeze what is alive and collect the young generation every GC_YOUNG allocations;
    the thresholds before."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_YOUNG, *before[1:])
    return before


def score_all(entries: Iterable[Entry], settings: Settings, jobs: int,
              expected: int | None = None) -> Iterator[Scored]:
    """Every entry scored, in input order; `jobs` worker processes (1: in this process)."""
    size = CHUNK
    if expected is not None:  # a few chunks per worker, so both stay busy to the end
        jobs = max(1, min(jobs, -(-expected // MIN_CHUNK)))
        size = max(MIN_CHUNK, min(CHUNK, -(-expected // (jobs * 4))))
    if jobs <= 1:
        _init(settings)
        with _batch_gc():
            for chunk in _chunks(entries, size):
                yield from score_entries(chunk)
        return
    fork = hasattr(os, "fork")
    with tempfile.TemporaryDirectory(prefix="runplan-") as tmp:
        settings = replace(settings, run_store=os.path.join(tmp, "runs.sqlite"))
        if fork:  # built once here, inherited by every forked worker
            _init(settings)
        ctx: Any = multiprocessing.get_context("fork" if fork else "spawn")
        with _batch_gc(), ctx.Pool(jobs, initializer=None if fork else _init_worker,
                                   initargs=() if fork else (settings,)) as pool:
            for scored in pool.imap(_score_chunk, _chunks(entries, size, expected, jobs)):
                yield from scored


def _init_worker(settings: Settings) -> None:
    """A spawned worker (no fork on this platform): its Advisor, then the batch GC settings."""
    _init(settings)
    _relax_gc()
