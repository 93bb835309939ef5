"""Where a PromQL syntax error is: promql-parser's messages carry no position, so we find it.

The error lies just after the longest prefix that can still be completed into a valid query:
we try each token boundary from the right, closing open brackets and quotes and trying a few
fillers ("1", 'x="y"', "5m", ...). A prefix that parses is proof that the error lies later, so
the column found is never past the real one; at worst it is a token early. Only runs on errors.
"""

from __future__ import annotations

import re

import promql_parser

_TOKEN = re.compile(
    r'"(?:\\.|[^"\\])*"?|\'(?:\\.|[^\'\\])*\'?|`[^`]*`?|[A-Za-z_:][A-Za-z0-9_:.]*'
    r"|[0-9][0-9a-zA-Z.]*|\s+|.",
    re.S,
)
# What may follow a viable prefix: nothing, an operand, a duration, a matcher, a string, a body.
_FILLERS = ("", "1", "x", " 1", " x", "5m", 'x="y"', '"y"', '="y"', "(x)", "(x) (x)", " (x) (x)", "x)")
_TRAILERS = ("", " (x)")
_CLOSE = {"(": ")", "[": "]", "{": "}"}


def error_column(text: str) -> int:
    """1-based column of the first character that cannot belong to a valid query."""
    starts = [m.start() for m in _TOKEN.finditer(text) if not m.group().isspace()]
    for end in reversed(starts + [len(text)]):
        if _completes(text[:end]):
            following = [s for s in starts if s >= end]
            return (following[0] if following else len(text)) + 1
    return 1


def _completes(prefix: str) -> bool:
    for filler in _FILLERS:
        candidate = prefix + filler
        closers = _closers(candidate)
        for trailer in _TRAILERS:
            try:
                promql_parser.parse(candidate + closers + trailer)
                return True
            except ValueError:
                continue
    return False


def _closers(text: str) -> str:
    """The quote and brackets that close what ``text`` left open, innermost first."""
    stack: list[str] = []
    quote = None
    escaped = False
    for ch in text:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote != "`":
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in "\"'`":
            quote = ch
        elif ch in _CLOSE:
            stack.append(_CLOSE[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
    return (quote or "") + "".join(reversed(stack))


def caret(text: str, column: int, indent: str = "    ") -> str:
    """The expression with a caret under the column (first line of a multi-line query only)."""
    line_start = text.rfind("\n", 0, column - 1) + 1
    line_end = text.find("\n", line_start)
    line = text[line_start:] if line_end < 0 else text[line_start:line_end]
    return f"{indent}{line}\n{indent}{' ' * (column - 1 - line_start)}^"


def line_and_column(text: str, column: int) -> tuple[int, int]:
    """(line, column) within a multi-line query, both 1-based, for a 1-based offset column."""
    before = text[: column - 1]
    return before.count("\n") + 1, column - (before.rfind("\n") + 1)
