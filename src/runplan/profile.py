"""The component profile (the public input contract of DESIGN.md) and its resolution.

`Component` is what a user writes: every field but `name` may be left out. `resolve()` turns
it into a `Workload` with every figure filled in, and records each figure that was assumed
rather than given, so the explanation can say so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic import ValidationError as PydanticError

from runplan.errors import Problem, UserError
from runplan.fmt import figure, num, plural
from runplan.fmt import value as value_text
from runplan.kbase import KnowledgeBase
from runplan.validation import validate
from runplan.yamlio import LineMap, dotted, line_of, load_data_file

Kind = Literal["api", "web", "worker", "job", "webhook", "stream", "event-handler", "ml-inference"]
Pattern = Literal["steady", "diurnal", "business-hours", "bursty", "scheduled", "event-driven"]
Runtime = Literal["python", "node", "java", "go", "dotnet", "ruby", "rust", "container"]
Maturity = Literal["none", "basic", "established", "platform"]
MATURITY_ORDER: tuple[str, ...] = ("none", "basic", "established", "platform")  # least first
ProviderName = Literal["aws", "gcp", "azure", "any", "on-prem"]
Tolerance = Literal["low", "medium", "high"]
Option = Literal["kubernetes", "serverless", "hybrid"]
OPTIONS: tuple[Option, ...] = ("kubernetes", "serverless", "hybrid")
# Kinds served over HTTP: a load balancer or gateway in front on both models (an inference
# endpoint is an HTTP API too).
HTTP_KINDS = frozenset({"api", "web", "webhook", "ml-inference"})
# Kinds a function runs for on an event (a queue, a topic, a stream): event-driven triggers,
# which some providers stop sooner (Cloud Run functions: 9 minutes, HTTP 60). A job is
# started by a scheduler calling its URL, so it takes the HTTP-less general limit.
EVENT_KINDS = frozenset({"worker", "event-handler", "stream"})

_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

# Bounds on every figure, far beyond any real component, so that no figure a profile may give
# can overflow a bill or divide by a zero it rounded to (a 5e-324 MB pod is 0 GiB).
MAX_REQUESTS_PER_MONTH = 1e15  # about 380 million requests per second, all month
MIN_REQUESTS_PER_MONTH = 1e-3  # or 0: one request in 83 years (below it, resolve refuses)
MAX_AVG_RPS = 1e8
MAX_PEAK_RPS = 1e9
MAX_DURATION_S = 31 * 24 * 3600  # a run longer than the longest month is not a monthly bill
MIN_MEMORY_MB = 1
MAX_MEMORY_MB = 2**25  # 32 TiB, above the largest cloud machine (24 TiB)
MAX_CPU_MS = 1e12
MAX_CALLS_PER_REQUEST = 10_000
MAX_ENGINEERS = 1_000_000
MIN_SLO_MS = 0.1  # a tenth of a millisecond: below any network round trip, so below any real objective


class Traffic(BaseModel):
    """How much load arrives and when."""

    model_config = _STRICT
    pattern: Pattern | None = Field(
        None, description="steady | diurnal | business-hours | bursty | scheduled | event-driven. "
        "Default: diurnal.")
    requests_per_month: float | None = Field(
        None, ge=0, le=MAX_REQUESTS_PER_MONTH, description="Requests per month (for a job: runs "
        "per month). Give this or avg_rps. Default: 1,000,000 when neither is given.")
    avg_rps: float | None = Field(
        None, ge=0, le=MAX_AVG_RPS, description="Average requests per second over the month "
        "(730 h).")
    peak_rps: float | None = Field(
        None, ge=0, le=MAX_PEAK_RPS, description="Highest requests per second to serve. "
        "Default: avg_rps x the pattern's peak factor (kbase/traffic.yaml).")
    idle_fraction: float | None = Field(
        None, ge=0, le=1, description="Share of the month with no traffic, 0..1. Default: by "
        "pattern (kbase/traffic.yaml).")


class Execution(BaseModel):
    """What one request or run does."""

    model_config = _STRICT
    avg_duration_ms: float | None = Field(
        None, gt=0, le=MAX_DURATION_S * 1000, description="Average wall-clock time per request "
        "or run, in ms. Default: 100.")
    max_duration_s: float | None = Field(
        None, gt=0, le=MAX_DURATION_S, description="Longest single request or run, in seconds. "
        "Default: 3 x the average duration.")
    memory_mb: float | None = Field(
        None, ge=MIN_MEMORY_MB, le=MAX_MEMORY_MB, description="Memory per instance, in MB. "
        "Default: 512.")
    cpu_ms: float | None = Field(
        None, ge=0, le=MAX_CPU_MS, description="CPU time per request, in ms. Default: duration "
        "x the runtime's CPU share (kbase/operations.yaml).")
    runtime: Runtime | None = Field(None, description="Language runtime. Default: python.")
    stateful: bool | None = Field(None, description="Keeps state in memory between requests. "
                                  "Default: false.")
    long_lived_connections: bool | None = Field(
        None, description="Holds websockets, streams or SSE open. Default: false.")
    gpu: bool | None = Field(None, description="Needs a GPU. Default: false.")
    idempotent: bool | None = Field(None, description="Safe to retry. Default: true.")


class Latency(BaseModel):
    """How fast answers must be."""

    model_config = _STRICT
    p99_slo_ms: float | None = Field(
        None, ge=MIN_SLO_MS, le=MAX_DURATION_S * 1000, description="99th-percentile latency objective "
        "in ms; null: not latency-sensitive. Default: null.")
    user_facing: bool | None = Field(None, description="A person waits on the answer. "
                                     "Default: false.")


class Architecture(BaseModel):
    """How the component sits among others."""

    model_config = _STRICT
    calls_per_request: int | None = Field(
        None, ge=0, le=MAX_CALLS_PER_REQUEST, description="Synchronous calls to other internal "
        "services per request. Default: 0.")
    legacy_monolith: bool | None = Field(None, description="An inherited monolith. "
                                         "Default: false.")


class Team(BaseModel):
    """Who runs it."""

    model_config = _STRICT
    devops_maturity: Maturity | None = Field(
        None, description="none | basic | established | platform. Default: basic.")
    existing_cluster: bool | None = Field(
        None, description="A production Kubernetes cluster already runs and can take this. "
        "Default: false.")
    engineers: int | None = Field(None, ge=1, le=MAX_ENGINEERS,
                                  description="Engineers on the team. Default: 4.")


class Constraints(BaseModel):
    """What the organisation requires."""

    model_config = _STRICT
    provider: ProviderName | None = Field(
        None, description="aws | gcp | azure | any | on-prem. Default: aws.")
    compliance: list[str] | None = Field(
        None, description="Regimes that apply, e.g. hipaa, pci-dss, fedramp, gdpr, air-gapped. "
        "Default: none.")
    lock_in_tolerance: Tolerance | None = Field(
        None, description="low | medium | high. Default: medium.")
    portability_required: bool | None = Field(
        None, description="Must be movable between clouds or on-premises. Default: false.")
    custom_networking: bool | None = Field(
        None, description="Needs a service mesh, sidecars, daemonsets or kernel tuning. "
        "Default: false.")


class Part(BaseModel):
    """A sub-workload: a name and the fields that differ from its parent."""

    model_config = _STRICT
    name: str = Field(..., min_length=1, max_length=200, description="Unique within the parent.")
    description: str | None = Field(None, description="What it does.")
    kind: Kind | None = Field(
        None, description="api | web | worker | job | webhook | stream | event-handler | "
        "ml-inference. Default: api.")
    traffic: Traffic | None = None
    execution: Execution | None = None
    latency: Latency | None = None
    architecture: Architecture | None = None
    team: Team | None = None
    constraints: Constraints | None = None


class Component(Part):
    """A component profile: everything runplan knows about one service."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True,
                              title="runplan component profile")
    parts: list[Part] = Field(
        default_factory=list, description="Optional sub-workloads; each inherits every field it "
        "does not set from this component, except the volume: a part's own requests_per_month "
        "or avg_rps replaces the component's volume and peak_rps. The component costs the sum "
        "of its parts, each on its own verdict.")
    # The ranges the profile gave (`runplan.uncertainty.ranges.strip_ranges`), by where they
    # stood: () for the component, ("parts", i) for a part; each field's value is the range's
    # median. Not a field: the schema and every code path see plain values.
    _ranges: dict[tuple[str | int, ...], Any] = PrivateAttr(default_factory=dict)


SECTIONS = ("traffic", "execution", "latency", "architecture", "team", "constraints")


# A value, never changed once made; not frozen because a frozen dataclass's __init__ costs
# 5-8x a plain one, and a batch makes thousands of these a second.
@dataclass(slots=True)
class Assumption:
    """A figure runplan filled in because the profile did not give it."""

    field: str
    value: Any
    reason: str

    def __str__(self) -> str:
        return f"{self.field} not given: assumed {value_text(self.value)} ({self.reason})"


@dataclass(frozen=True)
class Workload:
    """A profile with every figure resolved: what the cost core and the rules read."""

    name: str
    kind: str
    pattern: str
    requests_per_month: float
    avg_rps: float
    peak_rps: float
    idle_fraction: float
    avg_duration_ms: float
    max_duration_s: float
    memory_mb: float
    cpu_ms: float
    runtime: str
    stateful: bool
    long_lived_connections: bool
    gpu: bool
    idempotent: bool
    p99_slo_ms: float | None
    user_facing: bool
    calls_per_request: int
    legacy_monolith: bool
    devops_maturity: str
    existing_cluster: bool
    engineers: int
    provider: str
    compliance: tuple[str, ...]
    lock_in_tolerance: str
    portability_required: bool
    custom_networking: bool

    def fields(self) -> dict[str, Any]:
        """The profile as dotted field paths, as rules name them (`traffic.peak_rps`)."""
        values = self.__dict__
        return {path: values[name] for name, path in FIELD_PATHS.items()}

    def but(self, **changes: Any) -> Workload:
        """A copy with some figures changed: `dataclasses.replace` without its per-call field
        introspection (the flip search and break-even make tens of thousands of these)."""
        unknown = changes.keys() - self.__dict__.keys()
        if unknown:
            raise TypeError(f"Workload has no field {sorted(unknown)[0]!r}")
        copy = object.__new__(Workload)
        copy.__dict__.update(self.__dict__)
        copy.__dict__.update(changes)
        return copy


FIELD_PATHS: dict[str, str] = {
    "name": "name", "kind": "kind",
    **{n: f"traffic.{n}" for n in ("pattern", "requests_per_month", "avg_rps", "peak_rps",
                                   "idle_fraction")},
    **{n: f"execution.{n}" for n in ("avg_duration_ms", "max_duration_s", "memory_mb", "cpu_ms",
                                     "runtime", "stateful", "long_lived_connections", "gpu",
                                     "idempotent")},
    "p99_slo_ms": "latency.p99_slo_ms", "user_facing": "latency.user_facing",
    "calls_per_request": "architecture.calls_per_request",
    "legacy_monolith": "architecture.legacy_monolith",
    **{n: f"team.{n}" for n in ("devops_maturity", "existing_cluster", "engineers")},
    **{n: f"constraints.{n}" for n in ("provider", "compliance", "lock_in_tolerance",
                                       "portability_required", "custom_networking")},
}
SECONDS_PER_HOUR = 3600.0

PLAIN_DEFAULTS: dict[str, Any] = {
    "kind": "api", "pattern": "diurnal", "runtime": "python", "stateful": False,
    "long_lived_connections": False, "gpu": False, "idempotent": True, "p99_slo_ms": None,
    "user_facing": False, "calls_per_request": 0, "legacy_monolith": False,
    "devops_maturity": "basic", "existing_cluster": False, "engineers": 4, "provider": "aws",
    "compliance": (), "lock_in_tolerance": "medium", "portability_required": False,
    "custom_networking": False,
}


# A monthly volume is given as one of these; a part that gives its own replaces the parent's,
# and the parent's peak with it (a peak is a multiple of the volume it was given for).
VOLUME = ("requests_per_month", "avg_rps")


def _given(part: Part, parent: Part | None) -> dict[str, Any]:
    """The fields set in `part`, falling back to the parent's, by Workload attribute name. A
    part's own volume (`requests_per_month` or `avg_rps`) wins over the parent's, whichever
    of the two each gives: the parent's volume and peak are not inherited then."""
    out = _set_in(parent) if parent is not None else {}
    own = _set_in(part)
    if parent is not None and any(key in own for key in VOLUME):
        for key in (*VOLUME, "peak_rps"):
            out.pop(key, None)
    out.update(own)
    return out


def _set_in(source: Part) -> dict[str, Any]:
    """The fields set in one profile or part, by Workload attribute name."""
    out: dict[str, Any] = {}
    if source.kind is not None:
        out["kind"] = source.kind
    for section in SECTIONS:
        block = getattr(source, section)
        if block is None:
            continue
        set_fields = block.model_fields_set
        for key in type(block).model_fields:  # the set fields, in the model's order
            if key not in set_fields:
                continue
            value = getattr(block, key)  # plain values: model_dump would only copy them
            # An explicit `p99_slo_ms: null` is an answer ("not latency-sensitive");
            # any other null means "not given" and takes the default.
            if value is not None or key == "p99_slo_ms":
                out[key] = tuple(value) if isinstance(value, list) else value
    return out


def resolve(part: Part, kb: KnowledgeBase, parent: Part | None = None, file: str = "",
            ) -> tuple[Workload, list[Assumption]]:
    """Fill every figure the profile left out, saying what was assumed and why."""
    given = _given(part, parent)
    assumed: list[Assumption] = []
    values: dict[str, Any] = {"name": part.name}
    hours = kb.operations.hours_per_month
    seconds = hours * SECONDS_PER_HOUR

    def take(key: str, default: Any, reason: str) -> Any:
        if key in given:
            return given[key]
        assumed.append(Assumption(FIELD_PATHS[key], default, reason))
        return default

    for key, default in PLAIN_DEFAULTS.items():
        if key not in ("pattern",):
            values[key] = take(key, default, "runplan default")
    values["pattern"] = take("pattern", PLAIN_DEFAULTS["pattern"], "runplan default")
    shape = kb.traffic.patterns[values["pattern"]]

    rpm: float | None = given.get("requests_per_month")
    rps: float | None = given.get("avg_rps")
    if rpm is not None and rps is not None and abs(rpm - rps * seconds) > 0.01 * max(rpm, 1):
        raise UserError(Problem(
            file, None, "traffic.avg_rps",
            f"disagrees with traffic.requests_per_month ({rpm:,.0f}/month is "
            f"{num(rpm / seconds, 4)} rps over {hours:.0f} h); give one of them"))
    if rpm is None and rps is None:
        rpm = take("requests_per_month", kb.traffic.default_requests_per_month,
                   "kbase/traffic.yaml default_requests_per_month")
    elif rpm is None and rps is not None:
        rpm = float(rps) * seconds
    assert rpm is not None  # one of the three branches above set it
    if 0 < rpm < MIN_REQUESTS_PER_MONTH:  # scaled to other volumes, its peak would overflow
        field, got = ("traffic.avg_rps", rps) if "requests_per_month" not in given else \
            ("traffic.requests_per_month", rpm)
        raise UserError(Problem(file, None, field, f"must be 0 or at least "
                                f"{num(MIN_REQUESTS_PER_MONTH)} requests a month (one request "
                                f"in {1 / MIN_REQUESTS_PER_MONTH / 12:,.0f} years), "
                                f"got {figure(got or 0.0)}"))
    values["requests_per_month"] = float(rpm)
    values["avg_rps"] = float(rpm) / seconds
    values["idle_fraction"] = float(take("idle_fraction", shape.idle_fraction,
                                         f"kbase/traffic.yaml {values['pattern']} idle share"))
    _check_idle(values, {a.field for a in assumed}, hours, file)
    if "peak_rps" in given and "idle_fraction" not in given:
        _idle_for_peak(values, float(given["peak_rps"]), assumed)
    active_avg = active_rate(values["avg_rps"], values["idle_fraction"])
    values["peak_rps"] = float(take(
        "peak_rps", derived_peak(values["avg_rps"], values["idle_fraction"], shape.peak_to_avg),
        f"{shape.peak_to_avg:g} x avg_rps, kbase/traffic.yaml {values['pattern']} peak factor"))
    if "peak_rps" in given and "idle_fraction" in given \
            and below_active(values["peak_rps"], active_avg):
        volume = "traffic.requests_per_month" if "requests_per_month" in given \
            else "traffic.avg_rps"
        raise UserError(Problem(
            file, None, "traffic.peak_rps",
            f"{num(values['peak_rps'], 6)} is below the rate while active: {volume} "
            f"({num(values['avg_rps'], 4)} rps on average) over the "
            f"{num(100 * (1 - values['idle_fraction']), 4)}% of the month not idle "
            f"(traffic.idle_fraction {num(values['idle_fraction'], 6)}) is "
            f"{num(active_avg, 4)} rps; raise the peak or lower the idle share"))
    if values["peak_rps"] < values["avg_rps"]:
        raise UserError(Problem(file, None, "traffic.peak_rps",
                                f"must be at least the average rate ({num(values['avg_rps'], 4)} rps), "
                                f"got {num(values['peak_rps'], 6)}"))
    values["avg_duration_ms"] = float(take("avg_duration_ms", kb.traffic.default_duration_ms,
                                           "kbase/traffic.yaml default_duration_ms"))
    values["max_duration_s"] = float(take(
        "max_duration_s",
        derived_max_s(values["avg_duration_ms"], kb.traffic.max_to_avg_duration),
        f"{kb.traffic.max_to_avg_duration:g} x avg_duration_ms"))
    if values["max_duration_s"] * 1000 < values["avg_duration_ms"]:
        raise UserError(Problem(file, None, "execution.max_duration_s",
                                f"must be at least avg_duration_ms ({num(values['avg_duration_ms'], 6)} ms), "
                                f"got {num(values['max_duration_s'], 6)} s"))
    _check_feasible(values, {a.field for a in assumed}, file)
    values["memory_mb"] = float(take("memory_mb", kb.traffic.default_memory_mb,
                                     "kbase/traffic.yaml default_memory_mb"))
    share = kb.operations.cpu_fraction_by_runtime[values["runtime"]]
    values["cpu_ms"] = float(take("cpu_ms", derived_cpu_ms(values["avg_duration_ms"], share),
                                  f"{share:g} x avg_duration_ms for {values['runtime']}, "
                                  "kbase/operations.yaml cpu_fraction_by_runtime"))
    values["compliance"] = tuple(sorted({c.lower() for c in values["compliance"]}))
    return Workload(**values), assumed


def _check_idle(values: dict[str, Any], assumed: set[str], hours: float, file: str) -> None:
    """A month with traffic has at least one hour with requests: idle_fraction at most
    1 - 1 / hours_per_month (0.99863 in a 730-hour month); 1 means no traffic at all."""
    rpm, idle = values["requests_per_month"], values["idle_fraction"]
    volume = "traffic.requests_per_month (assumed)" \
        if "traffic.requests_per_month" in assumed else "traffic.requests_per_month"
    if rpm > 0 and idle >= 1:
        raise UserError(Problem(
            file, None, "traffic.idle_fraction",
            f"1 means no traffic at all, but {volume} is {rpm:,.0f} a month; give the share of "
            "the month with no traffic, below 1"))
    most = max_idle_fraction(hours)
    if rpm > 0 and idle > most:
        got = f"{idle:.10f}".rstrip("0")  # 0..1: no exponent; `num` would round it to 1
        raise UserError(Problem(
            file, None, "traffic.idle_fraction",
            f"must be at most {num(most, 5)} when there is traffic (at least one of the month's "
            f"{hours:,.0f} hours has requests), got {got}"))


def _idle_for_peak(values: dict[str, Any], peak: float, assumed: list[Assumption]) -> None:
    """An assumed idle share that would put the rate while active above the given peak
    gives way to the largest one the peak allows (`idle_under_peak`), and says so."""
    default = values["idle_fraction"]
    idle = idle_under_peak(values["avg_rps"], default, peak)
    if idle == default:
        return
    values["idle_fraction"] = idle
    at = next(k for k, a in enumerate(assumed) if a.field == "traffic.idle_fraction")
    assumed[at] = Assumption(
        "traffic.idle_fraction", idle,
        f"the largest idle share the given traffic.peak_rps allows, 1 - avg_rps / peak_rps: "
        f"the {values['pattern']} default {num(default, 6)} (kbase/traffic.yaml) would put the "
        f"rate while active at {num(active_rate(values['avg_rps'], default), 4)} rps, above "
        f"the given peak of {num(peak, 6)} rps")


def active_rate(avg_rps: Any, idle: Any, top: Any = max) -> Any:
    """The rate while active: the average over the share of the month not idle."""
    return avg_rps / top(1e-9, 1 - idle)


def below_active(peak_rps: Any, active: Any) -> Any:
    """A peak below the rate while active (beyond the 6 digits a peak is written to)."""
    return peak_rps < active * (1 - 1e-5) - 1e-6


def _pick(condition: Any, yes: Any, no: Any) -> Any:
    return yes if condition else no


def idle_under_peak(avg_rps: Any, idle: Any, peak_rps: Any, top: Any = max,
                    where: Any = _pick) -> Any:
    """An assumed idle share, or where the rate while active would then be above a given
    peak (`below_active`), the largest share the peak allows: 1 - avg_rps / peak_rps, the
    peak then being the rate while active (0 for a peak at or below the average, which
    `resolve` refuses). Written once for a float and for numpy arrays (`top` np.maximum,
    `where` np.where), for `resolve` and the uncertainty draws."""
    allowed = top(0.0, 1 - avg_rps / top(peak_rps, 1e-300))
    return where(below_active(peak_rps, active_rate(avg_rps, idle, top)), allowed, idle)


def max_idle_fraction(hours: float) -> float:
    """The largest idle share a month with traffic may give: all but one hour idle."""
    return 1 - 1 / hours


# The figures `resolve` derives from others when not given, written once for a float and for
# numpy arrays (`runplan.uncertainty.sample` passes np.maximum and `cost.vector.pyround`).
def derived_peak(avg_rps: Any, idle: Any, factor: Any, top: Any = max, rnd: Any = round,
                 ) -> Any:
    """The peak not given: the pattern's factor times the average, at least the average over
    the active hours."""
    return rnd(top(active_rate(avg_rps, idle, top), avg_rps * factor), 6)


def derived_max_s(avg_duration_ms: Any, max_to_avg: Any, rnd: Any = round) -> Any:
    """The longest run not given: kbase's multiple of the average duration, in seconds."""
    return rnd(avg_duration_ms * max_to_avg / 1000, 6)


def derived_cpu_ms(avg_duration_ms: Any, share: Any, rnd: Any = round) -> Any:
    """CPU time not given: the runtime's share of the duration."""
    return rnd(avg_duration_ms * share, 6)


def _check_feasible(values: dict[str, Any], assumed: set[str], file: str) -> None:
    """Traffic no month can hold: the runs in flight at the peak (peak rate x duration) cannot
    outnumber the month's runs. Says the largest peak that fits."""
    def named(field: str) -> str:
        return f"{field} (assumed)" if field in assumed else field

    rpm = values["requests_per_month"]
    at_once = values["peak_rps"] * values["avg_duration_ms"] / 1000
    if rpm > 0 and at_once > rpm:
        fits = _floor3(rpm / (values["avg_duration_ms"] / 1000))
        advice = f"give traffic.peak_rps, at most {fits} rps" \
            if "traffic.peak_rps" in assumed else \
            f"lower the peak to the runs that start together, at most {fits} rps, or leave it out"
        raise UserError(Problem(
            file, None, "traffic.peak_rps",
            f"{named('traffic.peak_rps')} {num(values['peak_rps'], 6)} x "
            f"{named('execution.avg_duration_ms')} {values['avg_duration_ms']:,.0f} ms means "
            f"{plural(at_once, 'run')} at once, more than the {plural(rpm, 'run')} a month "
            f"({named('traffic.requests_per_month')}); {advice}"))


def _floor3(x: float) -> str:
    """`x` to 3 significant digits, rounded down (a peak shown as fitting must fit)."""
    step = 10.0 ** (math.floor(math.log10(x)) - 2)
    return num(math.floor(x / step * (1 + 1e-12)) * step, 3)


def with_load(w: Workload, requests_per_month: float, hours: float) -> Workload:
    """The same workload at another monthly volume, its peak scaled in proportion."""
    scale = requests_per_month / w.requests_per_month if w.requests_per_month else 0.0
    rpm = max(0.0, requests_per_month)
    return w.but(requests_per_month=rpm, avg_rps=rpm / (hours * 3600),
                   peak_rps=w.peak_rps * scale if w.requests_per_month else rpm / (hours * 3600))


# -- loading ---------------------------------------------------------------------------------


def profile_schema() -> dict[str, Any]:
    """The JSON Schema of a component profile, as published in kbase/schemas/: the model's,
    with a range (`runplan.uncertainty.ranges`) and a value with its unit (`30M`, `2GB`)
    allowed beside the number on each field that takes a range (both are read before the model
    sees the profile, by the field's unit parser)."""
    from runplan.uncertainty.ranges import RANGEABLE

    schema = Component.model_json_schema()
    defs = schema["$defs"]
    for field in RANGEABLE:
        section, key = field.split(".")
        prop = defs[section.capitalize()]["properties"][key]
        prop["anyOf"][1:1] = [{"$ref": "#/$defs/Range"}, {"$ref": "#/$defs/UnitValue"}]
    defs["UnitValue"] = {
        "description": "A value with its unit: 30M, 2k, 300ms, 2GB, 80% (units as in the "
        "questionnaire and inside a range; a bare number in text is in the field's own unit).",
        "type": "string", "pattern": "^\\s*[-+]?\\.?[0-9]"}
    defs["Range"] = {
        "description": "A range instead of a value (runplan --uncertain): `low..high` or "
        "{low, high}, a 90% interval, or {p10, p50, p90}; units as in the questionnaire "
        "(2k..8k, 300ms..2s, 512MB..2GB, 10%..40%).",
        "anyOf": [
            {"type": "string", "pattern": "\\.\\."},
            {"type": "object", "additionalProperties": False, "required": ["low", "high"],
             "properties": {"low": {"type": ["number", "string"]},
                            "high": {"type": ["number", "string"]}}},
            {"type": "object", "additionalProperties": False,
             "required": ["p10", "p50", "p90"],
             "properties": {k: {"type": ["number", "string"]} for k in ("p10", "p50", "p90")}},
        ]}
    return schema


def parse_component(data: Any, file: str, lines: LineMap,
                    prefix: tuple[str | int, ...] = ()) -> Component:
    """Validate plain data as a profile: all schema problems at once, each with its line."""
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        raise UserError(Problem(file, line_of(lines, prefix), dotted(prefix),
                                f"a profile must be a mapping of fields, got {kind}"))
    # The published schema is the model's own (a test keeps them equal), so a profile the
    # strict model accepts is one the schema accepts: validate with the model (fast) and ask
    # the schema only for the messages of a profile that fails.
    try:
        return Component.model_validate(data, strict=True)
    except PydanticError as exc:
        problems = validate(data, "component", file, lines, prefix)
        if problems:
            raise UserError(problems) from None
        first = exc.errors()[0]
        loc = (*prefix, *first["loc"])
        raise UserError(Problem(file, line_of(lines, loc), dotted(loc), first["msg"])) from None


def check_component(component: Component, kb: KnowledgeBase, file: str, lines: LineMap,
                    prefix: tuple[str | int, ...] = ()) -> tuple[Workload, list[Assumption]]:
    """What the schema cannot see: unique part names, and figures that contradict each other
    once defaults are filled (resolved now, so each problem gets its line). Returns the
    component's own resolved workload, which `Advisor.advise_many` then need not redo."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, part in enumerate(component.parts):
        if part.name in seen:
            problems.append(Problem(file, line_of(lines, (*prefix, "parts", i, "name")),
                                    dotted((*prefix, "parts", i, "name")),
                                    f"duplicate part name {part.name!r} (also parts[{seen[part.name]}])"))
        seen.setdefault(part.name, i)
    targets: list[tuple[Part, Component | None, tuple[str | int, ...]]] = [
        (component, None, prefix), *((p, component, (*prefix, "parts", i))
                                     for i, p in enumerate(component.parts))]
    own: tuple[Workload, list[Assumption]] | None = None
    for part, parent, where in targets:
        try:
            resolved = resolve(part, kb, parent=parent, file=file)
            own = resolved if part is component else own
        except UserError as exc:
            for p in exc.problems:
                path = (*where, *p.field.split("."))
                problems.append(Problem(file, line_of(lines, path), dotted(path), p.message))
    if problems:
        raise UserError(problems)
    assert own is not None
    return own


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """Dotted field paths as a profile: `{"traffic.peak_rps": 5}` -> `{"traffic": {...}}`."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        head, _, rest = key.partition(".")
        if rest:
            out.setdefault(head, {})[rest] = value
        else:
            out[head] = value
    return out


def with_provider(data: Any, provider: str | None) -> Any:
    """Raw profile data with constraints.provider replaced (`--provider`); a copy."""
    if not provider or not isinstance(data, dict):
        return data
    constraints = data.get("constraints") or {}
    if not isinstance(constraints, dict):
        return data  # left for validation to report
    return {**data, "constraints": {**constraints, "provider": provider}}


def load_component(path: Path, kb: KnowledgeBase, provider: str | None = None) -> Component:
    """A checked profile from a YAML or JSON file; `provider` replaces constraints.provider."""
    from runplan.inventory import detect_format  # here: inventory.py builds on this module

    inventory = f"this looks like an inventory: use runplan score {path}"
    try:
        by_name = detect_format(path, None)
    except UserError:  # not an inventory's name (or a directory): read as a profile
        by_name = None
    if by_name in ("jsonl", "csv", "backstage"):  # formats only inventories come in
        raise UserError(Problem(str(path), None, "", inventory))
    data, lines = load_data_file(path)
    return component_from(data, lines, str(path), kb, provider)


def component_from(data: Any, lines: LineMap, name: str, kb: KnowledgeBase,
                   provider: str | None = None, prefix: tuple[str | int, ...] = (),
                   ) -> Component:
    """A checked profile from loaded YAML or JSON (`name`: the file, for messages; `prefix`:
    where in the file the profile stands, e.g. a record's front matter): every reader of a
    profile (`advise`, `ask`, `adr`) loads it here, ranges and all."""
    if isinstance(data, dict) and isinstance(data.get("components"), list):
        raise UserError(Problem(name, line_of(lines, (*prefix, "components")), "",
                                f"this looks like an inventory: use runplan score {name}"))
    from runplan.uncertainty.ranges import strip_ranges

    data = with_provider(data, provider)
    data, ranges = strip_ranges(data, name, lines, prefix)
    component = parse_component(data, name, lines, prefix)
    check_component(component, kb, name, lines, prefix)
    if ranges:
        component._ranges = ranges
    return component
