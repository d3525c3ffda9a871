"""Rule files (YAML, one theme each) -> validated `RuleSpec`s.

Every load validates against kbase/schemas/rules.schema.json, then checks what a schema cannot:
unique ids across all files, known field names, known message placeholders, facts that some
rule asserts, and no cycles among derived facts. Each problem names the file, line and rule id.
Loading never runs code: the YAML is read with the safe loader and nothing is evaluated.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runplan.errors import Problem, UserError
from runplan.facts import KNOWN_FIELDS
from runplan.fmt import num
from runplan.paths import rules_dir
from runplan.rulebase.compile import negate, placeholders, stratify
from runplan.rulebase.spec import (
    AllCond,
    AnyCond,
    Cond,
    FactCond,
    FactGrade,
    FieldCond,
    GradeTerm,
    Ramp,
    RuleSpec,
    leaves,
)
from runplan.validation import validate
from runplan.yamlio import LineMap, load_yaml, read_text

MAX_RULE_FILE_BYTES = 1024 * 1024
# What a rule condition may be, so that it runs: the engine expands `any` inside `all` into
# alternatives (the built-in rules need at most 2) and walks conditions recursively (they nest
# at most 2 levels). 2^10 alternatives took 7 s per component; 150 levels overflowed the stack.
MAX_CONDITION_DEPTH = 8
MAX_ALTERNATIVES = 32


@dataclass(frozen=True)
class RuleBase:
    rules: tuple[RuleSpec, ...]
    tiers: dict[str, int]
    files: tuple[str, ...]

    def get(self, rule_id: str) -> RuleSpec | None:
        for r in self.rules:
            if r.id == rule_id or rule_id in r.aliases:
                return r
        return None


def parse_cond(raw: dict[str, Any]) -> Cond:
    """A condition in the rule language (already schema-checked) as a typed tree."""
    if "all" in raw:
        return AllCond(tuple(parse_cond(c) for c in raw["all"]))
    if "any" in raw:
        return AnyCond(tuple(parse_cond(c) for c in raw["any"]))
    if "not" in raw:
        return negate(parse_cond(raw["not"]))
    if "fact" in raw:
        return FactCond(raw["fact"])
    return FieldCond(raw["field"], raw["op"], raw.get("value", True if raw["op"] == "exists"
                                                       else None))


def depth(cond: Cond) -> int:
    """How many `all`/`any` levels a condition nests (a single test is 0)."""
    if isinstance(cond, AllCond | AnyCond):
        return 1 + max(depth(c) for c in cond.items)
    return 0


def alternatives(cond: Cond, cap: int = MAX_ALTERNATIVES + 1) -> int:
    """How many alternatives (`all` of single tests) the condition is, counted up to `cap`."""
    if isinstance(cond, AllCond):
        total = 1
        for c in cond.items:
            total = min(cap, total * alternatives(c, cap))
        return total
    if isinstance(cond, AnyCond):
        return min(cap, sum(alternatives(c, cap) for c in cond.items))
    return 1


def can_hold(cond: Cond, absent: set[str]) -> bool:
    """Whether the condition can hold while the `absent` facts are never asserted."""
    if isinstance(cond, FactCond):
        return cond.negate or cond.fact not in absent
    if isinstance(cond, AllCond):
        return all(can_hold(c, absent) for c in cond.items)
    if isinstance(cond, AnyCond):
        return any(can_hold(c, absent) for c in cond.items)
    return True


def _runnable(cond: Cond) -> str | None:
    """Why the engine could not run the condition, or a part of it can never hold, or None."""
    for leaf in leaves(cond):
        if isinstance(leaf, FieldCond) and leaf.op == "between" and leaf.value[0] > leaf.value[1]:
            low, high = num(leaf.value[0], 6), num(leaf.value[1], 6)
            return (f"{leaf.field} between {low} and {high} holds for no "
                    "value: give the lower bound first")
    levels = depth(cond)
    if levels > MAX_CONDITION_DEPTH:
        return (f"conditions nested {levels} levels deep; at most {MAX_CONDITION_DEPTH}: "
                "split the rule, or assert a fact and read it")
    if alternatives(cond) > MAX_ALTERNATIVES:
        return (f"the condition expands to more than {MAX_ALTERNATIVES} alternatives (each "
                "`any` inside an `all` multiplies them): split the rule, or assert a fact "
                "and read it")
    return None


def parse_grade(raw: list[dict[str, Any]]) -> tuple[GradeTerm, ...]:
    """`then.grade` (already schema-checked) as typed terms."""
    return tuple(FactGrade(t["fact"]) if "fact" in t else
                 Ramp(t["field"], float(t["from"]), float(t["to"]), t.get("scale") == "log")
                 for t in raw)


def _grade_problems(raw: list[dict[str, Any]], where: str, line: int, lines: LineMap,
                    base: tuple[str | int, ...], has_score: bool,
                    ) -> Iterable[tuple[int, str, str]]:
    """What a schema cannot say about a grade: (line, field, message) per problem."""
    if raw and not has_score:
        yield line, f"{where}: then.grade", "a grade scales the score: the rule needs a score"
    for i, t in enumerate(raw):
        at = lines.get((*base, "then", "grade", i), line)
        if "fact" in t:
            continue
        if t["field"] not in KNOWN_FIELDS:
            yield at, f"{where}: then.grade[{i}].field", \
                f"unknown field '{t['field']}'{_suggest(t['field'], KNOWN_FIELDS)}"
        if t["from"] == t["to"]:
            yield at, f"{where}: then.grade[{i}]", "from and to must differ (a ramp, not a step)"
        if t.get("scale") == "log" and (t["from"] <= 0 or t["to"] <= 0):
            yield at, f"{where}: then.grade[{i}]", "a log ramp needs from and to above 0"


def _walk_fields(raw: Any, path: tuple[str | int, ...]) -> Iterable[tuple[str, tuple[str | int, ...]]]:
    if isinstance(raw, dict):
        if "field" in raw:
            yield raw["field"], (*path, "field")
        for key in ("all", "any"):
            for i, c in enumerate(raw.get(key, [])):
                yield from _walk_fields(c, (*path, key, i))
        if "not" in raw:
            yield from _walk_fields(raw["not"], (*path, "not"))


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def parse_rule_file(path: Path) -> tuple[list[RuleSpec], list[Problem]]:
    """The rules of one file, or the problems that stop it loading."""
    name = str(path)
    data, lines = load_yaml(read_text(path, MAX_RULE_FILE_BYTES), name)
    if not isinstance(data, dict):
        return [], [Problem(name, 1, "", "a rule file must be a mapping with theme and rules")]
    problems = validate(data, "rules", name, lines)
    if problems:
        found = data.get("rules")
        raw_rules: list[Any] = found if isinstance(found, list) else []
        return [], [_with_rule_id(p, raw_rules, lines) for p in problems]
    specs: list[RuleSpec] = []
    for i, raw in enumerate(data["rules"]):
        base = ("rules", i)
        line = lines.get(base, 0)
        rid = raw["id"]
        for field, fpath in _walk_fields(raw["when"], (*base, "when")):
            if field not in KNOWN_FIELDS:
                problems.append(Problem(name, lines.get(fpath, line), f"{rid}: when",
                                        f"unknown field '{field}'{_suggest(field, KNOWN_FIELDS)}"))
        when = parse_cond(raw["when"])
        if (why := _runnable(when)) is not None:
            problems.append(Problem(name, lines.get((*base, "when"), line), f"{rid}: when",
                                    why))
        then = raw["then"]
        problems += [Problem(name, at, fld, msg) for at, fld, msg in _grade_problems(
            then.get("grade", []), rid, line, lines, base, bool(then.get("score")))]
        for ph in placeholders(then["message"]):
            if ph not in KNOWN_FIELDS:
                problems.append(Problem(name, lines.get((*base, "then", "message"), line),
                                        f"{rid}: then.message",
                                        f"unknown placeholder {{{ph}}}{_suggest(ph, KNOWN_FIELDS)}"))
        specs.append(RuleSpec(
            id=rid, title=raw["title"], source=raw["source"], rationale=raw["rationale"].strip(),
            when=when, asserts=tuple(then.get("assert", [])),
            score=tuple(sorted(then.get("score", {}).items())),
            grade=parse_grade(then.get("grade", [])),
            exclude=tuple(then.get("exclude", [])), message=then["message"].strip(),
            theme=data["theme"], file=name, line=line,
            recommendation=raw.get("recommendation", "").strip(),
            aliases=tuple(raw.get("aliases", [])), examples=raw.get("examples", {})))
    return specs, problems


def _with_rule_id(p: Problem, raw_rules: list[Any], lines: LineMap) -> Problem:
    """Prefix a schema problem's field with the id of the rule it sits in, when known."""
    if p.field.startswith("rules["):
        index = int(p.field[6:p.field.index("]")])
        if index < len(raw_rules) and isinstance(raw_rules[index], dict):
            rid = raw_rules[index].get("id", f"rules[{index}]")
            return Problem(p.file, p.line, f"{rid}: {p.field}", p.message)
    return p


def rule_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise UserError(Problem(str(directory), None, "", "not a directory of rule files"))
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def load_rulebase(extra_dirs: Iterable[Path] = (), include_builtin: bool = True) -> RuleBase:
    """The built-in rules plus each `--rules DIR`, validated together."""
    files: list[Path] = rule_files(rules_dir()) if include_builtin else []
    for d in extra_dirs:
        found = rule_files(d)
        if not found:
            raise UserError(Problem(str(d), None, "", "no .yaml rule files in this directory"))
        files += found
    specs: list[RuleSpec] = []
    problems: list[Problem] = []
    for f in files:
        file_specs, file_problems = parse_rule_file(f)
        specs += file_specs
        problems += file_problems
    seen: dict[str, RuleSpec] = {}
    for s in specs:
        for key in (s.id, *s.aliases):
            if key in seen:
                first = seen[key]
                problems.append(Problem(s.file, s.line, s.id,
                                        f"rule id {key} is already used at {first.file}:{first.line}"))
            seen[key] = s
    producers: dict[str, set[str]] = {}
    for s in specs:
        for fact in s.asserts:
            producers.setdefault(fact, set()).add(s.id)
    for s in specs:
        for fact in s.facts_needed():
            if fact not in producers:
                where = "when" if fact in s.facts_read() else "then.grade"
                problems.append(Problem(s.file, s.line, f"{s.id}: {where}",
                                        f"fact '{fact}' is asserted by no rule"
                                        f"{_suggest(fact, producers)}"))
        own = {f for f in s.facts_read() if producers.get(f) == {s.id}}
        if own and not can_hold(s.when, own):
            problems.append(Problem(s.file, s.line, f"{s.id}: when",
                                    f"reads fact '{min(own)}', which only this rule asserts: "
                                    "it can never fire"))
    if problems:
        raise UserError(problems)
    try:
        tiers = stratify(specs)
    except ValueError as exc:
        raise UserError(Problem(files[0].parent.as_posix(), None, "", str(exc))) from None
    return RuleBase(tuple(specs), tiers, tuple(str(f) for f in files))
