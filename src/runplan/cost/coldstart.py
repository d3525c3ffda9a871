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

The model is written once, over arrays (`cost.vector.cold_starts`); a single report's
`ColdStart` is its one-row case (`cost.vector.cold_start`).
"""

from __future__ import annotations

from dataclasses import dataclass

P99_SHARE = 0.01


@dataclass(frozen=True)
class ColdStart:
    """One workload's cold starts on the serverless model's platform."""

    share_of_requests: float
    added_latency_ms: float
    p99_estimate_ms: float
    breaches_slo: bool  # cold starts break the SLO, and the warm path meets it
    warm_p99_ms: float  # duration plus the warm invoke overhead
    p99_slo_ms: float | None  # the workload's SLO (None: none)
    platform: str = ""  # the title of the platform these are the cold starts of

    @property
    def p99_to_slo(self) -> float | None:
        """The p99 estimate / the SLO."""
        return None if self.p99_slo_ms is None else self.p99_estimate_ms / self.p99_slo_ms

    @property
    def warm_to_slo(self) -> float | None:
        """The warm path / the SLO."""
        return None if self.p99_slo_ms is None else self.warm_p99_ms / self.p99_slo_ms
