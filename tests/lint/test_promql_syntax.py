"""promql-syntax: every expression parses; the finding names the column of the mistake."""

from lintkit import RecordingRule, lint_stack, lint_text, rule_file

from monitoring import Query, TimeSeries


def test_rule_file_syntax_error_has_file_line_and_column(tmp_path):
    findings = lint_text(tmp_path, rule_file("sum(rate(x_total[5m])) / / 2"), "promql-syntax")
    assert len(findings) == 1 and findings[0].severity == "error"
    assert str(findings[0].where).endswith("rules.yml:6")
    assert "column 26" in findings[0].message and "^" in findings[0].message


def test_unclosed_bracket_points_at_the_end(tmp_path):
    [finding] = lint_text(tmp_path, rule_file("rate(x_total[5m]"), "promql-syntax")
    assert "column 17" in finding.message


def test_definitions_rules_and_panel_queries(tmp_path):
    bad_panel = TimeSeries("Broken", [Query('rate(svc_requests_total{model_name=~"$model_name"}[$__rate_interval]')])
    findings = lint_stack(
        "promql-syntax",
        RecordingRule("model_name:svc_requests:rate5m", "sum by (model_name) (rate(svc_requests_total[5m])"),
        panels=(bad_panel,),
    )
    assert {f.message.split(": PromQL")[0] for f in findings} == {
        "recording rule 'model_name:svc_requests:rate5m'",
        "panel 'Broken'",
    }
    assert all("test_promql_syntax.py:" in str(f.where) for f in findings)


def test_promtool_test_input_series_are_checked(tmp_path):
    text = "tests:\n  - input_series:\n      - series: 'up{job=\"a\"'\n        values: '1'\n"
    [finding] = lint_text(tmp_path, text, "promql-syntax", "t.yml")
    assert str(finding.where).endswith("t.yml:3") and "test input series" in finding.message


def test_valid_expressions_give_nothing(tmp_path):
    assert lint_text(tmp_path, rule_file("sum by (job) (rate(x_total[5m])) > 1"), "promql-syntax") == []
