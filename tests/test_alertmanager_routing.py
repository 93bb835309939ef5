"""Generated Alertmanager config: accepted by amtool, routes every alert where the policy says, inhibits as stated."""

import json
import subprocess

import pytest
import yaml
from conftest import ROOT

from monitoring.alertmanager.inhibition import labels_read as inhibition_labels_read
from monitoring.alertmanager.inhibition import rules_from_config
from monitoring.alertmanager.routing import route_from_config
from monitoring.pipeline.secrets import scan_tree
from monitoring.render.estate import load
from monitoring.verify import routing_tests
from monitoring.verify.tools import find_tool

POLICY = (ROOT / "policies" / "notifications.yaml").read_text()


@pytest.fixture(scope="module")
def stacks():
    return load(None)


@pytest.fixture
def generate(cli, tmp_path):
    """generate(policy_text=None) -> output folder (default policy when None)."""

    def run(policy_text=None):
        args = ["generate", "--out", tmp_path / "out"]
        if policy_text is not None:
            policies = tmp_path / "policies"
            policies.mkdir(exist_ok=True)
            (policies / "notifications.yaml").write_text(policy_text)
            args += ["--policies", policies]
        result = cli(args)
        assert result.exit_code == 0, result.output
        return tmp_path / "out"

    return run


def config_of(out):
    return yaml.safe_load((out / "alertmanager/alertmanager.yml").read_text())


def test_amtool_accepts_the_generated_config_with_its_templates(generate):
    out = generate()
    proc = subprocess.run(
        [find_tool("amtool"), "check-config", str(out / "alertmanager/alertmanager.yml")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " - 1 templates" in proc.stdout and " - 1 inhibit rules" in proc.stdout


def test_every_alert_routes_where_the_default_policy_says(generate, stacks):
    result = routing_tests.run(stacks, generate())
    assert result.ok, "\n".join(result.problems)
    routed = {}
    for alert, _labels, receiver, verdict in result.rows:
        if "->" not in alert:
            routed.setdefault(alert, set()).add(receiver)
            assert verdict == "pass"
    severities = {a.name: a.severity for s in stacks for a in s.alerts()}
    teams = {a.name: a.team for s in stacks for a in s.alerts()}
    assert set(routed) == set(severities)
    for alert, receivers in routed.items():
        if alert == "Watchdog":  # the dead man's switch: the heartbeat receiver and nothing else
            assert receivers == {"heartbeat"}, alert
        elif severities[alert] == "critical":
            assert receivers == {"pagerduty-oncall"}, alert
        elif teams[alert] == "data-science":
            assert receivers == {"slack-data-science"}, alert
        else:
            assert receivers == {"slack-ml-alerts"}, alert
    assert routed["PredictionDriftHigh"] == {"slack-data-science"}
    instances = sum(1 for alert, *_ in result.rows if "->" not in alert)
    assert instances >= 13 and f"{instances}/{instances} alert instances" in result.summary


def test_route_order_mistake_is_caught(generate, stacks, cli):
    """Warnings route placed before the data-science route: drift would land in #ml-alerts."""
    warnings = POLICY[POLICY.index("    - name: warnings\n") : POLICY.index("\ninhibitions:")] + "\n"
    reordered = POLICY.replace(warnings, "").replace(
        "    - name: data-science\n", warnings + "    - name: data-science\n"
    )
    assert reordered != POLICY
    out = generate(reordered)
    result = routing_tests.run(stacks, out)
    assert not result.ok
    failed = [row for row in result.rows if row[3] == "FAIL"]
    assert [row[0] for row in failed] == ["PredictionDriftHigh"]
    assert any(
        "routed to slack-ml-alerts but intent 'drift-to-data-science' says slack-data-science" in p
        for p in result.problems
    )
    test = cli(["test", "--out", out])
    assert test.exit_code == 1 and "FAILED" in test.output


def test_alert_landing_only_on_the_catch_all_fails(generate, stacks):
    text = POLICY.replace(
        "matchers: ['severity=\"warning\"']\n      receiver", "matchers: ['severity=\"info\"']\n      receiver"
    )
    result = routing_tests.run(stacks, generate(text))
    assert not result.ok
    failed = {row[0] for row in result.rows if row[3] == "FAIL"}
    warnings = {a.name for s in stacks for a in s.alerts() if a.severity == "warning" and a.team != "data-science"}
    assert {"ModelAccuracyDegraded", "HighResponseTime", "TrafficSplitDeviation", "ModelConfidenceLow"} <= warnings
    assert failed == warnings
    assert any("lands only on the catch-all receiver 'unrouted'" in p for p in result.problems)
    # amtool agrees that they fall through to the root
    assert {row[2] for row in result.rows if row[3] == "FAIL"} == {"unrouted"}


def test_alert_without_intent_fails(generate, stacks):
    start = POLICY.index("  - name: warnings-to-slack")
    result = routing_tests.run(stacks, generate(POLICY[:start]))
    assert not result.ok
    assert any("ModelConfidenceLow" in p and "no intent" in p for p in result.problems)


def test_continue_sends_to_several_receivers_and_intent_must_name_them_all(generate, stacks):
    text = POLICY.replace(
        "      receiver: pagerduty-oncall\n", "      receiver: pagerduty-oncall\n      continue: true\n"
    ).replace("['severity=\"warning\"']\n      receiver", "['severity=~\"warning|critical\"']\n      receiver")
    out = generate(text)
    routes = config_of(out)["route"]["routes"]
    assert routes[0]["continue"] is True
    result = routing_tests.run(stacks, out)
    assert not result.ok  # the intent still says PagerDuty only
    assert {row[2] for row in result.rows if row[0] == "HighErrorRate"} == {"pagerduty-oncall,slack-ml-alerts"}
    fixed = text.replace("receivers: [pagerduty-oncall]", "receivers: [pagerduty-oncall, slack-ml-alerts]")
    assert routing_tests.run(stacks, generate(fixed)).ok


def test_stale_routing_tests_file_is_reported(generate, stacks):
    out = generate()
    path = out / "alertmanager/routing-tests.json"
    tests = json.loads(path.read_text())
    dropped = tests["routes"].pop()
    path.write_text(json.dumps(tests))
    result = routing_tests.run(stacks, out)
    assert not result.ok
    assert any(dropped["alert"] in p and "not in routing-tests.json" in p for p in result.problems)


def test_rendered_inhibit_rules_are_what_the_policy_states(generate):
    policy = yaml.safe_load(POLICY)
    rules = config_of(generate())["inhibit_rules"]
    assert rules == [
        {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'], "equal": ["model_name"]}
    ]
    assert [r["equal"] for r in policy["inhibitions"]] == [r["equal"] for r in rules]


def test_inhibition_pairs_own_evaluation(generate, stacks):
    out = generate()
    rules = rules_from_config(config_of(out)["inhibit_rules"])
    base = {"severity": "critical", "team": "ml-platform", "model_name": "baseline"}
    failure = {"alertname": "ModelCompleteFailure", **base}
    degraded = {"alertname": "ModelAccuracyDegraded", **base, "severity": "warning"}
    assert any(r.silences(failure, degraded) for r in rules)
    assert not any(r.silences(failure, {**degraded, "model_name": "enhanced"}) for r in rules)
    drift = {"alertname": "PredictionDriftHigh", "severity": "warning", "team": "data-science"}
    assert not any(r.silences(failure, drift) for r in rules)  # drift has no model_name: not the same model
    assert not any(r.silences(degraded, failure) for r in rules)
    pairs = json.loads((out / "alertmanager/routing-tests.json").read_text())["inhibitions"]
    assert len(pairs) == 8 and sum(p["inhibited"] for p in pairs) == 4


def test_broken_inhibition_fails_the_suite(generate, stacks):
    text = POLICY.replace("target_matchers: ['severity=\"warning\"']", "target_matchers: ['severity=\"info\"']")
    result = routing_tests.run(stacks, generate(text))
    assert not result.ok
    assert sum(row[3] == "FAIL" for row in result.rows if "->" in row[0]) == 4
    assert any("is not inhibited while ModelCompleteFailure fires" in p for p in result.problems)


def test_receivers_reference_credentials_by_file_only(generate):
    out = generate()
    config = config_of(out)
    for receiver in config["receivers"]:
        for pd in receiver.get("pagerduty_configs", []):
            assert "routing_key" not in pd and pd["routing_key_file"].startswith("/")
        for slack in receiver.get("slack_configs", []):
            assert "api_url" not in slack and slack["api_url_file"].startswith("/")
    assert scan_tree(out) == []
    assert scan_tree(ROOT / "generated") == []


def test_templates_show_summary_description_severity_model_runbook_dashboard(generate, stacks, tmp_path):
    """Render the message templates with amtool (Alertmanager's own template engine) for a real alert."""
    out = generate()
    rules = yaml.safe_load(next((out / "prometheus/rules").glob("*.rules.yml")).read_text())
    rule = next(r for g in rules["groups"] for r in g["rules"] if r.get("alert") == "ModelCompleteFailure")
    labels = {"alertname": rule["alert"], "model_name": "baseline", **rule["labels"]}
    annotations = {**rule["annotations"], "description": "Accuracy of model baseline is 12.0%, below 50%."}
    data = {
        "receiver": "pagerduty-oncall",
        "status": "firing",
        "externalURL": "http://127.0.0.1:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": annotations,
                "startsAt": "2024-01-01T00:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "",
                "fingerprint": "0",
            }
        ],
        "groupLabels": {"alertname": labels["alertname"], "model_name": "baseline"},
        "commonLabels": labels,
        "commonAnnotations": annotations,
    }
    (tmp_path / "data.json").write_text(json.dumps(data))
    config = config_of(out)
    receivers = {r["name"]: r for r in config["receivers"]}
    slack = receivers["slack-ml-alerts"]["slack_configs"][0]
    pagerduty = receivers["pagerduty-oncall"]["pagerduty_configs"][0]

    def render(text):
        proc = subprocess.run(
            [
                find_tool("amtool"),
                "template",
                "render",
                f"--template.glob={out}/alertmanager/templates/*.tmpl",
                f"--template.data={tmp_path / 'data.json'}",
                f"--template.text={text}",
            ],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    message = render(slack["title"] + "\n" + slack["text"])
    assert "[FIRING:1] ModelCompleteFailure (baseline)" in message
    for expected in (
        annotations["summary"],
        annotations["description"],
        "critical",
        "baseline",
        f"<{annotations['runbook_url']}|Runbook>",
        f"<{annotations['dashboard_url']}|Dashboard>",
    ):
        assert expected in message
    assert render(slack["color"]).strip() == "danger"
    details = {key: render(value).strip() for key, value in pagerduty["details"].items()}
    assert details == {
        "summary": annotations["summary"],
        "description": annotations["description"],
        "severity": "critical",
        "model": "baseline",
        "runbook": annotations["runbook_url"],
        "dashboard": annotations["dashboard_url"],
        "firing": "1",
    }
    assert render(pagerduty["severity"]).strip() == "critical"
    assert render(pagerduty["description"]).strip() == "[FIRING:1] ModelCompleteFailure (baseline)"


def test_amtool_answers_the_same_for_an_instance_and_its_projection(generate, stacks):
    """Routing reads only the labels its matchers name, so asking amtool once per projection is exact."""
    out = generate()
    config_file = out / "alertmanager/alertmanager.yml"
    config = config_of(out)
    read = routing_tests.routing_labels_read(route_from_config(config["route"])) | inhibition_labels_read(
        rules_from_config(config["inhibit_rules"])
    )
    # the Watchdog route matches alertname="Watchdog" (issue 19's dead man's switch)
    assert read == {"alertname", "severity", "team"}
    amtool = find_tool("amtool")
    cases = json.loads((out / "alertmanager/routing-tests.json").read_text())["routes"]
    projections = {routing_tests.projection(case["labels"], read) for case in cases}
    assert len(projections) == 17 < len(cases)
    for case in cases:
        whole = routing_tests.amtool_receivers(amtool, config_file, case["labels"])
        projected = routing_tests.amtool_receivers(
            amtool, config_file, dict(routing_tests.projection(case["labels"], read))
        )
        assert whole == projected == case["receivers"], case
    result = routing_tests.run(stacks, out)
    assert (
        result.ok
        and "31 instances, 17 distinct on the labels routing reads (alertname, severity, team)" in result.summary
    )
