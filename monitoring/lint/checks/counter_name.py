"""counter-name: in rule files (no catalog), a ``_total`` counter compared or aggregated without
``rate``/``increase``, and ``rate``/``increase`` over a series named like a gauge.

Why: a counter's value is the count since the process started: it drops to 0 at every restart and its
level means nothing. Compared (``errors_total > 100``) it fires forever after the hundredth error and
stops at the next restart; summed before ``rate`` (``rate(sum(x_total)[5m:])``) one instance's restart
looks like a huge drop. ``rate``/``increase`` handle resets. Conversely ``rate``, ``irate`` and
``increase`` read every drop as a reset, so over a gauge they return garbage. Without the metric catalog
the name is all we know: Prometheus names counters ``..._total``, and ``up``, ``..._info``, ``_ratio``,
``_percent``, ``_celsius``, ``_timestamp``, ... are levels. A name with neither (``node_vmstat_pgmajfault``)
is left alone, since many exporters name counters without ``_total``; a gauge wrongly named ``_total`` is
reported (rename it). With the catalog (``monitoring lint`` on definitions) ``counter-function`` checks the
real types instead.

Bad::

    expr: http_errors_total > 100
    expr: sum by (job) (http_requests_total)
    expr: rate(node_hwmon_temp_celsius[5m])

Good::

    expr: increase(http_errors_total[1h]) > 100
    expr: sum by (job) (rate(http_requests_total[5m]))
    expr: deriv(node_hwmon_temp_celsius[5m])
"""

from __future__ import annotations

import promql_parser as pp

from monitoring.lint.finding import Problem
from monitoring.lint.walk import COMPARISONS, COUNTER_FUNCTIONS, calls, name_of

NAME = "counter-name"
SEVERITY = "warning"
NEEDS_CATALOG = False

COUNTER_SUFFIXES = ("_total", "_count", "_sum", "_bucket")
# Functions that read a counter correctly, or only whether (or when) it has samples.
_SAFE_FUNCTIONS = set(COUNTER_FUNCTIONS) | {
    "resets",
    "changes",
    "count_over_time",
    "present_over_time",
    "absent_over_time",
    "absent",
    "timestamp",
}
_SAFE_AGGREGATIONS = {"count", "group"}
GAUGE_SUFFIXES = (
    "_info",
    "_ratio",
    "_percent",
    "_percentage",
    "_celsius",
    "_fahrenheit",
    "_temperature",
    "_timestamp",
    "_timestamp_seconds",
    "_volts",
    "_watts",
    "_up",
)


def check(ctx):
    if ctx.stack is not None:
        return  # with the catalog, counter-function knows the types
    for query in ctx.parsed:
        for name, how in sorted(_raw_counters(query.ast).items()):
            if how is None:
                continue  # its value is copied, not compared or aggregated
            yield Problem(
                query.where,
                f"{query.what}: counter {name!r} is {how} without rate() or increase(): a counter's value is a "
                "count since the process started, reset to 0 at every restart",
                f"use rate({name}[5m]) or increase({name}[1h]) first (if it is a gauge despite its _total name, "
                "rename it or set this check to off)",
            )
        for call in calls(query.ast, *COUNTER_FUNCTIONS):
            arg = call.args[0] if call.args else None
            name = name_of(arg.vector_selector) if isinstance(arg, pp.MatrixSelector) else None
            if name and ":" not in name and is_gauge_name(name):
                yield Problem(
                    query.where,
                    f"{query.what}: {call.func.name}() over {name!r}, which is named like a gauge: over a gauge "
                    "every drop is read as a counter reset and the result is meaningless",
                    "for a gauge use deriv(), delta() or *_over_time(); counters are named ..._total",
                )


def is_gauge_name(name: str) -> bool:
    """Names that say "a level, not a count": up, info metrics, ratios, percentages, temperatures, timestamps."""
    return name == "up" or (not name.endswith(COUNTER_SUFFIXES) and name.endswith(GAUGE_SUFFIXES))


def _raw_counters(node) -> dict[str, str | None]:
    """``_total`` series whose raw value reaches ``node``'s value -> how it was misused on the way (None: not yet)."""
    if isinstance(node, (pp.VectorSelector, pp.MatrixSelector)):
        selector = node.vector_selector if isinstance(node, pp.MatrixSelector) else node
        name = name_of(selector)
        return {name: None} if name and name.endswith("_total") and ":" not in name else {}
    if isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
        return _raw_counters(node.expr)
    if isinstance(node, pp.Call):
        if node.func.name in _SAFE_FUNCTIONS:
            return {}
        return _merge(*(_raw_counters(arg) for arg in node.args if isinstance(arg, pp.Expr)))
    if isinstance(node, pp.AggregateExpr):
        if str(node.op) in _SAFE_AGGREGATIONS:
            return {}  # counts series: the values do not matter
        return {n: how or f"aggregated with {node.op}()" for n, how in _raw_counters(node.expr).items()}
    if isinstance(node, pp.BinaryExpr):
        op = str(node.op)
        left, right = _raw_counters(node.lhs), _raw_counters(node.rhs)
        if op in ("and", "unless"):
            return left  # the right side only filters by presence
        if op == "-":  # x_total - x_total offset 10m: an increase written by hand
            for name in set(left) & set(right):
                left.pop(name), right.pop(name)
        merged = _merge(left, right)
        if op in COMPARISONS:
            return {n: how or f"compared with '{op}'" for n, how in merged.items()}
        return merged
    return {}


def _merge(*found: dict) -> dict:
    merged: dict = {}
    for part in found:
        for name, how in part.items():
            merged[name] = merged.get(name) or how
    return merged
