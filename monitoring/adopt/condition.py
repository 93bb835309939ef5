"""An alert expression split into ``signal <op> number`` when it ends in a comparison with a literal."""

from __future__ import annotations

from dataclasses import dataclass

import promql_parser as pp

from monitoring.adopt.references import string_end
from monitoring.model.rules import format_number

_COMPARATORS = (">=", "<=", "==", "!=", ">", "<")


@dataclass(frozen=True)
class Comparison:
    signal: str  # the source text left of the operator, as written
    op: str
    value: float


def normalised(text: str) -> str:
    """One spelling per expression tree (promql-parser's prettified text), for comparing expressions."""
    return pp.parse(text).prettify()


def split_comparison(text: str) -> Comparison | None:
    """The comparison the expression ends in, when it is ``signal op number`` with op one of < <= > >= == !=
    (no ``bool``) and rewriting it as such gives the same expression tree; None otherwise."""
    root = pp.parse(text)
    if not isinstance(root, pp.BinaryExpr) or str(root.op) not in _COMPARATORS:
        return None
    if root.modifier is not None and root.modifier.return_bool:
        return None
    if not isinstance(root.rhs, pp.NumberLiteral):
        return None
    position = _last_top_level_comparison(text)
    if position is None:
        return None
    index, op = position
    signal = text[:index].strip()
    if op != str(root.op) or not signal:
        return None
    comparison = Comparison(signal, op, float(root.rhs.val))
    try:
        same = normalised(f"{signal} {op} {format_number(comparison.value)}") == root.prettify()
    except ValueError:
        return None
    return comparison if same else None


def _last_top_level_comparison(text: str) -> tuple[int, str] | None:
    depth, i, found = 0, 0, None
    while i < len(text):
        char = text[i]
        if char in "\"'`":
            i = string_end(text, i)
            continue
        if char == "#":
            newline = text.find("\n", i)
            i = len(text) if newline < 0 else newline
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0:
            for op in _COMPARATORS:
                if text.startswith(op, i):
                    found = (i, op)
                    i += len(op)
                    break
            else:
                i += 1
            continue
        i += 1
    return found
