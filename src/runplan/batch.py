"""`runplan score` end to end: read, score in order, stream to the chosen view, summarise.

Kept out of cli.py so the command line stays argument parsing; this is the one place that
wires the inventory reader, the scoring workers, the portfolio and the sinks together.
"""

from __future__ import annotations

import contextlib
import pickle
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from runplan.atomic import STDOUT, atomic_text
from runplan.errors import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, Problem
from runplan.formats import PROVIDERS
from runplan.inventory import Entry, Inventory, Names, load_defaults, read_inventory
from runplan.kbase import KnowledgeBase, load_kbase
from runplan.portfolio import ClusterSurvey, Portfolio
from runplan.report.batch import CsvSink, JsonSink, MarkdownSink, Outcome, TextSink
from runplan.rulebase.load import load_rulebase
from runplan.score import Settings, WorkerDied, default_jobs, score_all


def _sink(fmt: str, out: TextIO, uncertain: bool = False) -> Any:
    if fmt == "json":
        return JsonSink(out)
    if fmt == "csv":
        return CsvSink(out, uncertain=uncertain)
    if fmt == "markdown":
        return MarkdownSink(out)
    if fmt == "html":
        from runplan.report.html import HtmlSink

        return HtmlSink(out)
    return TextSink(out)


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    """stdout, or the file written whole at the end (never half a report); see
    runplan.atomic."""
    with atomic_text(STDOUT if path is None else path, "-o") as f:
        yield f


def run_score(file: Path, input_format: str | None, defaults_file: Path | None, fmt: str,
              output: Path | None, jobs: int | None, quiet: bool, fail_on_error: bool,
              settings: Settings, name: str | None = None, log: TextIO | None = None,
              decided: dict[str, Any] | None = None) -> int:
    """Score an inventory into the chosen view; the exit code (see `runplan score --help`).
    `name`: what messages call the file; `log`: where rejected rows and the summary go
    (stderr); `decided`: filled with the first pass's cluster decision per provider
    (`survey_clusters`), for a caller that prices a component as the estate does."""
    log = log or sys.stderr
    kb = load_kbase(settings.pricing, settings.figures)  # file-level problems surface here
    # For JSON, workers encode each component and make no summary row (the JSON has none).
    settings = replace(settings, encode=fmt == "json", rows=fmt != "json")
    load_rulebase(settings.rules_dirs)
    defaults = load_defaults(defaults_file) if defaults_file else None
    jobs = jobs or default_jobs()
    inventory = read_inventory(file, input_format, defaults, name)
    errors: list[Problem] = []
    scored = rejected = 0
    internal = 0  # rows runplan itself failed on (`score._failed`): exit 3 once reported
    show_progress = not quiet and sys.stderr.isatty()
    try:
        with _signals_raised(), \
                _twice(inventory, lambda: read_inventory(file, input_format, defaults, name)) as again:
            # First pass: does the estate have a cluster anyway? Then each component is
            # priced at marginal cost where it does (`portfolio.ClusterSurvey`).
            decisions = survey_clusters(inventory, settings, jobs, kb, show_progress)
            if decided is not None:
                decided.update(decisions)
            settings = replace(settings, clusters=frozenset(p for p, d in decisions.items()
                                                            if d["justified"]))
            inventory = again()
            portfolio = Portfolio(kb, decisions)
            with _output(output) as out, \
                    contextlib.closing(score_all(inventory.entries, settings, jobs,
                                                 inventory.total)) as results:
                # the workers run by now: no thread was forked
                sink = _sink(fmt, out, settings.uncertain is not None)
                names = Names()
                estate = None
                if settings.uncertain is not None:
                    from runplan.uncertainty.estate import EstateDraws

                    estate = EstateDraws(settings.uncertain)
                with _progress(show_progress, inventory.total) as advance:
                    for s in results:
                        duplicate = names.taken(s.claim)
                        problems = (duplicate,) if duplicate is not None else s.problems
                        if problems:
                            rejected += 1
                            internal += s.internal and duplicate is None
                            errors.extend(problems)
                            for p in problems:
                                print(p, file=log)
                        else:
                            assert s.data is not None and s.placement is not None
                            scored += 1
                            sink.component(s.row or {}, s.data)
                            portfolio.add(s.placement)
                            if estate is not None and s.draws is not None:
                                estate.add(s.draws)
                        advance()
                summary = portfolio.summary()
                if estate is not None:
                    summary["uncertainty"] = estate.summary(summary)
                outcome = Outcome(inventory.file, inventory.fmt, summary, errors,
                                  inventory.skipped, scored, rejected)
                sink.finish(outcome)
    except Interrupted as exc:
        where = f"; nothing written to {output}" if output is not None else ""
        print(f"runplan score: stopped by {signal.Signals(exc.signum).name}{where}",
              file=sys.stderr)
        return 128 + exc.signum
    except WorkerDied as exc:
        where = f"; nothing written to {output}" if output is not None else ""
        print(f"runplan score: {exc}{where}", file=sys.stderr)
        return EXIT_INTERNAL
    if not quiet and (output is not None or fmt != "text"):
        where = f"; wrote {output}" if output is not None else ""
        print(f"runplan score: {outcome.counts_line()}{where}", file=log)
        for line in outcome.skipped_lines():
            print(f"runplan score: {line}", file=log)
    if internal:
        return EXIT_INTERNAL
    if errors and (fail_on_error or scored == 0):
        return EXIT_FINDINGS
    return EXIT_OK


class Interrupted(BaseException):
    """SIGINT or SIGTERM, raised where the main thread is, so that every `with` and
    `finally` on the way out runs: the half-written output and the workers' scratch
    directory removed, the workers stopped. A BaseException, so that no row's net
    (`score.score_entries`) can take it for that row's failure."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_raised() -> Iterator[None]:
    """SIGINT and SIGTERM as `Interrupted` while the block runs; once one has come, both
    are ignored until the block is left (the clean-up is not interrupted in turn)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread
        return
    caught = (signal.SIGINT, signal.SIGTERM)

    def raise_it(signum: int, frame: Any) -> None:
        for s in caught:
            signal.signal(s, signal.SIG_IGN)
        raise Interrupted(signum)

    before = {s: signal.signal(s, raise_it) for s in caught}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def survey_clusters(inventory: Inventory, settings: Settings, jobs: int, kb: KnowledgeBase,
                    show_progress: bool = False) -> dict[str, dict[str, Any]]:
    """`score`'s first pass: every good entry's placement with every component priced at
    marginal cost (no flips, break-evens or reports), and per provider whether the estate
    has a cluster anyway. Bad entries are reported by the second pass."""
    survey = ClusterSurvey(kb)
    quick = replace(settings, survey=True, flips=False, rows=False, encode=False, curves=False,
                    clusters=frozenset(PROVIDERS))
    names = Names()
    with contextlib.closing(score_all(inventory.entries, quick, jobs, inventory.total)) as got, \
            _progress(show_progress, inventory.total, "clusters") as advance:
        for s in got:  # the workers were forked before the progress bar's thread started
            if s.placement is not None and names.taken(s.claim) is None:
                survey.add(s.placement)
            advance()
    return survey.decisions()


@contextlib.contextmanager
def _twice(inventory: Inventory, reopen: Callable[[], Inventory],
           ) -> Iterator[Callable[[], Inventory]]:
    """An inventory read for two passes. A file read whole (YAML, JSON, Backstage) keeps its
    entries; a regular CSV or JSON Lines file is read again; a stream (stdin, a pipe: read
    once) has its entries spooled to a temporary file as the first pass reads them, and
    replayed. (The spool holds runplan's own entries, pickled and read back by this process.)"""
    if inventory.fmt not in ("csv", "jsonl"):
        kept = list(inventory.entries)
        inventory.entries = iter(kept)
        yield lambda: replace(inventory, entries=iter(kept))
        return
    if inventory.total is not None:
        yield reopen
        return
    with tempfile.TemporaryFile(prefix="runplan-") as spool:
        source = inventory.entries

        def tee() -> Iterator[Entry]:
            for entry in source:
                pickle.dump(entry, spool, protocol=pickle.HIGHEST_PROTOCOL)
                yield entry

        def replay() -> Iterator[Entry]:
            spool.seek(0)
            while True:
                try:
                    yield pickle.load(spool)  # our own entries, written above
                except EOFError:
                    return

        inventory.entries = tee()
        yield lambda: replace(inventory, entries=replay())


@contextlib.contextmanager
def _progress(show: bool, total: int | None, label: str = "scoring") -> Iterator[Any]:
    if not show:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("score", total=total)
        yield lambda: bar.advance(task)
