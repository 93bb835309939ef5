"""Recording rules asserted inside the alert groups (monitoring/testgen/fold.py), and what keeps them apart."""

import pytest
import yaml

from monitoring.definitions import ab_test as ab
from monitoring.model.durations import parse_duration
from monitoring.render.promtool_tests import render_rule_tests
from monitoring.testgen import fold
from monitoring.testgen.fold import fold_recording
from monitoring.testgen.record_query import asserted_record
from monitoring.verify.mutation import behaviour

CONFIDENCE = "model_name:ab_test_model_confidence:avg5m"
ACCURACY_SERIES = 'ab_test_model_accuracy{instance="app:8080",job="ab-test",model_name="baseline"}'


def _rules(*records):
    return [r for r in ab.STACK.recording_rules() if r.record in records]


def _confidence_group(baseline: str, enhanced: str, eval_time: str = "10m") -> dict:
    key = 'ab_test_model_confidence{{instance="app:8080",job="ab-test",model_name="{}"}}'
    return {
        "name": "ModelConfidenceLow: fires",
        "interval": "1m",
        "input_series": [
            {"series": key.format("baseline"), "values": baseline},
            {"series": key.format("enhanced"), "values": enhanced},
        ],
        "alert_rule_test": [{"eval_time": eval_time, "alertname": "ModelConfidenceLow", "exp_alerts": []}],
    }


def test_a_group_driving_distinct_series_until_the_eval_time_hosts_the_rule():
    group = _confidence_group("0.98x2 0.5x17", "0.98x2 0.25x17")
    (hosted,) = fold_recording(ab.STACK, _rules(CONFIDENCE), [group])
    (test,) = hosted["promql_expr_test"]
    assert test["expr"] == f"{CONFIDENCE} * 1" and test["eval_time"] == "7m"
    # the window [2m, 7m] holds one healthy sample and five driven ones (Prometheus' running mean, exact)
    values = {s["labels"]: s["value"] for s in test["exp_samples"]}
    assert values['{model_name="baseline"}'] == pytest.approx((0.98 + 5 * 0.5) / 6, rel=1e-12)
    assert hosted["input_series"] == group["input_series"] and hosted["alert_rule_test"] == group["alert_rule_test"]


@pytest.mark.parametrize(
    "baseline,enhanced,eval_time,why",
    [
        ("0.98x2 0.5x17", "0.98x2 0.5x17", "10m", "both models alike: a wrong `by` or window could go unseen"),
        ("0.98x2 0.5x3 stale", "0.98x2 0.25x17", "10m", "a series gone stale before the eval time"),
        ("0.98x2 0.5x17", "0.98x2 0.25x17", "5m", "a group shorter than the eval time (hosting lengthens it)"),
    ],
)
def test_a_group_that_cannot_host_leaves_the_rule_in_its_own_group(baseline, enhanced, eval_time, why):
    group = _confidence_group(baseline, enhanced, eval_time)
    separate, kept = fold_recording(ab.STACK, _rules(CONFIDENCE), [group])
    assert kept is group, why
    assert [asserted_record(t["expr"]) for t in separate["promql_expr_test"]] == [CONFIDENCE]
    # only the series its rules read: the confidence gauge of both models
    assert all(s["series"].startswith("ab_test_model_confidence{") for s in separate["input_series"])


def test_series_the_group_lacks_come_from_the_healthy_dataset_and_end_at_the_eval_time():
    accuracy = "model_name:ab_test_model_accuracy:avg15m"
    group = _confidence_group("0.98x2 0.5x17", "0.98x2 0.25x17")
    (hosted,) = fold_recording(ab.STACK, _rules(CONFIDENCE, accuracy), [group])
    assert {asserted_record(t["expr"]) for t in hosted["promql_expr_test"]} == {CONFIDENCE, accuracy}
    added = {s["series"]: s["values"] for s in hosted["input_series"][2:]}
    assert set(added) == {ACCURACY_SERIES, ACCURACY_SERIES.replace("baseline", "enhanced")}  # nothing else
    assert added[ACCURACY_SERIES] == "25x7 stale"


@pytest.fixture(scope="module")
def layouts():
    """The A/B stack's test groups with and without folding, and its rule file."""
    from monitoring.render.prometheus import render_rules

    folded = render_rule_tests(ab.STACK, "../rules/ab-test.rules.yml")
    original, fold.fold_recording = fold.fold_recording, lambda stack, rules, groups: groups
    try:
        unfolded = render_rule_tests(ab.STACK, "../rules/ab-test.rules.yml")
    finally:
        fold.fold_recording = original
    return folded, unfolded, yaml.safe_load(yaml.safe_dump(render_rules(ab.STACK)))


def test_every_recording_rule_is_asserted_once_and_some_inside_alert_groups(layouts):
    folded, _, _ = layouts
    asserted = [asserted_record(t["expr"]) for g in folded["tests"] for t in g.get("promql_expr_test", [])]
    assert sorted(asserted) == sorted(r.record for r in ab.STACK.recording_rules())
    hosted = [
        asserted_record(t["expr"])
        for g in folded["tests"]
        if g.get("alert_rule_test")
        for t in g.get("promql_expr_test", [])
    ]
    assert CONFIDENCE in hosted


def test_hosting_changes_no_alert_assertion_nor_what_the_alerts_do(layouts):
    """Series added for the recording rules are ones no asserted alert of the group reads: every alert behaves
    at every step (our evaluator) as in the group without them, and the assertions are the same."""
    folded, unfolded, rule_file = layouts
    before = {g["name"]: g for g in unfolded["tests"]}
    interval = parse_duration(folded["evaluation_interval"])
    hosts = [g for g in folded["tests"] if g.get("alert_rule_test") and g.get("promql_expr_test")]
    assert hosts
    for group in hosts:
        alone = before[group["name"]]
        assert group["alert_rule_test"] == alone["alert_rule_test"]
        assert group["input_series"][: len(alone["input_series"])] == alone["input_series"]
        for alert in {t["alertname"] for t in group["alert_rule_test"]}:
            assert behaviour(rule_file, alert, group, interval) == behaviour(rule_file, alert, alone, interval)


def test_a_bench_service_has_no_recording_group_of_its_own_and_promtool_passes(cli, tmp_path):
    """The bench's service shape: every recording rule is hosted by the warning cases' group (the request counter
    and the histograms' _count and _sum, which no alert reads, come from the healthy dataset)."""
    import importlib.util
    import subprocess

    from conftest import ROOT

    from monitoring.verify.tools import find_tool

    spec = importlib.util.spec_from_file_location("bench_estate", ROOT / "bench" / "estate.py")
    estate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(estate)
    folder, policies = estate.write_estate(tmp_path / "estate", 1)
    out = tmp_path / "out"
    result = cli(["generate", "-d", folder, "--policies", policies, "-o", out])
    assert result.exit_code == 0, result.output
    test_file = out / "prometheus/tests/svc-0001.test.yml"
    document = yaml.safe_load(test_file.read_text())
    assert all(g.get("alert_rule_test") for g in document["tests"])  # no group of recording rules alone
    hosted = [asserted_record(t["expr"]) for g in document["tests"] for t in g.get("promql_expr_test", [])]
    assert len(hosted) == len(set(hosted)) == 30
    run = subprocess.run([find_tool("promtool"), "test", "rules", str(test_file)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
