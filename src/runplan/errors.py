"""The one family of errors a user can cause, and the exit codes the CLI maps them to."""

from __future__ import annotations

from dataclasses import dataclass

from runplan.fmt import printable

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USER_ERROR = 2
EXIT_INTERNAL = 3
EXIT_PIPE = 141  # the reader of stdout went away (128 + SIGPIPE, as shell tools exit)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a user's file, in the parsable shape `file:line: error: field: msg`."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        """One line, safe for a terminal: a file name, a field or a value the user wrote may
        hold control characters (ESC sequences, NUL, a newline); they are shown escaped."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f"{self.field}: " if self.field else ""
        line = f"{where}: error: {field}{self.message}" if where else f"error: {field}{self.message}"
        return printable(line)


class UserError(Exception):
    """A problem with input the user handed in: reported as a message, exit code 2."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("", None, "", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def __reduce__(self) -> tuple[type[UserError], tuple[list[Problem]]]:
        # Keep the problems whole across worker processes (the default pickles the message).
        return (UserError, (self.problems,))
