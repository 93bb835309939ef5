"""value-in-labels: an alert label that changes at every evaluation (``$value``, ``.Value``, ``query``).

Why: an alert is identified by its labels. A label templated from the value makes a new alert at every
evaluation where the value changes: the old one resolves, the new one starts ``for`` again from zero (so
with ``for`` it may never fire), and Alertmanager sends a resolve and a new page each time. Put the
value in an annotation, which is not part of the alert's identity.

Bad::

    labels:
      severity: warning
      current: "{{ $value }}"

Good::

    labels:
      severity: warning
    annotations:
      summary: "Error ratio is {{ $value | humanizePercentage }}"
"""

from __future__ import annotations

import re

from monitoring.lint.finding import Problem
from monitoring.lint.walk import template_actions

NAME = "value-in-labels"
SEVERITY = "warning"
NEEDS_CATALOG = False

_CHANGING = re.compile(r"\$value\b|(?<![\w$])\.Value\b|(?<![\w$.])(query|now)\b")


def check(ctx):
    for rule in ctx.alerts():
        for label, text in rule.labels.items():
            found = next((m for body in template_actions(text) for m in _CHANGING.finditer(body)), None)
            if found:
                yield Problem(
                    rule.where,
                    f"alert {rule.name}: label {label!r} uses {found.group(0)}, which changes between evaluations: "
                    "each new value is a new alert (the old one resolves, for restarts from zero)",
                    "move it to an annotation; labels must stay the same while the alert is firing",
                )
