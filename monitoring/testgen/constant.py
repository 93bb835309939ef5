"""Generated cases for a constant alert (a dead man's switch such as ``vector(1) == 1``): it reads no series, so
no input can move it and the only thing to prove is that it fires from the first evaluation, with its labels
and annotations, on no inputs at all. The value is the evaluator's."""

from __future__ import annotations

from monitoring.model import Alert, Stack
from monitoring.promql.evaluator import Evaluator
from monitoring.promql.parse import parse, selectors
from monitoring.testgen.alerts import promtool_case, rules_by_record


def is_constant(alert: Alert) -> bool:
    """True when the expression selects no series (nothing but literals and functions of them)."""
    return not selectors(parse(alert.expr))


def cases(alert: Alert, stack: Stack, interval: float) -> list[dict]:
    evaluator = Evaluator([], rules_by_record(stack))
    eval_time = alert.for_seconds + interval
    firing = [
        (tuple(l for l in labels if l[0] != "__name__"), v) for labels, v in evaluator.instant(alert.expr, eval_time)
    ]
    title = f"fires with no input at all (a constant: always firing, for {alert.for_})"
    return [promtool_case(alert, stack, title, "1m", [], eval_time, firing)]
