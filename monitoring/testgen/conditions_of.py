"""An alert expression as written in a rule file -> the model's condition the case generator drives.

Existing rule files write conditions as PromQL, not as thresholds: ``signal > 0.05``, ``up == 0``,
``x < 10 or x > 90``, ``(a > 1) and on (job) (b < 2)``, ``absent(up{job="api"})``. Each is recognised here:

- ``signal <op> number`` (any comparator, the number possibly a constant expression such as ``1024 ^ 3``):
  a Condition on a threshold step at that number;
- ``a <op> b`` (two series): ``a - b <op> 0``, the same series fire (the value reported is read from the
  source by the case generator);
- ``signal < low or signal > high`` (either order): a Band; ``A or B`` of two other comparisons: a Compound;
- ``A and B`` / ``A unless B`` (optionally ``on (...)``): a Compound when both sides are comparisons; when
  the right side is a plain filter (no comparison), ``(signal op n) and B`` is the same alert as
  ``(signal and B) op n``, which is one Condition over a filtered signal;
- ``absent(selector)``: Absent.

Anything else raises NotAutomatic with the reason, for the caller to list. A recognised condition renders to
the same expression tree as the source (checked), except the rewrites above, which are equivalent.
"""

from __future__ import annotations

import math

import promql_parser as pp

from monitoring.errors import DefinitionError
from monitoring.model.conditions import Absent, Band, Compound, Condition, format_number
from monitoring.model.threshold import Step, Threshold
from monitoring.promql.parse import selectors

COMPARATORS = ("<", "<=", ">", ">=", "==", "!=")


class NotAutomatic(Exception):
    """The expression is not a condition the generator can drive; ``category`` groups the reasons."""

    def __init__(self, category: str, detail: str = ""):
        super().__init__(f"{category}: {detail}" if detail else category)
        self.category = category


def condition_of(expr: str, name: str = "alert"):
    """The model condition for an alert expression (Condition, Band, Compound or Absent)."""
    return read_condition(expr, name)[0]


def read_condition(expr: str, name: str = "alert") -> tuple[object, bool]:
    """(the model condition, whether its expression is a rewrite of the source: an equivalent alert whose
    signal differs, so the value it reports must be read from the source expression)."""
    root = _strip(pp.parse(expr))
    condition, rewritten = _unwrap(_condition(root, name))
    if not rewritten and _tree(condition.expr) != _tree(expr):
        raise NotAutomatic("not recognised as a condition", f"`{condition.expr}` would not be the same expression")
    return condition, rewritten


class _Rewritten:
    """A condition written differently from the source but equivalent to it (a filter moved inside)."""

    def __init__(self, condition):
        self.condition = condition
        self.expr = condition.expr


def _tree(text: str) -> str:
    return _canonical(pp.parse(text))


def _canonical(node) -> str:
    """One spelling per expression: parentheses dropped around binary operations, constants folded."""
    node = _strip(node)
    value = _constant(node)
    if value is not None:
        return repr(value)
    if isinstance(node, pp.BinaryExpr):
        modifier = f" {node.modifier}" if node.modifier is not None else ""
        return f"({_canonical(node.lhs)} {node.op}{modifier} {_canonical(node.rhs)})"
    return node.prettify()


def _strip(node):
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    return node


def _level(name: str, value: float):
    threshold = Threshold(name, steps=(Step(None, "green", "below"), Step(value, "red", "at")), origin=name)
    return threshold["at"]


def _condition(node, name: str):
    node = _strip(node)
    if isinstance(node, pp.Call) and node.func.name == "absent":
        argument = _strip(node.args[0])
        try:  # a selector, or a filter over one (`absent(up{job="x"} == 1)`): its series present or not
            return Absent(argument.prettify())
        except DefinitionError:
            raise NotAutomatic("absent() of an expression", "absent() over more than one selector") from None
    if isinstance(node, pp.BinaryExpr):
        op = str(node.op)
        if op in COMPARATORS:
            return _comparison(node, name)
        if op == "or":
            return _or(node, name)
        if op in ("and", "unless"):
            return _compound(node, name)
        raise NotAutomatic("no comparison", f"the expression ends in `{op}`, not a comparison with a threshold")
    if isinstance(node, pp.Call) and node.func.name == "vector":
        raise NotAutomatic("always fires", "`vector(...)` holds at every evaluation (a heartbeat alert)")
    if not selectors(node):
        raise NotAutomatic("always fires", "it reads no series: a constant holds at every evaluation")
    if isinstance(node, pp.Call) and node.func.name == "absent_over_time":
        raise NotAutomatic("absent_over_time()", "a no-data alert over a range")
    raise NotAutomatic("no comparison", "fires for every series the expression returns; no threshold to drive")


def _unwrap(condition) -> tuple[object, bool]:
    """(the condition, whether it is written differently from the source)."""
    if isinstance(condition, _Rewritten):
        return condition.condition, True
    return condition, False


def _comparison(node, name: str):
    """``signal op number`` -> Condition; ``a op b`` (two series) -> ``a - b op 0`` (rewritten)."""
    op = str(node.op)
    if node.modifier is not None and node.modifier.return_bool:
        raise NotAutomatic("comparison with bool", "`bool` makes it a 0/1 signal, not a filter")
    value = _constant(node.rhs)
    if value is None:
        if _constant(node.lhs) is not None:
            raise NotAutomatic("number on the left", f"`{node.prettify()}`: write the signal first")
        return _difference(node, name)
    if not math.isfinite(value):
        raise NotAutomatic("threshold not finite", f"compared with {value}")
    return Condition(_strip(node.lhs).prettify(), op, _level(name, value))


def _difference(node, name: str):
    """``a op b`` -> ``a - b op 0``: the same series fire (the matching modifiers carried over: `-` keeps the
    left side's labels as the comparison does), with the difference as the signal. The value an alert reports
    is still ``a``'s: the case generator reads it from the source expression (``source`` in testgen.cases)."""
    modifier = f" {node.modifier}" if node.modifier is not None else ""
    signal = f"({_strip(node.lhs).prettify()}) -{modifier} ({_strip(node.rhs).prettify()})"
    return _Rewritten(Condition(signal, str(node.op), _level(name, 0.0)))


def _constant(node) -> float | None:
    """The value of a number-only expression (``1024 ^ 3``, ``-1``, ``(0.9)``), None when it reads series."""
    node = _strip(node)
    if isinstance(node, pp.NumberLiteral):
        return float(node.val)
    if isinstance(node, pp.UnaryExpr):
        inner = _constant(node.expr)
        return None if inner is None else -inner
    if isinstance(node, pp.BinaryExpr) and str(node.op) in ("+", "-", "*", "/", "^", "%"):
        left, right = _constant(node.lhs), _constant(node.rhs)
        if left is None or right is None:
            return None
        try:
            return {
                "+": lambda: left + right,
                "-": lambda: left - right,
                "*": lambda: left * right,
                "/": lambda: left / right,
                "^": lambda: left**right,
                "%": lambda: math.fmod(left, right),
            }[str(node.op)]()
        except (ZeroDivisionError, OverflowError):
            return None
    return None


def _or(node, name: str):
    """``x < low or x > high`` (one signal) is a Band; ``A or B`` of two other conditions a Compound "or".
    A side may itself be ``(S op n) and B``: one condition over a filtered signal (``(S and B) op n``)."""
    sides = [_unwrap(_or_side(side, name)) for side in (node.lhs, node.rhs)]
    on = None
    if node.modifier is not None and node.modifier.matching is not None:
        if "ignoring" in str(node.modifier.matching).lower():
            raise NotAutomatic("or ignoring (...)", "only `on (...)` or all labels are matched")
        on = tuple(node.modifier.matching.labels)
    (first, first_rewritten), (second, second_rewritten) = sides
    band = on is None and _band(first, second, name)
    if band:
        return band
    second = Condition(second.signal, second.op, _level(f"{name}-second", second.level.value))
    compound = Compound(first, "or", second, on)
    return _Rewritten(compound) if first_rewritten or second_rewritten else compound


def _or_side(side, name: str):
    side = _strip(side)
    if _is_comparison(side):
        return _comparison(side, name)
    if isinstance(side, pp.BinaryExpr) and str(side.op) in ("and", "unless"):
        condition, _ = _unwrap(_compound(side, name))
        if isinstance(condition, Compound) and isinstance(condition.first, Condition) and condition.op != "or":
            # (A op n) and (B op m) inside `or`: B's comparison filters A's signal, the same alert
            second = _strip(side.rhs)
            return _filtered(condition.first, str(side.op), _matching(side), second, name)
        if isinstance(condition, Condition):
            return _Rewritten(condition)
    raise NotAutomatic("or of conditions", "`or` of something other than two conditions")


def _band(first: Condition, second: Condition, name: str):
    """A Band for ``x < low or x > high`` (either order), else None."""
    low, high = sorted((first, second), key=lambda c: c.op.startswith(">"))
    if low.op != "<" or high.op != ">" or _tree(str(low.signal)) != _tree(str(high.signal)):
        return None
    if not low.level.value < high.level.value:
        raise NotAutomatic("or of conditions", "the band's low bound is not below its high bound")
    band = Band(low.signal, _level(name, low.level.value), _level(f"{name}-high", high.level.value))
    return _Rewritten(band) if first is not low else band


def _matching(node) -> str:
    """`` on (a, b)`` / `` ignoring (a)`` / ``""``: how a set operation matches its sides."""
    modifier = node.modifier
    if modifier is None or modifier.matching is None:
        return ""
    return f" {modifier.matching}"


def _compound(node, name: str):
    """``A and B`` / ``A unless B``: a Compound when both sides are comparisons matched on all labels or
    ``on (...)``; otherwise the right side, whatever it holds, filters the left side's signal
    (``(S op n) and B`` is ``(S and B) op n``)."""
    op = str(node.op)
    modifier = node.modifier
    ignoring = modifier is not None and modifier.matching is not None and "ignoring" in str(modifier.matching)
    on = None if modifier is None or modifier.matching is None or ignoring else tuple(modifier.matching.labels)
    left, right = _strip(node.lhs), _strip(node.rhs)
    if _is_comparison(left):
        first, rewritten = _unwrap(_comparison(left, name))
    elif isinstance(left, pp.BinaryExpr) and str(left.op) in ("and", "unless"):
        inner, rewritten = _unwrap(_compound(left, name))  # ((S op n) and B) and C: filters, one after the other
        if isinstance(inner, Compound):
            # (A and B) and C keeps A's series where B and C match: C filters A's signal
            first = _filtered(inner.first, op, _matching(node), right, name).condition
            return _Rewritten(Compound(first, inner.op, inner.second, inner.on))
        first, rewritten = inner, True
    else:
        raise NotAutomatic("no comparison", f"`{op}` with no comparison on its left: fires for every series it returns")
    if _is_comparison(right) and not ignoring:
        second, second_rewritten = _unwrap(_comparison(right, f"{name}-second"))
        compound = Compound(first, op, second, on)
        return _Rewritten(compound) if rewritten or second_rewritten else compound
    return _filtered(first, op, _matching(node), right, name)


def _filtered(first: Condition, op: str, matching: str, right, name: str):
    """``(S op n) and B`` is ``(S and B) op n``: the filter keeps S's series, whose values are compared."""
    signal = f"({first.signal}) {op}{matching} ({right.prettify()})"
    return _Rewritten(Condition(signal, first.op, _level(name, first.level.value)))


def _is_comparison(node) -> bool:
    node = _strip(node)
    return isinstance(node, pp.BinaryExpr) and str(node.op) in COMPARATORS


def _has_comparison(node) -> bool:
    found = []

    def visit(n):
        if isinstance(n, pp.BinaryExpr) and str(n.op) in COMPARATORS:
            found.append(n)

    pp.walk(node, visit)
    return bool(found)


def comparisons_inside(expr: str) -> list[tuple[str, str, float]]:
    """(signal, op, number) of every ``signal op number`` inside an expression (no ``bool``), outermost first."""
    found = []

    def visit(node):
        if isinstance(node, pp.BinaryExpr) and str(node.op) in COMPARATORS:
            value = _constant(node.rhs)
            bool_ = node.modifier is not None and node.modifier.return_bool
            if value is not None and math.isfinite(value) and not bool_ and _constant(node.lhs) is None:
                found.append((_strip(node.lhs).prettify(), str(node.op), value))

    pp.walk(pp.parse(expr), visit)
    return found


def describe(condition) -> str:
    """A short word on the condition for reports: ``> 0.05``, ``outside [1, 2]``, ``and``, ``absent``."""
    if isinstance(condition, Condition):
        return f"{condition.op} {format_number(condition.level.value)}"
    if isinstance(condition, Band):
        return f"outside [{format_number(condition.low.value)}, {format_number(condition.high.value)}]"
    if isinstance(condition, Compound):
        return condition.op
    return "absent" if isinstance(condition, Absent) else type(condition).__name__
