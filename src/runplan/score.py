"""Score an inventory: check and advise every entry, in worker processes, in input order.

Each worker has its own Advisor (rule base, kbase, the shared-inference caches; built once
here and inherited where processes fork), shares experta runs with the others through a
scratch sqlite file (`RunStore`), and scores chunks of entries; `Workers` hands results back
in input order, and every cache is a pure function of its key, so the output is the same
bytes whatever the number of workers, and after a worker died and its chunks were scored
again by new ones.
A bad entry becomes a `Scored` with its problems, and so does an entry the code fails on
(an internal error, named as such); the rest are still scored. JSON Lines entries are
decoded here, in the workers; the names they claim come back with their results and are
checked for duplicates in input order by the caller (`inventory.Names`).
"""

from __future__ import annotations

import collections
import contextlib
import gc
import multiprocessing
import os
import shutil
import signal
import sqlite3
import tempfile
import time
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from runplan.advise import Advisor, Result
from runplan.errors import Problem, UserError
from runplan.fmt import set_currency
from runplan.inventory import Checked, Claim, Entry, _at_row, check_entry, claim, decoded
from runplan.kbase import SettingsFigures, load_kbase
from runplan.portfolio import Placement, placement
from runplan.report.batch import component_json, summary_row
from runplan.report.charts import curve_data
from runplan.report.data import result_data
from runplan.report.html import MAX_DETAILS
from runplan.rulebase.load import load_rulebase
from runplan.rulebase.shared import RunStore

CHUNK = 512  # entries a worker scores together (runplan.probes works over arrays)
MIN_CHUNK = 32
TAIL_SHARES = 2  # near the end, a chunk is at most half of what is left per worker,
TAIL_MIN = 128  # and not under this: a 128-entry chunk costs 10-15% more per entry than 512
UNCERTAIN_GROUP = 64  # components sampled together under --uncertain (their draws then freed)
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
    currency: str = "USD"  # the settings file's currency label (`fmt.set_currency`)
    uncertain: int | None = None  # --uncertain: draws per component (None: off)
    price_uncertainty: float | None = None  # --price-uncertainty (None: kbase's default)


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
    internal: bool = False  # its problem is runplan's failure, not the row's (`_failed`)
    draws: Any = None  # --uncertain: `uncertainty.estate.ComponentDraws`


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
    set_currency(settings.currency)
    _justified.clear()
    _advisor = Advisor(load_kbase(settings.pricing, settings.figures),
                       load_rulebase(settings.rules_dirs),
                       settings.free_tier, shared=settings.shared, clusters=settings.clusters)
    if settings.run_store is not None and settings.shared:
        with contextlib.suppress(OSError, sqlite3.Error):  # no store shares nothing: same results
            _advisor.inference.store = RunStore(settings.run_store)


def score_entry(entry: Entry) -> Scored:
    """One entry: checked, advised, its JSON and its portfolio facts."""
    return score_entries([entry])[0]


def score_entries(entries: list[Entry]) -> list[Scored]:
    """Entries checked, then the good ones advised together (`Advisor.advise_many`).

    A row that fails in any way is that row's error and the rest are still scored: a row
    whose checking raises, or that the advisor or a view cannot handle, becomes a `Scored`
    with one problem saying "internal error" and the exception's type (never its text nor
    a traceback: either may quote the row). When advising the chunk together raises, its
    rows are advised one by one, so that only the row that fails is lost."""
    assert _advisor is not None and _settings is not None, "call _init first"
    adv, s = _advisor, _settings
    out: list[Scored | None] = [None] * len(entries)
    good: list[tuple[int, Entry, Checked]] = []
    for k, raw in enumerate(entries):
        try:
            entry = decoded(raw)
            checked = check_entry(entry, adv.kb, s.provider)
        except Exception as exc:  # the net: a bug must cost its own row only
            out[k] = _failed(raw, exc)
            continue
        if checked.component is None:
            out[k] = Scored(entry.index, entry.label, entry.line, None, None, None,
                            tuple(checked.problems), claim(entry))
        elif s.survey and checked.resolved is not None and \
                adv.kb.provider(checked.resolved[0].provider).provider in _justified:
            out[k] = Scored(entry.index, entry.label, entry.line, None, None, None,
                            claim=claim(entry))
        else:
            good.append((k, entry, checked))
    try:
        results: list[Result | BaseException] = list(_advise(good))
    except Exception:
        results = []
        for one in good:  # the same Results one at a time (every cache is keyed by value)
            try:
                results += _advise([one])
            except UserError as exc:  # an estimate no output can show (`check_finite`):
                if adv.kb.overridden:  # the --pricing overrides' fault, for every row alike
                    raise
                results.append(exc)  # else this row's figures'
            except Exception as exc:
                results.append(exc)
    summaries = _uncertain(good, results)
    for (k, entry, _), result in zip(good, results, strict=True):
        if isinstance(result, UserError):
            out[k] = Scored(entry.index, entry.label, entry.line, None, None, None,
                            tuple(_at_row(p, entry) for p in result.problems), claim(entry))
            continue
        try:
            if isinstance(result, BaseException):
                raise result
            summary = summaries.get(k)
            if isinstance(summary, BaseException):
                raise summary
            out[k] = _scored(entry, result, summary)
        except Exception as exc:
            out[k] = _failed(entry, exc)
    return [x for x in out if x is not None]


def _advise(good: list[tuple[int, Entry, Checked]]) -> list[Result]:
    assert _advisor is not None and _settings is not None, "call _init first"
    s = _settings
    return _advisor.advise_many([(c.component, e.file) for _, e, c in good
                                 if c.component is not None], flips=s.flips and not s.survey,
                                resolved=[c.resolved for _, _, c in good],
                                break_evens=not s.survey)


def _uncertain(good: list[tuple[int, Entry, Checked]],
               results: list[Result | BaseException]) -> dict[int, Any]:
    """--uncertain: each advised component's summary (`uncertainty.report.uncertain_many`)
    by its place in the chunk, or the exception it raised; none in the survey."""
    assert _advisor is not None and _settings is not None, "call _init first"
    s = _settings
    if s.uncertain is None or s.survey:
        return {}
    from runplan.uncertainty.report import uncertain_many

    todo = [(k, c.component, r) for (k, _, c), r in zip(good, results, strict=True)
            if isinstance(r, Result) and c.component is not None]
    out: dict[int, Any] = {}
    for start in range(0, len(todo), UNCERTAIN_GROUP):  # each group's draws freed after it
        group = todo[start:start + UNCERTAIN_GROUP]
        try:
            found = uncertain_many(_advisor, [(c, r) for _, c, r in group], s.uncertain,
                                   s.price_uncertainty)
            out.update({k: _compact(x, r) for (k, _, r), x in zip(group, found, strict=True)})
        except UserError:
            raise  # rules the arrays cannot judge: the whole run's problem
        except Exception:
            for k, c, r in group:  # one at a time, so that only the row that fails is lost
                try:
                    out[k] = _compact(uncertain_many(_advisor, [(c, r)], s.uncertain,
                                                     s.price_uncertainty)[0], r)
                except Exception as exc:
                    out[k] = exc
    return out


def _compact(summary: Any, result: Result) -> Any:
    """The summary with its draws replaced by what the estate needs of them
    (`uncertainty.estate.ComponentDraws`, float32), so a chunk does not hold them all."""
    from runplan.uncertainty.estate import component_draws

    assert _advisor is not None
    summary.estate = component_draws(summary, result.name,
                                     _advisor.kb.provider(result.workload.provider).provider)
    summary.draws_judged = summary.point = None
    return summary


def _failed(entry: Entry, exc: BaseException) -> Scored:
    """A row the code failed on: its error, with the exception's type only."""
    problem = Problem(entry.file, entry.line, "", f"internal error ({type(exc).__name__}) "
                      "while scoring this row; the other rows are scored; please report it")
    return Scored(entry.index, entry.label, entry.line, None, None, None, (problem,),
                  internal=True)


def _scored(entry: Entry, result: Result, summary: Any = None) -> Scored:
    assert _advisor is not None and _settings is not None, "call _init first"
    adv, s = _advisor, _settings
    draws = None
    if summary is not None:
        from runplan.uncertainty.report import with_probability

        result = with_probability(result, summary)
        draws = summary.estate
    if s.survey:
        placed = placement(result, adv.kb, adv.free_tier)
        if placed.justifies_cluster:
            _justified.add(placed.provider)
        return Scored(entry.index, result.name, entry.line, None, None, placed,
                      claim=claim(entry))
    data = result_data(result)
    if s.uncertain is not None:
        from runplan.uncertainty.report import summary_data

        data["uncertainty"] = None if summary is None else summary_data(summary)
    if s.curves and entry.index < MAX_DETAILS and not result.parts:  # parts: no own curve
        data["cost_curve"] = curve_data(adv, result, points=25)
    placed = placement(result, adv.kb, adv.free_tier)
    row = None
    if s.rows:
        row = summary_row(result)
        if s.uncertain is not None:
            top = None if summary is None else summary.top_input
            row.update(probability=None if summary is None else summary.probability,
                       top_input=top or "",
                       top_input_value_usd=None if summary is None or top is None else
                       summary.value_of_information.get(top, 0.0))
    return Scored(entry.index, result.name, entry.line,
                  component_json(data) if s.encode else data, row, placed, claim=claim(entry),
                  draws=draws)


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


class Results(Protocol):
    """Scored entries in input order; `close()` stops whatever still scores them."""

    def __iter__(self) -> Iterator[Scored]: ...

    def __next__(self) -> Scored: ...

    def close(self) -> None: ...


def score_all(entries: Iterable[Entry], settings: Settings, jobs: int,
              expected: int | None = None) -> Results:
    """Every entry scored, in input order; `jobs` worker processes (1: in this process).
    With workers, they are started before this returns (so before any thread the caller
    starts, such as a progress display: forking a process that runs threads may deadlock);
    close the iterator (`contextlib.closing`) to stop them and remove their scratch
    directory whatever happens."""
    size = CHUNK
    if expected is not None:  # a few chunks per worker, so both stay busy to the end
        jobs = max(1, min(jobs, -(-expected // MIN_CHUNK)))
        size = max(MIN_CHUNK, min(CHUNK, -(-expected // (jobs * 4))))
    if jobs <= 1:
        return _in_process(entries, settings, size)
    return Workers(_chunks(entries, size, expected, jobs), settings, jobs)


def _in_process(entries: Iterable[Entry], settings: Settings, size: int,
                ) -> Generator[Scored, None, None]:
    _init(settings)
    with _batch_gc():
        for chunk in _chunks(entries, size):
            yield from score_entries(chunk)


class WorkerDied(Exception):
    """A worker process died (killed by a signal: the out-of-memory killer, an operator): the
    run stops, with nothing written (scoring the rows again could kill the next worker too)."""


IN_FLIGHT = 4  # chunks handed to the workers ahead of the one awaited, per worker
EXIT_CODE_POLLS, EXIT_CODE_POLL_S = 50, 0.01  # up to half a second for a dead worker's code


class Workers:
    """The scoring workers: chunks handed out a few ahead, results taken back in input order.

    Forked from this process where the platform forks (each inherits the advisor built here
    and the frozen garbage collector), with `concurrent.futures`, which notices a worker that
    dies (Pool.imap waits for it for ever). When one dies the run stops with `WorkerDied`,
    naming the signal and the rows in hand: no retry (a row that exhausts memory would kill
    the next worker too, and a report must not depend on which worker the OOM killer chose).
    Workers ignore SIGINT (a terminal sends it to the whole process group: the parent
    decides) and die quietly on SIGTERM, which `close` sends them."""

    def __init__(self, chunks: Iterator[list[Entry]], settings: Settings, jobs: int) -> None:
        self.jobs = jobs
        self.chunks = enumerate(chunks)
        self.pending: collections.deque[tuple[int, list[Entry], Future[list[Scored]]]] = \
            collections.deque()
        self.tmp: str | None = None
        with contextlib.suppress(OSError):  # no usable temporary directory: workers share
            self.tmp = tempfile.mkdtemp(prefix="runplan-")  # nothing, with the same results
        self.settings = replace(settings, run_store=None if self.tmp is None
                                else os.path.join(self.tmp, "runs.sqlite"))
        self.gc_before: tuple[int, int, int] | None = None
        self.executor: ProcessPoolExecutor | None = None
        self.seen: list[Any] = []  # the workers last seen (a broken pool may forget its own)
        try:
            fork = "fork" in multiprocessing.get_all_start_methods()
            if fork:  # built once here, inherited by every forked worker
                _init(self.settings)
            self.gc_before = _relax_gc()
            self.executor = self._start("fork" if fork else "spawn")
            self._fill()  # forks the workers now, before the caller starts any thread
            self._stream = self._results()
        except BaseException:
            self.close()
            raise

    def _start(self, method: str) -> ProcessPoolExecutor:
        ctx = multiprocessing.get_context(method)
        if method == "fork":
            return ProcessPoolExecutor(self.jobs, mp_context=ctx, initializer=_quiet_worker)
        return ProcessPoolExecutor(self.jobs, mp_context=ctx, initializer=_init_worker,
                                   initargs=(self.settings,))

    def _fill(self) -> None:
        assert self.executor is not None
        while len(self.pending) < self.jobs * IN_FLIGHT:
            try:
                index, chunk = next(self.chunks)
            except StopIteration:
                break
            self.pending.append((index, chunk, self._submit(chunk)))
        self.seen = _processes(self.executor) or self.seen

    def _submit(self, chunk: list[Entry]) -> Future[list[Scored]]:
        """The chunk handed to a worker; a pool already broken gives a future failed as a
        running chunk's would, so that one path (`_died`) deals with both."""
        assert self.executor is not None
        try:
            return self.executor.submit(_score_chunk, chunk)
        except BrokenProcessPool as exc:
            failed: Future[list[Scored]] = Future()
            failed.set_exception(exc)
            return failed

    def __iter__(self) -> Iterator[Scored]:
        return self

    def __next__(self) -> Scored:
        return next(self._stream)

    def _results(self) -> Iterator[Scored]:
        try:
            while self.pending:
                _, _, future = self.pending[0]
                try:
                    scored = future.result()
                except BrokenProcessPool:
                    raise self._died() from None
                self.pending.popleft()
                self._fill()
                yield from scored
        finally:
            self.close()

    def _died(self) -> WorkerDied:
        """Why the run stops: how the worker died and the rows not yet scored."""
        assert self.executor is not None
        died = _exit_signal(self.executor, self.seen)
        unfinished = [chunk for _, chunk, future in self.pending
                      if not (future.done() and not future.cancelled()
                              and future.exception() is None)]
        first, last = unfinished[0][0], unfinished[-1][-1]
        rows = f"{first.file}:{first.line}-{last.line}" if first.line else first.file
        return WorkerDied(f"a worker process {died} while scoring {rows}")

    def close(self) -> None:
        """Stop the workers (at once unless every chunk was scored), remove the scratch
        directory, put the garbage collector back. Safe to call twice."""
        executor, self.executor = self.executor, None
        if executor is not None:
            if self.pending:
                _stop(executor)
            else:
                executor.shutdown(wait=True)
        self.pending.clear()
        if self.gc_before is not None:
            gc.set_threshold(*self.gc_before)
            gc.unfreeze()
            self.gc_before = None
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None


def _processes(executor: ProcessPoolExecutor) -> list[Any]:
    return list((getattr(executor, "_processes", None) or {}).values())


def _exit_signal(executor: ProcessPoolExecutor, seen: list[Any] | None = None) -> str:
    """How a worker died, as far as can be told: the first that did not end on SIGTERM
    (which the pool sends the others once one has died); from the workers last `seen` when
    the broken pool has already let go of its own. A pool can notice a death before the
    dead worker is reaped: its exit code is waited for a moment."""
    # Those last seen and those the pool still lists: a broken pool may already have let go
    # of the dead one, while it ends the others with SIGTERM.
    procs = list({p.pid: p for p in [*(seen or []), *_processes(executor)]}.values())
    codes: list[int] = []
    for _ in range(EXIT_CODE_POLLS):
        codes = [p.exitcode for p in procs if p.exitcode]
        if any(c != -signal.SIGTERM for c in codes) or \
                (codes and all(p.exitcode is not None for p in procs)):
            break
        time.sleep(EXIT_CODE_POLL_S)
    code = next((c for c in codes if c != -signal.SIGTERM), codes[0] if codes else None)
    if code is None:
        return "ended abruptly"
    if code == -signal.SIGKILL:
        return "was killed by SIGKILL (out of memory?)"
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"ended with exit code {code}"


def _stop(executor: ProcessPoolExecutor) -> None:
    """Workers stopped now: queued chunks dropped, running ones ended by SIGTERM."""
    processes = _processes(executor)
    executor.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        if p.is_alive():
            p.terminate()
    for p in processes:
        p.join(5)
        if p.is_alive():
            p.kill()
            p.join()
    executor.shutdown(wait=True)
    for p in multiprocessing.active_children():  # any the pool forked and no longer lists
        p.kill()
        p.join(5)


def _quiet_worker() -> None:
    """In each worker: SIGINT ignored (the parent decides), SIGTERM ends it without a word."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _init_worker(settings: Settings) -> None:
    """A spawned worker (no fork on this platform): its
    Advisor, then the batch GC settings."""
    _quiet_worker()
    _init(settings)
    _relax_gc()
