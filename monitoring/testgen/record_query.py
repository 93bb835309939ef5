"""How a generated promql_expr_test queries a recording rule: ``RECORD * 1``.

The product is the recorded value bit for bit, and arithmetic drops the metric name, so no expected sample
restates the record (on a bench service, 62 restatements: 2.4 KB of its 32.7). The query still selects by the
record's name, so nothing is asserted less. A module of its own: ``monitoring test`` reads it without loading
the generator.
"""

from __future__ import annotations

NAMELESS = " * 1"


def record_query(record: str) -> str:
    return record + NAMELESS


def asserted_record(expr: str) -> str:
    """The recording rule a generated promql_expr_test asserts (a bare record name too, as tests once were)."""
    return expr.removesuffix(NAMELESS)
