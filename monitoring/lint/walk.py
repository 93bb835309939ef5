"""Small helpers over promql-parser ASTs shared by the checks."""

from __future__ import annotations

from collections.abc import Iterator

import promql_parser as pp

from monitoring.promql.parse import selector_name

COUNTER_FUNCTIONS = ("rate", "irate", "increase")


def children(node) -> list:
    if isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr, pp.AggregateExpr)):
        extra = [node.param] if isinstance(node, pp.AggregateExpr) and node.param is not None else []
        return extra + [node.expr]
    if isinstance(node, pp.MatrixSelector):
        return [node.vector_selector]
    if isinstance(node, pp.Call):
        return list(node.args)
    if isinstance(node, pp.BinaryExpr):
        return [node.lhs, node.rhs]
    return []


# Every check walks every query: walk each (sub)tree once. promql-parser returns the same child object at
# each access, and parsed expressions are cached (monitoring.promql.parse), so a node's identity is stable;
# the entry keeps the node alive so that its id cannot be reused.
_WALKED: dict[int, tuple[object, list]] = {}
_WALKED_LIMIT = 50_000  # entries; a bound on memory for large estates (then it starts afresh)


def walk(node) -> list:
    """Every node, depth first, parents before children."""
    entry = _WALKED.get(id(node))
    if entry is not None and entry[0] is node:
        return entry[1]
    nodes, stack = [], [node]
    while stack:
        current = stack.pop()
        nodes.append(current)
        stack.extend(reversed(children(current)))
    if len(_WALKED) >= _WALKED_LIMIT:
        _WALKED.clear()
    _WALKED[id(node)] = (node, nodes)
    return nodes


def calls(node, *names: str) -> Iterator:
    for n in walk(node):
        if isinstance(n, pp.Call) and (not names or n.func.name in names):
            yield n


def selectors(node) -> list:
    return [n for n in walk(node) if isinstance(n, pp.VectorSelector)]


def unwrap(node):
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    return node


def seconds(delta) -> float:
    return delta.total_seconds() if delta is not None else 0.0


def name_of(selector) -> str | None:
    return selector_name(selector)


def matcher_op(matcher) -> str:
    """ "=", "!=", "=~" or "!~"."""
    return {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}[str(matcher.op).rsplit(".", 1)[-1]]


def fmt(labels) -> str:
    return ", ".join(sorted(labels)) or "(none)"


COMPARISONS = ("==", "!=", ">", "<", ">=", "<=")
ARITHMETIC = ("+", "-", "*", "/", "%", "^", "atan2")


def is_filter(node) -> bool:
    """A comparison without ``bool``: it drops the series for which it is false."""
    return isinstance(node, pp.BinaryExpr) and str(node.op) in COMPARISONS and not returns_bool(node)


def returns_bool(node) -> bool:
    return isinstance(node, pp.BinaryExpr) and node.modifier is not None and bool(node.modifier.return_bool)


def duration(seconds: float) -> str:
    """Seconds as Prometheus writes durations: 30s, 5m, 1h, 1h30m, 1m30s (the one formatter, model/durations.py)."""
    from monitoring.model.durations import format_duration

    return format_duration(seconds)


def template_actions(text: str) -> list[str]:
    """The body of every ``{{ ... }}`` action, as ``re.findall(r"\\{\\{(.*?)\\}\\}", text, re.S)`` gives them.

    One pass with str.find: that lazy regex rescans the rest of the text from every unclosed ``{{``
    (quadratic: minutes on a 1 MB annotation).
    """
    bodies, start = [], text.find("{{")
    while start >= 0:
        end = text.find("}}", start + 2)
        if end < 0:
            break
        bodies.append(text[start + 2 : end])
        start = text.find("{{", end + 2)
    return bodies
