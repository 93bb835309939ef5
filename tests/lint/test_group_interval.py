"""group-interval: recording groups slower than max_group_interval."""

from lintkit import RecordingRule, lint_stack, lint_text

from monitoring.lint import LintConfig

GROUP = """\
groups:
  - name: slow
    interval: {interval}
    rules:
      - {kind}: {name}
        expr: sum by (job) (up)
"""


def test_a_slow_recording_group(tmp_path):
    [finding] = lint_text(tmp_path, GROUP.format(interval="10m", kind="record", name="job:up:sum"), "group-interval")
    assert finding.where.line == 2 and "every 10m, longer than 5m" in finding.message
    assert "job:up:sum" in finding.message and finding.severity == "warning"


def test_the_limit_and_alert_only_groups(tmp_path):
    assert lint_text(tmp_path, GROUP.format(interval="5m", kind="record", name="job:up:sum"), "group-interval") == []
    config = LintConfig(max_group_interval=900)
    text = GROUP.format(interval="10m", kind="record", name="job:up:sum")
    assert lint_text(tmp_path, text, "group-interval", config=config) == []
    assert lint_text(tmp_path, GROUP.format(interval="10m", kind="alert", name="Down"), "group-interval") == []


def test_definitions():
    rule = RecordingRule("model_name:svc_requests:rate5m", "sum by (model_name) (rate(svc_requests_total[5m]))")
    [finding] = lint_stack("group-interval", rule, interval="15m")
    assert "every 15m" in finding.message
