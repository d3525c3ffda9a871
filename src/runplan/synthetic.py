"""Seeded synthetic estates for benchmarks and tests: realistic, varied, reproducible.

Each component is drawn from an archetype (public API, internal API, webhook, event handler,
worker, stream consumer, scheduled job, long batch job, ML inference, web front end, legacy
monolith) with figures spread around that archetype's typical values, and a team and
constraints drawn per "team" of a dozen services, as in a real organisation. The same seed
gives the same estate, line for line.

Two distributions: `rounded` (the default) writes figures as people write them in a profile,
to two significant figures, and leaves the idle share to the pattern's default; `real`
writes loads and durations as a monitoring export would (unrounded) and gives every
component with traffic its own measured idle share, so that almost no two components share
a traffic layout (what a real estate's figures look like to runplan's caches).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from typing import Any

ARCHETYPES: tuple[tuple[str, float], ...] = (
    ("public-api", 0.16), ("internal-api", 0.16), ("webhook", 0.08), ("event-handler", 0.12),
    ("worker", 0.1), ("stream", 0.06), ("scheduled-job", 0.1), ("batch-job", 0.04),
    ("ml-inference", 0.05), ("web", 0.1), ("legacy", 0.03))


def _rounded(x: float) -> float:
    """Two significant figures, as people write figures in a profile."""
    if x <= 0:
        return 0.0
    digits = len(str(int(x))) - 2
    return float(round(x, -digits)) if digits > 0 else round(x, 1 - digits)


def _team(rng: random.Random) -> dict[str, Any]:
    maturity = rng.choices(["none", "basic", "established", "platform"], [1, 3, 4, 2])[0]
    return {
        "team": {"devops_maturity": maturity,
                 "existing_cluster": maturity in ("established", "platform") and rng.random() < 0.6,
                 "engineers": rng.choice([2, 3, 4, 6, 8, 12])},
        "constraints": {"provider": rng.choices(["aws", "gcp", "azure", "on-prem"], [6, 2, 2, 0.3])[0],
                        "lock_in_tolerance": rng.choice(["low", "medium", "medium", "high"]),
                        "compliance": rng.choices([[], ["gdpr"], ["pci-dss"], ["hipaa"]],
                                                  [6, 2, 1, 1])[0]},
    }


def _exact(x: float) -> float:
    """Figures as measured: six significant figures, as a monitoring export writes them."""
    return float(f"{x:.6g}") if x > 0 else 0.0


DISTRIBUTIONS = ("rounded", "real")


def component(rng: random.Random, name: str, team: dict[str, Any],
              distribution: str = "rounded") -> dict[str, Any]:
    """One synthetic profile (see the module docstring)."""
    _round = _exact if distribution == "real" else _rounded
    kind = rng.choices([a for a, _ in ARCHETYPES], [w for _, w in ARCHETYPES])[0]
    lognorm = rng.lognormvariate
    c: dict[str, Any] = {"name": name, **{k: dict(v) for k, v in team.items()}}
    runtime = rng.choice(["python", "node", "java", "go", "dotnet"])
    if kind in ("public-api", "internal-api", "web"):
        avg = _round(lognorm(3.0 if kind == "public-api" else 2.0, 1.4))
        c.update(kind="web" if kind == "web" else "api", traffic={
            "pattern": rng.choice(["diurnal", "steady", "business-hours", "bursty"]),
            "avg_rps": avg, "peak_rps": _round(avg * rng.uniform(2, 8))},
            execution={"avg_duration_ms": _round(lognorm(4.0, 0.8)),
                       "memory_mb": rng.choice([256, 512, 512, 1024, 2048]), "runtime": runtime},
            latency={"p99_slo_ms": rng.choice([None, 100, 200, 300, 500, 1000]),
                     "user_facing": kind != "internal-api"},
            architecture={"calls_per_request": rng.choice([0, 0, 1, 2, 3, 5])})
    elif kind in ("webhook", "event-handler", "worker"):
        c.update(kind=kind, traffic={
            "pattern": rng.choice(["bursty", "event-driven", "business-hours"]),
            "requests_per_month": _round(lognorm(11.5, 2.0))},
            execution={"avg_duration_ms": _round(lognorm(5.3, 1.0)),
                       "memory_mb": rng.choice([128, 256, 512, 1024]), "runtime": runtime,
                       "idempotent": rng.random() < 0.85})
    elif kind == "stream":
        c.update(kind="stream", traffic={"pattern": "steady", "avg_rps": _round(lognorm(4, 1.2))},
                 execution={"avg_duration_ms": _round(lognorm(2.5, 0.8)),
                            "memory_mb": rng.choice([512, 1024, 2048]), "runtime": runtime,
                            "long_lived_connections": rng.random() < 0.7})
    elif kind in ("scheduled-job", "batch-job"):
        minutes = lognorm(1.5, 1.0) if kind == "scheduled-job" else lognorm(3.8, 0.7)
        c.update(kind="job", traffic={"pattern": "scheduled",
                                      "requests_per_month": rng.choice([4, 30, 120, 720, 2920])},
                 execution={"avg_duration_ms": _round(minutes * 60_000),
                            "memory_mb": rng.choice([512, 1024, 2048, 4096]), "runtime": runtime})
    elif kind == "ml-inference":
        avg = _round(lognorm(2.5, 1.2))
        c.update(kind="ml-inference", traffic={"pattern": rng.choice(["diurnal", "steady"]),
                                               "avg_rps": avg, "peak_rps": _round(avg * 3)},
                 execution={"avg_duration_ms": _round(lognorm(4.0, 0.6)),
                            "memory_mb": rng.choice([2048, 4096, 8192]), "runtime": "python",
                            "gpu": rng.random() < 0.4},
                 latency={"p99_slo_ms": rng.choice([None, 100, 250])})
    else:
        c.update(kind="api", traffic={"pattern": "business-hours",
                                      "avg_rps": _round(lognorm(2.5, 0.8))},
                 execution={"avg_duration_ms": _round(lognorm(5.0, 0.5)),
                            "memory_mb": rng.choice([4096, 8192]), "runtime": "java",
                            "stateful": True},
                 architecture={"legacy_monolith": True})
    if distribution == "real" and c["traffic"]["pattern"] != "scheduled":
        idle = round(rng.betavariate(2, 5), 4)  # measured, per service
        traffic = c["traffic"]
        if traffic.get("peak_rps"):  # a measured peak is at least the rate while active
            idle = min(idle, math.floor((1 - traffic["avg_rps"] / traffic["peak_rps"]) * 1e4) / 1e4)
        traffic["idle_fraction"] = idle
    return c


def estate(count: int, seed: int = 1, distribution: str = "rounded",
           ) -> Iterator[dict[str, Any]]:
    """`count` profiles, a new team every dozen components."""
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution is one of {', '.join(DISTRIBUTIONS)}")
    rng = random.Random(seed)
    team = _team(rng)
    for i in range(count):
        if i % 12 == 0:
            team = _team(rng)
        yield component(rng, f"svc-{i:06d}", team, distribution)


def write_jsonl(path: str, count: int, seed: int = 1, distribution: str = "rounded") -> None:
    with open(path, "w", encoding="utf-8") as f:
        for c in estate(count, seed, distribution):
            f.write(json.dumps(c, sort_keys=True) + "\n")
