"""PromQL parsing with promql-parser, tolerant of Grafana's template variables."""

from __future__ import annotations

import re
from functools import cache

import promql_parser

from monitoring.errors import DefinitionError

# promql-parser follows Prometheus 3, which renamed holt_winters (2.42 has it under its old name).
promql_parser.register_extra_functions(
    [
        promql_parser.Function(
            "holt_winters",
            [promql_parser.ValueType.Matrix, promql_parser.ValueType.Scalar, promql_parser.ValueType.Scalar],
            promql_parser.ValueType.Vector,
        )
    ]
)

# Grafana replaces these before Prometheus sees the query; give the parser something equivalent.
_RANGE_VARS = re.compile(r"\$(__rate_interval|__interval|__range)|\$\{(__rate_interval|__interval|__range)\}")
_VARS = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


# A variable as a range or subquery step (`[$interval]`, `[$__range:$step]`) stands for a duration.
_BRACKETED = re.compile(r"\[([^\]\[\"']*\$[^\]\[\"']*)\]")


def grafana_to_promql(expr: str) -> str:
    expr = _RANGE_VARS.sub("5m", expr)
    expr = _BRACKETED.sub(lambda m: "[" + _VARS.sub("5m", m.group(1)) + "]", expr)
    return _VARS.sub(lambda m: f"__var_{m.group(1)}", expr)


# promql-parser (Rust) crashes the whole process, beyond any exception handler, on expressions nested
# too deeply: measured with promql-parser 0.5 (bench/promql_limits.py, one subprocess per try), it
# aborts beyond about 8,000 nested parentheses, 5,400 nested calls and 4,100 terms of one sum. Our own
# tree walks (evaluator, label inference, lint) recurse in Python too. So expressions are refused well
# below that, before the parser sees them; real rules stay far inside these limits.
MAX_NESTING = 64  # brackets of any kind: ( [ {
MAX_OPERATORS = 250  # arithmetic, comparison and set operators (a chain of them nests in the tree)
MAX_LENGTH = 64 * 1024  # characters
_STRING = re.compile(r'"(?:[^"\\]|\\.)*+"|\'(?:[^\'\\]|\\.)*+\'|`[^`]*+`')
_OPERATOR = re.compile(r"[-+*/%^]|[=!<>]=|[<>]|\b(?:and|or|unless|atan2)\b")


def check_size(text: str, where: str = "") -> None:
    """Refuse an expression the parser (or our tree walks) could not handle: too long or too deep."""
    problem = _size_problem(text)
    if problem is not None:
        raise DefinitionError(problem[0], where, problem[1])


@cache
def _size_problem(text: str) -> tuple[str, str] | None:
    """(message, hint) when ``text`` is too long or too deep; cached, as the same expressions come back
    thousands of times during test generation."""
    if len(text) > MAX_LENGTH:
        return (
            f"expression too long: {len(text):,} characters (at most {MAX_LENGTH:,})",
            "split it into recording rules",
        )
    code = _STRING.sub('""', text)
    depth = deepest = 0
    for char in code:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    if deepest > MAX_NESTING:
        return (
            f"expression too deep: {deepest} nested brackets (at most {MAX_NESTING})",
            "split it into recording rules",
        )
    operators = len(_OPERATOR.findall(code))
    if operators > MAX_OPERATORS:
        return (
            f"expression too long: {operators} operators (at most {MAX_OPERATORS})",
            "split it into recording rules, or aggregate (sum by ...) instead of adding series one by one",
        )
    return None


@cache
def _parse(text: str):
    return promql_parser.parse(text)


def parse(expr: str, where: str = "", grafana: bool = False):
    """Parse once (cached); a syntax error names the definition and shows the expression."""
    text = grafana_to_promql(expr) if grafana else expr
    check_size(text, where)
    try:
        return _parse(text)
    except ValueError as exc:
        raise DefinitionError(
            syntax_message(expr, str(exc), grafana), where, "check brackets, quotes and function names"
        ) from None


def syntax_message(expr: str, reason: str, grafana: bool = False) -> str:
    """'PromQL syntax error at column N: reason' and the expression with a caret under column N."""
    from monitoring.promql.errors import caret, error_column, line_and_column

    column = error_column(grafana_to_promql(expr) if grafana else expr)
    if grafana:  # back to the user's text: the longest prefix whose substitution ends before the column
        column = max(i for i in range(len(expr) + 1) if len(grafana_to_promql(expr[:i])) <= column - 1) + 1
    line, col = line_and_column(expr, column)
    at = f"line {line}, column {col}" if "\n" in expr else f"column {col}"
    return f"PromQL syntax error at {at}: {reason}\n{caret(expr, column)}"


def selectors(ast) -> list:
    """Every VectorSelector in the expression (including those inside range selectors)."""
    found = []

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)

    promql_parser.walk(ast, visit)
    return found


def children(node):
    """A parsed expression's sub-expressions (a range selector's vector selector included)."""
    for attribute in ("expr", "lhs", "rhs", "vector_selector", "param"):
        child = getattr(node, attribute, None)
        if child is not None and not isinstance(child, (str, int, float)):
            yield child
    yield from getattr(node, "args", None) or ()


def selector_name(selector) -> str | None:
    if selector.name:
        return selector.name
    for matcher in selector.matchers.matchers:
        if matcher.name == "__name__" and str(matcher.op) == "MatchOp.Equal":
            return matcher.value
    return None


def is_scalar(node) -> bool:
    """Whether an expression is a scalar (a number, scalar()/time()/pi(), or arithmetic of those)."""
    while isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr)):
        node = node.expr
    if isinstance(node, promql_parser.NumberLiteral):
        return True
    if isinstance(node, promql_parser.Call) and node.func.name in ("scalar", "time", "pi"):
        return True
    if isinstance(node, promql_parser.BinaryExpr):
        return is_scalar(node.lhs) and is_scalar(node.rhs)
    return False
