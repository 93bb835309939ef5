"""rule-file: files Prometheus would refuse are errors, with the line of the offending key."""

import pytest
from lintkit import lint_text, rule_file

from monitoring.errors import DefinitionError
from monitoring.lint import LintConfig
from monitoring.lint.config import load_config


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


def test_utf8_names_are_valid_for_prometheus_3_only(tmp_path):
    text = rule_file("sum(x)", record="http.requests:rate5m", labels={"service.name": "api"})
    legacy = lint_text(tmp_path, text, "rule-file")
    assert sorted(f.message.split(": ", 1)[1] for f in legacy) == [
        "'service.name' is not a valid label name",
        "not a valid metric name",
    ]
    assert "prometheus_version: 3" in legacy[0].hint
    assert lint_text(tmp_path, text, "rule-file", config=LintConfig(prometheus_version="3.0")) == []
    empty = rule_file("sum(x)", record="")
    assert (
        "not a valid metric name"
        in lint_text(tmp_path, empty, "rule-file", config=LintConfig(prometheus_version="3"))[0].message
    )


def test_prometheus_version_in_the_policy(tmp_path):
    policy = tmp_path / "lint.yaml"
    policy.write_text("severities: [critical]\nchecks: {}\nprometheus_version: 3\nmax_group_interval: 10m\n")
    config = load_config(policy)
    assert config.utf8_names and config.max_group_interval == 600
    policy.write_text("severities: [critical]\nchecks: {}\nprometheus_version: '4.0'\n")
    with pytest.raises(DefinitionError, match="prometheus_version"):
        load_config(policy)
