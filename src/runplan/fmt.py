"""How runplan writes numbers, money and a user's strings, in every human-readable output.

- `num`: plain decimals with thousands separators, never scientific notation (`1,850`,
  `315,360,000`, `0.000088`), a few significant digits below 10^digits and whole numbers
  above.
- `usd`: money in the settings file's currency label (`set_currency`; `$` for USD, else the
  label and a space: `EUR 1,234`), whole from 100, cents below, `n/a` for no figure; `cents`
  always to the cent, `rate` a unit price to a few significant digits. Every money figure in
  text, Markdown, HTML, CSV headers and reasons goes through these (runplan does not convert:
  the label names the currency the organisation's figures and price overrides are in).
- `figure`: a number a user gave, in a message about it: `num` to 6 digits, `NaN`, `a number
  too large to use` (infinity, or 10^18 and above, which `num` would print as 19+ digits) and
  `a number too close to 0 to use` (below 10^-10, which `num` prints as `~0`).
- `value`: any input or fact as a person would write it (`none`, `kubernetes 4, serverless 0`),
  never a Python repr.
- `printable`: a user's string made safe for a terminal: control characters (C0, DEL, C1, NUL,
  and the bidirectional overrides that reorder what is shown) written as visible escapes.
- `md`: a user's string as inert Markdown text: printable, HTML escaped, link, image and
  emphasis syntax backslash-escaped, `javascript:` and its kind never a scheme.
- `csv_cell`: a cell that a spreadsheet never runs (OWASP's CSV injection advice).
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

MAX_DECIMALS = 10  # below 10^-10 a figure is shown as ~0 (no real input is that small)

# C0 controls, DEL, C1 controls, and the bidirectional formatting characters.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def num(x: float, digits: int = 3) -> str:
    """`x` with `digits` significant digits below 10^digits, whole above; no exponent."""
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    if magnitude >= digits - 1:
        return f"{x:,.0f}"
    decimals = digits - 1 - magnitude
    if decimals > MAX_DECIMALS:
        return "~0"
    text = f"{x:,.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


LARGEST_FIGURE = 1e18  # from here a user's figure is shown as "a number too large to use"


def figure(x: float) -> str:
    """A number a user gave, as a message about it shows it: never `1e+308` or `Infinity`."""
    if math.isnan(x):
        return "NaN"
    sign = "a negative " if x < 0 else "a "
    if abs(x) >= LARGEST_FIGURE:
        return f"{sign}number too large to use"
    if x != 0 and abs(x) < 10.0 ** -MAX_DECIMALS:
        return f"{sign}number too close to 0 to use"
    return num(x, 6)


_CURRENCY = ["USD"]  # the label in effect (one per process: set by the CLI and each worker)


def set_currency(label: str | None) -> None:
    """The currency label money is printed in (None: USD)."""
    _CURRENCY[0] = label or "USD"


def currency() -> str:
    """The currency label in effect (`USD` unless the settings file says otherwise)."""
    return _CURRENCY[0]


def money_sign() -> str:
    """What a money figure starts with: `$` for USD, else the label and a space."""
    return "$" if _CURRENCY[0] == "USD" else f"{_CURRENCY[0]} "


def money_unit() -> str:
    """The currency in a column header or axis label: `$` for USD, else the label."""
    return "$" if _CURRENCY[0] == "USD" else _CURRENCY[0]


def money_key() -> str:
    """The currency in a CSV column name: `usd`, `eur`."""
    return re.sub(r"[^a-z0-9]+", "_", _CURRENCY[0].lower()).strip("_") or "money"


def usd(x: float | None) -> str:
    if x is None:
        return "n/a"
    if not math.isfinite(x):
        return "n/a"
    sign = "-" if x <= -0.005 else ""  # -$202, not $-202; no -$0.00
    x = abs(x)
    return f"{sign}{money_sign()}{x:,.0f}" if x >= 100 else f"{sign}{money_sign()}{x:,.2f}"


def cents(x: float) -> str:
    """Money to the cent: `$1,234.50`."""
    return f"{money_sign()}{x:,.2f}"


def whole(x: float) -> str:
    """Money in whole units: `$1,235`."""
    return f"{money_sign()}{x:,.0f}"


def rate(x: float, digits: int = 6) -> str:
    """A unit price: `$0.04048`, `$0.000003` (fewer significant digits rather than `~0`)."""
    text = num(x, digits)
    while text == "~0" and digits > 1:
        digits -= 1
        text = num(x, digits)
    return f"{money_sign()}{text}"


def plural(n: float, noun: str, nouns: str | None = None) -> str:
    """`1 rule`, `2 rules`, `1,024 files`: a count, as a whole number, with its noun in the
    right number."""
    text = f"{n:,.0f}"
    return f"{text} {number_of(text, noun, nouns)}"


def number_of(shown: str, noun: str, nouns: str | None = None) -> str:
    """The noun in the number a figure shown as `shown` takes: singular for `1` only
    (`1 run`, `0.5 runs`, `1,000 runs`)."""
    return noun if shown == "1" else nouns or noun + "s"
def value(v: Any) -> str:
    """An input, a fact or a score table in words: `none`, `true`, `pci, hipaa`, `4`."""
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return num(float(v), 6) if isinstance(v, float) else f"{v:,}"
    if isinstance(v, dict):
        return ", ".join(f"{printable(str(k))} {value(x)}" for k, x in v.items()) or "none"
    if isinstance(v, list | tuple | set | frozenset):
        return ", ".join(value(x) for x in v) or "none"
    return printable(str(v))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, keep: str = "") -> str:
    """`text` with every control character but those in `keep` (e.g. "\\n") escaped as
    `\\x1b`, `\\x00`, `\\u202e`."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)


# Backslash-escaped: what can open a link or an image (`[`; `(` and `!` only count next to
# it), code, emphasis, strikethrough, a table cell. Never at the start of a line (newlines
# become spaces), so list and heading markers need nothing.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_SCHEMES = re.compile(r"\b(javascript|vbscript|data|file):", re.IGNORECASE)


def md(text: str) -> str:
    """A user's string as Markdown text that renders as exactly those characters: no HTML, no
    link or image, no emphasis, no table cell break, on one line."""
    text = printable(" ".join(text.splitlines()))
    text = html.escape(text, quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _SCHEMES.sub(lambda m: m.group(1) + "&#58;", text)


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(v: Any) -> Any:
    """A CSV cell: numbers as they are; a string that a spreadsheet would read as a formula
    (first character after any spaces = + - @ TAB CR) prefixed with a single quote, unless it
    is a plain number (`-5`, `+1.5e3`, which no spreadsheet runs); control characters escaped."""
    if v is None:
        return ""
    if not isinstance(v, str):
        return v
    text = printable(v, keep="\t\n\r")
    start = text.lstrip(" ")  # spreadsheets skip leading spaces: ` =1+1` is a formula too
    if start.startswith(_FORMULA_START) and not _NUMBER.fullmatch(start):
        return "'" + text
    return text
