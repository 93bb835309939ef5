"""Which labels an expression's result series are guaranteed to carry, from the catalog alone.

Used wherever we must know an alert's label set without running Prometheus: routing tests
(which receiver gets each alert), generated promtool expectations and lint checks.
"""
from __future__ import annotations

import itertools

import promql_parser as pp

from monitoring.model import Alert, Stack
from monitoring.promql import parse, selector_name

# Labels Prometheus attaches to every scraped series.
TARGET_LABELS = frozenset({"job", "instance"})
# Functions whose result does not keep the argument's labels.
_LABELLESS_FUNCS = {"vector", "scalar", "time", "pi", "absent", "absent_over_time", "day_of_month", "day_of_week",
                    "days_in_month", "hour", "minute", "month", "year"}


def result_labels(expr, stack: Stack, _depth: int = 0) -> frozenset[str]:
    """Labels every result series of ``expr`` carries (its metric name aside)."""
    ast = parse(str(expr)) if not isinstance(expr, pp.Expr) else expr
    return _labels(ast, stack, _depth)


def _labels(node, stack: Stack, depth: int) -> frozenset[str]:
    if isinstance(node, pp.ParenExpr) or isinstance(node, pp.UnaryExpr) or isinstance(node, pp.SubqueryExpr):
        return _labels(node.expr, stack, depth)
    if isinstance(node, pp.MatrixSelector):
        return _labels(node.vector_selector, stack, depth)
    if isinstance(node, pp.VectorSelector):
        return _selector_labels(node, stack, depth)
    if isinstance(node, (pp.NumberLiteral, pp.StringLiteral)):
        return frozenset()
    if isinstance(node, pp.Call):
        name = node.func.name
        if name in _LABELLESS_FUNCS:
            return frozenset()
        vectors = [a for a in node.args if not isinstance(a, (pp.NumberLiteral, pp.StringLiteral))]
        inner = _labels(vectors[-1] if name == "histogram_quantile" else vectors[0], stack, depth) \
            if vectors else frozenset()
        if name == "histogram_quantile":
            return inner - {"le"}
        if name in ("label_replace", "label_join"):
            return inner | {node.args[1].val if hasattr(node.args[1], "val") else str(node.args[1])}
        return inner
    if isinstance(node, pp.AggregateExpr):
        inner = _labels(node.expr, stack, depth)
        op = str(node.op)
        if op in ("topk", "bottomk", "limitk", "limit_ratio"):
            return inner
        modifier = node.modifier
        if modifier is None:
            base = frozenset()
        elif str(modifier.type).endswith("By"):
            base = frozenset(modifier.labels)
        else:
            base = inner - set(modifier.labels)
        if op == "count_values" and hasattr(node.param, "val"):
            base |= {node.param.val}
        return base
    if isinstance(node, pp.BinaryExpr):
        return _binary_labels(node, stack, depth)
    return frozenset()


def _binary_labels(node, stack: Stack, depth: int) -> frozenset[str]:
    lhs_scalar, rhs_scalar = _is_scalar(node.lhs), _is_scalar(node.rhs)
    lhs = _labels(node.lhs, stack, depth)
    rhs = _labels(node.rhs, stack, depth)
    if lhs_scalar and rhs_scalar:
        return frozenset()
    if rhs_scalar:
        return lhs
    if lhs_scalar:
        return rhs
    op = str(node.op)
    modifier = node.modifier
    if op == "or":
        return lhs & rhs
    if op in ("and", "unless"):
        return lhs
    matching = modifier.matching if modifier is not None else None
    card = str(modifier.card) if modifier is not None else "OneToOne"
    include = frozenset(modifier.group_labels or ()) if modifier is not None and modifier.group_labels else frozenset()
    if card.endswith("ManyToOne"):
        return lhs | include
    if card.endswith("OneToMany"):
        return rhs | include
    if matching is not None and str(matching.type).endswith("Include"):  # on(...)
        return lhs & frozenset(matching.labels)
    if matching is not None:  # ignoring(...)
        return lhs - set(matching.labels)
    return lhs


def _is_scalar(node) -> bool:
    while isinstance(node, (pp.ParenExpr, pp.UnaryExpr)):
        node = node.expr
    if isinstance(node, pp.NumberLiteral):
        return True
    if isinstance(node, pp.Call) and node.func.name in ("scalar", "time", "pi"):
        return True
    if isinstance(node, pp.BinaryExpr):
        return _is_scalar(node.lhs) and _is_scalar(node.rhs)
    return False


def _selector_labels(selector, stack: Stack, depth: int) -> frozenset[str]:
    name = selector_name(selector)
    entry = stack.series_catalog().get(name) if name else None
    if entry is None:
        return frozenset(m.name for m in selector.matchers.matchers if m.name != "__name__")
    if hasattr(entry, "label_names"):  # a Metric
        extra = {"le"} if name.endswith("_bucket") else set()
        return frozenset(entry.label_names) | TARGET_LABELS | extra
    if depth > 20:  # recording rules referencing each other in a cycle
        return frozenset()
    return result_labels(entry.text, stack, depth + 1) | {k for k, _ in entry.labels}


def label_values(stack: Stack) -> dict[str, tuple[str, ...]]:
    """Known values of each label, from the Label objects of the catalog."""
    values: dict[str, tuple[str, ...]] = {}
    for metric in stack.metrics:
        for label in metric.labels:
            if label.values:
                values[label.name] = tuple(dict.fromkeys(values.get(label.name, ()) + label.values))
    return values


def alert_instances(alert: Alert, stack: Stack) -> list[dict[str, str]]:
    """Every label set the alert can fire with: its own labels x known values of the labels it keeps.

    Labels it keeps without known values (job, instance) are left out: routing cannot depend on them.
    """
    static = {"alertname": alert.name, **stack.alert_labels(alert)}
    kept = sorted(result_labels(alert.condition.signal, stack) - set(static))
    known = label_values(stack)
    varying = [label for label in kept if label in known]
    instances = []
    for combo in itertools.product(*(known[label] for label in varying)):
        instances.append({**static, **dict(zip(varying, combo))})
    return instances
