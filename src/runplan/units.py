"""Numbers as people type them: `2k`, `1.5M`, `300ms`, `40min`, `2GB`, `90%`, `3M/month`.

Each unit of the questionnaire has one parser that returns the value in the profile's own unit
(rps, requests per month, ms, s, MB, a share 0..1, a count) or raises ValueError with what it
expected. Memory uses binary multiples (1 GB = 1,024 MB), as function and pod settings do.
"""

from __future__ import annotations

import math
import re

HOURS_PER_MONTH = 730.0  # kbase/operations.yaml hours_per_month; a month of load
# One number at the start of the text: digits with `,` or `_` between them, a decimal part, an
# exponent. No two parts can match the same characters, so matching is linear on any text.
_NUMBER = re.compile(r"[-+]?(?:\d[\d,_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?", re.ASCII)
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+", re.ASCII)  # 1,500 and 12,000,000; 1,5 is not a group
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
              "hour": HOURS_PER_MONTH, "hr": HOURS_PER_MONTH, "h": HOURS_PER_MONTH,
              "min": HOURS_PER_MONTH * 60, "minute": HOURS_PER_MONTH * 60,
              "s": HOURS_PER_MONTH * 3600, "sec": HOURS_PER_MONTH * 3600,
              "second": HOURS_PER_MONTH * 3600}


def _split(text: str, what: str) -> tuple[float, str]:
    """The number a text starts with, and the rest (stripped)."""
    t = text.strip()
    m = _NUMBER.match(t)
    if not m:
        raise ValueError(f"expected {what}, got {quoted(t)}")
    number = m.group(0)
    whole = number.lstrip("+-").split(".")[0].split("e")[0].split("E")[0]
    if "," in whole and not _GROUPED.fullmatch(whole.replace("_", "")):
        instead = f" ({t.replace(',', '.')})" if whole.count(",") == 1 else ""
        raise ValueError(f"{quoted(t)}: use '.' as the decimal separator{instead}; ',' only "
                         "between groups of three digits (1,500)")
    try:
        value = float(number.replace("_", "").replace(",", ""))
    except ValueError:
        raise ValueError(f"expected {what}, got {quoted(t)}") from None
    if not math.isfinite(value):
        raise ValueError(f"{quoted(t)} is too large a number")
    return value, t[m.end():].strip()


def quoted(text: str) -> str:
    """The user's answer quoted in a message, cut short when long."""
    return repr(text) if len(text) <= 40 else f"{text[:24]!r}... ({len(text):,} characters)"


def _count(text: str, what: str) -> tuple[float, str]:
    """A number with an optional k/M/B multiplier, and what follows it."""
    value, rest = _split(text, what)
    for scale in (rest[:2], rest[:1]):
        # a multiplier, not the first letter of a word (`2k rps`, `3M/month`; not `40min`)
        if scale and scale in _SCALE and not rest[len(scale):len(scale) + 1].isalnum():
            return value * _SCALE[scale], rest[len(scale):].strip()
    return value, rest


# `/month`, `per day`, `a week`, `req/min`, `requests per hour`: what is counted (optional),
# then the period word.
_PERIOD = re.compile(r"(?:(?:r|req|reqs|requests?|calls?|events?|messages?|runs?|jobs?|"
                     r"invocations?)\s*)?(?:/|per\b|an?\b)\s*([a-z]+)")


def _per(rest: str) -> str | None:
    """The period word of `/month`, `per day`, `a week`, `req/min`, or None."""
    m = _PERIOD.fullmatch(rest.lower())
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
    raise ValueError(f"expected {what}, got {quoted(text.strip())}")


def rate_rps(text: str) -> float:
    """`120`, `2k`, `120 rps`, `120/s`, `120 req/min`, or a volume `3M/month`, `50k/day` ->
    requests per second. A lone `m` (`5m`) is refused: a million, or a minute?"""
    what = "a rate like 120, 2k, 120 rps or 3M/month"
    _, rest = _split(text, what)
    if rest == "m":
        n = text.strip()[:-1].strip()  # the number as typed
        raise ValueError(f"{quoted(text.strip())} is ambiguous: write {n}M for {n} million "
                         f"requests per second or {n}/min for {n} per minute")
    return _volume(text, what,
                   ("", "rps", "req/s", "/s", "per second", "r/s"), 1 / (HOURS_PER_MONTH * 3600))


def per_month(text: str) -> float:
    """`30`, `2k`, `1.5M`, `30/day`, `4 a week` -> per month."""
    return _volume(text, "a count like 30, 2k, 1.5M or 30/day",
                   ("", "/month", "per month", "a month", "runs", "requests"), 1.0)


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)\s*", re.ASCII)


def duration(text: str, unit: str) -> float:
    """`300`, `300ms`, `2s`, `40min`, `1.5h`, `1h30m`, `2m 30s` -> `unit` ("ms" or "s"); a bare
    number is `unit`."""
    what = "a duration like 300ms, 2s, 40min or 1h30m"
    value, rest = _split(text, what)
    word = rest.lower().rstrip(".")
    if word == "":
        return value
    ms = value * _TIME_MS[word] if word in _TIME_MS else _compound_ms(text.strip().lower(), what)
    return ms if unit == "ms" else ms / 1000


def _compound_ms(text: str, what: str) -> float:
    """`1h30m`, `2m 30s`: parts from the largest unit to the smallest, in ms."""
    total, last, at = 0.0, math.inf, 0
    while at < len(text):
        m = _DURATION_PART.match(text, at)
        if m is None or m.group(2) not in _TIME_MS or _TIME_MS[m.group(2)] >= last:
            raise ValueError(f"expected {what}, got {quoted(text)}")
        last = _TIME_MS[m.group(2)]
        total += float(m.group(1)) * last
        at = m.end()
    if not math.isfinite(total):
        raise ValueError(f"{quoted(text)} is too large a number")
    return total


def memory_mb(text: str) -> float:
    """`512`, `512MB`, `2GB`, `1.5 GiB` -> MB (1 GB = 1,024 MB)."""
    value, rest = _split(text, "a size like 512MB or 2GB")
    word = rest.lower().replace(" ", "")
    if word not in _MEMORY_MB:
        raise ValueError(f"expected a size like 512MB or 2GB, got {quoted(text.strip())}")
    return value * _MEMORY_MB[word]


def share(text: str) -> float:
    """`0.9` or `90%` -> 0.9."""
    value, rest = _split(text, "a share like 0.9 or 90%")
    if rest == "%":
        return value / 100
    if rest:
        raise ValueError(f"expected a share like 0.9 or 90%, got {quoted(text.strip())}")
    return value


def quantity(text: str, unit: str | None) -> float:
    """A number in a questionnaire unit (see kbase/questions.yaml), always finite."""
    value = _quantity(text, unit)
    if not math.isfinite(value):  # a finite number times its unit (`1e308k`)
        raise ValueError(f"{quoted(text.strip())} is too large a number")
    return value


def _quantity(text: str, unit: str | None) -> float:
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
        raise ValueError(f"expected a number, got {quoted(text.strip())}")
    return value
