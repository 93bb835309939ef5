"""histogram-quantile: ``histogram_quantile`` needs a histogram's ``_bucket`` series with ``le`` kept.

Why: histogram_quantile interpolates between bucket boundaries, which are the ``le`` label.
Aggregate ``le`` away (``sum by (job) (...)``) and every quantile is NaN; point it at a gauge,
a ``_count`` or a summary and it returns nothing. Both look like "no data", never like an error.
Without the catalog only the aggregated-away ``le`` can be seen.

Bad::

    histogram_quantile(0.95, sum by (job) (rate(http_request_duration_seconds_bucket[5m])))
    histogram_quantile(0.95, rate(http_request_duration_seconds_count[5m]))

Good::

    histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_bucket[5m])))
"""

from __future__ import annotations

from monitoring.lint.finding import Problem
from monitoring.lint.walk import calls, name_of, selectors
from monitoring.model import Metric, MetricType

NAME = "histogram-quantile"
SEVERITY = "error"
NEEDS_CATALOG = False


def check(ctx):
    catalog = ctx.catalog()
    for query, call in ctx.each(calls, "histogram_quantile"):
        if len(call.args) != 2:
            continue
        buckets = call.args[1]
        possible = ctx.possible(buckets)
        if possible is not None and "le" not in possible:
            yield Problem(
                query.where,
                f"{query.what}: histogram_quantile() over a vector without the 'le' "
                "label: it was aggregated away, so every quantile is NaN",
                "keep le when aggregating: sum by (..., le) (rate(x_bucket[5m]))",
            )
        entries = [(name_of(s), catalog.get(name_of(s)) if name_of(s) else None) for s in selectors(buckets)]
        if any(_is_bucket(name, entry) for name, entry in entries):
            continue  # other series are joined in (`* on (instance) group_left (node) kube_node_info`)
        for name, entry in entries:
            if isinstance(entry, Metric):
                kind = entry.type.value if name == entry.name else f"{entry.type.value}'s {name[len(entry.name) :]}"
                yield Problem(
                    query.where,
                    f"{query.what}: histogram_quantile() over {name!r}, which is a {kind} "
                    "series, not a histogram's _bucket series",
                    "use the histogram's _bucket series (Metric.bucket) with rate() and le kept",
                )


def _is_bucket(name, entry) -> bool:
    return isinstance(entry, Metric) and entry.type is MetricType.HISTOGRAM and name.endswith("_bucket")
