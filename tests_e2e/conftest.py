"""One end-to-end run per session: real Prometheus 2.42 and Alertmanager 0.25 on loopback, driven by the simulator.

Two sets of servers run side by side: the fault waves (the A/B stack, E2E_SPEEDUP=60: every rule and routing
duration divided by 60; about 90 s), and the fast burn (the SLO stack at 360x, so that its 1h window lasts 10 s;
about 30 s, in a thread, so it adds nothing to the wall time). The tests judge their reports; the table of
fault-to-notification times and the burn's summary are printed at the end of the session.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_REPORT = pytest.StashKey()
_BURN = pytest.StashKey()
# The fast burn: error_spike puts 15% errors on baseline, a 15x burn of the 99% availability SLO's 1% budget,
# above the 14.4x of its 1h/5m page alert.
BURN_ALERT, BURN_FAULT, BURN_MODEL = "AvailabilityBudgetBurnPageQuick", "error_spike", "baseline"


@pytest.fixture(scope="session")
def stack():
    from monitoring.runtime.simulator import STACK

    return STACK


@pytest.fixture(scope="session")
def slo_stack():
    from monitoring.definitions.ab_test_slo import STACK

    return STACK


@pytest.fixture(scope="session")
def runs(stack, slo_stack, tmp_path_factory, pytestconfig):
    """{"waves": (run, report), "burn": (run, report)}: the expectations and what the servers did."""
    from monitoring.e2e.burn import BurnRun
    from monitoring.e2e.run import DEFAULT_SPEEDUP, Run, alerting_inputs

    previous = Path.cwd()
    os.chdir(ROOT)  # tools in .tools/bin and policies/ are found from the project folder
    try:
        config, templates = alerting_inputs(stack, ROOT / "policies")
        run = Run(stack, config, float(os.environ.get("E2E_SPEEDUP", DEFAULT_SPEEDUP)))
        # the same Alertmanager config: the policy does not depend on the stacks (only its routing tests do)
        burn = BurnRun(slo_stack, BURN_ALERT, BURN_FAULT, BURN_MODEL, config)

        # both folders made here: the factory creates its base folder on first use, and two threads doing that
        # at once may each make one (pytest: "e2e-burn is not a normalized and relative path")
        burn_folder, waves_folder = tmp_path_factory.mktemp("e2e-burn"), tmp_path_factory.mktemp("e2e")

        def burn_report():
            with burn.local_stack(burn_folder, templates) as servers:
                return burn.execute(servers)

        with ThreadPoolExecutor(1, thread_name_prefix="e2e-burn") as pool:
            burning = pool.submit(burn_report)
            try:
                with run.local_stack(waves_folder, templates) as servers:
                    report = run.execute(servers)
            finally:
                burn_result = burning.result()  # bounded: the burn's own waits are (start-up 30 s, burn timeout)
    finally:
        os.chdir(previous)
    pytestconfig.stash[_REPORT] = report
    pytestconfig.stash[_BURN] = burn_result
    return {"waves": (run, report), "burn": (burn, burn_result)}


@pytest.fixture(scope="session")
def e2e(runs):
    """(run, report) of the fault waves."""
    return runs["waves"]


@pytest.fixture(scope="session")
def burn(runs):
    """(run, report) of the fast burn."""
    return runs["burn"]


def pytest_terminal_summary(terminalreporter, config):
    report = config.stash.get(_REPORT, None)
    if report is not None:
        terminalreporter.write_sep("-", "time from fault injection to notification")
        terminalreporter.write_line(report.table())
    burn = config.stash.get(_BURN, None)
    if burn is not None:
        terminalreporter.write_line(burn.summary())
