"""Which labels an expression's result series are guaranteed to carry, from the catalog alone.

Used wherever we must know an alert's label set without running Prometheus: routing tests
(which receiver gets each alert), generated promtool expectations and lint checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import promql_parser as pp

from monitoring.model import Stack
from monitoring.promql.parse import is_scalar, parse, selector_name

# Labels Prometheus attaches to every scraped series.
TARGET_LABELS = frozenset({"job", "instance"})
# Functions whose result does not keep the argument's labels.
_LABELLESS_FUNCS = {
    "vector",
    "scalar",
    "time",
    "pi",
    "absent",
    "absent_over_time",
    "day_of_month",
    "day_of_week",
    "days_in_month",
    "hour",
    "minute",
    "month",
    "year",
}


def result_labels(expr, stack: Stack, _depth: int = 0) -> frozenset[str]:
    """Labels every result series of ``expr`` carries (its metric name aside)."""
    ast = parse(str(expr)) if not isinstance(expr, pp.Expr) else expr
    return _labels(ast, stack, _depth)


def _labels(node, stack: Stack, depth: int) -> frozenset[str]:
    if isinstance(node, pp.ParenExpr) or isinstance(node, pp.UnaryExpr) or isinstance(node, pp.SubqueryExpr):
        return _labels(node.expr, stack, depth)
    if isinstance(node, pp.MatrixSelector):
        return _labels(node.vector_selector, stack, depth)
    if isinstance(node, pp.VectorSelector):
        return _selector_labels(node, stack, depth)
    if isinstance(node, (pp.NumberLiteral, pp.StringLiteral)):
        return frozenset()
    if isinstance(node, pp.Call):
        name = node.func.name
        if name in _LABELLESS_FUNCS:
            return frozenset()
        vectors = [a for a in node.args if not isinstance(a, (pp.NumberLiteral, pp.StringLiteral))]
        inner = (
            _labels(vectors[-1] if name == "histogram_quantile" else vectors[0], stack, depth)
            if vectors
            else frozenset()
        )
        if name == "histogram_quantile":
            return inner - {"le"}
        if name in ("label_replace", "label_join"):
            return inner | {node.args[1].val if hasattr(node.args[1], "val") else str(node.args[1])}
        return inner
    if isinstance(node, pp.AggregateExpr):
        return _aggregated(node, _labels(node.expr, stack, depth), listed_exist=True)
    if isinstance(node, pp.BinaryExpr):
        return _binary_labels(node, stack, depth)
    return frozenset()


def _binary_labels(node, stack: Stack, depth: int) -> frozenset[str]:
    lhs = _labels(node.lhs, stack, depth)
    rhs = _labels(node.rhs, stack, depth)
    if (scalar := _with_a_scalar(node, lhs, rhs)) is not _VECTORS:
        return scalar
    op, modifier = str(node.op), node.modifier
    if op == "or":
        return lhs & rhs
    if op in ("and", "unless"):
        return lhs
    matching = modifier.matching if modifier is not None else None
    card = str(modifier.card) if modifier is not None else "OneToOne"
    include = frozenset(modifier.group_labels or ()) if modifier is not None and modifier.group_labels else frozenset()
    if card.endswith("ManyToOne"):
        return lhs | include
    if card.endswith("OneToMany"):
        return rhs | include
    if matching is not None and str(matching.type).endswith("Include"):  # on(...)
        return lhs & frozenset(matching.labels)
    if matching is not None:  # ignoring(...)
        return lhs - set(matching.labels)
    return lhs


def _selector_labels(selector, stack: Stack, depth: int) -> frozenset[str]:
    name = selector_name(selector)
    entry = stack.series_catalog().get(name) if name else None
    if entry is None or getattr(entry, "external", False):  # unknown, or an exporter's labels as far as seen
        return present_by_matchers(selector)
    if hasattr(entry, "label_names"):  # a Metric
        extra = {"le"} if name.endswith("_bucket") else set()
        return frozenset(entry.label_names) | TARGET_LABELS | extra
    if depth > 20:  # recording rules referencing each other in a cycle
        return frozenset()
    return result_labels(entry.text, stack, depth + 1) | {k for k, _ in entry.labels}


def present_by_matchers(selector) -> frozenset[str]:
    """Labels a selector's matchers force to be present: a="x", a=~"x.+", a!="" (but not a="", a=~".*")."""
    import re

    present = set()
    for m in selector.matchers.matchers:
        op = str(m.op)
        if m.name == "__name__":
            continue
        if op.endswith(".Equal") and m.value or op.endswith(".NotEqual") and not m.value:
            present.add(m.name)
        elif op.endswith(".Re"):
            try:
                if not re.fullmatch(m.value, ""):
                    present.add(m.name)
            except re.error:  # RE2 syntax Python lacks: claim nothing
                pass
    return frozenset(present)


# Series names whose labels are not known (outside the catalog): None, meaning "any label".
Records = Mapping[str, Sequence[tuple[str, frozenset[str]]]]


def possible_labels(
    expr, stack: Stack | None = None, records: Records | None = None, _depth: int = 0
) -> frozenset[str] | None:
    """Labels result series of ``expr`` may carry; None when that is unknown (a series we do not know).

    The counterpart of ``result_labels`` (labels always there): a label outside this set can never be
    on the result, so matching, grouping or templating on it is a mistake. ``records`` adds recorded
    series known outside a Stack (rule files): name -> [(expr, static label names), ...].
    """
    ast = parse(str(expr)) if not isinstance(expr, pp.Expr) else expr
    return _possible(ast, stack, records or {}, _depth)


_VECTORS = object()  # both sides of a binary operation are vectors


def _with_a_scalar(node, lhs, rhs):
    """The labels of a binary operation with a scalar side: the vector side's (none for two scalars);
    _VECTORS when both sides are vectors."""
    lhs_scalar, rhs_scalar = is_scalar(node.lhs), is_scalar(node.rhs)
    if lhs_scalar and rhs_scalar:
        return frozenset()
    if rhs_scalar or lhs_scalar:
        return lhs if rhs_scalar else rhs
    return _VECTORS


def _aggregated(node, inner: frozenset | None, listed_exist: bool) -> frozenset | None:
    """The labels an aggregation keeps, from its input's (None: unknown). ``listed_exist``: a ``by`` label
    counts as present (result_labels); otherwise only where the input may carry it (possible_labels)."""
    op = str(node.op)
    if op in ("topk", "bottomk", "limitk", "limit_ratio"):
        return inner
    modifier = node.modifier
    if modifier is None:
        base = frozenset()
    elif str(modifier.type).endswith("By"):
        base = frozenset(modifier.labels)
        if not listed_exist and inner is not None:
            base &= inner
    else:
        base = None if inner is None else inner - set(modifier.labels)
    if op == "count_values" and hasattr(node.param, "val"):
        base = _union(base, {node.param.val})
    return base


def _union(*sets):
    return None if any(s is None for s in sets) else frozenset().union(*sets)


def _possible(node, stack, records, depth):  # noqa: C901 - one branch per node type, as in _labels
    if isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
        return _possible(node.expr, stack, records, depth)
    if isinstance(node, pp.MatrixSelector):
        return _possible(node.vector_selector, stack, records, depth)
    if isinstance(node, pp.VectorSelector):
        return _selector_possible(node, stack, records, depth)
    if isinstance(node, (pp.NumberLiteral, pp.StringLiteral)):
        return frozenset()
    if isinstance(node, pp.Call):
        name = node.func.name
        if name in ("absent", "absent_over_time"):  # the equality matchers' labels, nothing else
            arg = node.args[0] if node.args else None
            arg = arg.vector_selector if isinstance(arg, pp.MatrixSelector) else arg
            return (
                frozenset(
                    m.name for m in arg.matchers.matchers if str(m.op).endswith(".Equal") and m.name != "__name__"
                )
                if isinstance(arg, pp.VectorSelector)
                else frozenset()
            )
        if name in _LABELLESS_FUNCS:
            return frozenset()
        vectors = [a for a in node.args if not isinstance(a, (pp.NumberLiteral, pp.StringLiteral))]
        if not vectors:
            return frozenset()
        inner = _possible(vectors[-1] if name == "histogram_quantile" else vectors[0], stack, records, depth)
        if name == "histogram_quantile":
            return None if inner is None else inner - {"le"}
        if name in ("label_replace", "label_join"):
            return _union(inner, {node.args[1].val})
        return inner
    if isinstance(node, pp.AggregateExpr):
        return _aggregated(node, _possible(node.expr, stack, records, depth), listed_exist=False)
    if isinstance(node, pp.BinaryExpr):
        return _binary_possible(node, stack, records, depth)
    return None


def _binary_possible(node, stack, records, depth):
    lhs = _possible(node.lhs, stack, records, depth)
    rhs = _possible(node.rhs, stack, records, depth)
    if (scalar := _with_a_scalar(node, lhs, rhs)) is not _VECTORS:
        return scalar
    op, modifier = str(node.op), node.modifier
    if op == "or":
        return _union(lhs, rhs)
    if op in ("and", "unless"):
        return lhs
    matching = modifier.matching if modifier is not None else None
    card = str(modifier.card) if modifier is not None else "OneToOne"
    include = frozenset(modifier.group_labels or ()) if modifier is not None else frozenset()
    if card.endswith("ManyToOne"):
        return _union(lhs, include)
    if card.endswith("OneToMany"):
        return _union(rhs, include)
    if matching is not None and str(matching.type).endswith("Include"):  # on(...)
        return frozenset(matching.labels) if lhs is None else lhs & frozenset(matching.labels)
    if matching is not None:  # ignoring(...)
        return None if lhs is None else lhs - set(matching.labels)
    return lhs


def _selector_possible(selector, stack, records, depth):
    name = selector_name(selector)
    if name is None or depth > 20:
        return None
    entry = stack.series_catalog().get(name) if stack is not None else None
    if getattr(entry, "external", False):  # an exporter's metric: its declared labels are those seen, not all
        return None
    if entry is not None and hasattr(entry, "label_names"):  # a Metric
        extra = {"le"} if name.endswith("_bucket") else set()
        if name == entry.name and str(entry.type.value) == "summary":
            extra.add("quantile")
        return frozenset(entry.label_names) | TARGET_LABELS | extra
    if entry is not None:  # a recording rule of the stack
        return _union(possible_labels(entry.text, stack, records, depth + 1), {k for k, _ in entry.labels})
    if name in records:
        memo = getattr(records, "memo", None)  # records that carry a memo (lint's) resolve each name once
        if memo is not None and name in memo:
            return memo[name]
        found = _union(
            *(_union(possible_labels(text, stack, records, depth + 1), static) for text, static in records[name])
        )
        if memo is not None and depth == 0:  # deeper results may be cut short by the depth limit
            memo[name] = found
        return found
    return None


def label_values(stack: Stack) -> dict[str, tuple[str, ...]]:
    """Known values of each label, from the Label objects of the catalog."""
    values: dict[str, tuple[str, ...]] = {}
    for metric in stack.metrics:
        for label in metric.labels:
            if label.values:
                values[label.name] = tuple(dict.fromkeys(values.get(label.name, ()) + label.values))
    return values
