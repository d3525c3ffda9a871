"""The questionnaire as data (kbase/questions.yaml) and how an answer is read.

Loading validates the file against kbase/schemas/questions.schema.json and checks what the
schema cannot: every `field` is a profile field, every `group` exists, every `ask_if` reads
profile fields only, defaults are valid answers. `parse_answer` turns what a person typed
(`2k`, `300ms`, `2GB`, `90%`, a choice's number or name, `y`) into the profile's value or
raises ValueError saying what it expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from runplan import units
from runplan.errors import Problem, UserError
from runplan.inventory import column_types
from runplan.paths import kbase_dir
from runplan.profile import FIELD_PATHS
from runplan.rulebase.load import parse_cond
from runplan.rulebase.spec import Cond, FieldCond, leaves
from runplan.uncertainty.ranges import RANGEABLE, parse_range
from runplan.validation import validate
from runplan.yamlio import line_of, load_data_file

# Volume questions offer "a range" in their hint; any numeric field takes one.
VOLUMES = frozenset({"traffic.requests_per_month", "traffic.avg_rps", "traffic.peak_rps"})
NONE_WORDS = ("none", "null", "-", "n/a", "no slo", "no", "n")
YES = ("y", "yes", "true", "1")
NO = ("n", "no", "false", "0")
_UNSET = object()


@dataclass(frozen=True)
class Question:
    id: str
    group: str
    field: str
    prompt: str
    type: str
    help: str
    source: str
    choices: tuple[tuple[str, str], ...] = ()
    suggestions: tuple[str, ...] = ()
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    nullable: bool = False
    default: Any = None  # None: runplan's own default applies (an assumption)
    ask_if: Cond | None = None
    skip_if_excluded: tuple[str, ...] = ()

    def hint(self) -> str:
        """What to type: the unit and the default, as shown in the prompt."""
        parts = []
        if self.type == "boolean":
            parts.append("y/n")
        elif self.unit:
            parts.append(self.unit)
        if self.field in VOLUMES:
            parts.append("or a range, e.g. 2k..8k")
        if self.default == []:
            parts.append("Enter: none")
        elif self.default is not None:
            shown = self.default
            if self.type == "boolean":
                shown = "y" if self.default else "n"
            parts.append(f"Enter: {shown}")
        elif self.type != "text":
            parts.append("Enter: runplan's default")
        return f" [{', '.join(parts)}]" if parts else ""


@dataclass(frozen=True)
class Questionnaire:
    groups: tuple[tuple[str, str], ...]
    questions: tuple[Question, ...]

    def get(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)

    def by_field(self, field: str) -> Question | None:
        return next((q for q in self.questions if q.field == field), None)


def parse_answer(q: Question, text: str) -> Any:
    """The profile value for what was typed (not empty: Enter is handled by the caller)."""
    t = text.strip()
    if q.type == "text":
        if not t:
            raise ValueError("an answer is needed")
        return t
    if q.type == "choice":
        values = [v for v, _ in q.choices]
        if t.isascii() and t.isdigit() and len(t) <= 4 and 1 <= int(t) <= len(values):
            return values[int(t) - 1]
        low = t.lower()
        if low in values:
            return low
        starts = [v for v in values if v.startswith(low)]
        if len(starts) == 1:
            return starts[0]
        raise ValueError(f"choose 1-{len(values)} or one of: {', '.join(values)}")
    if q.type == "boolean":
        if t.lower() in YES:
            return True
        if t.lower() in NO:
            return False
        raise ValueError("answer y or n")
    if q.type == "list":
        if t.lower() in NONE_WORDS:
            return []
        return [x.strip().lower() for x in t.replace(";", ",").split(",") if x.strip()]
    if q.nullable and t.lower() in NONE_WORDS:
        return None
    if ".." in t and q.field in RANGEABLE:
        return _range(q, t)
    value = units.quantity(t, q.unit)
    if q.min is not None and value < q.min:
        raise ValueError(f"must be at least {q.min:g}{_unit(q)}, got {value:g}")
    if q.max is not None and value > q.max:
        raise ValueError(f"must be at most {q.max:g}{_unit(q)}, got {value:g}")
    if q.type == "integer":
        if abs(value) >= 2**53:  # past where a float holds every whole number
            raise ValueError(f"{units.quoted(t)} is too large a number")
        if value != int(value):
            raise ValueError(f"must be a whole number, got {value:g}")
        return int(value)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _range(q: Question, raw: Any) -> Any:
    """A range answer (`2k..8k`, `{low: .., high: ..}`), checked as the profile checks it
    (`uncertainty.ranges`) and its ends against the question's bounds; kept as given, for
    the profile."""
    dist = parse_range(raw, q.field)
    assert dist is not None
    for end in (dist.low, dist.high):
        if q.min is not None and end < q.min:
            raise ValueError(f"must be at least {q.min:g}{_unit(q)}, got {end:g}")
        if q.max is not None and end > q.max:
            raise ValueError(f"must be at most {q.max:g}{_unit(q)}, got {end:g}")
    return raw


def _unit(q: Question) -> str:
    return f" {q.unit}" if q.unit and q.unit != "share" else ""


def coerce(q: Question, value: Any) -> Any:
    """An answer from an --answers file: typed text is parsed, plain values are checked."""
    if isinstance(value, str):
        return parse_answer(q, value)
    if value is None:
        if q.nullable:
            return None
        raise ValueError("needs a value")
    if q.type == "boolean":
        if isinstance(value, bool):
            return value
        raise ValueError("answer true or false")
    if q.type == "list":
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v.lower() for v in value]
        raise ValueError("expected a list of names")
    if isinstance(value, dict) and q.field in RANGEABLE:
        return _range(q, value)
    if q.type in ("number", "integer") and isinstance(value, int | float) and \
            not isinstance(value, bool):
        return parse_answer(q, repr(value))
    raise ValueError(f"expected a {q.type}")


@cache
def load_questionnaire(path: Path | None = None) -> Questionnaire:
    """kbase/questions.yaml, checked (see the module docstring)."""
    path = path or kbase_dir() / "questions.yaml"
    data, lines = load_data_file(path)
    file = str(path)
    problems = validate(data, "questions", file, lines)
    if problems:
        raise UserError(problems)
    groups = tuple((g["id"], g["title"]) for g in data["groups"])
    group_ids = {g for g, _ in groups}
    known = set(column_types())
    profile_fields = set(FIELD_PATHS.values())
    out: list[Question] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["questions"]):
        where = ("questions", i)

        def bad(key: str, message: str, where: tuple[str | int, ...] = where) -> None:
            problems.append(Problem(file, line_of(lines, (*where, key)),
                                    f"questions[{where[1]}].{key}", message))

        if raw["id"] in seen:
            bad("id", f"duplicate question id {raw['id']!r}")
        seen.add(raw["id"])
        if raw["field"] not in known:
            bad("field", f"{raw['field']!r} is not a profile field")
        if raw["group"] not in group_ids:
            bad("group", f"unknown group {raw['group']!r}")
        cond = parse_cond(raw["ask_if"]) if "ask_if" in raw else None
        if cond is not None:
            for leaf in leaves(cond):
                if not isinstance(leaf, FieldCond) or leaf.field not in profile_fields:
                    bad("ask_if", "may read profile fields only")
        q = Question(raw["id"], raw["group"], raw["field"], raw["prompt"], raw["type"],
                     " ".join(raw["help"].split()), raw["source"],
                     tuple((c["value"], c["label"]) for c in raw.get("choices", [])),
                     tuple(raw.get("suggestions", [])), raw.get("unit"), raw.get("min"),
                     raw.get("max"), raw.get("nullable", False), raw.get("default"), cond,
                     tuple(raw.get("skip_if_excluded", [])))
        if q.default is not None:
            try:
                coerce(q, q.default)
            except ValueError as exc:
                bad("default", str(exc))
        out.append(q)
    if problems:
        raise UserError(problems)
    order = {g: i for i, (g, _) in enumerate(groups)}
    return Questionnaire(groups, tuple(sorted(out, key=lambda q: order[q.group])))
