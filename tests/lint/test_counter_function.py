"""counter-function: rate/irate/increase only over counters."""

import pytest
from lintkit import RecordingRule, lint_stack, lint_text

RULE = "model_name:svc_x:rate5m"


@pytest.mark.parametrize(
    "series, kind",
    [
        ("svc_accuracy", "gauge"),
        ("svc_size_bytes", "summary"),
        ("model_name:svc_requests:rate5m", "recorded"),
    ],
)
def test_rate_over_non_counters(series, kind):
    recorded = RecordingRule("model_name:svc_requests:rate5m", "sum by (model_name) (rate(svc_requests_total[5m]))")
    rule = RecordingRule(RULE, f"sum by (model_name) (irate({series}[5m]))")
    [finding] = lint_stack("counter-function", recorded, rule)
    assert kind in finding.message and "irate()" in finding.message and "counter" in finding.hint


@pytest.mark.parametrize(
    "series", ["svc_requests_total", "svc_latency_seconds_bucket", "svc_latency_seconds_count", "svc_size_bytes_sum"]
)
def test_counters_and_histogram_series_are_fine(series):
    assert lint_stack("counter-function", RecordingRule(RULE, f"sum by (model_name) (increase({series}[5m]))")) == []


def test_rule_files_rate_over_a_recorded_rate(tmp_path):
    text = """\
        groups:
          - name: g
            rules:
              - record: job:x:rate5m
                expr: sum by (job) (rate(x_total[5m]))
              - record: job:x:rate_of_rate5m
                expr: rate(job:x:rate5m[5m])
              - record: job:x:sum
                expr: sum by (job) (x_total)
              - record: job:x:rate_of_sum5m
                expr: rate(job:x:sum[5m])
        """
    [finding] = lint_text(tmp_path, text, "counter-function")
    assert "job:x:rate5m" in finding.message and str(finding.where).endswith(":7")
