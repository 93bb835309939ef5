"""instrument(): prometheus_client metrics built from the catalog expose exactly what the catalog says."""

import subprocess
import sys

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from monitoring import COUNTER, GAUGE, SUMMARY, Label, Metric, instrument
from monitoring.definitions.ab_test import ACCURACY, REQUESTS, STACK
from monitoring.errors import DefinitionError


def families(registry) -> dict:
    return {f.name: f for f in text_string_to_metric_families(generate_latest(registry).decode())}


def test_exposition_matches_the_catalog():
    registry = CollectorRegistry()
    instrument(STACK, registry)
    exposed = families(registry)
    for metric in STACK.metrics:
        family = exposed[metric.name.removesuffix("_total")]
        assert family.type == metric.type.value
        series = {s.name for s in family.samples}
        assert series == set(metric.series_names()), metric.name
        label_sets = {tuple(sorted(k for k in s.labels if k != "le")) for s in family.samples}
        assert label_sets == {tuple(sorted(metric.label_names))}, metric.name
        if metric.buckets:
            bounds = sorted({float(s.labels["le"]) for s in family.samples if s.name.endswith("_bucket")})
            assert bounds == [*metric.buckets, float("inf")]
    # Nothing beyond the catalog, apart from prometheus_client's *_created timestamps.
    catalog = {m.name.removesuffix("_total") for m in STACK.metrics}
    assert {name.removesuffix("_created") for name in exposed} == catalog


def test_known_label_values_are_exposed_before_the_first_event():
    registry = CollectorRegistry()
    instrument(STACK, registry)
    requests = [s for s in families(registry)["ab_test_requests"].samples if s.name == "ab_test_requests_total"]
    assert {(s.labels["model_name"], s.labels["status"]) for s in requests} == {
        (m, st) for m in ("baseline", "enhanced") for st in ("success", "error")
    }
    assert all(s.value == 0 for s in requests)


def test_labels_without_known_values_are_not_invented():
    registry = CollectorRegistry()
    metric = Metric("svc_jobs_total", COUNTER, "Jobs.", labels=(Label("queue"),))
    instrument([metric], registry)
    assert [s for s in families(registry)["svc_jobs"].samples if s.name == "svc_jobs_total"] == []


def test_metric_objects_and_names_are_keys():
    registry = CollectorRegistry()
    metrics = instrument(STACK, registry)
    metrics[REQUESTS].labels(model_name="enhanced", status="error").inc(3)
    metrics["ab_test_model_accuracy"].labels(model_name="baseline").set(81.5)
    assert metrics[ACCURACY] is metrics["ab_test_model_accuracy"]
    assert registry.get_sample_value("ab_test_requests_total", {"model_name": "enhanced", "status": "error"}) == 3
    assert registry.get_sample_value("ab_test_model_accuracy", {"model_name": "baseline"}) == 81.5
    assert set(metrics) == {m.name for m in STACK.metrics} and len(metrics) == len(STACK.metrics)
    with pytest.raises(KeyError, match="not in the catalog"):
        metrics["svc_unknown"]


def test_summary_and_unit_do_not_change_the_name():
    registry = CollectorRegistry()
    size = Metric("svc_payload_bytes", SUMMARY, "Payload size.", unit="bytes")
    load = Metric("svc_load", GAUGE, "Load.", unit="percent")
    metrics = instrument([size, load], registry)
    metrics[size].observe(512)
    assert registry.get_sample_value("svc_payload_bytes_sum") == 512
    assert registry.get_sample_value("svc_load") == 0


def test_registering_twice_names_the_metric():
    registry = CollectorRegistry()
    instrument(STACK, registry)
    with pytest.raises(DefinitionError, match="cannot register metric 'ab_test_requests_total'") as err:
        instrument(STACK, registry)
    assert "ab_test.py:" in err.value.where


def test_only_metric_objects_are_accepted():
    with pytest.raises(DefinitionError, match="takes Metric objects"):
        instrument(["ab_test_requests_total"], CollectorRegistry())


def test_importing_the_package_does_not_load_prometheus_client():
    # `monitoring generate` must not pay for prometheus_client; instrument loads it on first use.
    code = (
        "import sys, monitoring; before = 'prometheus_client' in sys.modules; "
        "f = monitoring.instrument; print(before, 'prometheus_client' in sys.modules, callable(f))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True", "True"]
