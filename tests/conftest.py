import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitoring.cli.main import main

ROOT = Path(__file__).resolve().parent.parent

# A small, valid definitions file. Tests copy it and change one thing to seed a mistake.
MINIMAL_STACK = textwrap.dedent("""\
    from monitoring import *

    MODEL = Label("model_name", ("a", "b"))
    REQUESTS = Metric("svc_requests_total", COUNTER, "Requests.", labels=(MODEL,))
    LATENCY = Metric("svc_latency_seconds", HISTOGRAM, "Latency.", unit="seconds", labels=(MODEL,),
                     buckets=(0.1, 0.2, 0.5))
    LOAD = Metric("svc_load", GAUGE, "Load.", labels=(MODEL,), min=0, max=1)
    LOAD_T = Threshold("load", steps=(Step(None, "green", "ok"), Step(0.8, "red", "overloaded")))
    RATE = RecordingRule("model_name:svc_requests:rate5m", f"sum by (model_name) (rate({REQUESTS}[5m]))")
    LOAD_PANEL = TimeSeries("Load", [Query(LOAD, legend="{{model_name}}")], thresholds=LOAD_T)
    RATE_PANEL = Stat("Request rate", [Query(RATE)], unit="reqps")
    DASHBOARD = Dashboard("Svc Overview", rows=(Row("Main", (LOAD_PANEL, RATE_PANEL)),),
                          variables=(LabelVariable(MODEL, REQUESTS),))
    STACK = Stack("svc", metrics=(REQUESTS, LATENCY, LOAD), dashboards=(DASHBOARD,), groups=(
        RuleGroup("svc.rules", "30s", (
            RATE,
            Alert("SvcOverloaded", above(f"max by (model_name) ({LOAD})", LOAD_T["overloaded"]), "5m",
                  "warning", summary="Svc is overloaded.", description="Load is {{ $value }}.",
                  panel=LOAD_PANEL),
        )),), team="svc-team", runbook_base_url="https://runbooks.example.com/svc")
""")

# A notification policy any stack satisfies: every alert goes to one Slack channel.
SLACK_ONLY_POLICY = textwrap.dedent("""\
    receivers:
      - name: unrouted
        description: Catch-all.
        slack_configs:
          - channel: "#unrouted"
            api_url_file: /etc/alertmanager/secrets/slack-webhook-url
      - name: team-slack
        description: The team's channel.
        slack_configs:
          - channel: "#alerts"
            api_url_file: /etc/alertmanager/secrets/slack-webhook-url
    route:
      receiver: unrouted
      group_by: [alertname]
      routes:
        - name: everything
          matchers: ['alertname=~".+"']
          receiver: team-slack
    intents:
      - name: everything-to-slack
        matchers: ['alertname=~".+"']
        receivers: [team-slack]
    """)


@pytest.fixture
def definitions(tmp_path):
    """Write a definitions folder: definitions(text) -> (folder, file)."""

    def write(text=MINIMAL_STACK, name="svc.py"):
        folder = tmp_path / "definitions"
        folder.mkdir(exist_ok=True)
        file = folder / name
        file.write_text(text)
        return folder, file

    return write


@pytest.fixture(autouse=True)
def private_test_cache(tmp_path, monkeypatch):
    """`monitoring test` remembers passes; each test starts with its own empty cache, never the checkout's."""
    monkeypatch.setenv("MONITORING_CACHE", str(tmp_path / "monitoring-test-cache"))


@pytest.fixture
def cli(monkeypatch):
    """Run the CLI in-process from a given folder: cli(args, cwd) -> click Result."""

    def run(args, cwd=ROOT):
        monkeypatch.chdir(cwd)
        return CliRunner().invoke(main, [str(a) for a in args])

    return run


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def assert_refused(cli, folder: Path, tmp_path: Path, message: str, where: str) -> None:
    """`generate` refuses the definitions in ``folder``: exit 2, ``message`` at ``where`` (file:line), no
    traceback, and the output folder exactly as it was."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous output")
    result = cli(["generate", "--definitions", folder, "--out", out], cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert where in result.output
    assert "Traceback" not in result.output
    assert tree(out) == {"keep.txt": b"previous output"}


def case(document: dict, prefix: str) -> tuple[dict, dict]:
    """The test group holding the generated case whose name starts with ``prefix`` ("Alert: fires"), and an
    assertion of that alert there: one that expects alerts for a "fires" case, one that expects none otherwise
    (the layout may have merged the case with others; see monitoring/testgen/layout.py)."""
    from monitoring.testgen.case_names import case_names

    alert, _, kind = prefix.partition(": ")
    for group in document["tests"]:
        if any(name.startswith(prefix) for name in case_names(group)):
            tests = [t for t in group.get("alert_rule_test", []) if t["alertname"] == alert]
            return group, next(t for t in tests if bool(t["exp_alerts"]) == kind.startswith("fires"))
    raise AssertionError(f"no case named {prefix}...")


def names_failing_case(promtool_output: str, prefix: str) -> bool:
    """Does promtool's failure output name a generated case starting with ``prefix`` ("Alert: safe side")?
    promtool prints the failing group's name, which lists its cases (a merged group's says each alert once:
    monitoring/testgen/layout.py); anything else (``expr: "..."``) is looked for as it is."""
    from monitoring.testgen.case_names import case_names

    lines = [line.strip() for line in promtool_output.splitlines()]
    named = [line.removeprefix("name: ").rstrip(",") for line in lines if line.startswith("name: ")]
    return prefix in promtool_output or any(n.startswith(prefix) for g in named for n in case_names({"name": g}))
