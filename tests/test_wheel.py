"""The installed wheel (not the checkout) carries rules/, kbase/ and the examples, and runs
`runplan examples` and `runplan advise`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLES, ROOT

INTERPRETERS = [sys.executable] + [p for v in ("3.12", "3.13")
                                   if (p := shutil.which(f"python{v}")) and
                                   subprocess.run([p, "--version"], capture_output=True).returncode == 0]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True)
    return next(out.glob("runplan-*.whl"))


@pytest.mark.slow
@pytest.mark.parametrize("python", INTERPRETERS)
def test_wheel_installs_and_advises_outside_the_checkout(wheel: Path, tmp_path: Path,
                                                         python: str) -> None:
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin/pip"), "install", "-q", str(wheel)], check=True,
                   capture_output=True)
    # A plain install has something to run: the examples ship in the wheel.
    subprocess.run([str(venv / "bin/runplan"), "examples", "ex"], capture_output=True,
                   cwd=tmp_path, check=True)
    assert sorted(p.name for p in (tmp_path / "ex").iterdir()) == sorted(
        p.name for p in EXAMPLES.iterdir() if p.is_file())
    example = tmp_path / "ex" / "payments-webhook.yaml"
    assert example.read_bytes() == (EXAMPLES / "payments-webhook.yaml").read_bytes()
    result = subprocess.run([str(venv / "bin/runplan"), "advise", str(example), "--format",
                             "json"], capture_output=True, text=True, cwd=tmp_path, check=True)
    data = json.loads(result.stdout)
    assert data["verdict"] == "serverless"
    assert data["reasons"][0]["source"]
    listing = subprocess.run([str(venv / "bin/python"), "-c",
                              "import runplan.paths as p; print(p.data_root())"],
                             capture_output=True, text=True, cwd=tmp_path, check=True)
    assert "site-packages/runplan/_data" in listing.stdout


def test_wheel_carries_the_web_pages(wheel: Path) -> None:
    """`runplan serve`'s templates and static files (htmx among them) are package data."""
    import zipfile

    web = ROOT / "src" / "runplan" / "web"
    names = set(zipfile.ZipFile(wheel).namelist())
    files = [p.relative_to(web.parent).as_posix() for p in web.rglob("*")
             if p.is_file() and p.suffix in (".html", ".js", ".css", ".LICENSE")]
    assert len(files) >= 13
    assert {f"runplan/{f}" for f in files} <= names
    assert "runplan/web/static/htmx.min.js" in names and "runplan/report/curve.js" in names
