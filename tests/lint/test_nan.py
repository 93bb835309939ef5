"""nan: a division inside sum/avg/stddev/stdvar whose divisor can be zero."""

import pytest
from lintkit import lint_text, rule_file


@pytest.mark.parametrize(
    "expr",
    [
        "sum by (job) (rate(errors_total[5m]) / rate(requests_total[5m]))",
        "avg(1 - a / b)",
        "stddev(a % b)",
        "sum(sum by (x) (a) / sum by (x) (b))",
    ],
)
def test_division_inside_an_aggregation(tmp_path, expr):
    [finding] = lint_text(tmp_path, rule_file(expr), "nan")
    assert "divisor can be 0" in finding.message and finding.severity == "warning"


@pytest.mark.parametrize(
    "expr",
    [
        "sum by (job) (rate(errors_total[5m])) / sum by (job) (rate(requests_total[5m]))",
        "sum(a / (b > 0))",
        "sum(a / clamp_min(b, 1))",
        "sum(a / clamp(b, 1, 10))",
        "sum(a / 100)",
        "max(a / b)",
        "count(a / b)",
        "sum(a / count(b))",
    ],
)
def test_safe(tmp_path, expr):
    assert lint_text(tmp_path, rule_file(expr), "nan") == []
