"""How generated tests put an alert's signal at a chosen value.

Simple comparisons are driven from the catalog: a signal over one gauge sets that gauge, a
histogram_quantile over one histogram shapes its buckets. Anything else needs a driver (or
scenarios) written next to the alert in the definitions.
"""

from __future__ import annotations

import promql_parser as pp

from monitoring.errors import DefinitionError
from monitoring.model import Alert, MetricType, Stack
from monitoring.model.synthetic import GaugeValue
from monitoring.promql.parse import parse, selector_name
from monitoring.testgen import synth


def raw_dependencies(expr: str, stack: Stack, depth: int = 0) -> tuple[set[str], list]:
    """Catalog metric names an expression reads (through recording rules), and its histogram_quantile calls."""
    catalog = stack.series_catalog()
    metrics: set[str] = set()
    quantiles: list = []

    def visit(node):
        if isinstance(node, pp.VectorSelector):
            entry = catalog.get(selector_name(node) or "")
            if entry is None:
                return
            if hasattr(entry, "label_names"):
                metrics.add(entry.name)
            elif depth < 20:
                inner, inner_q = raw_dependencies(entry.text, stack, depth + 1)
                metrics.update(inner)
                quantiles.extend(inner_q)
        elif isinstance(node, pp.Call) and node.func.name == "histogram_quantile":
            quantiles.append(node)

    pp.walk(parse(expr), visit)
    return metrics, quantiles


def driver_for(alert: Alert, stack: Stack):
    """``(driver, inputs_name)``: driver(value, healthy) -> {series: spec}."""
    if alert.driver is not None:
        return _guarded(alert)
    metrics, quantiles = raw_dependencies(str(alert.condition.signal), stack)
    by_name = {m.name: m for m in stack.metrics}
    if len(metrics) == 1:
        metric = by_name[next(iter(metrics))]
        if metric.type is MetricType.GAUGE:
            return _gauge_driver(metric, stack, alert)
        if (
            metric.type is MetricType.HISTOGRAM
            and len(quantiles) == 1
            and isinstance(quantiles[0].args[0], pp.NumberLiteral)
        ):
            return _histogram_driver(metric, stack, float(quantiles[0].args[0].val), alert)
    raise DefinitionError(
        f"alert {alert.name}: cannot synthesise test inputs for `{alert.condition.signal}`",
        alert.origin,
        "tests are generated for signals over one gauge or one histogram's quantile; for anything else give "
        "the alert driver=lambda value: {series: CounterRate(...)|GaugeValue(...)} or scenarios=(...)",
    )


def _guarded(alert: Alert):
    """The alert's own driver; whatever it raises (even sys.exit) is a definition error at the alert."""

    def drive(value):
        try:
            inputs = alert.driver(value)
        except DefinitionError:
            raise
        except (Exception, SystemExit) as exc:  # user code: report it at the alert, never a traceback
            raise DefinitionError(
                f"alert {alert.name}: its driver raised {type(exc).__name__}: {exc}"[:500],
                alert.origin,
                "fix the driver: it maps a signal value to {series: CounterRate(...) | GaugeValue(...)}",
            ) from None
        if not isinstance(inputs, dict):
            raise DefinitionError(
                f"alert {alert.name}: its driver returned {type(inputs).__name__}, not a dict",
                alert.origin,
                "return {series selector: CounterRate(...) | GaugeValue(...)}",
            )
        return inputs

    return drive


def healthy_value(alert: Alert, metric=None) -> float:
    level, op = alert.condition.level.value, alert.condition.op
    margin = abs(level) * 0.4 or 1.0
    value = level + margin if op.startswith("<") else level - margin
    if metric is not None:
        if metric.max is not None and value > metric.max:
            value = (level + metric.max) / 2
        if metric.min is not None and value < metric.min:
            value = (level + metric.min) / 2
    return value


def _gauge_driver(metric, stack, alert):
    combos = synth.label_combinations(metric, stack)
    healthy = healthy_value(alert, metric)

    def drive(value):
        return {
            synth.series_key(metric.name, labels): GaugeValue(value if i == 0 else healthy)
            for i, labels in enumerate(combos)
        }

    drive.metric = metric
    return drive


def _histogram_driver(metric, stack, q, alert):
    combos = synth.label_combinations(metric, stack)
    healthy = healthy_value(alert, metric)
    # Interpolating inside the lowest bucket, histogram_quantile never reports less than q x its bound.
    lowest = q * metric.buckets[0]
    if healthy < lowest < alert.condition.level.value:
        healthy = (lowest + alert.condition.level.value) / 2

    def drive(value):
        out = {}
        for i, labels in enumerate(combos):
            try:
                rates = synth.quantile_rates(metric.buckets, q, value if i == 0 else healthy)
            except ValueError as exc:
                raise DefinitionError(
                    f"alert {alert.name}: {exc}",
                    alert.origin,
                    "give the histogram a bucket below the threshold, or raise the threshold",
                ) from None
            out.update(synth.histogram_inputs(metric, labels, rates))
        return out

    drive.metric = metric
    drive.lowest = lowest
    return drive
