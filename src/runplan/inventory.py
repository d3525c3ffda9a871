"""Read a service inventory, one entry per component, without trusting any of it.

Formats (by extension or `--input-format`):

- `yaml` / `json`: `{defaults: <partial profile>, components: [<profile>, ...]}` (a bare list of
  profiles is read as `components`); defaults merge under each component, section by section.
  JSON is read by the JSON parser, each component's text kept for the lines of a row that fails.
- `csv`: a header of dotted profile fields (`traffic.peak_rps`), one component per row; an
  empty cell is "not given", list fields (`constraints.compliance`) are separated by `;`.
- `jsonl`: one profile per line, read as a stream.
- `backstage`: a `catalog-info.yaml` stream of entities; each `kind: Component` with a
  `spec.runplan` profile is a component named by `metadata.name`. Other kinds, and components
  without `spec.runplan`, are skipped and counted, never dropped silently.

`-` reads stdin (give `--input-format`); CSV and JSON Lines from stdin or a pipe are read as
they come, once (a regular file is counted first, for the progress bar). A field given as
`null` is "not given": defaults apply to it, as to a field left out.

Reading only splits the file into entries, each with the line (or row) it came from; checking
each entry is `check_entry`, which runs in the scoring workers so that a bad row costs its own
row only. A problem with the file as a whole (unreadable, broken defaults, an unknown CSV
column) is a `UserError`.
"""

from __future__ import annotations

import contextlib
import csv
import math
import re
import types
import typing
from collections import Counter
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from runplan.errors import Problem, UserError
from runplan.fmt import figure
from runplan.formats import INPUT_FORMATS
from runplan.kbase import KnowledgeBase
from runplan.profile import (
    SECTIONS,
    Assumption,
    Component,
    Part,
    Workload,
    check_component,
    nest,
    parse_component,
    with_provider,
)
from runplan.uncertainty.ranges import RANGEABLE, strip_ranges
from runplan.userfile import display_name, is_stdin, open_stream, read_text, readline
from runplan.validation import validate
from runplan.yamlio import (
    LineMap,
    SourceLines,
    decode_json,
    line_of,
    load_data_file,
    load_yaml,
    load_yaml_documents,
)

FORMATS = INPUT_FORMATS
MAX_INVENTORY_BYTES = 64 * 1024 * 1024  # YAML/JSON are read whole; stream larger estates as JSONL
MAX_LINE_BYTES = 1024 * 1024
MAX_DEPTH = 32  # a profile nests 4 levels (parts, a section, a field, a list); past this,
# the decoder and the validators would recurse towards the interpreter's limit


@dataclass(frozen=True)
class Entry:
    """One component as read: its raw profile and where it came from."""

    index: int
    file: str
    line: int | None
    data: Any
    lines: LineMap  # paths (with `prefix`) -> line in the file
    problem: Problem | None = None  # a problem found while reading (broken JSON line, ...)
    prefix: tuple[str | int, ...] = ()  # where the profile sits in the file
    text: str | None = None  # a JSON line not decoded yet (`decoded`, in a worker)
    defaults: dict[str, Any] | None = None  # to merge under `text` once decoded

    @property
    def label(self) -> str:
        name = self.data.get("name") if isinstance(self.data, dict) else None
        return name if isinstance(name, str) and name else f"line {self.line}"


@dataclass
class Skipped:
    """What a file held that is not a component to score, counted by reason."""

    counts: dict[str, int] = field(default_factory=dict)
    names: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, name: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        self.names.setdefault(reason, []).append(name)


@dataclass
class Inventory:
    file: str
    fmt: str
    entries: Iterator[Entry]
    total: int | None  # None while a stream has not been counted
    skipped: Skipped


def detect_format(path: Path, given: str | None) -> str:
    if path.is_dir():
        raise UserError(Problem(str(path), None, "", "is a directory, expected an inventory "
                                "file"))
    if given:
        return given
    if is_stdin(path):
        raise UserError(Problem(display_name(path), None, "", "give --input-format "
                                f"({' | '.join(FORMATS)}) to read stdin"))
    name = path.name.lower()
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".json"):
        return "json"
    if name.startswith("catalog-info") or name.endswith(".catalog.yaml"):
        return "backstage"
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    raise UserError(Problem(str(path), None, "", "cannot tell the format from the extension; "
                            f"use --input-format ({' | '.join(FORMATS)})"))


def read_inventory(path: Path, fmt: str | None = None,
                   defaults: dict[str, Any] | None = None, name: str | None = None,
                   ) -> Inventory:
    """Split an inventory file into entries (see the module docstring); `name`: what
    messages call the file (`runplan serve`: the upload's name, not its temporary file)."""
    kind = detect_format(path, fmt)
    name = name or display_name(path)
    skipped = Skipped()
    if kind in ("csv", "jsonl"):
        f, regular = open_stream(path)
        header = 1 if kind == "csv" else 0
        total = _count_rows(f, header) if regular else None
        rows = _csv_entries if kind == "csv" else _jsonl_entries
        return Inventory(name, kind, rows(f, name, defaults), total, skipped)
    text = read_text(path, MAX_INVENTORY_BYTES, stdin=True)
    if kind == "backstage":
        entries = list(_backstage_entries(text, name, skipped, defaults))
        return Inventory(name, kind, iter(entries), len(entries), skipped)
    if kind == "json":
        entries = _json_entries(text, name, defaults)
    else:
        data, lines = load_yaml(text, name)
        entries = list(_document_entries(data, lines, name, defaults))
    return Inventory(name, kind, iter(entries), len(entries), skipped)


def load_defaults(path: Path) -> dict[str, Any]:
    """A `--defaults` file: a partial profile (no name) merged under every component."""
    data, lines = load_data_file(path)
    return _check_defaults(data, lines, str(path), ())


def _check_defaults(data: Any, lines: LineMap, file: str, prefix: tuple[str | int, ...],
                    ) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(Problem(file, line_of(lines, prefix), ".".join(map(str, prefix)),
                                "defaults must be a mapping of profile sections"))
    bad = [k for k in data if k not in SECTIONS and k not in ("kind",)]
    if bad:
        raise UserError([Problem(file, line_of(lines, (*prefix, k)), ".".join(map(str, (*prefix, k))),
                                 f"defaults may set kind and {', '.join(SECTIONS)}; "
                                 f"not {k!r}") for k in bad])
    # A bad range or unit value is the defaults' own problem, told once at its line (not
    # once per component it is merged into); a good one is merged as written.
    strip_ranges({"name": "defaults", **data}, file, lines, prefix)
    problems = validate({"name": "defaults", **data}, "component", file, lines, prefix)
    if problems:
        raise UserError(problems)
    return data


def merge(defaults: dict[str, Any] | None, profile: Any) -> Any:
    """Defaults under a profile: the profile's own value wins, section by section and field
    by field; a section or field given as null is not given, so its default applies."""
    if not defaults or not isinstance(profile, dict):
        return profile
    out = dict(profile)
    for key, value in defaults.items():
        mine = out.get(key)
        if isinstance(value, dict) and isinstance(mine, dict):
            out[key] = {**value, **{k: v for k, v in mine.items() if v is not None}}
        elif mine is None:
            out[key] = value
    return out


# -- YAML / JSON ------------------------------------------------------------------------------


def _document_entries(data: Any, lines: LineMap, file: str, cli_defaults: dict[str, Any] | None,
                      rows: list[tuple[int, LineMap]] | None = None) -> Iterator[Entry]:
    """The entries of a YAML or JSON inventory; `rows` (JSON): each component's line and
    line map, which YAML finds in `lines`."""
    if isinstance(data, list):
        data, lines = {"components": data}, {("components", *k): v for k, v in lines.items()}
    if not isinstance(data, dict) or "components" not in data:
        raise UserError(Problem(file, line_of(lines, ()), "components",
                                "an inventory is {defaults: {...}, components: [...]}; "
                                "components is missing"))
    unknown = [k for k in data if k not in ("defaults", "components")]
    if unknown:
        raise UserError([Problem(file, line_of(lines, (k,)), k,
                                 "unknown key; an inventory has defaults and components")
                         for k in unknown])
    defaults = merge(cli_defaults, _check_defaults(data.get("defaults"), lines, file,
                                                   ("defaults",)))
    components = data["components"]
    if not isinstance(components, list):
        raise UserError(Problem(file, line_of(lines, ("components",)), "components",
                                "must be a list of component profiles"))
    if rows is None:
        by_component: dict[tuple[str | int, ...], dict[tuple[str | int, ...], int]] = {}
        for key, line in lines.items():
            if key[:1] == ("components",) and len(key) >= 2:
                by_component.setdefault(key[:2], {})[key] = line
        rows = [(line_of(lines, ("components", i)) or 0, by_component.get(("components", i), {}))
                for i in range(len(components))]
    for i, (raw, (line, sub)) in enumerate(zip(components, rows, strict=True)):
        yield Entry(i, file, line or None, merge(defaults, raw), sub, prefix=("components", i))


# -- JSON: parsed as JSON, each component's span kept for the lines of a row that fails -----

_WS = re.compile(r"[ \t\n\r]*")


class _Lines:
    """Line numbers of increasing offsets in a text, counted once from the last one."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1

    def at(self, pos: int) -> int:
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line


def _json_entries(text: str, file: str, cli_defaults: dict[str, Any] | None) -> list[Entry]:
    """A JSON inventory, read with the JSON parser: `{defaults, components}` or a list."""
    at = _Lines(text)
    i = _WS.match(text, 0).end()  # type: ignore[union-attr]  # the pattern matches ""
    known: dict[tuple[str | int, ...], int] = {(): at.at(i)}
    extra: list[LineMap] = []
    rows: list[tuple[int, LineMap]] = []

    def expect(j: int, what: str) -> None:
        raise UserError(Problem(file, at.at(j), "", f"invalid JSON: expected {what}"))

    def components(j: int) -> tuple[list[Any], int]:
        out: list[Any] = []
        j = _WS.match(text, j + 1).end()  # type: ignore[union-attr]
        if text.startswith("]", j):
            return out, j + 1
        while True:
            line = at.at(j)
            prefix = ("components", len(out))
            value, end = decode_json(text, file, j, 1, prefix)
            known[prefix] = line
            rows.append((line, SourceLines(text[j:end], line, prefix)))
            out.append(value)
            j = _WS.match(text, end).end()  # type: ignore[union-attr]
            if text.startswith(",", j):
                j = _WS.match(text, j + 1).end()  # type: ignore[union-attr]
            elif text.startswith("]", j):
                return out, j + 1
            else:
                expect(j, "',' or ']' after a component")

    data: Any
    if text.startswith("[", i):
        data, i = components(i)
    elif text.startswith("{", i):
        data = {}
        i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
        while not text.startswith("}", i):
            if not text.startswith('"', i):
                expect(i, "a key in double quotes")
            key_line = at.at(i)
            key, i = decode_json(text, file, i)
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            if not text.startswith(":", i):
                expect(i, "':' after a key")
            i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
            if key in data:
                raise UserError(Problem(file, key_line, key, "duplicate key (first given on "
                                        f"line {known[(key,)]})"))
            known[(key,)] = key_line
            if key == "components" and text.startswith("[", i):
                data[key], i = components(i)
            else:
                start = i
                data[key], i = decode_json(text, file, i, 1, (key,))
                extra.append(SourceLines(text[start:i], key_line, (key,)))
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            if text.startswith(",", i):
                i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
                if text.startswith("}", i):
                    expect(i, "a key after ','")
            elif not text.startswith("}", i):
                expect(i, "',' or '}' after a value")
        i += 1
    elif i == len(text):
        data = None
    else:
        data, i = decode_json(text, file, i)
    if text[i:].strip():
        expect(_WS.match(text, i).end(), "the end of the file")  # type: ignore[union-attr]
    if isinstance(data, list):
        data = {"components": data}
    return list(_document_entries(data, _Chain(known, *extra), file, cli_defaults, rows))


class _Chain(Mapping[tuple[str | int, ...], int]):
    """Line maps looked up in turn (the top level of a JSON inventory, then its values)."""

    def __init__(self, *maps: LineMap) -> None:
        self.maps = maps

    def __getitem__(self, key: tuple[str | int, ...]) -> int:
        for m in self.maps:
            if key in m:
                return m[key]
        raise KeyError(key)

    def __iter__(self) -> Iterator[tuple[str | int, ...]]:
        return iter({k: None for m in self.maps for k in m})

    def __len__(self) -> int:
        return sum(1 for _ in self)


# -- Backstage --------------------------------------------------------------------------------


def _backstage_entries(text: str, file: str, skipped: Skipped,
                       defaults: dict[str, Any] | None) -> Iterator[Entry]:
    index = 0
    for doc, (data, lines) in enumerate(load_yaml_documents(text, file), start=1):
        line = line_of(lines, ())
        if not isinstance(data, dict):
            yield Entry(index, file, line, None, lines,
                        Problem(file, line, "", f"document {doc} is not a catalog entity"))
            index += 1
            continue
        kind = data.get("kind")
        metadata: dict[str, Any] = data["metadata"] if isinstance(data.get("metadata"), dict) \
            else {}
        name = metadata.get("name")
        if kind != "Component":
            skipped.add(f"kind {kind}", str(name or f"document {doc}"))
            continue
        spec: dict[str, Any] = data["spec"] if isinstance(data.get("spec"), dict) else {}
        if "runplan" not in spec:
            skipped.add("Component without spec.runplan", str(name or f"document {doc}"))
            continue
        prefix: tuple[str | int, ...] = ("spec", "runplan")
        profile = spec["runplan"]
        problem = None
        if not isinstance(name, str) or not name:
            problem = Problem(file, line_of(lines, ("metadata",)), "metadata.name",
                              "a Component needs metadata.name (the component's name)")
        elif isinstance(profile, dict):
            if "name" in profile and profile["name"] != name:
                problem = Problem(file, line_of(lines, (*prefix, "name")), "spec.runplan.name",
                                  f"disagrees with metadata.name {name!r}; leave it out")
            desc = metadata.get("description")
            profile = {"name": name, **({"description": desc} if isinstance(desc, str) else {}),
                       **{k: v for k, v in profile.items() if k != "name"}}
        yield Entry(index, file, line, merge(defaults, profile), lines, problem, prefix)
        index += 1


# -- JSON Lines -------------------------------------------------------------------------------


def _count_rows(f: BinaryIO, header: int) -> int:
    """The rows of a regular file (lines, less the header), for the progress bar; the file
    is read from its start again afterwards. A stream is never counted: it reads once."""
    lines = 0
    last = b"\n"
    while chunk := f.read(1 << 20):
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    f.seek(0)
    return max(0, lines + (last != b"\n") - header)


def _text_lines(f: BinaryIO, file: str, what: str) -> Generator[tuple[int, str]]:
    """The lines of a stream, numbered, each decoded on its own (a bad byte names its own
    line), a leading BOM dropped, none longer than MAX_LINE_BYTES; the stream is closed."""
    with f:
        lineno = 0
        while raw := readline(f, MAX_LINE_BYTES):
            lineno += 1
            if len(raw) > MAX_LINE_BYTES:
                raise UserError(Problem(file, lineno, "", f"line is longer than "
                                        f"{MAX_LINE_BYTES:,} bytes"))
            if lineno == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")  # editors and spreadsheets write one
            if b"\x00" in raw:
                raise UserError(Problem(file, lineno, "", f"binary data (a NUL byte), not "
                                        f"{what} text"))
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise UserError(Problem(file, lineno, "", f"not UTF-8 text (byte "
                                        f"{exc.start + 1} of the line is invalid)")) from None
            yield lineno, text


def _jsonl_entries(f: BinaryIO, file: str, defaults: dict[str, Any] | None) -> Iterator[Entry]:
    index = 0
    for lineno, line in _text_lines(f, file, "JSON Lines"):
        if not line.strip():
            continue
        # Decoded where it is scored (`decoded`): a worker process, not this reader.
        yield Entry(index, file, lineno, None, {(): lineno}, text=line, defaults=defaults)
        index += 1


def decoded(entry: Entry) -> Entry:
    """A JSON Lines entry with its line decoded and the defaults merged under it, or with
    the reason it is not JSON as its problem; any other entry as it is."""
    if entry.text is None:
        return entry
    problem = None
    text = entry.text.strip()
    try:
        data, end = decode_json(text, entry.file, 0, entry.line or 1)
        if text[end:].strip():
            raise UserError(Problem(entry.file, entry.line, "", "invalid JSON: extra data "
                                    f"after the value (column {end + 1})"))
    except UserError as exc:
        data = None
        problem = exc.problems[0]
    else:  # decoded, but the validators would recurse towards the interpreter's limit too
        if text.count("[") + text.count("{") > MAX_DEPTH and _deeper_than(data, MAX_DEPTH):
            data = None
            problem = _too_deep(entry)
    return Entry(entry.index, entry.file, entry.line, merge(entry.defaults, data), entry.lines,
                 problem, entry.prefix)


def _too_deep(entry: Entry) -> Problem:
    return Problem(entry.file, entry.line, "", f"nested more than {MAX_DEPTH} levels deep "
                   "(a profile needs four)")


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether lists and mappings nest more than `limit` levels (walked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value \
            if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


# -- CSV --------------------------------------------------------------------------------------


def column_types() -> dict[str, str]:
    """Every dotted profile field a CSV column may name, with its type."""
    out: dict[str, str] = {"name": "string", "description": "string", "kind": "string"}
    for section in SECTIONS:
        model = Part.model_fields[section].annotation
        cls = next(a for a in typing.get_args(model) if a is not type(None))
        for key, info in cls.model_fields.items():
            out[f"{section}.{key}"] = _type_name(info.annotation)
    return out


def _type_name(annotation: Any) -> str:
    args = [a for a in typing.get_args(annotation) if a is not type(None)] \
        if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union \
        else [annotation]
    first = args[0]
    if first is bool:
        return "boolean"
    if first is int:
        return "integer"
    if first is float:
        return "number"
    if typing.get_origin(first) is list:
        return "list"
    return "string"


TRUE = {"true", "yes", "y", "1"}
FALSE = {"false", "no", "n", "0"}


def _cell(value: str, kind: str, rangeable: bool = False) -> Any:
    """A CSV cell as the value of its column's type. A number cell that is a range (`2M..8M`),
    or on a field that takes a range a value with its unit (`30M`, `2GB`, `80%`), stays text:
    the profile's reader reads it (`uncertainty.ranges`), with the same parser as everywhere."""
    text = value.strip()
    if kind == "number" and ".." in text:
        return text
    if kind == "number":
        try:
            if not text.isascii():  # float() reads other scripts' digits (Arabic-Indic); YAML does not
                raise ValueError
            number = float(text.replace("_", ""))
        except ValueError:
            if rangeable:
                return text
            raise ValueError(f"expected a number, got {text!r}") from None
        if not math.isfinite(number):  # `inf`, `NaN`, `1e400`: as YAML and JSON say it
            raise ValueError(f"must be a finite number, got {figure(number)}")
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == "integer":
        try:
            if not text.isascii():
                raise ValueError
            return int(text)
        except ValueError:
            raise ValueError(f"expected a whole number, got {text!r}") from None
    if kind == "boolean":
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise ValueError(f"expected true or false, got {text!r}")
    if kind == "list":
        return [item.strip() for item in text.split(";") if item.strip()]
    if text.lower() == "null":
        return None
    return text


MAX_COLUMNS = 1_000  # a profile has about 40 fields; a wider header is not an inventory
SHOWN_COLUMNS = 3  # of many unknown (or doubled) columns, those named, each at most 30 characters


def _header_problems(columns: list[str], types_: dict[str, str], file: str) -> list[Problem]:
    """A CSV header's problems: too many columns, unknown ones (one message, the first few
    named), a missing name column, columns given twice. Linear in the header's width."""
    if len(columns) > MAX_COLUMNS:
        return [Problem(file, 1, "", f"the header has {len(columns):,} columns, more than "
                        f"{MAX_COLUMNS:,}; columns are dotted profile fields, e.g. "
                        "traffic.peak_rps")]
    problems: list[Problem] = []
    unknown = [c for c in dict.fromkeys(columns) if c not in types_]
    if len(unknown) == 1:
        import difflib

        close = difflib.get_close_matches(unknown[0], list(types_), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        problems.append(Problem(file, 1, _shown(unknown[0]), f"unknown column{hint}; columns "
                                "are dotted profile fields, e.g. traffic.peak_rps"))
    elif unknown:
        problems.append(Problem(file, 1, "", f"{len(unknown):,} unknown columns "
                                f"({_some(unknown)}); columns are dotted profile fields, e.g. "
                                "traffic.peak_rps"))
    if "name" not in columns:
        problems.append(Problem(file, 1, "name", "a name column is required"))
    counts = Counter(columns)
    twice = sorted(c for c in counts if counts[c] > 1)
    if len(twice) == 1:
        problems.append(Problem(file, 1, _shown(twice[0]), "column given twice"))
    elif twice:
        problems.append(Problem(file, 1, "", f"{len(twice):,} columns given twice "
                                f"({_some(twice)})"))
    return problems


def _shown(column: str) -> str:
    return column if len(column) <= 30 else column[:27] + "..."


def _some(columns: list[str]) -> str:
    """The first few of many column names, shortened, and how many more."""
    shown = ", ".join(_shown(c) for c in columns[:SHOWN_COLUMNS])
    more = len(columns) - SHOWN_COLUMNS
    return f"{shown} and {more:,} more" if more > 0 else shown


def _csv_entries(f: BinaryIO, file: str, defaults: dict[str, Any] | None) -> Iterator[Entry]:
    types_ = column_types()
    lines = _text_lines(f, file, "CSV")
    with contextlib.closing(lines):
        reader = csv.reader(text for _, text in lines)
        try:
            header = next(reader)
        except StopIteration:
            raise UserError(Problem(file, 1, "", "empty file: expected a header row of "
                                    "profile fields")) from None
        except csv.Error as exc:
            raise UserError(Problem(file, 1, "", f"unreadable CSV header: {exc}")) from None
        columns = [h.strip() for h in header]
        problems = _header_problems(columns, types_, file)
        if problems:
            raise UserError(problems)
        index = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise UserError(Problem(file, reader.line_num, "", f"unreadable CSV: {exc}"),
                                ) from None
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            problem = None
            flat: dict[str, Any] = {}
            if len(row) != len(columns):
                problem = Problem(file, line, "", f"row has {len(row)} cells, the header has "
                                  f"{len(columns)}")
            else:
                for col, value in zip(columns, row, strict=True):
                    if not value.strip():
                        continue
                    try:
                        flat[col] = _cell(value, types_[col], col in RANGEABLE)
                    except ValueError as exc:
                        problem = Problem(file, line, col, str(exc))
                        break
            yield Entry(index, file, line, merge(defaults, nest(flat)), {(): line}, problem)
            index += 1


# -- checking one entry -----------------------------------------------------------------------


class Checked(NamedTuple):
    """An entry checked: its profile and own resolved workload, or its problems."""

    component: Component | None
    problems: list[Problem]
    resolved: tuple[Workload, list[Assumption]] | None = None


def check_entry(entry: Entry, kb: KnowledgeBase, provider: str | None = None) -> Checked:
    """The entry as a checked profile, or the problems that keep it from being scored."""
    entry = decoded(entry)
    if entry.problem is not None:
        return Checked(None, [entry.problem])
    from runplan.uncertainty.ranges import strip_ranges

    data = with_provider(entry.data, provider)
    prefix = entry.prefix
    try:
        data, ranges = strip_ranges(data, entry.file, entry.lines, prefix)
        component = parse_component(data, entry.file, entry.lines, prefix)
        resolved = check_component(component, kb, entry.file, entry.lines, prefix)
    except UserError as exc:
        return Checked(None, [_at_row(p, entry) for p in exc.problems])
    if ranges:
        component._ranges = ranges
    return Checked(component, [], resolved)


def _at_row(p: Problem, entry: Entry) -> Problem:
    """A problem with the row's line where the field's own line is not known."""
    return Problem(p.file, p.line or entry.line, p.field, p.message)


class Claim(NamedTuple):
    """The name a (decoded) entry claims, and where: what `Names` checks, in input order."""

    name: str
    file: str
    line: int | None
    field: str


def claim(e: Entry) -> Claim | None:
    name = e.data.get("name") if isinstance(e.data, dict) and e.problem is None else None
    return Claim(name, e.file, e.line, _name_field(e)) if isinstance(name, str) else None


class Names:
    """Names taken so far, in input order: a name taken again is an error naming the first
    one's line (the entry is rejected whatever else is wrong with it)."""

    def __init__(self) -> None:
        self.seen: dict[str, int | None] = {}

    def taken(self, c: Claim | None) -> Problem | None:
        if c is None:
            return None
        if c.name not in self.seen:
            self.seen[c.name] = c.line
            return None
        first = self.seen[c.name]
        where = f"line {first}" if first else "an earlier entry"
        return Problem(c.file, c.line, c.field, f"duplicate name {c.name!r} (first on {where})")


def _name_field(e: Entry) -> str:
    if e.prefix[:1] == ("components",):
        return f"components[{e.prefix[1]}].name"
    return "metadata.name" if e.prefix == ("spec", "runplan") else "name"
