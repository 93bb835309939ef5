"""panel-threshold: a panel colouring the series an alert compares has no step at the alert's value.

Why: the on-call engineer opens the panel linked from the page and sees green, because the panel's
colours were set from a different (or since-edited) threshold than the alert's. Panels and alerts
should use the same Threshold object; this finds where they drifted apart. Panels considered: the
alert's own panel, and every panel with thresholds that shows exactly the series the alert compares.

Bad::

    ERRORS_T = Threshold("errors", steps=(Step(None, "green", "ok"), Step(0.05, "red", "high")))
    PANEL = TimeSeries("Error ratio", [Query(ERROR_RATIO)], thresholds=Threshold("other", steps=(
        Step(None, "green", "ok"), Step(0.10, "red", "high"))))
    Alert("HighErrorRate", above(ERROR_RATIO, ERRORS_T["high"]), "5m", "critical", ..., panel=PANEL)

Good::

    PANEL = TimeSeries("Error ratio", [Query(ERROR_RATIO)], thresholds=ERRORS_T)
"""

from __future__ import annotations

from monitoring.lint.finding import Problem
from monitoring.lint.walk import name_of, selectors
from monitoring.model.rules import format_number

NAME = "panel-threshold"
SEVERITY = "warning"
NEEDS_CATALOG = True


def check(ctx):
    panels = [p for d in ctx.stack.dashboards for p in d.panels()]
    for rule in ctx.rules:
        alert = rule.source
        condition = getattr(alert, "condition", None)
        if not hasattr(condition, "level"):  # none, a raw condition, a band, a compound, absent: no single step
            continue
        series = _single_series(str(condition.signal), grafana=False)
        value = condition.level.value
        shown = [
            p
            for p in panels
            if p is alert.panel or (series and any(_single_series(q.text, grafana=True) == series for q in p.queries))
        ]
        for panel in shown:
            if panel.thresholds is None or value in panel.thresholds.boundaries():
                continue
            steps = ", ".join(format_number(v) for v in panel.thresholds.boundaries())
            yield Problem(
                panel.origin,
                f"panel {panel.title!r} colours with threshold {panel.thresholds.name!r} "
                f"(steps at {steps}), but alert {alert.name} fires at "
                f"{condition.op} {format_number(value)} on the same series",
                f"give the panel the alert's threshold: thresholds={condition.level.threshold.name!r}'s "
                "Threshold object",
            )


def _single_series(text: str, grafana: bool) -> str | None:
    from monitoring.promql.parse import parse

    try:
        names = {name_of(s) for s in selectors(parse(text, grafana=grafana))}
    except Exception:  # noqa: BLE001 - reported by promql-syntax
        return None
    return names.pop() if len(names) == 1 else None
