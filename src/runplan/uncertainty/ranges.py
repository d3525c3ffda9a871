"""Ranges where a number goes: their syntax, and the distribution each stands for.

A numeric profile field may be a value or a range:

- `2M..8M` or `{low: 2M, high: 8M}`: a 90% interval (5th to 95th percentile);
- `{p10: .., p50: .., p90: ..}`: three percentiles.

Units work inside a range as in the questionnaire (`runplan.units`): `2k..8k` rps,
`300ms..2s`, `512MB..2GB`, `10%..40%`, `2M/month..8M/month`; a plain value on these fields
takes the same units (`30M`, `2k`, `1.5s`, `2GB`, `80%`), read by the same parser
(`value_of`).

Distributions (`Dist`): volumes, durations, memory and SLOs are log-normal (positive, and an
error of 2x either way is as likely as the other); the idle share is logit-normal (bounded to
0..1). An interval fits the distribution whose 5th and 95th percentiles are its ends (median:
their geometric mean, or the inverse logit of the mean of their logits). A triple fits a
two-piece ("split") distribution: one spread below the median, from p10, and another above it,
from p90, so a skewed triple (p50 nearer one end) keeps all three points exactly. kbase ranges
(a default with its low and high) are the same two-piece fit with the default as median.

Ranges are read from the raw data before validation (`strip_ranges`): each becomes its median,
so every code path sees a plain profile, and the ranges are kept in a side table by field. A
value with its unit becomes its number there too (exactly, not rounded).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import numpy as np

from runplan import units
from runplan.errors import Problem, UserError
from runplan.yamlio import LineMap, dotted, line_of

Z90 = 1.6448536269514722  # the standard normal's 95th percentile: a 90% interval's end
Z80 = 1.2815515655446004  # its 90th percentile: p10 and p90
SHARE_EPS = 1e-6  # a share's logit is taken at 1e-6..1-1e-6 (0 and 1 have none)

# The fields a range may stand in, each with its unit's parser and whether it is a share.
RANGEABLE: dict[str, tuple[Callable[[str], float], bool]] = {
    "traffic.requests_per_month": (units.per_month, False),
    "traffic.avg_rps": (units.rate_rps, False),
    "traffic.peak_rps": (units.rate_rps, False),
    "traffic.idle_fraction": (units.share, True),
    "execution.avg_duration_ms": (lambda t: units.duration(t, "ms"), False),
    "execution.max_duration_s": (lambda t: units.duration(t, "s"), False),
    "execution.memory_mb": (units.memory_mb, False),
    "execution.cpu_ms": (lambda t: units.duration(t, "ms"), False),
    "latency.p99_slo_ms": (lambda t: units.duration(t, "ms"), False),
}
SECTIONS = ("traffic", "execution", "latency", "architecture", "team", "constraints")
FREE_TEXT = frozenset({"name", "description"})
INTERVAL_KEYS = frozenset({"low", "high"})
TRIPLE_KEYS = frozenset({"p10", "p50", "p90"})
RANGE_KEYS = INTERVAL_KEYS | TRIPLE_KEYS
MAX_RANGE_TEXT = 200  # `low..high` with units is a few dozen characters
MAX_SPREAD = 1e6  # a range's high end over its low end: six orders of magnitude at most


@dataclass(frozen=True)
class Dist:
    """A two-piece normal in a transformed space: log (positive) or logit (a share).
    `mu`: the median there; `below`, `above`: the spread on each side."""

    mu: float
    below: float
    above: float
    share: bool
    low: float  # the range as given (for reports): its 90% interval or p10..p90
    high: float
    level: str  # "90%" or "p10-p90"
    # The value as the profile wrote it (`2M..8M`, `{low: .., high: ..}`), for a record that
    # copies the profile (`adr new --profile-inline`); None for a kbase range.
    raw: Any = dataclasses.field(default=None, compare=False, hash=False)

    @property
    def median(self) -> float:
        return float(self.ppf(np.zeros(1))[0])

    def ppf(self, z: np.ndarray[Any, np.dtype[Any]]) -> np.ndarray[Any, np.dtype[Any]]:
        """The quantile at each standard normal `z`."""
        t = self.mu + np.where(z < 0, self.below, self.above) * z
        if self.share:
            out: np.ndarray[Any, np.dtype[Any]] = 1.0 / (1.0 + np.exp(-t))
            return out
        exp: np.ndarray[Any, np.dtype[Any]] = np.exp(t)
        return exp

    def quantile(self, p: float) -> float:
        """The value at probability `p` (for p10 and p90 of a tornado)."""
        return float(self.ppf(np.array([_z(p)]))[0])


def _z(p: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)


def _forward(x: float, share: bool) -> float:
    if share:
        x = min(1 - SHARE_EPS, max(SHARE_EPS, x))
        return math.log(x / (1 - x))
    return math.log(x)


def fit(low: float, mid: float | None, high: float, share: bool, z: float = Z90,
        level: str = "90%") -> Dist:
    """The distribution whose percentiles at -z, 0 and z are low, mid and high (mid None: the
    centre of low and high in the transformed space)."""
    a, b = _forward(low, share), _forward(high, share)
    m = (a + b) / 2 if mid is None else _forward(mid, share)
    return Dist(m, max(0.0, (m - a) / z), max(0.0, (b - m) / z), share, low, high, level)


def _number(raw: Any, parse: Callable[[str], float]) -> float:
    if isinstance(raw, bool):
        raise ValueError("expected a number, got true or false")
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        return parse(raw)
    kind = "null" if raw is None else "a list" if isinstance(raw, list) else \
        "a mapping" if isinstance(raw, dict) else "another kind of value"
    raise ValueError(f"expected a number, got {kind}")


def value_of(text: str, field: str) -> float:
    """A value of a rangeable field written with its unit (`30M`, `2k`, `1.5s`, `2GB`, `80%`),
    in the field's own unit: what a range's ends are read with too. Raises ValueError with the
    unit parser's message (which quotes only what was written)."""
    if len(text) > MAX_RANGE_TEXT:
        raise ValueError(f"a value is at most {MAX_RANGE_TEXT} characters, got {len(text):,}")
    value = RANGEABLE[field][0](text)
    if not math.isfinite(value):  # a finite number times its unit (`1e308k`)
        raise ValueError(f"{units.quoted(text.strip())} is too large a number")
    return float(f"{value:.12g}")  # 1.1s is 1100 ms, not 1100.0000000000002


def parse_range(raw: Any, field: str) -> Dist | None:
    """The distribution a field's raw value stands for, None for a plain value. Raises
    ValueError with a message that names no user text but numbers."""
    dist = parse_range_of(raw, lambda text: value_of(text, field), RANGEABLE[field][1])
    if dist is not None:
        low, high, strict = bounds(field)
        if dist.low < low or (strict and dist.low <= low):
            raise ValueError(f"the low end must be {'above' if strict else 'at least'} "
                             f"{low:g}, got {dist.low:g}")
        if dist.high > high:
            raise ValueError(f"the high end must be at most {high:g}, got {dist.high:g}")
    return dist


@cache
def known(section: str, name: str) -> bool:
    """Whether a profile section has this field (`traffic.foo` is an unknown field, not a
    field that takes no range)."""
    from runplan.profile import Component  # which reads this module's RANGEABLE

    props = Component.model_json_schema()["$defs"].get(section.capitalize(), {})
    return name in props.get("properties", {})


@cache
def bounds(field: str) -> tuple[float, float, bool]:
    """A rangeable field's limits as the profile's schema has them: (lowest, highest, whether
    the lowest itself is excluded)."""
    from runplan.profile import Component  # which reads this module's RANGEABLE

    section, key = field.split(".")
    prop = Component.model_json_schema()["$defs"][section.capitalize()]["properties"][key]
    number = next(o for o in prop["anyOf"] if o.get("type") == "number")
    if "exclusiveMinimum" in number:
        return float(number["exclusiveMinimum"]), float(number["maximum"]), True
    return float(number.get("minimum", -math.inf)), float(number["maximum"]), False


def price(text: str) -> float:
    """A price as a `--pricing` range's end may give it: `0.20`, `$0.20`, `1,200`."""
    try:
        if not text.isascii():  # float() reads other scripts' digits; a price file does not
            raise ValueError
        got = float(text.strip().removeprefix("$").replace(",", ""))
    except ValueError:
        raise ValueError("expected a price in the figure's unit, e.g. 0.20 or $0.20") from None
    if not math.isfinite(got):
        raise ValueError("a price must be a finite number")
    return got


def parse_range_of(raw: Any, parse: Callable[[str], float], share: bool) -> Dist | None:
    """`parse_range` for a value whose ends `parse` reads (a kbase figure's: `price`)."""
    if isinstance(raw, str):
        if ".." not in raw:
            return None
        if len(raw) > MAX_RANGE_TEXT:
            raise ValueError(f"a range is at most {MAX_RANGE_TEXT} characters, got "
                             f"{len(raw):,}")
        if "..." in raw or raw.count("..") > 1:
            raise ValueError("a range is low..high, two dots between two numbers, e.g. 2M..8M")
        lo_text, _, hi_text = (t.strip() for t in raw.partition(".."))
        if not lo_text or not hi_text:
            raise ValueError("a range needs both ends: low..high, e.g. 2M..8M")
        lo, hi = parse(lo_text), parse(hi_text)
        return _interval(lo, hi, share)
    if isinstance(raw, dict) and not raw:
        raise ValueError("a range is {low: .., high: ..} (a 90% interval) or {p10: .., p50: "
                         ".., p90: ..}; got an empty mapping")
    if isinstance(raw, dict) and raw and set(raw) <= RANGE_KEYS:
        keys = set(raw)
        if keys == INTERVAL_KEYS:
            return _interval(_number(raw["low"], parse), _number(raw["high"], parse), share)
        if keys == TRIPLE_KEYS:
            p10, p50, p90 = (_number(raw[k], parse) for k in ("p10", "p50", "p90"))
            if not p10 <= p50 <= p90 or p10 == p90:
                raise ValueError(f"p10 <= p50 <= p90 with p10 below p90, got {p10:g}, "
                                 f"{p50:g}, {p90:g}")
            _in_domain(p10, p90, share)
            return fit(p10, p50, p90, share, Z80, "p10-p90")
        raise ValueError("a range is {low: .., high: ..} (a 90% interval) or {p10: .., "
                         "p50: .., p90: ..}; got only " + ", ".join(sorted(keys)))
    return None


def _interval(lo: float, hi: float, share: bool) -> Dist:
    if not lo < hi:
        raise ValueError(f"the low end must be below the high end, got {lo:g}..{hi:g}")
    _in_domain(lo, hi, share)
    return fit(lo, None, hi, share)


def _in_domain(lo: float, hi: float, share: bool) -> None:
    if share and not (lo >= 0 and hi <= 1):
        raise ValueError(f"a share's range lies within 0..1, got {lo:g}..{hi:g}")
    if not share and lo <= 0:
        raise ValueError(f"a range of this figure is log-normal: its low end must be above 0, "
                         f"got {lo:g}")
    if not share and hi / lo > MAX_SPREAD:
        raise ValueError(f"a range spans at most a factor of {MAX_SPREAD:,.0f} from its low "
                         f"end to its high end, got {lo:g}..{hi:g}: narrow it")


def looks_like_range(raw: Any) -> bool:
    """Whether a raw value is written as a range (`a..b`, `{low, high}`, `{p10, p50, p90}`)."""
    return _looks_like_range(raw)


def _looks_like_range(raw: Any) -> bool:
    if isinstance(raw, str):
        return ".." in raw
    return isinstance(raw, dict) and bool(raw) and set(raw) <= RANGE_KEYS


Ranges = dict[str, Dist]  # dotted field (`traffic.avg_rps`) -> its distribution


def strip_ranges(data: Any, file: str, lines: LineMap, prefix: tuple[str | int, ...] = (),
                 ) -> tuple[Any, dict[tuple[str | int, ...], Ranges]]:
    """The raw profile with each range replaced by its median and each value with its unit
    (`30M`) by its number, and the ranges by where they stood: () for the component,
    ("parts", i) for a part (each Ranges by dotted field). Data that is not a profile's shape
    is returned unchanged, for validation to report. A range or value that does not read is
    a problem naming its field, raised with the schema's problems of the rest, so a profile's
    problems are all reported at once."""
    table: dict[tuple[str | int, ...], Ranges] = {}
    problems: list[Problem] = []
    refused: list[tuple[dict[str, Any], str]] = []  # where each refused value stands
    if not isinstance(data, dict):
        return data, table
    out = dict(data)

    def refuse(holder: dict[str, Any], key: str, path: tuple[str | int, ...],
               message: str) -> None:
        problems.append(Problem(file, line_of(lines, path), dotted(path), message))
        refused.append((holder, key))

    targets: list[tuple[dict[str, Any], tuple[str | int, ...], Callable[[dict[str, Any]], None]]]
    targets = [(out, (), lambda _d: None)]
    parts = out.get("parts")
    if isinstance(parts, list):
        new_parts = list(parts)
        out["parts"] = new_parts
        for i, part in enumerate(parts):
            if isinstance(part, dict):
                targets.append((dict(part), ("parts", i), _setter(new_parts, i)))
    for block, where, put in targets:
        found: Ranges = {}
        for key in list(block):
            value = block[key]
            if key in SECTIONS and isinstance(value, dict):
                section = dict(value)
                for name, raw in value.items():
                    field = f"{key}.{name}"
                    path = (*prefix, *where, key, name)
                    if field not in RANGEABLE:
                        if _looks_like_range(raw) and isinstance(raw, dict | str) and \
                                known(key, name):  # an unknown one: validation names it
                            if isinstance(raw, str) and name in FREE_TEXT:
                                continue
                            refuse(section, name, path,
                                   "takes one value, not a range (ranges are for " +
                                   ", ".join(RANGEABLE) + ")")
                        continue
                    try:
                        dist = parse_range(raw, field)
                        if dist is not None:
                            found[field] = replace(dist, raw=raw)
                            section[name] = _point(dist, field)
                        elif isinstance(raw, str):  # a value with its unit: `30M`, `2GB`, `80%`
                            section[name] = _plain(value_of(raw, field))
                    except ValueError as exc:
                        refuse(section, name, path, str(exc))
                block[key] = section
            elif key not in SECTIONS and key not in ("parts",) and key not in FREE_TEXT \
                    and _looks_like_range(value):
                refuse(block, key, (*prefix, *where, key), "takes one value, not a range")
        if found:
            table[where] = found
        put(block)
    if problems:
        from runplan.validation import validate

        for holder, key in refused:
            del holder[key]
        problems += validate(out, "component", file, lines, prefix)
        problems.sort(key=lambda p: p.line or 0)  # stable: a line's own order kept
        raise UserError(problems)
    return out, table


def _plain(value: float) -> float | int:
    """A value read with its unit, exactly: a whole number as an int, as YAML reads `2048`
    (so `2GB` gives the same output as `2048`)."""
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _setter(items: list[Any], i: int) -> Callable[[dict[str, Any]], None]:
    def put(d: dict[str, Any]) -> None:
        items[i] = d
    return put


def _point(dist: Dist, field: str) -> float:
    """The value a range stands at without --uncertain: its median, to 6 significant digits
    (a figure a person could have typed; the same on every machine)."""
    return point_of(dist)


def point_of(dist: Dist) -> float:
    """`_point` for any range (a kbase figure's too)."""
    return float(f"{dist.median:.6g}")


def as_written(data: dict[str, Any], table: dict[tuple[str | int, ...], Ranges],
               ) -> dict[str, Any]:
    """A dumped profile (`Component.model_dump`) with each range back as the profile wrote it
    (`strip_ranges` left its median there): what a record copies inline."""
    out = dict(data)
    for where, ranges in table.items():
        target = out
        if where:
            parts = out["parts"] = list(out["parts"])
            target = parts[int(where[1])] = dict(parts[int(where[1])])
        for name, dist in ranges.items():
            section, key = name.split(".", 1)
            if dist.raw is not None and isinstance(target.get(section), dict):
                target[section] = {**target[section], key: dist.raw}
    return out
