"""range-interval: at least four samples in every range."""

from lintkit import RecordingRule, lint_stack, lint_text, rule_file

from monitoring.lint import LintConfig


def test_rule_file_with_the_configured_scrape_interval(tmp_path):
    [finding] = lint_text(tmp_path, rule_file("rate(x_total[30s])"), "range-interval")
    assert "[30s]" in finding.message and "1m" in finding.hint
    assert lint_text(tmp_path, rule_file("rate(x_total[1m])"), "range-interval") == []
    slow = LintConfig(scrape_interval=60)
    assert lint_text(tmp_path, rule_file("rate(x_total[2m])"), "range-interval", config=slow)


def test_recorded_series_use_their_group_interval():
    rate = RecordingRule("model_name:svc_requests:rate5m", "sum by (model_name) (rate(svc_requests_total[5m]))")
    smooth = RecordingRule("model_name:svc_requests:rate5m_avg1m", f"avg_over_time({rate}[1m])")
    [finding] = lint_stack("range-interval", rate, smooth, interval="30s")
    assert "one every 30s" in finding.message
    assert lint_stack("range-interval", rate, smooth, interval="15s") == []


def test_subquery_steps(tmp_path):
    [finding] = lint_text(tmp_path, rule_file("max_over_time(rate(x_total[5m])[10m:5m])"), "range-interval")
    assert "subquery" in finding.message
