"""The settings file: discovery, precedence (command line > file > kbase), bad files,
`runplan config show`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from runplan.cli import main
from runplan.config import discover, load_config, toml_lines

from .conftest import EXAMPLES, ROOT

WEBHOOK = str(EXAMPLES / "payments-webhook.yaml")  # basic maturity, no cluster, AWS
TINY_TOOL = ROOT / "tests" / "data" / "adr" / "0003-eks-for-the-holiday-tool.md"


def advise_json(runner: CliRunner, *args: str) -> dict:
    result = runner.invoke(main, [*args, "advise", WEBHOOK, "--format", "json"])
    assert result.exit_code == 0, result.output
    data: dict = json.loads(result.stdout)
    return data


def test_discovery_walks_up_and_prefers_runplan_toml(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("[tool.runplan]\nprovider = \"gcp\"\n")
    assert discover(deep) == tmp_path / "pyproject.toml"
    assert discover(tmp_path) == Path("pyproject.toml")  # where it is: named relative
    # a pyproject.toml without [tool.runplan] is not ours: the search goes on upward
    (tmp_path / "a" / "pyproject.toml").write_text("[project]\nname = \"x\"\n")
    assert discover(deep) == tmp_path / "pyproject.toml"
    (tmp_path / "a" / "runplan.toml").write_text("provider = \"azure\"\n")
    assert discover(deep) == tmp_path / "a" / "runplan.toml"  # the nearest directory wins
    (tmp_path / "runplan.toml").write_text("provider = \"aws\"\n")
    assert discover(tmp_path) == Path("runplan.toml")  # before pyproject.toml there


def test_command_line_wins_over_the_file_and_the_file_over_kbase(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "runplan.toml").write_text(
        "provider = \"gcp\"\n[people]\nfte_monthly_usd = 10000\n"
        "[people.cluster_fte.nodes]\nbasic = 1.0\n")
    monkeypatch.chdir(tmp_path)
    data = advise_json(runner)
    assert data["costs"]["provider"] == "gcp"
    # a new cluster for the webhook alone, basic maturity: 1.0 FTE (the file) to run the
    # cluster + 0.015 FTE (kbase) for the service, at $10,000 (the file) an FTE-month
    nodes = next(o for o in [data["platform"], *data["alternatives"]]
                 if o["name"] == "gcp-gke-standard")
    people = (nodes["breakdown"] or data["costs"]["kubernetes"]["breakdown"])[
        "operations (people)"]
    assert people["monthly_usd"] == pytest.approx(1.015 * 10_000)
    assert people["note"] == ("1 FTE to run a new cluster + 0.015 FTE for the service (basic "
                              "DevOps maturity) x $10,000/FTE-month")
    assert data["overridden_figures"] == ["operations.fte_monthly_usd",
                                          "operations.people.cluster_fte.nodes.basic"]
    assert advise_json(runner, "--config", str(tmp_path / "runplan.toml"))["costs"][
        "provider"] == "gcp"
    result = runner.invoke(main, ["advise", WEBHOOK, "--format", "json", "--provider", "aws"])
    assert json.loads(result.stdout)["costs"]["provider"] == "aws"
    # --pricing (command line) wins over the file's figure
    over = tmp_path / "over.yaml"
    over.write_text("operations: {fte_monthly_usd: 20000}\n")
    result = runner.invoke(main, ["advise", WEBHOOK, "--format", "json", "--pricing", str(over)])
    data = json.loads(result.stdout)
    nodes = next(o for o in [data["platform"], *data["alternatives"]]
                 if o["name"] == "gcp-gke-standard")
    people = (nodes["breakdown"] or data["costs"]["kubernetes"]["breakdown"])[
        "operations (people)"]["monthly_usd"]
    assert people == pytest.approx(1.015 * 20_000)


def test_explicit_config_and_fail_on_default(runner: CliRunner, tmp_path: Path) -> None:
    """`--config FILE` (a global option); its `fail-on` makes adr check fail on warnings."""
    settings = tmp_path / "org.toml"
    settings.write_text("fail-on = \"warning\"\n")
    result = runner.invoke(main, ["adr", "check", str(TINY_TOOL)])
    assert result.exit_code == 0  # warnings only, below the built-in default (error)
    result = runner.invoke(main, ["--config", str(settings), "adr", "check", str(TINY_TOOL)])
    assert result.exit_code == 1
    result = runner.invoke(main, ["--config", str(settings), "adr", "check", str(TINY_TOOL),
                                  "--fail-on", "error"])
    assert result.exit_code == 0  # the command line wins


def test_score_workers_use_the_files_figures(runner: CliRunner, tmp_path: Path) -> None:
    settings = tmp_path / "runplan.toml"
    settings.write_text("[people]\nfte_monthly_usd = 10000\n")
    result = runner.invoke(main, ["--config", str(settings), "score",
                                  str(EXAMPLES / "inventory.yaml"), "--format", "json", "-q",
                                  "-j", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # the estate's cluster: 0.5 FTE (established) x $10,000 in its fixed cost
    assert data["portfolio"]["clusters"][0]["fixed_usd"]["operations (people)"] == 5000.0
    webhook = {c["name"]: c for c in data["components"]}["payments-webhook"]
    assert webhook["costs"]["kubernetes"]["people_usd"] == pytest.approx(0.01 * 10_000)


@pytest.mark.parametrize(("text", "messages"), [
    ("provider = \"gpc\"\n",
     ["runplan.toml:1: error: provider: must be one of aws, gcp, azure, any, on-prem; got "
      "\"gpc\" (did you mean 'gcp'?)"]),
    ("[people]\nfte_monthly_usd = -5\n",
     ["runplan.toml:2: error: people.fte_monthly_usd: must be at least 0, got -5"]),
    ("[people.service_fte.serverless]\nbasik = 0.01\n",
     ["runplan.toml:2: error: people.service_fte.serverless.basik: unknown field (did you "
      "mean 'basic'?); allowed: basic, established, none, platform"]),
    ("[people]\nfte_monthly_usd = true\n",
     ["runplan.toml:2: error: people.fte_monthly_usd: must be number; got true"]),
    ("rules = \"policy\"\n", ["runplan.toml:1: error: rules: must be array; got \"policy\""]),
    ("provider = \n", ["runplan.toml:1: error: not valid TOML: Invalid value"]),
    ("[people]\nfte_monthly_usd = 1\n[people]\n",
     ["runplan.toml:3: error: not valid TOML: Cannot declare ('people',) twice"]),
])
def test_a_bad_settings_file_is_one_line_per_problem_and_exit_2(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
        messages: list[str]) -> None:
    (tmp_path / "runplan.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["advise", WEBHOOK])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == messages
    assert "Traceback" not in result.stderr


def test_pyproject_problems_name_the_tool_table(runner: CliRunner, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = \"x\"\n\n[tool.runplan]\n"
                                             "fail-on = \"sometimes\"\n")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["config", "show"])
    assert result.exit_code == 2
    assert result.stderr == ("pyproject.toml:5: error: tool.runplan.fail-on: must be one of "
                             "error, warning, note, never; got \"sometimes\"\n")


def test_a_settings_path_that_is_not_a_regular_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["--config", str(tmp_path), "config", "show"])
    assert result.exit_code == 2
    assert result.stderr == f"{tmp_path}: error: not a regular file\n"
    huge = tmp_path / "huge.toml"
    huge.write_text("# " + "x" * 300_000 + "\n")
    result = runner.invoke(main, ["--config", str(huge), "config", "show"])
    assert result.exit_code == 2
    assert result.stderr == (f"{huge}: error: file is 300,003 bytes; the limit is 262,144 "
                             "bytes\n")


def test_config_show_says_what_is_in_effect_and_from_where(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "policy").mkdir()
    (tmp_path / "runplan.toml").write_text(
        "provider = \"azure\"\nrules = [\"policy\"]\n\n[people]\ncurrency = \"EUR\"\n"
        "fte_monthly_usd = 11000\n")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["config", "show", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["file"] == "runplan.toml"
    got = {s["name"]: (s["value"], s["from"]) for s in data["settings"]}
    file = "runplan.toml"
    assert got["provider"] == ("azure", f"{file}:1")
    assert got["rules"] == (["policy"], f"{file}:2")
    assert got["pricing"] == (None, "default: none")
    assert got["fail-on"] == ("error", "default")
    assert got["people.currency"] == ("EUR", f"{file}:5")
    assert got["people.fte_monthly_usd"] == (11000.0, f"{file}:6")
    value, where = got["people.cluster_fte.nodes.established"]
    assert value == 0.5 and where.startswith(
        "kbase: runplan assumption: the low end of the commonly cited 0.5-2 FTE")
    text = runner.invoke(main, ["config", "show"]).stdout.splitlines()
    assert text[0] == f"settings file: {file}"
    assert f"provider = \"azure\"  ({file}:1)" in text


def test_config_show_without_a_file(runner: CliRunner, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert discover(tmp_path) is None
    assert load_config(None).figures == ()
    result = runner.invoke(main, ["config", "show"])
    assert result.stdout.splitlines()[:2] == [
        "settings file: none (searched runplan.toml, then pyproject.toml with [tool.runplan], "
        "from the working directory up)", "provider = null  (default: each profile's own)"]
    result = runner.invoke(main, ["--config", str(tmp_path / "x.toml"), "config", "show"])
    assert result.exit_code == 2
    assert result.stderr == f"{tmp_path / 'x.toml'}: error: file not found\n"


def test_toml_lines_places_tables_keys_and_dotted_keys() -> None:
    text = ("[tool.runplan]\nprovider = \"gcp\"\npeople.fte_monthly_usd = 3\n"
            "[tool.runplan.people.cluster_fte.nodes]\nbasic = 1\n")
    lines = toml_lines(text, ("tool", "runplan"))
    assert lines[("provider",)] == 2
    assert lines[("people", "fte_monthly_usd")] == 3
    assert lines[("people", "cluster_fte", "nodes")] == 4
    assert lines[("people", "cluster_fte", "nodes", "basic")] == 5


def test_every_people_figure_has_a_range_around_it_and_says_how_weak_it_is(
        runner: CliRunner) -> None:
    from runplan.kbase import iter_figures, load_kbase

    people = [(path, fig) for path, fig in iter_figures(load_kbase().raw["operations"])
              if path.startswith(("people.", "fte_monthly_usd"))]
    assert len(people) == 1 + 4 * 2 + 4 * 3  # the FTE cost; cluster and service effort
    for path, fig in people:
        assert fig["low"] <= fig["value"] <= fig["high"], path
        assert "assumption" in fig["source"] or "derived" in fig["source"], path
    result = runner.invoke(main, ["kbase", "show", "operations"])
    assert ("operations.people.cluster_fte.nodes.basic = 0.75 FTE per cluster (range 0.5-1.5)"
            in result.stdout.splitlines())


def test_any_settings_text_is_a_config_or_one_clean_error(tmp_path: Path) -> None:
    """Arbitrary text, TOML-looking or not, never gets past loading as anything but a
    Config or a UserError with file-named problems."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from runplan.errors import UserError

    path = tmp_path / "runplan.toml"
    pieces = st.sampled_from(["provider = ", "\"gcp\"", "[people]", "[people.cluster_fte.nodes]",
                              "basic = ", "1.5", "-1", "true", "rules = [\"a\"]", "fail-on = ",
                              "\"never\"", "[tool.runplan]", "x.y = 1", "= =", "\n", "'''",
                              "fte_monthly_usd = 1e400", "\x00", "é"])

    @settings(max_examples=150, deadline=None)
    @given(st.lists(pieces, max_size=12).map("".join) | st.text(max_size=80))
    def check(text: str) -> None:
        path.write_text(text, encoding="utf-8")
        try:
            cfg = load_config(path)
        except UserError as exc:
            assert exc.problems and all(p.file == str(path) for p in exc.problems)
        else:
            assert cfg.path == path

    check()


def test_every_money_figure_uses_the_currency_label(runner: CliRunner, tmp_path: Path) -> None:
    # The label only (runplan does not convert): the same figures, in EUR.
    settings = tmp_path / "runplan.toml"
    settings.write_text('[people]\ncurrency = "EUR"\n')
    nightly = str(EXAMPLES / "nightly-reconcile-azure.yaml")
    text = runner.invoke(main, ["--config", str(settings), "advise", nightly]).stdout
    assert ("  - Serverless (Azure Container Apps (consumption)) costs EUR 50.54/month against "
            "EUR 9,776 for Kubernetes on AKS on nodes (standalone; 193.4x as much, of which "
            "EUR 9,562 is people time).") in text
    assert ("  kubernetes  EUR 9,776  (standalone: a new cluster for this component alone; "
            "nodes: D2s-class (2 vCPU, 8 GiB); fixed EUR 73.00, people EUR 9,562)") in text
    assert "Platform: Azure Container Apps (consumption) (serverless, per-use) EUR 50.54/month" \
        in text
    assert "$" not in text
    data = json.loads(runner.invoke(main, ["--config", str(settings), "advise", nightly,
                                           "--format", "json"]).stdout)
    assert data["currency"] == "EUR"
    assert data["costs"]["serverless"]["monthly_usd"] == 50.54  # numbers stay numbers
    # A unit price below 10^-5 keeps its digits (was "$~0 per GiB-s").
    assert data["costs"]["serverless"]["breakdown"]["container compute (GiB-s)"]["note"] == \
        "EUR 0.000003 per GiB-s"
    md = runner.invoke(main, ["--config", str(settings), "advise", nightly,
                              "--format", "markdown"]).stdout
    assert "EUR 50.54" in md and "$" not in md
    inventory = str(EXAMPLES / "inventory.yaml")
    csv = runner.invoke(main, ["--config", str(settings), "score", inventory, "--format",
                               "csv"]).stdout
    assert csv.splitlines()[0] == (
        "name,verdict,confidence,kubernetes_eur,kubernetes_view,serverless_eur,cheaper,"
        "excluded,top_reason,nearest_flip,platform,platform_eur,parts_eur")
    assert "$" not in csv
    smd = runner.invoke(main, ["--config", str(settings), "score", inventory, "--format",
                               "markdown"]).stdout
    assert ("| component | verdict | confidence | Kubernetes EUR/mo | view | allocated EUR/mo | "
            "serverless EUR/mo | cheaper | strongest reason | nearest flip |") in smd
    assert "$" not in smd
    html = tmp_path / "estate.html"
    runner.invoke(main, ["--config", str(settings), "score", inventory, "-o", str(html)])
    assert "EUR 266" in html.read_text() and "$2" not in html.read_text()
    scored = json.loads(runner.invoke(main, ["--config", str(settings), "score", inventory,
                                             "--format", "json"]).stdout)
    assert scored["summary"]["currency"] == "EUR"
    # Without a label: dollars, and USD in the JSON.
    assert json.loads(runner.invoke(main, ["advise", nightly, "--format", "json"]).stdout)[
        "currency"] == "USD"
