"""recording-rule-name: recorded series are named ``level:metric:operations``.

Why: the convention (Prometheus' "Recording rules" best practices) says at a glance which labels a
recorded series keeps (level), what it measures (metric) and how it was computed (operations), and
keeps recorded names apart from raw metrics (only they contain colons). A level that names labels
the expression does not keep misleads every query built on it.

Bad::

    record: http_errors_rate                              # no level, no operations
    record: job:http_errors:rate5m                        # but expr is sum by (instance) (...)

Good::

    record: instance:http_errors:rate5m
    expr: sum by (instance) (rate(http_errors_total[5m]))
"""

from __future__ import annotations

import promql_parser as pp

from monitoring.lint.finding import Problem
from monitoring.lint.walk import fmt, unwrap
from monitoring.model.rules import _RECORD_RE

NAME = "recording-rule-name"
SEVERITY = "warning"
NEEDS_CATALOG = False


def check(ctx):
    for rule in ctx.recording_rules():
        if not _RECORD_RE.match(rule.name):
            yield Problem(
                rule.where,
                f"recording rule {rule.name!r} does not follow level:metric:operations",
                "e.g. job:http_requests:rate5m (level = labels kept, then the metric, then what was done)",
            )
            continue
        level = rule.name.split(":", 1)[0]
        node = unwrap(rule.query.ast) if rule.query is not None and rule.query.ast is not None else None
        if (
            not level
            or not isinstance(node, pp.AggregateExpr)
            or node.modifier is None
            or not str(node.modifier.type).endswith("By")
        ):
            continue
        kept = (ctx.possible(node) or frozenset()) | frozenset(rule.labels)
        if not _spells(level, kept):
            yield Problem(
                rule.where,
                f"recording rule {rule.name!r}: level {level!r} names labels the rule does not "
                f"keep (it keeps {fmt(kept)})",
                f"name it {'_'.join(node.modifier.labels)}:{rule.name.split(':', 1)[1]}",
            )


def _spells(level: str, labels: frozenset[str]) -> bool:
    """Can ``level`` be written as kept label names joined by '_'?"""
    words = level.split("_")
    reachable = {0}
    for end in range(1, len(words) + 1):
        if any(start in reachable and "_".join(words[start:end]) in labels for start in range(end)):
            reachable.add(end)
    return len(words) in reachable
