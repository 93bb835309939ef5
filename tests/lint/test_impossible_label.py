"""impossible-label: matchers, by/without, on/ignoring and group_left on labels the series cannot have."""

import pytest
from lintkit import RecordingRule, lint_stack, lint_text, rule_file

RULE = "model_name:svc_requests:rate5m"


@pytest.mark.parametrize(
    "expr, label",
    [
        ('sum by (model_name) (rate(svc_requests_total{model="a"}[5m]))', "model"),
        ("sum by (model) (rate(svc_requests_total[5m]))", "model"),
        ("sum without (modle) (rate(svc_requests_total[5m]))", "modle"),
        (
            "sum by (model_name) (rate(svc_requests_total[5m])) / on (region) sum by (model_name) (svc_accuracy)",
            "region",
        ),
        (
            "sum by (model_name) (rate(svc_requests_total[5m])) * on (model_name) group_left (team) "
            "max by (model_name) (svc_accuracy)",
            "team",
        ),
    ],
)
def test_labels_the_catalog_says_cannot_exist(expr, label):
    findings = lint_stack("impossible-label", RecordingRule(RULE, expr))
    assert len(findings) == 1 and f"{label}" in findings[0].message and findings[0].hint


def test_declared_target_and_le_labels_are_fine():
    expr = (
        'sum by (model_name, job, instance) (rate(svc_requests_total{status="error", job="svc"}[5m])) '
        "+ on (model_name, job, instance) group_left sum by (model_name, job, instance) (svc_accuracy)"
    )
    assert lint_stack("impossible-label", RecordingRule(RULE, expr)) == []
    bucket = "sum by (model_name, le) (rate(svc_latency_seconds_bucket[5m]))"
    rule = RecordingRule("model_name_le:svc_latency_seconds_bucket:rate5m", bucket)
    assert lint_stack("impossible-label", rule) == []


def test_absent_label_matchers_are_harmless():
    expr = 'sum by (model_name) (rate(svc_requests_total{region="", zone!="x"}[5m]))'
    assert lint_stack("impossible-label", RecordingRule(RULE, expr)) == []


def test_rule_files_know_labels_removed_by_aggregation(tmp_path):
    [finding] = lint_text(tmp_path, rule_file("sum by (job) (sum by (instance) (up))"), "impossible-label")
    assert "job" in finding.message and "instance" in finding.hint
    assert lint_text(tmp_path, rule_file('sum by (job) (up{anything="x"})'), "impossible-label") == []
