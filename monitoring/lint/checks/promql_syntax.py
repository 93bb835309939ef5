"""promql-syntax: every PromQL expression must parse; the finding gives the column of the mistake.

Why: Prometheus refuses a rule file with one unparsable rule (every rule in it stops), and
Grafana shows an error instead of a panel. Covers rule expressions, panel queries (with Grafana's
``$variables`` substituted) and, in promtool test files, input series and test expressions.

Bad::

    expr: sum(rate(http_requests_total[5m]) by (job)     # unclosed parenthesis

Good::

    expr: sum by (job) (rate(http_requests_total[5m]))
"""

from __future__ import annotations

from monitoring.lint.finding import Problem

NAME = "promql-syntax"
SEVERITY = "error"
NEEDS_CATALOG = False


def check(ctx):
    for query in ctx.queries:
        if query.error:
            yield Problem(
                query.where, f"{query.what}: {query.error}", "check brackets, quotes, function names and argument types"
            )
