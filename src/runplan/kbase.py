"""The knowledge base: provider prices and limits, operations and traffic figures.

Every figure in kbase/ is `{value, unit, source, as_of}`; loading validates each file against
its JSON Schema. `--pricing overrides.yaml` replaces figure values by the same nested keys
(e.g. `aws: {functions: {request_usd_per_million: 0.18}}`) and the override is recorded, so
output can say which figures were not the catalogue's.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from runplan.errors import Problem, UserError
from runplan.formats import PROVIDERS
from runplan.paths import kbase_dir
from runplan.uncertainty.ranges import Dist, looks_like_range, parse_range_of, point_of, price
from runplan.validation import validate
from runplan.yamlio import LineMap, dotted, line_of, load_data_file

RUNTIMES = ("python", "node", "java", "go", "dotnet", "ruby", "rust", "container")


@dataclass(frozen=True)
class Tier:
    up_to: float | None
    usd: float


@dataclass(frozen=True)
class FunctionPricing:
    service: str
    available: bool
    request_usd_per_million: float = 0.0
    gb_second_tiers: tuple[Tier, ...] = ()
    vcpu_second_usd: float = 0.0
    vcpu_by_memory_mb: tuple[tuple[float, float], ...] = ()  # (memory MB, vCPU), ascending
    billing_increment_ms: float = 1.0
    min_billed_ms: float = 1.0
    memory_increment_mb: float = 1.0
    free_requests: float = 0.0
    free_gb_seconds: float = 0.0
    free_vcpu_seconds: float = 0.0
    provisioned_gb_second_usd: float | None = None
    provisioned_duration_gb_second_usd: float | None = None
    max_duration_s: float = 0.0
    http_max_duration_s: float | None = None  # None: max_duration_s
    event_max_duration_s: float | None = None  # None: max_duration_s
    memory_min_mb: float = 0.0
    memory_max_mb: float = 0.0
    gpu: bool = False
    long_lived_connections: bool = False
    account_concurrency: float = 0.0
    scale_rate_per_10s: float = 0.0
    payload_mb: float = 0.0
    keep_alive_s: float = 0.0
    cold_start_ms: dict[str, float] = field(default_factory=dict)
    cold_start_image_ms: dict[str, float] = field(default_factory=dict)
    cold_start_overhead_ms: float = 0.0
    warm_latency_ms: float = 0.0

    def duration_limit_s(self, http: bool, event: bool = False) -> float:
        """The time limit of an HTTP-triggered, an event-driven or another (scheduled)
        function."""
        own = self.http_max_duration_s if http else self.event_max_duration_s if event \
            else None
        return self.max_duration_s if own is None else own


@dataclass(frozen=True)
class PlatformLimits:
    """What a platform allows (None: no limit of the platform's own)."""

    max_duration_s: float | None
    memory_max_mb: float | None
    vcpu_max: float | None
    gpu: bool
    long_lived_connections: bool
    concurrency_max: float | None
    state: str  # none | ephemeral | volumes
    scale_to_zero: bool
    cold_start_ms: float | None
    http_max_duration_s: float | None = None  # the HTTP-serving kinds' limit (None: max)
    event_max_duration_s: float | None = None  # the event-driven kinds' limit (None: max)

    def duration_limit_s(self, http: bool, event: bool = False) -> float | None:
        own = self.http_max_duration_s if http else self.event_max_duration_s if event \
            else None
        return self.max_duration_s if own is None else own


@dataclass(frozen=True)
class ColdStartFigures:
    """What a scale-to-zero platform's cold starts are estimated from (`cost.coldstart`): the
    start-up time per runtime plus an overhead, how long an idle instance is kept, and the
    warm path's overhead per request."""

    cold_start_ms: dict[str, float]
    cold_start_overhead_ms: float
    keep_alive_s: float
    warm_latency_ms: float

    def start_ms(self, runtime: str) -> float:
        """What a cold start adds for `runtime`, ms."""
        return self.cold_start_ms.get(runtime, 0.0) + self.cold_start_overhead_ms


@dataclass(frozen=True)
class Platform:
    """One way to run a workload under an execution model, with its limits and its bill."""

    name: str
    title: str
    model: str  # kubernetes | serverless
    kind: str  # functions | serverless-containers | node-less-containers | kubernetes-nodes
    status: str  # current | legacy
    names: tuple[str, ...]  # how a decision record names it
    bill: str  # functions | functions_legacy | request-containers | task-hours | nodes | unpriced
    limits: PlatformLimits
    prices: dict[str, Any]
    joins_existing_cluster: bool = False  # runs on a team's cluster, no new cluster fee
    # The team runs a cluster on it (nodes, or a control plane it upgrades): Kubernetes on
    # nodes always; a node-less platform as kbase says (`team_runs_cluster`, absent: no).
    team_runs_cluster: bool = False
    cold_start: ColdStartFigures | None = None  # a scale-to-zero platform's (functions' own)


@dataclass(frozen=True)
class NodeType:
    name: str
    vcpu: float
    memory_gib: float
    hourly_usd: float
    gpus: int = 0  # GPUs per node (a GPU node type: `KubernetesPricing.gpu_node_types`)
    gpu_model: str = ""


@dataclass(frozen=True)
class KubernetesPricing:
    service: str
    control_plane_hourly_usd: float
    node_types: tuple[NodeType, ...]
    gpu: bool
    # The node types a GPU component's pods run on; empty: no sourced GPU node price, so a GPU
    # component's nodes bill is not priced on this provider.
    gpu_node_types: tuple[NodeType, ...] = ()


@dataclass(frozen=True)
class FrontDoor:
    http_api_tiers: tuple[Tier, ...]
    load_balancer_hourly_usd: float
    capacity_unit_hourly_usd: float
    capacity_unit_new_connections_per_s: float


@dataclass(frozen=True)
class Operations:
    hours_per_month: float
    fte_monthly_usd: float
    cluster_fte: dict[str, dict[str, float]]  # platform kind -> DevOps maturity -> FTE
    service_fte: dict[str, dict[str, float]]  # platform kind -> DevOps maturity -> FTE
    target_utilisation: float
    min_replicas: int
    pod_vcpu: float
    node_allocatable_fraction: float
    scale_up_lag_s: float
    scale_down_delay_s: float
    cpu_fraction_by_runtime: dict[str, float]
    pc_utilisation_break_even: float


@dataclass(frozen=True)
class PatternDefaults:
    idle_fraction: float
    peak_to_avg: float
    peak_hour_share: float


@dataclass(frozen=True)
class TrafficDefaults:
    patterns: dict[str, PatternDefaults]
    default_requests_per_month: float
    default_duration_ms: float
    max_to_avg_duration: float
    default_memory_mb: float


@dataclass(frozen=True)
class Provider:
    provider: str
    title: str
    functions: FunctionPricing
    kubernetes: KubernetesPricing
    front_door: FrontDoor
    functions_legacy: FunctionPricing | None = None
    platforms: tuple[Platform, ...] = ()

    def function_pricing(self, bill: str) -> FunctionPricing:
        """The functions figures a functions platform bills on."""
        if bill == "functions_legacy" and self.functions_legacy is not None:
            return self.functions_legacy
        return self.functions


@dataclass(frozen=True)
class KnowledgeBase:
    providers: dict[str, Provider]
    operations: Operations
    traffic: TrafficDefaults
    raw: dict[str, Any]
    overridden: tuple[str, ...] = ()
    # Ranges a `--pricing` file gave on provider prices, by the figure's dotted path
    # (`aws.functions.request_usd_per_million`, `aws.kubernetes.node_types.t3.medium.hourly_usd`,
    # `aws.functions.gb_second_tiers.0.usd`): what `--uncertain` draws them from.
    price_ranges: dict[str, PriceRange] = field(default_factory=dict)

    def provider(self, name: str) -> Provider:
        """The pricing used for a profile's provider (`any` is priced as AWS)."""
        return self.providers["aws" if name == "any" else name]


@dataclass(frozen=True)
class PriceRange:
    """A provider price given as a range: its distribution, the value it stands at without
    `--uncertain` (its median, which the figure takes), and where it was given."""

    dist: Dist
    point: float
    source: str


def _values(tree: Any) -> Any:
    """Strip figures down to their values: {value, unit, source, as_of} -> value."""
    if isinstance(tree, dict):
        if "value" in tree and "source" in tree:
            return tree["value"]
        return {k: _values(v) for k, v in tree.items()}
    if isinstance(tree, list):  # the platforms: a list of groups of figures
        return [_values(v) for v in tree]
    return tree


def _tiers(raw: list[dict[str, Any]]) -> tuple[Tier, ...]:
    return tuple(Tier(t["up_to"], float(t["usd"])) for t in raw)


def _functions(f: dict[str, Any]) -> FunctionPricing:
    kwargs: dict[str, Any] = {k: f[k] for k in f
                              if k not in ("gb_second_tiers", "vcpu_by_memory_mb")}
    return FunctionPricing(gb_second_tiers=_tiers(f.get("gb_second_tiers", [])),
                           vcpu_by_memory_mb=_vcpu_table(f.get("vcpu_by_memory_mb", [])),
                           **kwargs)


def _vcpu_table(raw: list[dict[str, Any]]) -> tuple[tuple[float, float], ...]:
    return tuple(sorted((float(t["memory_mb"]), float(t["vcpu"])) for t in raw))


def _limits(raw: dict[str, Any], fn: FunctionPricing | None) -> PlatformLimits:
    """A platform's limits; a functions platform takes its own from the functions figures."""
    def number(key: str) -> float | None:
        value = raw.get(key)
        return None if value is None else float(value)

    if fn is not None:
        return PlatformLimits(fn.max_duration_s, fn.memory_max_mb, None, fn.gpu,
                              fn.long_lived_connections, fn.account_concurrency,
                              str(raw["state"]), bool(raw["scale_to_zero"]), None,
                              fn.http_max_duration_s, fn.event_max_duration_s)
    return PlatformLimits(number("max_duration_s"), number("memory_max_mb"), number("vcpu_max"),
                          bool(raw["gpu"]), bool(raw["long_lived_connections"]),
                          number("concurrency_max"), str(raw["state"]),
                          bool(raw["scale_to_zero"]), number("cold_start_ms"),
                          number("http_max_duration_s"), number("event_max_duration_s"))


def _cold_start(fn: FunctionPricing | None, raw: dict[str, Any] | None,
                ) -> ColdStartFigures | None:
    """A platform's cold-start figures: a functions platform's from its functions figures, a
    serverless container platform's from its own `cold_start` group."""
    if fn is not None:
        return ColdStartFigures(dict(fn.cold_start_ms), fn.cold_start_overhead_ms,
                                fn.keep_alive_s, fn.warm_latency_ms)
    if raw is None:
        return None
    return ColdStartFigures({k: float(v) for k, v in raw["cold_start_ms"].items()},
                            float(raw.get("cold_start_overhead_ms", 0.0)),
                            float(raw["keep_alive_s"]), float(raw["warm_latency_ms"]))


def _platform(raw: dict[str, Any], functions: dict[str, FunctionPricing]) -> Platform:
    prices = dict(raw.get("prices", {}))
    if "vcpu_by_memory_mb" in prices:
        prices["vcpu_by_memory_mb"] = _vcpu_table(prices["vcpu_by_memory_mb"])
    fn = functions.get(raw["bill"])
    runs = raw["kind"] == "kubernetes-nodes" or bool(raw.get("team_runs_cluster", False))
    return Platform(raw["name"], raw["title"], raw["model"], raw["kind"], raw["status"],
                    tuple(str(n).lower() for n in raw["names"]), raw["bill"],
                    _limits(raw["limits"], fn), prices,
                    bool(raw.get("joins_existing_cluster", False)), runs,
                    _cold_start(fn, raw.get("cold_start")))


def _provider(doc: dict[str, Any]) -> Provider:
    v = _values(doc)
    fn = _functions(dict(v["functions"]))
    legacy = _functions(dict(v["functions_legacy"])) if "functions_legacy" in v else None
    bills = {"functions": fn, **({"functions_legacy": legacy} if legacy else {})}
    k = v["kubernetes"]
    k8s = KubernetesPricing(
        service=k["service"],
        control_plane_hourly_usd=float(k["control_plane_hourly_usd"]),
        node_types=tuple(NodeType(**n) for n in k["node_types"]),
        gpu=bool(k["gpu"]),
        gpu_node_types=tuple(NodeType(**n) for n in k.get("gpu_node_types", [])),
    )
    d = v["front_door"]
    door = FrontDoor(
        http_api_tiers=_tiers(d.get("http_api_tiers", [{"up_to": None, "usd": 0.0}])),
        load_balancer_hourly_usd=float(d["load_balancer_hourly_usd"]),
        capacity_unit_hourly_usd=float(d["capacity_unit_hourly_usd"]),
        capacity_unit_new_connections_per_s=float(d["capacity_unit_new_connections_per_s"]),
    )
    platforms = tuple(_platform(p, bills) for p in v.get("platforms", []))
    return Provider(v["provider"], v["title"], fn, k8s, door, legacy, platforms)


def _operations(doc: dict[str, Any]) -> Operations:
    v = _values(doc)
    v["min_replicas"] = int(v["min_replicas"])
    people = v.pop("people")
    return Operations(cluster_fte=people["cluster_fte"], service_fte=people["service_fte"], **v)


def _traffic(doc: dict[str, Any]) -> TrafficDefaults:
    v = _values(doc)
    patterns = {name: PatternDefaults(**p) for name, p in v.pop("patterns").items()}
    return TrafficDefaults(patterns=patterns, **v)


def _raw_documents() -> dict[str, tuple[Any, LineMap, str, str]]:
    """Each kbase data file: (data, lines, file name, schema name), keyed by its override key."""
    base = kbase_dir()
    docs: dict[str, tuple[Any, LineMap, str, str]] = {}
    for name in PROVIDERS:
        path = base / "providers" / f"{name}.yaml"
        data, lines = load_data_file(path)
        docs[name] = (data, lines, str(path), "provider")
    for name in ("operations", "traffic"):
        path = base / f"{name}.yaml"
        data, lines = load_data_file(path)
        docs[name] = (data, lines, str(path), name)
    return docs


FIGURE_KEYS = ("value", "unit", "source", "as_of")


RANGE_FROM = "range from "  # how a range a --pricing file gave is sourced (not assumed)
RANGE_ENTRY_KEYS = ("hourly_usd", "usd")  # the prices inside list figures (node types, tiers)


def _apply_overrides(docs: dict[str, Any], overrides: Any, name: str, lines: LineMap,
                     ranges: dict[str, PriceRange] | None = None) -> list[str]:
    """Write override values into the figures they name; returns the dotted keys changed.

    A figure is overridden by its value (`hours_per_month: 720`) or in the kbase's own shape
    (`hours_per_month: {value: 720, source: ..., as_of: ...}`, its unit, if given, the kbase's);
    a figure whose value is a mapping (`cpu_fraction_by_runtime`) by some of its keys.

    A provider's price (a figure in USD, or a node type's `hourly_usd` and a tier's `usd` in a
    list) may be a range, as a profile's numbers may (`0.15..0.25`, `{low, high}`, `{p10, p50,
    p90}`): the figure takes its median and `ranges` its distribution. A figure kbase gives a
    plausible range (`low`, `high`: people and traffic defaults) may be a range too: it
    replaces kbase's. Any other figure takes one value."""
    if ranges is None:
        ranges = {}
    if not isinstance(overrides, dict):
        raise UserError(Problem(name, 1, "", "a pricing override file must be a mapping"))
    changed: list[str] = []
    problems: list[Problem] = []

    def unknown(key: Any, choices: Any, here: tuple[str, ...]) -> None:
        names = [str(c) for c in choices] if isinstance(choices, dict) else []
        close = difflib.get_close_matches(str(key), names, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        problems.append(Problem(name, lines.get(here), ".".join(here),
                                f"not a kbase figure{hint}"))

    def override(figure: dict[str, Any], value: Any, here: tuple[str, ...]) -> None:
        source = f"override from {name}"
        if isinstance(value, dict) and "value" in value:  # the kbase's own shape
            for key in value:
                if key not in FIGURE_KEYS:
                    problems.append(Problem(name, lines.get((*here, str(key))),
                                            ".".join((*here, str(key))),
                                            f"unknown field; allowed: {', '.join(FIGURE_KEYS)}"))
            if "unit" in value and value["unit"] != figure["unit"]:
                problems.append(Problem(name, lines.get((*here, "unit")), ".".join(here),
                                        f"the kbase gives this figure in {figure['unit']}; "
                                        "give the value in that unit"))
            if isinstance(value.get("source"), str) and value["source"].strip():
                source += f": {value['source']}"
            if "as_of" in value:
                figure["as_of"] = value["as_of"]
            here, value = (*here, "value"), value["value"]
        current = figure["value"]
        changed_key = ".".join(k for k in here if k != "value")
        was_range = looks_like_range(value)
        if was_range:
            value = ranged(figure, value, here, changed_key)
            if value is None:
                return
        elif isinstance(current, list) and isinstance(value, list):
            value = [ranged_entry(entry, i, here, changed_key) for i, entry in enumerate(value)]
        if isinstance(current, dict) and isinstance(value, dict):
            for key in value:
                if key not in current:
                    unknown(key, current, (*here, str(key)))
            figure["value"] = {**current, **value}
        else:
            figure["value"] = value
            if not was_range:
                exact(figure)
        figure["source"] = source
        changed.append(changed_key)

    def parsed(raw: Any, here: tuple[str | int, ...]) -> Dist | None:
        try:
            dist = parse_range_of(raw, price, False)
            if dist is not None and not math.isfinite(dist.high):
                raise ValueError("a range's ends must be finite numbers")
        except ValueError as exc:
            problems.append(Problem(name, line_of(lines, here), dotted(here), str(exc)))
            return None
        return dist

    def ranged(figure: dict[str, Any], raw: Any, here: tuple[str, ...], key: str) -> Any:
        """A range on a figure: its median, with the range kept; None after a problem."""
        price_figure = here[0] in PROVIDERS and "USD" in str(figure.get("unit", ""))
        kbase_range = "low" in figure and "high" in figure
        current = figure["value"]
        if isinstance(current, bool) or not isinstance(current, int | float) or \
                not (price_figure or kbase_range):
            problems.append(Problem(name, line_of(lines, here), key,
                                    "takes one value, not a range (ranges are for a provider's "
                                    "prices and for figures kbase gives a range: low, high)"))
            return None
        dist = parsed(raw, here)
        if dist is None:
            return None
        point = point_of(dist)
        if kbase_range:  # kbase's range replaced: `--uncertain` draws it from low and high
            figure["low"], figure["high"] = (float(f"{dist.quantile(q):.9g}")
                                             for q in (0.05, 0.95))
            figure["range_source"] = f"{RANGE_FROM}{name}"
        else:
            ranges[key] = PriceRange(dist, point, f"{RANGE_FROM}{name}")
        return point

    def ranged_entry(entry: Any, i: int, here: tuple[str, ...], key: str) -> Any:
        """A list figure's entry (a node type, a tier) with a range on its price."""
        if not isinstance(entry, dict):
            return entry
        out = dict(entry)
        for field_name in RANGE_ENTRY_KEYS:
            raw = entry.get(field_name)
            if raw is None or not looks_like_range(raw):
                continue
            where: tuple[str | int, ...] = (*here, i, field_name)
            dist = parsed(raw, where)
            if dist is None:
                continue
            out[field_name] = point = point_of(dist)
            label = entry.get("name") if isinstance(entry.get("name"), str) else i
            ranges[f"{key}.{label}.{field_name}"] = PriceRange(dist, point,
                                                              f"{RANGE_FROM}{name}")
        return out

    def walk(target: Any, update: Any, path: tuple[str, ...]) -> None:
        if isinstance(target, list):  # platforms, named by their `name`
            target = {item.get("name"): item for item in target if isinstance(item, dict)}
        for key, value in update.items():
            here = (*path, str(key))
            if not isinstance(target, dict) or key not in target:
                unknown(key, target, here)
                continue
            node = target[key]
            if isinstance(node, dict) and "source" in node and "value" in node:
                override(node, value, here)
            elif isinstance(value, dict):
                walk(node, value, here)
            else:
                problems.append(Problem(name, lines.get(here), ".".join(here),
                                        "names a group of figures; give the figures inside it"))

    walk(docs, overrides, ())
    if problems:
        raise UserError(problems)
    return changed


# Figures an organisation's settings file sets (`config.Config.figures`): the file's name and
# (path of kbase keys, value) pairs, already validated against the settings schema.
SettingsFigures = tuple[str, tuple[tuple[tuple[str, ...], float], ...]]


def _apply_settings(docs: dict[str, Any], figures: SettingsFigures) -> list[str]:
    """Write the settings file's figures into kbase; the dotted keys changed."""
    name, values = figures
    changed = []
    for path, value in values:
        node: Any = docs
        for key in path:
            node = node[key]
        node["value"] = value
        node["source"] = f"settings from {name}"
        exact(node)
        changed.append(".".join(path))
    return changed


def exact(figure: dict[str, Any]) -> None:
    """A figure an organisation gave as one value: its own, so kbase's range around kbase's
    value no longer applies (`--uncertain` does not draw it)."""
    for key in ("low", "high", "range_source"):
        figure.pop(key, None)


def _by_name(doc: Any, field: str) -> str:
    """`aws.platforms[1].limits` as the override file spells it: `aws.platforms.<name>.limits`."""
    def name(m: re.Match[str]) -> str:
        platforms = doc.get("platforms") if isinstance(doc, dict) else None
        i = int(m.group(1))
        if isinstance(platforms, list) and i < len(platforms) and \
                isinstance(platforms[i], dict) and "name" in platforms[i]:
            return f".platforms.{platforms[i]['name']}"
        return m.group(0)

    return re.sub(r"\.platforms\[(\d+)\]", name, field)


@cache
def _load_cached(pricing: Path | None, settings: SettingsFigures | None = None,
                 ) -> KnowledgeBase:
    raw = _raw_documents()
    problems: list[Problem] = []
    for data, lines, file, schema_name in raw.values():
        problems += validate(data, schema_name, file, lines)
    if problems:  # the shipped kbase is broken: still a clear message, never a traceback
        raise UserError(problems)
    docs = {key: copy.deepcopy(entry[0]) for key, entry in raw.items()}
    ranges: dict[str, PriceRange] = {}
    overridden: list[str] = [] if settings is None else _apply_settings(docs, settings)
    if pricing is not None:
        name = str(pricing)
        data, lines = load_data_file(pricing)
        overridden += _apply_overrides(docs, data or {}, name, lines, ranges)
        for key, (_, _, _file, schema_name) in raw.items():
            # Paths end in the figure's `value`, which the override file does not spell out.
            problems += [
                Problem(name, p.line, _by_name(docs[key], p.field.replace(".value.", ".")
                                               .replace(".value[", "[").removesuffix(".value")),
                        p.message)
                for p in validate(docs[key], schema_name, name, lines, prefix=(key,))
            ]
        if problems:
            raise UserError(problems)
    return KnowledgeBase(
        providers={p: _provider(docs[p]) for p in PROVIDERS},
        operations=_operations(docs["operations"]),
        traffic=_traffic(docs["traffic"]),
        raw=docs,
        overridden=tuple(dict.fromkeys(overridden)),
        price_ranges=dict(sorted(ranges.items())),
    )


def load_kbase(pricing: Path | None = None, settings: SettingsFigures | None = None,
               ) -> KnowledgeBase:
    """The validated knowledge base: kbase's figures, then the settings file's (`settings`),
    then `--pricing` overrides (the command line wins over the file, the file over kbase)."""
    return _load_cached(pricing.resolve() if pricing else None,
                        settings if settings and settings[1] else None)


def iter_figures(tree: Any, path: tuple[str, ...] = ()) -> list[tuple[str, dict[str, Any]]]:
    """Every figure in a kbase document with its dotted key (for `kbase show` and tests)."""
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(tree, dict):
        if "value" in tree and "source" in tree:
            return [(".".join(path), tree)]
        for k, v in tree.items():
            out += iter_figures(v, (*path, str(k)))
    elif isinstance(tree, list):  # platforms, keyed by name
        for v in tree:
            if isinstance(v, dict) and "name" in v:
                out += iter_figures(v, (*path, str(v["name"])))
    return out
