"""Write a user's output file whole or not at all: beside the target, renamed at the end."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from runplan.errors import Problem, UserError


@contextlib.contextmanager
def atomic_text(path: Path) -> Iterator[TextIO]:
    """A text stream whose content replaces `path` only when the block ends without error."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise UserError(Problem(str(path), None, "", f"directory {directory} does not exist"))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="", buffering=1 << 20) as f:
            yield f
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as a plain open() would have made it
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path: Path, text: str) -> None:
    with atomic_text(path) as f:
        f.write(text)
