"""One end-to-end run per session: real Prometheus 2.42 and Alertmanager 0.25 on loopback, driven by the simulator.

The run takes about a minute (E2E_SPEEDUP=60: every rule and routing duration divided by 60); the tests
below judge its report. The table of fault-to-notification times is printed at the end of the session.
"""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_REPORT = pytest.StashKey()


@pytest.fixture(scope="session")
def stack():
    from monitoring.runtime.simulator import STACK

    return STACK


@pytest.fixture(scope="session")
def e2e(stack, tmp_path_factory, pytestconfig):
    """(run, report): the expectations and what the servers did."""
    from monitoring.e2e.run import DEFAULT_SPEEDUP, Run, alerting_inputs

    previous = Path.cwd()
    os.chdir(ROOT)  # tools in .tools/bin and policies/ are found from the project folder
    try:
        config, templates = alerting_inputs(stack, ROOT / "policies")
        run = Run(stack, config, float(os.environ.get("E2E_SPEEDUP", DEFAULT_SPEEDUP)))
        with run.local_stack(tmp_path_factory.mktemp("e2e"), templates) as servers:
            report = run.execute(servers)
    finally:
        os.chdir(previous)
    pytestconfig.stash[_REPORT] = report
    return run, report


def pytest_terminal_summary(terminalreporter, config):
    report = config.stash.get(_REPORT, None)
    if report is not None:
        terminalreporter.write_sep("-", "time from fault injection to notification")
        terminalreporter.write_line(report.table())
