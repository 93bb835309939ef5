"""alert-metadata: every alert carries a ``severity`` label the policies allow, a ``summary`` and a ``runbook_url``.

Why: Alertmanager routes on ``severity`` (a missing or misspelt one falls through to the default
receiver, or pages nobody); the summary is the first line the on-call engineer reads; the runbook
says what to do. Allowed severities come from ``severities`` in policies/lint.yaml.

Bad::

    - alert: HighErrorRate
      expr: job:errors:ratio5m > 0.05
      labels: {severity: page}            # not one of critical, warning, info

Good::

    - alert: HighErrorRate
      expr: job:errors:ratio5m > 0.05
      labels: {severity: critical}
      annotations:
        summary: "Job {{ $labels.job }} fails over 5% of requests."
        runbook_url: https://runbooks.example.com/high-error-rate
"""

from __future__ import annotations

from monitoring.lint.finding import Problem

NAME = "alert-metadata"
SEVERITY = "error"
NEEDS_CATALOG = False


def check(ctx):
    allowed = ctx.config.severities
    for rule in ctx.alerts():
        severity = rule.labels.get("severity", "").strip()
        if not severity:
            yield Problem(
                rule.where,
                f"alert {rule.name} has no severity label",
                f"set labels.severity to one of: {', '.join(allowed)}"
                + (" (Alert(..., severity=...))" if ctx.stack is not None else ""),
            )
        elif "{{" not in severity and severity not in allowed:
            yield Problem(
                rule.where,
                f"alert {rule.name}: severity {severity!r} is not allowed by the policies",
                f"use one of: {', '.join(allowed)} (severities in policies/lint.yaml)",
            )
        if not rule.annotations.get("summary", "").strip():
            yield Problem(
                rule.where,
                f"alert {rule.name} has no summary annotation",
                "add annotations.summary: one line saying what is wrong",
            )
        if not rule.annotations.get("runbook_url", "").strip():
            yield Problem(
                rule.where,
                f"alert {rule.name} has no runbook_url annotation",
                "set Stack(runbook_base_url=...)"
                if ctx.stack is not None
                else "add annotations.runbook_url: a link saying what to do",
            )
