"""comparison: alerts with no condition, or a bool comparison."""

import pytest
from lintkit import lint_text, rule_file


@pytest.mark.parametrize(
    "expr",
    ["sum by (job) (rate(http_errors_total[5m]))", "up", "rate(a_total[5m]) or up == 0", "a and b"],
)
def test_no_condition(tmp_path, expr):
    [finding] = lint_text(tmp_path, rule_file(expr, alert=True), "comparison")
    assert "no condition" in finding.message and finding.severity == "warning"


def test_bool_always_fires(tmp_path):
    [finding] = lint_text(tmp_path, rule_file("up == bool 0", alert=True), "comparison")
    assert "bool" in finding.message and "always fires" in finding.message


@pytest.mark.parametrize(
    "expr",
    [
        "up == 0",
        "sum by (job) (rate(http_errors_total[5m])) > 0.1",
        "absent(up{job='api'})",
        "rate(a_total[5m]) unless b",
        "rate(a_total[5m]) and on () hour() > 8",
        "count(up == 0) by (job)",
        "label_replace(up == 0, 'x', '$1', 'job', '(.*)')",
        "(up == 0) * 100",
        "vector(1)",  # a dead man's switch reads no series: always firing on purpose
    ],
)
def test_conditions(tmp_path, expr):
    assert lint_text(tmp_path, rule_file(expr, alert=True), "comparison") == []


def test_recording_rules_need_no_condition(tmp_path):
    assert lint_text(tmp_path, rule_file("sum(up)"), "comparison") == []
