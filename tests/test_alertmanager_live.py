"""The generated config in a real Alertmanager 0.25 on loopback: routing and inhibition as the policy states.

Receivers are overlaid with webhooks to a sink in this test (the generated files are never edited), so
each notification tells which receiver Alertmanager picked. The overlay also shortens group_wait and
drops mute time intervals (a run on Sunday 02:00-04:00 UTC must not change the outcome).
"""

import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from monitoring.verify.alertmanager_process import alertmanager_argv

DEADLINE_SECONDS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """Records webhook notifications: receiver name -> list of alert label sets."""

    def __init__(self):
        self.received: dict[str, list[dict]] = {}
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                sink.received.setdefault(body["receiver"], []).extend(a["labels"] for a in body["alerts"])
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def overlay(config: dict, sink_url: str) -> dict:
    """Same routes and inhibitions; every receiver posts to the sink; fast grouping; no mute windows."""
    config = json.loads(json.dumps(config))
    config["receivers"] = [
        {"name": r["name"], "webhook_configs": [{"url": sink_url, "send_resolved": False}]} for r in config["receivers"]
    ]
    config["route"].update(group_wait="1s", group_interval="1s")

    def strip(route):
        route.pop("mute_time_intervals", None)
        for child in route.get("routes", []):
            strip(child)

    strip(config["route"])
    config.pop("time_intervals", None)
    return config


def api(base: str, path: str, data=None):
    request = urllib.request.Request(
        base + path,
        data=json.dumps(data).encode() if data is not None else None,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        body = response.read()
        return json.loads(body) if body else None


def wait_for(condition, what: str):
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {DEADLINE_SECONDS}s waiting for {what}")


@pytest.fixture
def alertmanager(cli, tmp_path):
    """A real Alertmanager running the generated config (overlaid receivers); yields (API URL, sink, generated/)."""
    out = tmp_path / "generated"
    assert cli(["generate", "--out", out]).exit_code == 0
    folder = tmp_path / "am"
    shutil.copytree(out / "alertmanager", folder)
    sink = Sink()
    config = overlay(yaml.safe_load((out / "alertmanager/alertmanager.yml").read_text()), sink.url)
    (folder / "overlay.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = open(tmp_path / "alertmanager.log", "wb")
    process = subprocess.Popen(
        alertmanager_argv(
            [
                f"--config.file={folder / 'overlay.yml'}",
                f"--storage.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ]
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def ready():
            if process.poll() is not None:
                raise AssertionError(f"alertmanager exited: {(tmp_path / 'alertmanager.log').read_text()}")
            try:
                return urllib.request.urlopen(base + "/-/ready", timeout=1).status == 200
            except OSError:
                return False

        wait_for(ready, "alertmanager /-/ready")
        yield base, sink, out
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        sink.stop()


def test_real_alertmanager_routes_and_inhibits_as_the_policy_states(alertmanager):
    base, sink, out = alertmanager
    routing = json.loads((out / "alertmanager/routing-tests.json").read_text())
    instances = {(c["alert"], c["labels"].get("model_name", "")): c["labels"] for c in routing["routes"]}

    def post(*keys):
        api(base, "/api/v2/alerts", [{"labels": instances[k], "annotations": {"summary": k[0]}} for k in keys])

    failure_baseline = ("ModelCompleteFailure", "baseline")
    post(failure_baseline)
    wait_for(lambda: api(base, "/api/v2/alerts"), "the critical alert to be stored")
    post(("ModelAccuracyDegraded", "baseline"), ("ModelAccuracyDegraded", "enhanced"), ("PredictionDriftHigh", ""))

    def statuses():
        alerts = api(base, "/api/v2/alerts")
        return (
            {(a["labels"]["alertname"], a["labels"].get("model_name", "")): a for a in alerts}
            if len(alerts) == 4
            else None
        )

    def settled():
        found = statuses()
        return found if found and found[("ModelAccuracyDegraded", "baseline")]["status"]["inhibitedBy"] else None

    alerts = wait_for(settled, "ModelAccuracyDegraded{baseline} to be inhibited")
    assert alerts[("ModelAccuracyDegraded", "baseline")]["status"]["state"] == "suppressed"
    assert alerts[("ModelAccuracyDegraded", "baseline")]["status"]["inhibitedBy"] == [
        alerts[failure_baseline]["fingerprint"]
    ]
    for key in (("ModelAccuracyDegraded", "enhanced"), ("PredictionDriftHigh", ""), failure_baseline):
        assert alerts[key]["status"]["inhibitedBy"] == [], key  # other model, no model, the source itself
    # Alertmanager's own routing of each alert, as reported by its API
    receivers = {key: [r["name"] for r in a["receivers"]] for key, a in alerts.items()}
    assert receivers[failure_baseline] == ["pagerduty-oncall"]
    assert receivers[("ModelAccuracyDegraded", "enhanced")] == ["slack-ml-alerts"]
    assert receivers[("PredictionDriftHigh", "")] == ["slack-data-science"]

    expected = {
        "pagerduty-oncall": ["ModelCompleteFailure"],
        "slack-ml-alerts": ["ModelAccuracyDegraded"],
        "slack-data-science": ["PredictionDriftHigh"],
    }
    wait_for(lambda: all(r in sink.received for r in expected), "notifications at the three receivers")
    time.sleep(2)  # two more group intervals: an inhibited alert would have been sent by now
    assert {r: sorted(a["alertname"] for a in alerts) for r, alerts in sink.received.items()} == expected
    assert [a["model_name"] for a in sink.received["slack-ml-alerts"]] == ["enhanced"]
    assert "unrouted" not in sink.received
