"""`monitoring test`: promtool and amtool over what `generate` wrote."""

from __future__ import annotations

import sys

import click

from monitoring.cli.common import EXIT_FAILED, definitions_option, out_option, user_errors

# Suites run by `monitoring test`: "module:function", each function(stacks, out_dir) -> SuiteResult.
TEST_SUITES = (
    "monitoring.verify.rule_tests:run",
    "monitoring.verify.routing_tests:run",
    "monitoring.verify.gitops:run",
)


@click.command("test")
@definitions_option
@out_option()
@user_errors
def test_command(definitions, out):
    """Run promtool/amtool over the generated rules, tests and routing; fail if any rule is untested."""
    import importlib

    from monitoring.render.estate import load
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
