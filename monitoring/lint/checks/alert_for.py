"""alert-for: an alert that fires on a single evaluation, or whose ``for`` is shorter than its group's interval.

Why: an alert without ``for`` (or with the default ``for: 0``, which can simply be removed) fires on the
first evaluation where its expression returns anything: one late scrape, one restart, one outlier pages
someone. Any ``for`` above 0 needs two consecutive evaluations (the first makes the alert pending, a later
one, at least ``for`` after it, makes it fire). Prometheus only looks at each evaluation, so a ``for``
shorter than the group's interval still waits a whole interval: the value written is not the delay you
get (checked only for groups that set their ``interval``: the global one is in prometheus.yml, which
lint does not see; ``evaluation_interval`` in policies/lint.yaml is only assumed for the hint).

A constant expression (a dead man's switch, ``vector(1)``) is meant to fire at once and is left alone.

Bad::

    - name: api.alerts
      interval: 1m
      rules:
        - alert: HighErrorRate
          expr: job:errors:ratio5m > 0.05      # no for: fires on one evaluation
        - alert: HighLatency
          expr: job:latency:p99_5m > 0.5
          for: 30s                             # acts as for: 1m

Good::

        - alert: HighErrorRate
          expr: job:errors:ratio5m > 0.05
          for: 5m
"""

from __future__ import annotations

from monitoring.lint.finding import Problem
from monitoring.lint.walk import duration, selectors
from monitoring.model.durations import parse_duration

NAME = "alert-for"
SEVERITY = "warning"
NEEDS_CATALOG = False


def check(ctx):
    for rule in ctx.alerts():
        try:
            held = parse_duration(rule.for_) if rule.for_ and rule.for_ != "0" else 0.0
        except Exception:  # noqa: BLE001 - reported by rule-file
            continue
        if held == 0:
            if not _reads_series(rule):
                continue
            written = f"for: {rule.for_} is the default and can be removed; " if rule.for_ else "no for: "
            yield Problem(
                rule.where,
                f"alert {rule.name}: {written}it fires on the first evaluation that returns a result, "
                "with no second evaluation to confirm it",
                f"add for: {duration(2 * rule.interval)} or longer (group {rule.group!r} is evaluated every "
                f"{duration(rule.interval)}) unless one evaluation is meant to page",
            )
        elif held < rule.interval and rule.interval_given:
            yield Problem(
                rule.where,
                f"alert {rule.name}: for {rule.for_} is shorter than the evaluation interval of group "
                f"{rule.group!r} ({duration(rule.interval)}): the alert only fires on the next evaluation, "
                f"so it acts as for: {duration(rule.interval)}",
                f"write for: {duration(rule.interval)} (what it does), or shorten the group's interval",
            )


def _reads_series(rule) -> bool:
    """A constant (``vector(1)``: a dead man's switch) is meant to fire at once and always."""
    return rule.query is None or rule.query.ast is None or bool(selectors(rule.query.ast))
