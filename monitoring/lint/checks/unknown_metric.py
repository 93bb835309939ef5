"""unknown-metric: a selector names a series that is neither in the catalog nor recorded by our rules.

Why: a typo in a metric name is the most common silent failure: the selector matches nothing,
so the panel is empty and the alert can never fire, and nothing says so. We know every series
the services expose (the catalog) and every series our rules record, so any other name is a mistake.

Bad::

    RecordingRule("job:http_errors:rate5m", "sum by (job) (rate(http_request_total[5m]))")  # "_requests_"

Good::

    RecordingRule("job:http_errors:rate5m", f"sum by (job) (rate({REQUESTS}[5m]))")  # the Metric object
"""

from __future__ import annotations

import difflib

from monitoring.lint.finding import Problem
from monitoring.lint.walk import name_of, selectors

NAME = "unknown-metric"
SEVERITY = "error"
NEEDS_CATALOG = True


def check(ctx):
    catalog = ctx.catalog()
    for query, selector in ctx.each(selectors):
        name = name_of(selector)
        if name is None or name in catalog or name.startswith("__var_"):
            continue
        close = difflib.get_close_matches(name, catalog, n=1, cutoff=0.75)
        hint = f"did you mean {close[0]!r}?" if close else "add the metric to the stack's catalog or fix the name"
        yield Problem(
            query.where,
            f"{query.what} selects {name!r}, which is neither a metric in the catalog nor a recording rule",
            hint + " (reference the Metric object, not a string)",
        )
