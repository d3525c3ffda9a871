"""Every output runplan writes (`-o`, `--plot`, `--save-profile`, `--adr`) goes through here.

What the target is decides how it is written:

- `-`: standard output, streamed.
- a regular file, or a path that does not exist yet: a temporary file beside it, renamed over
  it at the end, so the target holds the old content or the whole new one, never half (an
  existing file's permission bits are kept).
- a character device, a FIFO or a socket (`/dev/null`, `mkfifo`, `/dev/stdout`,
  `/proc/self/fd/1`): opened and written in place, streamed; never replaced or renamed over.
- a symbolic link: followed only to a device, FIFO or socket (so `/dev/stdout` works), or to
  this process's standard output; a link to a regular file, a directory or nothing is refused,
  because a report must never be written through a link someone else planted (CI checks out
  whatever a pull request contains). runplan never replaces the link either: remove it, or
  name the file itself.
- a directory, a block device, a missing or unwritable directory: refused.
- a target whose directory is reached through a symbolic link (`o2/reports/x.json` with
  `o2/reports -> ../elsewhere`, or any link among the directories of an absolute path): refused
  before it is replaced. The directory is opened one component at a time without following
  links, and the temporary file is created and renamed relative to that open directory, so a
  link swapped in while the report is written cannot redirect the rename either. A device,
  FIFO or stdout is not replaced, so a link on its way (`/proc/self/fd/1`) is followed.
- a name the system cannot take (a component over 255 bytes, a NUL byte): refused, the path
  shortened in the message.

Every refusal and every failed write (a full disk, `/dev/full`) is a `UserError`: one line,
exit 2. The temporary file is removed on any exception, KeyboardInterrupt and SystemExit
included; one killed by a signal with no Python handler can be removed by
`remove_pending()` (what a SIGTERM handler calls before it exits).
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import secrets
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, TextIO

from runplan.errors import Problem, UserError

if TYPE_CHECKING:
    from typing_extensions import Buffer

STDOUT = "-"
BUFFER_BYTES = 1 << 20
Kind = Literal["stdout", "stream", "replace"]

_pending: set[str] = set()  # temporary files being written, for `remove_pending`


def remove_pending() -> None:
    """Remove every temporary file still being written (safe to call from a signal handler)."""
    for tmp in list(_pending):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        _pending.discard(tmp)


def _refuse(path: Path | str, message: str, option: str = "") -> UserError:
    return UserError(Problem(str(path), None, option, message))


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return "file name too long"
    return exc.strerror or str(exc)


def write_error(label: str, exc: OSError) -> UserError:
    """A failed write, in the one-line shape (`out.json: error: cannot write: No space...`)."""
    return UserError(Problem(label, None, "", f"cannot write: {_reason(exc)}"))


def _stdout_stat() -> os.stat_result | None:
    try:
        return os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return None


def _is_stdout(st: os.stat_result) -> bool:
    out = _stdout_stat()
    return out is not None and os.path.samestat(st, out)


def _streamable(mode: int) -> bool:
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def check_target(path: Path | str, option: str = "") -> Kind:
    """How `path` would be written; a UserError if it cannot be. Nothing is created."""
    if str(path) == STDOUT:
        return "stdout"
    path = Path(path)
    if "\0" in str(path):
        raise _refuse(path, "a file name cannot contain a NUL byte", option)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        _check_directory(path, option)
        return "replace"
    except NotADirectoryError:
        raise _refuse(path, f"{_directory(path)} is not a directory", option) from None
    except OSError as exc:
        raise _refuse(path, f"cannot write: {_reason(exc)}", option) from None
    if stat.S_ISLNK(st.st_mode):
        try:
            target = os.stat(path)
        except OSError:
            target = None
        if target is not None and (_is_stdout(target) or _streamable(target.st_mode)):
            return "stdout" if _is_stdout(target) else "stream"
        raise _refuse(path, "is a symbolic link; runplan does not write through a link to a "
                      "file (name the file itself, or remove the link)", option)
    if stat.S_ISDIR(st.st_mode):
        raise _refuse(path, "is a directory; give a file name", option)
    if stat.S_ISREG(st.st_mode):
        _check_directory(path, option)
        return "replace"
    if stat.S_ISBLK(st.st_mode):
        raise _refuse(path, "is a block device; runplan writes reports to files", option)
    return "stdout" if _is_stdout(st) else "stream"


def check_not_input(path: Path | str | None, inputs: tuple[Path | str | None, ...],
                    option: str = "-o") -> None:
    """Refuse an output that is one of the command's inputs (`score x.jsonl -o x.jsonl` would
    replace the inventory with its report); a link or another name for it counts too."""
    if path is None or str(path) == STDOUT:
        return
    for given in inputs:
        if given is None or str(given) == STDOUT:
            continue
        try:
            same = os.path.samefile(path, given)
        except (OSError, ValueError):
            continue
        if same:
            raise _refuse(path, f"is the input file {given}; give the report another name",
                          option)


def _directory(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def _check_directory(path: Path, option: str) -> None:
    os.close(_open_directory(path, option))


_DIR_FLAGS = (os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0)
              | getattr(os, "O_CLOEXEC", 0))


def _open_directory(path: Path, option: str) -> int:
    """A descriptor on the directory `path` is to be written in, opened one component at a
    time, never through a symbolic link; refused (UserError) if a component is a link, is
    missing or is not a directory, or the directory is not writable."""
    directory = _directory(path)
    fd = os.open("/" if directory.is_absolute() else ".", _DIR_FLAGS)
    walked = Path("/" if directory.is_absolute() else "")
    try:
        for part in directory.parts:
            if part in ("/", "", "."):
                continue
            walked = walked / part
            try:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                raise _directory_refusal(path, walked, fd, part, exc, option) from None
            os.close(fd)
            fd = child
        if not os.access(".", os.W_OK | os.X_OK, dir_fd=fd):
            raise _refuse(path, f"cannot write in directory {directory}: permission denied",
                          option)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _directory_refusal(path: Path, walked: Path, fd: int, part: str, exc: OSError,
                       option: str) -> UserError:
    try:
        mode: int | None = os.lstat(part, dir_fd=fd).st_mode
    except OSError:
        mode = None
    if mode is not None and stat.S_ISLNK(mode):
        return _refuse(path, f"directory {walked} is a symbolic link; runplan does not replace "
                       "a file through a link (name the real directory)", option)
    if mode is None and isinstance(exc, FileNotFoundError):
        return _refuse(path, f"directory {walked} does not exist", option)
    if mode is not None and not stat.S_ISDIR(mode):
        return _refuse(path, f"{walked} is not a directory", option)
    return _refuse(path, f"cannot write in directory {walked}: {_reason(exc)}", option)


class _Raw(io.FileIO):
    """A file descriptor whose failed writes are the user's problem (one line, exit 2); a
    closed pipe stays a BrokenPipeError (the CLI exits 141 quietly)."""

    label = ""

    def write(self, b: Buffer, /) -> int:
        try:
            return super().write(b)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise write_error(self.label, exc) from None


class _Stdout(io.RawIOBase):
    """Standard output's byte stream as a raw stream, flushed at each write (our own buffer
    sits above it), failed writes reported as for a file."""

    def __init__(self) -> None:
        super().__init__()
        sys.stdout.flush()  # whatever was printed before comes first
        self.target: Any = getattr(sys.stdout, "buffer", None) or _TextBytes(sys.stdout)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return sys.stdout.isatty()

    def write(self, b: Buffer, /) -> int:
        try:
            self.target.write(b)
            self.target.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise write_error("stdout", exc) from None
        return memoryview(b).nbytes


class _TextBytes(io.RawIOBase):
    """Bytes onto a text-only stdout (an embedding's StringIO), decoded as they come."""

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self.out = out
        self.decoder = codecs.getincrementaldecoder("utf-8")()

    def writable(self) -> bool:
        return True

    def write(self, b: Buffer, /) -> int:
        data = memoryview(b).tobytes()
        self.out.write(self.decoder.decode(data))
        return len(data)

    def flush(self) -> None:
        self.out.flush()


@contextlib.contextmanager
def atomic_bytes(path: Path | str, option: str = "") -> Iterator[BinaryIO]:
    """A byte stream onto `path` (`-`: stdout), written as the module docstring says."""
    kind = check_target(path, option)
    if kind == "stdout":
        with _closing(io.BufferedWriter(_Stdout(), BUFFER_BYTES)) as f:
            yield f
    elif kind == "stream":
        with _closing(io.BufferedWriter(_open_in_place(Path(path), option), BUFFER_BYTES)) as f:
            yield f
    else:
        with _replacing(Path(path), option) as f:
            yield f


@contextlib.contextmanager
def atomic_text(path: Path | str, option: str = "") -> Iterator[TextIO]:
    """A UTF-8 text stream onto `path` (`-`: stdout), written as the module docstring says."""
    with atomic_bytes(path, option) as raw:
        f = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=True)
        try:
            yield f
        except BaseException:
            with contextlib.suppress(Exception):
                f.detach()  # what went wrong in the block is the error to report
            raise
        f.detach()  # the byte stream is closed (or discarded) by atomic_bytes


def write_text(path: Path | str, text: str, option: str = "") -> None:
    with atomic_text(path, option) as f:
        f.write(text)


def write_bytes(path: Path | str, data: bytes, option: str = "") -> None:
    with atomic_bytes(path, option) as f:
        f.write(data)


@contextlib.contextmanager
def _closing(f: io.BufferedWriter) -> Iterator[BinaryIO]:
    try:
        yield f
        f.flush()
    finally:
        with contextlib.suppress(OSError, UserError, ValueError):
            f.close()  # after a failed write; the failure itself is already on its way


def _open_in_place(path: Path, option: str) -> _Raw:
    """Open a device, FIFO or socket for writing: no create, no truncate; a FIFO waits for its
    reader, as any writer would. Refused if what was opened turns out to be a regular file or a
    directory (the path changed since it was checked)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise _refuse(path, f"cannot write: {_reason(exc)}", option) from None
    if not _streamable(os.fstat(fd).st_mode):
        os.close(fd)
        raise _refuse(path, "changed while runplan was writing it; not written", option)
    raw = _Raw(fd, "wb", closefd=True)
    raw.label = str(path)
    return raw


@contextlib.contextmanager
def _replacing(path: Path, option: str) -> Iterator[BinaryIO]:
    """A temporary file beside `path`, renamed over it when the block ends without error;
    both made relative to the directory opened by `_open_directory` (no link followed)."""
    directory = _directory(path)
    name = path.name
    dfd = _open_directory(path, option)
    try:
        try:
            st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            old_mode: int | None = stat.S_IMODE(st.st_mode) & 0o777
        except OSError:
            old_mode = None
        fd, tmp = _create_temp(path, dfd, option)
        shown = str(directory / tmp)
        _pending.add(shown)
        try:
            raw = _Raw(fd, "wb", closefd=True)
            raw.label = str(path)
            with io.BufferedWriter(raw, BUFFER_BYTES) as f:
                yield f
                f.flush()
                try:
                    os.fsync(fd)
                except OSError as exc:
                    if exc.errno not in (errno.EINVAL, errno.ENOTSUP):  # unsupported there
                        raise write_error(str(path), exc) from None
            if old_mode is None:
                umask = os.umask(0)
                os.umask(umask)
                old_mode = 0o666 & ~umask  # as a plain open() would have made it
            os.chmod(tmp, old_mode, dir_fd=dfd)
            _recheck(path, dfd, option)
            os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dfd)
            raise
        finally:
            _pending.discard(shown)
    finally:
        os.close(dfd)


def _create_temp(path: Path, dfd: int, option: str) -> tuple[int, str]:
    """A new file `.NAME.<8 random characters>.tmp` in the open directory, created exclusively (mode 0600),
    its name kept within the system's limit however long NAME is."""
    flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_CLOEXEC", 0))
    for _ in range(100):
        tmp = f".{path.name[:200]}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, flags, 0o600, dir_fd=dfd), tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise _refuse(path, f"cannot create a file in {_directory(path)}: {_reason(exc)}",
                          option) from None
    raise _refuse(path, f"cannot create a file in {_directory(path)}", option)


def _recheck(path: Path, dfd: int, option: str) -> None:
    """Just before the rename: the target is still a regular file, a link or nothing (a rename
    over a link replaces the link, never what it points to)."""
    try:
        mode = os.lstat(path.name, dir_fd=dfd).st_mode
    except FileNotFoundError:
        return
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise _refuse(path, "changed while runplan was writing it; not written", option)


def stdout_error(exc: OSError) -> UserError | None:
    """The user's problem if `exc` came from writing standard output (`> /dev/full`): standard
    output is asked to flush again, and fails again if it is the culprit."""
    if isinstance(exc, BrokenPipeError):
        return None
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        return None
    except OSError as again:
        return write_error("stdout", again)
    return None
