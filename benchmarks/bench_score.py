"""Throughput and memory of `runplan score`, end to end, on seeded synthetic estates.

For each distribution (`runplan.synthetic`: `rounded`, figures as people write them, and
`real`, unrounded loads and a measured idle share per component) and each size (default 1k,
10k, 100k components) it writes a JSON Lines estate (same seed, same estate), runs `runplan
score FILE --format json -o OUT -q --jobs N` as a separate process, and reports components
per second end to end (parse, validate, cost, break-even, rules, explanation, flips,
portfolio, JSON written), the CPU time of the whole process tree per component (user +
system, the scorer and its workers: what a loaded machine cannot take away, unlike wall
time), the machine's load average (1 minute) before and after, and the peak resident memory
of the process tree (sampled every 50 ms).

For the ratios, in one process on the first `--naive` components of each distribution:
the naive way (a fresh experta engine for every component, nothing shared: `Advisor(shared=
False)` built per component), the tuned loop (one engine, `reset()` between components,
nothing shared, no flips: the plain path at its fastest) and runplan's own path (`score_all`,
jobs=1, with flips). CPU seconds per component are given for each.

    python benchmarks/bench_score.py                 # 1k, 10k, 100k with the CPU count
    python benchmarks/bench_score.py --sizes 10000 --jobs 2 --naive 200
    python benchmarks/bench_score.py --sizes 10000 --distributions real

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
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from runplan.advise import Advisor
from runplan.inventory import Entry, check_entry, read_inventory
from runplan.kbase import load_kbase
from runplan.portfolio import placement
from runplan.report.batch import summary_row
from runplan.report.data import result_data
from runplan.rulebase.load import load_rulebase
from runplan.score import Settings, default_jobs, score_all
from runplan.synthetic import DISTRIBUTIONS, write_jsonl


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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # every reaped descendant
    return usage.ru_utime + usage.ru_stime


def end_to_end(path: Path, out: Path, jobs: int, flips: bool,
               ) -> tuple[float, float, float, int]:
    """(seconds, CPU seconds of the process tree, peak MiB of the process tree, components
    scored)."""
    cmd = [sys.executable, "-m", "runplan", "score", str(path), "--format", "json", "-o",
           str(out), "-q", "--jobs", str(jobs)] + ([] if flips else ["--no-flips"])
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kib(proc.pid))
        time.sleep(0.05)  # a sample costs about 0.3 ms of CPU
    seconds = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    if proc.returncode != 0:
        raise SystemExit(f"runplan score failed with exit code {proc.returncode}")
    with out.open("rb") as f:  # the summary is the last key: read the tail, not 1 GB of JSON
        f.seek(max(0, out.stat().st_size - 4096))
        tail = f.read().decode("utf-8", "replace")
    scored = json.loads("{" + tail[tail.rindex('"summary"'):])["summary"]["scored"]
    return seconds, cpu, peak / 1024, scored


def _timed(count: int, work: Callable[[], object]) -> tuple[float, float]:
    """(components per second, CPU ms per component) of `work` over `count` components."""
    cpu, start = time.process_time(), time.perf_counter()
    work()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return count / seconds, cpu / count * 1e3


def _entries(path: Path, count: int) -> list[Entry]:
    return [e for _, e in zip(range(count), read_inventory(path).entries, strict=False)]


def naive_rate(path: Path, count: int) -> tuple[float, float]:
    """A fresh engine per component and nothing shared, one process, flips on."""
    kb, rb = load_kbase(), load_rulebase()
    entries = _entries(path, count)

    def work() -> None:
        for e in entries:
            advisor = Advisor(kb, rb, shared=False)  # a fresh experta engine, no shared caches
            component, problems, _ = check_entry(e, kb)
            assert component is not None, problems
            result = advisor.advise(component, file=str(path))
            result_data(result), summary_row(result), placement(result, kb, False)

    return _timed(count, work)


def tuned_rate(path: Path, count: int) -> tuple[float, float]:
    """One experta engine for every component (`reset()` between them, as `Engine.run`
    does), nothing shared, no flips: the plain loop at its fastest."""
    kb, rb = load_kbase(), load_rulebase()
    entries = _entries(path, count)
    advisor = Advisor(kb, rb, shared=False)

    def work() -> None:
        for e in entries:
            component, problems, _ = check_entry(e, kb)
            assert component is not None, problems
            result = advisor.advise(component, file=str(path), flips=False)
            result_data(result), summary_row(result), placement(result, kb, False)

    return _timed(count, work)


def shared_rate(path: Path, count: int) -> tuple[float, float]:
    """The same components through runplan's own path in one process (jobs=1), flips on."""
    entries = _entries(path, count)
    return _timed(count, lambda: sum(1 for _ in score_all(iter(entries), Settings(), 1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--distributions", nargs="+", choices=DISTRIBUTIONS,
                        default=list(DISTRIBUTIONS))
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--naive", type=int, default=200,
                        help="components for the naive comparison (0: skip the comparisons)")
    parser.add_argument("--tuned", type=int, default=2000,
                        help="components for the tuned loop and runplan in one process")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-flips", action="store_true", help="also time without flips")
    args = parser.parse_args()
    import runplan

    compileall.compile_dir(Path(runplan.__file__).parent, quiet=1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for dist in args.distributions:
            for size in args.sizes:
                path = Path(tmp) / f"estate-{dist}-{size}.jsonl"
                write_jsonl(str(path), size, args.seed, dist)
                out = Path(tmp) / "out.json"
                modes = [True, False] if args.no_flips else [True]
                for flips in modes:
                    load = os.getloadavg()[0]
                    seconds, cpu, peak, scored = end_to_end(path, out, args.jobs, flips)
                    after = os.getloadavg()[0]
                    rows.append((dist, size, args.jobs, flips, seconds, scored / seconds,
                                 cpu / scored * 1e3, load, after, peak))
                    print(f"{dist:>7} {size:>7,} components, {args.jobs} jobs, flips "
                          f"{'on' if flips else 'off'}: {seconds:8.1f} s  "
                          f"{scored / seconds:8.1f} components/s  {cpu / scored * 1e3:.3f} "
                          f"CPU ms/component  load {load:.1f}-{after:.1f}  peak {peak:6.0f} MiB",
                          flush=True)
        if args.naive:
            for dist in args.distributions:
                path = Path(tmp) / f"compare-{dist}.jsonl"
                write_jsonl(str(path), max(args.naive, args.tuned), args.seed, dist)
                load = os.getloadavg()[0]
                naive, naive_cpu = naive_rate(path, args.naive)
                ours, ours_cpu = shared_rate(path, args.naive)
                print(f"{dist}, first {args.naive}, 1 process (load {load:.1f}): naive "
                      f"{naive:.1f}/s ({naive_cpu:.2f} CPU ms each); runplan with flips "
                      f"{ours:.1f}/s ({ours_cpu:.2f}): {ours / naive:.1f}x", flush=True)
                load = os.getloadavg()[0]
                tuned, tuned_cpu = tuned_rate(path, args.tuned)
                ours, ours_cpu = shared_rate(path, args.tuned)
                print(f"{dist}, first {args.tuned}, 1 process (load {load:.1f}): tuned loop, "
                      f"no flips {tuned:.1f}/s ({tuned_cpu:.2f} CPU ms each); runplan with "
                      f"flips {ours:.1f}/s ({ours_cpu:.2f}): {ours / tuned:.1f}x", flush=True)
    print("\n| estate | components | jobs | flips | seconds | components/s | CPU ms/component "
          "| load | peak memory (MiB) |")
    print("|---|---:|---:|:---:|---:|---:|---:|---:|---:|")
    for dist, size, jobs, flips, seconds, rate, cpu_ms, load, after, peak in rows:
        print(f"| {dist} | {size:,} | {jobs} | {'yes' if flips else 'no'} | {seconds:,.1f} | "
              f"{rate:,.0f} | {cpu_ms:.3f} | {load:.1f}-{after:.1f} | {peak:,.0f} |")


if __name__ == "__main__":
    main()
