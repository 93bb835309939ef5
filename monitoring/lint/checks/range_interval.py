"""range-interval: a range selector shorter than four sample intervals.

Why: ``rate(x[30s])`` with a 15s scrape interval sees two samples at best, one after a missed
scrape, and then returns nothing: the panel flickers and the alert resolves and refires. Four
intervals (Grafana's ``$__rate_interval`` rule) survive one missed scrape. A series recorded by our
rules has its group's evaluation interval as spacing; others use the scrape interval
(``Stack.scrape_interval``, or ``scrape_interval`` in policies/lint.yaml for rule files).
Subqueries (``[10m:5m]``) need four steps in their range too.

Bad::

    rate(http_requests_total[30s])          # scrape interval 15s: 2 samples

Good::

    rate(http_requests_total[1m])           # 4 samples; or [5m]
"""

from __future__ import annotations

import promql_parser as pp

from monitoring.lint.finding import Problem
from monitoring.lint.walk import duration, name_of, seconds

NAME = "range-interval"
SEVERITY = "warning"
NEEDS_CATALOG = False


def check(ctx):
    for query, node in ctx.each():
        if isinstance(node, pp.MatrixSelector):
            name = name_of(node.vector_selector)
            interval = ctx.sample_interval(name)
            span = seconds(node.range)
            if span < 4 * interval:
                yield Problem(
                    query.where,
                    f"{query.what}: range [{duration(span)}] over {name or 'a series'} holds "
                    f"fewer than four samples (one every {duration(interval)})",
                    f"use a range of at least {duration(4 * interval)}",
                )
        elif isinstance(node, pp.SubqueryExpr) and node.step is not None:
            span, step = seconds(node.range), seconds(node.step)
            if step and span < 4 * step:
                yield Problem(
                    query.where,
                    f"{query.what}: subquery [{duration(span)}:{duration(step)}] evaluates fewer than four steps",
                    f"use a range of at least {duration(4 * step)}",
                )
