"""Numbers as people type them: `2k`, `1.5M`, `300ms`, `40min`, `2GB`, `90%`, `3M/month`.

Each unit of the questionnaire has one parser that returns the value in the profile's own unit
(rps, requests per month, ms, s, MB, a share 0..1, a count) or raises ValueError with what it
expected. Memory uses binary multiples (1 GB = 1,024 MB), as function and pod settings do.
"""

from __future__ import annotations

import re

HOURS_PER_MONTH = 730.0  # kbase/operations.yaml hours_per_month; a month of load
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+(?:[.,_]\d+)*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_SCALE = {"": 1.0, "k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6, "mm": 1e6, "b": 1e9, "B": 1e9,
          "g": 1e9, "G": 1e9}
_TIME_MS = {"ms": 1.0, "msec": 1.0, "millisecond": 1.0, "milliseconds": 1.0,
            "s": 1000.0, "sec": 1000.0, "secs": 1000.0, "second": 1000.0, "seconds": 1000.0,
            "m": 60_000.0, "min": 60_000.0, "mins": 60_000.0, "minute": 60_000.0,
            "minutes": 60_000.0, "h": 3_600_000.0, "hr": 3_600_000.0, "hour": 3_600_000.0,
            "hours": 3_600_000.0}
_MEMORY_MB = {"": 1.0, "mb": 1.0, "mib": 1.0, "m": 1.0, "gb": 1024.0, "gib": 1024.0, "g": 1024.0,
              "kb": 1 / 1024, "kib": 1 / 1024, "tb": 1024.0 * 1024, "tib": 1024.0 * 1024}
_PER_MONTH = {"month": 1.0, "mo": 1.0, "day": HOURS_PER_MONTH / 24, "d": HOURS_PER_MONTH / 24,
              "week": HOURS_PER_MONTH / 168, "wk": HOURS_PER_MONTH / 168,
              "hour": HOURS_PER_MONTH, "h": HOURS_PER_MONTH, "min": HOURS_PER_MONTH * 60,
              "s": HOURS_PER_MONTH * 3600, "sec": HOURS_PER_MONTH * 3600}


def _split(text: str, what: str) -> tuple[float, str]:
    m = _NUMBER.match(text)
    if not m:
        raise ValueError(f"expected {what}, got {text.strip()!r}")
    digits = m.group(1).replace("_", "").replace(",", "")
    return float(digits), m.group(2)


def _count(text: str, what: str) -> tuple[float, str]:
    """A number with an optional k/M/B multiplier, and what follows it."""
    value, rest = _split(text, what)
    m = re.match(r"^([kKmMbBgG]?)\b\s*(.*)$", rest) if rest[:1] in _SCALE or not rest else None
    if m is not None and m.group(1) in _SCALE and (m.group(1) == "" or not m.group(2)[:1].isalpha()):
        return value * _SCALE[m.group(1)], m.group(2).strip()
    return value, rest


def _per(rest: str) -> str | None:
    """`/month`, `per day`, `a week` -> the period word, or None."""
    m = re.match(r"^(?:/|per\s+|a\s+|an\s+)\s*([a-z]+)$", rest.lower())
    return m.group(1) if m else None


def _volume(text: str, what: str, plain: tuple[str, ...], per_month_scale: float) -> float:
    """A count with an optional k/M/B multiplier, either plain (`plain` words) or over a period
    (`/day`, `a week`, ...), converted from a monthly figure by `per_month_scale`."""
    value, rest = _count(text, what)
    if rest.lower() in plain:
        return value
    period = _per(rest)
    if period in _PER_MONTH:
        return value * _PER_MONTH[period] * per_month_scale
    raise ValueError(f"expected {what}, got {text.strip()!r}")


def rate_rps(text: str) -> float:
    """`120`, `2k`, `120 rps`, `120/s`, or a volume `3M/month`, `50k/day` -> requests per second."""
    return _volume(text, "a rate like 120, 2k, 120 rps or 3M/month",
                   ("", "rps", "req/s", "/s", "per second", "r/s"), 1 / (HOURS_PER_MONTH * 3600))


def per_month(text: str) -> float:
    """`30`, `2k`, `1.5M`, `30/day`, `4 a week` -> per month."""
    return _volume(text, "a count like 30, 2k, 1.5M or 30/day",
                   ("", "/month", "per month", "a month", "runs", "requests"), 1.0)


def duration(text: str, unit: str) -> float:
    """`300`, `300ms`, `2s`, `40min`, `1.5h` -> `unit` ("ms" or "s"); a bare number is `unit`."""
    value, rest = _split(text, "a duration like 300ms, 2s or 40min")
    word = rest.lower().rstrip(".")
    if word == "":
        return value
    if word not in _TIME_MS:
        raise ValueError(f"expected a duration like 300ms, 2s or 40min, got {text.strip()!r}")
    ms = value * _TIME_MS[word]
    return ms if unit == "ms" else ms / 1000


def memory_mb(text: str) -> float:
    """`512`, `512MB`, `2GB`, `1.5 GiB` -> MB (1 GB = 1,024 MB)."""
    value, rest = _split(text, "a size like 512MB or 2GB")
    word = rest.lower().replace(" ", "")
    if word not in _MEMORY_MB:
        raise ValueError(f"expected a size like 512MB or 2GB, got {text.strip()!r}")
    return value * _MEMORY_MB[word]


def share(text: str) -> float:
    """`0.9` or `90%` -> 0.9."""
    value, rest = _split(text, "a share like 0.9 or 90%")
    if rest == "%":
        return value / 100
    if rest:
        raise ValueError(f"expected a share like 0.9 or 90%, got {text.strip()!r}")
    return value


def quantity(text: str, unit: str | None) -> float:
    """A number in a questionnaire unit (see kbase/questions.yaml)."""
    if unit == "rps":
        return rate_rps(text)
    if unit == "per month":
        return per_month(text)
    if unit in ("ms", "s"):
        return duration(text, unit)
    if unit == "MB":
        return memory_mb(text)
    if unit == "share":
        return share(text)
    value, rest = _count(text, "a number")
    if rest and rest.lower() not in (unit or "",):
        raise ValueError(f"expected a number, got {text.strip()!r}")
    return value
