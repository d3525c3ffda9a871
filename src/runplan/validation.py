"""JSON Schema validation whose errors read as one actionable line each (cfgv style).

`inventory.yaml:14: error: components[3].traffic.peak_rps: must be at least 0, got -5`
"""

from __future__ import annotations

import difflib
import json
import math
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runplan.errors import Problem
from runplan.fmt import figure
from runplan.paths import kbase_dir, rules_dir
from runplan.yamlio import LineMap, dotted, line_of

if TYPE_CHECKING:  # jsonschema is imported when a document is first validated
    import jsonschema
    from jsonschema.exceptions import ValidationError


@cache
def schema(name: str) -> dict[str, Any]:
    """A JSON Schema from kbase/schemas/ by file stem, e.g. `component`."""
    path: Path = kbase_dir() / "schemas" / f"{name}.schema.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


@cache
def validator(name: str) -> jsonschema.protocols.Validator:
    """A validator for one kbase schema; `$ref`s to the others resolve by their `$id`.
    The schemas ship with runplan and are checked against their meta-schema by the tests
    (`test_validation.py`), not on every start: that check was a fifth of start-up."""
    import jsonschema
    from referencing import Registry, Resource

    cls = jsonschema.validators.validator_for(schema(name))
    registry: Registry = Registry().with_resources(
        (schema(p.stem.removesuffix(".schema"))["$id"],
         Resource.from_contents(schema(p.stem.removesuffix(".schema"))))
        for p in sorted((kbase_dir() / "schemas").glob("*.schema.json")))
    return cls(schema(name), registry=registry)


def _number(value: float) -> str:
    """A bound or a user's number as the messages show numbers (`100,000,000`, never
    `100000000.0`, `1e+308` or `Infinity`); an integer past a float's range is too large."""
    try:
        return figure(float(value))
    except OverflowError:
        return figure(math.inf if value > 0 else -math.inf)


def _short(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number(value)
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _is_branch(error: ValidationError, index: Any, name: str) -> bool:
    """Whether branch `index` of an anyOf is the profile's `$defs/name`
    (`profile.profile_schema`)."""
    options = error.schema.get("anyOf") if isinstance(error.schema, dict) else None
    return isinstance(options, list) and isinstance(index, int) and index < len(options) \
        and options[index] == {"$ref": f"#/$defs/{name}"}


def _is_range(error: ValidationError, index: Any) -> bool:
    """Whether branch `index` of an anyOf is the profile's range."""
    return _is_branch(error, index, "Range")


def _looks_like_range(value: Any) -> bool:
    return (isinstance(value, str) and ".." in value) or isinstance(value, dict)


def _leaf_errors(error: ValidationError) -> list[ValidationError]:
    """For anyOf/oneOf, every problem of the branch the value fits (the one whose type it
    has: an object given for `object or null` is checked as an object, each of its problems
    reported), instead of 'is not valid under any'; with no such branch, the first's."""
    if error.validator in ("anyOf", "oneOf", "allOf") and error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for e in error.context:
            branches.setdefault(e.relative_schema_path[0], []).append(e)
        here = len(error.absolute_path)

        def fits(index: Any, errors: list[ValidationError]) -> bool:
            if _is_range(error, index) and not _looks_like_range(error.instance):
                return False  # a plain value: the number's problem, not the range syntax's
            if _is_branch(error, index, "UnitValue"):
                return False  # its text is read (and refused) by the unit parser, not here
            return not any(e.validator == "type" and len(e.absolute_path) == here
                           for e in errors)

        fitting = [b for i, b in branches.items() if fits(i, b)]
        if fitting:
            best = max(fitting, key=lambda b: max(len(e.absolute_path) for e in b))
            return [leaf for e in best for leaf in _leaf_errors(e)]
        first = next(iter(branches.values()))
        return [leaf for e in first for leaf in _leaf_errors(e)][:1]
    return [error]


def describe(error: Any) -> tuple[tuple[str | int, ...], str]:
    """The path and a plain-language message for one schema error."""
    path = tuple(error.absolute_path)
    v, inst, arg = error.validator, error.instance, error.validator_value
    if v == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        # Keys sorted as text: YAML keys may be numbers (`{1: 2}`), which do not sort with str.
        extra = sorted((k for k in inst if k not in allowed), key=str) \
            if isinstance(inst, dict) else []
        if extra:
            key = extra[0]
            return (*path, key), (
                f"unknown field{_suggest(str(key), allowed)}; allowed: {', '.join(allowed)}"
            )
    if v == "enum":
        choices = [str(c) for c in arg]
        hint = _suggest(str(inst), choices) if isinstance(inst, str) else ""
        return path, f"must be one of {', '.join(choices)}; got {_short(inst)}{hint}"
    if v == "const":
        return path, f"must be {_short(arg)}; got {_short(inst)}"
    if v == "type":
        kinds = arg if isinstance(arg, list) else [arg]
        return path, f"must be {' or '.join(kinds)}; got {_short(inst)}"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        words = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than",
                 "exclusiveMaximum": "less than"}
        return path, f"must be {words[v]} {_number(arg)}, got {_short(inst)}"
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return (*path, missing), "is required"
    if v == "pattern":
        return path, f"must match {arg}; got {_short(inst)}"
    if v in ("minLength", "minItems", "maxItems", "maxLength", "minProperties"):
        return path, f"{error.message}"
    return path, error.message


@cache
def _shipped_dirs() -> tuple[Path, ...]:
    return tuple(d.resolve() for d in (kbase_dir(), rules_dir()))


def shipped(file: str) -> bool:
    """Whether `file` is one of the kbase or rule files runplan ships."""
    path = Path(file).resolve()
    return any(path.is_relative_to(d) for d in _shipped_dirs())


def validate(data: Any, schema_name: str, file: str, lines: LineMap,
             prefix: tuple[str | int, ...] = (), trust_shipped: bool = True) -> list[Problem]:
    """All schema problems of `data`, sorted by line, as Problems naming file, line and field.
    The files runplan ships are trusted (`trust_shipped`): the tests validate every one of
    them (`test_validation.py`), and validating them at every start was a sixth of the
    start-up of `runplan advise` (jsonschema's import, then the checks). Everything a user
    hands in is validated."""
    if trust_shipped and shipped(file):
        return []
    problems: list[Problem] = []
    errors = sorted(validator(schema_name).iter_errors(data), key=lambda e: list(map(str, e.path)))
    for top in errors:
        for err in _leaf_errors(top):
            path, message = describe(err)
            full = (*prefix, *path)
            problems.append(Problem(file, line_of(lines, full), dotted(full), message))
    problems.sort(key=lambda p: (p.line or 0, p.field))
    return problems
