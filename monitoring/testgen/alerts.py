"""promtool cases for every alert: the generated ones (monitoring.testgen.cases), then the definition's scenarios.

Expectations come from our own evaluator and a model of Prometheus' alert state machine, not from
Prometheus; promtool then checks that both agree.
"""

from __future__ import annotations

from dataclasses import replace

from monitoring.errors import DefinitionError
from monitoring.model import Alert, Stack
from monitoring.model.durations import format_duration, parse_duration
from monitoring.model.rules import RawCondition
from monitoring.promql.evaluator import Evaluator, Unsupported
from monitoring.testgen import labels_map, search, synth, templates
from monitoring.testgen.memo import per_owner
from monitoring.testgen.stepping import evaluation_times

MAX_OFFSET = 86400.0


@per_owner(1)
def longest_range(expr: str, stack: Stack) -> float:
    import re

    from monitoring.model.durations import parse_duration as seconds

    ranges = [seconds(r) for r in re.findall(r"\[([0-9a-z]+)\]", expr)]
    # `x offset 1h` reads an hour back: the warm-up must cover it (a week back stays out of reach: too long a test)
    offsets = [seconds(o) for o in re.findall(r"\boffset\s+([0-9a-z]+)", expr)]
    offsets = [o for o in offsets if o <= MAX_OFFSET]
    if offsets:
        ranges.append(max(ranges, default=0.0) + max(offsets))
    for rule in stack.recording_rules():
        if rule.record in expr:
            ranges.append(longest_range(rule.text, stack))
    return max(ranges, default=0.0)


@per_owner(0)
def rules_by_record(stack: Stack) -> dict[str, tuple[str, dict]]:
    """{record: (expression, extra labels)}. Several rules recording one name (kubernetes-mixin records
    `code_verb:apiserver_request_total:increase1h` once per status class) read as the `or` of their
    expressions, each with its extra labels set by label_replace, so a reader sees every rule's series.
    One dict per stack, shared (callers only read it)."""
    grouped: dict[str, list] = {}
    for rule in stack.recording_rules():
        grouped.setdefault(rule.record, []).append(rule)
    out = {}
    for record, rules in grouped.items():
        if len(rules) == 1:
            out[record] = (rules[0].text, dict(rules[0].labels))
        else:
            out[record] = (" or ".join(f"({_labelled(r.text, dict(r.labels))})" for r in rules), {})
    return out


def _labelled(expr: str, labels: dict[str, str]) -> str:
    from monitoring.model.metric import escape_label_value

    for name, value in labels.items():
        replacement = escape_label_value(value.replace("$", "$$"))
        expr = f'label_replace({expr}, "{name}", "{replacement}", "{name}", ".*")'
    return expr


MAX_ALERT_RANGE = 2 * 86400.0  # an alert reading a longer range (`min_over_time(x[1w])`) is not generated


def range_too_long(expr: str) -> str | None:
    """Why an alert reading a range over MAX_ALERT_RANGE gets no generated cases, None if it reads none: its
    cases would hold a healthy phase that long, then the crossing, so promtool would evaluate every rule of the
    file at every step of two such windows (minutes for one alert, and past its 50 million samples a query)."""
    import re

    longest = max((parse_duration(r) for r in re.findall(r"\[([0-9a-z]+)(?:[:\]])", expr)), default=0.0)
    if longest <= MAX_ALERT_RANGE:
        return None
    return f"a [{format_duration(longest)}] range: cases would span twice that"


def alert_cases(alert: Alert, stack: Stack, interval: float, source: str | None = None) -> list[dict]:
    """promtool test groups for one alert: the generated cases, then the definition's own scenarios.
    ``source``: the rule file's expression when the condition is an equivalent rewrite of it (``a > b`` driven
    as ``a - b > 0``): the values the alert reports are read from it."""
    from monitoring.testgen import constant

    too_long = None if alert.scenarios or alert.burn_rate is not None else range_too_long(alert.expr)
    if too_long:
        raise DefinitionError(f"alert {alert.name}: {too_long}", alert.origin, "give it Scenarios")
    # the alert's own texts: the stack adds only links (runbook, dashboard panel), no templates
    texts = (alert.summary, alert.description, *(text for _, text in alert.annotations))
    if any(labels_map.mark(text) != text for text in texts):
        return _with_labels_maps(alert, stack, interval, source)
    # kept as written (imported): its scenarios test it where it has some; a constant (`vector(1)`, a Watchdog)
    # reads no input and needs no driving
    if isinstance(alert.condition, RawCondition) and not constant.is_constant(alert):
        if alert.scenarios:
            return _scenario_cases(alert, stack, interval)
        return raw_cases(alert, stack, interval)
    return generated_cases(alert, stack, interval, source) + _scenario_cases(alert, stack, interval)


def _with_labels_maps(alert: Alert, stack: Stack, interval: float, source: str | None) -> list[dict]:
    """``{{ $labels }}`` prints the result series' labels, ``__name__`` included where the expression keeps it,
    which the cases do not know: generated with a marker in its place, then filled in from each expected
    alert's series (monitoring.testgen.labels_map, as `monitoring testgen` does)."""
    marked = replace(
        alert,
        summary=labels_map.mark(alert.summary),
        description=labels_map.mark(alert.description),
        annotations=tuple((key, labels_map.mark(text)) for key, text in alert.annotations),
    )
    cases = alert_cases(marked, stack, interval, source)
    try:
        return labels_map.fill_labels_maps(
            cases, [(source or alert.expr, dict(stack.alert_labels(alert)))], rules_by_record(stack)
        )
    except LookupError as exc:
        raise DefinitionError(f"alert {alert.name}: {{{{ $labels }}}} in an annotation: {exc}", alert.origin) from None


class NotDrivable(DefinitionError):
    """A raw condition the generator cannot read as one it drives; ``category`` and ``detail`` say why (the
    reasons `monitoring testgen` lists for the rules it leaves untested)."""

    def __init__(self, alert: Alert, reason):  # reason: conditions_of.NotAutomatic
        self.category, self.detail = reason.category, str(reason)
        super().__init__(
            f"alert {alert.name}: the test generator cannot drive this raw condition ({reason}): `{alert.expr}`",
            alert.origin,
            "give the alert Scenarios (hand-written promtool cases), or a condition such as above(), "
            "equal_to(), outside(), both() or absent() on a Threshold step",
        )


def raw_cases(alert: Alert, stack: Stack, interval: float) -> list[dict]:
    """A raw condition driven as `monitoring testgen` drives a rule file's alert: read as the condition it is
    (`a > 1 and b < 2` is both(), `x == 0 or y == 0` either()), or, with no comparison at its top, tested as
    firing for every series it returns; refused, with the reason, where it is neither."""
    from monitoring.testgen.conditions_of import NotAutomatic, read_condition
    from monitoring.testgen.present import cases as present_cases

    try:
        condition, rewritten = read_condition(alert.expr, alert.name)
    except NotAutomatic as exc:
        if exc.category == "no comparison":
            return present_cases(alert, stack, interval)
        raise NotDrivable(alert, exc) from None
    # the same rule (name, labels, annotations, `for`); a rewritten condition reports the source's values
    driven = replace(alert, condition=condition)
    return generated_cases(driven, stack, interval, alert.expr if rewritten else None)


def generated_cases(alert: Alert, stack: Stack, interval: float, source: str | None = None) -> list[dict]:
    from monitoring.testgen import burnrate, cases, constant

    try:
        if alert.burn_rate is not None:
            return burnrate.cases(alert, stack, interval)
        if constant.is_constant(alert):
            return constant.cases(alert, stack, interval)
        return cases.cases(alert, stack, interval, source)
    except Unsupported as exc:
        raise DefinitionError(
            f"alert {alert.name}: cannot generate its tests: {exc}{_where(exc, alert.expr)}",
            alert.origin,
            "the expected outcomes come from our evaluator, which has the PromQL of Prometheus 2.42 (float "
            "samples): write the condition with what 2.42 offers",
        ) from None
    except search.SearchOverBudget as exc:
        raise DefinitionError(
            f"alert {alert.name}: cannot generate its tests: {exc}",
            alert.origin,
            "give the alert Scenarios (hand-written promtool cases), or driver=lambda value: {series: shape}",
        ) from None
    except search.SearchFailed as exc:
        raise DefinitionError(
            f"alert {alert.name}: cannot generate its tests: {exc}",
            alert.origin,
            "check the threshold can be reached within the metrics' declared ranges, or give the alert "
            "driver=lambda value: {series: shape} (see monitoring.model.synthetic)",
        ) from None


def _where(exc: Exception, expr: str) -> str:
    """ " (`construct` at column N of the alert's expression)" for an unsupported construct the evaluator names."""
    construct = getattr(exc, "construct", None)
    if not construct or construct not in expr or "column" in str(exc):
        return ""
    return f" (`{construct}` at column {expr.index(construct) + 1} of `{expr}`)"


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


def promtool_case(alert, stack, title: str, interval: str, inputs: list[dict], eval_time: float, firing) -> dict:
    """One promtool test group: ``alert`` at ``eval_time`` on ``inputs`` fires exactly ``firing`` [(labels, value)]."""
    return {
        "name": f"{alert.name}: {title}",
        "interval": interval,
        "input_series": inputs,
        "alert_rule_test": [
            {
                "eval_time": format_duration(eval_time),
                "alertname": alert.name,
                "exp_alerts": [_expected(alert, stack, labels, value) for labels, value in firing],
            }
        ],
    }


def _expected(alert, stack, labels, value):
    series_labels = dict(labels)
    all_labels = {**series_labels, **stack.alert_labels(alert)}
    try:
        annotations = {k: templates.expand(v, series_labels, value) for k, v in stack.alert_annotations(alert).items()}
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
        firing = _firing_at(states, at, alert.for_seconds)
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
        inputs = [{"series": k, "values": v} for k, v in scenario.series]
        cases.append(promtool_case(alert, stack, scenario.name, scenario.interval, inputs, at, firing))
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
