"""The vendored CRDs (monitoring/schemas/crds/) are the originals in ../shared but for the one recorded rewrite,
and the real PrometheusRule manifests of kube-prometheus pass the vendored schema as our validator reads it."""

import difflib

import pytest
import yaml

from monitoring.verify.kubernetes_schemas import SCHEMAS, schema_problems

RULES, DASHBOARDS = "monitoring.coreos.com_prometheusrules.yaml", "grafana.integreatly.org_grafanadashboards.yaml"
ORIGINALS = {f"crds/{RULES}": f"prometheus-operator/{RULES}", f"crds/{DASHBOARDS}": f"grafana-operator/{DASHBOARDS}"}
# The rewrite recorded in monitoring/schemas/crds/README.md: Python's re rejects RE2's mid-pattern (?i).
REWRITE = (
    "-                      pattern: ^(?i)(abort|warn)?$\n",
    "+                      pattern: ^([aA][bB][oO][rR][tT]|[wW][aA][rR][nN])?$\n",
)


@pytest.mark.parametrize("vendored", ORIGINALS)
def test_vendored_crd_differs_only_by_the_recorded_rewrite(shared, vendored):
    original = (shared / "corpora/schemas" / ORIGINALS[vendored]).read_text().splitlines(keepends=True)
    ours = (SCHEMAS / vendored).read_text().splitlines(keepends=True)
    changed = [
        line
        for line in difflib.unified_diff(original, ours, n=0)
        if line[:1] in "+-" and line[:3] not in ("---", "+++")
    ]
    assert changed == (list(REWRITE) if "prometheusrules" in vendored else [])


def test_the_rewritten_pattern_accepts_what_the_original_does(shared):
    """Go's (?i)(abort|warn) accepts any case of the two words, and the empty string."""
    resource = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "metadata": {"name": "x"}}
    for value, ok in (("abort", True), ("WARN", True), ("Abort", True), ("", True), ("warning", False), ("x", False)):
        resource["spec"] = {"groups": [{"name": "g", "rules": [], "partial_response_strategy": value}]}
        assert (schema_problems(resource) == []) == ok, value


def test_kube_prometheus_rules_pass_the_vendored_schema(shared):
    files = sorted((shared / "corpora/rules/kube-prometheus/crd").glob("*.yaml"))
    assert files
    for file in files:
        assert schema_problems(yaml.safe_load(file.read_text())) == [], file.name
