"""Read an architecture decision record: MADR 4.0, or the older Nygard form, with lines.

MADR 4.0: YAML front matter (status, date, decision-makers, consulted, informed, and runplan's
own `runplan:` key), a `#` title, and `##` sections: Context and Problem Statement, Decision
Drivers, Considered Options, Decision Outcome (with `Chosen option: "X", because ...` and
`### Consequences` / `### Confirmation`), Pros and Cons of the Options, More Information.
Nygard: `# N. Title` and `## Status`, `## Context`, `## Decision`, `## Consequences`.
Every element keeps its line, so findings can point at it. Headings, ATX (`## Status`) and
setext (a line underlined with `===` or `---`), are found by a CommonMark parser (markdown-it-py),
not by a pattern: a record is anyone's text in CI, and the old heading pattern backtracked
cubically on a long line. Every pattern left here runs in linear time on any line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt

from runplan.errors import Problem, UserError
from runplan.yamlio import LineMap, load_yaml

MADR_SECTIONS = ("context and problem statement", "decision drivers", "considered options",
                 "decision outcome", "consequences", "confirmation",
                 "pros and cons of the options", "more information")
NYGARD_SECTIONS = ("status", "context", "decision", "consequences")
# Headings are block structure: the inline pass (emphasis, links), where a parser spends its
# time on hostile text, is not needed, and a heading's text is kept as written.
_MARKDOWN = MarkdownIt("commonmark").disable(["inline", "text_join"])
CHOSEN = re.compile(r'Chosen option:\s*"([^"]+)"|Chosen option:\s*`([^`]+)`|'
                    r"Chosen option:\s*([^,\n]+)", re.IGNORECASE)


_BULLET = re.compile(r"\s*[*+-]\s+(.*)")


@dataclass(frozen=True)
class Item:
    text: str
    line: int


@dataclass
class Section:
    title: str
    level: int
    line: int
    body: list[Item] = field(default_factory=list)

    def bullets(self) -> list[Item]:
        return [Item(m.group(1).strip(), i.line) for i in self.body
                if (m := _BULLET.match(i.text))]

    def text(self) -> str:
        return "\n".join(i.text for i in self.body)


@dataclass
class Record:
    """One decision record as read."""

    file: str
    form: str  # "madr" | "nygard"
    title: Item | None
    front: dict[str, Any]
    front_lines: LineMap
    front_start: int  # line of the opening ---, 0 without front matter
    sections: dict[str, Section]
    chosen: Item | None
    options: list[Item]
    status: Item | None

    def section(self, name: str) -> Section | None:
        return self.sections.get(name)

    def front_line(self, *path: str | int) -> int:
        """The line of a front matter value (its key's line), or of the front matter."""
        key: tuple[str | int, ...] = tuple(path)
        while key and key not in self.front_lines:
            key = key[:-1]
        return self.front_lines.get(key, self.front_start or 1)


class NotAnAdr(Exception):
    """Markdown that is not a decision record (skipped with a note)."""


def _front_matter(text: str, file: str) -> tuple[dict[str, Any], LineMap, int, int]:
    """(data, line map in file lines, line of the opening ---, first line after the closing)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, {}, 0, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise UserError(Problem(file, 1, "front matter", "opened with --- but never closed"))
    block = "\n".join(lines[1:end])
    try:
        data, local = load_yaml(block, file)
    except UserError as exc:
        # Lines inside the block are one below their place in the file; an error found only
        # at the block's end (an unclosed bracket) points at its last line.
        raise UserError([Problem(p.file, min(p.line, end - 1) + 1 if p.line else 2,
                                 p.field or "front matter", p.message)
                         for p in exc.problems]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError(Problem(file, 2, "front matter", "must be a YAML mapping"))
    return data, {k: v + 1 for k, v in local.items()}, 1, end + 2


def parse_record(text: str, file: str) -> Record:
    """A MADR 4.0 or Nygard record; NotAnAdr when it is neither (no decision headings)."""
    front, front_lines, front_start, body_start = _front_matter(text, file)
    lines = text.splitlines()
    opening = max(body_start, 1)  # the body's first line, 1-based
    headings = _headings(lines[opening - 1:], opening)
    title: Item | None = None
    sections: dict[str, Section] = {}
    current: Section | None = None
    number = opening
    while number <= len(lines):
        raw = lines[number - 1]
        heading = headings.get(number)
        if heading is None:
            if current is not None:
                current.body.append(Item(raw, number))
            number += 1
            continue
        level, words, end = heading
        if level == 1 and title is None:
            title = Item(words, number)
            current = None
        elif (key := _section_key(words)) is not None and key not in sections:
            current = Section(words, level, number)
            sections[key] = current
        elif current is not None and level > current.level:
            # a sub-heading, e.g. an option, kept as its lines
            current.body.extend(Item(lines[n - 1], n) for n in range(number, end))
        else:
            current = None
        number = end
    madr = sum(1 for k in sections if k in MADR_SECTIONS and k not in ("consequences",))
    nygard = all(k in sections for k in ("status", "decision")) or (
        "decision" in sections and "context" in sections and not madr)
    if not madr and not nygard and "runplan" not in front:
        raise NotAnAdr(file)
    form = "madr" if madr or front else "nygard"
    options: list[Item] = []
    if "considered options" in sections:
        options = [Item(_plain(b.text), b.line) for b in sections["considered options"].bullets()]
    chosen = None
    outcome = sections.get("decision outcome") or sections.get("decision")
    if outcome is not None:
        for item in outcome.body:
            cm = CHOSEN.search(item.text)
            if cm:
                chosen = Item(_plain(next(g for g in cm.groups() if g)), item.line)
                break
        if chosen is None and form == "nygard":
            body = " ".join(i.text.strip() for i in outcome.body if i.text.strip())
            first = next((i for i in outcome.body if i.text.strip()), None)
            if first is not None:
                chosen = Item(body, first.line)
    status = None
    if "status" in front:
        status = Item(str(front["status"]), front_lines.get(("status",), 1))
    elif "status" in sections:
        first = next((i for i in sections["status"].body if i.text.strip()), None)
        if first is not None:
            status = Item(first.text.strip(), first.line)
    return Record(file, form, title, front, front_lines, front_start, sections, chosen,
                  options, status)


def _headings(body: list[str], first: int) -> dict[int, tuple[int, str, int]]:
    """Top-level headings of the body by line: (level, text, the line after the heading)."""
    found: dict[int, tuple[int, str, int]] = {}
    tokens = _MARKDOWN.parse("\n".join(body))
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or token.level != 0 or token.map is None:
            continue
        start, end = token.map
        # a setext heading may run over lines: one line of text, as an ATX heading is
        words = " ".join(line.strip() for line in tokens[i + 1].content.splitlines())
        found[start + first] = (int(token.tag[1:]), words, end + first)
    return found


def _section_key(heading: str) -> str | None:
    h = re.sub(r"\s+", " ", heading.strip().lower())
    for name in (*MADR_SECTIONS, *NYGARD_SECTIONS):
        if h == name:
            return name
    return None


def _plain(text: str) -> str:
    """Markdown emphasis, links and code marks taken off an option's name."""
    # Neither bracket class crosses an opening bracket, so no start rescans the line.
    t = re.sub(r"\[([^\[\]]+)\]\([^()]*\)", r"\1", text)
    t = re.sub(r"[*_`]+", "", t)
    return t.strip().rstrip(".").strip()
