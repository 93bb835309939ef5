"""The A/B dashboard, panel by panel, as Grafana will load it."""

import dataclasses

import pytest

from monitoring.definitions import ab_test as ab
from monitoring.pipeline.schema import schema_errors
from monitoring.render.grafana import render_dashboard


@pytest.fixture(scope="module")
def dashboard():
    return render_dashboard(ab.DASHBOARD, ab.STACK)


def panels_by_title(dashboard):
    return {p["title"]: p for p in dashboard["panels"] if p["type"] != "row"}


def test_passes_project_schema(dashboard):
    assert schema_errors(dashboard) == []


def test_current_schema_no_legacy_keys(dashboard):
    assert dashboard["schemaVersion"] == 42
    for legacy in ("rows", "style", "sharedCrosshair", "hideControls", "__inputs", "gnetId", "timepicker", "id"):
        assert legacy not in dashboard
    for panel in dashboard["panels"]:
        for legacy in ("span", "height", "minSpan", "editable", "error", "cacheTimeout"):
            assert legacy not in panel


@pytest.mark.parametrize(
    "title,kind",
    [
        ("Traffic Distribution", "piechart"),
        ("Traffic Share vs Target", "stat"),
        ("Model Accuracy Comparison", "stat"),
        ("Response Time Distribution", "timeseries"),
        ("Business Impact Summary", "stat"),
        ("Request Rate Over Time", "timeseries"),
        ("Prediction Drift", "timeseries"),
        ("Model Confidence", "timeseries"),
        ("Current Model Confidence", "gauge"),
        ("Per-model Summary", "table"),
        ("About this A/B test", "text"),
    ],
)
def test_required_panels_present(dashboard, title, kind):
    assert panels_by_title(dashboard)[title]["type"] == kind


def test_datasource_through_variable_and_units(dashboard):
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert variables["model_name"]["query"] == "label_values(ab_test_requests_total, model_name)"
    for panel in panels_by_title(dashboard).values():
        if panel["type"] == "text":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert all(t["datasource"]["uid"] == "${datasource}" for t in panel["targets"])
        assert panel["fieldConfig"]["defaults"]["unit"], panel["title"]


def test_accuracy_colours_come_from_the_one_threshold(dashboard):
    steps = panels_by_title(dashboard)["Model Accuracy Comparison"]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps == [{"color": s.color, "value": s.value} for s in ab.ACCURACY_T.steps]
    # The bands: red below 70, yellow 70-80, green from 80.
    colour = {s["value"]: s["color"] for s in steps}
    assert "red" in colour[None] and colour[50] == "red" and colour[70] == "yellow" and colour[80] == "green"


def test_threshold_change_changes_panel_colours():
    moved = dataclasses.replace(
        ab.ACCURACY_T,
        steps=tuple(dataclasses.replace(s, value=85) if s.value == 80 else s for s in ab.ACCURACY_T.steps),
    )
    panel = dataclasses.replace(ab.ACCURACY_STAT, thresholds=moved)
    dashboard = dataclasses.replace(ab.DASHBOARD, rows=(ab.DASHBOARD.rows[0].__class__("r", (panel,)),))
    rendered = render_dashboard(dashboard, ab.STACK)
    steps = panels_by_title(rendered)["Model Accuracy Comparison"]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert {"color": "green", "value": 85} in steps and {"color": "green", "value": 80} not in steps


def test_drift_and_confidence_thresholds(dashboard):
    panels = panels_by_title(dashboard)
    drift = panels["Prediction Drift"]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    confidence = panels["Model Confidence"]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert {"color": "red", "value": 0.3} in drift
    assert {"color": "green", "value": 0.7} in confidence


def test_queries_reference_recorded_series(dashboard):
    panels = panels_by_title(dashboard)
    latency = [t["expr"] for t in panels["Response Time Distribution"]["targets"]]
    assert latency == [f'{ab.LATENCY[q]}{{model_name=~"$model_name"}}' for q in (50, 95, 99)]
    assert [t["legendFormat"] for t in panels["Response Time Distribution"]["targets"]] == [
        "p50 {{model_name}}",
        "p95 {{model_name}}",
        "p99 {{model_name}}",
    ]
    assert str(ab.REQUEST_RATE) in panels["Traffic Distribution"]["targets"][0]["expr"]
    business = [t["expr"] for t in panels["Business Impact Summary"]["targets"]]
    assert business[0] == 'ab_test_business_impact{metric_type="net_business_value"}'


def test_grid_layout_fits_and_does_not_overlap(dashboard):
    cells = set()
    for panel in dashboard["panels"]:
        g = panel["gridPos"]
        assert g["x"] + g["w"] <= 24
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, panel["title"]
                cells.add((x, y))
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_uid_is_stable(dashboard):
    assert dashboard["uid"] == "ab-test-model-comparison"
    assert render_dashboard(ab.DASHBOARD, ab.STACK) == dashboard
