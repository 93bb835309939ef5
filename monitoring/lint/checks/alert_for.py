"""alert-for: an alert's ``for`` must span at least two evaluations of its group.

Why: with ``for`` shorter than two evaluation intervals an alert fires on a single bad
evaluation: one late scrape, one restart, one outlier pages someone. Two evaluations confirm
the condition holds. A group without ``interval`` is evaluated every ``evaluation_interval``
(policies/lint.yaml; Prometheus' default is 1m).

Bad::

    - name: api.alerts
      interval: 1m
      rules:
        - alert: HighErrorRate
          expr: job:errors:ratio5m > 0.05
          for: 1m                          # one evaluation

Good::

          for: 5m
"""

from __future__ import annotations

from monitoring.lint.finding import Problem
from monitoring.model.durations import format_duration, parse_duration

NAME = "alert-for"
SEVERITY = "warning"
NEEDS_CATALOG = False


def check(ctx):
    for rule in ctx.rules:
        if rule.kind != "alert":
            continue
        try:
            held = parse_duration(rule.for_) if rule.for_ and rule.for_ != "0" else 0.0
        except Exception:  # noqa: BLE001 - reported by rule-file
            continue
        needed = 2 * rule.interval
        if held < needed:
            yield Problem(
                rule.where,
                f"alert {rule.name}: for {rule.for_ or '(none)'} is shorter than two evaluation "
                f"intervals of group {rule.group!r} ({format_duration(needed)}): it fires on a "
                "single evaluation",
                f"use for: {format_duration(needed)} or longer",
            )
