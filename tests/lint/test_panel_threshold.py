"""panel-threshold: panels colouring an alert's series must have a step at the alert's value."""

from lintkit import Alert, RecordingRule, lint_stack

from monitoring import Query, Stat, Step, Table, Threshold, TimeSeries, below

AVG = RecordingRule("model_name:svc_accuracy:avg15m", "avg by (model_name) (avg_over_time(svc_accuracy[15m]))")
ALERT_T = Threshold("accuracy", steps=(Step(None, "red", "bad"), Step(80, "green", "ok")))
OTHER_T = Threshold("old accuracy", steps=(Step(None, "red", "bad"), Step(90, "green", "ok")))


def _alert(panel=None):
    return Alert("AccuracyLow", below(AVG, ALERT_T["ok"]), "5m", "warning", summary="s", description="d", panel=panel)


def test_panel_showing_the_series_with_other_colours():
    stat = Stat("Accuracy", [Query(f'{AVG}{{model_name=~"$model_name"}}')], thresholds=OTHER_T)
    [finding] = lint_stack("panel-threshold", AVG, _alert(), panels=(stat,))
    assert "AccuracyLow" in finding.message and "90" in finding.message
    assert str(finding.where).startswith("tests/lint/test_panel_threshold.py:")


def test_the_alerts_own_panel_is_checked_even_for_another_series():
    linked = TimeSeries("Raw accuracy", [Query("svc_accuracy")], thresholds=OTHER_T)
    assert len(lint_stack("panel-threshold", AVG, _alert(linked), panels=(linked,))) == 1


def test_same_threshold_or_no_colours_is_fine():
    same = Stat("Accuracy", [Query(AVG)], thresholds=ALERT_T)
    plain = Table("Summary", [Query(AVG)])
    assert lint_stack("panel-threshold", AVG, _alert(same), panels=(same, plain)) == []
