from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from runplan.advise import Advisor
from runplan.fmt import set_currency
from runplan.kbase import KnowledgeBase, load_kbase
from runplan.profile import Component
from runplan.rulebase.load import RuleBase, load_rulebase

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
# One profile per file; the estates (inventory.*, catalog-info.yaml) are for `runplan score`.
PROFILES = sorted(p for p in EXAMPLES.glob("*.yaml")
                  if not p.name.startswith(("inventory", "catalog-info")))


@pytest.fixture(autouse=True)
def _usd() -> None:
    """Money in dollars unless a test's settings file says otherwise (the label is one per
    process, set by each CLI run)."""
    set_currency(None)


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_kbase()


@pytest.fixture(scope="session")
def rulebase() -> RuleBase:
    return load_rulebase()


@pytest.fixture(scope="session")
def advisor(kb: KnowledgeBase, rulebase: RuleBase) -> Advisor:
    return Advisor(kb, rulebase)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def component(**fields: Any) -> Component:
    return Component.model_validate({"name": "c", **fields})
