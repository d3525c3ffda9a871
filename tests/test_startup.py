"""Start-up: the shipped files are validated here rather than at every start, and the command
line imports what a command needs when it runs."""

from __future__ import annotations

import ast
import subprocess
import sys
from typing import Any

import pytest

from runplan.kbase import _raw_documents
from runplan.paths import kbase_dir, rules_dir
from runplan.rulebase.load import rule_files
from runplan.validation import shipped, validate
from runplan.yamlio import load_data_file

from .conftest import EXAMPLES


def _shipped_documents() -> list[tuple[Any, Any, str, str]]:
    docs = list(_raw_documents().values())
    docs += [(*load_data_file(f), str(f), "rules") for f in rule_files(rules_dir())]
    questions = kbase_dir() / "questions.yaml"
    return [*docs, (*load_data_file(questions), str(questions), "questions")]


@pytest.mark.parametrize("doc", _shipped_documents(), ids=lambda d: d[2].rsplit("/", 2)[-1])
def test_every_shipped_file_is_valid_against_its_schema(doc: tuple[Any, Any, str, str]) -> None:
    data, lines, file, schema_name = doc
    assert shipped(file)
    assert validate(data, schema_name, file, lines) == []  # trusted at start-up
    assert validate(data, schema_name, file, lines, trust_shipped=False) == []


def test_a_broken_shipped_file_would_fail_that_test() -> None:
    data, lines, file, _ = _raw_documents()["aws"]
    broken = {**data, "functions": {**data["functions"], "request_usd_per_million":
                                    {**data["functions"]["request_usd_per_million"],
                                     "value": "cheap"}}}
    problems = validate(broken, "provider", file, lines, trust_shipped=False)
    assert [p.field for p in problems] == ["functions.request_usd_per_million.value"]


def test_a_user_file_is_always_validated(tmp_path: Any) -> None:
    assert not shipped(str(tmp_path / "rules.yaml"))
    assert not shipped(str(EXAMPLES / "payments-webhook.yaml"))


HEAVY = ("numpy", "pydantic", "jsonschema", "rich", "experta", "matplotlib", "orjson",
         "multiprocessing", "concurrent", "prompt_toolkit", "yaml")


def _imported(*args: str) -> list[str]:
    """Which of HEAVY a `runplan ARGS` run imported."""
    script = ("import atexit, sys\n"
              f"heavy = {HEAVY!r}\n"
              "atexit.register(lambda: print(sorted({m.split('.')[0] for m in sys.modules} & "
              "set(heavy)), file=sys.stderr))\n"
              "from runplan.cli import main\n"
              "main(sys.argv[1:], prog_name='runplan')\n")
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return list(ast.literal_eval(done.stderr.strip().splitlines()[-1]))


def test_version_and_help_import_nothing_heavy() -> None:
    assert _imported("--version") == []
    assert _imported("--help") == []
    assert _imported("score", "--help") == []


def test_advise_imports_only_what_it_uses() -> None:
    """The rule engine, the array cost core, the profile model and YAML; no schema
    validator (the profile is valid and the shipped files are trusted), no terminal
    library, no plotting, no worker processes."""
    assert _imported("advise", str(EXAMPLES / "payments-webhook.yaml")) == [
        "experta", "numpy", "pydantic", "yaml"]
