"""promtool rule unit tests, generated for every recording and alerting rule of a stack."""

from __future__ import annotations

from dataclasses import replace

from monitoring.errors import DefinitionError
from monitoring.model import Alert, Stack
from monitoring.model.rules import parse_duration
from monitoring.testgen.refused import Untestable, with_untested_hint


def render_rule_tests(stack: Stack, rule_file: str) -> dict:
    """``rule_file`` is the path of the stack's rules file relative to the test file."""
    from monitoring.model.durations import format_duration
    from monitoring.testgen.alerts import alert_cases, rules_by_record
    from monitoring.testgen.buckets import drop_indistinct_buckets
    from monitoring.testgen.burnrate import slo_recording_case, slos_of
    from monitoring.testgen.catalog_for_tests import catalog_for_tests
    from monitoring.testgen.chain import chain_groups
    from monitoring.testgen.fold import fold_recording
    from monitoring.testgen.layout import merge_groups
    from monitoring.testgen.recording import imported_recording_cases
    from monitoring.testgen.siblings import add_siblings
    from monitoring.testgen.target_labels import drop_unread_target_labels

    # the catalog as the search reads it (a counter never rated moves as a gauge...), as `monitoring testgen` does
    expressions = [r.text for r in stack.recording_rules()] + [a.expr for a in stack.alerts()]
    metrics = tuple(catalog_for_tests(list(stack.metrics), expressions))
    if metrics != stack.metrics:
        stack = replace(stack, metrics=metrics)
    # a group without an interval (imported) runs at the test file's evaluation_interval: 1m unless shorter
    interval = min((parse_duration(g.interval or "1m") for g in stack.groups), default=60.0)
    tests = []
    # SLO rules read windows of up to days: their own dataset, sampled sparsely (see testgen.burnrate)
    slos = slos_of(stack)
    slo_rules = {r.record for slo in slos for r in slo.recording_rules()}
    tests.extend(slo_recording_case(stack, slo) for slo in slos)
    refused: list[tuple[object, DefinitionError]] = []  # every rule the generator refuses, reported together
    for alert in stack.alerts():
        if alert.untested:  # declared: listed by `generate` and `monitoring test` with its reason
            continue
        # promtool checks every alert of a name at once: imported rule files hold a warning and a critical of one
        siblings = [other for other in stack.alerts() if other is not alert and other.name == alert.name]
        try:
            tests.extend(add_siblings(alert_cases(alert, stack, interval), siblings, stack, interval))
        except DefinitionError as exc:
            refused += [(alert, _located(error, alert)) for error in getattr(exc, "errors", [exc])]
    # promtool evaluates every rule at every step of every group: cases that cannot interfere share a group
    alerts, records = [(a.name, a.expr) for a in stack.alerts()], rules_by_record(stack)
    tests = merge_groups(tests, alerts, records)
    # and groups on the same series one after the other, each once nothing before it can be seen
    tests = chain_groups(tests, alerts, records, interval)
    # Without an explicit order promtool evaluates groups in a random order at each step, so an alert could read a
    # recorded series from the previous step. Our evaluator assumes recording groups run first: pinned (below).
    order = [g.name for g in stack.groups if all(hasattr(r, "record") for r in g.rules)]
    order += [g.name for g in stack.groups if g.name not in order]
    # the recording rules' exact values, asserted inside those groups where they can be (no steps of their own)
    recorded = [r for r in stack.recording_rules() if r.record not in slo_rules and not r.untested]
    try:
        tests = fold_recording(stack, recorded, tests)
    except Untestable as exc:  # no value on the healthy dataset: the datasets `monitoring testgen` tries
        apart = {id(rule) for rule in exc.rules}
        tests = fold_recording(stack, [r for r in recorded if id(r) not in apart], tests)
        found = imported_recording_cases(stack, exc.rules, interval, _every_rule(stack), _rule_order(stack, order))
        tests += found.cases
        refused += [(r, with_untested_hint(found.failed[id(r)])) for r in exc.rules if id(r) in found.failed]
    if refused:
        raise Untestable(refused)
    # histogram buckets inside a run of equal ones, which no quantile reads (an eighth of the bytes)
    tests = drop_indistinct_buckets(stack, tests)
    # the stand-in job and instance labels, off the inputs where no rule can tell (a tenth of the bytes)
    tests = drop_unread_target_labels(stack, tests)
    return {
        "rule_files": [rule_file],
        "evaluation_interval": format_duration(interval),
        "group_eval_order": order,
        "tests": tests,
    }


def _located(error: DefinitionError, alert: Alert) -> DefinitionError:
    """``error`` at the alert's definition (when raised without a place, a duration read deep inside), its hint
    ending with the way to declare the gap."""
    message = error.message if error.location else f"alert {alert.name}: {error.message}"
    return with_untested_hint(DefinitionError(message, error.location or alert.origin, error.hint))


def _every_rule(stack: Stack) -> dict[str, str]:
    """Every rule's expression (a recording rule's inputs must not make another rule fail in Prometheus)."""
    return {f"record {r.record}": r.text for r in stack.recording_rules()} | {
        f"alert {a.name}": a.expr for a in stack.alerts()
    }


def _rule_order(stack: Stack, group_order: list[str]) -> dict[str, int]:
    """{record: its place in the order promtool evaluates the rules at each tick}."""
    groups = {g.name: g for g in stack.groups}
    rules = [r for name in group_order for r in groups[name].rules if hasattr(r, "record")]
    return {rule.record: place for place, rule in enumerate(rules)}
