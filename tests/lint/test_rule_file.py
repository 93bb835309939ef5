"""rule-file: files Prometheus would refuse are errors, with the line of the offending key."""

from lintkit import lint_text, rule_file


def test_unknown_group_field_is_reported_at_its_line(tmp_path):
    findings = lint_text(
        tmp_path,
        """\
        groups:
          - name: alerts
            namespace: team-a
            rules:
              - record: job:x:rate5m
                expr: sum by (job) (rate(x_total[5m]))
        """,
        "rule-file",
    )
    assert [(str(f.where).rsplit(":", 1)[1], f.severity) for f in findings] == [("3", "error")]
    assert "unknown field 'namespace'" in findings[0].message and findings[0].hint


def test_invalid_names_missing_expr_and_alert_fields_on_records(tmp_path):
    text = """\
        groups:
          - name: g
            rules:
              - record: error-ratio
                expr: sum(x)
              - alert: NoExpr
              - record: job:x:sum
                expr: sum by (job) (x)
                for: 5m
              - record: a
                alert: b
                expr: x
          - name: g
            interval: soon
            rules: []
        """
    found = " | ".join(f.message for f in lint_text(tmp_path, text, "rule-file"))
    for expected in (
        "not a valid metric name",
        "no 'expr'",
        "'for' is only for alerts",
        "exactly one of 'record' and 'alert'",
        "group name 'g' is repeated",
        "not a duration",
    ):
        assert expected in found


def test_not_a_rule_file_bad_yaml_and_unsafe_tags_are_findings_not_crashes(tmp_path):
    assert "no top-level 'groups'" in lint_text(tmp_path, "foo: bar\n", "rule-file", "a.yml")[0].message
    assert "not valid YAML" in lint_text(tmp_path, "groups: [\n", "rule-file", "b.yml")[0].message
    unsafe = lint_text(tmp_path, 'groups: !!python/object/apply:os.system ["touch pwned"]\n', "rule-file", "c.yml")
    assert "not valid YAML" in unsafe[0].message and not (tmp_path / "pwned").exists()
    assert "empty" in lint_text(tmp_path, "", "rule-file", "d.yml")[0].message


def test_prometheus_rule_manifests_are_linted_and_test_files_skipped(tmp_path):
    manifest = """\
        apiVersion: monitoring.coreos.com/v1
        kind: PrometheusRule
        metadata: {name: x}
        spec:
          groups:
            - name: g
              oops: 1
              rules: []
        """
    assert "unknown field 'oops'" in lint_text(tmp_path, manifest, "rule-file", "crd.yaml")[0].message
    tests = "rule_files: [r.yml]\ntests:\n  - input_series: []\n"
    assert lint_text(tmp_path, tests, "rule-file", "t.yml") == []


def test_a_valid_file_gives_nothing(tmp_path):
    assert lint_text(tmp_path, rule_file("sum by (job) (rate(x_total[5m]))"), "rule-file") == []
    assert lint_text(tmp_path, rule_file("up == 0", alert=True, keep_firing_for="5m"), "rule-file") == []
