"""impossible-label: a matcher, ``by``/``without`` or ``on``/``ignoring`` names a label the series cannot have.

Why: ``{modle="a"}`` selects nothing; ``sum by (modle)`` quietly sums everything into one series;
``on (modle)`` matches nothing. The catalog declares each metric's labels (plus job and instance),
and aggregations remove labels, so we know which labels can reach each point of the expression.
Without the catalog, only labels removed by an aggregation inside the expression are known.

Bad::

    sum by (model) (rate(ab_test_requests_total{status="eror"}[5m]))  # label is model_name
    sum by (job) (sum by (instance) (up))                             # job was aggregated away

Good::

    sum by (model_name) (rate(ab_test_requests_total{status="error"}[5m]))
"""

from __future__ import annotations

import promql_parser as pp

from monitoring.lint.finding import Problem
from monitoring.lint.walk import fmt, matcher_op, name_of
from monitoring.promql.parse import is_scalar

NAME = "impossible-label"
SEVERITY = "error"
NEEDS_CATALOG = False


def check(ctx):
    for query, node in ctx.each():
        if isinstance(node, pp.VectorSelector):
            yield from _matchers(ctx, query, node)
        elif isinstance(node, pp.AggregateExpr) and node.modifier is not None and node.modifier.labels:
            yield from _grouping(ctx, query, node)
        elif isinstance(node, pp.BinaryExpr) and node.modifier is not None:
            yield from _matching(ctx, query, node)


def _matchers(ctx, query, selector):
    possible = ctx.possible(selector)
    if possible is None:
        return
    for matcher in selector.matchers.matchers:
        if matcher.name == "__name__" or matcher.name in possible:
            continue
        op = matcher_op(matcher)
        if op == "=" and matcher.value == "" or op in ("!=", "!~") and matcher.value != "":
            continue  # satisfied by an absent label: pointless but harmless
        yield Problem(
            query.where,
            f"{query.what}: {name_of(selector)} has no label {matcher.name!r}, so "
            f'{{{matcher.name}{op}"{matcher.value}"}} selects nothing',
            f"its labels are: {fmt(possible)}",
        )


def _grouping(ctx, query, node):
    possible = ctx.possible(node.expr)
    if possible is None:
        return
    keyword = "by" if str(node.modifier.type).endswith("By") else "without"
    for label in node.modifier.labels:
        if label not in possible:
            yield Problem(
                query.where,
                f"{query.what}: {node.op} {keyword} ({label}) names a label its input never has",
                f"labels that reach this {node.op}: {fmt(possible)}",
            )


def _matching(ctx, query, node):
    if is_scalar(node.lhs) or is_scalar(node.rhs):
        return
    lhs, rhs = ctx.possible(node.lhs), ctx.possible(node.rhs)
    matching = node.modifier.matching
    if matching is not None and matching.labels and lhs is not None and rhs is not None:
        keyword = "on" if str(matching.type).endswith("Include") else "ignoring"
        for label in matching.labels:
            if label not in lhs and label not in rhs:
                yield Problem(
                    query.where,
                    f"{query.what}: {keyword} ({label}) names a label neither side has",
                    f"left side: {fmt(lhs)}; right side: {fmt(rhs)}",
                )
    card = str(node.modifier.card)
    one_side = rhs if card.endswith("ManyToOne") else lhs if card.endswith("OneToMany") else None
    if one_side is not None:
        keyword = "group_left" if card.endswith("ManyToOne") else "group_right"
        for label in node.modifier.group_labels or ():
            if label not in one_side:
                yield Problem(
                    query.where,
                    f"{query.what}: {keyword} ({label}) copies a label the other side never has",
                    f"labels on that side: {fmt(one_side)}",
                )
