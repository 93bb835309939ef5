"""Three generated promtool cases per alert, from its threshold, comparator and `for`.

- fires: the signal is past the threshold for longer than `for`; the alert fires with exact labels
  and annotations;
- safe side: the signal sits just on the safe side of the threshold; nothing fires;
- too short: the signal is past the threshold for less than `for`; the alert is only pending.

Expectations come from our own evaluator and a model of Prometheus' alert state machine, not from
Prometheus; promtool then checks that both agree.
"""

from __future__ import annotations

import functools
import math

from monitoring.errors import DefinitionError
from monitoring.model import Alert, Stack
from monitoring.model.durations import format_duration, parse_duration
from monitoring.model.metric import MetricType
from monitoring.model.rules import RawCondition
from monitoring.promql.evaluator import Evaluator, Unsupported
from monitoring.testgen import synth, templates
from monitoring.testgen.drivers import driver_for, healthy_value
from monitoring.testgen.stepping import StepSimulator, evaluation_times


def longest_range(expr: str, stack: Stack) -> float:
    import re

    from monitoring.model.rules import parse_duration as seconds

    ranges = [seconds(r) for r in re.findall(r"\[([0-9a-z]+)\]", expr)]
    for rule in stack.recording_rules():
        if rule.record in expr:
            ranges.append(longest_range(rule.text, stack))
    return max(ranges, default=0.0)


def rules_by_record(stack: Stack) -> dict[str, tuple[str, dict]]:
    return {r.record: (r.text, dict(r.labels)) for r in stack.recording_rules()}


def alert_cases(alert: Alert, stack: Stack, interval: float) -> list[dict]:
    """promtool test groups for one alert (generated cases, then the definition's own scenarios)."""
    cases = []
    if alert.driver is not None or not alert.scenarios:
        cases.extend(_generated_cases(alert, stack, interval))
    cases.extend(_scenario_cases(alert, stack, interval))
    return cases


def _generated_cases(alert: Alert, stack: Stack, interval: float) -> list[dict]:
    if isinstance(alert.condition, RawCondition):
        raise DefinitionError(
            f"alert {alert.name}: the test generator cannot drive a raw condition (`{alert.expr}`)",
            alert.origin,
            "give the alert Scenarios (hand-written promtool cases), or a condition on a Threshold step",
        )
    drive = driver_for(alert, stack)
    level, op = alert.condition.level.value, alert.condition.op
    metric = getattr(drive, "metric", None)
    margin = abs(level) * 0.2 or 0.1
    crossed = level - margin if op.startswith("<") else level + margin
    if metric is not None and metric.min is not None:
        crossed = max(crossed, metric.min)
    # A gauge can sit exactly on the threshold: that also catches `<` written as `<=`.
    exact = metric is not None and metric.type is MetricType.GAUGE
    nudge = 0.0 if exact and op in ("<", ">") else abs(level) * 0.02 or 0.01
    safe = level + nudge if op.startswith("<") else level - nudge
    healthy = healthy_value(alert, metric)
    lowest = getattr(drive, "lowest", None)  # the least a histogram quantile can report
    if lowest is not None and lowest < level:
        crossed, healthy = (max(v, (lowest + level) / 2) for v in (crossed, healthy))
    # 0.7 - 0.14 is 0.5599999999999999 in floats; readable inputs are 12 significant digits.
    crossed, safe, healthy = (float(f"{v:.12g}") for v in (crossed, safe, healthy))
    for_seconds = parse_duration(alert.for_ or "0s")
    warmup = max(5, math.ceil(longest_range(str(alert.condition.signal), stack) / 60) + 1)
    length = warmup + math.ceil((for_seconds + 5 * interval) / 60) + 10

    simulator = _simulator(alert, stack, interval)  # shared by the cases: they share inputs up to the crossing
    simulated: dict[tuple, tuple] = {}  # 'fires' and 'too short' drive the very same timeline

    def case(title, value, minutes_crossed, expect_firing_driven):
        if (value, minutes_crossed) not in simulated:
            timeline = synth.Timeline().add(warmup, drive(healthy)).add(minutes_crossed, drive(value))
            simulated[value, minutes_crossed] = (
                timeline,
                timeline.promtool_inputs(),
                simulator.states(timeline.series(), timeline.minutes * 60, since=warmup * 60),
            )
        timeline, inputs, states = simulated[value, minutes_crossed]
        # Search from the switch on: while a range window is still filling at the start of the series,
        # rates read low, so a `below` condition can hold briefly before the healthy phase settles.
        t_true = _first_true(states, since=warmup * 60)
        if title == "too short":
            if t_true is None or for_seconds <= interval:
                return None
            eval_time = t_true + for_seconds - interval
        else:
            eval_time = (t_true if t_true is not None else warmup * 60) + for_seconds + 2 * interval
            eval_time = min(eval_time, timeline.minutes * 60)
        firing = _firing_at(states, eval_time, for_seconds)
        driven_fires = bool(firing)
        if driven_fires != expect_firing_driven:
            raise DefinitionError(
                f"alert {alert.name}: generated case '{title}' with the signal at {value:g} "
                f"{'does not fire' if expect_firing_driven else 'fires'} at {format_duration(eval_time)}",
                alert.origin,
                "check the driver, the threshold step and the comparator agree",
            )
        return {
            "name": f"{alert.name}: {title} ({alert.condition.signal} at {value:g}, "
            f"threshold {alert.condition.op} {level:g}, for {alert.for_})",
            "interval": format_duration(synth.INTERVAL),
            "input_series": [dict(series) for series in inputs],  # copies: a shared list would dump as an alias
            "alert_rule_test": [
                {
                    "eval_time": format_duration(eval_time),
                    "alertname": alert.name,
                    "exp_alerts": [_expected(alert, stack, labels, value_at) for labels, value_at in firing],
                }
            ],
        }

    cases = [
        case("fires", crossed, length, True),
        case("safe side", safe, length, False),
        case("too short", crossed, length, False),
    ]
    return [c for c in cases if c is not None]


def _simulator(alert, stack, interval) -> StepSimulator:
    """Condition result per evaluation time, {t: {labels: value}}, for the alert's generated timelines."""
    rules = rules_by_record(stack)
    expr = alert.expr  # a property that formats the condition: once, not at every step
    return StepSimulator(
        expr, rules, interval, lambda series: functools.partial(_state_at, alert, Evaluator(series, rules), expr=expr)
    )


def _first_true(states, since=0.0):
    return next((t for t in sorted(states) if t >= since and states[t]), None)


def _firing_at(states, eval_time, for_seconds):
    """Prometheus' rule: an alert fires once its condition has held continuously for `for`."""
    active: dict = {}
    for t in sorted(states):
        if t > eval_time:
            break
        current = states[t]
        active = {labels: active.get(labels, t) for labels in current}
        last = current
    return sorted((labels, last[labels]) for labels, since in active.items() if eval_time - since >= for_seconds)


def _expected(alert, stack, labels, value):
    series_labels = dict(labels)
    all_labels = {**series_labels, **stack.alert_labels(alert)}
    try:
        annotations = {k: templates.expand(v, all_labels, value) for k, v in stack.alert_annotations(alert).items()}
    except templates.UnsupportedTemplate as exc:
        raise DefinitionError(
            f"alert {alert.name}: annotation template uses {exc}, which generated tests cannot expand",
            alert.origin,
            "use $labels.x, $value, humanize*, or printf",
        ) from None
    return {"exp_labels": all_labels, "exp_annotations": annotations}


def _scenario_cases(alert, stack, interval):
    """The definition's own scenarios: its stated expectation is checked by our evaluator, then by promtool."""
    cases = []
    for scenario in alert.scenarios:
        at = parse_duration(scenario.at, alert.origin)
        step = parse_duration(scenario.interval, alert.origin)
        series = [synth.parse_series(key, values, step) for key, values in scenario.series]
        states = _simulate_series(alert, stack, series, interval, at)
        firing = _firing_at(states, at, parse_duration(alert.for_ or "0s"))
        stated = sorted(tuple(sorted(dict(extra).items())) for extra in scenario.fires)
        found = (
            sorted(
                tuple((k, v) for k, v in labels if k in dict(extra))
                for labels, _ in firing
                for extra in scenario.fires[:1]
            )
            if scenario.fires
            else [l for l, _ in firing]
        )
        if stated != found:
            raise DefinitionError(
                f"alert {alert.name}: scenario {scenario.name!r} says it fires with {stated} at "
                f"{scenario.at}, but the rules give {found}",
                alert.origin,
                "fix the scenario's series or its expectation",
            )
        cases.append(
            {
                "name": f"{alert.name}: {scenario.name}",
                "interval": scenario.interval,
                "input_series": [{"series": k, "values": v} for k, v in scenario.series],
                "alert_rule_test": [
                    {
                        "eval_time": format_duration(at),
                        "alertname": alert.name,
                        "exp_alerts": [_expected(alert, stack, labels, value) for labels, value in firing],
                    }
                ],
            }
        )
    return cases


def _simulate_series(alert, stack, series, interval, end):
    evaluator = Evaluator(series, rules_by_record(stack))
    return {t: _state_at(alert, evaluator, t) for t in evaluation_times(interval, end)}


def _state_at(alert, evaluator, t, expr=None):
    try:
        result = evaluator.instant(expr or alert.expr, t)
    except Unsupported as exc:
        raise DefinitionError(f"alert {alert.name}: {exc}", alert.origin) from None
    return {tuple(l for l in labels if l[0] != "__name__"): value for labels, value in result}
