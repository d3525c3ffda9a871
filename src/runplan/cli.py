"""The command line: parse arguments, call the library, pick a renderer. No logic of its own."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from runplan.atomic import (
    STDOUT,
    atomic_bytes,
    check_not_input,
    check_target,
    stdout_error,
    write_text,
)
from runplan.errors import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_PIPE, EXIT_USER_ERROR, Problem, UserError
from runplan.fmt import currency, plural, printable, set_currency
from runplan.formats import INPUT_FORMATS, PROVIDERS
from runplan.userfile import display_name, is_stdin, name_error

if TYPE_CHECKING:
    from runplan.advise import Advisor, Result
    from runplan.config import Config
    from runplan.kbase import KnowledgeBase
    from runplan.profile import Component

# Each command imports what it uses when it runs: `runplan --version` and `--help` load none
# of numpy, pydantic, jsonschema, rich or experta, and `advise` loads no batch machinery.

F = TypeVar("F", bound=Callable[..., Any])


def boundary(fn: F) -> F:
    """User errors become one message on stderr and exit 2; anything else exit 3. Standard
    output is flushed here, so that a full disk or `> /dev/full` is a message too."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                out = fn(*args, **kwargs)
            except (SystemExit, click.exceptions.Exit):
                sys.stdout.flush()
                raise
            sys.stdout.flush()
            return out
        except UserError as exc:
            _user_error(exc)
        except (click.exceptions.Exit, click.ClickException):  # click's own exits and usage
            raise
        except BrokenPipeError:  # the reader went away (`runplan score x | head`): stop quietly
            _silence_stdout()
            sys.exit(EXIT_PIPE)
        except OSError as exc:
            named = name_error(exc)  # a 300-character file name, wherever it was looked at
            if named is not None:
                _user_error(named)
            failed = stdout_error(exc)  # `runplan advise x > /dev/full`
            if failed is None:
                _internal_error()
            _silence_stdout()
            _user_error(failed)
        except Exception:
            _internal_error()

    return wrapper  # type: ignore[return-value]


def _user_error(exc: UserError) -> NoReturn:
    with contextlib.suppress(OSError):
        click.echo(str(exc), err=True)
    sys.exit(EXIT_USER_ERROR)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _internal_error() -> NoReturn:
    ctx = click.get_current_context(silent=True)
    verbose = bool(ctx and ctx.find_root().params.get("verbose"))
    click.echo("runplan: unexpected error, please report"
               + ("" if verbose else " (run with -v for details)"), err=True)
    if verbose:
        click.echo(traceback.format_exc(), err=True)
    sys.exit(EXIT_INTERNAL)


rules_option = click.option(
    "--rules", "rules_dirs", multiple=True, type=click.Path(path_type=Path),
    help="A directory of organisation rule files, added to the built-in ones (repeatable).")
pricing_option = click.option(
    "--pricing", type=click.Path(path_type=Path), default=None,
    help="A YAML file overriding kbase figures, e.g. aws: {functions: "
         "{request_usd_per_million: 0.18}}.")
provider_option = click.option(
    "--provider", type=click.Choice(["aws", "gcp", "azure", "any", "on-prem"]), default=None,
    help="Price and limit against this provider instead of the profile's.")
free_tier_option = click.option(
    "--free-tier", is_flag=True, help="Subtract the provider's monthly free tier (off: an "
    "organisation's free tier is usually spent).")


uncertain_option = click.option(
    "--uncertain", type=click.IntRange(2, 1_000_000), is_flag=False, flag_value=1000,
    default=None, metavar="[=N]",
    help="Sample the uncertain inputs (the profile's ranges, the assumed figures' kbase "
         "ranges) N times (default 1,000; write --uncertain=N): the verdict's probability, "
         "cost percentiles, a tornado and the value of information. `confidence` becomes "
         "the probability.")
price_uncertainty_option = click.option(
    "--price-uncertainty", type=str, default=None, metavar="SHARE",
    help="Each model's prices may be this share off list, either way (a 90% interval), "
         "e.g. 10%; with --uncertain (default: kbase/uncertainty.yaml price_uncertainty).")


def _price_share(text: str | None) -> float | None:
    """`--price-uncertainty` as a share (10% or 0.1)."""
    if text is None:
        return None
    from runplan import units

    try:
        share = units.share(text)
    except ValueError as exc:
        raise UserError(Problem("--price-uncertainty", None, "--price-uncertainty",
                                str(exc))) from None
    if not 0 <= share < 1:
        raise UserError(Problem("--price-uncertainty", None, "--price-uncertainty",
                                "must be at least 0 and below 100%"))
    return share


def _uncertain(advisor: Advisor, component: Component, result: Result, draws: int | None,
               prices: str | None, plot: Path | None = None) -> tuple[Result, Any]:
    """The Result with the draws' probability as its confidence, and the summary (None
    without --uncertain)."""
    if draws is None:
        if prices is not None:
            raise UserError(Problem("--price-uncertainty", None, "--price-uncertainty",
                                    "takes effect with --uncertain"))
        return result, None
    from runplan.uncertainty.report import uncertain, with_probability

    summary = uncertain(advisor, component, result, draws, _price_share(prices))
    if plot is not None:
        from runplan.uncertainty.plot import plot_tornado

        with atomic_bytes(plot, "--plot") as f:
            plot_tornado(summary, result.name, f, plot.suffix.lower().lstrip("."))
        click.echo(f"wrote {printable(str(plot))}", err=True)
    return with_probability(result, summary), summary


def _discovered() -> Path | None:
    """The settings file that applies here (none when the working directory is gone)."""
    from runplan.config import discover

    try:
        return discover(Path.cwd())
    except OSError:
        return None


def _config() -> Config:
    """The settings in effect (read once by `main`)."""
    from runplan.config import Config

    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return obj if isinstance(obj, Config) else Config()


def _kbase(pricing: Path | None) -> KnowledgeBase:
    """kbase with the settings file's figures, then `--pricing` (or the file's default)."""
    from runplan.kbase import load_kbase

    return load_kbase(pricing, _config().kbase_settings())


def _advisor(rules_dirs: tuple[Path, ...], pricing: Path | None, free_tier: bool) -> Advisor:
    from runplan.advise import Advisor
    from runplan.rulebase.load import load_rulebase

    return Advisor(_kbase(pricing), load_rulebase(rules_dirs), free_tier)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="runplan", prog_name="runplan")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of unexpected errors.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), default=None,
              help="Read settings from this TOML file (default: the nearest runplan.toml, or "
                   "pyproject.toml with [tool.runplan], from the working directory up).")
@click.pass_context
def main(ctx: click.Context, verbose: bool, config_file: Path | None) -> None:
    """runplan: where should each component run? Kubernetes, serverless, or both.

    \b
    Examples:
      runplan advise examples/payments-webhook.yaml
      runplan advise examples/core-api.yaml --format json --explain
      runplan ask --save-profile svc.yaml --adr docs/adr/0007-svc.md
      runplan score examples/inventory.yaml -o report.html
      runplan adr check docs/adr --format sarif -o runplan.sarif
      runplan cost examples/core-api.yaml --plot cost.png
      runplan rules list
      runplan examples my-examples
      runplan config show
    """
    from runplan.config import load_config

    try:
        config = load_config(config_file if config_file is not None else _discovered())
    except UserError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_USER_ERROR)
    ctx.obj = config
    ctx.default_map = config.default_map()
    set_currency(config.currency)


def run() -> None:
    """The `runplan` command as a process (the console script, `python -m runplan`).

    A run stopped by SIGINT or SIGTERM has removed its temporary output and scratch and
    stopped its workers by the time its exit code (130, 143) comes back; the process then
    ends at once, as one stopped by a signal should, instead of waiting in the interpreter's
    shutdown on `multiprocessing` queue threads that a worker killed mid-transfer can leave
    blocked (seen once in CI: the message printed, the process still there a minute on)."""
    try:
        main()
    except SystemExit as exc:
        if exc.code in (128 + signal.SIGINT, 128 + signal.SIGTERM):
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            os._exit(int(exc.code))
        raise


def _iso_date(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """A calendar date written YYYY-MM-DD (`--as-of`, `--review-by`), or None."""
    from runplan.adr.revisit import as_date

    if value is None:
        return None
    day = as_date(value)
    if day is None:
        raise click.BadParameter("must be a date, YYYY-MM-DD", ctx, param)
    return day


review_by_option = click.option(
    "--review-by", metavar="DATE", callback=_iso_date, default=None,
    help="The record's review-by date (default: its date plus review-months from the "
         "settings file, 6 months).")


def _review_by(given: Any) -> str:
    """The review-by date of a record written today."""
    from runplan.adr.madr import today
    from runplan.adr.revisit import review_by

    return review_by(today(), _config().review_months, given)


output_option = click.option(
    "-o", "--output", type=click.Path(path_type=Path), default=None,
    help="Write to this file instead of stdout (replaced whole at the end; `-` is stdout).")


def _json(data: Any) -> str:
    """JSON as runplan writes it: never NaN or Infinity (the cost core refuses non-finite
    figures first; this is the last guard)."""
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def _emit(text: str, output: Path | None) -> None:
    """A command's report: to `-o` (see runplan.atomic) or stdout; control characters in it
    (from a user's names, rule files or records) shown as escapes, never sent to a terminal."""
    write_text(output if output is not None else STDOUT, printable(text, keep="\n\t"), "-o")


def _profile(file: Path, advisor: Advisor, provider: str | None) -> Component:
    """The profile FILE; `-` reads it from stdin (YAML or JSON), bounded like a file."""
    from runplan.profile import component_from, load_component

    if not is_stdin(file):
        return load_component(file, advisor.kb, provider)
    from runplan.userfile import read_text
    from runplan.yamlio import load_yaml

    name = display_name(file)
    return component_from(*load_yaml(read_text(file, stdin=True), name), name, advisor.kb,
                          provider)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True)
@click.option("--explain", is_flag=True, help="Print the full chain from inputs through "
              "derived facts to the verdict.")
@output_option
@rules_option
@provider_option
@pricing_option
@free_tier_option
@uncertain_option
@price_uncertainty_option
@click.option("--plot", type=click.Path(path_type=Path), default=None,
              help="With --uncertain: write the tornado to this .png or .svg file.")
@boundary
def advise(file: Path, fmt: str, explain: bool, output: Path | None,
           rules_dirs: tuple[Path, ...], provider: str | None, pricing: Path | None,
           free_tier: bool, uncertain: int | None, price_uncertainty: str | None,
           plot: Path | None) -> None:
    """Advise where one component (a profile file, YAML or JSON; `-` for stdin) should run.

    \b
    Examples:
      runplan advise examples/payments-webhook.yaml
      runplan advise service.yaml --format json --rules org-rules/ -o advice.json
      cat service.yaml | runplan advise -
    """
    if output is not None:
        check_target(output, "-o")  # refused before any work
    _check_plot(plot, uncertain)
    advisor = _advisor(rules_dirs, pricing, free_tier)
    component = _profile(file, advisor, provider)
    result = advisor.advise(component, file=_name(file))
    result, summary = _uncertain(advisor, component, result, uncertain, price_uncertainty,
                                 plot)
    _emit(_render(result, fmt, explain, summary), output)


def _check_plot(plot: Path | None, uncertain: int | None) -> None:
    if plot is None:
        return
    if uncertain is None:
        raise UserError(Problem(str(plot), None, "--plot", "the tornado needs --uncertain"))
    if plot.suffix.lower() not in (".png", ".svg"):
        raise UserError(Problem(str(plot), None, "--plot", "must end in .png or .svg"))
    check_target(plot, "--plot")


def _name(file: Path) -> str:
    return display_name(file)


def _render(result: Result, fmt: str, explain: bool, summary: Any = None) -> str:
    from runplan.report.data import advise_document
    from runplan.report.markdown import render_markdown
    from runplan.report.text import render_text

    if fmt == "json":
        data = advise_document(result, explain)
        if summary is not None:  # after the result's fields, before the document's own
            from runplan.uncertainty.report import summary_data

            tail: dict[str, Any] = {k: data.pop(k) for k in ("currency", "explanation")
                                    if k in data}
            data = {**data, "uncertainty": summary_data(summary), **tail}
        return _json(data)
    if fmt == "markdown":
        text = render_markdown(result)
        return text if summary is None else text + f"\n**Uncertainty:** {summary.line()}\n"
    text = render_text(result, explain)
    return text if summary is None else text.rstrip("\n") + f"\nuncertain: {summary.line()}\n"


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@provider_option
@pricing_option
@free_tier_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@output_option
@click.option("--plot", type=click.Path(path_type=Path), default=None,
              help="Write the cost curve to this .png or .svg file (with --uncertain: the "
                   "tornado).")
@uncertain_option
@price_uncertainty_option
@boundary
def cost(file: Path, provider: str | None, pricing: Path | None, free_tier: bool, fmt: str,
         output: Path | None, plot: Path | None, uncertain: int | None,
         price_uncertainty: str | None) -> None:
    """The cost core alone: both models' monthly cost by line item, break-even, cold starts.

    FILE is a profile (YAML or JSON); `-` reads it from stdin.

    \b
    Examples:
      runplan cost examples/core-api.yaml
      runplan cost examples/core-api.yaml --provider gcp --plot cost.png
      runplan cost svc.yaml --format json -o cost.json
    """
    from runplan.report.data import cold_start_data, costs_data, platform_data
    from runplan.report.text import render_cost_text

    if plot is not None and plot.suffix.lower() not in (".png", ".svg"):
        raise UserError(Problem(str(plot), None, "--plot", "must end in .png or .svg"))
    if plot is not None:
        check_target(plot, "--plot")  # refused before any work, not after the report
    if output is not None:
        check_target(output, "-o")
    advisor = _advisor((), pricing, free_tier)
    component = _profile(file, advisor, provider)
    if plot is not None and component.parts and uncertain is None:  # sums, not a curve
        raise UserError(Problem(_name(file), None, "--plot", "a component with parts has no "
                                "cost curve of its own: plot each part as a profile, or its "
                                "tornado with --uncertain"))
    result = advisor.advise(component, file=_name(file), flips=False)
    result, summary = _uncertain(advisor, component, result, uncertain, price_uncertainty,
                                 plot)
    if fmt == "json":
        data = {"name": result.name, "costs": costs_data(result),
                "platforms": [platform_data(o, result.costs) for o in result.platforms],
                "cold_start": cold_start_data(result),
                "assumptions": [str(a) for a in result.assumptions],
                "overridden_figures": list(result.overridden), "currency": currency()}
        if summary is not None:
            from runplan.uncertainty.report import summary_data

            data["uncertainty"] = summary_data(summary)
        _emit(_json(data), output)
    else:
        text = render_cost_text(result)
        if summary is not None:
            from runplan.uncertainty.report import cost_lines

            text = text.rstrip("\n") + "\n" + "".join(f"{x}\n" for x in cost_lines(summary))
        _emit(text, output)
    if plot is not None and summary is None:
        from runplan.report.charts import plot_cost_curve

        be = result.costs.break_even
        with atomic_bytes(plot, "--plot") as f:
            plot_cost_curve(advisor, result.workload, be.requests_per_month if be else None,
                            f, plot.suffix.lower().lstrip("."))
        click.echo(f"wrote {printable(str(plot))}", err=True)


SCORE_FORMATS = {".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown",
                 ".html": "html", ".htm": "html", ".txt": "text"}


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--input-format", type=click.Choice(list(INPUT_FORMATS)), default=None,
              help="Read FILE as this format (default: by extension; catalog-info*.yaml is "
                   "backstage).")
@click.option("--defaults", "defaults_file", type=click.Path(path_type=Path), default=None,
              help="A partial profile (e.g. team and constraints) merged under every component.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "markdown", "html"]),
              default=None, help="Output format (default: from -o's extension, else text).")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Write the report to this file (.json .csv .md .html .txt; replaced whole "
                   "at the end; `-` is stdout).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the CPU count). The output is the same for any N.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary on stderr "
              "(rejected rows are still reported).")
@click.option("--fail-on-error", is_flag=True, help="Exit 1 when any row is rejected.")
@click.option("--no-flips", is_flag=True, help="Skip the flip search (faster; no 'closest to a "
              "flip').")
@rules_option
@provider_option
@pricing_option
@free_tier_option
@uncertain_option
@price_uncertainty_option
@boundary
def score(file: Path, input_format: str | None, defaults_file: Path | None, fmt: str | None,
          output: Path | None, jobs: int | None, quiet: bool, fail_on_error: bool,
          no_flips: bool, rules_dirs: tuple[Path, ...], provider: str | None,
          pricing: Path | None, free_tier: bool, uncertain: int | None,
          price_uncertainty: str | None) -> None:
    """Score every component of an inventory and answer for the estate as a whole.

    FILE is YAML or JSON ({defaults: ..., components: [...]}), CSV (dotted profile fields as
    columns, lists separated by ;), JSON Lines (one profile per line) or a Backstage
    catalog-info.yaml (Component entities with spec.runplan).

    \b
    Exit codes: 0 scored (rejected rows are reported on stderr and in the report);
    1 a row was rejected and --fail-on-error is set, or no row could be scored;
    2 the file itself is unreadable or a usage error; 3 runplan failed on a row (that row's
    error; the rest is scored) or worker processes kept dying; 130/143 Ctrl-C/SIGTERM
    (nothing written).

    \b
    Examples:
      runplan score examples/inventory.yaml
      runplan score examples/inventory.csv -o report.html
      runplan score estate.jsonl --format json --jobs 4 -o scores.json
    """
    from runplan.batch import run_score
    from runplan.score import Settings

    if output is not None and str(output) == STDOUT:
        output = None
    if fmt is None:
        fmt = "text"
        if output is not None:
            suffix = output.suffix.lower()
            if suffix not in SCORE_FORMATS:
                raise UserError(Problem(str(output), None, "-o", "cannot tell the format from "
                                        f"the extension; use {', '.join(SCORE_FORMATS)} or "
                                        "--format"))
            fmt = SCORE_FORMATS[suffix]
    check_not_input(output, (file, defaults_file, pricing))
    if price_uncertainty is not None and uncertain is None:
        raise UserError(Problem("--price-uncertainty", None, "--price-uncertainty",
                                "takes effect with --uncertain"))
    code = run_score(file, input_format, defaults_file, fmt, output, jobs, quiet, fail_on_error,
                     Settings(tuple(rules_dirs), pricing, free_tier, provider,
                              flips=not no_flips, curves=fmt == "html",
                              figures=_config().kbase_settings(),
                              currency=_config().currency or "USD", uncertain=uncertain,
                              price_uncertainty=_price_share(price_uncertainty)))
    sys.exit(code)


@main.command()
@click.option("--answers", "answers_file", type=click.Path(path_type=Path), default=None,
              help="Answer from this YAML file (question ids or profile fields as keys) "
                   "instead of asking.")
@click.option("--save-profile", type=click.Path(path_type=Path), default=None,
              help="Write the profile to this YAML file (loadable by `runplan advise`).")
@click.option("--adr", "adr_path", type=click.Path(path_type=Path), default=None,
              help="Write a MADR 4.0 decision record (status proposed) to this file; it "
                   "references the --save-profile file when both are in one repository, else "
                   "holds the profile inline.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True, help="How to print the final verdict.")
@review_by_option
@rules_option
@provider_option
@pricing_option
@free_tier_option
@boundary
def ask(answers_file: Path | None, save_profile: Path | None, adr_path: Path | None, fmt: str,
        review_by: Any, rules_dirs: tuple[Path, ...], provider: str | None,
        pricing: Path | None, free_tier: bool) -> None:
    """Interview: a few questions, most decisive first, then the verdict.

    Enter takes the default, ? explains a question (and why it matters), < goes back one
    question, a choice is its number or name (on a terminal, Up/Down cycle the options).
    Numbers take units: 2k, 1.5M, 3M/month, 300ms, 40min, 2GB, 90%. After each group the
    provisional verdict is shown; accept it to stop early (defaults fill the rest and are
    listed as assumptions). Ctrl-C or end of input quits without writing anything.

    \b
    Examples:
      runplan ask
      runplan ask --save-profile svc.yaml --adr docs/adr/0007-svc.md
      runplan ask --answers answers.yaml --format json
      printf 'svc\\nwebhook\\n...' | runplan ask
    """
    from runplan.ask import Interview, apply_answers, console_for, run
    from runplan.questions import load_questionnaire
    from runplan.yamlio import load_data_file

    for target, option in ((save_profile, "--save-profile"), (adr_path, "--adr")):
        if target is not None:  # refused before the interview, not after it
            check_target(target, option)
    advisor = _advisor(rules_dirs, pricing, free_tier)
    qs = load_questionnaire()
    interview = Interview(qs, advisor, provider)
    notes: list[str] = []
    if answers_file is not None:
        data, lines = load_data_file(answers_file)
        if not isinstance(data, dict):
            raise UserError(Problem(str(answers_file), None, "", "expected a mapping of "
                                    "question ids (or profile fields) to answers"))
        notes = apply_answers(interview, data, str(answers_file), lines)
    else:
        console = console_for(sys.stdin, sys.stderr)
        console.say(f"runplan ask: at most {len(qs.questions)} questions, fewer as answers rule "
                    "some out. Enter takes the default, ? explains, < goes back, Ctrl-C quits "
                    "without writing anything.")
        try:
            run(interview, console)
        except KeyboardInterrupt:
            click.echo("\nrunplan ask: interrupted; nothing written", err=True)
            sys.exit(130)
        except EOFError:
            click.echo("\nrunplan ask: end of input before the interview finished; nothing "
                       "written", err=True)
            sys.exit(EXIT_FINDINGS)
    component = interview.component()
    result = advisor.advise(component, file="answers")
    profile = interview.profile()
    for note in notes:
        click.echo(f"runplan ask: {note}", err=True)
    if answers_file is None:
        click.echo("", err=True)  # after the transcript
    _emit(_render(result, fmt, False), None)
    click.echo(f"Asked {len(interview.asked)} of {plural(len(qs.questions), 'question')}; "
               f"{plural(len(result.assumptions), 'input')} assumed (runplan defaults).",
               err=fmt != "text")  # keep JSON and Markdown on stdout clean
    if save_profile is not None:
        from runplan.ask import profile_text

        write_text(save_profile, profile_text(result, profile, str(save_profile)))
        click.echo(f"wrote profile {save_profile}", err=True)
    if adr_path is not None:
        from runplan.adr.madr import profile_reference, render_madr

        # The saved profile, when there is one the record can reach, is referenced; else inline.
        ref = None if save_profile is None else profile_reference(save_profile, adr_path, None)
        write_text(adr_path, render_madr(result, profile if ref is None else ref,
                                         review=_review_by(review_by)))
        click.echo(f"wrote ADR {adr_path}", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on (loopback by default; anything else is reachable "
                   "from other machines, and runplan says so).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="The port (0: a free one).")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in a browser.")
@click.option("--inventory", type=click.Path(path_type=Path), default=None,
              help="An inventory the estate page can open (the only file the server reads).")
@rules_option
@pricing_option
@boundary
def serve(host: str, port: int, open_browser: bool, inventory: Path | None,
          rules_dirs: tuple[Path, ...], pricing: Path | None) -> None:
    """The interview, the result and the estate report in a browser, with a JSON API.

    Stateless: a result's link carries its inputs; an upload is read and deleted with its
    request. Ctrl-C stops it.

    \b
    Examples:
      runplan serve --open
      runplan serve --inventory examples/inventory.yaml --port 9000
    """
    from runplan.web.app import Site, create_app
    from runplan.web.server import bind, is_loopback, run, url_of

    if inventory is not None:
        from runplan.inventory import detect_format
        from runplan.userfile import read_bytes

        detect_format(inventory, None)
        read_bytes(inventory)  # refused now (missing, not a file, too large), not per request
    site = Site(_config(), tuple(rules_dirs), pricing, inventory)
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise UserError(Problem(f"{host}:{port}", None, "--port",
                                f"cannot listen: {exc.strerror}")) from None
    url = url_of(sock)
    app = create_app(site)
    if not is_loopback(host):
        click.echo(f"runplan serve: warning: listening on {host}, not loopback: anyone who can "
                   "reach this machine can use it", err=True)
    click.echo(f"runplan serve: {url} (Ctrl-C stops)", err=True)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        run(app, sock)
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    click.echo("runplan serve: stopped", err=True)


@main.group()
def adr() -> None:
    """Check decision records against the rules and costs; draft new ones."""


@adr.command("check")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text",
              show_default=True)
@click.option("--fail-on", type=click.Choice(["error", "warning", "note", "never"]),
              default="error", show_default=True,
              help="Exit 1 when a finding at or above this level is not waived (default "
                   "also settable in runplan.toml: fail-on).")
@output_option
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Profiles a record references must lie inside this directory (default: "
                   "the record's git work tree, else the current directory).")
@click.option("--as-of", metavar="DATE", callback=_iso_date, default=None,
              help="Check as on this day (YYYY-MM-DD; default today): a review-by date "
                   "before it is ADR-REVIEW-DUE.")
@click.option("--fragile-below", type=click.FloatRange(0, 1), default=None,
              help="ADR-FRAGILE for an accepted record whose probability is below this "
                   "(default 0.6; settable in runplan.toml: fragile-below).")
@uncertain_option
@rules_option
@provider_option
@pricing_option
@boundary
def adr_check(paths: tuple[str, ...], fmt: str, fail_on: str, output: Path | None,
              root: Path | None, as_of: Any, fragile_below: float | None,
              uncertain: int | None, rules_dirs: tuple[Path, ...], provider: str | None,
              pricing: Path | None) -> None:
    """Check MADR 4.0 (or Nygard) records: structure, and whether the decision still holds.

    PATHS are files, directories (every .md below them) or glob patterns. A record with a
    `runplan:` profile in its front matter is checked against runplan's verdict: a hard
    constraint it violates is an error; a disagreement, a contradicted driver, a drifted
    verdict, a crossed switching value or a passed review-by date is a warning; an accepted
    decision with a low probability is a note; waived findings stay visible with their
    justification.

    \b
    Exit codes: 0 clean; 1 a finding at or above --fail-on (default error) that is not
    waived; 2 an unreadable record or a usage error.

    \b
    Examples:
      runplan adr check docs/adr/
      runplan adr check 'docs/decisions/*.md' --format sarif -o runplan.sarif
      runplan adr check docs/decisions --as-of 2027-06-01
    """
    import datetime as dt

    from runplan.adr.check import LEVELS, check_record, check_record_file, worst
    from runplan.adr.madr import today
    from runplan.adr.parse import NotAnAdr, parse_record
    from runplan.adr.report import render_json, render_sarif, render_text
    from runplan.adr.revisit import Policy
    from runplan.config import DEFAULT_FRAGILE_BELOW
    from runplan.yamlio import read_text

    if output is not None:
        check_target(output, "-o")  # refused before any work
    advisor = _advisor(rules_dirs, pricing, False)
    policy = Policy(as_of or dt.date.fromisoformat(today()),
                    DEFAULT_FRAGILE_BELOW if fragile_below is None else fragile_below, uncertain)
    files = _record_files(paths)
    findings = []
    checked: list[str] = []
    skipped: list[str] = []
    unreadable: list[Problem] = []
    verdicts: dict[str, Any] = {}
    for path in files:
        try:
            check_record_file(path, root)
            rec = parse_record(read_text(path), str(path))
            result = check_record(rec, advisor, provider, root, policy)
        except NotAnAdr:
            skipped.append(str(path))
            continue
        except UserError as exc:
            unreadable.extend(exc.problems)
            continue
        checked.append(str(path))
        findings.extend(result.findings)
        if result.result is not None:
            verdicts[str(path)] = {"verdict": result.result.verdict.verdict,
                                   "confidence": result.result.verdict.confidence}
    if fmt == "sarif":
        text = render_sarif(findings, Path.cwd(), unreadable)
    elif fmt == "json":
        text = render_json(findings, checked, skipped, verdicts)
    else:
        text = render_text(findings, len(checked), skipped)
    _emit(text, output)
    for problem in unreadable:
        click.echo(str(problem), err=True)
    if unreadable:
        sys.exit(EXIT_USER_ERROR)
    if fail_on != "never" and worst(findings) >= LEVELS[fail_on]:
        sys.exit(EXIT_FINDINGS)


def _record_files(paths: tuple[str, ...]) -> list[Path]:
    """Files, directories (every .md below) and glob patterns, in a stable order."""
    import glob

    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*.md") if p.is_file())
        elif path.exists():
            out.append(path)
        elif any(ch in raw for ch in "*?["):
            matched = sorted(Path(p) for p in glob.glob(raw, recursive=True) if Path(p).is_file())
            if not matched:
                raise UserError(Problem(raw, None, "", "the pattern matches no file"))
            out += matched
        else:
            raise UserError(Problem(raw, None, "", "file not found"))
    return list(dict.fromkeys(out))


@adr.command("new")
@click.option("--from", "profile_path", type=click.Path(path_type=Path), required=True,
              help="The component profile the decision is about.")
@click.option("--title", required=True, help="The decision's title.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="A file, or a directory for the next NNNN-title.md (default: docs/decisions, "
                   "else docs/adr, if it exists, else the current directory).")
@click.option("--profile-ref/--profile-inline", "reference", default=None,
              help="Reference the profile file by its path from the record, or copy the profile "
                   "into the front matter (default: reference it when it is inside the "
                   "record's repository, else copy it).")
@review_by_option
@uncertain_option
@rules_option
@provider_option
@pricing_option
@boundary
def adr_new(profile_path: Path, title: str, output: Path | None, reference: bool | None,
            review_by: Any, uncertain: int | None, rules_dirs: tuple[Path, ...],
            provider: str | None, pricing: Path | None) -> None:
    """Draft a MADR 4.0 record from a profile: the verdict as the chosen option.

    \b
    Examples:
      runplan adr new --from examples/payments-webhook.yaml --title "Run the Stripe webhook"
      runplan adr new --from svc.yaml --title "Where svc runs" -o docs/decisions/
    """
    import re

    from runplan.adr.madr import default_folder, new_record, profile_reference
    from runplan.profile import load_component

    advisor = _advisor(rules_dirs, pricing, False)
    component = load_component(profile_path, advisor.kb, provider)
    result = advisor.advise(component, file=str(profile_path))
    # With --uncertain the recorded probability is the draws' (`revisit.probability`).
    result, summary = _uncertain(advisor, component, result, uncertain, None)
    from runplan.uncertainty.ranges import as_written

    # The profile as given (provider applied), each range as it was written.
    data = as_written(component.model_dump(exclude_unset=True), component._ranges)
    if output is None:
        output = default_folder()
    if output.suffix.lower() != ".md" and not output.is_dir():
        raise UserError(Problem(str(output), None, "-o", "no such directory (give an existing "
                                "directory, or a file path ending in .md)"))
    if output.is_dir():
        numbers = [int(m.group(1)) for p in output.glob("*.md")
                   if (m := re.match(r"^(\d{4})-", p.name))]
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "decision"
        output = output / f"{max(numbers, default=0) + 1:04d}-{slug}.md"
    if output.exists():
        raise UserError(Problem(str(output), None, "", "already exists; choose another path"))
    ref = profile_reference(profile_path, output, reference)
    write_text(output, new_record(result, data if ref is None else ref, title,
                                  data.get("description"), provider,
                                  review=_review_by(review_by), summary=summary))
    click.echo(str(output))


@main.group()
def rules() -> None:
    """List, show and validate the rule base."""


@rules.command("list")
@rules_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@boundary
def rules_list(rules_dirs: tuple[Path, ...], fmt: str) -> None:
    """Every rule with its theme, title and source."""
    from runplan.report.data import rule_data
    from runplan.report.text import rules_table
    from runplan.rulebase.load import load_rulebase

    rb = load_rulebase(rules_dirs)
    if fmt == "json":
        _emit(_json([rule_data(r) for r in rb.rules]), None)
        return
    _emit(rules_table([(r.id, r.theme, r.title, r.source) for r in rb.rules]), None)


@rules.command("show")
@click.argument("rule_id")
@rules_option
@boundary
def rules_show(rule_id: str, rules_dirs: tuple[Path, ...]) -> None:
    """One rule: summary, why, source, effect and examples (like `ruff rule X`)."""
    import difflib

    import yaml

    from runplan.rulebase.load import load_rulebase

    rb = load_rulebase(rules_dirs)
    r = rb.get(rule_id.upper())
    if r is None:
        close = difflib.get_close_matches(rule_id.upper(), [x.id for x in rb.rules], n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise UserError(f"no rule {rule_id} ({hint}see runplan rules list)")
    lines = [f"{r.id}: {r.title}", "", "Why:", f"  {r.rationale}", "",
             f"Source: {r.source}", f"Effect: {r.effect()}", f"Message: {r.message}",
             "Reads: " + ", ".join(dict.fromkeys([*r.fields_read(), *r.fields_graded(),
                                                  *r.facts_needed()]))]
    if r.recommendation:
        lines += [f"Recommendation: {r.recommendation}"]
    if r.examples:
        lines += ["", "Examples:", yaml.safe_dump(r.examples, sort_keys=False).rstrip()]
    lines += ["", f"Defined in {Path(r.file).name}:{r.line}"]
    _emit("\n".join(lines) + "\n", None)


@rules.command("validate")
@click.argument("directory", type=click.Path(path_type=Path))
@boundary
def rules_validate(directory: Path) -> None:
    """Check a directory of rule files together with the built-in rules."""
    from runplan.rulebase.load import load_rulebase, parse_rule_file, rule_files

    load_rulebase([directory])  # the shipped directory itself, or copies of its files, once
    files = rule_files(directory)
    count = sum(len(parse_rule_file(f)[0]) for f in files)
    click.echo(f"{plural(count, 'rule')} in {plural(len(files), 'file')}: valid")


@main.command()
@click.argument("directory", type=click.Path(path_type=Path), default=Path("examples"))
@click.option("--force", is_flag=True, help="Replace files of the same name in DIRECTORY.")
@boundary
def examples(directory: Path, force: bool) -> None:
    """Write the example profiles and estates into DIRECTORY (default: examples).

    A file of the same name already there is never replaced without --force (and then
    nothing is written); other files in DIRECTORY are left alone.

    \b
    Examples:
      runplan examples && runplan advise examples/payments-webhook.yaml
      runplan examples /tmp/runplan-examples --force
    """
    from runplan.examples import write_examples

    written = write_examples(directory, force)
    click.echo(f"wrote {plural(len(written), 'example file')} to {directory}; try: runplan "
               f"advise {directory / 'payments-webhook.yaml'}", err=True)


@main.command()
@click.argument("what", type=click.Choice(["component"]))
def schema(what: str) -> None:
    """Print the JSON Schema of a file runplan reads (the component profile)."""
    from runplan.profile import profile_schema

    data = profile_schema()
    data["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    data["$id"] = "https://runplan.dev/schemas/component.schema.json"
    click.echo(json.dumps(data, indent=2, sort_keys=True))


@main.group()
def kbase() -> None:
    """The knowledge base: prices and limits with their sources."""


@kbase.command("show")
@click.argument("provider", required=False, type=click.Choice([*PROVIDERS, "operations",
                                                                "traffic"]))
@pricing_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@boundary
def kbase_show(provider: str | None, pricing: Path | None, fmt: str) -> None:
    """Every figure with its unit, source and as-of date."""
    from runplan.report.data import figure_rows

    rows = figure_rows(_kbase(pricing).raw, provider)
    if fmt == "json":
        _emit(_json(rows), None)
        return
    _emit("".join(f"{f['file']}.{f['figure']} = {json.dumps(f['value'])} {f['unit']}"
                  f"{_range(f)}\n    source: {f['source']} (as of {f['as_of']})\n"
                  for f in rows), None)


def _range(fig: dict[str, Any]) -> str:
    """` (range 0.5-1.5)` for a figure with a plausible range in kbase."""
    from runplan.fmt import num

    return f" (range {num(fig['low'], 6)}-{num(fig['high'], 6)})" if "low" in fig else ""


@main.group("config")
def config_group() -> None:
    """The settings file (runplan.toml, or [tool.runplan] in pyproject.toml)."""


@config_group.command("show")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@boundary
def config_show(fmt: str) -> None:
    """What is in effect and where each value comes from: the settings file, or kbase and
    runplan's defaults. Options given on a command line win over both.

    \b
    Examples:
      runplan config show
      runplan --config org/runplan.toml config show --format json
    """
    from runplan.config import effective_settings

    cfg = _config()
    rows = effective_settings(cfg, _kbase(cfg.pricing))
    if fmt == "json":
        _emit(_json({"file": None if cfg.path is None else str(cfg.path),
                     "settings": [{"name": n, "value": v, "from": w} for n, v, w in rows]}),
              None)
        return
    head = (f"settings file: {cfg.path}" if cfg.path is not None else
            "settings file: none (searched runplan.toml, then pyproject.toml with "
            "[tool.runplan], from the working directory up)")
    _emit("".join(f"{line}\n" for line in [head, *(f"{name} = {json.dumps(value)}  ({where})"
                                                  for name, value, where in rows)]), None)
