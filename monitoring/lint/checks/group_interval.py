"""group-interval: a rule group evaluated less often than every ``max_group_interval`` (default 5m).

Why: every evaluation writes one sample of each recorded series, and an instant query only looks back
5 minutes (Prometheus' lookback delta) for a sample. With a 10m interval a recorded series is missing
from dashboards and from the alerts that read it for half the time. The limit is ``max_group_interval`` in
policies/lint.yaml. Groups holding only alerts are left alone (Prometheus keeps a firing alert's
notification valid for four intervals).

Bad::

    - name: slow
      interval: 10m
      rules:
        - record: job:up:sum
          expr: sum by (job) (up)

Good::

    - name: slow
      interval: 5m
      rules:
        - record: job:up:sum
          expr: sum by (job) (up)
"""

from __future__ import annotations

from monitoring.lint.finding import Problem
from monitoring.lint.walk import duration

NAME = "group-interval"
SEVERITY = "warning"
NEEDS_CATALOG = False


def check(ctx):
    limit = ctx.config.max_group_interval
    groups: dict = {}
    for rule in ctx.recording_rules():
        if rule.interval > limit:
            groups.setdefault(rule.group_where or rule.where, []).append(rule)
    for where, records in groups.items():
        interval = records[0].interval
        yield Problem(
            where,
            f"group {records[0].group!r} is evaluated every {duration(interval)}, longer than {duration(limit)}: "
            f"its recorded series ({_names(records)}) go stale between evaluations, since an instant query looks "
            "back 5m at most",
            f"use an interval of {duration(limit)} or less, or read the series with "
            f"last_over_time(...[{duration(interval)}])",
        )


def _names(rules) -> str:
    names = sorted({r.name for r in rules})
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
