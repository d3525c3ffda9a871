from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from runplan.advise import Advisor
from runplan.cost.kubernetes import KubernetesCost
from runplan.cost.serverless import ServerlessCost
from runplan.cost.traffic import Shape
from runplan.cost.vector import functions_bill, nodes_bill, rows_of, shapes_from
from runplan.fmt import set_currency
from runplan.kbase import KnowledgeBase, load_kbase
from runplan.profile import Component, resolve
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


def functions_cost(kb: KnowledgeBase, provider: str, requests: float, duration_ms: float,
                   memory_mb: float, http: bool = False, free_tier: bool = False,
                   bill: str = "functions") -> ServerlessCost:
    """The functions bill of one workload (`cost.vector.functions_bill`'s one row), without
    its people line: what a hand calculation of the provider's price list gives."""
    w, _ = resolve(component(kind="api" if http else "job", constraints={"provider": provider},
                             traffic={"pattern": "steady", "requests_per_month": requests},
                             execution={"avg_duration_ms": duration_ms, "memory_mb": memory_mb}),
                   kb)
    p = kb.provider(provider)
    fb = functions_bill(rows_of([w], kb), p, kb, free_tier, np.zeros(1), bill, people=False)
    return fb.report(0, kb, w.devops_maturity)


def nodes_cost(kb: KnowledgeBase, shape: Shape, cpu_ms: float, memory_mb: float, http: bool,
               view: str, maturity: str, gpu: bool = False, provider: str = "aws",
               ) -> KubernetesCost:
    """The bill on nodes of one workload over a given shape (`cost.vector.nodes_bill`'s one
    row), for hand calculations on a shape of a few hours."""
    w, _ = resolve(component(kind=("ml-inference" if gpu else "api") if http else "job",
                             constraints={"provider": provider},
                             traffic={"pattern": "steady", "avg_rps": 1},
                             execution={"cpu_ms": cpu_ms, "memory_mb": memory_mb, "gpu": gpu,
                                        "avg_duration_ms": cpu_ms},
                             team={"devops_maturity": maturity}), kb)
    p = kb.provider(provider)
    nb = nodes_bill(rows_of([w], kb, [view]), shapes_from([shape]), p, kb)
    return nb.report(0, memory_mb, p, kb, maturity)
