"""counter-function: ``rate``, ``irate`` and ``increase`` only make sense over a counter.

Why: these functions assume a value that only goes up and treat every drop as a counter reset.
Over a gauge (memory, queue length, accuracy) a fall is read as a reset and the result is
garbage that still looks plausible. Over an already-recorded rate it is a rate of a rate.
With the catalog we know each series' type; in rule files we only know the series recorded there.

Bad::

    rate(ab_test_model_accuracy[5m])                  # a gauge
    rate(job:http_requests:rate5m[5m])                # already a rate

Good::

    rate(ab_test_requests_total[5m])                  # a counter
    avg_over_time(ab_test_model_accuracy[5m])         # gauges: *_over_time, deriv, delta
"""

from __future__ import annotations

import promql_parser as pp

from monitoring.lint.finding import Problem
from monitoring.lint.walk import COUNTER_FUNCTIONS, calls, name_of
from monitoring.model import Metric, MetricType

NAME = "counter-function"
SEVERITY = "error"
NEEDS_CATALOG = False


def check(ctx):
    catalog = ctx.catalog()
    for query, call in ctx.each(calls, *COUNTER_FUNCTIONS):
        arg = call.args[0] if call.args else None
        if not isinstance(arg, pp.MatrixSelector):
            continue
        name = name_of(arg.vector_selector)
        problem = _not_a_counter(name, catalog, ctx) if name else None
        if problem:
            yield Problem(
                query.where, f"{query.what}: {call.func.name}() over {name!r}, {problem}", _hint(call.func.name)
            )


def _not_a_counter(name: str, catalog: dict, ctx) -> str | None:
    entry = catalog.get(name)
    if isinstance(entry, Metric):
        if entry.type is MetricType.COUNTER:
            return None
        if entry.type in (MetricType.HISTOGRAM, MetricType.SUMMARY) and name != entry.name:
            return None  # _bucket, _count and _sum are counters
        return f"which is a {entry.type.value}" + (" (its quantile series)" if entry.type is MetricType.SUMMARY else "")
    if entry is not None:
        return "which is recorded by a rule, not a counter"
    for text, _ in ctx.records.get(name, ()):
        if any(True for _ in calls(_parse(text), *COUNTER_FUNCTIONS, "deriv", "delta", "avg_over_time")):
            return "which a rule records as a rate or average already"
    return None


def _parse(text: str):
    from monitoring.promql.parse import parse

    try:
        return parse(text)
    except Exception:  # noqa: BLE001 - reported by promql-syntax
        return pp.parse("vector(0)")


def _hint(function: str) -> str:
    return (
        f"{function}() needs a counter (a _total series, or a histogram's _bucket/_count/_sum); "
        "for a gauge use avg_over_time, max_over_time, deriv or delta"
    )
