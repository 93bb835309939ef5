"""Command line: orchestration only. Exit codes: 0 ok, 1 check/test failed, 2 user error."""
from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from monitoring.errors import DefinitionError

EXIT_FAILED, EXIT_USER_ERROR = 1, 2


def user_errors(func):
    """Turn a DefinitionError into a clear message and exit code 2: never a traceback."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DefinitionError as exc:
            click.echo(f"error: {exc.format()}", err=True)
            click.echo("nothing was written.", err=True)
            sys.exit(EXIT_USER_ERROR)
    return wrapper


definitions_option = click.option(
    "--definitions", "-d", type=click.Path(path_type=Path), default=None, envvar="MONITORING_DEFINITIONS",
    help="Folder (or file) of definitions. Default: the package's monitoring/definitions/.")
out_option = click.option(
    "--out", "-o", type=click.Path(path_type=Path, file_okay=False), default=Path("generated"),
    show_default=True, help="Output folder for the generated artifacts.")
policies_option = click.option(
    "--policies", type=click.Path(path_type=Path, file_okay=False), default=None, envvar="MONITORING_POLICIES",
    help="Folder of policies (notifications.yaml: Alertmanager routing). Default: ./policies if it has one.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Generate Grafana dashboards, Prometheus rules, promtool tests and Alertmanager routing
    from Python definitions, and check that the committed artifacts are up to date."""


@main.command()
@definitions_option
@out_option
@policies_option
@user_errors
def generate(definitions, out, policies):
    """Render everything in memory, then replace OUT atomically."""
    from monitoring.batch import collecting_rarely
    from monitoring.pipeline import load_and_render
    from monitoring.writer import write_tree

    with collecting_rarely():  # one short run over a large model: see monitoring/batch.py
        _, files, _ = load_and_render(definitions, policies_dir=policies)
        write_tree(out, files)
    click.echo(f"wrote {len(files)} files to {out}/")


@main.command()
@definitions_option
@out_option
@policies_option
@click.option("--quiet", "-q", is_flag=True, help="Only the verdict, no diff.")
@user_errors
def check(definitions, out, policies, quiet):
    """Regenerate in memory and compare with OUT (exit 1 on any difference; writes nothing)."""
    from monitoring.batch import collecting_rarely
    from monitoring.lint.cli import lint_definitions
    from monitoring.pipeline import load_and_render
    from monitoring.verify.secrets import scan_tree
    from monitoring.writer import compare_tree

    with collecting_rarely():  # one short run over a large model: see monitoring/batch.py
        # `monitoring lint` on the definitions (errors fail the check) runs while the stacks render.
        _, files, lint_ok = load_and_render(definitions, policies_dir=policies, alongside=lint_definitions)
        result = compare_tree(out, files)
        leaks = [finding.error().format() for finding in scan_tree(out)]  # e.g. a credential pasted in generated/
    for leak in leaks:
        click.echo(f"secret: {leak}", err=True)
    if leaks:
        quiet = True  # the diff would print the credential
    if not lint_ok and result.clean and not leaks:
        click.echo(f"{out}/ is up to date, but `monitoring lint` found errors (above)", err=True)
        sys.exit(EXIT_FAILED)
    if result.clean and not leaks:
        click.echo(f"{out}/ is up to date")
        return
    for label, names in (("stale", result.stale), ("missing", result.missing),
                         ("unexpected", result.unexpected)):
        for name in names:
            click.echo(f"{label}: {out}/{name}", err=True)
    if result.diff and not quiet:
        click.echo(result.diff, err=True, nl=False)
    click.echo(f"{out}/ is out of date: run `monitoring generate` (or `make generate`) and commit the result",
               err=True)
    sys.exit(EXIT_FAILED)


# Suites run by `monitoring test`: "module:function", each function(stacks, out_dir) -> SuiteResult.
TEST_SUITES = (
    "monitoring.verify.rule_tests:run",
    "monitoring.verify.routing_tests:run",
)


@main.command("test")
@definitions_option
@out_option
@user_errors
def test_command(definitions, out):
    """Run promtool/amtool over the generated rules, tests and routing; fail if any rule is untested."""
    import importlib

    from monitoring.pipeline import load
    from monitoring.verify.report import format_table

    stacks = load(definitions)
    failed = False
    for suite in TEST_SUITES:
        module, function = suite.split(":")
        result = getattr(importlib.import_module(module), function)(stacks, out)
        click.echo(format_table(result))
        click.echo("")
        failed |= not result.ok
    click.echo("FAILED" if failed else "all suites passed")
    sys.exit(EXIT_FAILED if failed else 0)


from monitoring.simulate_cli import simulate  # noqa: E402 - its own module; imports the simulator lazily

main.add_command(simulate)

from monitoring.demo_cli import demo  # noqa: E402 - its own module; starts servers lazily

main.add_command(demo)

from monitoring.lint.cli import lint as lint_command  # noqa: E402 - its own module; imports heavy parts lazily

main.add_command(lint_command)

if __name__ == "__main__":
    main()
