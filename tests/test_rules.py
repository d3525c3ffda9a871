"""The rule base: every rule's own examples, the article's coverage, loading and compiling."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from runplan.advise import Advisor, parts_facts
from runplan.errors import UserError
from runplan.profile import Component, resolve
from runplan.rulebase.compile import OPS, predicate
from runplan.rulebase.engine import stale_activations_left, tie_demo_fired
from runplan.rulebase.load import RuleBase, load_rulebase
from runplan.rulebase.spec import AllCond, FactCond, FieldCond, RuleSpec

from .conftest import ROOT

# The 12 rows of the article's summary table, each encoded by at least one rule.
SUMMARY_ROWS = ["Execution model", "Billing", "Idle cost", "Startup time", "Performance",
                "Scaling", "Operations", "Failure mode", "Best for", "Control",
                "Vendor lock-in", "Learning curve"]


def _fired(advisor: Advisor, profile: dict[str, Any]) -> set[str]:
    comp = Component.model_validate({"name": "example", **profile})
    return {r.rule for r in advisor.advise(comp, flips=False).reasons}


def _cases(rulebase: RuleBase) -> list[Any]:
    out = []
    for r in rulebase.rules:
        for kind in ("fires", "quiet"):
            for i, profile in enumerate(r.examples.get(kind, [])):
                out.append(pytest.param(r.id, kind, profile, id=f"{r.id}-{kind}-{i}"))
    return out


@pytest.mark.parametrize(("rule_id", "kind", "profile"), _cases(load_rulebase()))
def test_rule_examples(advisor: Advisor, rule_id: str, kind: str, profile: dict[str, Any]) -> None:
    fired = _fired(advisor, profile)
    assert (rule_id in fired) == (kind == "fires"), sorted(fired)


def test_every_rule_has_both_kinds_of_example(rulebase: RuleBase) -> None:
    # Each rule's source is checked reference by reference in tests/test_sources.py.
    for r in rulebase.rules:
        assert r.examples.get("fires") and r.examples.get("quiet"), r.id


@pytest.mark.parametrize("row", SUMMARY_ROWS)
def test_summary_table_row_is_encoded(rulebase: RuleBase, row: str) -> None:
    ids = [r.id for r in rulebase.rules
           if re.search(rf"article Summary Comparison, rows? [^;]*\b{re.escape(row)}\b", r.source)]
    assert ids, f"no rule cites summary table row {row}"


def test_every_article_section_is_cited(rulebase: RuleBase) -> None:
    cited = " ".join(r.source for r in rulebase.rules)
    for section in range(2, 11):
        assert f"article §{section} (" in cited, section


def test_derived_facts_chain(rulebase: RuleBase) -> None:
    tiers = rulebase.tiers
    by_id = {r.id: r for r in rulebase.rules}
    for r in rulebase.rules:
        for fact in r.facts_read():
            for p in rulebase.rules:
                if fact in p.asserts:
                    assert tiers[p.id] < tiers[r.id], (p.id, r.id)
    assert max(tiers[i] for i in by_id if by_id[i].theme == "verdict") == max(tiers.values())


def test_stock_agenda_keeps_cancelled_activations_runplans_does_not() -> None:
    assert stale_activations_left(stock=True) > 0
    assert stale_activations_left(stock=False) == 0


def test_tie_of_not_rules_fires_only_the_producer() -> None:
    rules = [RuleSpec(id="MAKE-001", title="t", source="s", rationale="r",
                      when=FieldCond("a", "eq", 1), asserts=("x",), message="m")]
    rules += [RuleSpec(id=f"NOTX-{i:03d}", title="t", source="s", rationale="r",
                       when=AllCond((FieldCond("a", "eq", 1), FactCond("x", True))), message="m")
              for i in range(20)]
    assert tie_demo_fired(tuple(rules), {"a": 1}) == ["MAKE-001"]


def test_predicates_are_total(advisor: Advisor, kb: Any) -> None:
    w, _ = resolve(Component.model_validate({"name": "n"}), kb)
    fields = advisor.fields_for(w, advisor.infer(w, parts_facts(()), False)[0].facts(),
                                parts_facts(()))
    fields = {k: None for k in fields}  # every value missing: nothing raises, nothing numeric fires
    fired = advisor.engine.run(fields)
    assert all("gt" not in str(r.when) for r in fired if isinstance(r.when, FieldCond))


def test_only_the_engine_module_imports_experta() -> None:
    importers = [p.relative_to(ROOT).as_posix() for p in (ROOT / "src").rglob("*.py")
                 if re.search(r"^\s*(from|import) experta", p.read_text(), re.M)]
    assert importers == ["src/runplan/rulebase/engine.py"]


def _write(tmp_path: Path, text: str) -> Path:
    d = tmp_path / "org"
    d.mkdir(exist_ok=True)
    (d / "policy.yaml").write_text(text)
    return d


ORG_RULE = """theme: acme
rules:
  - id: ACME-PCI-001
    title: PCI workloads stay on the PCI cluster
    source: ACME policy SP-12
    rationale: Functions are out of our PCI scope.
    when: {field: constraints.compliance, op: in, value: [pci-dss]}
    then:
      exclude: [serverless, hybrid]
      message: "PCI scope: {constraints.compliance:list}"
"""


def test_org_rules_are_added_and_used(tmp_path: Path, kb: Any) -> None:
    rb = load_rulebase([_write(tmp_path, ORG_RULE)])
    adv = Advisor(kb, rb)
    comp = Component.model_validate({"name": "pay", "kind": "webhook",
                                     "constraints": {"compliance": ["pci-dss"]}})
    result = adv.advise(comp, flips=False)
    assert result.verdict.excluded["serverless"] == ["ACME-PCI-001"]
    assert result.verdict.verdict == "kubernetes"


def test_broken_rule_file_names_file_line_and_rule(tmp_path: Path) -> None:
    d = _write(tmp_path, ORG_RULE.replace("field: constraints.compliance", "field: constraints.complience"))
    with pytest.raises(UserError) as err:
        load_rulebase([d])
    assert str(err.value) == (
        f"{d / 'policy.yaml'}:7: error: ACME-PCI-001: when: unknown field "
        "'constraints.complience' (did you mean 'constraints.compliance'?)")


def test_bad_operator_is_a_schema_error_with_rule_id(tmp_path: Path) -> None:
    d = _write(tmp_path, ORG_RULE.replace("op: in", "op: inside"))
    with pytest.raises(UserError) as err:
        load_rulebase([d])
    assert "policy.yaml:7: error: ACME-PCI-001: rules[0].when.op: must be one of" in str(err.value)


def test_duplicate_rule_id_is_refused(tmp_path: Path) -> None:
    d = _write(tmp_path, ORG_RULE.replace("ACME-PCI-001", "TRAFFIC-IDLE-001"))
    with pytest.raises(UserError) as err:
        load_rulebase([d])
    assert "rule id TRAFFIC-IDLE-001 is already used at" in str(err.value)


def test_rule_file_with_python_tag_is_refused(tmp_path: Path) -> None:
    d = _write(tmp_path, "theme: x\nrules: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(UserError) as err:
        load_rulebase([d])
    assert "tag tag:yaml.org,2002:python/object/apply:os.system is not allowed" in str(err.value)


def test_compiled_predicates_mean_what_ops_say() -> None:
    """`predicate`'s direct closures (numbers, strings, booleans, string sets) agree with
    the reference `OPS` table, negated or not, on values of every type a field can hold."""
    actuals = [None, True, False, 0, 1, 2, 2.5, -1.0, "api", "job", "", "true", (), ("gdpr",),
               ("hipaa", "gdpr"), ["pci-dss"], 0.67, 3, 300]
    expecteds = {"eq": [True, False, "api", 1, 2.5, "true"], "ne": [True, False, "api", 1],
                 "lt": [1, 2.5], "lte": [1, 0.67], "gt": [0, 2.5], "gte": [3, 0.5],
                 "between": [[0.67, 3], [0, 0.67]], "in": [["api", "job"], ["hipaa"], [1, 2]],
                 "not_in": [["api", "web"], ["gdpr"]], "exists": [True, False]}
    checked = 0
    for op, values in expecteds.items():
        for value in values:
            for negated in (False, True):
                check = predicate(FieldCond("f", op, value, negated))
                want_value = tuple(value) if isinstance(value, list) else value
                for actual in actuals:
                    try:
                        want = bool(OPS[op](actual, want_value))
                    except (TypeError, ValueError):
                        want = False
                    assert check(actual) == (want != negated), (op, value, negated, actual)
                    checked += 1
    assert checked > 1000


def test_messages_fill_placeholders_by_style_and_leave_other_braces() -> None:
    from runplan.rulebase.compile import render

    fields = {"traffic.idle_fraction": 0.734, "a": 1234.5, "b": None, "c": 12345.6,
              "d": ("x", "y"), "e": 3, "f": 0.004}
    assert render("Idle {traffic.idle_fraction:pct} of {a:usd}; {b} {c:int}, {Bad} "
                  "{d:list} {{e}} {f:pct} end", fields) == \
        "Idle 73% of $1,234; n/a 12,346, {Bad} x, y {3} 0.4% end"
    assert render("", fields) == "" and render("{a}", {"a": 2.5}) == "2.5"
    assert render("no placeholders", fields) == "no placeholders"


def _validate(runner_args: list[str]) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from runplan.cli import main

    result = CliRunner().invoke(main, runner_args)
    return result.exit_code, result.stdout, result.stderr


def _nested(levels: int, inner: str, wrap: str) -> str:
    cond = inner
    for _ in range(levels):
        cond = wrap.replace("X", cond)
    return cond


ANY_IN_ALL = "{all: [X, {any: [{field: kind, op: eq, value: api}, {field: kind, op: eq, value: web}]}]}"
LEAF = "{field: kind, op: eq, value: api}"


@pytest.mark.parametrize("when,message", [
    # each crashed at run time (exit 3) after `rules validate` called the rule valid
    ("{field: constraints.compliance, op: in, value: [pci-dss, [hipaa]]}",
     "ACME-PCI-001: rules[0].when.value[1]: must be string or number or boolean; "
     'got ["hipaa"]'),
    ("{field: kind, op: eq, value: {api: true}}",
     'ACME-PCI-001: rules[0].when.value: must be string or number or boolean; got {"api": true}'),
    (_nested(150, LEAF, "{all: [X]}"),
     "nested more than 100 levels deep; runplan files are shallow"),
    # never fired: no value lies between 10 and 5
    ("{field: traffic.avg_rps, op: between, value: [10, 5]}",
     "ACME-PCI-001: when: traffic.avg_rps between 10 and 5 holds for no value: give the lower "
     "bound first"),
    (_nested(9, LEAF, "{all: [X]}"),
     "ACME-PCI-001: when: conditions nested 9 levels deep; at most 8: split the rule, or "
     "assert a fact and read it"),
    # 2^6 alternatives: the engine's expansion of 2^10 took 7 s per component, 2^12 over 60 s
    (_nested(6, LEAF, ANY_IN_ALL),
     "ACME-PCI-001: when: the condition expands to more than 32 alternatives (each `any` "
     "inside an `all` multiplies them): split the rule, or assert a fact and read it"),
])
def test_rules_validate_refuses_a_rule_that_cannot_run(tmp_path: Path, when: str,
                                                       message: str) -> None:
    d = _write(tmp_path, re.sub(r"    when: .*", f"    when: {when}", ORG_RULE))
    for args in (["rules", "validate", str(d)],
                 ["advise", "--rules", str(d), str(ROOT / "examples" / "core-api.yaml")]):
        code, out, err = _validate(args)
        assert (code, out) == (2, "")
        assert err == f"{d / 'policy.yaml'}:7: error: {message}\n"


def test_rules_validate_refuses_a_rule_that_reads_only_its_own_fact(tmp_path: Path) -> None:
    rule = ORG_RULE.replace(
        "when: {field: constraints.compliance, op: in, value: [pci-dss]}",
        "when: {all: [{field: kind, op: eq, value: api}, {fact: pci_scope}]}").replace(
        "exclude: [serverless, hybrid]", "assert: [pci_scope]\n      score: {kubernetes: 1}")
    code, _, err = _validate(["rules", "validate", str(_write(tmp_path, rule))])
    assert code == 2
    assert err == (f"{tmp_path / 'org' / 'policy.yaml'}:3: error: ACME-PCI-001: when: reads "
                   "fact 'pci_scope', which only this rule asserts: it can never fire\n")
    # Reading the fact's absence is fine: the rule fires once, then asserts it.
    code, out, _ = _validate(["rules", "validate", str(_write(tmp_path, rule.replace(
        "{fact: pci_scope}", "{not: {fact: pci_scope}}")))])
    assert (code, out) == (0, "1 rule in 1 file: valid\n")


def test_a_rule_at_the_limits_runs(tmp_path: Path) -> None:
    # 8 levels, 16 alternatives: valid, and the engine runs it
    when = _nested(4, "{field: kind, op: eq, value: api}", ANY_IN_ALL)
    d = _write(tmp_path, re.sub(r"    when: .*", f"    when: {when}", ORG_RULE))
    assert _validate(["rules", "validate", str(d)])[:2] == (0, "1 rule in 1 file: valid\n")
    code, out, _ = _validate(["advise", "--rules", str(d), "--format", "json",
                              str(ROOT / "examples" / "core-api.yaml")])
    assert code == 0
    import json

    assert json.loads(out)["excluded"]["serverless"] == ["ACME-PCI-001"]


def test_rules_validate_on_the_shipped_directory_and_its_copies(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                ) -> None:
    """`runplan rules validate rules` exited 2, every rule "already used at" its own line: the
    built-ins were counted twice. The same file, or a byte-for-byte copy, is read once; a
    different file reusing an id is still a duplicate."""
    import shutil

    from .conftest import ROOT

    monkeypatch.chdir(ROOT)
    count = sum(len(yaml.safe_load(f.read_text())["rules"]) for f in (ROOT / "rules").glob("*.yaml"))
    assert _validate(["rules", "validate", "rules"]) == (
        0, f"{count} rules in 9 files: valid\n", "")
    mine = tmp_path / "mine"
    mine.mkdir()
    shutil.copy(ROOT / "rules" / "latency.yaml", mine / "latency.yaml")
    code, out, _ = _validate(["rules", "validate", str(mine)])
    latency = len(yaml.safe_load((ROOT / "rules" / "latency.yaml").read_text())["rules"])
    assert (code, out) == (0, f"{latency} rules in 1 file: valid\n")
    edited = (ROOT / "rules" / "latency.yaml").read_text().replace("\n", "\n\n", 1)
    (mine / "latency.yaml").write_text(edited)  # not a copy any more: its ids are reused
    code, out, err = _validate(["rules", "validate", str(mine)])
    assert (code, out) == (2, "")
    first = yaml.safe_load(edited)["rules"][0]["id"]
    assert err.splitlines()[0] == (
        f"{mine}/latency.yaml:5: error: {first}: rule id {first} is already used at "
        f"{ROOT / 'rules' / 'latency.yaml'}:4")


KIND_ARTICLES = {"api": "an api", "web": "a web", "worker": "a worker", "job": "a job",
                 "webhook": "a webhook", "stream": "a stream",
                 "event-handler": "an event-handler", "ml-inference": "an ml-inference"}


def test_every_kind_reads_with_its_article() -> None:
    """Issue 13 item 20: "A event-handler with no latency objective...", "A event-handler:
    event-triggered work...". `{kind:a}` / `{kind:A}` choose a/an, for every kind value."""
    from typing import get_args

    from runplan.profile import Kind
    from runplan.rulebase.compile import render

    kinds = get_args(Kind)
    assert sorted(kinds) == sorted(KIND_ARTICLES)  # every kind a profile may give
    for kind in kinds:
        assert render("{kind:a}", {"kind": kind}) == KIND_ARTICLES[kind]
        assert render("{kind:A}: x", {"kind": kind}) == KIND_ARTICLES[kind].capitalize() + ": x"


@pytest.mark.parametrize(("rule", "profile", "message"), [
    ("LATENCY-TOLERANT-001", {"kind": "event-handler", "traffic": {"pattern": "bursty"}},
     "An event-handler with no latency objective: cold starts"),
    ("WORKLOAD-EDGE-001", {"kind": "event-handler", "traffic": {"pattern": "bursty"}},
     "An event-handler: event-triggered work that finishes, the best fit for functions."),
    ("WORKLOAD-EDGE-001", {"kind": "webhook", "traffic": {"pattern": "bursty"}},
     "A webhook: event-triggered work that finishes, the best fit for functions."),
    ("WORKLOAD-WORKER-001", {"kind": "worker", "traffic": {"pattern": "steady"}},
     "A worker idle only 0% (assumed) of the hours: a long-running process"),  # was "A worker busy 0% idle"
])
def test_rule_messages_use_the_right_article(advisor: Advisor, rule: str,
                                             profile: dict[str, Any], message: str) -> None:
    result = advisor.advise(Component.model_validate({"name": "x", **profile}), flips=False)
    fired = {r.rule: r.message for r in result.reasons}
    assert fired[rule].startswith(message)
