"""The `monitoring` command group. Each command lives in its own module and imports heavy parts lazily.

Exit codes: 0 ok, 1 check/test failed, 2 user error.
"""

from __future__ import annotations

import click

from monitoring.cli.check import check
from monitoring.cli.demo import demo
from monitoring.cli.generate import generate
from monitoring.cli.import_ import import_group
from monitoring.cli.lint import lint
from monitoring.cli.simulate import simulate
from monitoring.cli.test import test_command
from monitoring.cli.testgen import testgen


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Generate Grafana dashboards, Prometheus rules, promtool tests and Alertmanager routing
    from Python definitions, and check that the committed artifacts are up to date."""


for command in (generate, check, test_command, testgen, lint, import_group, simulate, demo):
    main.add_command(command)

if __name__ == "__main__":
    main()
