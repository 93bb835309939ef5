"""``monitoring testgen``: promtool tests for rule files a team already has.

Everything is generated in memory first; a bad input (not a rule file, PromQL that does not parse) is reported
as file:line, exit 2, and nothing is written. A rule without tests is listed with its reason, exit 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitoring.cli.common import EXIT_FAILED, user_errors


@click.command("testgen")
@click.argument("rules", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder for the test files (one per rule file), replaced as a whole.",
)
@user_errors
def testgen(rules, out):
    """Prometheus rule files or PrometheusRule manifests (files or folders) -> promtool tests for every rule.

    Run them with `promtool test rules OUT/*.test.yml`."""
    from monitoring.adopt.files import RULE_SUFFIXES, expand
    from monitoring.adopt.rule_tests import check_output_folder, generated_tests
    from monitoring.pipeline.writer import write_tree

    check_output_folder(out)
    files, results = generated_tests(expand(list(rules), RULE_SUFFIXES), out)
    write_tree(out, files)
    alerts = records = tested_alerts = tested_records = untested = 0
    for name, result in results:
        alerts, records = alerts + result.alerts, records + result.records
        tested_alerts += result.tested("alert")
        tested_records += result.tested("record")
        untested += len(result.untested)
        counts = (
            f"alerts {result.tested('alert')}/{result.alerts}, "
            f"recording rules {result.tested('record')}/{result.records}"
        )
        click.echo(f"{out / name if name else 'no tests'} ({result.source}: {counts})")
        for item in result.untested:
            click.echo(f"  not tested: {item}")
    click.echo(
        f"{len(results)} rule file(s): alerts {tested_alerts}/{alerts}, recording rules {tested_records}/{records} "
        f"with generated tests; {untested} rule(s) not tested"
    )
    if untested:
        sys.exit(EXIT_FAILED)
