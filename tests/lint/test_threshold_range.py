"""threshold-range: thresholds outside the metric's declared min/max."""

from lintkit import Alert, RecordingRule, lint_stack

from monitoring import Query, Stat, Step, Threshold, above, below

AVG = RecordingRule("model_name:svc_accuracy:avg15m", "avg by (model_name) (avg_over_time(svc_accuracy[15m]))")
RATIO_T = Threshold(
    "accuracy as a ratio", steps=(Step(None, "red", "bad"), Step(0.8, "green", "ok"), Step(120, "blue", "impossible"))
)
PERCENT_T = Threshold("accuracy", steps=(Step(None, "red", "bad"), Step(80, "green", "ok")))


def _alert(condition):
    return Alert("AccuracyOff", condition, "5m", "warning", summary="s", description="d")


def test_alert_that_always_fires_or_never_fires():
    [never] = lint_stack("threshold-range", AVG, _alert(above(AVG, RATIO_T["impossible"])))
    assert "can never fire" in never.message and "lie in 0 to 100" in never.message
    [always] = lint_stack("threshold-range", AVG, _alert(below(AVG, RATIO_T["impossible"])))
    assert "always fires" in always.message


def test_alert_within_range_is_fine_even_if_suspicious():
    assert lint_stack("threshold-range", AVG, _alert(below(AVG, PERCENT_T["ok"]))) == []
    assert lint_stack("threshold-range", AVG, _alert(above("sum(svc_accuracy)", RATIO_T["impossible"]))) == []


def test_panel_steps_outside_the_range():
    panel = Stat("Accuracy", [Query(f'{AVG}{{model_name=~"$model_name"}}')], thresholds=RATIO_T)
    [finding] = lint_stack("threshold-range", AVG, panels=(panel,))
    assert "'impossible' at 120" in finding.message
    fine = Stat("Accuracy", [Query(AVG)], thresholds=PERCENT_T)
    assert lint_stack("threshold-range", AVG, panels=(fine,)) == []


def test_histogram_quantile_beyond_the_largest_bucket():
    p95 = RecordingRule(
        "model_name:svc_latency_seconds:p95_5m",
        "histogram_quantile(0.95, sum by (model_name, le) (rate(svc_latency_seconds_bucket[5m])))",
    )
    millis = Threshold("latency in ms", steps=(Step(None, "green", "fast"), Step(250, "red", "slow")))
    [finding] = lint_stack("threshold-range", p95, _alert(above(p95, millis["slow"])))
    assert "can never fire" in finding.message and "largest finite bucket (0.5)" in finding.hint
    seconds = Threshold("latency", steps=(Step(None, "green", "fast"), Step(0.25, "red", "slow")))
    assert lint_stack("threshold-range", p95, _alert(above(p95, seconds["slow"]))) == []
