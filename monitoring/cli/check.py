"""`monitoring check`: regenerate in memory and compare with OUT; lint the definitions; scan OUT for secrets."""

from __future__ import annotations

import sys

import click

from monitoring.cli.common import (
    EXIT_FAILED,
    definitions_option,
    out_option,
    policies_option,
    user_errors,
    warn_about_sizes,
)


@click.command()
@definitions_option
@out_option()
@policies_option
@click.option("--quiet", "-q", is_flag=True, help="Only the verdict, no diff.")
@user_errors
def check(definitions, out, policies, quiet):
    """Regenerate in memory and compare with OUT (exit 1 on any difference; writes nothing)."""
    from monitoring.cli.lint import lint_definitions
    from monitoring.pipeline.deploy import load_deploy_policy
    from monitoring.pipeline.secrets import scan_tree
    from monitoring.pipeline.workers import collecting_rarely
    from monitoring.pipeline.writer import compare_tree
    from monitoring.render.estate import load, render_all

    with collecting_rarely():  # one short run over a large model: see monitoring/pipeline/workers.py
        stacks = load(definitions)
        files = render_all(stacks, policies_dir=policies, deploy=load_deploy_policy(policies))
        lint_ok = lint_definitions(stacks)  # `monitoring lint` on the definitions: errors fail the check
        result = compare_tree(out, files)
        leaks = [finding.error().format() for finding in scan_tree(out)]  # e.g. a credential pasted in generated/
    warn_about_sizes(files)
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
    for label, names in (("stale", result.stale), ("missing", result.missing), ("unexpected", result.unexpected)):
        for name in names:
            click.echo(f"{label}: {out}/{name}", err=True)
    if result.diff and not quiet:
        click.echo(result.diff, err=True, nl=False)
    click.echo(f"{out}/ is out of date: run `monitoring generate` (or `make generate`) and commit the result", err=True)
    sys.exit(EXIT_FAILED)
