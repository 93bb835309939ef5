"""duplicate-rule: two alerts with the same name and labels, or two recording rules writing the same series.

Why: Prometheus evaluates both. Two recording rules recording the same name with the same labels write
the same series: when their results overlap, one sample is dropped at every evaluation (logged as
"duplicate sample for timestamp") and the series flips between the two definitions. Two alerting rules
with the same name and labels produce the same alert: Alertmanager merges them, so two rules firing look
like one, and their ``ALERTS_FOR_STATE`` series overwrite each other. A later edit to one copy silently
leaves the other behind. promtool reports these within a file; this check also compares the files of one
folder linted together (a Prometheus loads its rule files by folder, ``rule_files: [rules/*.yml]``), and says
whether the expressions are identical. Files in different folders are not compared: there the same rules are
copies for another server or environment (a vendored mixin beside its extracted copy, one folder per
environment), which 438 of 457 cross-file findings on the corpus were.
Rules that select different values of a label their results keep (``code=~"2.."`` and ``code=~"5.."``
under ``sum by (code)``) write different series and are not reported.

Bad::

    - record: job:http_errors:rate5m
      expr: sum by (job) (rate(http_errors_total[5m]))
    - record: job:http_errors:rate5m          # again, in this group or another loaded file
      expr: sum by (job) (rate(http_errors_total[5m]))

Good::

    - record: job:http_errors:rate5m          # once; or tell them apart with a label
      expr: sum by (job) (rate(http_errors_total[5m]))
"""

from __future__ import annotations

import os
import re

from monitoring.lint.finding import Problem
from monitoring.lint.walk import matcher_op, selectors

NAME = "duplicate-rule"
SEVERITY = "warning"
NEEDS_CATALOG = False


def check(ctx):
    earlier_rules: dict[tuple, list] = {}
    for rule in ctx.rules:
        key = (rule.kind, rule.name, frozenset(rule.labels.items()), _folder(rule))
        candidates = [r for r in earlier_rules.setdefault(key, []) if not _disjoint(ctx, r, rule)]
        earlier_rules[key].append(rule)
        if not candidates:
            continue
        same_file = [r for r in candidates if _file(r) == _file(rule)]
        earlier = (same_file or candidates)[0]
        same = "an identical expression" if _normal(earlier) == _normal(rule) else "a different expression"
        place = "in the same group" if earlier.group_where == rule.group_where else f"in group {earlier.group!r}"
        if rule.kind == "alert":
            message = (
                f"alert {rule.name}: an alert with the same name and labels is defined at {earlier.where} "
                f"({place}, {same}): both produce the same alert, which Alertmanager merges into one"
            )
            hint = "remove one, or give them different labels (e.g. severity) if both are meant"
        else:
            message = (
                f"recording rule {rule.name!r}: the same series (name and labels) is recorded at {earlier.where} "
                f"({place}, {same}): where their results overlap, Prometheus drops one sample per evaluation"
            )
            hint = "remove one, or add a label that tells the two series apart"
        yield Problem(rule.where, message, hint)


def _file(rule) -> str:
    return rule.where.file


def _folder(rule) -> str:
    return os.path.dirname(os.path.abspath(rule.where.file)) if rule.where.file else ""


def _normal(rule) -> str:
    """The expression as the parser prints it (spacing and parentheses aside), or its text."""
    ast = rule.query.ast if rule.query is not None else None
    return str(ast) if ast is not None else rule.expr.strip()


def _disjoint(ctx, a, b) -> bool:
    """Do the two expressions select disjoint values of a label both results keep (code=~"2.." and
    code=~"5.." under sum by (code))? Then they write different series and are not duplicates."""
    ast_a = a.query.ast if a.query is not None else None
    ast_b = b.query.ast if b.query is not None else None
    if ast_a is None or ast_b is None:
        return False
    values_a, values_b = _pinned(ast_a), _pinned(ast_b)
    for label in set(values_a) & set(values_b):
        if not _never_equal(values_a[label], values_b[label]):
            continue
        kept_a, kept_b = ctx.possible(ast_a), ctx.possible(ast_b)
        if (kept_a is None or label in kept_a) and (kept_b is None or label in kept_b):
            return True
    return False


def _pinned(ast) -> dict[str, tuple[str, str]]:
    """label -> (op, value) for the '=' and '=~' matchers of an expression's only selector."""
    found = selectors(ast)
    if len(found) != 1:
        return {}
    return {
        m.name: (matcher_op(m), m.value)
        for m in found[0].matchers.matchers
        if m.name != "__name__" and matcher_op(m) in ("=", "=~")
    }


def _never_equal(a: tuple[str, str], b: tuple[str, str]) -> bool:
    (op_a, value_a), (op_b, value_b) = a, b
    if op_a == op_b == "=":
        return value_a != value_b
    if "=" in (op_a, op_b) and op_a != op_b:
        literal, pattern = (value_a, value_b) if op_a == "=" else (value_b, value_a)
        try:
            return re.fullmatch(pattern, literal) is None
        except re.error:
            return False
    prefix_a, prefix_b = _prefix(value_a), _prefix(value_b)
    return not (prefix_a.startswith(prefix_b) or prefix_b.startswith(prefix_a))


def _prefix(pattern: str) -> str:
    """The literal characters a regex must start with (none if it has alternatives)."""
    if "|" in pattern:
        return ""
    out = []
    for char in pattern:
        if char in ".[](){}*+?^$\\":
            break
        out.append(char)
    return "".join(out)
