"""Generated tests for the alerts teams write: automatic inputs for every signal shape, every condition.

One definitions file holds an alert per shape and condition; generation must need no hand-written driver,
every case must pass the real promtool, and the cases must catch a wrong comparator.
"""

import contextlib
import re
import subprocess

import pytest
import yaml
from conftest import names_failing_case

from monitoring.model import Step, Threshold, above, below
from monitoring.model.synthetic import Absence, CounterRate, CounterReset, GaugeValue, Ramp, Stale
from monitoring.testgen import synth
from monitoring.testgen.case_names import case_names
from monitoring.verify.tools import find_tool

SHAPES = """
from monitoring import *

ROUTE = Label("route", ("home", "api"))
CODE = Label("code", ("200", "500"))
CPU = Label("cpu", ("0", "1"))
MODE = Label("mode", ("idle", "user"))
REQ = Metric("web_requests_total", COUNTER, "Requests.", labels=(ROUTE, CODE))
PANICS = Metric("web_panics_total", COUNTER, "Panics.")
LAT = Metric("web_latency_seconds", HISTOGRAM, "Latency.", unit="seconds", labels=(ROUTE,),
             buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5))
AVAIL = Metric("disk_avail_bytes", GAUGE, "Free bytes.", unit="bytes", min=0)
SIZE = Metric("disk_size_bytes", GAUGE, "Size.", unit="bytes", min=0)
CPUSEC = Metric("node_cpu_seconds_total", COUNTER, "CPU.", unit="seconds", labels=(CPU, MODE))
UP = Metric("svc_up", GAUGE, "Up.", min=0, max=1)
TEMP = Metric("room_temperature_celsius", GAUGE, "Temperature.", unit="celsius")
QUEUE = Metric("queue_depth", GAUGE, "Queue depth.", min=0)

RATIO_T = Threshold("ratio", steps=(Step(None, "green", "ok"), Step(0.05, "red", "high")))
ZERO_T = Threshold("zero", steps=(Step(None, "green", "ok"), Step(0, "red", "any")))
P99_T = Threshold("p99", steps=(Step(None, "green", "ok"), Step(0.3, "red", "slow")))
FREE_T = Threshold("free", steps=(Step(None, "red", "low"), Step(0.1, "green", "ok")))
CPU_T = Threshold("cpu", steps=(Step(None, "green", "ok"), Step(0.9, "red", "busy")))
UP_T = Threshold("up", steps=(Step(None, "red", "down"), Step(0, "red", "zero"), Step(1, "green", "up")))
TEMP_T = Threshold("temp", steps=(Step(None, "blue", "cold"), Step(18, "green", "ok"), Step(26, "red", "hot")))
TRAFFIC_T = Threshold("traffic", steps=(Step(None, "red", "idle"), Step(1, "green", "busy")))
Q_T = Threshold("queue", steps=(Step(None, "green", "ok"), Step(100, "red", "long")))

ERR_RATIO = f'sum by (route) (rate({REQ.select(code="500")}[5m])) / sum by (route) (rate({REQ}[5m]))'
TRAFFIC = f"sum by (route) (rate({REQ}[5m]))"
A = lambda name, cond, for_="5m": Alert(name, cond, for_, "warning", summary="s", description="v={{ $value }}")
ALERTS = (
    A("ErrorRatioHigh", above(ERR_RATIO, RATIO_T["high"])),
    A("ErrorRatioAtLeast", at_least(ERR_RATIO, RATIO_T["high"])),
    A("PanicsSeen", above(f"sum(increase({PANICS}[10m]))", ZERO_T["any"]), "0m"),
    A("PanicRate", above(f"sum(rate({PANICS}[5m])) or vector(0)", ZERO_T["any"]), "1m"),
    A("LatencyAll", above(f"histogram_quantile(0.99, sum by (le) (rate({LAT.bucket}[5m])))", P99_T["slow"])),
    A("LatencyRoute", above(f"histogram_quantile(0.99, sum by (route, le) (rate({LAT.bucket}[5m])))",
                            P99_T["slow"])),
    A("DiskFreeLow", below(f"{AVAIL} / {SIZE}", FREE_T["ok"])),
    A("DiskFreeAtMost", at_most(f"{AVAIL} / {SIZE}", FREE_T["ok"])),
    A("CpuBusy", above(f'1 - avg by (instance) (rate({CPUSEC.select(mode="idle")}[5m]))', CPU_T["busy"])),
    A("ServiceDown", equal_to(f"{UP}", UP_T["zero"]), "2m"),
    A("ServiceNotUp", not_equal_to(f"{UP}", UP_T["up"]), "2m"),
    A("TemperatureOut", outside(TEMP, TEMP_T["ok"], TEMP_T["hot"])),
    A("ErrorsWithTraffic", both(above(ERR_RATIO, RATIO_T["high"]), above(TRAFFIC, TRAFFIC_T["busy"]))),
    A("QueueLongUnlessIdle", unless(above(f"max({QUEUE})", Q_T["long"]), below(f"sum({TRAFFIC})", TRAFFIC_T["busy"]))),
    A("ErrorRatioFiltered", above(f"({ERR_RATIO}) and on (route) ({TRAFFIC} > 1)", RATIO_T["high"])),
)
LAST = Metric("backup_last_success_timestamp_seconds", GAUGE, "Last backup.", unit="seconds")
AGE_T = Threshold("age", steps=(Step(None, "green", "ok"), Step(3600, "red", "old")))
DISK_T = Threshold("disk", steps=(Step(None, "red", "full"), Step(0, "green", "ok")))
GROW_T = Threshold("grow", steps=(Step(None, "green", "ok"), Step(1000, "red", "fast")))
STARTS = Metric("proc_starts_total", COUNTER, "Process starts.")
FLAP_T = Threshold("flaps", steps=(Step(None, "green", "ok"), Step(3, "red", "flapping")))
ALERTS += (
    A("TargetGone", absent(UP.select()), "5m"),
    A("JobGone", absent('svc_up{job="edge"}'), "2m"),
    A("BackupTooOld", above(f"time() - {LAST}", AGE_T["old"])),
    A("DiskFillsIn4h", below(f"predict_linear({AVAIL}[1h], 4 * 3600)", DISK_T["ok"])),
    A("QueueGrowing", above(f"deriv({QUEUE}[10m])", GROW_T["fast"]), "5m"),
    A("QueueFlapping", above(f"changes({QUEUE}[10m])", FLAP_T["flapping"]), "5m"),
    A("CrashLooping", above(f"resets({STARTS}[15m])", FLAP_T["flapping"]), "5m"),
)
STACK = Stack("shapes", metrics=(REQ, PANICS, LAT, AVAIL, SIZE, CPUSEC, UP, TEMP, QUEUE, LAST, STARTS),
              groups=(RuleGroup("shapes.alerts", "30s", ALERTS),), team="t")
"""

COMPARISON = ("fires", "safe side", "too short")
EXPECTED_CASES = {
    "ErrorRatioHigh": COMPARISON,
    "ErrorRatioAtLeast": COMPARISON,
    "PanicsSeen": ("fires", "safe side"),  # for 0m: nothing can be too short
    "PanicRate": COMPARISON,
    "LatencyAll": COMPARISON,
    "LatencyRoute": COMPARISON,
    "DiskFreeLow": COMPARISON,
    "DiskFreeAtMost": COMPARISON,
    "CpuBusy": COMPARISON,
    "ServiceDown": COMPARISON,
    "ServiceNotUp": COMPARISON,
    "TemperatureOut": (
        "fires below",
        "fires above",
        "too short",
        "safe side at the low boundary",
        "safe side at the high boundary",
    ),
    "ErrorsWithTraffic": ("fires", "too short", "quiet: only the first holds", "quiet: only the second holds"),
    "QueueLongUnlessIdle": ("fires", "too short", "quiet: the second holds too", "quiet: the first on its safe side"),
    "ErrorRatioFiltered": COMPARISON,
    "TargetGone": COMPARISON,
    "JobGone": COMPARISON,
    "BackupTooOld": COMPARISON,
    "DiskFillsIn4h": COMPARISON,
    "QueueGrowing": COMPARISON,
    "QueueFlapping": COMPARISON,
    "CrashLooping": COMPARISON,
}


@pytest.fixture(scope="module")
def promtool():
    return find_tool("promtool")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from click.testing import CliRunner

    from monitoring.cli.main import main

    root = tmp_path_factory.mktemp("shapes")
    (root / "definitions").mkdir()
    (root / "definitions" / "shapes.py").write_text(SHAPES)
    with contextlib.chdir(root):  # no policies folder here
        result = CliRunner().invoke(
            main, ["generate", "--definitions", str(root / "definitions"), "--out", str(root / "out")]
        )
    assert result.exit_code == 0, result.output
    return root / "out"


def run_promtool(promtool, test_file):
    return subprocess.run([promtool, "test", "rules", str(test_file)], capture_output=True, text=True)


def test_every_shape_and_condition_gets_passing_tests_without_a_driver(generated, promtool):
    test_file = generated / "prometheus/tests/shapes.test.yml"
    names = [n for g in yaml.safe_load(test_file.read_text())["tests"] for n in case_names(g)]
    for alert, cases in EXPECTED_CASES.items():
        found = [n.split(": ", 1)[1].split(" (")[0] for n in names if n.startswith(f"{alert}: ")]
        assert sorted(found) == sorted(cases), alert
    run = run_promtool(promtool, test_file)
    assert run.returncode == 0, run.stdout + run.stderr


def test_names_say_what_the_inputs_produce_and_how_clear_the_crossing_is(generated):
    document = yaml.safe_load((generated / "prometheus/tests/shapes.test.yml").read_text())
    names = [n for g in document["tests"] for n in case_names(g)]
    for name in names:
        if (": fires" in name or ": too short" in name) and "Gone:" not in name:  # absent: no threshold
            assert re.search(r"; (margin [0-9.e+-]+|whole counts, exact|exactly on the value); [^;]+\)$", name), name
    assert any(n.startswith("DiskFreeLow: safe side (at 0.1, on the boundary") for n in names)
    assert any(n.startswith("DiskFreeAtMost: safe side") and "just inside" in n for n in names)
    assert any(n.startswith("ServiceDown: safe side (at 0.02, just off the value") for n in names)
    assert any(n.startswith("ServiceNotUp: safe side (at 1, on the boundary") for n in names)
    # the CPU cannot be busier than 1: the fires case says what the inputs reach, not what was asked
    assert any(n.startswith("CpuBusy: fires (at 1; ") and "; > 0.9 for " in n for n in names)
    assert any(n.startswith('JobGone: fires (svc_up{job="edge"} stale from ') for n in names)


def _expanded(values: str) -> list[float]:
    series = synth.parse_series("x", values, 60.0)
    return [v for _, v in series.samples]


def test_counters_never_go_backwards(generated):
    for group in yaml.safe_load((generated / "prometheus/tests/shapes.test.yml").read_text())["tests"]:
        for series in group["input_series"]:
            # resets are what CrashLooping is about
            resets_tested = "CrashLooping: " in group["name"] and series["series"].startswith("proc_starts_total")
            if ("_total" in series["series"] or "_bucket" in series["series"]) and not resets_tested:
                values = _expanded(series["values"])
                assert values == sorted(values), (group["name"], series)


@pytest.mark.parametrize(
    "old,new,failing",
    [
        ("> 0.05\n", ">= 0.05\n", "ErrorRatioHigh: safe side"),
        ("expr: svc_up == 0", "expr: svc_up < 1", "ServiceDown: safe side"),
        (
            "room_temperature_celsius < 18 or",
            "room_temperature_celsius <= 18 or",
            "TemperatureOut: safe side at the low",
        ),
        ("unless (sum(", "and (sum(", "QueueLongUnlessIdle: fires"),
        ('absent(svc_up{job="edge"})', 'absent(svc_up{job="edge2"})', "JobGone: safe side"),
        ("expr: deriv(queue_depth[10m]) > 1000", "expr: deriv(queue_depth[10m]) >= 1000", "QueueGrowing: safe side"),
    ],
)
def test_the_cases_catch_a_wrong_rule(generated, promtool, tmp_path, old, new, failing):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(generated, out)
    rules = out / "prometheus/rules/shapes.rules.yml"
    text = rules.read_text()
    assert old in text
    rules.write_text(text.replace(old, new, 1))
    run = run_promtool(promtool, out / "prometheus/tests/shapes.test.yml")
    assert run.returncode != 0 and names_failing_case(run.stdout + run.stderr, failing)


def test_a_threshold_crossed_exactly_by_a_moving_average_is_tested_clear_of_it(tmp_path, promtool):
    """Issue 18: a 5-minute average of a gauge switching 0.2 -> 0.58125 lands exactly on 0.484375 at one step,
    where Prometheus' Kahan mean is an ulp above it. The generated cases must avoid such steps."""
    from click.testing import CliRunner

    from monitoring.cli.main import main

    text = """
from monitoring import *
POOL = Label("pool", ("primary", "replica"))
SAT = Metric("svc_pool_saturation_ratio", GAUGE, "Saturation.", unit="ratio", labels=(POOL,), min=0, max=1)
T = Threshold("t", steps=(Step(None, "green", "ok"), Step(0.484375, "yellow", "warning")))
AVG = RecordingRule("pool:svc_pool_saturation_ratio:avg5m", f"avg by (pool) (avg_over_time({SAT}[5m]))")
STACK = Stack("sat", metrics=(SAT,), groups=(RuleGroup("r", "30s", (AVG,)), RuleGroup("a", "30s", (
    Alert("SaturationWarning", above(AVG, T["warning"]), "5m", "warning", summary="s", description="d"),))))
"""
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "sat.py").write_text(text)
    with contextlib.chdir(tmp_path):
        result = CliRunner().invoke(main, ["generate", "-d", str(tmp_path / "defs"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    test_file = tmp_path / "out/prometheus/tests/sat.test.yml"
    names = [n for g in yaml.safe_load(test_file.read_text())["tests"] for n in case_names(g)]
    short = next(n for n in names if n.startswith("SaturationWarning: too short"))
    distance = float(short.split("margin ")[1].split(";")[0])
    assert distance >= 0.484375 * 1e-6
    run = run_promtool(promtool, test_file)
    assert run.returncode == 0, run.stdout + run.stderr


def test_input_shapes_encode_as_promtool_reads_them(tmp_path, promtool):
    """Each shape's samples, as our evaluator reads them, are what promtool expands from the encoding."""
    key = 'shape{kind="%s"}'
    timeline = (
        synth.Timeline()
        .add(
            3,
            {
                key % "constant": GaugeValue(2.5),
                key % "counter": CounterRate(0.1),
                key % "ramp": GaugeValue(10),
                key % "reset": CounterRate(1),
                key % "absent": GaugeValue(1),
            },
        )
        .add(
            4,
            {
                key % "constant": GaugeValue(2.5),
                key % "counter": CounterRate(0.1),
                key % "ramp": Ramp(-0.5),
                key % "reset": CounterReset(2),
                key % "absent": Absence(),
            },
        )
        .add(2, {key % "absent": GaugeValue(3)})
    )
    inputs = timeline.promtool_inputs()
    encoded = {s["series"]: s["values"] for s in inputs}
    assert encoded[key % "absent"] == "1x3 _x4 3x1"
    assert encoded[key % "reset"].startswith("3600+60x3 0+120x")
    expected = []
    for series in timeline.series():
        name = dict(series.labels)["kind"]
        for t, value in series.samples:
            expected.append({"t": t, "kind": name, "value": value})
    tests = [
        {
            "expr": f'shape{{kind="{e["kind"]}"}}',
            "eval_time": f"{int(e['t'])}s",
            "exp_samples": [{"labels": f'shape{{kind="{e["kind"]}"}}', "value": e["value"]}],
        }
        for e in expected
    ]
    (tmp_path / "empty.rules.yml").write_text("groups: []\n")
    (tmp_path / "shapes.test.yml").write_text(
        yaml.safe_dump(
            {
                "rule_files": ["empty.rules.yml"],
                "evaluation_interval": "1m",
                "tests": [{"interval": "1m", "input_series": inputs, "promql_expr_test": tests}],
            }
        )
    )
    run = run_promtool(promtool, tmp_path / "shapes.test.yml")
    assert run.returncode == 0, run.stdout + run.stderr


def test_numbers_with_exponents_read_back_as_promtool_reads_them(tmp_path, promtool):
    """`-9.3e-05+1e-05x3`: the exponent's sign is not the step's (a crash on KubeStateMetricsShardsMissing)."""
    values = [-9.332274452506886e-05 + k * 1e-05 for k in range(4)]
    encoded = synth.encode(values)
    assert "e-05" in encoded
    assert [v for _, v in synth.parse_series("x", encoded, 60.0).samples] == values
    tests = [
        {"expr": "x", "eval_time": f"{k}m", "exp_samples": [{"labels": "x", "value": v}]} for k, v in enumerate(values)
    ]
    (tmp_path / "empty.rules.yml").write_text("groups: []\n")
    (tmp_path / "exponents.test.yml").write_text(
        yaml.safe_dump(
            {
                "rule_files": ["empty.rules.yml"],
                "tests": [
                    {"interval": "1m", "input_series": [{"series": "x", "values": encoded}], "promql_expr_test": tests}
                ],
            }
        )
    )
    run = run_promtool(promtool, tmp_path / "exponents.test.yml")
    assert run.returncode == 0, run.stdout + run.stderr


def test_stale_is_encoded_as_promtool_writes_it():
    timeline = synth.Timeline().add(2, {"x": GaugeValue(1)}).add(3, {"x": Stale()})
    assert timeline.promtool_inputs()[0]["values"] == "1x2 stale _x2"
    samples = timeline.series()[0].samples
    assert [t for t, _ in samples] == [0.0, 60.0, 120.0, 180.0]
    assert synth.parse_series("x", "1x2 stale _x2", 60.0).samples[:3] == samples[:3]


def test_signals_with_a_set_operation_are_parenthesised():
    level = Threshold("t", steps=(Step(None, "green", "ok"), Step(1, "red", "bad")))["bad"]
    assert above("sum(rate(x[5m])) or vector(0)", level).expr == "(sum(rate(x[5m])) or vector(0)) > 1"
    assert above("a and on (x) b > 2", level).expr == "(a and on (x) b > 2) > 1"
    assert below('sum by (route) (x{route="or"}) / y', level).expr == 'sum by (route) (x{route="or"}) / y < 1'
    assert below("max(order_total)", level).expr == "max(order_total) < 1"
