"""fragile: topk/bottomk in alerts; arithmetic between aggregations of different metrics without for."""

import pytest
from lintkit import lint_text, rule_file

RATIO = 'sum(rate(errors_total{job="a"}[5m])) / sum(rate(requests_total{job="b"}[5m])) > 0.1'


def test_topk_in_an_alert_flaps(tmp_path):
    [finding] = lint_text(tmp_path, rule_file("topk(3, rate(http_requests_total[5m])) > 100", alert=True), "fragile")
    assert "topk() may select different series" in finding.message and finding.severity == "warning"


@pytest.mark.parametrize(
    "expr",
    [
        "rate(http_requests_total[5m]) > 100",
        "sum(topk(3, rate(http_requests_total[5m]))) > 100",  # aggregated again: one series
        "topk by (namespace) (1, max without (instance) (kube_resourcequota)) > 0.9",  # de-duplication
    ],
)
def test_no_ranking_reaches_the_alert(tmp_path, expr):
    assert lint_text(tmp_path, rule_file(expr, alert=True), "fragile") == []


def test_topk_in_a_recording_rule_is_not_an_alert(tmp_path):
    assert lint_text(tmp_path, rule_file("topk(3, rate(http_requests_total[5m]))"), "fragile") == []


def test_ratio_of_aggregations_without_for(tmp_path):
    [finding] = lint_text(tmp_path, rule_file(RATIO, alert=True, **{"for": "0s"}), "fragile")
    assert "'/' between two aggregations with no for" in finding.message and "for:" in finding.hint
    assert lint_text(tmp_path, rule_file(RATIO, alert=True), "fragile") == []  # for: 5m


@pytest.mark.parametrize(
    "expr",
    [
        'sum(rate(x_total{code="5xx"}[5m])) / sum(rate(x_total[5m])) > 0.1',  # one metric: same targets
        "sum(a) / count(b)",  # no condition: comparison's business
        "sum(a) * on () group_left (team) max(team_info) > 1",  # a join adding labels
        "sum(rate(a_total[5m])) > 1 and sum(b) - sum(c) > 0",  # right side of and only filters
    ],
)
def test_not_fragile(tmp_path, expr):
    assert lint_text(tmp_path, rule_file(expr, alert=True, **{"for": "0s"}), "fragile") == []
