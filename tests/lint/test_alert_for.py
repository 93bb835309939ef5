"""alert-for: an alert that fires on one evaluation, or whose for is shorter than its group's interval."""

from lintkit import Alert, lint_stack, lint_text, rule_file

from monitoring import Step, Threshold, above
from monitoring.lint import LintConfig

T = Threshold("t", steps=(Step(None, "green", "ok"), Step(80, "red", "high")))


def _alert(for_: str) -> Alert:
    return Alert("AccuracyHigh", above("svc_accuracy", T["high"]), for_, "warning", summary="s", description="d")


def test_for_shorter_than_the_interval_acts_as_the_interval():
    [finding] = lint_stack("alert-for", _alert("30s"), interval="1m")
    assert finding.severity == "warning"
    assert "acts as for: 1m" in finding.message and "fires on a single" not in finding.message
    assert "for: 1m" in finding.hint


def test_any_for_of_at_least_one_interval_needs_two_evaluations_and_is_fine():
    assert lint_stack("alert-for", _alert("1m"), interval="1m") == []  # pending at t, firing at t+1m
    assert lint_stack("alert-for", _alert("1m"), interval="30s") == []


def test_no_for_and_for_zero_fire_on_one_evaluation(tmp_path):
    text = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n"
    [finding] = lint_text(tmp_path, text, "alert-for")
    assert "no for: it fires on the first evaluation" in finding.message and "2m" in finding.hint
    [zero] = lint_text(tmp_path, rule_file("up == 0", alert=True, **{"for": "0m"}), "alert-for")
    assert "for: 0m is the default and can be removed" in zero.message
    assert lint_text(tmp_path, rule_file("up == 0", alert=True), "alert-for") == []


def test_a_group_without_interval_is_not_judged_on_the_assumed_one(tmp_path):
    text = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 30s\n"
    assert lint_text(tmp_path, text, "alert-for") == []  # the real interval is in prometheus.yml
    assert lint_text(tmp_path, text, "alert-for", config=LintConfig(evaluation_interval=15)) == []
    explicit = text.replace("  - name: g\n", "  - name: g\n    interval: 1m\n")
    [finding] = lint_text(tmp_path, explicit, "alert-for")
    assert "acts as for: 1m" in finding.message


def test_a_dead_mans_switch_is_meant_to_fire_at_once(tmp_path):
    text = "groups:\n  - name: g\n    interval: 1m\n    rules:\n      - alert: Watchdog\n        expr: vector(1)\n"
    assert lint_text(tmp_path, text, "alert-for") == []
