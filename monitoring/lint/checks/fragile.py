"""fragile: an alert that flaps because of ``topk``/``bottomk``, or fires on partial data after a restart.

Why: ``topk``, ``bottomk`` and ``limitk`` may pick a different set of series at every evaluation; each
series is a separate alert, so alerts resolve and fire again as the selection changes. And when
Prometheus restarts it scrapes its targets over a whole scrape interval: an alert that divides (or adds,
subtracts, ...) one aggregation of a metric by an aggregation of another may see one side complete and
the other from a few targets only, and page on that first evaluation. A ``for`` of one scrape interval
or more waits for the data. ``topk by (...) (1, x)``, which keeps one series per label set to remove
duplicates, is not a ranking and is left alone; so are two aggregations of the same metric.

Bad::

    - alert: BusiestInstances
      expr: topk(3, rate(http_requests_total[5m])) > 100
    - alert: ErrorRatio
      expr: sum(rate(errors_total{job="a"}[5m])) / sum(rate(requests_total{job="b"}[5m])) > 0.1

Good::

    - alert: InstanceBusy
      expr: rate(http_requests_total[5m]) > 100
    - alert: ErrorRatio
      expr: sum(rate(errors_total{job="a"}[5m])) / sum(rate(requests_total{job="b"}[5m])) > 0.1
      for: 2m
"""

from __future__ import annotations

import promql_parser as pp

from monitoring.lint.checks.comparison import condition
from monitoring.lint.finding import Problem
from monitoring.lint.walk import ARITHMETIC, children, name_of, selectors, unwrap
from monitoring.model.rules import parse_duration

NAME = "fragile"
SEVERITY = "warning"
NEEDS_CATALOG = False

_SAMPLING = ("topk", "bottomk", "limitk", "limit_ratio")


def check(ctx):
    for rule in ctx.alerts(parsed=True):
        sampling = _sampling(ctx, rule.query.ast)
        if sampling is not None:
            yield Problem(
                rule.where,
                f"alert {rule.name}: {sampling}() may select different series at each evaluation, and each "
                "series is its own alert: alerts flap as the selection changes",
                "alert on every series past a threshold instead, or aggregate the selection away",
            )
        if not _has_for(rule.for_) and condition(rule.query.ast) == "yes":
            op = _between_aggregations(rule.query.ast)
            if op is not None:
                yield Problem(
                    rule.where,
                    f"alert {rule.name}: '{op}' between two aggregations with no for: after a Prometheus restart "
                    "one side may hold every target and the other a few, and the first evaluation pages",
                    "add for: of at least one scrape interval (e.g. for: 2m)",
                )


def _has_for(text: str) -> bool:
    try:
        return bool(text) and text != "0" and parse_duration(text) > 0
    except Exception:  # noqa: BLE001 - reported by rule-file; no finding here
        return True


def _sampling(ctx, node) -> str | None:
    """topk & co whose selected series reach the alert (not aggregated again, and carrying labels)."""
    node = unwrap(node)
    if isinstance(node, pp.AggregateExpr):
        if str(node.op) in _SAMPLING:
            if _deduplicates(node):
                return None
            possible = ctx.possible(node)
            return str(node.op) if possible is None or possible else None
        return None  # a further aggregation decides which labels reach the alert
    for child in children(node):
        found = _sampling(ctx, child)
        if found:
            return found
    return None


def _deduplicates(node) -> bool:
    """``topk by (labels) (1, x)``: one series per label set, the idiom that removes duplicates (e.g. two
    kube-state-metrics replicas), not a ranking."""
    by = node.modifier is not None and str(node.modifier.type).endswith("By") and node.modifier.labels
    param = unwrap(node.param) if node.param is not None else None
    return bool(by) and isinstance(param, pp.NumberLiteral) and param.val == 1


def _metric_names(node) -> set[str]:
    return {name_of(s) or "" for s in selectors(node)}


def _between_aggregations(node) -> str | None:
    """The operator of an arithmetic operation between aggregations of different metrics, at the top of the
    expression: under its comparisons, and the left side of and/unless (their right side only filters)."""
    node = unwrap(node)
    if isinstance(node, pp.UnaryExpr):
        return _between_aggregations(node.expr)
    if not isinstance(node, pp.BinaryExpr):
        return None
    op = str(node.op)
    if op in ARITHMETIC:
        joins = node.modifier is not None and bool(node.modifier.group_labels)  # adds labels, not a ratio
        left, right = unwrap(node.lhs), unwrap(node.rhs)
        if (
            not joins
            and isinstance(left, pp.AggregateExpr)
            and isinstance(right, pp.AggregateExpr)
            and not (_metric_names(left) & _metric_names(right))
        ):
            return op  # different metrics: possibly from different targets, scraped at different moments
        return None
    sides = (node.lhs,) if op in ("and", "unless") else (node.lhs, node.rhs)
    for side in sides:
        found = _between_aggregations(side)
        if found:
            return found
    return None
