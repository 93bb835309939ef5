"""JSON Schema validation of generated dashboards (the project's own schema, shipped in the package)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


@cache
def schema_validator(path: str):
    import jsonschema

    schema = json.loads(Path(path).read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_errors(document, schema_path: str | Path = SCHEMA_DIR / "grafana-dashboard.schema.json") -> list[str]:
    """Every violation as "path: message" (empty list = valid)."""
    validator = schema_validator(str(schema_path))
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    ]
