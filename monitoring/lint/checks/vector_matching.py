"""vector-matching: two vectors whose label sets can never match, or a ratio of a series to itself.

Why: a binary operator between two vectors pairs series with identical labels (or the labels
named in ``on``/``ignoring``). If one side always has a label the other never has, nothing pairs
and the result is always empty: the alert can never fire (with ``unless`` nothing is ever removed,
so the result is always the whole left side). The classic error ratio mistake is
subtler: ``rate(x{status="error"}[5m]) / rate(x[5m])`` keeps ``status`` on both sides, so each
error series is divided by itself and the "ratio" is a constant 1 (or empty).

Bad::

    sum by (model_name, status) (rate(requests_total{status="error"}[5m]))
      / sum by (model_name, status) (rate(requests_total[5m]))          # always 1
    sum by (model_name) (rate(errors_total[5m])) / sum by (job) (rate(requests_total[5m]))  # never matches

Good::

    sum by (model_name) (rate(requests_total{status="error"}[5m]))
      / sum by (model_name) (rate(requests_total[5m]))
"""

from __future__ import annotations

import promql_parser as pp

from monitoring.lint.finding import Problem
from monitoring.lint.walk import fmt, matcher_op, name_of, selectors
from monitoring.promql.parse import is_scalar

NAME = "vector-matching"
SEVERITY = "error"
NEEDS_CATALOG = False

_HINT = "aggregate both sides to the same labels (sum by (...)), or say what to match with on (...) / ignoring (...)"


def check(ctx):
    for query, node in ctx.each():
        if not isinstance(node, pp.BinaryExpr) or str(node.op) == "or":
            continue
        if is_scalar(node.lhs) or is_scalar(node.rhs):
            continue
        problem = _cannot_match(ctx, node) or (_self_ratio(ctx, node) if str(node.op) == "/" else None)
        if problem:
            message, hint = problem
            yield Problem(query.where, f"{query.what}: {message}", hint)


def _matching(node):
    """("on", labels), ("ignoring", labels) or ("all", ()) for the default one-to-one matching."""
    matching = node.modifier.matching if node.modifier is not None else None
    if matching is None:
        return "all", frozenset()
    return ("on" if str(matching.type).endswith("Include") else "ignoring"), frozenset(matching.labels)


def _cannot_match(ctx, node):
    kind, labels = _matching(node)
    always_l, always_r = ctx.guaranteed(node.lhs), ctx.guaranteed(node.rhs)
    maybe_l, maybe_r = ctx.possible(node.lhs), ctx.possible(node.rhs)
    if kind == "on":
        always_l, always_r = always_l & labels, always_r & labels
    else:
        always_l, always_r = always_l - labels, always_r - labels
    only_left = always_l - maybe_r if maybe_r is not None else frozenset()
    only_right = always_r - maybe_l if maybe_l is not None else frozenset()
    if only_left or only_right:
        side, missing = ("left", only_left) if only_left else ("right", only_right)
        other = "right" if side == "left" else "left"
        return (
            f"the two sides of '{node.op}' can never match: the {side} side always has {fmt(missing)}, "
            f"the {other} side never does, so {_outcome(node)}",
            _HINT,
        )
    conflict = _conflicting_values(ctx, node, kind, labels)
    if conflict:
        return conflict, _HINT
    return None


def _outcome(node) -> str:
    """What a binary operation whose sides never match returns."""
    if str(node.op) == "unless":
        return "'unless' never removes anything: the result is always the whole left side"
    return "the result is always empty"


def _pinned(selector) -> dict[str, str]:
    """Labels a selector fixes to one value with '='."""
    return {
        m.name: m.value for m in selector.matchers.matchers if m.name != "__name__" and matcher_op(m) == "=" and m.value
    }


def _kept(ctx, node, label, kind, labels) -> bool:
    """Does ``label`` reach the matching from ``node`` and take part in it?"""
    possible = ctx.possible(node)
    reaches = possible is None or label in possible
    compared = label in labels if kind == "on" else label not in labels
    return reaches and compared


def _single_selector(node):
    found = selectors(node)
    return found[0] if len(found) == 1 else None


def _conflicting_values(ctx, node, kind, labels):
    left, right = _single_selector(node.lhs), _single_selector(node.rhs)
    if left is None or right is None:
        return None
    pinned_l, pinned_r = _pinned(left), _pinned(right)
    for label in sorted(set(pinned_l) & set(pinned_r)):
        if (
            pinned_l[label] != pinned_r[label]
            and _kept(ctx, node.lhs, label, kind, labels)
            and _kept(ctx, node.rhs, label, kind, labels)
        ):
            return (
                f"the two sides of '{node.op}' can never match: the left side keeps {label}="
                f"{pinned_l[label]!r} and the right side {label}={pinned_r[label]!r}, "
                f"so {_outcome(node)}"
            )
    return None


def _self_ratio(ctx, node):
    kind, labels = _matching(node)
    left, right = _single_selector(node.lhs), _single_selector(node.rhs)
    if left is None or right is None or name_of(left) is None or name_of(left) != name_of(right):
        return None
    filters_r = {(m.name, matcher_op(m), m.value) for m in right.matchers.matchers}
    for matcher in left.matchers.matchers:
        op = matcher_op(matcher)
        if matcher.name == "__name__" or op not in ("=", "=~") or (matcher.name, op, matcher.value) in filters_r:
            continue
        if _kept(ctx, node.lhs, matcher.name, kind, labels) and _kept(ctx, node.rhs, matcher.name, kind, labels):
            return (
                f"this ratio is always 1: the numerator keeps {matcher.name}{op}{matcher.value!r}, and one-to-one "
                f"matching pairs each of its series with the same series of {name_of(right)!r} in the denominator",
                f"aggregate {matcher.name} away on both sides, e.g. sum by (...) (rate(x{{{matcher.name}"
                f'{op}"{matcher.value}"}}[5m])) / sum by (...) (rate(x[5m]))',
            )
    return None
