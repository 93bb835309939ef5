"""``monitoring lint``: static checks on the definitions, or on existing Prometheus rule files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitoring.cli.common import EXIT_FAILED as EXIT_FINDINGS
from monitoring.cli.common import EXIT_USER_ERROR, definitions_option, path_option
from monitoring.errors import DefinitionError

RULE_FILE_SUFFIXES = (".yml", ".yaml", ".rules", ".json")


@click.command("lint")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@definitions_option
@path_option(
    "--config",
    "-c",
    "config_path",
    envvar="MONITORING_LINT_CONFIG",
    help="Lint policy. Default: policies/lint.yaml if present.",
)
@click.option("--check", "only", multiple=True, metavar="NAME", help="Run only this check (repeatable).")
@click.option(
    "--explain",
    metavar="NAME",
    is_flag=False,
    flag_value="",
    help="Print what a check finds, why, and examples; without NAME list every check. Then exit.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text: one line per finding and counts; json: one document; github: GitHub Actions annotations.",
)
def lint(files, definitions, config_path, only, explain, fmt):
    """Static analysis with no live Prometheus. Without FILES: every check on the definitions (with the metric
    catalog). With FILES (rule files or folders): the checks that need no catalog.

    Exit codes: 0 clean or warnings only, 1 errors found, 2 bad input (lint policy, definitions).
    --explain without a name lists the checks."""
    try:
        if explain is not None:
            _explain(explain)
            return
        from monitoring.lint import lint_files, lint_stacks, load_config
        from monitoring.render.prometheus import render_rules

        config = load_config(config_path)
        _check_names(only)
        if files:
            findings = lint_files(expand(files), config, tuple(only))
        else:
            from monitoring.pipeline.discovery import load_stacks

            findings = lint_stacks(load_stacks(definitions), render_rules, config, tuple(only))
    except DefinitionError as exc:
        from monitoring.pipeline.secrets import redact

        click.echo(f"error: {redact(exc.format())}", err=True)
        sys.exit(EXIT_USER_ERROR)
    sys.exit(EXIT_FINDINGS if report(findings, fmt=fmt) else 0)


def report(findings, err: bool = False, fmt: str = "text") -> bool:
    """Print findings (and counts by check) in a format; True when any finding is an error."""
    from monitoring.lint.report import render
    from monitoring.pipeline.secrets import redact

    click.echo(redact(render(findings, fmt)), err=err)  # a finding may quote an expression or a template
    return any(f.severity == "error" for f in findings)


def lint_definitions(stacks) -> bool:
    """The hook `monitoring check` calls: print findings (if any) to stderr; True when none is an error."""
    import os

    from monitoring.lint import lint_stacks, load_config
    from monitoring.render.prometheus import render_rules

    config = os.environ.get("MONITORING_LINT_CONFIG")
    findings = lint_stacks(stacks, render_rules, load_config(Path(config) if config else None))
    if not findings:
        return True
    return not report(findings, err=True)


def expand(paths) -> list[Path]:
    """Files as given; folders recursively, their rule-file-like files only, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in RULE_FILE_SUFFIXES))
        elif path.exists():
            found.append(path)
        else:
            raise DefinitionError(f"{path}: no such file or folder", hint="pass rule files or folders of them")
    return found


def _check_names(only) -> None:
    from monitoring.lint.registry import check_modules

    known = {m.NAME for m in check_modules()}
    for name in only:
        if name not in known:
            raise DefinitionError(f"unknown check {name!r}", hint=f"known checks: {', '.join(sorted(known))}")


def _explain(name: str) -> None:
    from monitoring.lint.registry import check_modules, module_named

    if not name:
        width = max(len(m.NAME) for m in check_modules())
        for module in check_modules():
            summary = " ".join(module.__doc__.strip().split("\n\n", 1)[0].split(":", 1)[1].split())
            catalog = " (needs the catalog)" if module.NEEDS_CATALOG else ""
            click.echo(f"{module.NAME:<{width}}  {module.SEVERITY:<7}  {summary}{catalog}")
        click.echo("\nmonitoring lint --explain NAME: what a check finds, why it matters, a bad and a good example")
        return
    _check_names((name,))
    module = module_named(name)
    click.echo(
        f"{module.NAME} (default severity: {module.SEVERITY}{', needs the catalog' if module.NEEDS_CATALOG else ''})\n"
    )
    click.echo(module.__doc__.strip().split(":", 1)[1].strip())
