"""`monitoring testgen`: promtool tests for rule files a team already has, run with the real promtool."""

import subprocess
from pathlib import Path

import pytest
import yaml

from monitoring.promql.regex_example import example
from monitoring.testgen.case_names import case_names
from monitoring.testgen.conditions_of import NotAutomatic, condition_of
from monitoring.testgen.record_query import asserted_record
from monitoring.verify.tools import find_tool

FIXTURES = Path(__file__).parent / "fixtures" / "testgen"
SERVICE = FIXTURES / "service.rules.yml"
MANIFEST = FIXTURES / "manifest.yaml"


def _promtool_test(files):
    return subprocess.run(
        [find_tool("promtool"), "test", "rules", *map(str, files)], capture_output=True, text=True, timeout=300
    )


def _firing(tests: list[dict], alertname: str, is_case) -> list[dict]:
    """The expected alerts of ``alertname``'s first firing assertion in the test group holding the case named so
    (cases share groups: monitoring.testgen.layout)."""
    group = next(t for t in tests if any(is_case(name) for name in case_names(t)))
    return next(a["exp_alerts"] for a in group["alert_rule_test"] if a["alertname"] == alertname and a["exp_alerts"])


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from click.testing import CliRunner

    from monitoring.cli.main import main

    out = tmp_path_factory.mktemp("tests") / "out"
    result = CliRunner().invoke(main, ["testgen", str(SERVICE), str(MANIFEST), "-o", str(out)])
    return out, result


def test_the_written_tests_pass_with_promtool_on_the_original_files(generated):
    out, result = generated
    tests = sorted(out.glob("*.test.yml"))
    assert [t.name for t in tests] == ["manifest.test.yml", "service.test.yml"]
    service = yaml.safe_load((out / "service.test.yml").read_text())
    assert (out / service["rule_files"][0]).resolve() == SERVICE.resolve()  # the team's file, as written
    run = _promtool_test(tests)
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_testable_rule_gets_its_cases(generated):
    out, _ = generated
    names = [n for t in yaml.safe_load((out / "service.test.yml").read_text())["tests"] for n in case_names(t)]
    alerts = ("ApiHighErrorRate", "ApiSlow", "ApiDown", "ApiAbsent", "TemperatureOutOfRange", "QueueStuck")
    for alert in alerts + ("WorkersSaturated", "TargetDown", "DiskFillingUp"):
        cases = [n.split(" (")[0] for n in names if n.startswith(f"{alert}: ")]
        assert any("fires" in c for c in cases), (alert, cases)
        assert any("safe side" in c or "quiet" in c for c in cases), (alert, cases)
        assert any("too short" in c for c in cases), (alert, cases)  # every one of them has `for` > interval
    assert sum(n.startswith("DiskFull: fires") for n in names) == 2  # both alerts of that name
    assert any(n.startswith("recording rules") for n in names)


def test_alerts_sharing_a_name_are_expected_together(generated):
    out, _ = generated
    tests = yaml.safe_load((out / "service.test.yml").read_text())["tests"]
    expected = _firing(tests, "DiskFull", lambda name: name.startswith("DiskFull: fires") and "< 0.05" in name)

    def series(alert):
        return {k: v for k, v in alert["exp_labels"].items() if k != "severity"}

    (critical,) = [a for a in expected if a["exp_labels"]["severity"] == "critical"]
    warnings = [series(a) for a in expected if a["exp_labels"]["severity"] == "warning"]
    assert series(critical) in warnings  # below 5% is below 10% too


def test_labels_map_in_annotations_is_what_prometheus_prints(generated):
    out, _ = generated
    tests = yaml.safe_load((out / "service.test.yml").read_text())["tests"]
    (expected,) = _firing(tests, "TargetDown", lambda name: name.startswith("TargetDown: fires"))
    labels = {k: v for k, v in expected["exp_labels"].items() if k != "alertname"}
    inner = " ".join(f"{k}:{v}" for k, v in sorted({**labels, "__name__": "up"}.items()))
    assert expected["exp_annotations"]["description"] == f"LABELS = map[{inner}]"  # `up == 0` keeps the name


def test_rules_it_cannot_test_are_listed_with_their_reason_and_exit_1(generated):
    _, result = generated
    assert result.exit_code == 1, result.output
    assert "service.rules.yml:67: alert ExporterConfigMissing: or of conditions" in result.output
    assert "alerts 14/15, recording rules 2/2 with generated tests; 1 rule(s) not tested" in result.output


def test_a_constant_alert_is_tested_as_firing_from_the_first_evaluation(generated):
    """A dead man's switch (`vector(1)`, kube-prometheus' Watchdog) reads nothing: its one case proves it fires at
    once with its labels on no inputs; there is no safe side to test."""
    out, result = generated
    assert "Heartbeat" not in result.output  # tested, so not listed
    tests = yaml.safe_load((out / "service.test.yml").read_text())["tests"]
    (expected,) = _firing(tests, "Heartbeat", lambda name: name.startswith("Heartbeat: fires with no input"))
    assert expected["exp_labels"] == {}


def test_a_changes_count_is_driven_by_a_flapping_series(generated):
    out, result = generated
    assert "LeaderFlapping" not in result.output  # tested, so not listed
    test = yaml.safe_load((out / "service.test.yml").read_text())
    names = {alert["alertname"] for case in test["tests"] for alert in case.get("alert_rule_test", [])}
    assert "LeaderFlapping" in names


def test_a_manifest_is_tested_through_a_plain_copy_of_its_groups(generated):
    out, _ = generated
    test = yaml.safe_load((out / "manifest.test.yml").read_text())
    assert test["rule_files"] == ["manifest.rules.yml"]
    manifest = yaml.safe_load(MANIFEST.read_text())
    assert yaml.safe_load((out / "manifest.rules.yml").read_text()) == {"groups": manifest["spec"]["groups"]}


def test_exit_0_when_every_rule_is_tested(cli, tmp_path):
    result = cli(["testgen", MANIFEST, "-o", tmp_path / "out"])
    assert result.exit_code == 0, result.output
    assert "not tested:" not in result.output and "; 0 rule(s) not tested" in result.output


def test_recording_rules_get_exact_values_as_promtool_computes_them(cli, tmp_path):
    """Two rules recording one name, a 30d average of a series recorded later in the group (promtool reads it
    one tick late), a 3d ratio over an hour of inputs (inexact rates: never summed in an order-dependent way)."""
    rules = FIXTURES / "recording.rules.yml"
    out = tmp_path / "out"
    result = cli(["testgen", rules, "-o", out])
    assert result.exit_code == 0, result.output  # every rule tested
    document = yaml.safe_load((out / "recording.test.yml").read_text())
    exprs = {asserted_record(t["expr"]) for g in document["tests"] for t in g.get("promql_expr_test", [])}
    assert exprs == {"code:requests:increase30d", "code:requests:increase1h", "job:requests:error_ratio3d"}
    hourly = next(
        t
        for g in document["tests"]
        for t in g.get("promql_expr_test", [])
        if asserted_record(t["expr"]) == "code:requests:increase1h"
    )
    assert any('class="error"' in s["labels"] for s in hourly["exp_samples"])  # both rules' series expected
    assert any('class="error"' not in s["labels"] for s in hourly["exp_samples"])
    run = _promtool_test(sorted(out.glob("*.test.yml")))
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize(
    "source, where",
    [
        (FIXTURES / "bad.rules.yml", "bad.rules.yml:7: PromQL syntax error at column 18"),
        (Path(__file__).parent / "fixtures" / "import" / "not-rules.yml", "not-rules.yml:1: not a Prometheus rule"),
    ],
)
def test_bad_input_is_located_exit_2_nothing_written(cli, tmp_path, source, where):
    out = tmp_path / "out"
    result = cli(["testgen", SERVICE, source, "-o", out])
    assert result.exit_code == 2, result.output
    assert where in result.output and "nothing was written" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_an_output_folder_with_other_files_is_refused(cli, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = cli(["testgen", MANIFEST, "-o", out])
    assert result.exit_code == 2 and "notes.txt" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize(
    "expr, kind, text",
    [
        ("up == 0", "Condition", "up == 0"),
        ("x > 1024 ^ 3", "Condition", "x > 1073741824"),
        ("x > 90 or x < 10", "Band", "x < 10 or x > 90"),
        ("(a > 1) and on (job) (b < 2)", "Compound", "(a > 1) and on (job) (b < 2)"),
        ("rate(x[5m]) > 0 unless on (i) y", "Condition", "((rate(x[5m])) unless on (i) (y)) > 0"),
        ("a < 1 and b < 2 and c == 0", "Compound", "(((a) and (c == 0)) < 1) and (b < 2)"),
        ('absent(up{job="api"})', "Absent", 'absent(up{job="api"})'),
        ("a > b", "Condition", "(a) - (b) > 0"),
        ("x >= on (i) group_left y * 0.9", "Condition", "(x) - on (i) group_left () (y * 0.9) >= 0"),
        ("a == 1 or b == 1", "Compound", "(a == 1) or (b == 1)"),
        ("x <= 199 or x >= 400", "Compound", "(x <= 199) or (x >= 400)"),
        ("(x > 1 and d >= 0) or x < -1", "Compound", "(((x) and (d >= 0)) > 1) or (x < -1)"),
        (
            "a / ignoring (t) b > 0.9 and ignoring (t) b > 0",
            "Condition",
            "((a / ignoring (t) b) and ignoring (t) (b > 0)) > 0.9",
        ),
        ("x > 1 and (r > y) * 100", "Condition", "((x) and ((r > y) * 100)) > 1"),
    ],
)
def test_conditions_are_read_from_the_expression(expr, kind, text):
    condition = condition_of(expr, "A")
    assert type(condition).__name__ == kind and condition.expr == text


@pytest.mark.parametrize(
    "expr, category",
    [
        ("vector(1)", "always fires"),
        ("x > bool 1", "comparison with bool"),
        ("sum by (t) (x > 0)", "no comparison"),  # testgen tests it as such (testgen.present)
        ("x > 1 or absent(x)", "or of conditions"),
        ("count by (i) (x offset 1h) unless count by (i) (x)", "no comparison"),
    ],
)
def test_expressions_without_a_drivable_condition_say_why(expr, category):
    with pytest.raises(NotAutomatic) as caught:
        condition_of(expr, "A")
    assert caught.value.category == category


def test_shapes_beyond_a_threshold_get_their_cases_and_pass_promtool(cli, tmp_path):
    """Two series compared (reporting the left side's value, not the difference it is driven by), `or` of two
    comparisons (fires by each side, quiet with each on its safe side), no comparison (fires on any series)."""
    out = tmp_path / "out"
    result = cli(["testgen", FIXTURES / "shapes.rules.yml", "-o", out])
    assert result.exit_code == 0, result.output  # every alert tested
    tests = yaml.safe_load((out / "shapes.test.yml").read_text())["tests"]
    names = [n.split(" (")[0] for t in tests for n in case_names(t)]
    for alert in ("WorkersSaturated", "ReplicasMismatch", "TasksNearLimit"):
        assert {f"{alert}: fires", f"{alert}: safe side", f"{alert}: too short"} <= set(names)
    for alert in ("NodeDown", "HttpFailure", "Unroutable", "ClockSkew"):
        expected = ("fires by the first", "fires by the second", "too short")
        expected += ("quiet: the first on its safe side", "quiet: the second on its safe side")
        assert {f"{alert}: {case}" for case in expected} <= set(names), names
    for alert in ("CertificateNotReady", "InvalidIndex", "TargetMissingAfterWarmup"):
        assert {f"{alert}: fires", f"{alert}: quiet", f"{alert}: too short"} <= set(names)
    (alert,) = _firing(tests, "WorkersSaturated", lambda name: name.startswith("WorkersSaturated: fires"))
    fires = next(n for t in tests for n in case_names(t) if n.startswith("WorkersSaturated: fires"))
    difference = fires.split("(at ")[1].split(";")[0]
    shown = alert["exp_annotations"]["summary"].split(": ")[1].removesuffix(" busy workers")
    assert float(shown) > float(difference) > 0  # busy_workers' value, not the difference it is driven by
    run = _promtool_test([out / "shapes.test.yml"])
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize(
    "pattern, expected",
    [(".*thanos-compact.*", "thanos-compact"), ("(/dev/)?(nvme.+|sd.+)", "nvmea"), ("5..", "5aa"), ("[^a-c]x", "xx")],
)
def test_regex_examples_match_their_regex(pattern, expected):
    assert example(pattern) == expected


def test_only_labels_a_selector_leaves_free_or_excludes_get_a_value_no_matcher_names():
    # An error ratio needs a series outside `result="error"`, and `code!="200"` one besides "200"; a label every
    # selector pins to a value (`namespace` here) keeps its one value, or a mixin's series would multiply for nothing.
    from monitoring.adopt.rule_tests import with_other_values
    from monitoring.promql.catalog import infer_catalog
    from monitoring.promql.parse import parse, selectors

    expressions = [
        'sum(rate(x_total{namespace="ns", result="error"}[5m])) / sum(rate(x_total{namespace="ns"}[5m])) > 0.1',
        'rate(y_total{namespace="ns", code="200"}[5m]) > 1',
        'rate(y_total{namespace="ns", code!="200"}[5m]) > 1',
    ]
    read = [node for text in expressions for node in selectors(parse(text))]
    metrics = with_other_values(infer_catalog(expressions), read)
    values = {label.name: label.values for metric in metrics for label in metric.labels}
    assert values["result"] == ("error", "result-1")
    assert values["code"] == ("200", "code-1")
    assert values["namespace"] == ("ns",)
