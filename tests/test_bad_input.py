"""Each user mistake: a message naming file:line, exit code 2, and nothing written."""

import pytest
from conftest import MINIMAL_STACK, assert_refused

CASES = {
    "unknown metric in a panel query": (
        'RATE_PANEL = Stat("Request rate", [Query(RATE)], unit="reqps")',
        'RATE_PANEL = Stat("Request rate", [Query("sum(rate(svc_requestz_total[5m]))")], unit="reqps")',
        "selects 'svc_requestz_total', which is neither a metric in the catalog nor a recording rule",
        "RATE_PANEL = Stat(",
    ),
    "duplicate panel title": (
        'RATE_PANEL = Stat("Request rate"',
        'RATE_PANEL = Stat("Load"',
        "has two panels titled 'Load'",
        "LOAD_PANEL = TimeSeries(",
    ),
    "threshold steps out of order": (
        'Step(0.8, "red", "overloaded")',
        'Step(0.8, "red", "overloaded"), Step(0.5, "orange", "busy")',
        "steps out of order (0.8 then 0.5)",
        "LOAD_T = Threshold(",
    ),
    "label variable for a label no metric has": (
        "variables=(LabelVariable(MODEL, REQUESTS),)",
        'variables=(LabelVariable(Label("region"), REQUESTS),)',
        "variable 'region' is a label that no metric in the catalog has",
        "variables=(LabelVariable(",
    ),
    "counter without _total": (
        'Metric("svc_requests_total", COUNTER',
        'Metric("svc_requests", COUNTER',
        "must end in '_total'",
        "REQUESTS = Metric(",
    ),
    "python error in the definitions": (
        "LOAD_PANEL = TimeSeries(",
        "LOAD_PANEL = TimeSeriez(",
        "NameError: name 'TimeSeriez' is not defined",
        "LOAD_PANEL = TimeSeriez(",
    ),
}


def line_of(text, needle):
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("case", CASES)
def test_bad_input(case, definitions, cli, tmp_path):
    old, new, message, marker = CASES[case]
    assert old in MINIMAL_STACK
    text = MINIMAL_STACK.replace(old, new)
    folder, _ = definitions(text)
    assert_refused(cli, folder, tmp_path, message, f"definitions/svc.py:{line_of(text, marker)}")


def test_duplicate_dashboard_uid_across_stacks(definitions, cli, tmp_path):
    folder, _ = definitions()
    second = MINIMAL_STACK.replace('Stack("svc"', 'Stack("svc2"').replace("svc_", "svc2_")
    definitions(second, name="svc2.py")
    result = cli(["generate", "--definitions", folder, "--out", tmp_path / "out"], cwd=tmp_path)
    assert result.exit_code == 2
    assert "dashboard uid 'svc-overview-" in result.output and "is used twice" in result.output
    assert "definitions/svc2.py:" in result.output
    assert not (tmp_path / "out").exists()


def test_minimal_stack_is_valid(definitions, cli, tmp_path):
    folder, _ = definitions()
    result = cli(["generate", "--definitions", folder, "--out", tmp_path / "out"], cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out/prometheus/rules/svc.rules.yml").exists()
