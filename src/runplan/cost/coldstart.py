"""How often requests meet a cold start, what it adds, and whether p99 then breaks the SLO.

Per active hour with average rate r (rps): an instance that waits longer than the provider's
keep-alive window K is reclaimed, so with Poisson arrivals a request is cold with probability
exp(-r K) (the gap since the previous request exceeded K). On top, every instance added when
concurrency rises (to the hour's burst peak x duration) starts cold. After an idle hour
nothing is warm (K is under an hour for every provider in kbase/). The p99 estimate is the
average duration plus the warm overhead, plus the cold-start latency when 1% or more of the
requests start cold (then the 99th percentile request is a cold one).

The warm path (duration plus the platform's invoke overhead) and the cold-start tail are
compared with the SLO separately: `breaches_slo` means cold starts break an SLO that the warm
path meets, the case keeping instances warm (provisioned concurrency) can fix; a warm path
over the SLO (`warm_to_slo` > 1) is not a cold-start problem, and nothing kept warm fixes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from runplan.cost.traffic import Shape

P99_SHARE = 0.01


@dataclass(frozen=True)
class ColdStart:
    share_of_requests: float
    cold_starts_per_month: float
    added_latency_ms: float
    p99_estimate_ms: float
    breaches_slo: bool  # cold starts break the SLO, and the warm path meets it
    warm_p99_ms: float = 0.0  # duration plus the warm invoke overhead
    p99_to_slo: float | None = None  # p99 estimate / SLO
    warm_to_slo: float | None = None  # warm path / SLO
    platform: str = ""  # the title of the platform these are the cold starts of


def cold_start_estimate(shape: Shape, duration_ms: float, keep_alive_s: float,
                        cold_start_ms: float, warm_latency_ms: float,
                        p99_slo_ms: float | None) -> ColdStart:
    """The share of a month's requests that start cold, and the p99 it leads to."""
    duration_s = duration_ms / 1000
    total = cold = 0.0
    # Instances warm at the end of an hour at each level (none after an idle hour or at start).
    warm = [(math.ceil(round(rate * duration_s, 9)) or 1) if rate > 0 else 0
            for rate in shape.load]
    for level, n in shape.layout.counts:
        if shape.load[level] > 0:
            total += n * shape.load[level] * 3600
    for (prev, level), n in shape.layout.transitions:
        rate = shape.load[level]
        if rate <= 0:
            continue
        requests = rate * 3600
        gap_cold = requests * math.exp(-rate * keep_alive_s)
        needed = math.ceil(round(shape.serve[level] * duration_s, 9)) or 1
        scale_out = max(0, needed - (warm[prev] if prev >= 0 else 0))
        cold += n * min(requests, gap_cold + scale_out)
    share = cold / total if total else 0.0
    warm_p99 = duration_ms + warm_latency_ms
    p99 = warm_p99 + (cold_start_ms if share >= P99_SHARE else 0.0)
    breaches = p99_slo_ms is not None and p99 > p99_slo_ms >= warm_p99
    return ColdStart(share, cold, cold_start_ms, p99, breaches, warm_p99,
                     None if p99_slo_ms is None else p99 / p99_slo_ms,
                     None if p99_slo_ms is None else warm_p99 / p99_slo_ms)
