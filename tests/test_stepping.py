"""The step simulator copies periodic evaluation steps: its states must equal evaluating every step."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitoring.definitions import ab_test as ab
from monitoring.model.synthetic import CounterRate, GaugeValue
from monitoring.promql.evaluator import Evaluator
from monitoring.testgen import synth
from monitoring.testgen.alerts import rules_by_record
from monitoring.testgen.cases import CaseBuilder
from monitoring.testgen.stepping import StepSimulator, _reads

RULES = rules_by_record(ab.STACK)


def state(evaluator, expr, t):
    return {tuple(l for l in labels if l[0] != "__name__"): v for labels, v in evaluator.instant(expr, t)}


def every_step(expr, series, interval, end):
    """The reference: evaluate at every step, as the generator did before steps were copied."""
    evaluator, states, t = Evaluator(series, RULES), {}, 0.0
    while t <= end:
        states[t] = state(evaluator, expr, t)
        t += interval
    return states


def simulator(expr, interval, evaluated=None):
    def evaluator_for(series):
        evaluator = Evaluator(series, RULES)

        def evaluate(t):
            if evaluated is not None:
                evaluated.append(t)
            return state(evaluator, expr, t)

        return evaluate

    return StepSimulator(expr, RULES, interval, evaluator_for)


def driver_of(alert):
    return CaseBuilder(alert, ab.STACK, 30.0).leaf(alert.condition.comparisons()[0]).driver


def alert_timelines(alert, minutes=(6, 30)):
    """healthy -> crossed and healthy -> just safe, as the generated cases build them."""
    driver = driver_of(alert)
    healthy = driver.healthy()
    return [
        synth.Timeline().add(minutes[0], healthy).add(minutes[1], inputs)
        for inputs in (driver.fires(0), driver.safe()[0])
    ]


@pytest.mark.parametrize("interval", [15.0, 30.0, 45.0, 60.0, 90.0])
@pytest.mark.parametrize("alert", ab.ALERTS, ids=lambda a: a.name)
def test_states_equal_evaluating_every_step(alert, interval):
    sim = simulator(alert.expr, interval)
    for timeline in alert_timelines(alert):
        series, end = timeline.series(), timeline.minutes * 60
        assert sim.states(series, end) == every_step(alert.expr, series, interval, end)
    assert sim.fallbacks == 0


def test_periodic_steps_are_copied_and_shared_prefixes_reused():
    alert = next(a for a in ab.ALERTS if a.name == "ModelAccuracyDegraded")
    evaluated: list[float] = []
    sim = simulator(alert.expr, 30.0, evaluated)
    crossed, safe = alert_timelines(alert)
    steps = len(sim.states(crossed.series(), crossed.minutes * 60))
    first = len(evaluated)
    assert first < steps / 2  # most of a 36-minute timeline is periodic
    sim.states(crossed.series(), crossed.minutes * 60)
    assert len(evaluated) == first  # the same inputs again: nothing is evaluated
    sim.states(safe.series(), safe.minutes * 60)
    assert 0 < len(evaluated) - first < first  # the healthy prefix is shared...
    assert min(evaluated[first:]) >= 7 * 60  # ...so only steps from the first crossed sample on are evaluated


@pytest.mark.parametrize("alert", ab.ALERTS, ids=lambda a: a.name)
def test_states_from_since_on_skip_the_wiped_history(alert):
    """With ``since``, steps before the step ahead of it are skipped when nothing holds there."""
    since = 6 * 60  # the switch to the crossed value, as in alert_timelines
    evaluated: list[float] = []
    sim = simulator(alert.expr, 30.0, evaluated)
    for timeline in alert_timelines(alert):
        series, end = timeline.series(), timeline.minutes * 60
        full = every_step(alert.expr, series, 30.0, end)
        states = sim.states(series, end, since=since)
        first = min(states)
        assert first == since - 30.0 and states[first] == {}  # healthy before the switch: history wiped
        assert states == {t: s for t, s in full.items() if t >= first}
    assert min(evaluated) == since - 30.0


def test_a_condition_holding_before_since_keeps_every_step():
    # Accuracy stays below the threshold from the start: the run of true states reaches back to 0.
    alert = next(a for a in ab.ALERTS if a.name == "ModelAccuracyDegraded")
    drive = driver_of(alert).drive
    timeline = synth.Timeline().add(6, drive(60.0)).add(30, drive(50.0))
    series, end = timeline.series(), timeline.minutes * 60
    states = simulator(alert.expr, 30.0).states(series, end, since=6 * 60)
    assert min(states) == 0.0 and states == every_step(alert.expr, series, 30.0, end)


def test_reads_follow_recording_rules_and_find_raw_counters():
    reads, window = _reads(f"sum({ab.REQUESTS}) > 0", RULES)
    assert reads == {str(ab.REQUESTS)} and window == 60.0  # the latest sample: they come every minute
    reads, window = _reads(f"{ab.ACCURACY_15M} < 1", RULES)
    assert reads == {str(ab.ACCURACY)} and window == 900.0
    reads, window = _reads(f"{ab.REQUESTS_1H} > 0", RULES)
    assert reads == frozenset() and window == 3600.0
    assert _reads(f"sum({ab.REQUESTS} offset 5m) > 0", RULES) is None


def test_counter_read_raw_is_never_copied():
    """A raw counter grows from step to step: copying it would be wrong, so every step is evaluated."""
    expr = f"sum by (model_name) ({ab.REQUESTS}) > 0"
    key = ab.REQUESTS.select(model_name="baseline", status="error")
    timeline = synth.Timeline().add(6, {key: CounterRate(2)}).add(20, {key: CounterRate(5)})
    series, end = timeline.series(), timeline.minutes * 60
    evaluated: list[float] = []
    states = simulator(expr, 30.0, evaluated).states(series, end)
    assert len(evaluated) == len(states)
    assert states == every_step(expr, series, 30.0, end)


def test_a_wrong_copy_is_caught_and_every_step_evaluated():
    """An evaluation that depends on absolute time breaks the assumption; the verification notices."""
    series = synth.Timeline().add(40, {ab.DRIFT.select(): GaugeValue(0.5)}).series()
    sim = StepSimulator(f"max({ab.DRIFT})", RULES, 30.0, lambda _: lambda t: {(): t})
    states = sim.states(series, 40 * 60)
    assert len(states) == 81 and states == {t: {(): t} for t in states}
    assert sim.fallbacks == 1


EXPRESSIONS = [
    f"avg by (model_name) (avg_over_time({ab.ACCURACY}[5m])) < 70",
    f"max(max_over_time({ab.DRIFT}[10m])) > 0.03",
    f"{ab.ACCURACY} < 70",
    f"{ab.ACCURACY_15M} < 75",
    f"{ab.ERROR_RATIO} > 0.05",
    f"{ab.SPLIT_DEVIATION} > 5",
    f"sum(rate({ab.REQUESTS}[2m])) > 1",
    f"sum(increase({ab.REQUESTS}[1m])) > 1",
    f"sum(irate({ab.REQUESTS}[5m])) > 1",
    f"sum(delta({ab.REQUESTS}[3m]))",
    f"sum({ab.REQUESTS}) > 1",
    f"sum(avg_over_time({ab.REQUESTS}[5m])) > 1",
]
phase = st.tuples(st.integers(1, 25), st.integers(0, 64 * 40), st.integers(0, 64 * 100), st.booleans())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    phases=st.lists(phase, min_size=1, max_size=4),
    expr=st.sampled_from(EXPRESSIONS),
    interval=st.sampled_from([10.0, 15.0, 30.0, 45.0, 60.0, 120.0]),
)
def test_random_phases_match_every_step(phases, expr, interval):
    """Any phases of gauges and counters (rates on the 1/64 grid or not), any interval: nothing changes."""
    timeline = synth.Timeline()
    for minutes, rate, gauge, off_grid in phases:
        per_second = rate / 64 + (7.77 if off_grid else 0.0)
        inputs = {ab.DRIFT.select(): GaugeValue(gauge / 6400)}
        for model in ab.MODEL.values:
            inputs[ab.ACCURACY.select(model_name=model)] = GaugeValue(gauge / 64)
            for status in ab.STATUS.values:
                spec = CounterRate(per_second)
                # off_grid keeps an inexact rate to test the exactness guard
                object.__setattr__(spec, "per_second", per_second * (2 if status == "success" else 1))
                inputs[ab.REQUESTS.select(model_name=model, status=status)] = spec
        timeline.add(minutes, inputs)
    series, end = timeline.series(), timeline.minutes * 60
    sim = simulator(expr, interval)
    assert sim.states(series, end) == every_step(expr, series, interval, end)
    assert sim.fallbacks == 0  # the guards alone kept every copy exact; the verification never had to
