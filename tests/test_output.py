"""Every output runplan writes: what `-o` and `--plot` do to what they name (files, links,
devices, FIFOs, stdout, directories), full disks, and the non-finite estimates no output
may show."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import pytest
from click.testing import CliRunner

from runplan.atomic import atomic_text, check_target, remove_pending
from runplan.cli import main
from runplan.errors import UserError

from .conftest import EXAMPLES

WEBHOOK = EXAMPLES / "payments-webhook.yaml"
CORE_API = EXAMPLES / "core-api.yaml"


def _run(*args: str, stdout: int | IO[bytes] = subprocess.PIPE,
         ) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "runplan", *args], stdout=stdout,
                          stderr=subprocess.PIPE, timeout=120, check=False)


# -- regular files: replaced whole ------------------------------------------------------------


def test_a_regular_file_is_replaced_whole_and_keeps_its_mode(runner: CliRunner,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "advice.json"
    out.write_text("old")
    out.chmod(0o640)
    result = runner.invoke(main, ["advise", str(WEBHOOK), "--format", "json", "-o", str(out)])
    assert (result.exit_code, result.stdout) == (0, "")
    assert json.loads(out.read_text())["verdict"] == "serverless"
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["advice.json"]  # no temp file left


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit, ValueError])
def test_the_temp_file_goes_on_any_exception(tmp_path: Path, exc: type[BaseException]) -> None:
    out = tmp_path / "report.json"
    out.write_text("old report")
    with pytest.raises(exc), atomic_text(out) as f:
        f.write("half a new report")
        assert len(list(tmp_path.iterdir())) == 2  # the temp file, beside the target
        raise exc()
    assert out.read_text() == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_remove_pending_removes_a_temp_file_mid_write(tmp_path: Path) -> None:
    """What a SIGTERM handler calls: the temp file goes, the old target stays."""
    out = tmp_path / "report.json"
    out.write_text("old")
    with pytest.raises(FileNotFoundError), atomic_text(out) as f:  # no temp file to rename
        f.write("new")
        remove_pending()
        assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    assert out.read_text() == "old"


# -- links: never written through -----------------------------------------------------------


def test_a_link_to_a_file_is_refused_and_nothing_changes(runner: CliRunner,
                                                         tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "authorized_keys"
    secret.write_text("ssh-ed25519 AAAA\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    link = repo / "runplan.sarif"
    link.symlink_to(secret)
    for args in (["advise", str(WEBHOOK), "-o", str(link)],
                 ["cost", str(WEBHOOK), "-o", str(link)],
                 ["adr", "check", str(repo), "-o", str(link)]):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, args
        assert result.stderr == (f"{link}: error: -o: is a symbolic link; runplan does not "
                                 "write through a link to a file (name the file itself, or "
                                 "remove the link)\n")
    assert secret.read_text() == "ssh-ed25519 AAAA\n"
    assert link.is_symlink() and os.readlink(link) == str(secret)


def test_plot_through_a_link_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    """`cost --plot` once followed the link and wrote a PNG over its target."""
    target = tmp_path / "notes.txt"
    target.write_text("mine\n")
    link = tmp_path / "cost.png"
    link.symlink_to(target)
    result = runner.invoke(main, ["cost", str(WEBHOOK), "--plot", str(link)])
    assert result.exit_code == 2
    assert result.stdout == ""  # refused before the report, not after it
    assert result.stderr.startswith(f"{link}: error: --plot: is a symbolic link")
    assert target.read_text() == "mine\n"
    dangling = tmp_path / "gone.svg"
    dangling.symlink_to(tmp_path / "nowhere.svg")
    result = runner.invoke(main, ["cost", str(WEBHOOK), "--plot", str(dangling)])
    assert result.exit_code == 2
    assert not (tmp_path / "nowhere.svg").exists()


def test_plot_is_written_whole_through_the_writer(runner: CliRunner, tmp_path: Path) -> None:
    png, svg = tmp_path / "cost.png", tmp_path / "cost.svg"
    for path in (png, svg):
        result = runner.invoke(main, ["cost", str(WEBHOOK), "--plot", str(path)])
        assert result.exit_code == 0, result.output
        assert result.stderr == f"wrote {path}\n"
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert b"<svg" in svg.read_bytes()[:2000]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cost.png", "cost.svg"]


# -- devices, FIFOs and stdout: written in place, never replaced ------------------------------


def test_a_device_node_is_written_in_place(runner: CliRunner, tmp_path: Path) -> None:
    """`-o` onto a character device (as root, `-o /dev/null` once replaced /dev/null)."""
    node = tmp_path / "null"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
    except PermissionError:
        pytest.skip("mknod is not permitted here")
    before = node.lstat()
    result = runner.invoke(main, ["advise", str(WEBHOOK), "--format", "json", "-o", str(node)])
    assert result.exit_code == 0, result.output
    after = node.lstat()
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
    assert after.st_rdev == os.makedev(1, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["null"]


def test_dev_null_stays_dev_null(runner: CliRunner) -> None:
    before = os.stat("/dev/null")
    advised = runner.invoke(main, ["advise", str(WEBHOOK), "-o", "/dev/null"])
    assert (advised.exit_code, advised.stdout) == (0, "")
    result = runner.invoke(main, ["score", str(EXAMPLES / "inventory.yaml"), "--format", "csv",
                                  "-j", "1", "-q", "-o", "/dev/null"])
    assert (result.exit_code, result.stdout) == (0, "")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_a_fifo_is_streamed_to_its_reader(runner: CliRunner, tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as f:
            got.append(f.read())

    reader = threading.Thread(target=read)
    reader.start()
    result = runner.invoke(main, ["score", str(EXAMPLES / "inventory.yaml"), "--format", "json",
                                  "-j", "1", "-q", "-o", str(fifo)])
    reader.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert len(json.loads(got[0])["components"]) == 28
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["report.fifo"]


def test_proc_self_fd_1_is_this_process_stdout(tmp_path: Path) -> None:
    """`-o /proc/self/fd/1` (and `/dev/stdout`, a link to it) is stdout: a pipe, or the file
    the shell redirected it to; never replaced."""
    piped = _run("advise", str(WEBHOOK), "--format", "json", "-o", "/proc/self/fd/1")
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout)["verdict"] == "serverless"
    redirected = tmp_path / "out.json"
    with open(redirected, "wb") as f:
        done = _run("advise", str(WEBHOOK), "--format", "json", "-o", "/dev/stdout", stdout=f)
    assert done.returncode == 0, done.stderr
    assert json.loads(redirected.read_text())["verdict"] == "serverless"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_dash_is_stdout(runner: CliRunner) -> None:
    result = runner.invoke(main, ["cost", str(WEBHOOK), "--format", "json", "-o", "-"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["name"] == "payments-webhook"
    scored = runner.invoke(main, ["score", str(EXAMPLES / "inventory.yaml"), "-o", "-", "-j",
                                  "1"])
    assert scored.exit_code == 0
    assert scored.stdout.startswith("runplan score: ")


# -- refused: one line, exit 2 ----------------------------------------------------------------


def test_unwritable_targets_exit_2_with_one_line(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "report.json"
    cases = [
        (["score", str(EXAMPLES / "inventory.yaml"), "-o", str(tmp_path), "--format", "json"],
         f"{tmp_path}: error: -o: is a directory; give a file name"),
        (["advise", str(WEBHOOK), "-o", str(tmp_path)],
         f"{tmp_path}: error: -o: is a directory; give a file name"),
        (["score", str(EXAMPLES / "inventory.yaml"), "-o", str(missing)],
         f"{missing}: error: -o: directory {missing.parent} does not exist"),
        (["cost", str(WEBHOOK), "--plot", str(tmp_path / "nope" / "cost.png")],
         f"{tmp_path / 'nope' / 'cost.png'}: error: --plot: directory {tmp_path / 'nope'} "
         "does not exist"),
        (["adr", "check", str(EXAMPLES), "-o", str(missing)],
         f"{missing}: error: -o: directory {missing.parent} does not exist"),
    ]
    for args, message in cases:
        result = runner.invoke(main, args)
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", message + "\n"), args


def test_a_block_device_is_refused() -> None:
    block = next((p for p in ("/dev/loop0", "/dev/sda", "/dev/vda", "/dev/nvme0n1")
                  if os.path.exists(p) and stat.S_ISBLK(os.stat(p).st_mode)), None)
    if block is None:
        pytest.skip("no block device to name")
    with pytest.raises(UserError) as info:
        check_target(Path(block), "-o")
    assert str(info.value) == f"{block}: error: -o: is a block device; runplan writes " \
        "reports to files"


def test_an_unwritable_directory_exits_2(tmp_path: Path) -> None:
    """A directory the user may not write in (run as an unprivileged user where the tests run
    as root, since root may write anywhere)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    target = locked / "report.json"
    command = [sys.executable, "-m", "runplan", "advise", str(WEBHOOK), "-o", str(target)]
    if os.geteuid() == 0:  # root without the capabilities that bypass file permissions
        if shutil.which("setpriv") is None:
            pytest.skip("running as root and no setpriv to drop CAP_DAC_OVERRIDE")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner",
                   *command]
    done = subprocess.run(command, capture_output=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.decode() == (f"{target}: error: -o: cannot write in directory {locked}: "
                                    "permission denied\n")
    assert list(locked.iterdir()) == []


def test_a_full_disk_on_stdout_or_o_exits_2(tmp_path: Path) -> None:
    """`> /dev/full` and `-o /dev/full`: ENOSPC is the user's problem (exit 2, one line), not
    an internal error (exit 3) or a traceback at exit."""
    with open("/dev/full", "wb") as full:
        for args in (["advise", str(WEBHOOK)], ["cost", str(WEBHOOK), "--format", "json"],
                     ["score", str(EXAMPLES / "inventory.yaml"), "-j", "1", "-q"],
                     ["rules", "list"]):
            done = _run(*args, stdout=full)
            assert (done.returncode, done.stderr) == (
                2, b"stdout: error: cannot write: No space left on device\n"), args
    done = _run("advise", str(WEBHOOK), "-o", "/dev/full")
    assert (done.returncode, done.stdout, done.stderr) == (
        2, b"", b"/dev/full: error: cannot write: No space left on device\n")


def test_a_closed_pipe_exits_141_quietly_from_the_text_table() -> None:
    """`runplan score inventory.yaml | head -2`: the terminal table (rich) exits 141 like the
    rest, not rich's own 1."""
    proc = subprocess.Popen([sys.executable, "-m", "runplan", "score",
                             str(EXAMPLES / "inventory.yaml"), "-j", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line
    assert proc.wait(timeout=120) == 141
    assert proc.stderr.read() == b""


# -- never a non-finite number ----------------------------------------------------------------


def test_an_overflowing_override_is_refused_by_name(runner: CliRunner, tmp_path: Path) -> None:
    over = tmp_path / "pricing.yaml"
    over.write_text("aws:\n  functions:\n    request_usd_per_million: 1.0e+308\n")
    message = (f"{CORE_API}: error: costs.serverless: the function requests cost is not a "
               "finite number; check the --pricing overrides in force: "
               "aws.functions.request_usd_per_million\n")
    for args in (["cost", str(CORE_API)], ["cost", str(CORE_API), "--format", "json"],
                 ["advise", str(CORE_API), "--format", "json"]):
        result = runner.invoke(main, [*args, "--pricing", str(over)])
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", message), args


def test_an_absurd_but_finite_override_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    """1e300 dollars an engineer: finite, but a sum over an estate would overflow and no
    report could show it; refused before any output, in `score` too."""
    over = tmp_path / "pricing.yaml"
    over.write_text("operations:\n  fte_monthly_usd: 1.0e+300\n")
    inventory = EXAMPLES / "inventory.yaml"
    result = runner.invoke(main, ["score", str(inventory), "--format", "json", "-j", "1",
                                  "--pricing", str(over)])
    assert result.exit_code == 2
    assert "Infinity" not in result.stdout and "NaN" not in result.stdout
    assert result.stderr.splitlines()[-1] == (
        f"{inventory}: error: costs.kubernetes: the operations (people) cost is above "
        "$1,000,000,000,000,000 a month; check the --pricing overrides in force: "
        "operations.fte_monthly_usd")


# -- advise and cost: -o and stdin ------------------------------------------------------------


def test_advise_and_cost_read_a_profile_from_stdin(runner: CliRunner) -> None:
    text = WEBHOOK.read_text()
    advised = runner.invoke(main, ["advise", "-", "--format", "json"], input=text)
    assert advised.exit_code == 0, advised.output
    assert json.loads(advised.stdout) == json.loads(
        runner.invoke(main, ["advise", str(WEBHOOK), "--format", "json"]).stdout)
    costed = runner.invoke(main, ["cost", "-"], input=text)
    assert costed.exit_code == 0
    assert costed.stdout == runner.invoke(main, ["cost", str(WEBHOOK)]).stdout
    bad = runner.invoke(main, ["advise", "-"], input="name: x\ntraffic:\n  peak_rps: -5\n")
    assert (bad.exit_code, bad.stderr) == (
        2, "<stdin>:3: error: traffic.peak_rps: must be at least 0, got -5\n")


def test_cost_o_writes_the_report(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "cost.txt"
    result = runner.invoke(main, ["cost", str(WEBHOOK), "-o", str(out)])
    assert (result.exit_code, result.stdout) == (0, "")
    assert out.read_text() == runner.invoke(main, ["cost", str(WEBHOOK)]).stdout
    assert out.read_text().startswith("Monthly cost on aws:\n")


def test_a_symlinked_directory_on_the_way_is_refused(runner: CliRunner, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The acceptance run's `o2/reports -> ../victimdir`: `-o o2/reports/keep.json` replaced
    victimdir/keep.json; `--plot` and `adr check -o` through `docs/lnkdir -> /outside` too."""
    monkeypatch.chdir(tmp_path)
    Path("victimdir").mkdir()
    Path("o2").mkdir()
    Path("o2/reports").symlink_to("../victimdir")
    Path("victimdir/keep.json").write_text("PRECIOUS\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.sarif").write_text("PRECIOUS\n")
    Path("docs").mkdir()
    Path("docs/lnkdir").symlink_to(outside)
    refusal = ("error: {option}: directory {link} is a symbolic link; runplan does not "
               "replace a file through a link (name the real directory)\n")
    for args, target, link in (
            (["score", str(EXAMPLES / "inventory.yaml"), "--format", "json", "-o",
              "o2/reports/keep.json"], "o2/reports/keep.json", "o2/reports"),
            (["cost", str(WEBHOOK), "--plot", "o2/reports/p.png"], "o2/reports/p.png",
             "o2/reports"),
            (["adr", "check", "docs", "--format", "sarif", "-o", "docs/lnkdir/x.sarif"],
             "docs/lnkdir/x.sarif", "docs/lnkdir")):
        result = runner.invoke(main, args)
        option = "--plot" if "--plot" in args else "-o"
        assert (result.exit_code, result.stdout) == (2, ""), args
        assert result.stderr == f"{target}: " + refusal.format(option=option, link=link)
    assert Path("victimdir/keep.json").read_text() == "PRECIOUS\n"
    assert (outside / "x.sarif").read_text() == "PRECIOUS\n"
    assert sorted(p.name for p in Path("victimdir").iterdir()) == ["keep.json"]
    assert sorted(p.name for p in outside.iterdir()) == ["x.sarif"]
    # An absolute path through the link, and the writer itself, refuse it as well.
    with pytest.raises(UserError, match=r"directory .*o2/reports is a symbolic link"):
        check_target(tmp_path / "o2" / "reports" / "new.json")
    # The real directory, and a plain directory beside the link, are written as before.
    result = runner.invoke(main, ["score", str(EXAMPLES / "inventory.yaml"), "--format", "json",
                                  "-o", "victimdir/keep.json"])
    assert result.exit_code == 0 and json.loads(Path("victimdir/keep.json").read_text())
    result = runner.invoke(main, ["advise", str(WEBHOOK), "-o", "o2/advice.txt"])
    assert result.exit_code == 0 and Path("o2/advice.txt").read_text().startswith(
        "payments-webhook: SERVERLESS")


def test_an_output_name_too_long_is_one_line(runner: CliRunner, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    long = "a" * 300
    result = runner.invoke(main, ["advise", str(WEBHOOK), "-o", f"{long}.json"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"{'a' * 60}...{'a' * 35}.json (305 characters): error: -o: "
                             "cannot write: file name too long\n")
    # A long name that fits: its temporary file's name is kept within the limit.
    fits = "b" * 250 + ".txt"
    result = runner.invoke(main, ["advise", str(WEBHOOK), "-o", fits])
    assert result.exit_code == 0 and [p.name for p in tmp_path.iterdir()] == [fits]


def test_score_refuses_to_write_over_its_input(runner: CliRunner, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`score x.jsonl -o x.jsonl` replaced the inventory with its report."""
    monkeypatch.chdir(tmp_path)
    Path("x.jsonl").write_text('{"name": "a", "kind": "api"}\n')
    Path("d.yaml").write_text("team: {engineers: 3}\n")
    for args, named in ((["-o", "x.jsonl", "--format", "json"], "x.jsonl"),
                        (["-o", "./x.jsonl", "--format", "csv"], "x.jsonl"),
                        (["--defaults", "d.yaml", "-o", "d.yaml", "--format", "json"], "d.yaml")):
        result = runner.invoke(main, ["score", "x.jsonl", *args])
        assert (result.exit_code, result.stdout) == (2, ""), args
        assert result.stderr == (f"{named}: error: -o: is the input file {named}; give the "
                                 "report another name\n")
    assert Path("x.jsonl").read_text() == '{"name": "a", "kind": "api"}\n'
    assert Path("d.yaml").read_text() == "team: {engineers: 3}\n"
    assert runner.invoke(main, ["score", "x.jsonl", "-o", "x.json", "-q"]).exit_code == 0
