"""Generated promtool tests: every rule covered, exact expectations, and they catch broken rules."""

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, case, names_failing_case

from monitoring.definitions import ab_test as ab
from monitoring.model.layout import panel_id
from monitoring.testgen.case_names import case_names
from monitoring.testgen.record_query import asserted_record
from monitoring.verify.tools import find_tool

AB_DEFINITIONS = ROOT / "monitoring" / "definitions" / "ab_test.py"


@pytest.fixture(scope="module")
def promtool():
    return find_tool("promtool")


@pytest.fixture
def generated(cli, tmp_path):
    out = tmp_path / "gen"
    result = cli(["generate", "--out", out])
    assert result.exit_code == 0, result.output
    return out


def load(path: Path):
    return yaml.safe_load(path.read_text())


def promtool_test(promtool, test_file: Path) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, "test", "rules", str(test_file)], capture_output=True, text=True)


def test_generated_tests_pass_promtool(generated, promtool):
    run = promtool_test(promtool, generated / "prometheus/tests/ab-test.test.yml")
    assert run.returncode == 0, run.stdout + run.stderr
    check = subprocess.run(
        [promtool, "check", "rules", str(generated / "prometheus/rules/ab-test.rules.yml")],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0 and "SUCCESS: 22 rules found" in check.stdout


def test_every_rule_has_tests(generated):
    document = load(generated / "prometheus/tests/ab-test.test.yml")
    assert document["rule_files"] == ["../rules/ab-test.rules.yml"]
    # promtool's default group order is random; expectations assume recorded series are fresh.
    assert document["group_eval_order"] == ["ab_test.recording", "ab_test.alerts", "ab_test.meta"]
    exprs = {asserted_record(t["expr"]) for g in document["tests"] for t in g.get("promql_expr_test", [])}
    assert exprs == {r.record for r in ab.STACK.recording_rules()}
    names = [n for g in document["tests"] for n in case_names(g)]
    for alert in ab.STACK.alerts():
        # a constant (the Watchdog) has one case: no input can move it, so there is no safe side to prove
        cases = ("fires with no input at all",) if alert.name == "Watchdog" else ("fires", "safe side", "too short")
        for kind in cases:
            assert any(n.startswith(f"{alert.name}: {kind} (") for n in names), (alert.name, kind)


def test_alert_expectations_are_exact(generated):
    document = load(generated / "prometheus/tests/ab-test.test.yml")
    fires, test = case(document, "HighResponseTime: fires")
    (expected,) = test["exp_alerts"]
    assert expected["exp_labels"] == {"model_name": "baseline", "severity": "warning", "team": "ml-platform"}
    annotations = expected["exp_annotations"]
    assert annotations["description"].startswith("p95 response time of model baseline is 2")
    assert annotations["description"].endswith("ms (limit 200ms).")
    assert annotations["runbook_url"] == "https://runbooks.example.com/ab-test/highresponsetime"
    panel = panel_id(ab.DASHBOARD, ab.LATENCY_PANEL)
    assert annotations["dashboard_url"].endswith(
        f"/d/ab-test-model-comparison/a-b-test-model-comparison?viewPanel={panel}"
    )
    # multi-series input: both models, their buckets, for the histogram-driven alert (not _count and _sum,
    # which it does not read: a merged group leaves them out; nor a bucket inside a run of equal ones, which no
    # quantile reads: testgen.buckets), always the lowest and +Inf
    series = [s["series"] for s in fires["input_series"] if "response_time" in s["series"]]
    bounds = [s.split('le="')[1].split('"')[0] for s in series if 'model_name="enhanced"' in s]
    assert set(bounds) <= {repr(b) for b in ab.RESPONSE_TIME.buckets} | {"+Inf"}
    assert repr(ab.RESPONSE_TIME.buckets[0]) in bounds and "+Inf" in bounds and len(bounds) >= 3
    assert all("_bucket{" in s for s in series)


def test_a_histograms_fires_case_lands_close_past_its_threshold_and_crosses_at_once(generated):
    """A quantile's fires value is HISTOGRAM_CROSSED_SHARE past the threshold (within 10%: a threshold moved up
    by 10% no longer fires), carried by FIRES_TRAFFIC times the lead's observations, so the 5-minute rates turn
    to the new shape at the first sample and the case is minutes shorter (issue 14)."""
    document = load(generated / "prometheus/tests/ab-test.test.yml")
    fires, _ = case(document, "HighResponseTime: fires")
    name = next(n for n in case_names(fires) if n.startswith("HighResponseTime: fires ("))
    value, threshold = (float(x) for x in re.match(r".*\(at ([0-9.e+-]+); .*; > ([0-9.e+-]+) ", name).groups())
    assert threshold < value < 1.1 * threshold
    top = next(s for s in fires["input_series"] if 'le="+Inf",model_name="baseline"' in s["series"])
    lead, crossed = (float(run.split("+")[1].split("x")[0]) for run in top["values"].split()[:2])
    assert crossed >= 16 * lead, top["values"]  # observations a minute, lead then crossed


def test_traffic_split_fires_for_both_models(generated):
    document = load(generated / "prometheus/tests/ab-test.test.yml")
    fires, test = case(document, "TrafficSplitDeviation: fires")
    models = sorted(a["exp_labels"]["model_name"] for a in test["exp_alerts"])
    assert models == ["baseline", "enhanced"]
    statuses = {s["series"].split('status="')[1][:5] for s in fires["input_series"] if 'status="' in s["series"]}
    assert statuses == {"error", "succe"}


@pytest.mark.parametrize(
    "old,new,failing",
    [
        (
            "expr: avg by (model_name) (ab_test_model_accuracy) < 50",
            "expr: avg by (model_name) (ab_test_model_accuracy) <= 50",
            "ModelCompleteFailure: safe side",
        ),
        ("    for: 2m\n", "    for: 30s\n", "ModelCompleteFailure: too short"),
        (
            "histogram_quantile(0.95,",
            "histogram_quantile(0.9,",
            'expr: "model_name:ab_test_response_time_seconds:p95_5m * 1"',
        ),
        (
            'sum by (model_name) (rate(ab_test_requests_total{status="error"}[5m]))',
            'sum by (model_name, status) (rate(ab_test_requests_total{status="error"}[5m]))',
            'expr: "model_name:ab_test_requests_errors:rate5m * 1"',
        ),
    ],
)
def test_generated_tests_catch_a_broken_rule(generated, promtool, old, new, failing):
    rules = generated / "prometheus/rules/ab-test.rules.yml"
    text = rules.read_text()
    assert old in text
    rules.write_text(text.replace(old, new, 1))
    run = promtool_test(promtool, generated / "prometheus/tests/ab-test.test.yml")
    assert run.returncode != 0
    assert names_failing_case(run.stdout + run.stderr, failing)


def test_one_threshold_changes_panel_alert_and_tests_together(definitions, cli, tmp_path, promtool):
    text = AB_DEFINITIONS.read_text()
    assert 'Step(50, "red", "failing")' in text
    folder, _ = definitions(text.replace('Step(50, "red", "failing")', 'Step(45, "red", "failing")'), "ab_test.py")
    out = tmp_path / "out"
    result = cli(["generate", "--definitions", folder, "--out", out, "--policies", ROOT / "policies"], cwd=tmp_path)
    assert result.exit_code == 0, result.output
    dashboard = (out / "grafana/dashboards/ab-test-model-comparison.json").read_text()
    assert '"color": "red",\n                "value": 45' in dashboard
    assert '"value": 50' not in dashboard
    rules = (out / "prometheus/rules/ab-test.rules.yml").read_text()
    assert "(ab_test_model_accuracy) < 45\n" in rules and "below 45%." in rules
    tests = load(out / "prometheus/tests/ab-test.test.yml")
    names = [n for g in tests["tests"] for n in case_names(g) if n.startswith("ModelCompleteFailure")]
    assert all("; < 45 for " in n for n in names) and len(names) == 3
    safe, _ = case(tests, "ModelCompleteFailure: safe side")
    assert any(" 45x" in f" {s['values']}" for s in safe["input_series"])
    run = promtool_test(promtool, out / "prometheus/tests/ab-test.test.yml")
    assert run.returncode == 0, run.stdout


def test_monitoring_test_reports_table_and_full_coverage(cli, generated):
    result = cli(["test", "--out", generated])
    assert result.exit_code == 0, result.output
    total = _rule_count()
    assert f"{total}/{total} rules covered by generated tests (100%)" in result.output
    # fires and too short; its safe side beside the fires case is checked by the same assertion (testgen.beside)
    assert re.search(r"\nModelCompleteFailure +alerting +2 +pass", result.output)


def test_monitoring_test_cuts_a_failing_groups_name_to_the_failed_alerts_cases(cli, generated):
    """promtool prints a failing group's whole name (every case of a merged group) above each failed assertion;
    `monitoring test` keeps the failed alert's part."""
    rules = generated / "prometheus/rules/ab-test.rules.yml"
    old = "expr: avg by (model_name) (ab_test_model_accuracy) < 50"
    assert old in rules.read_text()
    rules.write_text(rules.read_text().replace(old, old.replace("<", "<="), 1))
    result = cli(["test", "--out", generated])
    assert result.exit_code == 1
    named = [line.strip() for line in result.output.splitlines() if line.strip().startswith("name: ")]
    assert named and all(
        line.startswith("name: ModelCompleteFailure (< 50 for 2m): fires and too short (") for line in named
    )
    assert all(" | " not in line and "other alerts' cases too)" in line for line in named), named


def test_coverage_gate_fails_on_an_untested_rule(cli, generated):
    test_file = generated / "prometheus/tests/ab-test.test.yml"
    document = load(test_file)
    for group in document["tests"]:  # its assertions, wherever the layout put them
        kept = [t for t in group.get("alert_rule_test", []) if t["alertname"] != "PredictionDriftHigh"]
        group["alert_rule_test"] = kept
    document["tests"] = [g for g in document["tests"] if g["alert_rule_test"] or g.get("promql_expr_test")]
    test_file.write_text(yaml.safe_dump(document))
    result = cli(["test", "--out", generated])
    assert result.exit_code == 1
    assert "PredictionDriftHigh" in result.output and "UNTESTED" in result.output
    assert f"{_rule_count() - 1}/{_rule_count()} rules covered" in result.output


def test_a_counter_rate_alert_gets_tests_without_a_driver(definitions, cli, tmp_path, promtool):
    from conftest import MINIMAL_STACK

    text = MINIMAL_STACK.replace(
        'above(f"max by (model_name) ({LOAD})"', 'above(f"sum by (model_name) (rate({REQUESTS}[5m]))"'
    )
    folder, _ = definitions(text)
    out = tmp_path / "out"
    result = cli(["generate", "--definitions", folder, "--out", out], cwd=tmp_path)
    assert result.exit_code == 0, result.output
    names = [n for g in load(out / "prometheus/tests/svc.test.yml")["tests"] for n in case_names(g)]
    assert sum(n.startswith("SvcOverloaded: ") for n in names) == 3
    run = promtool_test(promtool, out / "prometheus/tests/svc.test.yml")
    assert run.returncode == 0, run.stdout


def test_an_unreachable_threshold_names_the_series_tried_and_the_range_reached(definitions, cli, tmp_path):
    from conftest import MINIMAL_STACK

    # count() of the load series is 2 whatever the load: no input can take it past 0.8
    text = MINIMAL_STACK.replace('above(f"max by (model_name) ({LOAD})"', 'below(f"count({LOAD})"')
    folder, _ = definitions(text)
    result = cli(["generate", "--definitions", folder, "--out", tmp_path / "out"], cwd=tmp_path)
    assert result.exit_code == 2
    assert "definitions/svc.py:" in result.output and "alert SvcOverloaded: cannot generate its tests" in result.output
    assert "svc_load level: signal from 2 to 2" in result.output
    assert "check the driver" not in result.output
    assert not (tmp_path / "out").exists()


RATE_STACK = """
from monitoring import *
M = Label("model_name", ("a", "b"))
REQ = Metric("svc_requests_total", COUNTER, "Requests.", labels=(M,))
LAT = Metric("svc_latency_seconds", HISTOGRAM, "Latency.", unit="seconds", labels=(M,), buckets=(0.05, 0.1, 0.25))
RATE = RecordingRule("model_name:svc_requests:rate5m", f"sum by (model_name) (rate({REQ}[5m]))")
P95 = RecordingRule("model_name:svc_latency_seconds:p95_5m",
                    f"histogram_quantile(0.95, sum by (model_name, le) (rate({LAT.bucket}[5m])))")
T = Threshold("t", steps=(Step(None, "red", "low"), Step(2, "green", "ok")))
LT = Threshold("lt", steps=(Step(None, "green", "ok"), Step(LATENCY_LIMIT, "red", "slow")))
drive = lambda v: {REQ.select(model_name=x): CounterRate(v) for x in M.values}
STACK = Stack("svc", metrics=(REQ, LAT), groups=(RuleGroup("r", "30s", (RATE, P95)), RuleGroup("a", "30s", (
    Alert("RateLow", below(RATE, T["ok"]), "10m", "warning", summary="s", description="d", driver=drive),
    Alert("LatencyHigh", above(P95, LT["slow"]), "5m", "warning", summary="s", description="d")))))
"""


def test_below_on_a_rate_is_tested_after_the_window_fills(definitions, cli, tmp_path, promtool):
    """Rates read low while the first window fills; the cases must still be about the crossing."""
    folder, _ = definitions(RATE_STACK.replace("LATENCY_LIMIT", "0.2"))
    out = tmp_path / "out"
    result = cli(["generate", "--definitions", folder, "--out", out], cwd=tmp_path)
    assert result.exit_code == 0, result.output
    run = promtool_test(promtool, out / "prometheus/tests/svc.test.yml")
    assert run.returncode == 0, run.stdout
    names = [n for g in load(out / "prometheus/tests/svc.test.yml")["tests"] for n in case_names(g)]
    assert sum(n.startswith("RateLow: ") for n in names) == 3


def test_quantile_threshold_below_what_the_buckets_can_report(definitions, cli, tmp_path):
    folder, _ = definitions(RATE_STACK.replace("LATENCY_LIMIT", "0.0078125"))
    result = cli(["generate", "--definitions", folder, "--out", tmp_path / "out"], cwd=tmp_path)
    assert result.exit_code == 2
    assert (
        "histogram_quantile(0.95) cannot report" in result.output and "the lowest it reports is 0.0475" in result.output
    )
    assert "give the histogram a bucket below the threshold" in result.output


def test_gauge_threshold_off_the_input_grid_sits_exactly_on_the_threshold(definitions, cli, tmp_path, promtool):
    """The safe-side case must put the gauge exactly on the threshold, however the number is written."""
    from conftest import MINIMAL_STACK

    folder, _ = definitions(MINIMAL_STACK.replace('Step(0.8, "red", "overloaded")', 'Step(0.33, "red", "overloaded")'))
    out = tmp_path / "out"
    result = cli(["generate", "--definitions", folder, "--out", out], cwd=tmp_path)
    assert result.exit_code == 0, result.output
    tests = load(out / "prometheus/tests/svc.test.yml")["tests"]
    safe, _ = case({"tests": tests}, "SvcOverloaded: safe side")
    assert any(token.startswith("0.33x") for s in safe["input_series"] for token in s["values"].split())
    run = promtool_test(promtool, out / "prometheus/tests/svc.test.yml")
    assert run.returncode == 0, run.stdout


def test_an_unsupported_construct_is_named_with_its_column(definitions, cli, tmp_path):
    from conftest import MINIMAL_STACK

    text = MINIMAL_STACK.replace(
        'above(f"max by (model_name) ({LOAD})"', 'above(f"max(sort_by_label({LOAD}, \\"x\\"))"'
    )
    folder, _ = definitions(text)
    result = cli(["generate", "--definitions", folder, "--out", tmp_path / "out"], cwd=tmp_path)
    assert result.exit_code == 2
    assert "alert SvcOverloaded: cannot generate its tests: function sort_by_label()" in result.output
    assert "column 5" in result.output and "check the driver" not in result.output


def _rule_count() -> int:
    """Every rule of the default definitions (the A/B stack and its SLOs)."""
    from monitoring.pipeline.discovery import load_stacks

    return sum(len(group.rules) for stack in load_stacks() for group in stack.groups)


def test_promtool_runs_on_one_thread_with_a_lazier_garbage_collector_unless_the_user_says(monkeypatch):
    from monitoring.verify.tools import one_core_env

    monkeypatch.delenv("GOMAXPROCS", raising=False)
    monkeypatch.delenv("GOGC", raising=False)
    assert (one_core_env()["GOMAXPROCS"], one_core_env()["GOGC"]) == ("1", "400")
    monkeypatch.setenv("GOGC", "100")
    monkeypatch.setenv("GOMAXPROCS", "2")
    assert (one_core_env()["GOMAXPROCS"], one_core_env()["GOGC"]) == ("2", "100")
