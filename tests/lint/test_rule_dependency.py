"""rule-dependency: recorded series read but not recorded, recorded later in the group, or by a slower group."""

from lintkit import RecordingRule, lint_files, lint_stack, lint_text


def _rules(*rules, interval="1m", name="g"):
    body = "".join(f"      - {kind}: {rule}\n        expr: {expr}\n" for kind, rule, expr in rules)
    return f"  - name: {name}\n    interval: {interval}\n    rules:\n{body}"


def test_a_recorded_series_nobody_records(tmp_path):
    text = "groups:\n" + _rules(("alert", "Errors", "job:errors:rate5m > 1"))
    [finding] = lint_text(tmp_path, text, "rule-dependency")
    assert "reads 'job:errors:rate5m', which no rule in the files linted records" in finding.message
    raw = "groups:\n" + _rules(("alert", "Errors", "rate(errors_total[5m]) > 1"))
    assert lint_text(tmp_path, raw, "rule-dependency") == []  # no colon: a scraped metric


def test_recorded_in_another_file_linted_together(tmp_path):
    (tmp_path / "rules.yml").write_text(
        "groups:\n" + _rules(("record", "job:errors:rate5m", "sum by (job) (rate(errors_total[5m]))"))
    )
    (tmp_path / "alerts.yml").write_text("groups:\n" + _rules(("alert", "Errors", "job:errors:rate5m > 1"), name="a"))
    assert lint_files([tmp_path / "rules.yml", tmp_path / "alerts.yml"], only=("rule-dependency",)) == []


def test_recorded_later_in_the_same_group(tmp_path):
    text = "groups:\n" + _rules(
        ("record", "job:errors:ratio5m", "job:errors:rate5m / job:requests:rate5m"),
        ("record", "job:errors:rate5m", "sum by (job) (rate(errors_total[5m]))"),
        ("record", "job:requests:rate5m", "sum by (job) (rate(requests_total[5m]))"),
    )
    findings = lint_text(tmp_path, text, "rule-dependency")
    assert len(findings) == 2 and all("recorded later in the same group" in f.message for f in findings)
    assert all(f.where.line == 5 for f in findings)


def test_recorded_by_a_group_with_another_interval(tmp_path):
    text = (
        "groups:\n"
        + _rules(("record", "job:errors:rate5m", "sum by (job) (rate(errors_total[5m]))"), interval="5m", name="base")
        + _rules(("record", "job:errors:max1h", "max_over_time(job:errors:rate5m[1h])"), interval="1m", name="agg")
        + _rules(("alert", "Errors", "job:errors:rate5m > 1"), interval="10s", name="alerts")
    )
    [finding] = lint_text(tmp_path, text, "rule-dependency")  # alerts are not checked for lag
    assert "recorded by group 'base' every 5m while this group runs every 1m" in finding.message
    same = text.replace("interval: 1m", "interval: 5m")
    assert lint_text(tmp_path, same, "rule-dependency") == []


def test_definitions_order_within_a_group():
    reader = RecordingRule("model_name:svc_requests:rate5m_x2", "2 * model_name:svc_requests:rate5m")
    writer = RecordingRule("model_name:svc_requests:rate5m", "sum by (model_name) (rate(svc_requests_total[5m]))")
    [finding] = lint_stack("rule-dependency", reader, writer)
    assert "recorded later in the same group" in finding.message
    assert lint_stack("rule-dependency", writer, reader) == []
