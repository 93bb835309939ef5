"""alert-for: for at least two evaluation intervals."""

from lintkit import Alert, lint_stack, lint_text, rule_file

from monitoring import Step, Threshold, above
from monitoring.lint import LintConfig

T = Threshold("t", steps=(Step(None, "green", "ok"), Step(80, "red", "high")))


def test_definitions_for_against_the_group_interval():
    alert = Alert("AccuracyHigh", above("svc_accuracy", T["high"]), "1m", "warning", summary="s", description="d")
    [finding] = lint_stack("alert-for", alert, interval="1m")
    assert finding.severity == "warning" and "2m" in finding.hint
    assert lint_stack("alert-for", alert, interval="30s") == []


def test_rule_files_missing_for_and_default_interval(tmp_path):
    text = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n"
    [finding] = lint_text(tmp_path, text, "alert-for")
    assert "(none)" in finding.message and "2m" in finding.hint
    assert lint_text(tmp_path, text, "alert-for", config=LintConfig(evaluation_interval=0)) == []
    assert lint_text(tmp_path, rule_file("up == 0", alert=True), "alert-for") == []
