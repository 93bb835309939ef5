"""histogram-quantile: over a histogram's _bucket series, with le kept."""

from lintkit import RecordingRule, lint_stack, lint_text, rule_file

RULE = "model_name:svc_latency_seconds:p95_5m"


def test_le_aggregated_away_in_a_rule_file(tmp_path):
    expr = "histogram_quantile(0.9, sum by (job) (rate(x_seconds_bucket[5m])))"
    [finding] = lint_text(tmp_path, rule_file(expr), "histogram-quantile")
    assert "'le'" in finding.message and "le" in finding.hint


def test_le_kept_is_fine(tmp_path):
    expr = "histogram_quantile(0.9, sum by (job, le) (rate(x_seconds_bucket[5m])))"
    assert lint_text(tmp_path, rule_file(expr), "histogram-quantile") == []
    assert (
        lint_text(tmp_path, rule_file("histogram_quantile(0.9, rate(x_seconds_bucket[5m]))"), "histogram-quantile")
        == []
    )


def test_not_a_bucket_series_with_the_catalog():
    rule = RecordingRule(
        RULE, "histogram_quantile(0.95, sum by (model_name, le) (rate(svc_latency_seconds_count[5m])))"
    )
    findings = lint_stack("histogram-quantile", rule)  # also: no le (a _count series has none)
    assert any("svc_latency_seconds_count" in f.message and "_bucket" in f.hint for f in findings)
    gauge = RecordingRule(RULE, "histogram_quantile(0.95, svc_accuracy)")
    found = [f.message for f in lint_stack("histogram-quantile", gauge)]
    assert len(found) == 2 and any("which is a gauge" in m for m in found) and any("'le'" in m for m in found)


def test_bucket_series_with_the_catalog_is_fine():
    rule = RecordingRule(
        RULE, "histogram_quantile(0.95, sum by (model_name, le) (rate(svc_latency_seconds_bucket[5m])))"
    )
    assert lint_stack("histogram-quantile", rule) == []
