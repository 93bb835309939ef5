"""vector-matching: sides that can never match, and a ratio of a series to itself."""

import pytest
from lintkit import RecordingRule, lint_stack, lint_text, rule_file

RULE = "model_name:svc_requests:error_ratio5m"


def test_error_ratio_that_is_always_one(tmp_path):
    expr = 'rate(http_requests_total{code=~"5.."}[5m]) / rate(http_requests_total[5m])'
    [finding] = lint_text(tmp_path, rule_file(expr), "vector-matching")
    assert "always 1" in finding.message and "aggregate code away" in finding.hint


def test_aggregated_error_ratio_is_fine(tmp_path):
    expr = 'sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total[5m]))'
    assert lint_text(tmp_path, rule_file(expr), "vector-matching") == []
    ignoring = (
        'sum by (job, code) (rate(http_requests_total{code=~"5.."}[5m])) / ignoring (code) group_left '
        "sum by (job) (rate(http_requests_total[5m]))"
    )
    assert lint_text(tmp_path, rule_file(ignoring), "vector-matching") == []


def test_conflicting_pinned_values_never_match(tmp_path):
    expr = 'rate(cache_total{status="hit"}[5m]) + rate(cache_total{status="miss"}[5m])'
    [finding] = lint_text(tmp_path, rule_file(expr), "vector-matching")
    assert "never match" in finding.message and "status" in finding.message


@pytest.mark.parametrize(
    "expr",
    [
        "sum by (model_name) (rate(svc_requests_total[5m])) / sum by (model_name, status) (rate(svc_requests_total[5m]))",  # noqa: E501
        "sum by (model_name) (rate(svc_requests_total[5m])) / on (status) sum by (status) (rate(svc_requests_total[5m]))",  # noqa: E501
    ],
)
def test_label_sets_that_cannot_match_with_the_catalog(expr):
    [finding] = lint_stack("vector-matching", RecordingRule(RULE, expr))
    assert "never match" in finding.message and "always empty" in finding.message


def test_matching_label_sets_with_the_catalog_are_fine():
    expr = (
        "sum by (model_name) (rate(svc_requests_total[5m])) / ignoring (status) group_left "
        "sum by (model_name, status) (rate(svc_requests_total[5m]))"
    )
    assert lint_stack("vector-matching", RecordingRule(RULE, expr)) == []


def test_unless_that_never_matches_returns_its_left_side(tmp_path):
    expr = 'rate(cache_total{status="hit"}[5m]) unless rate(cache_total{status="miss"}[5m])'
    [finding] = lint_text(tmp_path, rule_file(expr), "vector-matching")
    assert "never removes anything" in finding.message and "whole left side" in finding.message
    assert "always empty" not in finding.message
    expr = 'rate(cache_total{status="hit"}[5m]) and rate(cache_total{status="miss"}[5m])'
    assert "always empty" in lint_text(tmp_path, rule_file(expr), "vector-matching")[0].message
