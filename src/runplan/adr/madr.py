"""A MADR 4.0 decision record from a verdict: the draft `runplan ask --adr` and `adr new` write.

The record carries the profile in its front matter (`runplan:`), inline or as a path relative
to the record, so `runplan adr check` can re-derive the verdict later and see whether the
decision still holds. Options are named so that the chosen option maps back to the verdict by
keyword (Kubernetes / Serverless functions / Hybrid). Dates follow SOURCE_DATE_EPOCH when it
is set, for reproducible output.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import yaml

import runplan
from runplan.adr import revisit
from runplan.advise import Reason, Result
from runplan.errors import Problem, UserError
from runplan.fmt import num, usd

# MADR's default folder first, then the older docs/adr; else the current directory.
RECORD_FOLDERS = ("docs/decisions", "docs/adr")
# Words that keep their capital inside a sentence ("Good, because Kubernetes ...").
PROPER_NOUNS = frozenset({"Kubernetes"})

SHORT = {"kubernetes": "Kubernetes", "serverless": "serverless functions",
         "hybrid": "a hybrid of functions and Kubernetes"}
OPTION_TITLES = {"kubernetes": "Kubernetes (containers on a cluster)",
                 "serverless": "Serverless functions",
                 "hybrid": "Hybrid: functions and Kubernetes, split by workload"}


def today() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date().isoformat()
    return dt.date.today().isoformat()


def default_folder() -> Path:
    """Where `adr new` writes without `-o`: the first of RECORD_FOLDERS that exists."""
    return next((Path(f) for f in RECORD_FOLDERS if Path(f).is_dir()), Path("."))


def repository_root(start: Path) -> Path | None:
    """The git work tree holding `start` (the nearest directory with a `.git`), if any."""
    here = start.resolve()
    return next((d for d in (here, *here.parents) if (d / ".git").exists()), None)


def repository(folder: Path) -> Path:
    """The repository a record in `folder` belongs to: its git work tree, else the current
    directory (resolved). A record references files inside it only (`adr.check.confined`)."""
    return (repository_root(folder) or Path.cwd()).resolve()


def profile_reference(profile: Path, record: Path, reference: bool | None) -> str | None:
    """How the record carries its profile: a path relative to the record when the record and
    the profile file are inside one repository (the record's git work tree, else the current
    directory), None to copy it inline. `reference` True insists on a path, False on inline,
    None chooses."""
    if reference is False:
        return None
    folder = record.parent.resolve()
    root = repository(folder)
    real = profile.resolve()  # through any symlink: where the file really is
    if not (real.is_relative_to(root) and folder.is_relative_to(root)):
        if reference:
            raise UserError(Problem(str(profile), None, "--profile-ref", "the record and the "
                                    f"profile are not inside one repository ({root}), so the "
                                    "record cannot reference it; use --profile-inline"))
        return None
    return Path(os.path.relpath(real, folder)).as_posix()


def _clause(message: str) -> str:
    """A rule message as the rest of a sentence: `Idle 90% ...` -> `idle 90% ...`, `A webhook`
    -> `a webhook`; names (`Kubernetes`) and acronyms (`AWS`, `DevOps`) keep their capitals."""
    text = message.rstrip(".")
    first = text.split(" ", 1)[0].rstrip(":,;")
    if not first[:1].isupper() or first in PROPER_NOUNS or any(c.isupper() for c in first[1:]):
        return text
    return text[0].lower() + text[1:]


def _points(reasons: tuple[Reason, ...], option: str) -> tuple[list[str], list[str]]:
    good = [f"Good, because {_clause(r.message)} ({r.rule})" for r in reasons
            if any(o == option and p > 0 for o, p in r.score)]
    bad = [f"Bad, because {_clause(r.message)} ({r.rule})" for r in reasons
           if any(o == option and p < 0 for o, p in r.score) or option in r.exclude]
    return good, bad


def _costs_of_choice(r: Result) -> list[str]:
    """What the chosen model costs beyond its price, from the cost core's figures."""
    c, verdict = r.costs, r.verdict.verdict
    out = []
    if verdict in ("serverless", "hybrid") and c.cold_start is not None:
        cs = c.cold_start
        out.append(f"Bad, because about {cs.share_of_requests:.2%} of requests meet a cold start "
                   f"(+{cs.added_latency_ms:,.0f} ms each)")
        limit = r.inputs.get("limits.function_max_duration_s")
        if limit:
            out.append(f"Bad, because it ties the code to {c.provider}'s function triggers and "
                       f"limits (a run may take at most {limit:,.0f} s)")
    if verdict in ("kubernetes", "hybrid"):
        k = c.kubernetes
        out.append(f"Bad, because the cluster costs {usd(k.fixed_usd)}/month before the first "
                   f"request (control plane, load balancer, {usd(k.people_usd)} of people time)")
    return out


def _cost_line(r: Result, option: str) -> str:
    c = r.costs
    if option == "kubernetes":
        if not c.kubernetes.priced:
            return (f"Neutral, because its nodes are not priced on {c.provider} (a GPU "
                    f"component, and kbase has no sourced GPU node price there)")
        return (f"Neutral, because it costs about {usd(c.kubernetes.monthly_usd)}/month on "
                f"{c.provider} ({usd(c.kubernetes.fixed_usd)} of it fixed)")
    if option == "serverless":
        if c.serverless is None:
            return f"Bad, because {c.provider} offers no managed functions"
        return (f"Neutral, because it costs about {usd(c.serverless.monthly_usd)}/month on "
                f"{c.provider}")
    return "Neutral, because its cost depends on the split (each part priced on its own model)"


def new_record(r: Result, profile: dict[str, Any] | str, title: str, description: str | None,
               provider: str | None, command: str = "runplan adr new",
               review: str | None = None, summary: Any = None) -> str:
    """The draft `adr new` writes (and `runplan serve` offers): the verdict as the chosen
    option, the profile's description in the context, `review` its review-by date."""
    context = f"Where should {r.name} run? {description or ''}".rstrip()
    return render_madr(r, profile, title=title, context=context, provider=provider,
                       command=command, review=review, summary=summary)


def render_madr(r: Result, profile: dict[str, Any] | str, title: str | None = None,
                context: str = "", provider: str | None = None,
                command: str = "runplan ask", review: str | None = None,
                summary: Any = None) -> str:
    """The MADR 4.0 draft for a verdict, with the profile in the front matter (a mapping, or a
    path relative to the record with the `provider` it was priced on), what runplan found
    when it was written (`recorded`: verdict and both costs), so a later check can tell when
    current prices no longer support it, and when to look again (`revisit`: probability,
    drivers and switching values; `review-by`: `review`, by default six months on; `summary`:
    the draws' under --uncertain, whose probability `r` holds: `revisit.block`)."""
    verdict = r.verdict.verdict
    chosen = OPTION_TITLES[verdict]
    c = r.costs
    recorded = {"verdict": verdict, "date": today(),
                "kubernetes_usd": None if c.kubernetes.priced_usd is None else
                round(c.kubernetes.priced_usd, 2),
                "serverless_usd": None if c.serverless is None else
                round(c.serverless.monthly_usd, 2)}
    block: dict[str, Any] = {"profile": profile}
    if isinstance(profile, str) and provider is not None:
        block["provider"] = provider
    block["recorded"] = recorded
    block["revisit"] = revisit.block(r, summary)
    written = today()
    review = review or revisit.review_by(written, None)
    front = {"status": "proposed", "date": written, "review-by": review, "decision-makers": [],
             "consulted": [], "informed": [], "runplan": block}
    supporting = sorted((x for x in r.reasons if x.support(verdict) > 0),
                        key=lambda x: -x.support(verdict))
    because = "; ".join(_clause(x.message) for x in supporting[:3]) or \
        "runplan's rules and costs favour it"
    lines = ["---", yaml.safe_dump(front, sort_keys=False, width=100).rstrip(), "---", "",
             f"# {title or 'Run ' + r.name + ' on ' + SHORT[verdict]}", "",
             "## Context and Problem Statement", "",
             context or f"Where should {r.name} run: on Kubernetes, on serverless functions, "
             "or split between both?", ""]
    if r.assumptions:
        lines += ["Figures not given were assumed: "
                  + "; ".join(str(a) for a in r.assumptions) + ".", ""]
    lines += ["## Decision Drivers", ""]
    lines += [f"* {x.title} ({x.rule}; {x.source})" for x in supporting[:6]] or \
        ["* monthly cost and operations effort"]
    lines += ["", "## Considered Options", ""]
    lines += [f"* {OPTION_TITLES[o]}" for o in ("kubernetes", "serverless", "hybrid")]
    lines += ["", "## Decision Outcome", "",
              f'Chosen option: "{chosen}", because {because}.', "", "### Consequences", ""]
    good, bad = _points(r.reasons, verdict)
    lines += [f"* {x}" for x in good[:3]] or [
        f"* Good, because it is runplan's verdict (confidence {r.verdict.confidence:.2f})"]
    lines += [f"* {x}" for x in (bad + _costs_of_choice(r))[:3]]
    if r.flips:
        lines += ["", "The decision flips " + "; ".join(
            f"at {num(f.to, 4)} for {f.field} (now {num(f.current, 4)}) to {f.verdict}"
            for f in r.flips[:3]) + "."]
    lines += ["", f"Review by {review}, or sooner when a switching value in the front matter "
              "(`runplan.revisit.when`) is crossed: `runplan adr check` reports both."]
    lines += ["", "### Confirmation", "",
              "`runplan adr check` on this record re-derives the verdict from the profile in the "
              "front matter and current prices, in CI.", "",
              "## Pros and Cons of the Options", ""]
    for option in ("kubernetes", "serverless", "hybrid"):
        good, bad = _points(r.reasons, option)
        lines += [f"### {OPTION_TITLES[option]}", "", f"* {_cost_line(r, option)}"]
        lines += [f"* {x}" for x in good + bad] or []
        lines.append("")
    lines += ["## More Information", "",
              f"Drafted by runplan {runplan.__version__} (`{command}`): verdict {verdict}, confidence "
              f"{r.verdict.confidence:.2f}, scores kubernetes {r.verdict.scores['kubernetes']:g}, "
              f"serverless {r.verdict.scores['serverless']:g}, hybrid "
              f"{r.verdict.scores['hybrid']:g}. Prices and limits: runplan kbase (sources and "
              "dates: `runplan kbase show`)."]
    return "\n".join(lines) + "\n"
