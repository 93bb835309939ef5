"""Every generated dashboard validates with zero errors against Grafana's own schema (schemaVersion 42)."""

import json
from pathlib import Path

import pytest

from monitoring.pipeline.schema import schema_errors

GENERATED = Path(__file__).resolve().parent.parent / "generated" / "grafana" / "dashboards"


@pytest.mark.parametrize("path", sorted(GENERATED.glob("*.json")), ids=lambda p: p.name)
def test_dashboard_passes_grafana_schema(shared, path):
    schema = shared / "corpora/schemas/grafana-foundation-sdk/dashboard.jsonschema.json"
    assert schema_errors(json.loads(path.read_text()), schema) == []


def test_there_are_dashboards():
    assert list(GENERATED.glob("*.json"))
