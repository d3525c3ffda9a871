"""Every built-in rule's and question's `source` can be checked by a reader.

A source is one or more references separated by "; ", each of them one of:

- `article §N (TITLE)`, optionally `: what the section says`, where TITLE is section N's exact
  title as shipped in kbase/article.yaml;
- `article Summary Comparison, row ROW` or `rows ROW, ROW and ROW` (rows of the article's table);
- `article Final verdict`, optionally `: what it says`;
- `kbase KEY, KEY` (keys as `runplan kbase show` prints them, e.g. aws.functions.max_duration_s),
  optionally ` (a note)`: each key must exist in the bundled kbase;
- a named reference with its address: `NAME, https://...`, optionally ` (a note)`.

Anything else (a document runplan does not ship, a section number without its title, a title
that is not the article's) fails, so a new rule or question must cite checkably too.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from runplan.kbase import KnowledgeBase
from runplan.questions import load_questionnaire
from runplan.rulebase.load import RuleBase

from .conftest import ROOT

ARTICLE = yaml.safe_load((ROOT / "kbase" / "article.yaml").read_text())
SECTION = re.compile(r"article §(\d+) \(([^()]+)\)(?:: (.+))?")
TABLE = re.compile(r"article Summary Comparison, (rows?) (.+)")
VERDICT = re.compile(r"article Final verdict(?:: (.+))?")
KBASE = re.compile(r"kbase ([a-z0-9_.-]+(?:, [a-z0-9_.-]+)*)(?: \([^()]+\))?")
NAMED = re.compile(r"([^;§]+?),? (https?://\S+?)(?: \(([^()]+)\))?")


def _has_key(raw: dict[str, Any], key: str) -> bool:
    node: Any = raw
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def reference_problem(ref: str, kb: KnowledgeBase) -> str | None:
    """What is wrong with one reference, or None when a reader can check it."""
    if m := SECTION.fullmatch(ref):
        number, title = int(m.group(1)), m.group(2)
        shipped = ARTICLE["sections"].get(number)
        if shipped is None:
            return f"the article has no §{number}"
        return None if title == shipped else f"§{number} is titled {shipped!r}, not {title!r}"
    if m := TABLE.fullmatch(ref):
        rows = re.split(r", | and ", m.group(2))
        unknown = [r for r in rows if r not in ARTICLE["summary_table"]["rows"]]
        if unknown:
            return f"no summary table row {unknown[0]!r}"
        return None if (m.group(1) == "row") == (len(rows) == 1) else "row/rows does not match"
    if VERDICT.fullmatch(ref):
        return None
    if m := KBASE.fullmatch(ref):
        missing = [k for k in m.group(1).split(", ") if not _has_key(kb.raw, k)]
        return f"no kbase figure {missing[0]}" if missing else None
    if ref.startswith("article") or "§" in ref:
        return "not an article section with its title, a summary table row or the Final verdict"
    if m := NAMED.fullmatch(ref):
        url = urlsplit(m.group(2))
        ok = url.scheme in ("http", "https") and "." in url.netloc and not url.netloc.endswith(".")
        return None if ok else f"not a valid http(s) URL: {m.group(2)}"
    return "neither the article, the kbase nor a reference with its URL"


def source_problems(source: str, kb: KnowledgeBase) -> list[str]:
    return [f"{ref!r}: {p}" for ref in source.split("; ")
            if (p := reference_problem(ref, kb)) is not None]


def _sources(rulebase: RuleBase) -> list[Any]:
    out = [pytest.param(r.source, id=r.id) for r in rulebase.rules]
    out += [pytest.param(q.source, id=f"question-{q.id}") for q in load_questionnaire().questions]
    return out


def test_the_article_titles_are_shipped() -> None:
    assert sorted(ARTICLE["sections"]) == list(range(1, 11))
    assert ARTICLE["sections"][7] == "What actually happens in real SaaS platforms"
    assert ARTICLE["sections"][10] == "The messy reality of choosing"
    assert len(ARTICLE["summary_table"]["rows"]) == 12 and ARTICLE["closing"] == "Final verdict"
    assert ARTICLE["url"] is None  # the article's text carries no address


def test_every_rule_and_question_cites_checkably(kb: KnowledgeBase, rulebase: RuleBase) -> None:
    params = _sources(rulebase)
    assert len(params) > 70  # every built-in rule and question, not a sample
    bad = {p.id: problems for p in params if (problems := source_problems(p.values[0], kb))}
    assert bad == {}


@pytest.mark.parametrize(("source", "problem"), [
    # The defects of issue 13 item 19, exactly as they were written.
    ("article §5; sourced-facts §7 (serverless above ~60 rps sustained, handbook-hld)",
     "'article §5': not an article section with its title, a summary table row or the Final "
     "verdict"),
    ("article §10 (compliance rules); DESIGN.md hard constraints (on-premises or air-gapped)",
     "'article §10 (compliance rules)': §10 is titled 'The messy reality of choosing', not "
     "'compliance rules'"),
    ("anchors A2 (AWS decision guide: Lambda for event-driven patterns)",
     "'anchors A2 (AWS decision guide: Lambda for event-driven patterns)': neither the article, "
     "the kbase nor a reference with its URL"),
    ("article §9 (hybrid patterns)",
     "'article §9 (hybrid patterns)': §9 is titled 'When Serverless is the smarter execution "
     "layer', not 'hybrid patterns'"),
    ("article §11 (More)", "'article §11 (More)': the article has no §11"),
    ("article Summary Comparison, row Traffic pattern",
     "'article Summary Comparison, row Traffic pattern': no summary table row 'Traffic pattern'"),
    ("kbase aws.functions.max_duration", "'kbase aws.functions.max_duration': no kbase figure "
     "aws.functions.max_duration"),
    ("Some guide, ftp://example.com/x", "'Some guide, ftp://example.com/x': neither the article, "
     "the kbase nor a reference with its URL"),
    ("Some guide, https://localhost/x", "'Some guide, https://localhost/x': not a valid http(s) "
     "URL: https://localhost/x"),
])
def test_uncheckable_sources_are_caught(kb: KnowledgeBase, source: str, problem: str) -> None:
    assert source_problems(source, kb)[0] == problem


def test_checkable_sources_pass(kb: KnowledgeBase) -> None:
    assert source_problems(
        "article §7 (What actually happens in real SaaS platforms): most use a hybrid approach; "
        "article Summary Comparison, rows Operations and Learning curve; article Final verdict; "
        "kbase aws.functions.max_duration_s, on-prem.functions.available (900 s); "
        "OpenCost specification, https://github.com/opencost/opencost/blob/develop/spec/"
        "opencost-specv01.md (shared overhead allocation)", kb) == []
