"""promtool rule unit tests, generated for every recording and alerting rule of a stack."""

from __future__ import annotations

from monitoring.model import Stack
from monitoring.model.rules import parse_duration


def render_rule_tests(stack: Stack, rule_file: str) -> dict:
    """``rule_file`` is the path of the stack's rules file relative to the test file."""
    from monitoring.model.durations import format_duration
    from monitoring.testgen.alerts import alert_cases
    from monitoring.testgen.recording import recording_case

    # a group without an interval (imported) runs at the test file's evaluation_interval: 1m unless shorter
    interval = min((parse_duration(g.interval or "1m") for g in stack.groups), default=60.0)
    tests = []
    recording = recording_case(stack, stack.recording_rules())
    if recording:
        tests.append(recording)
    for alert in stack.alerts():
        tests.extend(alert_cases(alert, stack, interval))
    # Without an explicit order promtool evaluates groups in a random order at each step, so an alert
    # could read a recorded series from the previous step. Our evaluator assumes recording groups run
    # first; pin that order so its exact expectations hold.
    order = [g.name for g in stack.groups if all(hasattr(r, "record") for r in g.rules)]
    order += [g.name for g in stack.groups if g.name not in order]
    return {
        "rule_files": [rule_file],
        "evaluation_interval": format_duration(interval),
        "group_eval_order": order,
        "tests": tests,
    }
