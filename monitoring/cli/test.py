"""`monitoring test`: promtool and amtool over what `generate` wrote."""

from __future__ import annotations

import sys

import click

from monitoring.cli.common import EXIT_FAILED, estate_options, path_option, user_errors

# Suites run by `monitoring test`: "module:function", each
# function(stacks, out_dir, cache=, shard=, policies=) -> SuiteResult; one signature, each suite uses what it needs.
TEST_SUITES = (
    "monitoring.verify.rule_tests:run",
    "monitoring.verify.routing_tests:run",
    "monitoring.verify.gitops:run",
)


def _shard(ctx, param, value):
    from monitoring.verify.shard import ALL, parse_shard

    if value is None:
        return ALL
    try:
        return parse_shard(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("test")
@estate_options
@click.option(
    "--shard",
    metavar="K/N",
    callback=_shard,
    help="Verify only the K-th of N deterministic shards of the files (CI matrices); the routing suite runs in 1/N.",
)
@click.option("--no-cache", is_flag=True, help="Verify everything, even files that passed before with the same bytes.")
@path_option("--cache-dir", envvar="MONITORING_CACHE", help="Where passes are kept. Default: .cache/monitoring-test")
@user_errors
def test_command(definitions, out, policies, shard, no_cache, cache_dir):
    """Run promtool/amtool over the generated rules, tests and routing; fail if any rule is untested."""
    import importlib

    from monitoring.render.estate import load
    from monitoring.verify.cache import DEFAULT_DIR, ResultCache
    from monitoring.verify.report import format_table

    stacks = load(definitions)
    cache = ResultCache(None if no_cache else (cache_dir or DEFAULT_DIR))
    failed = False
    for suite in TEST_SUITES:
        module, function = suite.split(":")
        result = getattr(importlib.import_module(module), function)(
            stacks, out, cache=cache, shard=shard, policies=policies
        )
        click.echo(format_table(result))
        click.echo("")
        failed |= not result.ok
    click.echo("FAILED" if failed else "all suites passed")
    sys.exit(EXIT_FAILED if failed else 0)
