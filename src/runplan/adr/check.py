"""Check decision records against runplan's rules and costs.

Checks, each with an id and a default severity (SARIF levels: error, warning, note):

| id | level | what |
| --- | --- | --- |
| ADR-PROFILE-MISSING | note | no `runplan:` profile, so only the structure is checked |
| ADR-SECTION-MISSING | warning | a required section is missing |
| ADR-STATUS-UNKNOWN | warning | status not proposed, accepted, rejected, deprecated, superseded |
| ADR-DATE-INVALID | warning | date is not an ISO date (YYYY-MM-DD) |
| ADR-CHOSEN-MISSING | error | no `Chosen option: "..."` |
| ADR-CHOSEN-NOT-CONSIDERED | warning | the chosen option is not among the considered options |
| ADR-CONSEQUENCES-ONE-SIDED | note | consequences without a Good or without a Bad |
| ADR-OPTION-UNMAPPED | warning | the chosen option names no execution model runplan knows |
| ADR-HARD-CONSTRAINT | error | a hard constraint (or the named platform's limits) rules out the choice |
| ADR-DISAGREES | warning | runplan's verdict is another model (reasons, cost gap, flips) |
| ADR-DRIVER-CONTRADICTED | warning | a decision driver is contradicted by the profile |
| ADR-DRIFT | warning | an accepted record's recorded verdict no longer follows from current prices |
| ADR-REVISIT | warning | the profile, evaluated now, lies past a switching value the record holds |
| ADR-REVIEW-DUE | warning | the record's `review-by` date has passed (`--as-of`, default today) |
| ADR-FRAGILE | note | an accepted record's probability is below the threshold (default 0.6) |

An option that names a platform (Fargate, Cloud Run, Container Apps, Autopilot, App Runner,
Lambda, ...: the `names` of the platforms in kbase/providers) is checked against that
platform's limits, not the function limits the rules read; an option that names only a model
is checked against every platform of that model on the profile's provider, and the function
limits are an error only when no platform of the model fits.

The last three read the revisit metadata `adr new` and `ask --adr` write (`adr.revisit`).
A `runplan: {waive: [{rule: ID, reason: ...}]}` entry suppresses findings of that check id or
that runplan rule id; suppressed findings stay in every output with their justification.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from runplan.adr import revisit
from runplan.adr.madr import repository, today
from runplan.adr.parse import Record
from runplan.advise import Advisor, Result
from runplan.cost.people import PEOPLE_ITEM
from runplan.cost.platforms import PlatformCost, broken_limits
from runplan.cost.serverless import add_up
from runplan.errors import Problem, UserError, short_name
from runplan.fmt import usd
from runplan.kbase import KnowledgeBase, Platform
from runplan.profile import Component, component_from
from runplan.userfile import name_reason
from runplan.verdict import Verdict, decide
from runplan.yamlio import load_data_file

CHECKS: dict[str, tuple[str, str, str]] = {
    "ADR-PROFILE-MISSING": ("note", "No runplan profile",
                            "Add `runplan: {profile: path/to/profile.yaml}` (or the profile "
                            "inline) to the front matter so runplan can check the decision."),
    "ADR-SECTION-MISSING": ("warning", "Required section missing",
                            "MADR 4.0 needs a title, Context and Problem Statement, Considered "
                            "Options and Decision Outcome; Nygard records Status, Context, "
                            "Decision and Consequences."),
    "ADR-STATUS-UNKNOWN": ("warning", "Unknown status",
                           "Use proposed, accepted, rejected, deprecated or superseded by ..."),
    "ADR-DATE-INVALID": ("warning", "Date is not ISO 8601", "Write the date as YYYY-MM-DD."),
    "ADR-CHOSEN-MISSING": ("error", "No chosen option",
                           'MADR records the decision as `Chosen option: "X", because ...`.'),
    "ADR-CHOSEN-NOT-CONSIDERED": ("warning", "Chosen option not considered",
                                  "The chosen option should be one of the Considered Options."),
    "ADR-CONSEQUENCES-ONE-SIDED": ("note", "One-sided consequences",
                                   "List both Good, because ... and Bad, because ... "
                                   "consequences."),
    "ADR-OPTION-UNMAPPED": ("warning", "Chosen option not mapped to an execution model",
                            "Name the platform (EKS, Lambda, Cloud Run, hybrid, ...) or set "
                            "`runplan: {chosen: kubernetes|serverless|hybrid}`."),
    "ADR-HARD-CONSTRAINT": ("error", "Chosen model violates a hard constraint",
                            "A hard-constraint rule excludes the chosen model (a function time "
                            "limit, no GPU, no functions on-premises, ...), or the limits of "
                            "the platform the option names rule it out."),
    "ADR-DISAGREES": ("warning", "runplan's verdict differs",
                      "runplan's rules and costs favour another model; the finding gives the "
                      "strongest reasons, the cost gap and what would flip the verdict."),
    "ADR-DRIVER-CONTRADICTED": ("warning", "Decision driver contradicted",
                                "A stated driver (low operations, cost, latency, portability) "
                                "does not hold for the chosen model with this profile."),
    "ADR-DRIFT": ("warning", "Decision drifted",
                  "The record's verdict, recorded when it was written, no longer follows from "
                  "current kbase prices and limits."),
    "ADR-REVISIT": ("warning", "Switching value crossed",
                    "The record holds the values at which the verdict changes (`runplan.revisit."
                    "when`, written by `adr new` and `ask --adr`); the profile, evaluated now, "
                    "lies past one of them, so the decision should be looked at again."),
    "ADR-REVIEW-DUE": ("warning", "Review date passed",
                       "The record's `review-by` date is before the day checked (`--as-of`, "
                       "default today): review the decision, then set a new date."),
    "ADR-FRAGILE": ("note", "Decision is fragile",
                    "An accepted decision whose probability of holding is below the threshold "
                    "(`--fragile-below`, settings `fragile-below`, default 0.6): it turns on "
                    "inputs worth measuring before it is relied on."),
}
STATUSES = ("proposed", "accepted", "rejected", "deprecated", "superseded")
LEVELS = {"note": 0, "warning": 1, "error": 2}

# Keywords that map an option's name to an execution model (word boundaries, any case).
KEYWORDS: dict[str, tuple[str, ...]] = {
    "hybrid": ("hybrid", "both", "split", "mix of", "combination"),
    # Node-less containers (Fargate, Autopilot, App Runner) are long-running containers: the
    # kubernetes model (DESIGN.md "Platforms and cost views").
    "kubernetes": ("kubernetes", "k8s", "k3s", "eks", "gke", "aks", "openshift", "knative",
                   "rancher", "containers on a cluster", "cluster", "fargate", "app runner"),
    "serverless": ("serverless", "lambda", "cloud functions", "cloud run", "azure functions",
                   "functions", "function", "faas", "container apps"),
}
# The rule fields that are the provider's function limits: a named platform's own limits
# replace the exclusions that read only these.
FUNCTION_LIMITS = frozenset({"limits.exceeds_duration", "limits.exceeds_memory",
                             "limits.gpu_unavailable", "limits.connections_unsupported",
                             "limits.exceeds_concurrency"})


@dataclass(frozen=True)
class Finding:
    check: str
    level: str
    message: str
    file: str
    line: int
    rule: str | None = None  # the runplan rule behind it, for waivers
    suppressed: str | None = None  # the waiver's justification

    def __str__(self) -> str:
        level = self.level + (f" (waived: {self.suppressed})" if self.suppressed else "")
        return f"{self.file}:{self.line}: {level}: {self.check}: {self.message}"


def map_option(text: str) -> str | None:
    """kubernetes, serverless or hybrid by keyword; None when none or it is ambiguous."""
    low = text.lower()

    def has(words: tuple[str, ...]) -> bool:
        return any(re.search(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])", low) for w in words)

    if has(KEYWORDS["hybrid"]):
        return "hybrid"
    k8s = has(KEYWORDS["kubernetes"])
    sls = has(KEYWORDS["serverless"])
    if k8s and sls:
        # "Knative on GKE", "Cloud Run for Anthos": serverless on a cluster is a cluster.
        if has(("knative", "anthos", "openshift serverless")):
            return "kubernetes"
        return "hybrid"
    return "kubernetes" if k8s else "serverless" if sls else None


def _has(low: str, word: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", low) is not None


def map_platform(text: str, kb: KnowledgeBase) -> Platform | None:
    """The one platform an option names (by the platforms' `names` in kbase), the longest
    name winning where one holds another ("EKS on Fargate" over "EKS"); None when it names
    none, several, or a split."""
    low = text.lower()
    if any(_has(low, w) for w in (*KEYWORDS["hybrid"], "knative", "anthos")):
        return None
    found = [(name, p) for prov in kb.providers.values() for p in prov.platforms
             for name in p.names if _has(low, name)]
    kept = {p.name: p for name, p in found
            if not any(name != other and _has(other, name) for other, _ in found)}
    return next(iter(kept.values())) if len(kept) == 1 else None



@dataclass
class Checked:
    record: Record
    findings: list[Finding]
    result: Result | None


def confined(path: Path, root: Path | None, record: Path) -> str | None:
    """Why `path` is not a file `record` may read (None when it is): with every symlink
    followed, it must lie inside `root`, else the record's repository (`madr.repository`)."""
    top = root.resolve() if root is not None else repository(record.parent)
    if Path(os.path.realpath(path)).is_relative_to(top):
        return None
    return f"outside the repository ({top})"


def check_record_file(path: Path, root: Path | None = None) -> None:
    """Refuse a record that is a symlink out of its repository (`docs/adr/x.md -> /etc/shadow`
    proposed in a pull request); a record that is a file is the user's to name."""
    why = confined(path, root, path) if path.is_symlink() else None
    if why is not None:
        raise UserError(Problem(str(path), None, "", f"a symlink to a file {why}; a record "
                                "must be a file of the repository (or give --root)"))


def referenced_file(rec: Record, raw: str, root: Path | None) -> Path:
    """The file a record names (relative to the record), refused unless it lies inside the
    record's repository (see `confined`), through no symlink that leaves it. A name the system
    cannot take (a NUL byte, a 300-character component) is this record's error."""
    line = rec.front_line("runplan", "profile")
    shown = short_name(raw)

    def refused(message: str) -> UserError:
        return UserError(Problem(rec.file, line, "runplan.profile", f"{shown}: {message}"))

    if "\0" in raw:
        raise refused("a file name cannot contain a NUL byte")
    path = Path(os.path.normpath(Path(rec.file).parent / raw))
    try:
        why = confined(path, root, Path(rec.file))
        found = why is None and path.exists()
    except OSError as exc:
        raise refused(name_reason(exc) or f"cannot read: {exc.strerror}") from None
    if why is not None:
        raise refused(f"{why}; a record may reference files inside its repository only (or "
                      "give --root)")
    if not found:  # a FIFO or a device is refused by the reader, without a hang
        raise refused(f"no such file (looked for {short_name(str(path))}, relative to the "
                      "record)")
    return path


_GOT = re.compile(r"[;,]?\s*got\b.*$")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_FIGURES = re.compile(r"\s*\([^)]*\d[^)]*\)")


def _profile_words() -> set[str]:
    from runplan.profile import profile_schema

    words: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            words.update(node.get("properties", {}))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(profile_schema())
    return words


def redacted(p: Problem, words: set[str]) -> Problem:
    """A problem in a referenced file with nothing of the file's content in it: no value
    (`got ...`), no quoted text, no figure, no field name the profile schema does not have.
    What stays is the file, the line, the field and what is allowed."""
    parts = []
    for part in re.split(r"\.|(?=\[)", p.field) if p.field else []:
        if part.startswith("[") or part in words:
            parts.append(part)
        else:
            parts.append("<unknown field>")
            break
    hint = re.search(r" \(did you mean '[a-z_]+'\?\)", p.message)
    message = _GOT.sub("", p.message)
    message = _FIGURES.sub("", message if hint is None else message.replace(hint.group(), ""))
    message = _QUOTED.sub("a value", message).strip() or "is not valid"
    if hint is not None and "unknown field" in message:
        message = message.replace("unknown field", "unknown field" + hint.group(), 1)
    return Problem(p.file, p.line, ".".join(parts).replace(".[", "["), message)


def load_profile(rec: Record, provider: str | None, kb: Any, root: Path | None = None,
                 ) -> Component | None:
    """The profile in the front matter (inline or a path relative to the record, inside the
    record's repository: see `referenced_file`)."""
    block = rec.front.get("runplan")
    if block is None:
        return None
    if not isinstance(block, dict):
        raise UserError(Problem(rec.file, rec.front_line("runplan"), "runplan",
                                "must be a mapping: {profile: ..., waive: [...]}"))
    known = {"profile", "waive", "provider", "chosen", "recorded", "revisit"}
    raw = block.get("profile")
    prefix: tuple[str | int, ...]
    if raw is None:
        raw = {k: v for k, v in block.items() if k not in known}
        prefix = ("runplan",)
        if not raw:
            return None
        lines, file = rec.front_lines, rec.file
    elif isinstance(raw, str):
        path = referenced_file(rec, raw, root)
        try:
            component = _referenced_profile(path, rec, provider or block.get("provider"), kb)
        except UserError as exc:
            words = _profile_words()
            raise UserError([redacted(p, words) for p in exc.problems]) from None
        return component
    else:
        prefix, lines, file = ("runplan", "profile"), rec.front_lines, rec.file
    if isinstance(raw, dict):
        raw = {"name": Path(rec.file).stem, **raw}
    return component_from(raw, lines, file, kb, provider or block.get("provider"), prefix)


def _referenced_profile(path: Path, rec: Record, provider: str | None, kb: Any) -> Component:
    """A profile file a record names, read as `advise` reads one (`profile.component_from`:
    its ranges become their medians, kept for `--uncertain`)."""
    raw, lines = load_data_file(path)
    if isinstance(raw, dict):
        raw = {"name": Path(rec.file).stem, **raw}
    return component_from(raw, lines, str(path), kb, provider)


def check_record(rec: Record, advisor: Advisor, provider: str | None = None,
                 root: Path | None = None, policy: revisit.Policy | None = None) -> Checked:
    """Structure and decision findings of one record; `root`: see `referenced_file`;
    `policy`: the day checked and the fragile threshold (default: today, 0.6)."""
    f: list[Finding] = []
    if policy is None:
        policy = revisit.Policy(dt.date.fromisoformat(today()))

    def add(check: str, message: str, line: int, rule: str | None = None) -> None:
        f.append(Finding(check, CHECKS[check][0], message, rec.file, line, rule))

    _structure(rec, add)
    meta = revisit.read(rec)
    revisit.review_due(rec, meta, policy, add)
    component = load_profile(rec, provider, advisor.kb, root)
    result = None
    if component is None:
        add("ADR-PROFILE-MISSING", "no runplan profile in the front matter: structure checked "
            "only; add `runplan: {profile: path/to/profile.yaml}` to check the decision itself",
            rec.front_start or 1)
    else:
        result = advisor.advise(component, file=rec.file)
        draws = policy.draws_for(meta)  # a sampled record: with its own draws
        if draws is not None:
            from runplan.uncertainty.report import uncertain, with_probability

            result = with_probability(result, uncertain(advisor, component, result, draws,
                                                        None))
        _decision(rec, result, add, advisor, meta, policy)
    return Checked(rec, _waive(rec, f), result)


def _structure(rec: Record, add: Any) -> None:
    title_line = rec.title.line if rec.title else 1
    needed: tuple[str, ...]
    if rec.form == "madr":
        needed = ("Context and Problem Statement", "Considered Options", "Decision Outcome")
    else:
        needed = ("Status", "Context", "Decision", "Consequences")
    if rec.title is None:
        add("ADR-SECTION-MISSING", "no title (a `# ...` heading)", 1)
    for name in needed:
        if rec.section(name.lower()) is None:  # matched case-insensitively, named as MADR spells it
            add("ADR-SECTION-MISSING", f"no '{name}' section", title_line)
    status = rec.status
    if status is None:
        if rec.form == "madr" and rec.front:
            add("ADR-STATUS-UNKNOWN", "no status in the front matter", rec.front_start or 1)
    elif not any(status.text.strip().lower().startswith(s) for s in STATUSES):
        add("ADR-STATUS-UNKNOWN", f"status {status.text.strip()!r} is not one of "
            f"{', '.join(STATUSES)}", status.line)
    if "date" in rec.front:
        value = rec.front["date"]
        ok = isinstance(value, dt.date)
        if isinstance(value, str):
            try:
                dt.date.fromisoformat(value)
                ok = True
            except ValueError:
                ok = False
        if not ok:
            add("ADR-DATE-INVALID", f"date {value!r} is not YYYY-MM-DD", rec.front_line("date"))
    if rec.form == "madr":
        outcome = rec.section("decision outcome")
        if rec.chosen is None and outcome is not None:
            add("ADR-CHOSEN-MISSING", 'no `Chosen option: "..."` in Decision Outcome',
                outcome.line)
        if rec.chosen is not None and rec.options:
            names = [o.text.lower() for o in rec.options]
            chosen = rec.chosen.text.lower()
            if not any(chosen == n or chosen in n or n in chosen for n in names):
                add("ADR-CHOSEN-NOT-CONSIDERED", f"chosen option {rec.chosen.text!r} is not "
                    f"among the considered options ({'; '.join(o.text for o in rec.options)})",
                    rec.chosen.line)
    consequences = rec.section("consequences")
    if consequences is not None and rec.form == "madr":
        text = consequences.text().lower()
        if "good, because" not in text or "bad, because" not in text:
            missing = "Bad" if "good, because" in text else "Good"
            add("ADR-CONSEQUENCES-ONE-SIDED", f"no '{missing}, because ...' consequence",
                consequences.line)


def _chosen_model(rec: Record, add: Any, kb: KnowledgeBase,
                  ) -> tuple[str | None, int, Platform | None]:
    block = rec.front.get("runplan") or {}
    line = rec.chosen.line if rec.chosen else (rec.title.line if rec.title else 1)
    override = block.get("chosen") if isinstance(block, dict) else None
    if override in ("kubernetes", "serverless", "hybrid"):
        return override, line, None
    if rec.chosen is None:
        return None, line, None
    platform = map_platform(rec.chosen.text, kb)
    model = platform.model if platform is not None else map_option(rec.chosen.text)
    if model is None:
        add("ADR-OPTION-UNMAPPED", f"cannot tell which execution model {rec.chosen.text!r} is "
            "(name the platform, e.g. EKS, Lambda, Cloud Run, or set runplan: {chosen: ...})",
            line)
    return model, line, platform


def _lifted(r: Result, model: str, platform: Platform | None, blocked: list[str],
            add: Any, line: int, part: str = "") -> set[str]:
    """The function-limit exclusions that do not hold for the chosen platform (or, for a
    model named alone, for some platform of that model), after reporting a platform whose
    own limits rule it out (`part`: the part of a component checked, named in the message)."""
    limit_rules = set()
    for rule_id in blocked:
        reason = next((x for x in r.reasons if x.rule == rule_id), None)
        if reason is not None and reason.facts and set(reason.facts) <= FUNCTION_LIMITS:
            limit_rules.add(rule_id)
    if platform is not None:
        # The hard-limit rules read the functions' limits where no serverless platform fits
        # (then they speak for the provider's own functions, by rule id) and fire on none
        # where one fits: a named platform is then held to its own limits.
        broken = broken_limits(platform.limits, r.workload)
        if platform.bill == "functions" and (limit_rules or not broken):
            return set()
        if broken:
            add("ADR-HARD-CONSTRAINT", f"chose {platform.title}, but its limits rule "
                + (f"out part {part}: " if part else "it out: ") + "; ".join(broken), line)
        return limit_rules
    if any(o.feasible for o in r.platforms if o.platform.model == model):
        return limit_rules
    return set()


def _hard_limits(r: Result, model: str, platform: Platform | None, add: Any, line: int,
                 part: str = "") -> tuple[list[str], set[str]]:
    """The hard constraints that rule the chosen option out for one workload, each reported,
    and the function-limit exclusions the chosen platform lifts."""
    blocked = r.verdict.excluded.get(model, []) if model != "hybrid" else []
    lifted = _lifted(r, model, platform, blocked, add, line, part) if model != "hybrid" \
        else set()
    blocked = [b for b in blocked if b not in lifted]
    for rule_id in blocked:
        reason = next((x for x in r.reasons if x.rule == rule_id), None)
        add("ADR-HARD-CONSTRAINT", f"chose {model}, but {rule_id} rules "
            + (f"out part {part}: " if part else "it out: ")
            + f"{reason.message if reason else 'a hard constraint'}", line, rule_id)
    return blocked, lifted


def _decision(rec: Record, r: Result, add: Any, advisor: Advisor, meta: revisit.Revisit,
              policy: revisit.Policy) -> None:
    revisit.crossed(rec, meta, r, add)
    model, line, platform = _chosen_model(rec, add, advisor.kb)
    if model is None:
        return
    v = r.verdict
    if r.parts:  # the option runs every part (hybrid: each on its own verdict), as advise does
        blocked: list[str] = []
        lifted: set[str] = set()
        for p in r.parts:
            blocked += _hard_limits(p, model, platform, add, line, p.name)[0]
    else:
        blocked, lifted = _hard_limits(r, model, platform, add, line)
    c = r.costs
    costs = {"kubernetes": c.kubernetes.priced_usd,
             "serverless": c.serverless.monthly_usd if c.serverless else None}
    if r.parts_usd is not None:
        costs["hybrid"] = r.parts_usd
    if lifted:  # the verdict as it would be without the limits the platform does not have
        v = _without(r, lifted, costs, advisor)
    named = next((o for o in r.platforms if platform is not None
                  and o.platform.name == platform.name), None)
    if not blocked and model != v.verdict:
        top = sorted((x for x in r.reasons if x.support(v.verdict) > 0 and x.rule not in lifted),
                     key=lambda x: -x.support(v.verdict))[:3]
        gap = ""
        mine, label = costs.get(model), model
        if named is not None and named.monthly_usd is not None:  # the bill of what it chose
            mine, label = named.monthly_usd, named.platform.title
        if mine is not None and costs.get(v.verdict) is not None:
            b = costs[v.verdict]
            assert b is not None
            gap = (f"; {label} costs {usd(mine)}/month against {usd(b)} for {v.verdict} "
                   f"({'+' if mine >= b else '-'}{usd(abs(mine - b))})")
        flips = "; ".join(f.sentence(r.flips_from) for f in r.flips[:2]) if not lifted else ""
        add("ADR-DISAGREES", f"chose {model}; runplan's verdict is {v.verdict} (confidence "
            f"{v.confidence:.2f}): " + " ".join(f"{x.message} [{x.rule}]" for x in top) + gap
            + (f"; {flips}" if flips else ""), line)
    _drivers(rec, r, model, add, named)
    _drift(rec, r, add)
    if not blocked:
        revisit.fragile(rec, meta, r, model, v, policy, add)


def _without(r: Result, lifted: set[str], costs: dict[str, float | None], advisor: Advisor,
             ) -> Verdict:
    """The verdict from the rules that fired, less the lifted exclusions."""
    specs = [spec for x in r.reasons if x.rule not in lifted
             for spec in (advisor.rulebase.get(x.rule),) if spec is not None]
    return decide(specs, costs, r.inputs)


def _drivers(rec: Record, r: Result, model: str, add: Any,
             named: PlatformCost | None = None) -> None:
    """Drivers against the profile; `named`: the platform the option names, whose bill is
    the chosen cost and which, node-less, has no nodes to run."""
    section = rec.section("decision drivers")
    if section is None:
        return
    fired = {x.rule for x in r.reasons}
    w = r.workload
    c = r.costs
    # The Kubernetes platform in question: the one named, else the model's own (`platform`).
    on = named if named is not None and named.platform.model == "kubernetes" else next(
        (o for o in r.platforms if o.platform.name == c.kubernetes.platform), None)
    people = c.kubernetes.people_usd if on is None else \
        add_up(i.monthly_usd for i in on.items if i.name == PEOPLE_ITEM)
    for item in section.bullets():
        text = item.text.lower()
        if any(rule in item.text for rule in fired):
            continue  # a driver that cites a fired runplan rule is runplan's own reasoning
        nodeless = on is not None and on.platform.kind == "node-less-containers"
        if model in ("kubernetes", "hybrid") and not nodeless and re.search(
                r"\bops\b|operation|maintenan|overhead|toil|devops|small team|no-ops", text) \
                and not w.existing_cluster and w.devops_maturity in ("none", "basic"):
            add("ADR-DRIVER-CONTRADICTED", f"driver {item.text!r}: a new cluster needs "
                f"people to run it ({usd(people)}/month of operations time) "
                f"and the team's DevOps maturity is {w.devops_maturity}", item.line)
        if re.search(r"\bcost|cheap|budget|spend|price", text) and c.serverless is not None:
            mine = c.kubernetes.priced_usd if model == "kubernetes" else \
                c.serverless.monthly_usd if model == "serverless" else None
            other = c.serverless.monthly_usd if model == "kubernetes" else \
                c.kubernetes.priced_usd
            label = model
            if named is not None and named.monthly_usd is not None:
                mine, label = named.monthly_usd, named.platform.title
            if mine is not None and other is not None and mine > other * 1.2 and \
                    mine - other > 10:
                add("ADR-DRIVER-CONTRADICTED", f"driver {item.text!r}: {label} costs "
                    f"{usd(mine)}/month against {usd(other)} for the other model", item.line)
        if model in ("serverless", "hybrid") and re.search(r"latency|cold start|p99|fast",
                                                            text) and c.cold_start is not None:
            cs = c.cold_start
            if cs.warm_to_slo is not None and cs.warm_to_slo > 1 and w.p99_slo_ms:
                add("ADR-DRIVER-CONTRADICTED", f"driver {item.text!r}: even warm, functions "
                    f"answer in about {cs.warm_p99_ms:,.0f} ms against a {w.p99_slo_ms:g} ms "
                    "objective (no instance kept warm fixes that)", item.line)
            elif cs.breaches_slo or (w.user_facing and cs.share_of_requests >= 0.01):
                add("ADR-DRIVER-CONTRADICTED", f"driver {item.text!r}: "
                    f"{cs.share_of_requests:.1%} of requests meet a cold start "
                    f"(+{cs.added_latency_ms:,.0f} ms; p99 about {cs.p99_estimate_ms:,.0f} ms"
                    + (f" against a {w.p99_slo_ms:g} ms objective" if w.p99_slo_ms else "")
                    + ")", item.line)
        containers = named is not None and named.platform.kind != "functions"
        if model == "serverless" and not containers and re.search(
                r"portab|lock-in|lock in|vendor|multi-cloud", text):
            add("ADR-DRIVER-CONTRADICTED", f"driver {item.text!r}: functions tie the code to "
                f"{c.provider}'s triggers, limits and APIs (article §8)", item.line)


def _drift(rec: Record, r: Result, add: Any) -> None:
    block = rec.front.get("runplan") or {}
    recorded = block.get("recorded") if isinstance(block, dict) else None
    status = (rec.status.text.strip().lower() if rec.status else "")
    if not isinstance(recorded, dict) or not status.startswith("accepted"):
        return
    then = recorded.get("verdict")
    now = r.verdict.verdict
    if then not in ("kubernetes", "serverless", "hybrid") or then == now:
        return
    c = r.costs
    changes = []
    for key, current in (("kubernetes_usd", c.kubernetes.priced_usd),
                         ("serverless_usd", c.serverless.monthly_usd if c.serverless else None)):
        before = recorded.get(key)
        if isinstance(before, int | float) and current is not None and before != 0 and \
                abs(current - before) / abs(before) > 0.005:
                changes.append(f"{key.split('_')[0]} {usd(before)} -> {usd(current)}/month")
    when = recorded.get("date", "when it was written")
    add("ADR-DRIFT", f"recorded {when}: {then}; with current prices and limits runplan's "
        f"verdict is {now}" + (f" ({'; '.join(changes)})" if changes else "")
        + "; revisit the decision or record why it stands", rec.front_line("runplan",
                                                                           "recorded"))


def _waive(rec: Record, findings: list[Finding]) -> list[Finding]:
    block = rec.front.get("runplan") or {}
    waivers = block.get("waive") if isinstance(block, dict) else None
    if not waivers:
        return findings
    if not isinstance(waivers, list) or not all(isinstance(w, dict) and "rule" in w
                                                 for w in waivers):
        raise UserError(Problem(rec.file, rec.front_line("runplan", "waive"), "runplan.waive",
                                "must be a list of {rule: ID, reason: ...}"))
    out = []
    for x in findings:
        match = next((w for w in waivers if str(w["rule"]).upper() in (x.check, x.rule)), None)
        if match is not None:
            reason = str(match.get("reason") or "no reason given")
            x = replace(x, suppressed=reason)
        out.append(x)
    return out


def worst(findings: list[Finding]) -> int:
    """The highest level among findings that are not waived (-1 for none)."""
    return max((LEVELS[x.level] for x in findings if not x.suppressed), default=-1)
