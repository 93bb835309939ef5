"""nan: a division (or ``%``) inside ``sum``/``avg``/``stddev``/``stdvar`` whose divisor can be zero.

Why: ``0 / 0`` is NaN and ``x / 0`` is ±Inf, and one NaN or Inf among the inputs of ``sum``, ``avg``,
``stddev`` or ``stdvar`` makes the whole result NaN or Inf: one idle instance (no requests, so a zero
rate) hides every other instance's value, and a threshold comparison on NaN is always false, so the
alert goes quiet exactly when something is idle. Divide after aggregating, or drop zero divisors first
(``(total > 0)``, ``clamp_min(total, 1)``). ``count``, ``group``, ``quantile``, ``topk``/``bottomk`` and
``min``/``max`` are not affected the same way.

Bad::

    sum by (job) (rate(errors_total[5m]) / rate(requests_total[5m]))

Good::

    sum by (job) (rate(errors_total[5m])) / sum by (job) (rate(requests_total[5m]))
    sum by (job) (rate(errors_total[5m]) / (rate(requests_total[5m]) > 0))
"""

from __future__ import annotations

import promql_parser as pp

from monitoring.lint.finding import Problem
from monitoring.lint.walk import is_filter, unwrap, walk
from monitoring.promql.parse import is_scalar

NAME = "nan"
SEVERITY = "warning"
NEEDS_CATALOG = False

_AFFECTED = ("sum", "avg", "stddev", "stdvar")


def check(ctx):
    for query in ctx.parsed:
        reported = set()
        for node in walk(query.ast):
            if not isinstance(node, pp.AggregateExpr) or str(node.op) not in _AFFECTED:
                continue
            for division in _divisions(node.expr):
                if id(division) in reported:
                    continue
                reported.add(id(division))
                yield Problem(
                    query.where,
                    f"{query.what}: {node.op}() over a division '{division.op}' whose divisor can be 0: one NaN or "
                    f"Inf input (an idle series, 0/0) makes the whole {node.op} NaN or Inf",
                    "aggregate first and divide the aggregations, or drop zero divisors: (divisor > 0), "
                    "clamp_min(divisor, 1)",
                )


def _divisions(node):
    """Unguarded '/' and '%' between vectors under ``node``, nested aggregations included."""
    for current in walk(node):
        if (
            isinstance(current, pp.BinaryExpr)
            and str(current.op) in ("/", "%")
            and not is_scalar(current.rhs)
            and not _nonzero(current.rhs)
        ):
            yield current


def _nonzero(node) -> bool:
    """Can this divisor never be zero? A filter excluding 0, a clamp away from 0, a count, a constant.
    Anything else (x + 1 included: x may be -1) may be."""
    node = unwrap(node)
    if is_filter(node):
        number = _number(node.rhs)
        op = str(node.op)
        if number is None:
            return _nonzero(node.lhs)
        return {
            ">": number >= 0,
            ">=": number > 0,
            "<": number <= 0,
            "<=": number < 0,
            "!=": number == 0,
            "==": number != 0,
        }[op] or _nonzero(node.lhs)
    if isinstance(node, pp.Call):
        name, numbers = node.func.name, [_number(a) for a in node.args[1:]]
        if name == "clamp_min" and numbers and numbers[0] is not None and numbers[0] > 0:
            return True
        if name == "clamp_max" and numbers and numbers[0] is not None and numbers[0] < 0:
            return True
        if name == "clamp" and len(numbers) == 2 and None not in numbers:
            return numbers[0] > 0 or numbers[1] < 0
        if name in ("vector", "time"):
            return name == "time" or _nonzero_number(node.args[0])
    if isinstance(node, pp.AggregateExpr) and str(node.op) in ("count", "group"):
        return True  # at least one series, or no result at all
    return False


def _nonzero_number(node) -> bool:
    number = _number(node)
    return number is not None and number != 0


def _number(node) -> float | None:
    node = unwrap(node)
    if isinstance(node, pp.UnaryExpr) and isinstance(unwrap(node.expr), pp.NumberLiteral):
        return -unwrap(node.expr).val
    return node.val if isinstance(node, pp.NumberLiteral) else None
