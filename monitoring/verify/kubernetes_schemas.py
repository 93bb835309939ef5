"""Offline validation of generated Kubernetes resources: their schemas, names and sizes.

- PrometheusRule and GrafanaDashboard: the ``openAPIV3Schema`` of their CRDs, vendored in
  monitoring/schemas/crds/ (see the README there), made strict: an unknown field is an error here, where the
  API server would silently prune it.
- ConfigMap and Secret: Kubernetes' own schemas, strict, from the ``kubernetes-validate`` package.
- kustomization.yaml: the project's schema for the subset we write (monitoring/schemas/kustomization.schema.json).
- Names: DNS-1123 object names and namespaces, label keys and values, ConfigMap/Secret data keys.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from pathlib import Path

import yaml

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
CRDS = {
    ("monitoring.coreos.com/v1", "PrometheusRule"): "crds/monitoring.coreos.com_prometheusrules.yaml",
    ("grafana.integreatly.org/v1beta1", "GrafanaDashboard"): "crds/grafana.integreatly.org_grafanadashboards.yaml",
}
KUBERNETES_VERSION = "1.30.0"  # the oldest Kubernetes release still supported upstream when this was written

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")
DATA_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def name_problems(resource: dict) -> list[str]:
    """DNS-1123 name and namespace, label syntax, data keys (apimachinery's validation rules)."""
    meta = resource.get("metadata") or {}
    problems = []
    name, namespace = meta.get("name", ""), meta.get("namespace", "")
    if not (isinstance(name, str) and len(name) <= 253 and DNS1123_SUBDOMAIN.match(name)):
        problems.append(f"metadata.name {name!r} is not a DNS-1123 subdomain")
    if not (isinstance(namespace, str) and len(namespace) <= 63 and DNS1123_LABEL.match(namespace)):
        problems.append(f"metadata.namespace {namespace!r} is not a DNS-1123 label")
    for key, value in (meta.get("labels") or {}).items():
        prefix, _, label = str(key).rpartition("/")
        if (prefix and not (len(prefix) <= 253 and DNS1123_SUBDOMAIN.match(prefix))) or not LABEL_NAME.match(label):
            problems.append(f"label key {key!r} is invalid")
        if not (isinstance(value, str) and LABEL_VALUE.match(value)):
            problems.append(f"label {key}: value {value!r} is invalid")
    for section in ("data", "stringData"):
        for key in resource.get(section) or {}:
            if not (len(key) <= 253 and DATA_KEY.match(key)):
                problems.append(f"{section} key {key!r} is invalid (letters, digits, '-', '_', '.')")
    return problems


def schema_problems(resource: dict) -> list[str]:
    """Every schema violation of a resource, as "path: message"."""
    if not isinstance(resource, dict):
        return ["not a mapping"]
    key = (resource.get("apiVersion"), resource.get("kind"))
    if key in CRDS:
        validator = _crd_validator(*key)
        return [
            f"{'.'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
            for error in sorted(validator.iter_errors(resource), key=lambda e: list(map(str, e.absolute_path)))
        ]
    if key == ("kustomize.config.k8s.io/v1beta1", "Kustomization"):
        from monitoring.pipeline.schema import schema_errors

        return schema_errors(resource, SCHEMAS / "kustomization.schema.json")
    return _kubernetes_problems(resource)


def _kubernetes_problems(resource: dict) -> list[str]:
    try:
        import kubernetes_validate
    except ImportError:
        return ["kubernetes-validate is not installed: pip install 'monitoring[test]' (or kubernetes-validate)"]
    try:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(map(str, error.path)) or "(root)"
        return [f"{path}: {error.message}"]
    except Exception as error:  # an unknown kind or version: kubernetes-validate's own exception types
        return [f"no Kubernetes {KUBERNETES_VERSION} schema: {error}"]
    return []


@cache
def _crd_validator(api_version: str, kind: str):
    import jsonschema

    crd = yaml.safe_load((SCHEMAS / CRDS[(api_version, kind)]).read_text())
    version = api_version.rsplit("/", 1)[1]
    schema = next(v for v in crd["spec"]["versions"] if v["name"] == version)["schema"]["openAPIV3Schema"]
    schema = strict(copy.deepcopy(schema))
    return jsonschema.Draft7Validator(schema)


def strict(schema):
    """No field the CRD does not declare (the API server prunes them silently: a typo would vanish)."""
    if isinstance(schema, dict):
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        for value in schema.values():
            strict(value)
    elif isinstance(schema, list):
        for item in schema:
            strict(item)
    return schema
