"""Reading a user's file: regular files only, never more than a byte limit, never a hang.

Every file a user hands in (profiles, inventories, `--pricing`, `--defaults`, `--answers`,
rule files, decision records) is read here. `st_size` is not trusted (it is 0 for devices,
pipes and /proc files): reads stop at the limit whatever the file says. A device, FIFO,
socket or kernel pseudo-file (/proc, /sys) is refused with one message, except where a
stream is the point: `-` (stdin), `/dev/stdin` and named pipes for the inventory formats
read line by line, CSV and JSON Lines (`open_stream`), which bound each line instead; and
`-` or a pipe for a whole inventory (`read_bytes(stdin=True)`), bounded like a file.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import BinaryIO

from runplan.errors import Problem, UserError

MAX_FILE_BYTES = 2 * 1024 * 1024
STDIN = "-"
_CHUNK = 1 << 20
_PSEUDO = ("/proc/", "/sys/")  # kernel files: st_size 0 (or 4096) whatever they hold
NOT_REGULAR = ("not a regular file (a device, FIFO, socket or /proc file); runplan reads "
               "regular files only")


def _fail(name: str, message: str, line: int | None = None) -> UserError:
    return UserError(Problem(name, line, "", message))


def _open_fd(path: Path) -> tuple[int, os.stat_result]:
    """An open descriptor on `path` and its status; refuses what is not a file to read.
    Opened non-blocking, so that a FIFO without a writer cannot hang the open."""
    name = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise _fail(name, "file not found") from None
    except IsADirectoryError:
        raise _fail(name, "is a directory, expected a file") from None
    except OSError as exc:
        raise _fail(name, f"cannot read: {exc.strerror}") from None
    st = os.fstat(fd)
    if stat.S_ISDIR(st.st_mode):
        os.close(fd)
        raise _fail(name, "is a directory, expected a file")
    return fd, st


def _pseudo(path: Path) -> bool:
    real = os.path.realpath(path)
    return real.startswith(_PSEUDO)


def is_stdin(path: Path | str) -> bool:
    return str(path) == STDIN


def display_name(path: Path | str) -> str:
    """The name messages give a file: `<stdin>` for `-`."""
    return "<stdin>" if is_stdin(path) else str(path)


def _read_limited(f: BinaryIO, name: str, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = f.read(min(_CHUNK, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise _fail(name, f"file is larger than the limit of {max_bytes:,} bytes")
    return b"".join(chunks)


def read_bytes(path: Path, max_bytes: int = MAX_FILE_BYTES, stdin: bool = False) -> bytes:
    """A user's file whole, at most `max_bytes`; with `stdin`, `-` and pipes are read too."""
    name = str(path)
    if stdin and is_stdin(path):
        return _read_limited(sys.stdin.buffer, display_name(path), max_bytes)
    if stdin and _is_pipe(path):
        f, _ = open_stream(path)
        with f:
            return _read_limited(f, name, max_bytes)
    fd, st = _open_fd(path)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(st.st_mode) or _pseudo(path):
            raise _fail(name, NOT_REGULAR)
        if st.st_size > max_bytes:  # refused without reading; the read below is bounded anyway
            raise _fail(name, f"file is {st.st_size:,} bytes; the limit is {max_bytes:,} bytes")
        os.set_blocking(fd, True)
        return _read_limited(f, name, max_bytes)


def _is_pipe(path: Path) -> bool:
    try:
        return stat.S_ISFIFO(os.stat(path).st_mode)
    except OSError:
        return False  # _open_fd says why


def decode(data: bytes, name: str) -> str:
    """UTF-8 text (a leading BOM dropped); an invalid byte is named with its line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _fail(name, f"not UTF-8 text (byte {exc.start} is invalid)", line) from None
    return text.removeprefix("\ufeff")


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES, stdin: bool = False) -> str:
    """A user's file as UTF-8 text, refusing one that is missing, huge, binary or not a file."""
    return decode(read_bytes(path, max_bytes, stdin), display_name(path))


def open_stream(path: Path) -> tuple[BinaryIO, bool]:
    """A file to read line by line, and whether it is a regular file (one that can be read
    twice); `-`, `/dev/stdin` or a named pipe is a stream, read once (a named pipe waits for
    its writer, as `cat` does). Devices and /proc files are refused: nothing bounds them."""
    if is_stdin(path):
        return sys.stdin.buffer, False
    if _is_pipe(path):
        try:
            return open(path, "rb"), False  # closed by the reader (`_text_lines`)
        except OSError as exc:
            raise _fail(str(path), f"cannot read: {exc.strerror}") from None
    fd, st = _open_fd(path)
    if not stat.S_ISREG(st.st_mode) or _pseudo(path):
        os.close(fd)
        raise _fail(str(path), NOT_REGULAR)
    os.set_blocking(fd, True)
    return open(fd, "rb"), True  # closed by the reader (`_text_lines`)


def readline(f: BinaryIO, max_bytes: int) -> bytes:
    """One line of a stream, at most `max_bytes + 1` bytes (more means the line is too long)."""
    return f.readline(max_bytes + 1)
