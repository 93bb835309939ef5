"""humanize: a ``humanize*`` template function applied to a label instead of ``$value``.

Why: label values are strings. ``humanize``, ``humanize1024``, ``humanizeDuration``,
``humanizePercentage`` and ``humanizeTimestamp`` format numbers: given a label they parse it as a
number first and fail the whole template (the annotation shows an error) when it is not one, for
example after a relabelling. Usually ``$value`` was meant. Informational: a label that always holds a
number works.

Bad::

    summary: "Disk {{ $labels.device }} is {{ $labels.device | humanizePercentage }} full"

Good::

    summary: "Disk {{ $labels.device }} is {{ $value | humanizePercentage }} full"
"""

from __future__ import annotations

import re

from monitoring.lint.finding import Problem
from monitoring.lint.walk import template_actions

NAME = "humanize"
SEVERITY = "info"
NEEDS_CATALOG = False

_LABEL = r"(?:\$labels|\.Labels)\.[A-Za-z_][A-Za-z0-9_]*|index\s+(?:\$labels|\.Labels)\s+\"[^\"]*\""
_FUNCTION = r"humanize(?:1024|Duration|Percentage|Timestamp)?"
_APPLIED = re.compile(rf"({_LABEL})\s*\|\s*({_FUNCTION})\b|\b({_FUNCTION})\s+\(?\s*({_LABEL})")


def check(ctx):
    for rule in ctx.alerts():
        for key, name, text in rule.templates():
            for body in template_actions(text):
                match = _APPLIED.search(body)
                if match:
                    label = match.group(1) or match.group(4)
                    function = match.group(2) or match.group(3)
                    yield Problem(
                        rule.where,
                        f"alert {rule.name}: {key} {name!r} applies {function} to {label}, a label (a string): "
                        "the template fails when it does not hold a number",
                        f"use {{{{ $value | {function} }}}} for the expression's value",
                    )
                    break
