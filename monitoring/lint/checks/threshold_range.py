"""threshold-range: a threshold outside the range the metric declares (Metric(min=..., max=...)).

Why: a threshold of 0.8 on an accuracy declared 0-100 (percent, not ratio) means an alert that
always fires or can never fire, and a panel that is always one colour. It is the unit mix-up a
reviewer reads past. Applies to alert conditions and to panel threshold steps, when the value
shown is the metric itself or a range-preserving aggregate of it (avg, min, max, *_over_time).

Bad::

    ACCURACY = Metric("ab_test_model_accuracy", GAUGE, "...", unit="percent", min=0, max=100)
    Alert("AccuracyLow", below(ACCURACY_15M, Threshold("acc", steps=(Step(None, "red", "bad"),
          Step(0.8, "green", "ok")))["ok"]), ...)                                     # 0.8 of 100

Good::

    ... Step(80, "green", "ok") ...
"""
from __future__ import annotations

import promql_parser as pp

from monitoring.lint.finding import Problem
from monitoring.lint.walk import name_of, unwrap
from monitoring.model import Metric, RecordingRule
from monitoring.model.rules import format_number

NAME = "threshold-range"
SEVERITY = "error"
NEEDS_CATALOG = True

_SAME_RANGE_AGGREGATIONS = {"avg", "min", "max", "quantile", "topk", "bottomk", "limitk"}
_SAME_RANGE_FUNCTIONS = {"avg_over_time", "min_over_time", "max_over_time", "quantile_over_time", "last_over_time",
                         "sort", "sort_desc", "label_replace", "label_join"}


def check(ctx):
    catalog = ctx.catalog()
    for rule in ctx.rules:
        condition = getattr(rule.source, "condition", None)
        if condition is None:
            continue
        metric = bounded_metric(_parse(str(condition.signal)), catalog)
        if metric is None:
            continue
        verdict = _verdict(condition.op, condition.level.value, metric)
        if verdict:
            yield Problem(rule.where, f"alert {rule.name}: {condition.op} {format_number(condition.level.value)} on "
                                      f"{metric.name}, which only takes values {_range(metric)}: {verdict}",
                          f"threshold {condition.level.threshold.name!r} is in the wrong unit or scale "
                          f"(the metric's unit is {metric.unit or 'unspecified'})")
    for dashboard in ctx.stack.dashboards:
        for panel in dashboard.panels():
            if panel.thresholds is None:
                continue
            for query in panel.queries:
                metric = bounded_metric(_parse(query.text, grafana=True), catalog)
                if metric is None:
                    continue
                for step in panel.thresholds.steps[1:]:
                    if _outside(step.value, metric):
                        yield Problem(panel.origin, f"panel {panel.title!r}: threshold {panel.thresholds.name!r} step "
                                                    f"{step.meaning!r} at {format_number(step.value)} is outside the "
                                                    f"range of {metric.name} ({_range(metric)})",
                                      "the threshold's unit or scale does not match the metric's "
                                      f"({metric.unit or 'unspecified'})")


def bounded_metric(node, catalog, depth: int = 0) -> Metric | None:
    """The metric whose declared range bounds this expression's values, if any."""
    node = unwrap(node)
    if node is None or depth > 20:
        return None
    if isinstance(node, pp.MatrixSelector):
        node = node.vector_selector
    if isinstance(node, pp.VectorSelector):
        entry = catalog.get(name_of(node))
        if isinstance(entry, Metric) and entry.name == name_of(node) and (entry.min is not None or entry.max is not None):
            return entry
        if isinstance(entry, RecordingRule):
            return bounded_metric(_parse(entry.text), catalog, depth + 1)
        return None
    if isinstance(node, pp.AggregateExpr) and str(node.op) in _SAME_RANGE_AGGREGATIONS:
        return bounded_metric(node.expr, catalog, depth + 1)
    if isinstance(node, pp.Call) and node.func.name in _SAME_RANGE_FUNCTIONS and node.args:
        arg = node.args[1] if node.func.name == "quantile_over_time" and len(node.args) > 1 else node.args[0]
        return bounded_metric(arg, catalog, depth + 1)
    return None


def _verdict(op: str, value: float, metric: Metric) -> str:
    low = metric.min if metric.min is not None else float("-inf")
    high = metric.max if metric.max is not None else float("inf")
    never = {"<": value <= low, "<=": value < low, ">": value >= high, ">=": value > high}[op]
    always = {"<": value > high, "<=": value >= high, ">": value < low, ">=": value <= low}[op]
    return "it can never fire" if never else "it always fires" if always else ""


def _outside(value: float, metric: Metric) -> bool:
    return (metric.min is not None and value < metric.min) or (metric.max is not None and value > metric.max)


def _range(metric: Metric) -> str:
    low = format_number(metric.min) if metric.min is not None else "-inf"
    high = format_number(metric.max) if metric.max is not None else "+inf"
    return f"{low} to {high}"


def _parse(text: str, grafana: bool = False):
    from monitoring.promql import parse

    try:
        return parse(text, grafana=grafana)
    except Exception:  # noqa: BLE001 - reported by promql-syntax
        return None
