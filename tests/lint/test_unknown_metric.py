"""unknown-metric: a selector outside the catalog and our recording rules (definitions only)."""

from lintkit import RecordingRule, lint_stack, lint_text, rule_file

from monitoring import Query, Stat


def test_typo_in_metric_name_is_reported_with_a_suggestion():
    rule = RecordingRule("model_name:svc_requests:rate5m", "sum by (model_name) (rate(svc_request_total[5m]))")
    [finding] = lint_stack("unknown-metric", rule)
    assert "'svc_request_total'" in finding.message and "svc_requests_total" in finding.hint
    assert str(finding.where).startswith("tests/lint/test_unknown_metric.py:")


def test_panels_may_use_recorded_series_and_metric_series():
    rule = RecordingRule("model_name:svc_requests:rate5m", "sum by (model_name) (rate(svc_requests_total[5m]))")
    panel = Stat("Rates", [Query(rule), Query("sum(rate(svc_latency_seconds_bucket[5m]))"), Query("nope_total")])
    findings = lint_stack("unknown-metric", rule, panels=(panel,))
    assert [f.message.split(" selects ")[1].split(",")[0] for f in findings] == ["'nope_total'"]


def test_rule_files_have_no_catalog_so_the_check_does_not_run(tmp_path):
    assert lint_text(tmp_path, rule_file("rate(anything_total[5m])"), "unknown-metric") == []
