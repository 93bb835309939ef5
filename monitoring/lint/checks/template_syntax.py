"""template-syntax: alert labels and annotations must be valid Prometheus (Go) templates.

Why: Prometheus parses every template when it loads the file; an undefined variable such as
``$label`` (for ``$labels``), an unknown function or an unclosed ``{{`` makes the whole file
fail to load (promtool: "undefined variable"), and a typo that slips through shows raw text in the page.

Bad::

    summary: "Instance {{ $label.instance }} down"
    description: "{{ $value | humanise }}"

Good::

    summary: "Instance {{ $labels.instance }} down"
    description: "{{ $value | humanize }}"
"""

from __future__ import annotations

import re

from monitoring.lint.finding import Problem
from monitoring.lint.walk import template_actions

NAME = "template-syntax"
SEVERITY = "error"
NEEDS_CATALOG = False

VARIABLES = {"labels", "value", "externalLabels", "externalURL"}
# Go's text/template keywords and builtins, and Prometheus' template functions (2.x and 3.x).
FUNCTIONS = {
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "template",
    "block",
    "break",
    "continue",
    "nil",
    "true",
    "false",
    "and",
    "or",
    "not",
    "len",
    "index",
    "slice",
    "print",
    "printf",
    "println",
    "html",
    "js",
    "urlquery",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "call",
    "query",
    "first",
    "label",
    "value",
    "strvalue",
    "args",
    "reReplaceAll",
    "safeHtml",
    "match",
    "title",
    "toUpper",
    "toLower",
    "graphLink",
    "tableLink",
    "sortByLabel",
    "stripPort",
    "stripDomain",
    "humanize",
    "humanize1024",
    "humanizeDuration",
    "humanizePercentage",
    "humanizeTimestamp",
    "toTime",
    "toDuration",
    "now",
    "pathPrefix",
    "externalURL",
    "parseDuration",
    "urlQueryEscape",
}
_STRINGS = re.compile(r'"(?:\\.|[^"\\])*+"|`[^`]*+`|\'(?:\\.|[^\'\\])*+\'')
_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_DECLARED = re.compile(r"((?:\$[A-Za-z_][A-Za-z0-9_]*\s*,\s*)?\$[A-Za-z_][A-Za-z0-9_]*)\s*:?=")
_FUNCTION = re.compile(r"(?<![.$\w])([A-Za-z_][A-Za-z0-9_]*)")


def check(ctx):
    for rule in ctx.alerts():
        for key, name, text in rule.templates():
            problem = template_problem(text)
            if problem:
                message, hint = problem
                yield Problem(rule.where, f"alert {rule.name}: {key} {name!r}: {message}", hint)


def _action_bodies(text: str) -> list[str] | None:
    """Every action's body; None when a ``{{`` is not closed (Go's parser also fails on a ``{{`` inside one)."""
    bodies = template_actions(text)
    if text.count("{{") != len(bodies) or any("{{" in body for body in bodies):
        return None
    return bodies


def template_problem(text: str) -> tuple[str, str] | None:
    """(message, hint) for the first mistake in a template, or None."""
    bodies = _action_bodies(text)
    if bodies is None:
        return "an action '{{' is not closed by '}}'", "close every {{ with }}"
    actions = [_STRINGS.sub('""', body) for body in bodies]
    declared = {v for body in actions for m in _DECLARED.finditer(body) for v in _VARIABLE.findall(m.group(1))}
    for body in actions:
        body = body.strip().lstrip("-").rstrip("-")
        if body.startswith("/*"):
            continue  # a comment
        for match in _VARIABLE.finditer(body):
            variable = match.group(1)
            if variable not in VARIABLES and variable not in declared:
                close = (
                    "labels"
                    if variable.lower().startswith("label")
                    else "value"
                    if variable.startswith("val")
                    else None
                )
                return (
                    f"undefined variable ${variable}",
                    f"did you mean ${close}?" if close else f"known variables: ${', $'.join(sorted(VARIABLES))}",
                )
        for match in _FUNCTION.finditer(body):
            if match.group(1) not in FUNCTIONS:
                return (
                    f"function {match.group(1)!r} is not defined",
                    "see https://prometheus.io/docs/prometheus/latest/configuration/template_reference/",
                )
    return None
