"""The settings file: an organisation's own figures and defaults, found as ruff finds its own.

`--config FILE`, or else the first of `runplan.toml` or a `pyproject.toml` with a
`[tool.runplan]` table, searched from the working directory upward (the first directory that
has one wins; `runplan.toml` before `pyproject.toml` in the same directory). It holds the
defaults of `--provider`, `--rules`, `--pricing`, `adr check --fail-on` and `--fragile-below`,
the review period of the records `adr new` and `ask --adr` write (`review-months`), and the people
figures (the cost of an FTE, the effort per cluster and per service by DevOps maturity, a
currency label). Command-line options win over the file, the file over kbase.

The file is a user's file: read bounded, a regular file only, parsed by `tomllib` (data, no
code), validated against kbase/schemas/settings.schema.json, every problem one line naming
the file, the line where it can be found, and the field.
"""

from __future__ import annotations

import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runplan.errors import Problem, UserError
from runplan.userfile import read_text

if TYPE_CHECKING:  # the command line reads this module at every start: import only what runs
    from runplan.kbase import KnowledgeBase
    from runplan.yamlio import LineMap

SETTINGS_FILE = "runplan.toml"
PYPROJECT = "pyproject.toml"
MAX_SETTINGS_BYTES = 256 * 1024
# adr check's ADR-FRAGILE threshold and the review period of a new record (runplan.adr.revisit,
# not imported here: the command line reads this module at every start).
DEFAULT_FRAGILE_BELOW = 0.6
DEFAULT_REVIEW_MONTHS = 6
# People figures of the settings file -> the kbase figure they replace (operations.yaml).
PEOPLE_FIGURES = {"fte_monthly_usd": ("operations", "fte_monthly_usd"),
                  "cluster_fte": ("operations", "people", "cluster_fte"),
                  "service_fte": ("operations", "people", "service_fte")}

# A figure the settings set on kbase: (path of kbase keys, value).
Figure = tuple[tuple[str, ...], float]


@dataclass(frozen=True)
class Config:
    """What the settings file says, and where each value came from (`origin`)."""

    path: Path | None = None  # the file read; None: none found
    provider: str | None = None
    rules_dirs: tuple[Path, ...] = ()
    pricing: Path | None = None
    fail_on: str | None = None
    fragile_below: float | None = None
    review_months: int | None = None
    currency: str | None = None
    figures: tuple[Figure, ...] = ()
    origin: dict[str, str] = field(default_factory=dict)  # setting -> "file:line"

    @property
    def name(self) -> str:
        return str(self.path) if self.path is not None else ""

    def kbase_settings(self) -> tuple[str, tuple[Figure, ...]] | None:
        """The figures this file sets on kbase, for `kbase.load_kbase(settings=...)`."""
        return (self.name, self.figures) if self.figures else None

    def default_map(self) -> dict[str, Any]:
        """The file's defaults as click's `default_map` (option values by parameter name,
        per command), so that an option given on the command line wins."""
        common: dict[str, Any] = {}
        if self.provider is not None:
            common["provider"] = self.provider
        if self.rules_dirs:
            common["rules_dirs"] = [str(p) for p in self.rules_dirs]
        if self.pricing is not None:
            common["pricing"] = str(self.pricing)
        check = {**common, **({"fail_on": self.fail_on} if self.fail_on else {}),
                 **({"fragile_below": self.fragile_below}
                    if self.fragile_below is not None else {})}
        return {"advise": common, "cost": common, "score": common, "ask": common,
                "adr": {"check": check, "new": common},
                "rules": {"list": common, "show": common},
                "kbase": {"show": common}}


def discover(start: Path) -> Path | None:
    """The settings file that applies in `start`: the nearest `runplan.toml`, or
    `pyproject.toml` with a `[tool.runplan]` table, in `start` or a parent directory (named
    relative to `start` when it is there, as messages name it)."""
    for directory in (start, *start.parents):
        for found in (directory / SETTINGS_FILE, directory / PYPROJECT):
            if found.is_file() and (found.name == SETTINGS_FILE or _has_runplan_table(found)):
                return Path(found.name) if directory == start else found
    return None


def _has_runplan_table(path: Path) -> bool:
    """Whether a pyproject.toml names `[tool.runplan]` (one that does not is not ours to
    judge, as ruff ignores a pyproject.toml without `[tool.ruff]`)."""
    try:
        text = read_text(path, MAX_SETTINGS_BYTES)
    except UserError:
        return False
    return re.search(r"^\s*\[\s*tool\s*\.\s*runplan\s*[\].]", text, re.MULTILINE) is not None


def load_config(path: Path | None) -> Config:
    """The settings in `path` (None: no settings file, an empty Config)."""
    if path is None:
        return Config()
    name = str(path)
    try:
        mode = path.stat().st_mode
    except OSError:
        raise UserError(Problem(name, None, "", "file not found")) from None
    if not stat.S_ISREG(mode):
        raise UserError(Problem(name, None, "", "not a regular file"))
    text = read_text(path, MAX_SETTINGS_BYTES)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _decode_line(str(exc))
        # tomllib's message names the position, never the file's content
        raise UserError(Problem(name, line, "", f"not valid TOML: {_decode_message(str(exc))}")
                        ) from None
    prefix: tuple[str, ...] = ()
    if path.name == PYPROJECT:
        prefix = ("tool", "runplan")
        doc = doc.get("tool", {}).get("runplan", {}) if isinstance(doc.get("tool"), dict) \
            else {}
        if not isinstance(doc, dict):
            raise UserError(Problem(name, None, "tool.runplan", "must be a table"))
    from runplan.validation import validate

    lines = toml_lines(text, prefix)
    problems = [Problem(p.file, p.line, ".".join((*prefix, p.field)) if prefix else p.field,
                        p.message) for p in validate(doc, "settings", name, lines)]
    if problems:
        raise UserError(problems)
    return _config(path, doc, lines)


def _decode_line(message: str) -> int | None:
    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None


def _decode_message(message: str) -> str:
    return re.sub(r"\s*\(at line \d+, column \d+\)$", "", message) or "parse error"


def _config(path: Path, doc: dict[str, Any], lines: LineMap) -> Config:
    base = path.parent
    name = str(path)

    def where(*keys: str) -> str:
        line = lines.get(tuple(keys))
        return f"{name}:{line}" if line else name

    origin: dict[str, str] = {}
    for key in ("provider", "rules", "pricing", "fail-on", "fragile-below", "review-months"):
        if key in doc:
            origin[key] = where(key)
    figures: list[Figure] = []
    people = doc.get("people", {})
    if "fte_monthly_usd" in people:
        figures.append((PEOPLE_FIGURES["fte_monthly_usd"], float(people["fte_monthly_usd"])))
        origin["people.fte_monthly_usd"] = where("people", "fte_monthly_usd")
    for table in ("cluster_fte", "service_fte"):
        for kind, by_maturity in sorted(people.get(table, {}).items()):
            for maturity, value in sorted(by_maturity.items()):
                figures.append(((*PEOPLE_FIGURES[table], kind, maturity), float(value)))
                origin[f"people.{table}.{kind}.{maturity}"] = where("people", table, kind,
                                                                    maturity)
    if "currency" in people:
        origin["people.currency"] = where("people", "currency")
    return Config(
        path=path, provider=doc.get("provider"),
        rules_dirs=tuple(base / r for r in doc.get("rules", ())),
        pricing=base / doc["pricing"] if "pricing" in doc else None,
        fail_on=doc.get("fail-on"), currency=people.get("currency"),
        fragile_below=float(doc["fragile-below"]) if "fragile-below" in doc else None,
        review_months=int(doc["review-months"]) if "review-months" in doc else None,
        figures=tuple(figures), origin=origin)


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\-\"' ]+?)\s*=")


def toml_lines(text: str, prefix: tuple[str, ...] = ()) -> LineMap:
    """Where each table and key of a TOML document is, as a line map for `validate`: table
    headers (`[people.cluster_fte.nodes]`) and `key =` lines, dotted keys split; paths under
    `prefix` (`[tool.runplan]` in pyproject.toml) have it taken off. Good enough for the
    settings' plain tables; a value it cannot place gets its nearest table's line."""
    lines: dict[tuple[str | int, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, raw in enumerate(text.splitlines(), 1):
        header = _HEADER.match(raw)
        if header:
            table = _split(header.group(1))
            _put(lines, table, number, prefix)
            continue
        key = _KEY.match(raw)
        if key:
            _put(lines, (*table, *_split(key.group(1))), number, prefix)
    return lines


def _split(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in dotted.split("."))


def _put(lines: dict[tuple[str | int, ...], int], path: tuple[str, ...], number: int,
         prefix: tuple[str, ...]) -> None:
    if path[:len(prefix)] != prefix:
        return
    rest = path[len(prefix):]
    for k in range(1, len(rest) + 1):  # a table's parents are where it first appears
        lines.setdefault(rest[:k], number)
    lines[rest] = number


def effective_settings(cfg: Config, kb: KnowledgeBase) -> list[tuple[str, Any, str]]:
    """Every setting in effect as (name, value, where it comes from): the file's line, an
    override file, kbase (with the figure's source), or runplan's default."""
    def origin(key: str, default: str) -> str:
        return cfg.origin.get(key, default)

    rows: list[tuple[str, Any, str]] = [
        ("provider", cfg.provider, origin("provider", "default: each profile's own")),
        ("rules", [str(p) for p in cfg.rules_dirs], origin("rules", "default: built-in only")),
        ("pricing", None if cfg.pricing is None else str(cfg.pricing),
         origin("pricing", "default: none")),
        ("fail-on", cfg.fail_on or "error", origin("fail-on", "default")),
        ("fragile-below", DEFAULT_FRAGILE_BELOW if cfg.fragile_below is None
         else cfg.fragile_below, origin("fragile-below", "default")),
        ("review-months", DEFAULT_REVIEW_MONTHS if cfg.review_months is None
         else cfg.review_months, origin("review-months", "default")),
        ("people.currency", cfg.currency or "USD", origin("people.currency", "default")),
    ]
    ops = kb.raw["operations"]
    figures: list[tuple[str, tuple[str, ...]]] = [("people.fte_monthly_usd",
                                                    ("fte_monthly_usd",))]
    for table in ("cluster_fte", "service_fte"):
        for kind, by_maturity in ops["people"][table].items():
            figures += [(f"people.{table}.{kind}.{m}", ("people", table, kind, m))
                        for m in by_maturity]
    for name, path in figures:
        node: Any = ops
        for key in path:
            node = node[key]
        source = str(node["source"])
        where = cfg.origin.get(name) if source.startswith("settings from ") else None
        rows.append((name, node["value"], where or (source if source.startswith("override")
                                                    else f"kbase: {source}")))
    return rows
