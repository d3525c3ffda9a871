"""When a decision record should be looked at again: its probability, drivers and switching values.

`adr new` and `ask --adr` write, beside the profile, what the verdict rested on, and a date:

```yaml
review-by: 2027-06-02                  # the record's date + review-months (default 6)
runplan:
  profile: ../../services/quotes.yaml
  recorded: {verdict: serverless, ...}
  revisit:
    probability: 0.87                  # that the verdict holds (`probability`)
    probability_method: sampled        # over draws of the inputs (`--uncertain`), or margin
    draws: 1000                        # sampled: how many
    top_input: traffic.avg_rps         # sampled: the input most worth measuring
    top_input_value_usd: 12.5          # and what knowing it is worth, USD a month
    drivers:                           # the rules that decided it, strongest first
      - {rule: COST-SERVERLESS-CHEAPER-001, weight: 2.61}
      - {rule: LIMIT-DURATION-001, weight: 0, excludes: [serverless]}
    when:                              # the flips: past this value, the verdict moves
      - {field: traffic.avg_rps, crosses: 42.0, from: below, verdict: kubernetes}
```

`probability_method` says how the probability was made: `margin` is the verdict's confidence
(the squashed score margin), `sampled` the share of `draws` draws of the uncertain inputs on
the verdict (`adr new --uncertain=N`), with the input most worth measuring then
(`Summary.top_input`) and its value of information. A driver's `weight` is the points its
rule gave the verdict less those it gave the runner-up (the weights add up to the score
margin); `excludes` names the options a hard constraint took out. A `when` item is a flip of
`runplan.advise`: `from` is the side of `crosses` the profile's value lay on when it was
written. `adr check` reads them back (`read`): ADR-REVIEW-DUE when `review-by` has passed
(`--as-of`), ADR-REVISIT when the profile, evaluated now, lies past a recorded switching
value, ADR-FRAGILE when an accepted record's probability is below `--fragile-below`; it
compares the probability with the recorded one only when both were made the same way (a
sampled record is sampled again with its own `draws` under `--uncertain`; a record without
`probability_method`, from before it was kept, is compared as it is). The block is a user's
text in CI: every value is checked for its type and range, each bad one is one problem naming
the file, the line and the field, never its content.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runplan.advise import Result
from runplan.config import DEFAULT_FRAGILE_BELOW, DEFAULT_REVIEW_MONTHS
from runplan.errors import Problem, UserError
from runplan.fmt import num, usd
from runplan.probes import AXES, AXIS_ATTR
from runplan.profile import OPTIONS
from runplan.verdict import Verdict
from runplan.yamlio import dotted

DRIVERS_KEPT = 5
MAX_ITEMS = 20  # drivers or conditions in a record: runplan writes at most 7 of either
MAX_WEIGHT = 1e6
MAX_CROSSES = 1e15  # above any figure a profile may give (runplan.profile's bounds)
MAX_USD = 1e15
MIN_DRAWS, MAX_DRAWS = 2, 1_000_000  # what `--uncertain` takes
METHODS = ("margin", "sampled")
# An uncertain input's name (`uncertainty.sample.Input`): a dotted field, a part's after its
# name and a colon (`checkout: traffic.avg_rps`); no control character.
INPUT_NAME = re.compile(r"(?:[^\x00-\x1f\x7f]{1,200}: )?[a-z][a-z0-9_]*(?:\.[A-Za-z0-9_-]+)+")
REVISIT_KEYS = ("draws", "drivers", "probability", "probability_method", "top_input",
                "top_input_value_usd", "when")
RULE_ID = re.compile(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]{3}")  # kbase/schemas/rules.schema.json
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
SIDES = ("below", "above")
CLOSED = ("rejected", "deprecated", "superseded")  # statuses with nothing left to review
BLOCK = ("runplan", "revisit")


def probability(result: Result, verdict: Verdict | None = None) -> float:
    """The probability that the verdict (`verdict`, by default the result's) holds: the
    verdict's `confidence` (runplan.verdict: the squashed score margin, lowered for each flip
    on an input nobody gave). This is the one place `adr` reads it, so that the probability
    sampled over plausible inputs (issue 14, `--uncertain`) replaces it here."""
    return (verdict or result.verdict).confidence


def drivers(result: Result) -> list[dict[str, Any]]:
    """The fired rules that decided the verdict, strongest first: each rule's points for the
    verdict less its points for the runner-up (`weight`), and the options it excluded."""
    v = result.verdict
    out: list[tuple[bool, float, int, dict[str, Any]]] = []
    for k, reason in enumerate(result.reasons):
        points = dict(reason.score)
        weight = points.get(v.verdict, 0.0) - (points.get(v.runner_up, 0.0)
                                               if v.runner_up else 0.0)
        if not weight and not reason.exclude:
            continue
        item: dict[str, Any] = {"rule": reason.rule, "weight": round(weight, 2)}
        if reason.exclude:
            item["excludes"] = list(reason.exclude)
        out.append((not reason.exclude, -abs(weight), k, item))
    return [item for *_, item in sorted(out, key=lambda t: t[:3])[:DRIVERS_KEPT]]


def conditions(result: Result) -> list[dict[str, Any]]:
    """The result's flips as "revisit when" conditions."""
    return [{"field": f.field, "crosses": f.to, "from": "below" if f.to > f.current else "above",
             "verdict": f.verdict} for f in result.flips
            if f.to != f.current and 0 <= f.to <= MAX_CROSSES]  # what `read` takes back


def block(result: Result, summary: Any = None) -> dict[str, Any]:
    """The `runplan: {revisit: ...}` block a record is written with; `summary`: the draws'
    (`uncertainty.report.Summary`, with `--uncertain`), whose probability the result holds."""
    out: dict[str, Any] = {"probability": round(probability(result), 2)}
    if summary is None:
        out["probability_method"] = "margin"
    else:
        out["probability_method"] = "sampled"
        out["draws"] = summary.draws
        top = summary.top_input
        if top is not None and INPUT_NAME.fullmatch(top):
            out["top_input"] = top
            out["top_input_value_usd"] = round(summary.value_of_information.get(top, 0.0), 2)
    return {**out, "drivers": drivers(result), "when": conditions(result)}


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` so many months on, on the last day of a shorter month (31 Aug + 6: 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def review_by(written: str, months: int | None, given: dt.date | None = None) -> str:
    """The review-by date of a record written on `written` (ISO): `given`, else `months`
    (default DEFAULT_REVIEW_MONTHS) later."""
    if given is not None:
        return given.isoformat()
    later = add_months(dt.date.fromisoformat(written),
                       DEFAULT_REVIEW_MONTHS if months is None else months)
    return later.isoformat()


def as_date(value: Any) -> dt.date | None:
    """A YAML date (`2027-06-01`) or the same quoted; None for anything else (a time of day,
    `20270601`, a word)."""
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class When:
    field: str
    crosses: float
    side: str  # "below" | "above": where the profile's value was when the record was written
    verdict: str
    line: int


@dataclass(frozen=True)
class Revisit:
    """A record's revisit metadata, checked (`read`)."""

    review_by: dt.date | None = None
    review_line: int = 1
    probability: float | None = None
    when: tuple[When, ...] = ()
    method: str | None = None  # "margin" | "sampled"; None: a record from before it was kept
    draws: int | None = None  # sampled: over how many draws
    top_input: str | None = None  # sampled: the input most worth measuring, and its worth
    top_value_usd: float | None = None


@dataclass(frozen=True)
class Policy:
    """What `adr check` holds records to: the day it checks as (`--as-of`) and the
    ADR-FRAGILE threshold (`--fragile-below`, settings `fragile-below`)."""

    as_of: dt.date
    fragile_below: float = DEFAULT_FRAGILE_BELOW
    uncertain: int | None = None  # `--uncertain=N`: the probability over N draws

    def draws_for(self, meta: Revisit) -> int | None:
        """The draws a record is checked with: a sampled record's own, under --uncertain."""
        if self.uncertain is not None and meta.method == "sampled" and meta.draws:
            return meta.draws
        return self.uncertain


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def read(rec: Any) -> Revisit:
    """`review-by` and `runplan.revisit` of a record (`parse.Record`), every bad value one
    problem (file, line, field; what is allowed, never what was there), raised together."""
    problems: list[Problem] = []

    def bad(path: tuple[str | int, ...], message: str, shown: tuple[str | int, ...] = ()
            ) -> None:
        problems.append(Problem(rec.file, rec.front_line(*path), dotted(shown or path),
                                message))

    review = None
    if "review-by" in rec.front:
        review = as_date(rec.front["review-by"])
        if review is None:
            bad(("review-by",), "must be a date, YYYY-MM-DD")
    runplan = rec.front.get("runplan")
    raw = runplan.get("revisit") if isinstance(runplan, dict) else None
    prob: float | None = None
    when: list[When] = []
    method = draws = top = worth = None
    if raw is not None and not isinstance(raw, dict):
        bad(BLOCK, "must be a mapping: {probability: ..., drivers: [...], when: [...]}")
    elif raw is not None:
        for key in raw:
            if key not in REVISIT_KEYS:
                bad((*BLOCK, str(key)), f"unknown field; allowed: {', '.join(REVISIT_KEYS)}",
                    (*BLOCK, "<unknown field>"))
        if "probability" in raw:
            p = raw["probability"]
            if not _number(p) or not 0 <= p <= 1:
                bad((*BLOCK, "probability"), "must be a number from 0 to 1")
            else:
                prob = float(p)
        method, draws, top, worth = _method(raw, bad)
        _drivers(raw.get("drivers", []), bad)
        when = _conditions(raw.get("when", []), bad, rec)
    if problems:
        raise UserError(problems)
    return Revisit(review, rec.front_line("review-by"), prob, tuple(when), method, draws, top,
                   worth)


Bad = Callable[..., None]


def _method(raw: dict[Any, Any], bad: Bad,
            ) -> tuple[str | None, int | None, str | None, float | None]:
    """How the probability was made, checked: `probability_method`, and with `sampled` its
    `draws` (required), `top_input` and `top_input_value_usd`."""
    method = draws = top = worth = None
    if "probability_method" in raw:
        if raw["probability_method"] in METHODS:
            method = str(raw["probability_method"])
        else:
            bad((*BLOCK, "probability_method"), f"must be one of {', '.join(METHODS)}")
    sampled_only = ("draws", "top_input", "top_input_value_usd")
    if method != "sampled":
        for key in sampled_only:  # (a misspelt method is reported once, above)
            if key in raw and (method is not None or "probability_method" not in raw):
                bad((*BLOCK, key), "is recorded only with probability_method: sampled")
        return method, None, None, None
    if "draws" in raw:
        n = raw["draws"]
        if isinstance(n, int) and not isinstance(n, bool) and MIN_DRAWS <= n <= MAX_DRAWS:
            draws = n
        else:
            bad((*BLOCK, "draws"), f"must be a whole number from {MIN_DRAWS} to "
                f"{MAX_DRAWS:,}")
    elif method == "sampled":
        bad((*BLOCK, "probability_method"), "sampled needs draws: the number of draws",
            (*BLOCK, "draws"))
    if "top_input" in raw:
        name = raw["top_input"]
        if isinstance(name, str) and len(name) <= 300 and INPUT_NAME.fullmatch(name):
            top = name
        else:
            bad((*BLOCK, "top_input"), "must be an input's name (e.g. traffic.avg_rps)")
    if "top_input_value_usd" in raw:
        v = raw["top_input_value_usd"]
        if _number(v) and 0 <= v <= MAX_USD:
            worth = float(v)
        else:
            bad((*BLOCK, "top_input_value_usd"), f"must be a number from 0 to {MAX_USD:,.0f}")
    return method, draws, top, worth


def _items(items: Any, name: str, bad: Bad, allowed: tuple[str, ...],
           ) -> list[tuple[int, dict[Any, Any]]]:
    """The mappings of a list, each unknown key reported; [] for a list that is not one."""
    path = (*BLOCK, name)
    if not isinstance(items, list):
        bad(path, "must be a list")
        return []
    if len(items) > MAX_ITEMS:
        bad(path, f"must have at most {MAX_ITEMS} items")
        return []
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            bad((*path, i), f"must be a mapping of {', '.join(allowed)}")
            continue
        for key in item:
            if key not in allowed:
                bad((*path, i, str(key)), f"unknown field; allowed: {', '.join(allowed)}",
                    (*path, i, "<unknown field>"))
        out.append((i, item))
    return out


def _drivers(items: Any, bad: Bad) -> None:
    path = (*BLOCK, "drivers")
    for i, item in _items(items, "drivers", bad, ("rule", "weight", "excludes")):
        rule = item.get("rule")
        if rule is None:
            bad((*path, i, "rule"), "is required", (*path, i, "rule"))
        elif not isinstance(rule, str) or len(rule) > 64 or not RULE_ID.fullmatch(rule):
            bad((*path, i, "rule"), "must be a rule id (e.g. LIMIT-DURATION-001)")
        weight = item.get("weight")
        if weight is None:
            bad((*path, i, "weight"), "is required", (*path, i, "weight"))
        elif not _number(weight) or abs(weight) > MAX_WEIGHT:
            bad((*path, i, "weight"), f"must be a number from -{MAX_WEIGHT:,.0f} to "
                f"{MAX_WEIGHT:,.0f}")
        excludes = item.get("excludes", [])
        if not isinstance(excludes, list) or len(excludes) > len(OPTIONS) or \
                not all(isinstance(o, str) and o in OPTIONS for o in excludes):
            bad((*path, i, "excludes"), f"must be a list of {', '.join(OPTIONS)}")


def _conditions(items: Any, bad: Bad, rec: Any) -> list[When]:
    path = (*BLOCK, "when")
    out = []
    for i, item in _items(items, "when", bad, ("field", "crosses", "from", "verdict")):
        ok = True
        for key in ("field", "crosses", "from", "verdict"):
            if key not in item:
                bad((*path, i, key), "is required", (*path, i, key))
                ok = False
        field: Any = item.get("field")
        crosses: Any = item.get("crosses")
        side: Any = item.get("from")
        verdict: Any = item.get("verdict")
        if "field" in item and field not in AXES:
            bad((*path, i, "field"), f"must be one of {', '.join(AXES)}")
            ok = False
        if "crosses" in item and (not _number(crosses) or not 0 <= crosses <= MAX_CROSSES):
            bad((*path, i, "crosses"), f"must be a number from 0 to {MAX_CROSSES:,.0f}")
            ok = False
        if "from" in item and side not in SIDES:
            bad((*path, i, "from"), f"must be one of {', '.join(SIDES)}")
            ok = False
        if "verdict" in item and verdict not in OPTIONS:
            bad((*path, i, "verdict"), f"must be one of {', '.join(OPTIONS)}")
            ok = False
        if ok:
            out.append(When(str(field), float(crosses), str(side), str(verdict),
                            rec.front_line(*path, i)))
    return out


Add = Callable[..., None]


def live(rec: Any) -> bool:
    """Whether a record still stands (not rejected, deprecated or superseded)."""
    status = rec.status.text.strip().lower() if rec.status else ""
    return not status.startswith(CLOSED)


def review_due(rec: Any, meta: Revisit, policy: Policy, add: Add) -> None:
    """ADR-REVIEW-DUE: a standing record whose review-by date is before the day checked."""
    if meta.review_by is None or not live(rec) or meta.review_by >= policy.as_of:
        return
    days = (policy.as_of - meta.review_by).days
    add("ADR-REVIEW-DUE", f"review-by {meta.review_by.isoformat()} has passed ({days:,} "
        f"day{'s' if days != 1 else ''} before {policy.as_of.isoformat()}): review the "
        "decision against the profile and current prices, then set a new review-by date",
        meta.review_line)


def crossed(rec: Any, meta: Revisit, r: Result, add: Add) -> None:
    """ADR-REVISIT: each recorded switching value the profile, evaluated now, lies past (a
    component with parts has no values of its own to compare: each part has its flips)."""
    if not live(rec) or r.parts:
        return
    for w in meta.when:
        now = getattr(r.workload, AXIS_ATTR[w.field])
        if now is None:
            continue
        past = now > w.crosses if w.side == "below" else now < w.crosses
        if not past:
            continue
        side = "above" if w.side == "below" else "below"
        add("ADR-REVISIT", f"{w.field} is {num(now, 4)} now, {side} {num(w.crosses, 4)}, the "
            f"switching value recorded for it: past it the verdict moves to {w.verdict} "
            f"(runplan's verdict now: {r.verdict.verdict}); revisit the decision", w.line)


def fragile(rec: Any, meta: Revisit, r: Result, model: str, v: Verdict, policy: Policy,
            add: Add) -> None:
    """ADR-FRAGILE: an accepted record that chose runplan's verdict (a verdict it differs from
    is ADR-DISAGREES) with a probability below the threshold."""
    status = rec.status.text.strip().lower() if rec.status else ""
    if not status.startswith("accepted") or model != v.verdict:
        return
    p = probability(r, v)
    if p >= policy.fragile_below:
        return
    top = [d for d in drivers(r) if "excludes" not in d][:3] \
        if v is r.verdict and v.runner_up else []
    line = rec.front_line(*BLOCK, "probability") if meta.probability is not None else \
        (rec.status.line if rec.status else 1)
    how, then, other = _compared(meta, p, policy.draws_for(meta))
    add("ADR-FRAGILE", f"accepted, but the probability that {v.verdict} holds is {p:.2f}"
        f"{how}{then}, below {policy.fragile_below:.2f}{other}"
        + (f"; points for it over {v.runner_up}: "
           + ", ".join(f"{d['rule']} {d['weight']:+g}" for d in top) if top else "")
        + f"; {_measure(meta)}, or record why the decision stands", line)


def _compared(meta: Revisit, p: float, draws: int | None) -> tuple[str, str, str]:
    """How the probability was made now (`how`), and the recorded one beside it, like with
    like: compared (`then`) only when both were made the same way (sampled, or the score
    margin), else what to run to compare them (`other`). A record from before the method was
    kept is compared as it is."""
    sampled = draws is not None
    how = f" over {draws:,} draws" if sampled else ""
    if meta.probability is None:
        return how, "", ""
    if meta.method == "sampled" and not sampled:
        return (" by the score margin", "", f" (the record's {meta.probability:.2f} was "
                f"sampled over {meta.draws or 0:,} draws: re-run with --uncertain={meta.draws} "
                "to compare)")
    if meta.method == "margin" and sampled:
        return how, "", (f" (the record's {meta.probability:.2f} is the score margin's: "
                         "re-run without --uncertain to compare)")
    if round(p, 2) == meta.probability:
        return how, "", ""
    return how, f" ({meta.probability:.2f} when recorded)", ""


def _measure(meta: Revisit) -> str:
    """What to measure: the recorded top input, when the record has one."""
    if meta.top_input is None:
        return "measure the inputs it turns on"
    if meta.top_value_usd:
        return (f"measure {meta.top_input} first (knowing it was worth up to "
                f"{usd(meta.top_value_usd)}/month when recorded)")
    return f"measure {meta.top_input} first (it moved the verdict most when recorded)"
