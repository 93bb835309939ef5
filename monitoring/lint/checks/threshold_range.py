"""threshold-range: a threshold outside the range the metric declares (Metric(min=..., max=...)).

Why: a threshold of 0.8 on an accuracy declared 0-100 (percent, not ratio) means an alert that
always fires or can never fire, and a panel that is always one colour. It is the unit mix-up a
reviewer reads past. Applies to alert conditions and to panel threshold steps, when the value
shown is the metric itself or a range-preserving aggregate of it (avg, min, max, *_over_time).
A histogram's quantile is bounded the same way by its buckets: histogram_quantile never returns
more than the largest finite bucket, so "p95 > 2s" on buckets ending at 1s can never fire.

Bad::

    ACCURACY = Metric("ab_test_model_accuracy", GAUGE, "...", unit="percent", min=0, max=100)
    Alert("AccuracyLow", below(ACCURACY_15M, Threshold("acc", steps=(Step(None, "red", "bad"),
          Step(0.8, "green", "ok")))["ok"]), ...)                                     # 0.8 of 100

Good::

    ... Step(80, "green", "ok") ...
"""

from __future__ import annotations

from dataclasses import dataclass

import promql_parser as pp

from monitoring.lint.finding import Problem
from monitoring.lint.walk import name_of, selectors, unwrap
from monitoring.model import Metric, MetricType, RecordingRule
from monitoring.model.rules import format_number

NAME = "threshold-range"
SEVERITY = "error"
NEEDS_CATALOG = True

_SAME_RANGE_AGGREGATIONS = {"avg", "min", "max", "quantile", "topk", "bottomk", "limitk"}
_SAME_RANGE_FUNCTIONS = {
    "avg_over_time",
    "min_over_time",
    "max_over_time",
    "quantile_over_time",
    "last_over_time",
    "sort",
    "sort_desc",
    "label_replace",
    "label_join",
}


@dataclass(frozen=True)
class Bounds:
    low: float | None
    high: float | None
    what: str  # "ab_test_model_accuracy" or "quantiles of x_seconds"
    hint: str


def check(ctx):
    catalog = ctx.catalog()
    for rule in ctx.rules:
        condition = getattr(rule.source, "condition", None)
        if not hasattr(condition, "level"):  # none, a raw condition, a band, a compound, absent: no single step
            continue
        bounds = value_range(_parse(str(condition.signal)), catalog)
        if bounds is None:
            continue
        verdict = _verdict(condition.op, condition.level.value, bounds)
        if verdict:
            yield Problem(
                rule.where,
                f"alert {rule.name}: {condition.op} {format_number(condition.level.value)} on "
                f"{bounds.what}, whose values lie in {_range(bounds)}: {verdict}",
                f"threshold {condition.level.threshold.name!r}: {bounds.hint}",
            )
    for dashboard in ctx.stack.dashboards:
        for panel in dashboard.panels():
            if panel.thresholds is None:
                continue
            for query in panel.queries:
                bounds = value_range(_parse(query.text, grafana=True), catalog)
                if bounds is None:
                    continue
                for step in panel.thresholds.steps[1:]:
                    if _outside(step.value, bounds):
                        yield Problem(
                            panel.origin,
                            f"panel {panel.title!r}: threshold {panel.thresholds.name!r} step "
                            f"{step.meaning!r} at {format_number(step.value)} is outside the "
                            f"values of {bounds.what} ({_range(bounds)})",
                            bounds.hint,
                        )


def value_range(node, catalog, depth: int = 0) -> Bounds | None:
    """The range this expression's values must lie in, from the catalog, if any."""
    node = unwrap(node)
    if node is None or depth > 20:
        return None
    if isinstance(node, pp.MatrixSelector):
        node = node.vector_selector
    if isinstance(node, pp.VectorSelector):
        entry = catalog.get(name_of(node))
        declared = isinstance(entry, Metric) and (entry.min is not None or entry.max is not None)
        if declared and entry.name == name_of(node):
            return Bounds(
                entry.min,
                entry.max,
                entry.name,
                f"it is in the wrong unit or scale (the metric's unit is {entry.unit or 'unspecified'})",
            )
        if isinstance(entry, RecordingRule):
            return value_range(_parse(entry.text), catalog, depth + 1)
        return None
    if isinstance(node, pp.Call) and node.func.name == "histogram_quantile" and len(node.args) == 2:
        return _quantile_range(node.args[1], catalog)
    if isinstance(node, pp.AggregateExpr) and str(node.op) in _SAME_RANGE_AGGREGATIONS:
        return value_range(node.expr, catalog, depth + 1)
    if isinstance(node, pp.Call) and node.func.name in _SAME_RANGE_FUNCTIONS and node.args:
        arg = node.args[1] if node.func.name == "quantile_over_time" and len(node.args) > 1 else node.args[0]
        return value_range(arg, catalog, depth + 1)
    return None


def _quantile_range(buckets, catalog) -> Bounds | None:
    metrics = {catalog.get(name_of(s)) for s in selectors(buckets)}
    metric = metrics.pop() if len(metrics) == 1 else None
    if not isinstance(metric, Metric) or metric.type is not MetricType.HISTOGRAM or not metric.buckets:
        return None
    if metric.external:  # an exporter's buckets, inferred from queries: the largest may be unknown
        return None
    top = max(metric.buckets)
    return Bounds(
        min(0.0, min(metric.buckets)),
        top,
        f"quantiles of {metric.name}",
        f"histogram_quantile never exceeds the largest finite bucket ({format_number(top)}): add buckets "
        "above the threshold, or check its unit",
    )


def _verdict(op: str, value: float, bounds: Bounds) -> str:
    low = bounds.low if bounds.low is not None else float("-inf")
    high = bounds.high if bounds.high is not None else float("inf")
    never = {"<": value <= low, "<=": value < low, ">": value >= high, ">=": value > high}[op]
    always = {"<": value > high, "<=": value >= high, ">": value < low, ">=": value <= low}[op]
    return "it can never fire" if never else "it always fires" if always else ""


def _outside(value: float, bounds: Bounds) -> bool:
    return (bounds.low is not None and value < bounds.low) or (bounds.high is not None and value > bounds.high)


def _range(bounds: Bounds) -> str:
    low = format_number(bounds.low) if bounds.low is not None else "-inf"
    high = format_number(bounds.high) if bounds.high is not None else "+inf"
    return f"{low} to {high}"


def _parse(text: str, grafana: bool = False):
    from monitoring.promql.parse import parse

    try:
        return parse(text, grafana=grafana)
    except Exception:  # noqa: BLE001 - reported by promql-syntax
        return None
