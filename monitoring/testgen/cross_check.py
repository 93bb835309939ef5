"""Does a generated case make another rule of the file fail? promtool evaluates every rule of the rule files
at every step of every test group and fails the group when one errors (``many-to-one matching must be
explicit``), whatever the group asserts. A case is checked against every rule at its evaluation times and
while its healthy phase holds; errors Prometheus raises too (QueryError) are reported, constructs our
evaluator lacks are left to promtool."""

from __future__ import annotations

from monitoring.model.durations import parse_duration
from monitoring.promql.values import QueryError, Unsupported
from monitoring.testgen import synth

HEALTHY_AT = 300.0  # inside every generated case's healthy (warm-up) phase


def rule_error(case: dict, expressions: dict[str, str], rules: dict) -> str | None:
    """``rule NAME fails at T: why`` for the first rule (name -> expression) the case's inputs make fail."""
    evaluator = synth.case_evaluator(case, rules)
    times = {HEALTHY_AT}
    for test in case.get("alert_rule_test", []) + case.get("promql_expr_test", []):
        times.add(parse_duration(test["eval_time"]))
    for name, expr in expressions.items():
        for t in sorted(times):
            try:
                evaluator.instant(expr, t)
            except QueryError as exc:
                return f"its inputs make rule {name} fail at {t:g}s as Prometheus would: {exc}"
            except Unsupported:
                break
    return None
