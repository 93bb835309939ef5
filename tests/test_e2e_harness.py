"""Pieces of the end-to-end harness that run without Prometheus: expectations, payload reading, sink, processes."""

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from monitoring.alertmanager.inhibition import rules_from_config
from monitoring.alertmanager.routing import route_from_config
from monitoring.definitions.ab_test import DASHBOARD, STACK
from monitoring.e2e import dashboards as dash
from monitoring.e2e.notices import read
from monitoring.e2e.processes import Server, ServerError
from monitoring.e2e.scenario import fault_plan, plan_waves
from monitoring.e2e.sink import Delivery, Sink
from monitoring.render.estate import render_alerting
from monitoring.render.grafana import render_dashboard
from monitoring.runtime.simulator import FAULTS


@pytest.fixture(scope="module")
def plans():
    config = yaml.safe_load(render_alerting([STACK], None)["alertmanager/alertmanager.yml"])
    route, inhibit = route_from_config(config["route"]), rules_from_config(config.get("inhibit_rules", []))
    return {f.name: fault_plan(f.name, f.default_model, STACK, route, inhibit, {}) for f in FAULTS.values()}, inhibit


def test_expectations_follow_routes_and_inhibitions(plans):
    by_fault, _ = plans
    collapse = {str(a): a for a in by_fault["accuracy_collapse"].alerts}
    # The critical failure pages; the warning it implies is muted by the policy's inhibition.
    assert collapse["ModelCompleteFailure{model_name=enhanced}"].receivers == ("pagerduty-oncall",)
    assert collapse["ModelAccuracyDegraded{model_name=enhanced}"].inhibited_by == ("ModelCompleteFailure",)
    assert collapse["ModelAccuracyDegraded{model_name=enhanced}"].receivers == ()
    assert [a.receivers for a in by_fault["prediction_drift"].alerts] == [("slack-data-science",)]
    assert {str(a) for a in by_fault["traffic_skew"].alerts} == {
        "TrafficSplitDeviation{model_name=baseline}",
        "TrafficSplitDeviation{model_name=enhanced}",
    }


def test_waves_never_let_one_fault_hide_another(plans):
    by_fault, inhibit = plans
    waves = plan_waves(list(by_fault.values()), inhibit)
    assert sorted(p.fault for wave in waves for p in wave) == sorted(FAULTS)
    for wave in waves:
        names = [{a.alertname for a in p.alerts} for p in wave]
        assert sum(len(n) for n in names) == len(set().union(*names))
    together = [p.fault for wave in waves for p in wave if "accuracy_collapse" in [q.fault for q in wave]]
    # Criticals mute warnings of the same model: no such warning may share the collapse's wave.
    assert "low_confidence" not in together and "traffic_skew" not in together
    assert len(waves) < len(FAULTS)  # and the run is shorter than one fault at a time


SLACK = {
    "channel": "#ml-alerts",
    "attachments": [
        {
            "title": "[FIRING:1] HighResponseTime (baseline)",
            "title_link": "http://grafana/d/x?viewPanel=13",
            "text": "*A model is responding slowly.*\np95 is 489.7ms (limit 200ms).\n"
            "*Severity:* `warning`   *Model:* `baseline`\n"
            "<https://runbooks/highresponsetime|Runbook>   <http://grafana/d/x?viewPanel=13|Dashboard>\n",
        }
    ],
}
PAGERDUTY = {
    "routing_key": "e2e-pagerduty-oncall-0",
    "event_action": "resolve",
    "payload": {
        "summary": "[RESOLVED] HighErrorRate (enhanced)",
        "severity": "critical",
        "custom_details": {
            "severity": "critical",
            "model": "enhanced",
            "runbook": "https://runbooks/higherrorrate",
            "dashboard": "http://grafana/d/x?viewPanel=15",
        },
    },
    "client_url": "http://grafana/d/x?viewPanel=15",
}


def test_slack_and_pagerduty_payloads_are_read():
    [slack] = read(Delivery(1.0, "/slack/slack-ml-alerts", SLACK))
    assert (slack.receiver, slack.status, slack.alertname, slack.model, slack.severity) == (
        "slack-ml-alerts",
        "firing",
        "HighResponseTime",
        "baseline",
        "warning",
    )
    assert slack.runbook_url == "https://runbooks/highresponsetime"
    assert slack.dashboard_url == slack.title_link == "http://grafana/d/x?viewPanel=13"
    [page] = read(Delivery(2.0, "/pagerduty/pagerduty-oncall", PAGERDUTY))
    assert (page.status, page.alertname, page.model, page.routing_key) == (
        "resolved",
        "HighErrorRate",
        "enhanced",
        "e2e-pagerduty-oncall-0",
    )
    assert page.dashboard_url == page.title_link and page.problem == ""


def test_unreadable_payloads_are_problems_not_silence():
    bad_title = {"attachments": [{"title": "something happened", "text": ""}]}
    assert "does not read as" in read(Delivery(0, "/slack/x", bad_title))[0].problem
    assert "unreadable payload" in read(Delivery(0, "/pagerduty/x", {"oops": 1}))[0].problem
    assert "unexpected sink path" in read(Delivery(0, "/email/x", {}))[0].problem


def test_dashboard_variables_resolve_as_grafana_would():
    rendered = render_dashboard(DASHBOARD, STACK)
    [variable] = dash.variable_queries(rendered)
    assert (variable.metric, variable.label) == ("ab_test_requests_total", "model_name")
    selection = dash.default_selection(rendered, {"model_name": ["baseline", "enhanced"]})
    assert selection == {"model_name": ".*"}  # "All" with allValue
    queries = dash.panel_queries(rendered)
    assert len(queries) == sum(len(p.queries) for p in DASHBOARD.panels())
    assert (
        dash.resolve('x{model_name=~"$model_name"}[$__rate_interval]', selection, {"__rate_interval": "4s"})
        == 'x{model_name=~".*"}[4s]'
    )
    with pytest.raises(KeyError, match=r"\$unknown"):
        dash.resolve('x{a=~"$unknown"}', selection, {})


def test_sink_records_json_posts():
    with Sink() as sink:
        request = urllib.request.Request(sink.url + "/slack/team", data=json.dumps({"text": "hi"}).encode())
        assert urllib.request.urlopen(request, timeout=5).status == 200
        assert sink.wait(lambda found: len(found) == 1, timeout=5)
        [delivery] = sink.deliveries()
        assert (delivery.path, delivery.payload) == ("/slack/team", {"text": "hi"})
        assert not sink.wait(lambda found: len(found) == 2, timeout=0.2)


def test_server_waits_for_readiness_and_stops(tmp_path):
    server = Server(
        "http.server",
        lambda port: [
            sys.executable,
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            str(port),
            "--directory",
            str(tmp_path),
        ],
        "/",
        tmp_path / "log",
    )
    server.start(timeout=20)
    try:
        assert server.running() and urllib.request.urlopen(server.url + "/", timeout=5).status == 200
    finally:
        server.stop()
    assert not server.running()


def test_server_that_exits_reports_its_log(tmp_path):
    server = Server(
        "broken",
        lambda port: [sys.executable, "-c", "print('config is wrong'); raise SystemExit(3)"],
        "/-/ready",
        tmp_path / "log",
    )
    with pytest.raises(ServerError, match=r"(?s)exited with code 3.*config is wrong"):
        server.start(timeout=20)
    assert not server.running()


def _alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited; only its exit status waits to be collected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")
def test_servers_die_with_a_test_run_killed_outright(tmp_path):
    script = (
        "import os, sys; from pathlib import Path; from monitoring.e2e.processes import Server\n"
        f"s = Server('web', lambda p: [sys.executable, '-m', 'http.server', '--bind', '127.0.0.1', str(p)], '/',"
        f" Path({str(tmp_path / 'log')!r})).start()\n"
        "print(s._process.pid, flush=True); os._exit(0)\n"
    )
    child = int(
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent
        ).stdout
    )
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child)
