"""The model enforces Prometheus naming and threshold rules at construction time, naming the line."""

import pytest

from monitoring import (
    COUNTER,
    GAUGE,
    HISTOGRAM,
    Label,
    Metric,
    RecordingRule,
    Step,
    Threshold,
    TimeSeries,
    above,
    below,
)
from monitoring.errors import DefinitionError
from monitoring.model.dashboard import Dashboard, Row, uid_from_title


def test_counter_must_end_in_total():
    with pytest.raises(DefinitionError, match="must end in '_total'") as err:
        Metric("svc_requests", COUNTER, "Requests.")
    assert "test_model.py:" in err.value.where


def test_only_counters_end_in_total():
    with pytest.raises(DefinitionError, match="not a counter"):
        Metric("svc_things_total", GAUGE, "Things.")


def test_base_unit_in_name():
    with pytest.raises(DefinitionError, match="does not end in '_seconds'"):
        Metric("svc_latency", HISTOGRAM, "Latency.", unit="seconds", buckets=(1,))
    with pytest.raises(DefinitionError, match="non-base unit 'milliseconds'"):
        Metric("svc_latency_milliseconds", GAUGE, "Latency.")
    assert Metric("svc_latency_seconds", HISTOGRAM, "Latency.", unit="seconds", buckets=(0.1, 1)).grafana_unit == "s"


def test_histogram_needs_increasing_buckets():
    with pytest.raises(DefinitionError, match="without buckets"):
        Metric("svc_size_bytes", HISTOGRAM, "Size.", unit="bytes")
    with pytest.raises(DefinitionError, match="strictly increasing"):
        Metric("svc_size_bytes", HISTOGRAM, "Size.", unit="bytes", buckets=(10, 5))


def test_histogram_series_and_selectors():
    model = Label("model_name", ("a",))
    m = Metric("svc_latency_seconds", HISTOGRAM, "Latency.", unit="seconds", labels=(model,), buckets=(0.1,))
    assert m.series_names() == ("svc_latency_seconds_bucket", "svc_latency_seconds_count", "svc_latency_seconds_sum")
    assert m.select("_bucket", model_name="a") == 'svc_latency_seconds_bucket{model_name="a"}'
    with pytest.raises(DefinitionError, match="has no label 'status'"):
        m.select(status="error")
    gauge = Metric("svc_load", GAUGE, "Load.")
    with pytest.raises(DefinitionError, match="no _bucket series"):
        _ = gauge.bucket


def test_threshold_steps_must_be_ordered():
    with pytest.raises(DefinitionError, match=r"steps out of order \(80 then 70\)") as err:
        Threshold("t", steps=(Step(None, "red", "bad"), Step(80, "green", "good"), Step(70, "yellow", "meh")))
    assert "test_model.py:" in err.value.where
    with pytest.raises(DefinitionError, match="first step must start at None"):
        Threshold("t", steps=(Step(0, "red", "bad"),))


def test_threshold_levels_are_referenced_not_copied():
    t = Threshold("t", steps=(Step(None, "red", "low"), Step(70, "yellow", "ok"), Step(80, "green", "good")))
    assert t["ok"].value == 70 and t["ok"].threshold is t
    assert below("x", t["ok"]).expr == "x < 70"
    assert above("x", t["good"]).expr == "x > 80"
    assert t.step_for(75).meaning == "ok" and t.step_for(80).meaning == "good" and t.step_for(1).meaning == "low"
    with pytest.raises(DefinitionError, match="has no step 'great'"):
        t["great"]


def test_recording_rule_name_and_str():
    rule = RecordingRule("job:svc_requests:rate5m", "sum by (job) (rate(svc_requests_total[5m]))")
    assert f"{rule} > 1" == "job:svc_requests:rate5m > 1"
    with pytest.raises(DefinitionError, match="level:metric:operations"):
        RecordingRule("svc_requests_rate", "1")


def test_dashboard_uid_is_stable_and_safe():
    assert uid_from_title("A/B Test: Model Comparison") == uid_from_title("A/B Test: Model Comparison")
    assert uid_from_title("../../etc/passwd").startswith("etc-passwd-")
    panel = TimeSeries("p", ["up"])
    d = Dashboard("../x", rows=(Row("r", (panel,)),))
    assert "/" not in d.uid and ".." not in d.uid


def test_locations_are_values_formatted_only_when_printed():
    from monitoring.errors import DefinitionError, Location

    metric = Metric("svc_load", GAUGE, "Load.")
    assert isinstance(metric.origin, Location) and metric.origin.file.endswith("test_model.py")
    assert metric.origin.line > 0 and str(metric.origin) == f"{metric.origin.file}:{metric.origin.line}"
    assert Location.parse("a/b.yml:3:7") == Location("a/b.yml", 3, 7)
    assert Location.parse("C:/x.yml:12") == Location("C:/x.yml", 12)
    assert str(Location("rules.yml")) == "rules.yml"
    error = DefinitionError("bad", Location("p.yaml", 4), "fix it")
    assert error.location.line == 4 and error.format() == "p.yaml:4: bad\n  hint: fix it"


def test_untested_is_a_reason_and_excludes_the_ways_of_testing():
    """`untested=` declares a gap with its reason: a text, and not beside Scenarios, a driver or test_inputs."""
    from monitoring import Alert, Scenario, raw

    up = Metric("up", GAUGE, "Scrape target up.", external=True)
    kw = {"summary": "s", "description": "d"}
    assert Alert("Down", raw(f"{up} == 0"), "1m", "critical", untested="no driver yet", **kw).untested
    for extra, message in (
        ({"scenarios": (Scenario("down", (("up", "0x5"),), "3m"),)}, "untested, yet it has scenarios"),
        ({"driver": lambda value: {}}, "untested, yet it has a driver"),
        ({}, "untested \\(the reason\\)"),
    ):
        reason = 5 if not extra else "why"
        with pytest.raises(DefinitionError, match=message) as err:
            Alert("Down", raw(f"{up} == 0"), "1m", "critical", untested=reason, **kw, **extra)
        assert "test_model.py:" in err.value.where
    with pytest.raises(DefinitionError, match="both test_inputs and untested"):
        RecordingRule("job:up:sum", f"sum by (job) ({up})", test_inputs={"up": "1x5"}, untested="why")
