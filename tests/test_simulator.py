"""The A/B traffic simulator: healthy traffic stays inside every threshold, each fault crosses its own."""

import json
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from monitoring.definitions import ab_test
from monitoring.runtime.simulator import (
    FAULTS,
    HEALTHY,
    MODELS,
    SIGNALS,
    STACK,
    Simulator,
    apply_faults,
    expected_alerts,
    holds,
    signal_alerts,
)

ALERTS = {a.name: a for a in signal_alerts()}


def margin(alert, value) -> float:
    """How far a value is from the alert's level, relative to the level (positive: on the firing side).

    10% of the level is far beyond the simulator's noise (accuracy +-0.5 points, gauges +-0.01)."""
    level = alert.condition.level.value
    return (level - value) / level if alert.condition.op in ("<", "<=") else (value - level) / level


def test_healthy_traffic_stays_clearly_inside_every_threshold():
    assert expected_alerts({}) == set()
    for alert in signal_alerts():
        for model in MODELS:
            assert margin(alert, SIGNALS[alert.name](model, HEALTHY)) < -0.1, (alert.name, model)


def test_every_alert_but_the_meta_alerts_has_a_fault_that_fires_it():
    # the Watchdog and the absent-metrics alert are about the monitoring, not a signal: make e2e proves them apart
    assert {a.name for a in STACK.alerts()} - set(ALERTS) == {a.name for a in ab_test.META_ALERTS}
    assert set(SIGNALS) == set(ALERTS)
    assert {f.alert for f in FAULTS.values()} == set(ALERTS)


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_each_fault_pushes_its_alert_clearly_past_the_threshold(name):
    fault = FAULTS[name]
    state = apply_faults({name: fault.default_model})
    alert = ALERTS[fault.alert]
    assert margin(alert, SIGNALS[alert.name](fault.default_model, state)) > 0.1
    assert fault.alert in {a for a, _ in expected_alerts({name: fault.default_model})}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_each_fault_fires_only_alerts_on_the_signal_it_changes(name):
    fault = FAULTS[name]
    fired = expected_alerts({name: fault.default_model})
    signals = {str(ALERTS[a].condition.signal) for a, _ in fired}
    assert signals == {str(ALERTS[fault.alert].condition.signal)}
    if not fault.whole_test:
        assert {model for _, model in fired} == {fault.default_model}


def test_fault_values_follow_the_thresholds():
    # Collapse goes below "failing"; degradation lands between "failing" and "acceptable".
    collapse = apply_faults({"accuracy_collapse": "enhanced"}).models["enhanced"].accuracy
    degraded = apply_faults({"accuracy_degradation": "baseline"}).models["baseline"].accuracy
    assert collapse < ab_test.ACCURACY_T["failing"].value
    assert ab_test.ACCURACY_T["failing"].value < degraded < ab_test.ACCURACY_T["acceptable"].value
    assert expected_alerts({"accuracy_degradation": "baseline"}) == {("ModelAccuracyDegraded", "baseline")}
    skewed = apply_faults({"traffic_skew": "enhanced"})
    assert sum(p.share for p in skewed.models.values()) == pytest.approx(1.0)
    assert holds(ALERTS["TrafficSplitDeviation"], SIGNALS["TrafficSplitDeviation"]("baseline", skewed))


def samples(sim) -> dict:
    found = {}
    for family in text_string_to_metric_families(generate_latest(sim.registry).decode()):
        for s in family.samples:
            if not s.name.endswith("_created"):
                found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def requests(sim, model, status) -> float:
    return sim.registry.get_sample_value("ab_test_requests_total", {"model_name": model, "status": status})


def test_traffic_split_and_error_ratios_are_exact_over_1000_requests():
    sim = Simulator(rate=100)
    try:
        sim._step(10.0)  # 1000 requests, generated synchronously
        assert requests(sim, "baseline", "success") + requests(sim, "baseline", "error") == 700
        assert requests(sim, "enhanced", "success") + requests(sim, "enhanced", "error") == 300
        assert requests(sim, "baseline", "error") == int(700 * HEALTHY.models["baseline"].error_ratio)
        assert requests(sim, "enhanced", "error") == int(300 * HEALTHY.models["enhanced"].error_ratio)
        count = sim.registry.get_sample_value("ab_test_response_time_seconds_count", {"model_name": "enhanced"})
        slow = count - sim.registry.get_sample_value(
            "ab_test_response_time_seconds_bucket", {"model_name": "enhanced", "le": "0.05"}
        )
        assert count == 300 and slow == 300  # enhanced answers in 60-80 ms
    finally:
        sim._server.stop()


def test_same_seed_same_series():
    first, second = Simulator(seed=7), Simulator(seed=7)
    try:
        for sim in (first, second):
            sim.activate("latency_increase")
            sim._step(3.0)
        assert samples(first) == samples(second)
    finally:
        first._server.stop()
        second._server.stop()


def call(url, method="GET"):
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def accuracy(body, model) -> float:
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            if s.name == "ab_test_model_accuracy" and s.labels["model_name"] == model:
                return s.value
    raise AssertionError("no accuracy sample")


def test_http_service_counts_and_switches_faults():
    with Simulator(rate=200, tick=0.02) as sim:
        status, before = call(sim.url + "/metrics")
        assert status == 200
        time.sleep(0.5)
        after = call(sim.url + "/metrics")[1]
        total = lambda body: sum(
            s.value
            for f in text_string_to_metric_families(body)  # noqa: E731
            for s in f.samples
            if s.name == "ab_test_requests_total"
        )
        assert total(after) - total(before) >= 50  # requests keep flowing in the background
        assert accuracy(after, "enhanced") > ab_test.ACCURACY_T["healthy"].value

        status, body = call(sim.url + "/faults/accuracy_collapse?model=enhanced", "POST")
        assert status == 200 and json.loads(body)["active"] == {"accuracy_collapse": "enhanced"}
        time.sleep(0.1)
        assert accuracy(call(sim.url + "/metrics")[1], "enhanced") < ab_test.ACCURACY_T["failing"].value
        assert accuracy(call(sim.url + "/metrics")[1], "baseline") > ab_test.ACCURACY_T["healthy"].value

        status, body = call(sim.url + "/faults/accuracy_collapse", "DELETE")
        assert status == 200 and json.loads(body)["active"] == {}
        time.sleep(0.1)
        assert accuracy(call(sim.url + "/metrics")[1], "enhanced") > ab_test.ACCURACY_T["healthy"].value

        call(sim.url + "/faults/error_spike", "POST")
        call(sim.url + "/faults/low_confidence?model=baseline", "POST")
        listing = json.loads(call(sim.url + "/faults")[1])
        assert listing["active"] == {"error_spike": "baseline", "low_confidence": "baseline"}
        assert set(listing["available"]) == set(FAULTS)
        assert json.loads(call(sim.url + "/faults", "DELETE")[1])["active"] == {}


def test_http_errors_name_the_problem():
    with Simulator() as sim:
        status, body = call(sim.url + "/faults/meltdown", "POST")
        assert status == 404 and "accuracy_collapse" in json.loads(body)["faults"]
        status, body = call(sim.url + "/faults/error_spike?model=gamma", "POST")
        assert status == 400 and "unknown model 'gamma'" in json.loads(body)["error"]
        assert call(sim.url + "/faults/meltdown", "DELETE")[0] == 404
        assert call(sim.url + "/-/ready")[0] == 200
        assert sim.active() == {}
