"""regexp: redundant anchors, plain strings, and regexes matching everything or nothing."""

import pytest
from lintkit import lint_text, rule_file

from monitoring.lint.checks.regexp import regex_problem


@pytest.mark.parametrize(
    "matcher, expected, hint",
    [
        ('job=~"^api$"', "is a plain string", 'write job="api"'),
        ('job=~"^(api|web)$"', "redundant anchors", 'write job=~"(api|web)"'),
        ('job=~"api"', "is a plain string", 'write job="api"'),
        ('job!~"api"', "is a plain string", 'write job!="api"'),
        ('job=~"api\\\\.v1"', "is a plain string", 'write job="api.v1"'),
        ('job=~".*"', "filters nothing", "remove the matcher"),
        ('job!~".*"', "matches no series at all", 'job=""'),
    ],
)
def test_findings(tmp_path, matcher, expected, hint):
    [finding] = lint_text(tmp_path, rule_file(f"sum(rate(x_total{{{matcher}}}[5m]))"), "regexp")
    assert expected in finding.message and hint in finding.hint and finding.severity == "warning"


@pytest.mark.parametrize("value", ["api|web", "5..", "api.*", "(?i)api", r"\d+", "[ab]", ".+"])
def test_real_patterns_are_fine(value):
    assert regex_problem("job", "=~", value) is None


def test_an_escaped_dollar_is_a_literal_not_an_anchor():
    assert "plain string" in regex_problem("job", "=~", r"a\$")[0]


def test_grafana_variables_are_left_alone():
    from lintkit import Alert, lint_stack  # noqa: F401 - the stack helper builds a dashboard below

    from monitoring import Query, TimeSeries

    panel = TimeSeries("Requests", [Query('sum(rate(svc_requests_total{model_name=~"$model"}[5m]))')])
    assert lint_stack("regexp", panels=[panel]) == []
    bad = TimeSeries("Requests", [Query('sum(rate(svc_requests_total{model_name=~"^a$"}[5m]))')])
    [finding] = lint_stack("regexp", panels=[bad])
    assert "panel 'Requests'" in finding.message
