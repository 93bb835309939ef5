"""regexp: a regex matcher with redundant anchors, one that is a plain string, or one that matches everything.

Why: Prometheus anchors every regex matcher at both ends, so ``=~"^api$"`` is ``=~"^^api$$"``: the anchors
do nothing and suggest the author expected a substring match elsewhere. A regex with no special characters
is an equality: ``=`` and ``!=`` say so, and are cheaper to evaluate. ``=~".*"`` matches every series
(also those without the label): the matcher filters nothing; ``!~".*"`` matches no series at all, so the
selector is always empty. Grafana variables (``=~"$model"``) are left alone: they expand to alternatives.

Bad::

    rate(http_requests_total{job=~"^api$"}[5m])
    rate(http_requests_total{job=~"api"}[5m])
    rate(http_requests_total{job="api", instance=~".*"}[5m])

Good::

    rate(http_requests_total{job="api"}[5m])
    rate(http_requests_total{job=~"api|web"}[5m])
"""

from __future__ import annotations

from monitoring.lint.finding import Problem
from monitoring.lint.walk import matcher_op, selectors

NAME = "regexp"
SEVERITY = "warning"
NEEDS_CATALOG = False

_META = set(".[](){}*+?|^$")
_EVERYTHING = {".*", "(.*)", "(?:.*)", ".*.*"}


def check(ctx):
    for query in ctx.parsed:
        seen = set()
        for selector in selectors(query.ast):
            for matcher in selector.matchers.matchers:
                op = matcher_op(matcher)
                if op not in ("=~", "!~") or "__var_" in matcher.value:
                    continue
                problem = regex_problem(matcher.name, op, matcher.value)
                if problem and problem not in seen:
                    seen.add(problem)
                    yield Problem(query.where, f"{query.what}: {problem[0]}", problem[1])


def regex_problem(label: str, op: str, value: str) -> tuple[str, str] | None:
    """(message, hint) for one regex matcher, or None."""
    shown = f'{label}{op}"{value}"'
    core = _strip_anchors(value)
    if core in _EVERYTHING:
        if op == "=~":
            return f"{shown} matches every series, with or without {label}: it filters nothing", "remove the matcher"
        return (
            f"{shown} matches no series at all: the selector is always empty",
            f'to select series without {label} write {label}=""',
        )
    literal = _literal(core)
    if literal is not None:
        equal = "=" if op == "=~" else "!="
        return (
            f"{shown} is a plain string, not a pattern",
            f'write {label}{equal}"{literal}" (an exact match, cheaper than a regex)',
        )
    if core != value:
        return (
            f"{shown} has redundant anchors: Prometheus anchors every regex at both ends",
            f'write {label}{op}"{core}"',
        )
    return None


def _strip_anchors(value: str) -> str:
    core = value[1:] if value.startswith("^") else value
    if core.endswith("$") and not _escaped(core, len(core) - 1):
        core = core[:-1]
    return core


def _escaped(text: str, index: int) -> bool:
    """Is the character at ``index`` preceded by an odd number of backslashes?"""
    count = 0
    while index - count - 1 >= 0 and text[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _literal(pattern: str) -> str | None:
    """The string a regex matches when it is only literal characters (escaped punctuation included)."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 >= len(pattern) or pattern[i + 1].isalnum():
                return None  # \d, \w, \b, ...: a class or an assertion
            out.append(pattern[i + 1])
            i += 2
            continue
        if char in _META:
            return None
        out.append(char)
        i += 1
    return "".join(out)
