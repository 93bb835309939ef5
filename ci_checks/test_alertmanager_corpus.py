"""Real-world Alertmanager configs (shared/corpora/alertmanager): our route evaluation agrees with amtool on
their trees, their inhibit rules load, the generated config passes SchemaStore's schema, and the secrets
guard finds exactly the literal credentials they hold."""

import itertools
import json
import random
import subprocess
from pathlib import Path

import pytest
import yaml

from monitoring.adopt.routes_compare import candidate_values
from monitoring.alertmanager.inhibition import rules_from_config
from monitoring.alertmanager.routing import receivers_for, route_from_config
from monitoring.pipeline.schema import schema_errors
from monitoring.pipeline.secrets import scan_bytes
from monitoring.verify.routing_tests import amtool_receivers
from monitoring.verify.tools import find_tool

ROOT = Path(__file__).resolve().parent.parent


def corpus_configs(shared: Path) -> list[Path]:
    return sorted(p for p in (shared / "corpora/alertmanager").rglob("*") if p.suffix in (".yml", ".yaml"))


def accepted(path: Path) -> bool:
    return subprocess.run([find_tool("amtool"), "check-config", str(path)], capture_output=True).returncode == 0


def test_route_evaluation_agrees_with_amtool_on_real_configs(shared, tmp_path):
    amtool, rng, checked = find_tool("amtool"), random.Random(7), 0
    for path in corpus_configs(shared):
        if not accepted(path):
            continue  # e.g. a Kubernetes Secret wrapping a config: amtool rejects it, so do we not judge it
        config = yaml.safe_load(path.read_text())
        tree = route_from_config(config["route"])
        rules_from_config(config.get("inhibit_rules", []))  # loads match/match_re and matchers alike
        values = candidate_values(tree)
        names = sorted(values)
        combos = list(itertools.product(*(sorted(values[n]) for n in names)))
        for combo in rng.sample(combos, min(40, len(combos))):
            labels = {n: v for n, v in zip(names, combo) if v} | {"alertname": "Corpus"}
            assert amtool_receivers(amtool, path, labels) == receivers_for(tree, labels), (path.name, labels)
            checked += 1
    assert checked >= 40


def test_generated_config_passes_schemastore_schema(shared):
    schema = shared / "corpora/schemas/schemastore/prometheus-alertmanager.json"
    config = yaml.safe_load((ROOT / "generated/alertmanager/alertmanager.yml").read_text())
    assert schema_errors(json.loads(json.dumps(config)), schema) == []


def test_secrets_guard_on_real_configs(shared):
    found = {}
    for path in corpus_configs(shared):
        found[path.relative_to(shared / "corpora/alertmanager").as_posix()] = sorted(
            f.key for f in scan_bytes(path.name, path.read_bytes())
        )
    assert found["dockprom/config.yml"] == ["receivers[0].slack_configs[0].api_url"]
    assert found["prometheus-alertmanager/conf.good.yml"] == [
        "global.slack_api_url",
        "global.smtp_auth_password",
        "receivers[1].pagerduty_configs[0].routing_key",
        "receivers[3].pagerduty_configs[0].routing_key",
        "receivers[4].pagerduty_configs[0].routing_key",
        "receivers[5].victorops_configs[0].api_key",
        "receivers[6].opsgenie_configs[0].api_key",
        "receivers[7].pushover_configs[0].token",
        "receivers[7].pushover_configs[0].user_key",
    ]  # not victorops' routing_key: a route name
    assert found["prometheus-alertmanager/simple.yml"] == [
        "global.smtp_auth_password",
        "receivers[1].pagerduty_configs[0].service_key",
        "receivers[3].pagerduty_configs[0].service_key",
        "receivers[4].pagerduty_configs[0].service_key",
    ]
    assert found["kube-prometheus/alertmanager.yaml"] == []


@pytest.mark.parametrize("name", ["kube-prometheus/alertmanager.yaml", "prometheus-alertmanager/simple.yml"])
def test_corpus_inhibit_rules_behave_as_documented(shared, name):
    config = yaml.safe_load((shared / "corpora/alertmanager" / name).read_text())
    rules = rules_from_config(config["inhibit_rules"])
    critical = {"alertname": "X", "severity": "critical", "namespace": "a", "cluster": "c", "service": "s"}
    warning = {**critical, "severity": "warning"}
    assert any(rule.silences(critical, warning) for rule in rules)
    assert not any(rule.silences(warning, critical) for rule in rules)
