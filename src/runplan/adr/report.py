"""Findings as text for people, JSON, and SARIF 2.1.0 for code scanning in CI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import runplan
from runplan.adr.check import CHECKS, Finding
from runplan.errors import Problem
from runplan.fmt import plural

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# A check's helpUri where a page explains it: the structure checks follow the MADR template.
# The others are runplan's own and have no page of their own: their help is the text.
MADR_URI = "https://adr.github.io/madr/"
HELP_URIS = {cid: MADR_URI for cid in (
    "ADR-SECTION-MISSING", "ADR-STATUS-UNKNOWN", "ADR-DATE-INVALID", "ADR-CHOSEN-MISSING",
    "ADR-CHOSEN-NOT-CONSIDERED", "ADR-CONSEQUENCES-ONE-SIDED")}
UNREADABLE = {"id": "ADR-UNREADABLE", "name": "UnreadableRecord",
              "shortDescription": {"text": "Record could not be read"},
              "fullDescription": {"text": "A record (or the profile it references) could not be "
                                          "read or is not valid; it was not checked."},
              "defaultConfiguration": {"level": "error"}}


def summary_line(findings: list[Finding], files: int, skipped: int) -> str:
    live = [x for x in findings if not x.suppressed]
    counts = {lvl: sum(1 for x in live if x.level == lvl) for lvl in ("error", "warning", "note")}
    waived = len(findings) - len(live)
    parts = [plural(n, lvl) for lvl, n in counts.items()]
    return (f"{plural(files, 'record')} checked: {', '.join(parts)}"
            + (f" ({waived} waived)" if waived else "")
            + (f"; {plural(skipped, 'file')} skipped (not decision records)" if skipped else ""))


def render_text(findings: list[Finding], files: int, skipped: list[str]) -> str:
    lines = [str(x) for x in findings]
    lines += [f"{path}: skipped: not a decision record (no MADR or Nygard sections)"
              for path in skipped]
    lines.append(summary_line(findings, files, len(skipped)))
    return "\n".join(lines) + "\n"


def render_json(findings: list[Finding], files: list[str], skipped: list[str],
                verdicts: dict[str, Any]) -> str:
    data = {
        "files": files,
        "skipped": skipped,
        "findings": [{"check": x.check, "level": x.level, "message": x.message, "file": x.file,
                      "line": x.line, "rule": x.rule, "suppressed": x.suppressed is not None,
                      "justification": x.suppressed} for x in findings],
        "verdicts": verdicts,
        "summary": summary_line(findings, len(files), len(skipped)),
    }
    return json.dumps(data, indent=2) + "\n"


def _uri(path: str, root: Path) -> str:
    p = Path(path)
    try:
        return p.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return p.as_posix()


def _location(file: str, line: int | None, root: Path) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(file, root),
                                                     "uriBaseId": "%SRCROOT%"}}
    if line:
        physical["region"] = {"startLine": max(1, line)}
    return {"physicalLocation": physical}


def _rule(cid: str) -> dict[str, Any]:
    level, short, full = CHECKS[cid]
    rule: dict[str, Any] = {"id": cid, "name": "".join(w.capitalize() for w in cid.lower().split("-")),
                            "shortDescription": {"text": short}, "fullDescription": {"text": full},
                            "help": {"text": full}, "defaultConfiguration": {"level": level}}
    if cid in HELP_URIS:
        rule["helpUri"] = HELP_URIS[cid]
    return rule


def render_sarif(findings: list[Finding], root: Path, unreadable: list[Problem] | None = None,
                 ) -> str:
    """One run of tool `runplan`: every check as a reporting descriptor, every finding as a
    result with its location; a waived finding carries an in-source suppression. A record that
    could not be read is a tool execution notification, and the invocation is then not
    successful (the findings of the other records are still reported)."""
    ids = list(CHECKS)
    rules = [_rule(cid) for cid in ids]
    notifications = [{"descriptor": {"id": UNREADABLE["id"], "index": 0}, "level": "error",
                      "message": {"text": f"{p.field}: {p.message}" if p.field else p.message},
                      "locations": [_location(p.file, p.line, root)]}
                     for p in unreadable or []]
    results = []
    for x in findings:
        result: dict[str, Any] = {
            "ruleId": x.check, "ruleIndex": ids.index(x.check), "level": x.level,
            "message": {"text": x.message},
            "locations": [_location(x.file, max(1, x.line), root)],
        }
        if x.rule:
            result["properties"] = {"runplanRule": x.rule}
        if x.suppressed is not None:
            result["suppressions"] = [{"kind": "inSource", "status": "accepted",
                                       "justification": x.suppressed}]
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "runplan", "version": runplan.__version__,
                                "rules": rules, "notifications": [UNREADABLE]}},
            "invocations": [{"executionSuccessful": not notifications,
                             "toolExecutionNotifications": notifications}],
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
            "results": results,
        }],
    }
    return json.dumps(log, indent=2) + "\n"
