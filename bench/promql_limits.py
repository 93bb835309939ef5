"""Where promql-parser stops coping (a measurement, not a test): it aborts the process natively
(SIGSEGV/abort) on deeply nested expressions, so each try runs in its own subprocess.

Prints the largest size that still parses for each shape, found by bisection, next to the limits
monitoring/promql/parse.py enforces before the parser is called.  Usage:
.venv/bin/python bench/promql_limits.py
"""

from __future__ import annotations

import subprocess
import sys

from monitoring.promql.parse import MAX_NESTING, MAX_OPERATORS

PROBE = "import sys, promql_parser\ntry:\n    promql_parser.parse(sys.stdin.read())\nexcept ValueError:\n    pass\n"
SHAPES = {
    "nested parentheses": lambda n: "(" * n + "x" + ")" * n,
    "nested calls": lambda n: "abs(" * n + "x" + ")" * n,
    "unary minus": lambda n: "-" * n + "x",
    "terms of one sum": lambda n: " + ".join(["x"] * n),
}


def survives(expr: str) -> bool:
    return subprocess.run([sys.executable, "-c", PROBE], input=expr, text=True, capture_output=True).returncode == 0


def largest(make, low: int = 1, high: int = 40_000) -> int:
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if survives(make(middle)) else (low, middle)
    return low


def main() -> None:
    print(f"{'shape':22} {'parses up to':>13}   (our limits: {MAX_NESTING} nested brackets, {MAX_OPERATORS} operators)")
    for name, make in SHAPES.items():
        print(f"{name:22} {largest(make):>13,}")


if __name__ == "__main__":
    main()
