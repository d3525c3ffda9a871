"""Safe YAML and JSON loading with limits, and a map from each value's path to its line.

Loading never runs code: only the safe constructors are used, so Python-specific tags
(`!!python/object`) are rejected. Anchors are allowed, but a document whose aliases expand
past a node budget (the "billion laughs" alias bomb) is refused before it is built.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from runplan.errors import Problem, UserError

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_EXPANDED_NODES = 200_000
MAX_NESTING = 64  # levels of mappings and lists; runplan's own files use fewer than 10

Path_ = tuple[str | int, ...]
LineMap = dict[Path_, int]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a user's file as UTF-8 text, refusing one that is missing, huge or binary."""
    name = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UserError(Problem(name, None, "", "file not found")) from None
    except OSError as exc:
        raise UserError(Problem(name, None, "", f"cannot read: {exc.strerror}")) from None
    if path.is_dir():
        raise UserError(Problem(name, None, "", "is a directory, expected a file"))
    if size > max_bytes:
        raise UserError(
            Problem(name, None, "", f"file is {size:,} bytes; the limit is {max_bytes:,} bytes")
        )
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(
            Problem(name, None, "", f"not UTF-8 text (byte {exc.start} is invalid)")
        ) from None


_TOO_DEEP = f"nested more than {MAX_NESTING} levels deep; refused"


def check_nesting(node: yaml.Node, name: str) -> None:
    """Refuse a document nested deeper than MAX_NESTING before anything walks it recursively (a
    thousand levels overflowed Python's stack: exit 3). Iterative; an aliased node is walked
    again only when reached at a greater depth, so aliases cannot make it slow."""
    deepest: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int]] = [(node, 1)]
    while stack:
        here, depth = stack.pop()
        if isinstance(here, yaml.ScalarNode):
            continue
        if depth > MAX_NESTING:
            raise UserError(Problem(name, here.start_mark.line + 1, "", _TOO_DEEP))
        if deepest.get(id(here), 0) >= depth:
            continue
        deepest[id(here)] = depth
        if isinstance(here, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in here.value)
        elif isinstance(here, yaml.MappingNode):
            stack.extend((child, depth + 1) for pair in here.value for child in pair)


def _expanded_size(node: yaml.Node, memo: dict[int, int], stack: set[int]) -> int:
    key = id(node)
    if key in memo:
        return memo[key]
    if key in stack:  # a recursive alias
        return MAX_EXPANDED_NODES + 1
    stack.add(key)
    total = 1
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            total += _expanded_size(child, memo, stack)
            if total > MAX_EXPANDED_NODES:
                break
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            total += _expanded_size(k, memo, stack) + _expanded_size(v, memo, stack)
            if total > MAX_EXPANDED_NODES:
                break
    stack.discard(key)
    memo[key] = total
    return total


def _line_map(node: yaml.Node, name: str, path: Path_, lines: LineMap, seen: set[int]) -> None:
    lines[path] = node.start_mark.line + 1
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: dict[str, int] = {}
        for k, v in node.value:
            key = str(k.value) if isinstance(k, yaml.ScalarNode) else "?"
            if key in keys:
                raise UserError(
                    Problem(
                        name,
                        k.start_mark.line + 1,
                        ".".join(str(p) for p in (*path, key)),
                        f"duplicate key (first given on line {keys[key]})",
                    )
                )
            keys[key] = k.start_mark.line + 1
            _line_map(v, name, (*path, key), lines, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _line_map(child, name, (*path, i), lines, seen)


def _check_finite(value: Any, path: Path_, name: str, lines: LineMap) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise UserError(
            Problem(name, line_of(lines, path), dotted(path), f"must be a finite number, got {value}")
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
                check_nesting(node, name)
                if _expanded_size(node, {}, set()) > MAX_EXPANDED_NODES:
                    raise UserError(
                        Problem(
                            name,
                            node.start_mark.line + 1,
                            "",
                            f"the document expands to more than {MAX_EXPANDED_NODES:,} values "
                            "through aliases (an alias bomb?); refused",
                        )
                    )
                lines: LineMap = {}
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


def load_data_file(path: Path, max_bytes: int = MAX_FILE_BYTES) -> tuple[Any, LineMap]:
    """A YAML or JSON file (by extension; YAML otherwise, which also reads JSON)."""
    # JSON is read by the YAML parser too, so its errors also carry line numbers.
    return load_yaml(read_text(path, max_bytes), str(path))
