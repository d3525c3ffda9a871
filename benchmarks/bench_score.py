"""Throughput and memory of `runplan score`, end to end, on seeded synthetic estates.

For each size (default 1k, 10k, 100k components) it writes a JSON Lines estate
(`runplan.synthetic`, same seed, same estate), runs `runplan score FILE --format json -o OUT
-q --jobs N` as a separate process, and reports components per second end to end (parse,
validate, cost, break-even, rules, explanation, flips, portfolio, JSON written) and the peak
resident memory of the whole process tree (the scorer and its workers, sampled every 50 ms).

The naive way, for the ratio: the same work in one process with a fresh experta engine for
every component and nothing shared (`Advisor(shared=False)` built per component), on the
first `--naive` components of the smallest estate, against this run's single-process rate
on the same components.

    python benchmarks/bench_score.py                 # 1k, 10k, 100k with the CPU count
    python benchmarks/bench_score.py --sizes 1000 --jobs 2 --naive 100

runplan's own modules are byte-compiled first, as `pip install` does for an installed
package (an editable install under PYTHONDONTWRITEBYTECODE would otherwise compile them from
source at every start: about 0.1 s of each run).

Not part of the test run; the README has the table it printed on this kind of machine.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from runplan.advise import Advisor
from runplan.inventory import check_entry, read_inventory
from runplan.kbase import load_kbase
from runplan.portfolio import placement
from runplan.report.batch import summary_row
from runplan.report.data import result_data
from runplan.rulebase.load import load_rulebase
from runplan.score import Settings, default_jobs, score_all
from runplan.synthetic import write_jsonl


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB (Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status", encoding="ascii") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as f:
                    stack += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def end_to_end(path: Path, out: Path, jobs: int, flips: bool) -> tuple[float, float, int]:
    """(seconds, peak MiB of the process tree, components scored)."""
    cmd = [sys.executable, "-m", "runplan", "score", str(path), "--format", "json", "-o",
           str(out), "-q", "--jobs", str(jobs)] + ([] if flips else ["--no-flips"])
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kib(proc.pid))
        time.sleep(0.05)  # a sample costs about 0.3 ms of CPU
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"runplan score failed with exit code {proc.returncode}")
    with out.open("rb") as f:  # the summary is the last key: read the tail, not 1 GB of JSON
        f.seek(max(0, out.stat().st_size - 4096))
        tail = f.read().decode("utf-8", "replace")
    scored = json.loads("{" + tail[tail.rindex('"summary"'):])["summary"]["scored"]
    return seconds, peak / 1024, scored


def naive_rate(path: Path, count: int) -> float:
    """Components/s with a fresh engine per component and nothing shared, one process."""
    kb, rb = load_kbase(), load_rulebase()
    entries = [e for _, e in zip(range(count), read_inventory(path).entries, strict=False)]
    start = time.perf_counter()
    for e in entries:
        advisor = Advisor(kb, rb, shared=False)  # a fresh experta engine, no shared caches
        component, problems, _ = check_entry(e, kb)
        assert component is not None, problems
        result = advisor.advise(component, file=str(path))
        result_data(result), summary_row(result), placement(result, kb, False)
    return count / (time.perf_counter() - start)


def shared_rate(path: Path, count: int) -> float:
    """The same components through runplan's own path in one process (jobs=1)."""
    entries = [e for _, e in zip(range(count), read_inventory(path).entries, strict=False)]
    start = time.perf_counter()
    n = sum(1 for _ in score_all(iter(entries), Settings(), 1))
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--naive", type=int, default=200,
                        help="components for the naive comparison (0: skip)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-flips", action="store_true", help="also time without flips")
    args = parser.parse_args()
    import runplan

    compileall.compile_dir(Path(runplan.__file__).parent, quiet=1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"estate-{size}.jsonl"
            write_jsonl(str(path), size, args.seed)
            out = Path(tmp) / "out.json"
            modes = [True, False] if args.no_flips else [True]
            for flips in modes:
                seconds, peak, scored = end_to_end(path, out, args.jobs, flips)
                rows.append((size, args.jobs, flips, scored, seconds, scored / seconds, peak))
                print(f"{size:>7,} components, {args.jobs} jobs, flips {'on' if flips else 'off'}:"
                      f" {seconds:8.1f} s  {scored / seconds:8.1f} components/s  "
                      f"peak {peak:6.0f} MiB", flush=True)
        if args.naive:
            path = Path(tmp) / "naive.jsonl"
            write_jsonl(str(path), args.naive, args.seed)
            naive = naive_rate(path, args.naive)
            ours = shared_rate(path, args.naive)
            print(f"naive (fresh engine per component, nothing shared, 1 process): "
                  f"{naive:.1f} components/s; runplan, 1 process, same {args.naive}: "
                  f"{ours:.1f} components/s; ratio {ours / naive:.1f}x", flush=True)
    print("\n| components | jobs | flips | seconds | components/s | peak memory (MiB) |")
    print("|---:|---:|:---:|---:|---:|---:|")
    for size, jobs, flips, _scored, seconds, rate, peak in rows:
        print(f"| {size:,} | {jobs} | {'yes' if flips else 'no'} | {seconds:,.1f} | "
              f"{rate:,.0f} | {peak:,.0f} |")


if __name__ == "__main__":
    main()
