"""recording-rule-name: level:metric:operations, with a level naming labels the rule keeps."""

import pytest
from lintkit import lint_text, rule_file


@pytest.mark.parametrize("name", ["http_errors_rate", "job:http_errors", "instance:node_cpu:rate:sum"])
def test_names_that_break_the_convention(tmp_path, name):
    [finding] = lint_text(tmp_path, rule_file("sum(rate(x_total[5m]))", record=name), "recording-rule-name")
    assert "level:metric:operations" in finding.message and finding.severity == "warning"


def test_level_naming_labels_the_rule_drops(tmp_path):
    [finding] = lint_text(
        tmp_path, rule_file("sum by (instance) (rate(x_total[5m]))", record="job:x:rate5m"), "recording-rule-name"
    )
    assert "'job'" in finding.message and finding.hint == "name it instance:x:rate5m"


@pytest.mark.parametrize(
    "name, expr",
    [
        ("job_model_name:x:rate5m", "sum by (job, model_name) (rate(x_total[5m]))"),
        (":x:rate5m", "sum(rate(x_total[5m]))"),
        ("instance:x:rate5m", "rate(x_total[5m])"),
    ],
)
def test_good_names(tmp_path, name, expr):
    assert lint_text(tmp_path, rule_file(expr, record=name), "recording-rule-name") == []
