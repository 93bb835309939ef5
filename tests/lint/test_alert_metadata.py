"""alert-metadata: severity (allowed by the policies), summary and runbook_url on every alert."""

from lintkit import Alert, lint_stack, lint_text, rule_file

from monitoring import Step, Threshold, above
from monitoring.lint import LintConfig

T = Threshold("t", steps=(Step(None, "green", "ok"), Step(80, "red", "high")))


def _alert(severity):
    return Alert("AccuracyHigh", above("svc_accuracy", T["high"]), "5m", severity, summary="s", description="d")


def test_definitions_severity_and_runbook():
    assert "'page' is not allowed" in lint_stack("alert-metadata", _alert("page"))[0].message
    assert "no severity" in lint_stack("alert-metadata", _alert(""))[0].message
    [finding] = lint_stack("alert-metadata", _alert("critical"), runbook_base_url="")
    assert "runbook_url" in finding.message and "runbook_base_url" in finding.hint
    assert lint_stack("alert-metadata", _alert("critical")) == []


def test_allowed_severities_come_from_the_config():
    config = LintConfig(severities=("page", "ticket"))
    assert lint_stack("alert-metadata", _alert("page"), config=config) == []
    assert "one of: page, ticket" in lint_stack("alert-metadata", _alert("critical"), config=config)[0].hint


def test_rule_files(tmp_path):
    bare = rule_file("up == 0", alert=True, labels={}, annotations={})
    assert sorted(f.message.split(" has no ")[1] for f in lint_text(tmp_path, bare, "alert-metadata")) == [
        "runbook_url annotation",
        "severity label",
        "summary annotation",
    ]
    assert lint_text(tmp_path, rule_file("up == 0", alert=True), "alert-metadata") == []
