"""template-labels: an alert's labels or annotations use ``$labels.x`` for a label its expression drops.

Why: templates only see the labels of the series the expression returns. After
``sum by (model_name)`` there is no ``instance``, so "{{ $labels.instance }} is down" renders as
" is down" in the page, and a label templated from it routes to nowhere. Nothing fails: the text is
just empty, at three in the morning.

Bad::

    expr: sum by (model_name) (rate(errors_total[5m])) > 1
    summary: "Errors on {{ $labels.instance }}"

Good::

    expr: sum by (model_name, instance) (rate(errors_total[5m])) > 1
    summary: "Errors on {{ $labels.instance }} for model {{ $labels.model_name }}"
"""

from __future__ import annotations

import re

from monitoring.lint.finding import Problem
from monitoring.lint.walk import fmt

NAME = "template-labels"
SEVERITY = "error"
NEEDS_CATALOG = False

_REFERENCES = re.compile(r'(?:\$labels|\.Labels)\.([A-Za-z_][A-Za-z0-9_]*)|index\s+(?:\$labels|\.Labels)\s+"([^"]+)"')


def check(ctx):
    for rule in ctx.alerts(parsed=True):
        used = [
            (key, name, match.group(1) or match.group(2))
            for key, name, text in rule.templates()
            for match in _REFERENCES.finditer(text)
        ]
        possible = ctx.possible(rule.query.ast) if used else None
        if possible is None:
            continue  # nothing used, or a series whose labels we do not know
        for key, name, label in used:
            if label not in possible:
                yield Problem(
                    rule.where,
                    f"alert {rule.name}: {key} {name!r} uses $labels.{label}, but the "
                    f"expression's result never has label {label!r}: it renders empty",
                    f"labels the result can have: {fmt(possible)}; keep {label} in the "
                    "aggregation (by (...)) or drop it from the template",
                )
