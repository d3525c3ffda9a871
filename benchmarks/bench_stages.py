"""Where one component's time goes: `score_all` in one process, a timer around each stage.

    python benchmarks/bench_stages.py --size 100000      # a seeded synthetic estate
    python benchmarks/bench_stages.py --file estate.jsonl

Prints milliseconds per component for each stage (stages nest: "advise, rest" is what the
advisor spends outside the listed stages). The timers add a little of their own; compare
stages with each other, and use bench_score.py for throughput.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import runplan.advise as advise
import runplan.score as score
from runplan.inventory import read_inventory
from runplan.probes import BatchProbes
from runplan.rulebase.engine import Engine
from runplan.synthetic import write_jsonl

SPENT: collections.Counter[str] = collections.Counter()


def _timed(owner: Any, name: str, label: str) -> None:
    inner: Callable[..., Any] = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            SPENT[label] += time.perf_counter() - start

    setattr(owner, name, timed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=30_000)
    ap.add_argument("--file", type=Path)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file
        if path is None:
            path = Path(tmp) / f"estate-{args.size}.jsonl"
            write_jsonl(str(path), args.size, args.seed)
        for owner, name, label in (
                (score, "decoded", "JSON Lines decode"),
                (score, "check_entry", "check entry (schema, resolve)"),
                (advise.Advisor, "advise_many", "advise, all"),
                (advise, "flip_candidates", "  flip search"),
                (BatchProbes, "break_evens", "  break-even"),
                (Engine, "run_keyed", "  experta (new keys)"),
                (advise.Advisor, "_assemble", "  explanation"),
                (advise, "estimate", "  cost report"),
                (score, "result_data", "JSON data"),
                (score, "component_json", "JSON text"),
                (score, "placement", "portfolio facts")):
            _timed(owner, name, label)
        entries = read_inventory(path, None, None).entries
        start = time.perf_counter()
        settings = score.Settings(encode=True, rows=False)  # as `runplan score --format json`
        n = sum(1 for _ in score.score_all(entries, settings, 1))
        total = time.perf_counter() - start
    print(f"{n:,} components in {total:.1f} s: {total / n * 1e3:.3f} ms per component")
    for label, seconds in sorted(SPENT.items(), key=lambda kv: -kv[1]):
        print(f"  {label:32s} {seconds / n * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
