"""What `--uncertain` costs: `advise --uncertain` on one profile, and `score --uncertain=N` on
a seeded synthetic estate, with where the time goes.

1. advise: in one process, `Advisor.advise` of each example profile, then the sampling alone
   (`uncertainty.report.uncertain`, 1,000 draws: inputs, draws, the array pass, tornado,
   value of information), the best of `--repeat` runs each; the issue's target is at most
   0.3 s added for 1,000 draws.
2. score: `runplan score ESTATE --format json -o OUT -q --jobs J` as a separate process on a
   `runplan.synthetic.write_jsonl(path, n, seed, "real")` estate, with and without
   `--uncertain=N` (and, with `--baseline-src`, without it on another source tree, e.g. main's,
   to check that the plain run is no slower): wall seconds, CPU seconds of the process tree,
   peak resident memory of the tree (sampled every 50 ms), the load average before and after,
   and microseconds per draw (CPU seconds of the added work / draws).
3. where the time goes: cProfile of `uncertain_many` on `--profile` components of the same
   estate, grouped into the cost core (runplan.cost.*), the rule evaluation over arrays
   (runplan.probes), drawing (runplan.uncertainty.sample) and summarising
   (runplan.uncertainty.report).

    python benchmarks/bench_uncertain.py
    python benchmarks/bench_uncertain.py --size 10000 --draws 1000 --jobs 2
    python benchmarks/bench_uncertain.py --baseline-src ../main/src

Not part of the test run; the README has the table it printed on this kind of machine.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_score import _children_cpu, _tree_rss_kib

from runplan.advise import Advisor
from runplan.inventory import check_entry, read_inventory
from runplan.kbase import load_kbase
from runplan.profile import load_component
from runplan.rulebase.load import load_rulebase
from runplan.synthetic import write_jsonl
from runplan.uncertainty.report import uncertain, uncertain_many

ROOT = Path(__file__).resolve().parent.parent


def bench_advise(draws: int, repeat: int) -> None:
    kb, rb = load_kbase(), load_rulebase()
    advisor = Advisor(kb, rb)
    print(f"advise --uncertain={draws}: seconds added per profile (best of {repeat})")
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        if path.name.startswith(("inventory", "catalog-info")):
            continue
        c = load_component(path, kb)  # with parts too: sampled part by part
        best_advise = best_sample = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            result = advisor.advise(c, file=str(path))
            best_advise = min(best_advise, time.perf_counter() - start)
            start = time.perf_counter()
            s = uncertain(advisor, c, result, draws, None)
            best_sample = min(best_sample, time.perf_counter() - start)
        print(f"  {path.name:32} advise {best_advise:.3f} s, sampling {best_sample:.3f} s "
              f"({len(s.inputs)} inputs; {best_sample / draws * 1e6:.0f} us/draw)")


def run_score(path: Path, out: Path, jobs: int, draws: int | None,
              src: str | None = None) -> tuple[float, float, float]:
    cmd = [sys.executable, "-m", "runplan", "score", str(path), "--format", "json", "-o",
           str(out), "-q", "--jobs", str(jobs)]
    if draws is not None:
        cmd.append(f"--uncertain={draws}")
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = src
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kib(proc.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"runplan score failed with exit code {proc.returncode}")
    return seconds, _children_cpu() - cpu, peak / 1024


def bench_score(size: int, draws: int, jobs: int, seed: int, baseline: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "estate.jsonl"
        write_jsonl(str(path), size, seed, "real")
        out = Path(tmp) / "out.json"
        runs: list[tuple[str, str | None, int | None]] = [("plain", None, None)]
        if baseline:
            runs.append(("plain, baseline tree", baseline, None))
        runs.append((f"--uncertain={draws}", None, draws))
        plain_cpu = None
        print(f"score, {size:,} components ('real' estate, seed {seed}), --jobs {jobs}:")
        for label, src, n in runs:
            load = os.getloadavg()[0]
            seconds, cpu, mib = run_score(path, out, jobs, n, src)
            after = os.getloadavg()[0]
            extra = ""
            if n is None and src is None:
                plain_cpu = cpu
            if n is not None and plain_cpu is not None:
                extra = (f", {(cpu - plain_cpu) / (size * n) * 1e6:.1f} us CPU per draw "
                         "added")
            print(f"  {label:24} {seconds:6.1f} s wall, {cpu:6.1f} s CPU, peak {mib:5.0f} MiB, "
                  f"load {load:.2f} -> {after:.2f}{extra}; output {out.stat().st_size / 1e6:.0f} MB")


def where_time_goes(size: int, draws: int, seed: int, count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "estate.jsonl"
        write_jsonl(str(path), size, seed, "real")
        kb, rb = load_kbase(), load_rulebase()
        advisor = Advisor(kb, rb)
        items = []
        for e in read_inventory(path).entries:
            checked = check_entry(e, kb)
            if checked.component is not None and not checked.component.parts:
                items.append(checked.component)
            if len(items) >= count:
                break
        results = advisor.advise_many([(c, "") for c in items])
        pairs = list(zip(items, results, strict=True))
        profile = cProfile.Profile()
        start = time.process_time()
        profile.enable()
        uncertain_many(advisor, pairs, draws, None)
        profile.disable()
        cpu = time.process_time() - start
        stats = pstats.Stats(profile)
        groups = {"cost core (runplan.cost)": 0.0, "rules over arrays (runplan.probes)": 0.0,
                  "drawing (uncertainty.sample)": 0.0, "summary (uncertainty.report)": 0.0,
                  "numpy and the rest": 0.0}
        for (file, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
            if "/runplan/cost/" in file:
                groups["cost core (runplan.cost)"] += tottime
            elif file.endswith("runplan/probes.py") or "/runplan/rulebase/" in file:
                groups["rules over arrays (runplan.probes)"] += tottime
            elif file.endswith("uncertainty/sample.py"):
                groups["drawing (uncertainty.sample)"] += tottime
            elif file.endswith("uncertainty/report.py"):
                groups["summary (uncertainty.report)"] += tottime
            else:
                groups["numpy and the rest"] += tottime
        total = sum(groups.values())
        print(f"where the time goes: {len(pairs)} components x {draws} draws, {cpu:.2f} s CPU "
              f"({cpu / (len(pairs) * draws) * 1e6:.1f} us/draw, under cProfile), own time:")
        for name, t in groups.items():
            print(f"  {name:40} {t / total:5.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", type=int, default=300)
    ap.add_argument("--baseline-src", default=None)
    ap.add_argument("--skip-score", action="store_true")
    a = ap.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    bench_advise(a.draws, a.repeat)
    where_time_goes(a.size, a.draws, a.seed, a.profile)
    if not a.skip_score:
        bench_score(a.size, a.draws, a.jobs, a.seed, a.baseline_src)


if __name__ == "__main__":
    main()
