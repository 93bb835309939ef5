"""Generated cases for an alert whose expression has no comparison at its top (``max by (name) (x == 1)``,
``pg_invalid_index_size{...}``, ``count(x == 0) by (pod)``, ``(a - 1) + on (i) (b == 0)``): Prometheus fires
it for every series the expression returns, so its cases are

- **fires**: inputs under which the expression returns series, held for longer than `for`;
- **too short** (`for` longer than the evaluation interval): the same, for less than `for`;
- **quiet**: inputs under which it returns nothing: one family of its input series moved (by the search's
  knobs) to where the expression is empty (``x`` at 0 for ``sum(x > 0)``), else its input series absent.

The expected values and labels are the evaluator's, at every evaluation step (the alert state machine decides
what fires when)."""

from __future__ import annotations

import math

from monitoring.errors import DefinitionError
from monitoring.model import Alert, Stack
from monitoring.model.durations import format_duration
from monitoring.model.synthetic import Absence
from monitoring.promql.evaluator import Evaluator
from monitoring.testgen import drivers, search, synth
from monitoring.testgen.alerts import _firing_at, longest_range, promtool_case, rules_by_record
from monitoring.testgen.stepping import evaluation_times


def cases(alert: Alert, stack: Stack, interval: float) -> list[dict]:
    expr = alert.expr
    try:
        finder = search.SignalSearch(drivers.catalog_of(stack), expr, interval)
        present, shown = _returning(finder)
        quiet, how = _empty(finder, present)
    except (search.SearchFailed, search.SearchOverBudget) as exc:
        raise DefinitionError(f"alert {alert.name}: cannot generate its tests: {exc}", alert.origin) from None
    for_seconds = alert.for_seconds
    warmup = max(5, math.ceil(longest_range(expr, stack) / 60) + 1)
    length = warmup + math.ceil((for_seconds + longest_range(expr, stack) + 5 * interval) / 60) + 10
    rules = rules_by_record(stack)

    def run(phases):
        timeline = synth.Timeline().add(warmup, phases[0]).add(length, phases[1])
        evaluator = Evaluator(timeline.series(), rules)
        states = {
            t: {_shown(labels): v for labels, v in evaluator.instant(expr, t)}
            for t in evaluation_times(interval, timeline.minutes * 60)
        }
        return timeline, states

    def case(title, timeline, eval_time, firing):
        inputs = [dict(series) for series in timeline.promtool_inputs()]
        return promtool_case(alert, stack, title, format_duration(synth.INTERVAL), inputs, eval_time, firing)

    since = warmup * 60
    timeline, states = run([quiet, present])
    t_true = next((t for t in sorted(states) if t >= since and states[t]), None)
    if t_true is None or any(states[t] for t in states if t < since):
        raise DefinitionError(
            f"alert {alert.name}: `{expr}` does not return series only once its inputs ({shown}) are set",
            alert.origin,
        )
    eval_time = min(t_true + for_seconds + 2 * interval, timeline.minutes * 60)
    firing = _firing_at(states, eval_time, for_seconds)
    if not firing:
        raise DefinitionError(
            f"alert {alert.name}: generated case 'fires' ({shown}) does not fire at {format_duration(eval_time)}",
            alert.origin,
        )
    values = ", ".join(f"{v:.6g}" for _, v in firing)
    title = f"fires (returns {len(firing)} series at {values} with {shown}, for {alert.for_})"
    out = [case(title, timeline, eval_time, firing)]
    quiet_timeline, quiet_states = run([quiet, quiet])
    if _firing_at(quiet_states, eval_time, 0.0):
        raise DefinitionError(
            f"alert {alert.name}: generated case 'quiet' ({how}) fires at {format_duration(eval_time)}", alert.origin
        )
    out.append(case(f"quiet (returns nothing: {how}, for {alert.for_})", quiet_timeline, eval_time, []))
    if for_seconds > interval:
        short = t_true + for_seconds - interval
        if _firing_at(states, short, for_seconds):
            raise DefinitionError(
                f"alert {alert.name}: generated case 'too short' fires at {format_duration(short)}", alert.origin
            )
        out.append(case(f"too short (returns series with {shown}, for less than {alert.for_})", timeline, short, []))
    return out


def _returning(finder: search.SignalSearch) -> tuple[dict, str]:
    """Inputs under which the expression returns series: every input at its default, else one knob moved."""
    try:
        setting = finder.populated()
    except search.SearchFailed:
        inputs = _inner_comparisons_hold(finder)
        if inputs is None:
            raise
        return inputs, "each comparison inside it holding"
    if not setting:
        return finder.inputs(()), "its inputs at their defaults"
    ((knob, p),) = setting
    return finder.inputs(setting), f"{knob.describe()} at {p:g}"


def _inner_comparisons_hold(finder: search.SignalSearch) -> dict | None:
    """Inputs under which every ``signal op number`` inside the expression holds, each solved on top of the
    others (``(up == 0) * on (instance) (uptime > 600)`` needs two series moved), when the expression then
    returns series; else None."""
    from monitoring.model.conditions import Comparison
    from monitoring.testgen.conditions_of import comparisons_inside

    inputs: dict = {}
    try:
        for signal, op, value in comparisons_inside(finder.signal):
            driver = drivers.SearchDriver(Comparison(signal, op, value), finder.catalog, finder.interval)
            inputs = drivers.answer(driver, "fires", inputs)
    except search.SearchFailed:
        return None
    return inputs if inputs and finder.measure_inputs(inputs) else None


def _empty(finder: search.SignalSearch, present: dict) -> tuple[dict, str]:
    """Inputs under which it returns nothing: the one knob moved least from its default (relative to it) that
    empties it, else every input absent."""
    if finder.measure(()) == {}:
        return finder.inputs(()), "its inputs at their defaults"
    best = None
    for knob in finder.knobs:
        default = knob.default()
        for p in sorted({knob.snap(p) for p in search.grid(knob)}, key=lambda p: abs(p - default)):
            if finder.measure(((knob, p),)) == {}:
                distance = abs(p - default) / max(abs(default), 1.0)
                if best is None or distance < best[0]:
                    best = (distance, knob, p)
                break
    if best is None:
        return {key: Absence() for key in present}, "its input series absent"
    _, knob, p = best
    return finder.inputs(((knob, p),)), f"{knob.describe()} at {p:g}"


def _shown(labels) -> tuple:
    return tuple(item for item in labels if item[0] != "__name__")
