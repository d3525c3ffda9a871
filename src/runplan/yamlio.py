"""Safe YAML and JSON loading with limits, and a map from each value's path to its line.

Loading never runs code: only the safe constructors are used, so Python-specific tags
(`!!python/object`) are rejected. Anchors are allowed, but a document whose aliases would add
more than MAX_ALIAS_VALUES values (the "billion laughs" alias bomb) is refused before it is
built; a document without aliases is limited by its size in bytes only. Numbers are read as
YAML 1.2 and JSON read them: `3e6` is a number (YAML 1.1 wanted `3.0e+6`).

`.json` files are read by a JSON parser (`load_json`): valid JSON only (`0x10`, `1:30` and
`NaN` are not), duplicate keys refused as in YAML. Their line map is worked out only when a
problem needs a line (`SourceLines`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from runplan.errors import Problem, UserError
from runplan.fmt import figure
from runplan.userfile import MAX_FILE_BYTES, read_text

__all__ = ["MAX_FILE_BYTES", "LineMap", "SourceLines", "dotted", "line_of", "load_data_file",
           "load_json", "load_yaml", "load_yaml_documents", "read_text"]

MAX_ALIAS_VALUES = 200_000  # values that aliases may add to a document
MAX_DEPTH = 100  # nesting levels; a profile has fewer than ten
_TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep; runplan files are shallow"

Path_ = tuple[str | int, ...]
LineMap = Mapping[Path_, int]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, with YAML 1.2's numbers: `3e6` and `1E-3` are numbers; `1:30`
    (YAML 1.1's sexagesimal 90), `0x10`, `0o17`, `1_000` are strings, `010` is ten (1.1: eight).
    Stricter than the 1.2 core schema in one way: hexadecimal and octal are not numbers in a
    profile (nobody writes a request volume in hex; a value that looks like one is a mistake,
    reported as "must be a number")."""


# YAML 1.2 core schema, decimal only.
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""", re.VERBOSE)
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_FLOAT_TAG, _INT_TAG)]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(_INT_TAG, _INT, list("-+0123456789"))
_Loader.add_implicit_resolver(_FLOAT_TAG, _FLOAT, list("-+0123456789."))


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    return int(loader.construct_scalar(node), 10)  # `010` is ten, as in YAML 1.2


_Loader.add_constructor(_INT_TAG, _construct_int)


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """A YAML date or time, refused with its line when it is no day of the calendar
    (`2027-02-30`, `2027-13-01`: PyYAML's own constructor raises a bare ValueError)."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        raise yaml.MarkedYAMLError(problem="a date that is not in the calendar (month or day "
                                   "out of range)", problem_mark=node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_shape(root: yaml.Node, name: str) -> None:
    """Refuse a document nested too deeply, or whose aliases would add too many values
    (each value reached again through an alias counts its whole expansion)."""
    size: dict[int, int] = {}  # expanded values under a node, itself included
    on_path: set[int] = set()
    added = 0
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            continue
        if key in size:  # reached again: an alias
            added += size[key]
            if added > MAX_ALIAS_VALUES:
                break
            continue
        if key in on_path:  # an alias to a node that holds it
            added = MAX_ALIAS_VALUES + 1
            break
        if depth > MAX_DEPTH:
            raise UserError(Problem(name, node.start_mark.line + 1, "", _TOO_DEEP))
        on_path.add(key)
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in reversed(_children(node)))
    if added > MAX_ALIAS_VALUES:
        raise UserError(Problem(name, root.start_mark.line + 1, "",
                                f"the document expands to more than {MAX_ALIAS_VALUES:,} "
                                "values through aliases (an alias bomb?); refused"))


def _line_map(node: yaml.Node, name: str, path: Path_, lines: dict[Path_, int],
              seen: set[int], shift: int = 0) -> None:
    """Each value's line (plus `shift`: where the text starts in its file), refusing a
    duplicate key."""
    lines[path] = node.start_mark.line + 1 + shift
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: dict[str, int] = {}
        for k, v in node.value:
            key = str(k.value) if isinstance(k, yaml.ScalarNode) else "?"
            line = k.start_mark.line + 1 + shift
            if key in keys:
                raise UserError(Problem(name, line, dotted((*path, key)),
                                        f"duplicate key (first given on line {keys[key]})"))
            keys[key] = line
            _line_map(v, name, (*path, key), lines, seen, shift)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _line_map(child, name, (*path, i), lines, seen, shift)


def _check_finite(value: Any, path: Path_, name: str, lines: LineMap) -> None:
    """Refuse NaN and infinities (`.nan`, `1e400`) wherever they sit."""
    if isinstance(value, float) and not math.isfinite(value):
        raise UserError(
            Problem(name, line_of(lines, path), dotted(path), f"must be a finite number, got {figure(value)}")
        )
    if isinstance(value, dict):
        for k, v in value.items():
            _check_finite(v, (*path, str(k)), name, lines)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_finite(v, (*path, i), name, lines)


def dotted(path: Path_) -> str:
    """`("components", 3, "traffic", "peak_rps")` -> `components[3].traffic.peak_rps`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(lines: LineMap, path: Path_) -> int | None:
    """The line of the value at `path`, or of its nearest ancestor that has one."""
    while True:
        if path in lines:
            return lines[path]
        if not path:
            return None
        path = path[:-1]


def load_yaml_documents(text: str, name: str) -> list[tuple[Any, LineMap]]:
    """Every document of a YAML stream, each with its line map."""
    docs: list[tuple[Any, LineMap]] = []
    try:
        loader = _Loader(text)
        try:
            while loader.check_node():
                node = loader.get_node()
                if node is None:
                    continue
                _check_shape(node, name)
                lines: dict[Path_, int] = {}
                _line_map(node, name, (), lines, set())
                data = loader.construct_document(node)
                _check_finite(data, (), name, lines)
                docs.append((data, lines))
        finally:
            loader.dispose()
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        tag = (exc.problem or "").split("'")[1] if "'" in (exc.problem or "") else "?"
        raise UserError(
            Problem(name, line, "", f"tag {tag} is not allowed: runplan files are plain data")
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        if "nesting depth" in (exc.problem or ""):  # libyaml's own limit, at 1,000 levels
            raise UserError(Problem(name, line, "", _TOO_DEEP)) from None
        raise UserError(Problem(name, line, "", f"invalid YAML: {exc.problem}")) from None
    except yaml.YAMLError as exc:
        raise UserError(Problem(name, None, "", f"invalid YAML: {exc}")) from None
    except RecursionError:  # the pure-Python parser, without libyaml, recurses as it nests
        raise UserError(Problem(name, None, "", _TOO_DEEP)) from None
    return docs


def load_yaml(text: str, name: str) -> tuple[Any, LineMap]:
    """One YAML document (an empty file is None)."""
    docs = load_yaml_documents(text, name)
    if not docs:
        return None, {}
    if len(docs) > 1:
        raise UserError(Problem(name, None, "", "expected one YAML document, found several"))
    return docs[0]


class SourceLines(Mapping[Path_, int]):
    """The line of each value of a JSON text, worked out on first use only (a batch looks up
    lines for the rows that fail, not for every row). JSON is read as YAML for its marks;
    `first_line` is the text's first line in its file, `prefix` its path there."""

    def __init__(self, text: str, first_line: int = 1, prefix: Path_ = ()) -> None:
        self.text = text
        self.first_line = first_line
        self.prefix = prefix
        self._lines: dict[Path_, int] | None = None

    def _map(self) -> dict[Path_, int]:
        if self._lines is None:
            lines: dict[Path_, int] = {}
            try:
                loader = _Loader(self.text)
                try:
                    node = loader.get_single_node()
                finally:
                    loader.dispose()
                if node is not None:
                    _check_shape(node, "")
                    _line_map(node, "", self.prefix, lines, set())
            except (yaml.YAMLError, UserError, RecursionError):
                lines = {}  # valid JSON that YAML cannot read (tabs, long keys): rows' lines
            shift = self.first_line - 1
            self._lines = {k: v + shift for k, v in lines.items()}
            self._lines.setdefault(self.prefix, self.first_line)
        return self._lines

    def __getitem__(self, key: Path_) -> int:
        return self._map()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._map()

    def __iter__(self) -> Iterator[Path_]:
        return iter(self._map())

    def __len__(self) -> int:
        return len(self._map())

    def __getstate__(self) -> dict[str, Any]:  # sent to workers without what it worked out
        return {**self.__dict__, "_lines": None}


class _Duplicate(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _NotFinite(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return out


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # `1e400`: too large for a float
        raise _NotFinite(text)
    return value


def _constant(text: str) -> float:
    raise _NotFinite(text)


JSON = json.JSONDecoder(object_pairs_hook=_pairs, parse_float=_number, parse_constant=_constant)


def decode_json(text: str, name: str, start: int = 0, first_line: int = 1,
                prefix: Path_ = ()) -> tuple[Any, int]:
    """The JSON value at `text[start:]` and where it ends, or one Problem naming its line;
    `first_line` and `prefix` place `text` in its file (see `SourceLines`)."""
    try:
        return JSON.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise _invalid(exc, text, name, first_line) from None
    except (_Duplicate, _NotFinite) as exc:
        raise _located(exc, text, name, start, first_line, prefix) from None
    except (ValueError, RecursionError) as exc:  # a 5,000-digit integer; 10,000 brackets deep
        kind = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        line = first_line + text.count("\n", 0, start)
        raise UserError(Problem(name, line, dotted(prefix), f"invalid JSON: {kind}")) \
            from None


def _invalid(exc: json.JSONDecodeError, text: str, name: str, first_line: int) -> UserError:
    line = first_line + text.count("\n", 0, exc.pos)
    col = exc.pos - text.rfind("\n", 0, exc.pos)
    return UserError(Problem(name, line, "", f"invalid JSON: {exc.msg} (column {col})"))


def _not_finite(text: str) -> str:
    """A JSON constant or overflowing number as messages show it (never its text)."""
    try:
        return figure(float(text))
    except ValueError:
        return "a number too large to use"


def _located(exc: _Duplicate | _NotFinite, text: str, name: str, start: int, first_line: int,
             prefix: Path_) -> UserError:
    """A duplicate key or a non-finite number, with its field and line where they can be
    found (read again without the checks, for the value's end and its marks)."""
    here = first_line + text.count("\n", 0, start)
    try:
        data, end = json.JSONDecoder().raw_decode(text, start)
        span = text[start:end]
        if isinstance(exc, _NotFinite):
            _check_finite(data, prefix, name, SourceLines(span, here, prefix))
        else:  # the YAML composer finds the duplicate's line (and raises it as a UserError)
            _line_map(_Loader(span).get_single_node(), name, prefix, {}, set(), here - 1)
    except UserError as found:
        return found
    except json.JSONDecodeError as broken:  # broken after the duplicate: that first
        return _invalid(broken, text, name, first_line)
    except (yaml.YAMLError, ValueError, RecursionError):
        pass  # no field or line for it: the value's own
    if isinstance(exc, _NotFinite):
        return UserError(Problem(name, here, dotted(prefix), "must be a finite number, got "
                                 f"{_not_finite(str(exc))}"))
    return UserError(Problem(name, here, dotted(prefix), f"duplicate key {json.dumps(exc.key)}"))


def load_json(text: str, name: str) -> tuple[Any, LineMap]:
    """One JSON document (an empty file is None), with its line map worked out on demand."""
    if not text.strip():
        return None, {}
    data, end = decode_json(text, name)
    rest = text[end:]
    if rest.strip():
        line = text.count("\n", 0, end + len(rest) - len(rest.lstrip())) + 1
        raise UserError(Problem(name, line, "", "invalid JSON: extra data after the document"))
    return data, SourceLines(text)


def is_json(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def load_data_file(path: Path, max_bytes: int = MAX_FILE_BYTES) -> tuple[Any, LineMap]:
    """A YAML or JSON file (JSON by the `.json` extension, YAML otherwise)."""
    text = read_text(path, max_bytes)
    return load_json(text, str(path)) if is_json(path) else load_yaml(text, str(path))
