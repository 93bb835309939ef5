"""Alerts that share a name, as rule files often write them (a warning and a critical ``DiskFillingUp``).

promtool's ``alert_rule_test`` checks every alert of that name at once, so a case generated for one of them
must also expect what the others do on the same inputs. Their expectations come from the evaluator and the
same alert state machine as the generated cases.
"""

from __future__ import annotations

from monitoring.model import Alert, Stack
from monitoring.model.durations import parse_duration
from monitoring.testgen import synth
from monitoring.testgen.alerts import _expected, _firing_at, rules_by_record
from monitoring.testgen.stepping import evaluation_times


def add_siblings(cases: list[dict], siblings: list[Alert], stack: Stack, interval: float) -> list[dict]:
    """The cases, each ``alert_rule_test`` also expecting the siblings' alerts at its evaluation time."""
    if not siblings:
        return cases
    rules = rules_by_record(stack)
    for case in cases:
        evaluator = synth.case_evaluator(case, rules)
        for test in case.get("alert_rule_test", []):
            eval_time = parse_duration(test["eval_time"])
            for sibling in siblings:
                states = {
                    t: {_drop_name(labels): v for labels, v in evaluator.instant(sibling.expr, t)}
                    for t in evaluation_times(interval, eval_time)
                }
                firing = _firing_at(states, eval_time, sibling.for_seconds)
                test["exp_alerts"].extend(_expected(sibling, stack, labels, value) for labels, value in firing)
    return cases


def _drop_name(labels) -> tuple:
    return tuple(item for item in labels if item[0] != "__name__")
