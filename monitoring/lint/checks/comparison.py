"""comparison: an alert expression with no condition, or whose condition uses ``bool``.

Why: an alert fires for every series its expression returns. Without a condition (``> 0.05``, ``== 0``,
``absent(...)``, ``unless``, ``and`` with a filtered side) it fires whenever the series exists, whatever
its value: ``rate(errors_total[5m])`` pages at a rate of 0 too. With ``bool`` a comparison returns 0 or 1
instead of dropping series, so ``up == bool 0`` returns a result, and fires, always. (An alert meant to
fire always, a dead man's switch such as ``vector(1)``, reads no series and is left alone.)

Bad::

    - alert: Errors
      expr: sum by (job) (rate(http_errors_total[5m]))
    - alert: TargetDown
      expr: up == bool 0

Good::

    - alert: Errors
      expr: sum by (job) (rate(http_errors_total[5m])) > 0.1
    - alert: TargetDown
      expr: up == 0
"""

from __future__ import annotations

import promql_parser as pp

from monitoring.lint.finding import Problem
from monitoring.lint.walk import ARITHMETIC, COMPARISONS, is_filter, returns_bool, selectors, unwrap
from monitoring.promql.parse import is_scalar

NAME = "comparison"
SEVERITY = "warning"
NEEDS_CATALOG = False

# Functions whose result exists only when their input does not (or never existed).
_FILTERING_FUNCTIONS = {"absent", "absent_over_time"}


def check(ctx):
    for rule in ctx.alerts(parsed=True):
        if not selectors(rule.query.ast):
            continue  # a constant such as vector(1): a dead man's switch, always firing on purpose
        state = condition(rule.query.ast)
        if state == "bool":
            yield Problem(
                rule.where,
                f"alert {rule.name}: its comparison uses bool, which returns 0 or 1 instead of dropping "
                "series: the expression always returns a result and the alert always fires",
                "remove bool, so that series for which the comparison is false are dropped",
            )
        elif state == "none":
            yield Problem(
                rule.where,
                f"alert {rule.name}: the expression has no condition: it fires for every series it returns, "
                "whatever the value",
                "compare the result, e.g. ... > 0, or use absent() for a series that must exist",
            )


def condition(node) -> str:
    """ "yes" when some series can be dropped by a condition, "bool" when the top comparison uses bool, else "none"."""
    node = unwrap(node)
    if isinstance(node, pp.BinaryExpr):
        op = str(node.op)
        if op in COMPARISONS:
            if returns_bool(node):
                return "bool" if not (_filtered(node.lhs) or _filtered(node.rhs)) else "yes"
            return "yes"
        if op == "unless":
            return "yes"
        if op == "and":
            return "yes" if _filtered(node.lhs) or _filtered(node.rhs) else "none"
        if op == "or":
            left, right = condition(node.lhs), condition(node.rhs)
            return "yes" if left == right == "yes" else ("bool" if "bool" in (left, right) else "none")
        if op in ARITHMETIC:
            sides = [condition(side) for side in (node.lhs, node.rhs) if not is_scalar(side)]
            return "yes" if "yes" in sides else ("bool" if "bool" in sides else "none")
        return "none"
    if isinstance(node, pp.UnaryExpr):
        return condition(node.expr)
    if isinstance(node, pp.AggregateExpr):
        return condition(node.expr)
    if isinstance(node, pp.SubqueryExpr):
        return condition(node.expr)
    if isinstance(node, pp.Call):
        if node.func.name in _FILTERING_FUNCTIONS:
            return "yes"
        states = [condition(arg) for arg in node.args if isinstance(arg, pp.Expr) and not is_scalar(arg)]
        return "yes" if "yes" in states else ("bool" if "bool" in states else "none")
    return "none"


def _filtered(node) -> bool:
    return condition(node) == "yes" or is_filter(unwrap(node))
