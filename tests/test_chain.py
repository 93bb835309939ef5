"""Test groups on the same series, one after the other in one group (monitoring/testgen/chain.py)."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from monitoring.model.durations import format_duration, parse_duration
from monitoring.testgen.chain import chain_groups
from monitoring.testgen.layout import samples_in
from monitoring.testgen.synth import case_evaluator, parse_series
from monitoring.verify.tools import find_tool

RECORDS = {"pool:cpu:avg5m": ("avg by (pool) (avg_over_time(cpu[5m]))", {})}
ALERTS = {
    "CpuHigh": ("pool:cpu:avg5m > 0.8", "5m"),
    "CpuCritical": ("max by (pool) (cpu) > 0.9", "2m"),
    "CpuAbsent": ("absent(cpu)", "5m"),
    "CpuAtNight": ("max by (pool) (cpu) > 0.9 and on() hour() < 6", "0m"),
    "CpuAt": ("max by (pool) (cpu @ 300) > 0.9", "0m"),
    "CpuFuture": ("max by (pool) (cpu offset -1m) > 0.9", "0m"),
    "CpuSmooth": ("max by (pool) (max_over_time(cpu[5m:1m])) > 0.9", "0m"),
    "CpuDaily": ("max by (pool) (max_over_time(cpu[1d])) > 0.9", "0m"),
    "DiskLow": ("min by (pool) (disk) < 0.1", "0m"),
}
STEP = 30.0


def chained(*groups, step=STEP):
    return chain_groups(list(groups), [(name, expr) for name, (expr, _) in ALERTS.items()], RECORDS, step)


def group(alert: str, series: dict[str, str], *tests: tuple[str, bool], interval="1m") -> dict:
    """A case: ``tests`` are (eval time, fires on pool=primary)."""
    return {
        "name": f"{alert}: case ({series})",
        "interval": interval,
        "input_series": [{"series": key, "values": values} for key, values in series.items()],
        "alert_rule_test": [
            {"alertname": alert, "eval_time": at, "exp_alerts": [{"exp_labels": {"pool": "primary"}}] if fires else []}
            for at, fires in tests
        ],
    }


WARNING = group("CpuHigh", {'cpu{pool="primary"}': "0.5x5 0.85x10 stale"}, ("9m30s", False), ("11m", True))
CRITICAL = group("CpuCritical", {'cpu{pool="primary"}': "0.5x2 0.95x4 stale"}, ("3m30s", False), ("5m", True))


def test_a_second_group_on_the_same_series_starts_once_nothing_before_it_can_be_seen():
    (one,) = chained(WARNING, CRITICAL)
    # CpuCritical reads cpu at an instant, and cpu's staleness marker (at 17m) ends it: two steps on (18m), where
    # the first group's samples end, CpuCritical has read nothing for a step and starts afresh
    assert one["input_series"][0]["values"] == "0.5x5 0.85x10 stale 0.5x2 0.95x4 stale"
    assert len(one["input_series"]) == 1  # named once
    assert [(t["alertname"], t["eval_time"]) for t in one["alert_rule_test"]] == [
        ("CpuHigh", "9m30s"), ("CpuHigh", "11m"), ("CpuCritical", "21m30s"), ("CpuCritical", "23m")
    ]  # fmt: skip
    assert one["name"] == f"{WARNING['name']} | {CRITICAL['name']}"
    # a series only the later group has starts with gaps up to its start
    replica = {
        **CRITICAL,
        "input_series": [*CRITICAL["input_series"], {"series": 'cpu{pool="replica"}', "values": "1x6"}],
    }
    (two,) = chained(WARNING, replica)
    assert two["input_series"][1] == {"series": 'cpu{pool="replica"}', "values": "_x18 1x6"}
    # the other way round, CpuHigh reads 5m back (avg_over_time) through a recorded series (stale a step after
    # its rule stops): 8m + 5m30s + two steps, on the minute: 15m, six gaps after the first group's 9 samples
    (other,) = chained(CRITICAL, WARNING)
    assert other["input_series"][0]["values"] == "0.5x2 0.95x4 stale _x6 0.5x5 0.85x10 stale"
    assert samples_in("0.5x2 0.95x4 stale _x6") == 3 + 5 + 1 + 6
    assert [t["eval_time"] for t in other["alert_rule_test"]][2:] == ["24m30s", "26m"]


def test_each_assertion_sees_what_it_saw_alone_and_its_alerts_read_nothing_just_before():
    for first, second in ((WARNING, CRITICAL), (CRITICAL, WARNING)):
        (one,) = chained(first, second)
        together = case_evaluator(one, RECORDS)
        alone = case_evaluator(second, RECORDS)
        start = parse_duration(one["alert_rule_test"][-1]["eval_time"]) - parse_duration(
            second["alert_rule_test"][-1]["eval_time"]
        )
        expr = ALERTS[second["alert_rule_test"][0]["alertname"]][0]
        assert not together.instant(expr, start - STEP) and not together.instant(expr, start - 2 * STEP)
        for step in range(0, 13 * 60, 30):
            assert together.instant(expr, start + step) == alone.instant(expr, step), step
        first_expr = ALERTS[first["alert_rule_test"][0]["alertname"]][0]
        for step in range(0, 12 * 60, 30):  # the first never moves: it reads samples up to its times only
            assert together.instant(first_expr, step) == case_evaluator(first, RECORDS).instant(first_expr, step)


@pytest.mark.parametrize(
    "alert, why",
    [
        ("CpuAbsent", "says something on no series: it would start pending in the gap"),
        ("CpuAtNight", "reads the clock"),
        ("CpuAt", "reads a fixed time"),
        ("CpuFuture", "reads ahead"),
        ("CpuSmooth", "a subquery steps on absolute time"),
        ("CpuDaily", "reads a day back: the wait would be far longer than its case"),
    ],
)
def test_a_group_that_cannot_move_keeps_its_own(alert, why):
    later = group(alert, {'cpu{pool="primary"}': "0.95x6 stale"}, ("5m", True))
    assert len(chained(WARNING, later)) == 2, why
    assert len(chained(later, WARNING)) == 1  # first, it does not move: CpuHigh can follow it


def test_an_alert_that_keeps_firing_after_its_expression_stops_keeps_its_own_group():
    lingering = frozenset({"CpuCritical"})  # keep_firing_for: it would still fire when its case starts
    args = ([(name, expr) for name, (expr, _) in ALERTS.items()], RECORDS, STEP)
    assert len(chain_groups([WARNING, CRITICAL], *args, lingering)) == 2
    assert len(chain_groups([WARNING, CRITICAL], *args)) == 1


def test_groups_sharing_no_series_or_spacing_stay_apart():
    disk = group("DiskLow", {'disk{pool="primary"}': "0.5x2 0.05x4 stale"}, ("5m", True))
    assert len(chained(WARNING, disk)) == 2  # nothing to save: side by side is layout's job
    sparse = {**CRITICAL, "interval": "2m"}
    assert len(chained(WARNING, sparse)) == 2


def test_the_start_is_on_both_the_input_spacing_and_the_evaluation_steps():
    (one,) = chained(WARNING, CRITICAL, step=45.0)  # lcm(60s, 45s) = 3m
    start = parse_duration(one["alert_rule_test"][-1]["eval_time"]) - parse_duration("5m")
    assert start % 180 == 0 and start >= 15 * 60 + 2 * 45
    values = one["input_series"][0]["values"]
    assert [t for t, _ in parse_series("cpu", values, 60).samples if t >= start][0] == start


def test_promtool_passes_the_chained_group_and_fails_it_without_the_wait(tmp_path):
    """promtool is the judge. A critical case whose gauge is past the threshold from its first sample, after a
    case that left CpuCritical firing: laid by the chain, CpuCritical resolves on the stale marker first and its
    "too short" holds; straight after the first case's samples, it would still be firing."""
    record = [{"record": "pool:cpu:avg5m", "expr": RECORDS["pool:cpu:avg5m"][0]}]
    alerts = [{"alert": name, "expr": ALERTS[name][0], "for": ALERTS[name][1]} for name in ("CpuHigh", "CpuCritical")]
    rules = {"groups": [{"name": "r", "interval": "30s", "rules": record}, {"name": "a", "rules": alerts}]}
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    hot = group("CpuCritical", {'cpu{pool="primary"}': "0.95x6 stale"}, ("5m", True))
    straight = group("CpuCritical", {'cpu{pool="primary"}': "0.95x4 stale"}, ("1m30s", False), ("2m", True))
    (one,) = chained(hot, straight)

    def promtool(test_group: dict) -> subprocess.CompletedProcess:
        document = {"rule_files": ["rules.yml"], "evaluation_interval": "30s", "tests": [test_group]}
        (tmp_path / "t.yml").write_text(yaml.safe_dump(document))
        argv = [find_tool("promtool"), "test", "rules", "t.yml"]
        return subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True)

    run = promtool(one)
    assert run.returncode == 0, run.stdout + run.stderr
    # the same two cases, the second where the first's samples end (no staleness marker between)
    start = 7 * 60
    gapless = dict(one, input_series=[{"series": 'cpu{pool="primary"}', "values": "0.95x6 0.95x4 stale"}])
    gapless["alert_rule_test"] = hot["alert_rule_test"] + [
        dict(t, eval_time=format_duration(parse_duration(t["eval_time"]) + start)) for t in straight["alert_rule_test"]
    ]
    run = promtool(gapless)
    assert run.returncode != 0 and "alertname: CpuCritical, time: 8m30s" in run.stderr, run.stdout + run.stderr
