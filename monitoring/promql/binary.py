"""Binary operators as Prometheus 2.42 applies them (engine.go: scalarBinop, vectorElemBinop, VectorBinop,
VectorscalarBinop, VectorAnd/Or/Unless, resultMetric)."""

from __future__ import annotations

import math
from functools import lru_cache

from monitoring.promql.gomath import divide, go_mod, go_pow
from monitoring.promql.values import Labels, QueryError, check_unique, drop_name, labels_of

COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})
# shouldDropMetricName: arithmetic drops __name__; comparisons and atan2 keep it.
_DROPS_NAME = frozenset({"+", "-", "*", "/", "^", "%"})

ARITHMETIC = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": divide,
    "^": go_pow,
    "%": go_mod,
    "atan2": lambda a, b: math.atan2(a, b),
}
COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
}


def scalar_scalar(op: str, a: float, b: float) -> float:
    if op in COMPARE:
        return 1.0 if COMPARE[op](a, b) else 0.0
    return ARITHMETIC[op](a, b)


def vector_scalar(op: str, vector, scalar: float, return_bool: bool, scalar_left: bool):
    """VectorscalarBinop: comparisons filter (or give 0/1 with bool) and keep the vector's value."""
    out = []
    compare = COMPARE.get(op)
    if compare is not None:
        for labels, value in vector:
            keep = compare(scalar, value) if scalar_left else compare(value, scalar)
            if return_bool:
                out.append((drop_name(labels), 1.0 if keep else 0.0))  # (checked by the caller)
            elif keep:
                out.append((labels, value))
        return out
    fn = ARITHMETIC[op]
    drops = op in _DROPS_NAME
    renamed = False
    for labels, value in vector:
        result = fn(scalar, value) if scalar_left else fn(value, scalar)
        if drops:
            dropped = drop_name(labels)
            renamed = renamed or len(dropped) != len(labels)
            labels = dropped
        out.append((labels, result))
    # Only dropping __name__ can make two results alike (2.42 then fails the query).
    return check_unique(out, f"operator {op}") if renamed else out


class Matching:
    """What a binary expression's modifier says, read once per node."""

    __slots__ = ("card", "on", "labels", "include", "return_bool")

    def __init__(self, modifier):
        self.return_bool = bool(modifier is not None and modifier.return_bool)
        self.card = str(modifier.card).rsplit(".", 1)[-1] if modifier is not None else "OneToOne"
        matching = modifier.matching if modifier is not None else None
        self.on = matching is not None and str(matching.type).endswith("Include")
        self.labels = frozenset(matching.labels) if matching is not None else frozenset()
        self.include = tuple(modifier.group_labels or ()) if modifier is not None else ()


@lru_cache(maxsize=1 << 16)
def signature(labels: Labels, on: bool, names: frozenset) -> Labels:
    if on:
        return tuple((k, v) for k, v in labels if k in names)
    return tuple((k, v) for k, v in labels if k not in names and k != "__name__")


def set_operation(op: str, lhs, rhs, m: Matching):
    if op == "and":
        if not lhs or not rhs:
            return []
        right = {signature(l, m.on, m.labels) for l, _ in rhs}
        return [s for s in lhs if signature(s[0], m.on, m.labels) in right]
    if op == "unless":
        if not lhs or not rhs:
            return list(lhs)
        right = {signature(l, m.on, m.labels) for l, _ in rhs}
        return [s for s in lhs if signature(s[0], m.on, m.labels) not in right]
    if not lhs:
        return list(rhs)
    if not rhs:
        return list(lhs)
    left = {signature(l, m.on, m.labels) for l, _ in lhs}
    return list(lhs) + [s for s in rhs if signature(s[0], m.on, m.labels) not in left]


def vector_vector(op: str, lhs, rhs, m: Matching):
    """VectorBinop: one-to-one, many-to-one (group_left) or one-to-many (group_right, sides swapped)."""
    if not lhs or not rhs:
        return []
    swapped = m.card == "OneToMany"
    if swapped:
        lhs, rhs = rhs, lhs
    right: dict[Labels, tuple] = {}
    for sample in rhs:
        sig = signature(sample[0], m.on, m.labels)
        if sig in right:
            side = "left" if swapped else "right"
            raise QueryError(
                f"found duplicate series for the match group {dict(sig)} on the {side} hand-side of the operation; "
                "many-to-many matching not allowed: matching labels must be unique on one side"
            )
        right[sig] = sample
    compare = COMPARE.get(op)
    fn = ARITHMETIC.get(op)
    one_to_one = m.card == "OneToOne"
    matched: dict[Labels, set | None] = {}
    out = []
    for llabels, lvalue in lhs:
        sig = signature(llabels, m.on, m.labels)
        found = right.get(sig)
        if found is None:
            continue
        rlabels, rvalue = found
        vl, vr = (rvalue, lvalue) if swapped else (lvalue, rvalue)
        if compare is not None:
            keep = compare(vl, vr)
            value = vl
        else:
            keep, value = True, fn(vl, vr)
        if m.return_bool:
            value = 1.0 if keep else 0.0
        elif not keep:
            continue
        metric = result_metric(llabels, rlabels, op, m.card, m.on, m.labels, m.include)
        if m.return_bool:
            metric = drop_name(metric)
        if one_to_one:
            if sig in matched:
                raise QueryError(
                    "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"
                )
            matched[sig] = None
        else:
            inserted = matched.get(sig)
            if inserted is None:
                inserted = matched[sig] = set()
            elif metric in inserted:
                raise QueryError("multiple matches for labels: grouping labels must ensure unique matches")
            inserted.add(metric)
        out.append((metric, value))
    return out


@lru_cache(maxsize=1 << 16)
def result_metric(lhs: Labels, rhs: Labels, op: str, card: str, on: bool, names: frozenset, include: tuple) -> Labels:
    mapping = dict(lhs)
    if op in _DROPS_NAME:
        mapping.pop("__name__", None)
    if card == "OneToOne":
        if on:
            mapping = {k: v for k, v in mapping.items() if k in names}
        else:
            for name in names:
                mapping.pop(name, None)
    if include:
        one_side = dict(rhs)
        for name in include:
            value = one_side.get(name, "")
            if value:
                mapping[name] = value
            else:
                mapping.pop(name, None)
    return labels_of(mapping)
