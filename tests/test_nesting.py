"""YAML nested 985-999 levels deep (past Python's recursion limit in every recursive walk): one
line naming the file and line, exit 2, in every kind of file runplan reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from runplan.cli import main

from .conftest import EXAMPLES

REFUSED = "nested more than 100 levels deep; runplan files are shallow"


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("levels", [985, 999])
@pytest.mark.parametrize("kind", ["profile", "pricing", "answers", "rules", "adr", "inventory"])
def test_deep_yaml_is_refused_in_every_file(runner: CliRunner, tmp_path: Path, kind: str,
                                            levels: int) -> None:
    core_api = str(EXAMPLES / "core-api.yaml")
    field = ""
    line = 3
    if kind == "profile":
        path = tmp_path / "profile.yaml"
        path.write_text(f"name: x\nkind: api\ntags: {deep(levels)}\n")
        args = ["advise", str(path)]
    elif kind == "pricing":
        path = tmp_path / "pricing.yaml"
        path.write_text(f"# prices\noperations:\n  hours_per_month: {deep(levels)}\n")
        args = ["advise", core_api, "--pricing", str(path)]
    elif kind == "answers":
        path = tmp_path / "answers.yaml"
        path.write_text(f"name: x\nkind: api\nmemory: {deep(levels)}\n")
        args = ["ask", "--answers", str(path)]
    elif kind == "rules":
        (tmp_path / "rules").mkdir()
        path = tmp_path / "rules" / "deep.yaml"
        path.write_text(f"theme: deep\nrules:\n  - {deep(levels)}\n")
        args = ["rules", "validate", str(path.parent)]
    elif kind == "adr":
        path = tmp_path / "0001-deep.md"
        path.write_text(f"---\nstatus: accepted\nrunplan: {deep(levels)}\n---\n# Deep\n")
        field = "front matter: "
        args = ["adr", "check", str(path)]
    else:
        path = tmp_path / "inventory.yaml"
        path.write_text(f"components:\n  - name: a\n    tags: {deep(levels)}\n")
        args = ["score", str(path)]
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == f"{path}:{line}: error: {field}{REFUSED}"
