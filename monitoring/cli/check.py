"""`monitoring check`: regenerate in memory and compare with OUT; lint the definitions; scan OUT for secrets."""

from __future__ import annotations

import sys

import click

from monitoring.cli.common import (
    EXIT_FAILED,
    estate_options,
    guarded_output,
    render_estate,
    user_errors,
    warn_about_sizes,
)


@click.command()
@estate_options
@click.option("--quiet", "-q", is_flag=True, help="Only the verdict, no diff.")
@user_errors
def check(definitions, out, policies, quiet):
    """Regenerate in memory and compare with OUT (exit 1 on any difference; writes nothing)."""
    from monitoring.cli.lint import lint_definitions
    from monitoring.pipeline.secrets import redact, scan_files
    from monitoring.pipeline.workers import collecting_rarely
    from monitoring.pipeline.writer import compare_tree, read_tree, refuse_unless_generated

    real, _ = guarded_output(out, definitions, policies)
    if out.is_symlink():  # named with -o: followed only to a generated tree
        refuse_unless_generated(real, str(out))
    with collecting_rarely():  # one short run over a large model: see monitoring/pipeline/workers.py
        stacks, files = render_estate(definitions, policies)
        lint_ok = lint_definitions(stacks)  # `monitoring lint` on the definitions: errors fail the check
        # Read once, never following a symbolic link; compare and scan what was read.
        on_disk, problems = read_tree(real)
        result = compare_tree(out, files, on_disk)
        # Files equal to the rendered ones passed the guard when rendered; the others may hold anything
        # (e.g. a credential pasted in generated/) and are parsed strictly.
        changed = {name: on_disk[name] for name in (*result.stale, *result.unexpected)}
        findings = scan_files(changed, prefix=f"{out}/", strict=True)
    warn_about_sizes(files)
    for problem in problems:
        click.echo(f"error: {redact(problem.format())}", err=True)
    for finding in findings:
        click.echo(f"secret: {finding.error().format()}", err=True)
    unsafe = {finding.file.removeprefix(f"{out}/") for finding in findings}
    if not lint_ok and result.clean and not findings and not problems:
        click.echo(f"{out}/ is up to date, but `monitoring lint` found errors (above)", err=True)
        sys.exit(EXIT_FAILED)
    if result.clean and not findings and not problems:
        click.echo(f"{out}/ is up to date")
        return
    for label, names in (("stale", result.stale), ("missing", result.missing), ("unexpected", result.unexpected)):
        for name in names:
            click.echo(f"{label}: {out}/{name}", err=True)
    if not quiet:
        # A file with a finding is never shown: its diff would print the credential.
        shown = "".join(text for name, text in sorted(result.diffs.items()) if name not in unsafe)
        click.echo(redact(shown), err=True, nl=False)
    if problems and result.clean:
        click.echo(f"{out}/ holds files `monitoring generate` never writes (above)", err=True)
    else:
        click.echo(
            f"{out}/ is out of date: run `monitoring generate` (or `make generate`) and commit the result", err=True
        )
    sys.exit(EXIT_FAILED)
