"""`runplan ask`: an adaptive interview that ends in a verdict.

`Interview` is the logic, with no I/O: which question comes next (in the questionnaire's
order, most decisive group first, skipping any whose `ask_if` fails on the profile so far or
whose option a hard constraint has already ruled out), taking an answer, going back, and the
provisional verdict. `run` drives it through a `Console`: a plain line reader for pipes,
scripts and tests, or prompt_toolkit on a terminal (arrow keys cycle the choices).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from runplan.advise import Advisor, Result
from runplan.errors import UserError
from runplan.profile import FIELD_PATHS, Component, component_from, nest
from runplan.questions import Question, Questionnaire, parse_answer
from runplan.rulebase.compile import predicate
from runplan.rulebase.spec import AllCond, AnyCond, Cond, FactCond, FieldCond
from runplan.yamlio import LineMap

INPUTS = len(FIELD_PATHS) - 1  # every profile input but the name
BACK = ("<", "back", "b")
HELP = ("?", "help", "h")


def holds(cond: Cond, fields: dict[str, Any]) -> bool:
    """A questionnaire condition (profile fields only) on the profile so far."""
    if isinstance(cond, FieldCond):
        return predicate(cond)(fields.get(cond.field))
    if isinstance(cond, AllCond):
        return all(holds(c, fields) for c in cond.items)
    if isinstance(cond, AnyCond):
        return any(holds(c, fields) for c in cond.items)
    assert isinstance(cond, FactCond)
    return False


@dataclass
class Interview:
    questionnaire: Questionnaire
    advisor: Advisor
    provider: str | None = None  # --provider: fixed, so its question is not asked
    answers: dict[str, Any] = field(default_factory=dict)  # question id -> value
    asked: list[str] = field(default_factory=list)  # question ids, in the order asked
    _result: Result | None = None

    def profile(self) -> dict[str, Any]:
        """The profile so far: the answers given (runplan's defaults fill the rest)."""
        flat = {"name": "component"}
        for qid, value in self.answers.items():
            q = self.questionnaire.get(qid)
            assert q is not None
            flat[q.field] = value
        if self.provider:
            flat["constraints.provider"] = self.provider
        return nest(flat)

    def component(self) -> Component:
        return component_from(self.profile(), {}, "answers", self.advisor.kb)

    def provisional(self) -> Result:
        if self._result is None:
            # With flips: a flip on an input still assumed lowers the confidence shown.
            self._result = self.advisor.advise(self.component())
        return self._result

    def applies(self, q: Question) -> bool:
        if q.id in self.asked:
            return False
        if self.provider and q.field == "constraints.provider":
            return False
        result = self.provisional()
        if q.ask_if is not None and not holds(q.ask_if, result.workload.fields()):
            return False
        return not any(result.verdict.excluded.get(o) for o in q.skip_if_excluded)

    def next(self) -> Question | None:
        return next((q for q in self.questionnaire.questions if self.applies(q)), None)

    def answer(self, q: Question, value: Any, given: bool = True) -> None:
        """Record an answer (`given=False`: Enter on a question whose default is runplan's
        own, so the field stays unset and is listed as an assumption). Raises ValueError when
        the answer contradicts an earlier one."""
        previous = self.answers.get(q.id, _MISSING)
        if given:
            self.answers[q.id] = value
        self._result = None
        try:
            self.component()
        except UserError as exc:
            if previous is _MISSING:
                self.answers.pop(q.id, None)
            else:
                self.answers[q.id] = previous
            self._result = None
            raise ValueError("; ".join(p.message for p in exc.problems)) from None
        self.asked.append(q.id)

    def back(self) -> Question | None:
        """Forget the last answer; the question to ask again (None at the start)."""
        if not self.asked:
            return None
        qid = self.asked.pop()
        self.answers.pop(qid, None)
        self._result = None
        return self.questionnaire.get(qid)


_MISSING = object()


class Console(Protocol):
    interactive: bool

    def say(self, text: str = "") -> None: ...

    def ask(self, prompt: str, q: Question | None) -> str: ...


@dataclass
class LineConsole:
    """Reads one answer per line: pipes, scripts, click's test runner."""

    inp: TextIO
    out: TextIO
    interactive: bool = True

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def ask(self, prompt: str, q: Question | None) -> str:
        self.out.write(prompt)
        self.out.flush()
        line = self.inp.readline()
        if not line:
            raise EOFError
        if not self.inp.isatty():  # echo piped answers so a transcript reads as a dialogue
            self.out.write(line if line.endswith("\n") else line + "\n")
        return line.rstrip("\r\n")


class TerminalConsole:
    """prompt_toolkit on a terminal: Up and Down cycle a choice question's options. Prompts go
    to stderr (the terminal), so that stdout holds only the verdict."""

    interactive = True

    def __init__(self, out: TextIO) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.output import create_output

        self.out = out
        self.session: Any = PromptSession(output=create_output(stdout=out))

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def ask(self, prompt: str, q: Question | None) -> str:
        from prompt_toolkit.key_binding import KeyBindings

        kb = KeyBindings()
        values = [v for v, _ in q.choices] if q is not None else []

        def cycle(step: int) -> Callable[[Any], None]:
            def handler(event: Any) -> None:
                buf = event.app.current_buffer
                current = buf.text.strip()
                i = values.index(current) if current in values else (-1 if step > 0 else 0)
                buf.text = values[(i + step) % len(values)]
                buf.cursor_position = len(buf.text)

            return handler

        if values:
            kb.add("down")(cycle(1))
            kb.add("up")(cycle(-1))
        return str(self.session.prompt(prompt, key_bindings=kb))


def _show_question(console: Console, q: Question, number: int) -> str:
    if q.choices:
        default = q.default
        for i, (value, label) in enumerate(q.choices, start=1):
            mark = " (default)" if value == default else ""
            console.say(f"    {i}. {label}{mark}")
    if q.suggestions:
        console.say(f"    e.g. {', '.join(q.suggestions)}")
    return f"{number}. {q.prompt}{q.hint()} > "


def provisional_line(r: Result) -> str:
    v = r.verdict
    return (f"  -> provisional verdict: {v.verdict} (confidence {v.confidence:.2f}; scores "
            f"kubernetes {v.scores['kubernetes']:g}, serverless {v.scores['serverless']:g}, "
            f"hybrid {v.scores['hybrid']:g}; {len(r.assumptions)} of {INPUTS} inputs still "
            f"assumed)")


def run(interview: Interview, console: Console) -> None:
    """Ask until no question applies or the user accepts a provisional verdict.

    `?` shows a question's help, `<` goes back one question, Enter takes the default. Raises
    EOFError at the end of input and KeyboardInterrupt on Ctrl-C (the caller writes nothing).
    """
    titles = dict(interview.questionnaire.groups)
    group: str | None = None
    pending: Question | None = None
    while True:
        q = pending or interview.next()
        pending = None
        if q is None:
            break
        if q.group != group:
            if group is not None and interview.asked and console.interactive:
                console.say(provisional_line(interview.provisional()))
                reply = console.ask("  Accept it and finish? [y/N, < back] > ", None)
                if reply.strip().lower() in BACK:
                    pending = interview.back()
                    group = pending.group if pending else None
                    continue
                if reply.strip().lower() in ("y", "yes"):
                    break
            group = q.group
            console.say(f"\n{titles[q.group]}")
        prompt = _show_question(console, q, len(interview.asked) + 1)
        while True:
            text = console.ask(prompt, q).strip()
            if text.lower() in HELP:
                console.say(f"    {q.help}")
                console.say(f"    (source: {q.source})")
                continue
            if text.lower() in BACK:
                pending = interview.back()
                if pending is None:
                    console.say("    (this is the first question)")
                    continue
                group = pending.group
                break
            try:
                if text == "":
                    if q.type == "text" and q.default is None:
                        raise ValueError("an answer is needed")
                    interview.answer(q, q.default, given=q.default is not None)
                else:
                    interview.answer(q, parse_answer(q, text))
            except ValueError as exc:
                console.say(f"    not accepted: {exc}; ? for help")
                continue
            break


def profile_text(result: Result, profile: dict[str, Any], path: str, by: str = "runplan ask",
                 ) -> str:
    """The profile as YAML that `runplan advise` loads (`ask --save-profile`, and the
    profile `runplan serve` offers for download), headed by the verdict it was given."""
    import yaml

    header = (f"# Written by {by}; verdict {result.verdict.verdict} (confidence "
              f"{result.verdict.confidence:.2f}). Load with: runplan advise {path}\n")
    return header + yaml.safe_dump(profile, sort_keys=False)


def console_for(stdin: TextIO, prompts: TextIO) -> Console:
    """The console that reads `stdin` and writes the questions to `prompts` (stderr: the
    verdict alone goes to stdout, so `runplan ask --format json > verdict.json` works)."""
    if stdin.isatty() and prompts.isatty():
        return TerminalConsole(prompts)
    return LineConsole(stdin, prompts)


def apply_answers(interview: Interview, answers: dict[str, Any], file: str,
                  lines: LineMap) -> list[str]:
    """Answer from an --answers file (keys: question ids or profile fields); questions it
    does not answer take their defaults. Returns notes on answers that did not apply."""
    from runplan.errors import Problem
    from runplan.questions import coerce
    from runplan.yamlio import line_of

    qs = interview.questionnaire
    by_key: dict[str, tuple[Question, Any, str]] = {}
    problems = []
    for key, value in answers.items():
        q = qs.get(str(key)) or qs.by_field(str(key))
        if q is None:
            import difflib

            names = [x.id for x in qs.questions] + [x.field for x in qs.questions]
            close = difflib.get_close_matches(str(key), names, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(Problem(file, line_of(lines, (key,)), str(key),
                                    f"not a question id or profile field{hint}"))
            continue
        try:
            by_key[q.id] = (q, coerce(q, value), str(key))
        except ValueError as exc:
            problems.append(Problem(file, line_of(lines, (key,)), str(key), str(exc)))
    if problems:
        raise UserError(problems)
    while (q := interview.next()) is not None:
        if q.id in by_key:
            _, value, key = by_key.pop(q.id)
            try:
                interview.answer(q, value)
            except ValueError as exc:
                raise UserError(Problem(file, line_of(lines, (key,)), key, str(exc))) from None
        else:
            if q.type == "text" and q.default is None:
                raise UserError(Problem(file, None, q.id, "an answer is needed"))
            interview.answer(q, q.default, given=q.default is not None)
    return [f"{key}: not asked for this profile, ignored" for _, _, key in by_key.values()]
