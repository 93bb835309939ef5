"""Which generated cases share a promtool test group (monitoring/testgen/layout.py)."""

from __future__ import annotations

import math

from monitoring.testgen.case_names import case_names, merged_name
from monitoring.testgen.layout import merge_groups, trim
from monitoring.testgen.synth import parse_series

RECORDS = {"pool:cpu:avg5m": ("avg by (pool) (avg_over_time(cpu[5m]))", {})}
ALERTS = [
    ("CpuHigh", "pool:cpu:avg5m > 0.8"),
    ("CpuCritical", "max by (pool) (cpu) > 0.9"),
    ("MemoryHigh", 'max(memory{pool="primary"}) > 0.8'),
    ("DiskLow", "min(disk) < 0.1"),
    ("AnythingDown", '{job="svc"} == 0'),
]


def case(alert: str, kind: str, series: dict[str, str], eval_time: str, firing: bool = False) -> dict:
    return {
        "name": f"{alert}: {kind} (...)",
        "interval": "1m",
        "input_series": [{"series": key, "values": values} for key, values in series.items()],
        "alert_rule_test": [
            {
                "alertname": alert,
                "eval_time": eval_time,
                "exp_alerts": [{"exp_labels": {"pool": "primary"}}] if firing else [],
            }
        ],
    }


CPU = {'cpu{pool="primary"}': "0.5x5 0.95x20", 'cpu{pool="replica"}': "0.5x25"}
CPU_SAFE = {'cpu{pool="primary"}': "0.5x5 0.8x20", 'cpu{pool="replica"}': "0.5x25"}
CPU_CRITICAL = {'cpu{pool="primary"}': "0.5x5 0.99x20", 'cpu{pool="replica"}': "0.5x25"}
MEMORY = {'memory{pool="primary"}': "0.5x5 0.9x20"}
DISK = {'disk{pool="primary"}': "0.5x5 0.05x20"}


def merged(groups):
    return merge_groups(groups, ALERTS, RECORDS)


def test_cases_with_the_same_inputs_share_a_group():
    fires = case("CpuHigh", "fires", CPU, "16m", firing=True)
    short = case("CpuHigh", "too short", CPU, "14m30s")
    (group,) = merged([fires, short])
    assert case_names(group) == ["CpuHigh: fires (...)", "CpuHigh: too short (...)"]
    assert [t["eval_time"] for t in group["alert_rule_test"]] == ["14m30s", "16m"]
    # the inputs as far as the assertions read them (16m), then stale
    assert group["input_series"] == [
        {"series": 'cpu{pool="primary"}', "values": "0.5x5 0.95x10 stale"},
        {"series": 'cpu{pool="replica"}', "values": "0.5x16 stale"},
    ]


def test_trimmed_inputs_are_the_same_samples_up_to_the_end_then_stale():
    for values in ("0.5x5 0.95x20", "1800+30x7", "_x3 1 2 3x4", "1 -2.5-0.5x3 _ 7", "1 2 stale 4"):
        whole = parse_series("x", values, 60).samples
        for end in (0, 60, 180, 300, 420, 990, 3000):
            cut = parse_series("x", trim(values, 60, end), 60).samples
            assert [s for s in cut if s[0] <= end] == [s for s in whole if s[0] <= end]
            if any(t > end for t, _ in whole):
                assert math.isnan(cut[-1][1]) and cut[-1][0] > end  # a staleness marker, after the end
            else:
                assert cut == whole


def test_series_no_asserted_alert_reads_are_left_out_of_a_merged_group():
    extra = {**CPU, 'cpu_count{pool="primary"}': "1x25"}
    (group,) = merged([case("CpuHigh", "fires", extra, "16m", True), case("CpuHigh", "too short", extra, "14m30s")])
    assert [s["series"] for s in group["input_series"]] == list(CPU)


def test_cases_of_alerts_on_other_series_run_side_by_side():
    groups = merged([case("CpuHigh", "fires", CPU, "16m", True), case("MemoryHigh", "fires", MEMORY, "9m", True)])
    (group,) = groups
    assert {t["alertname"] for t in group["alert_rule_test"]} == {"CpuHigh", "MemoryHigh"}
    assert len(group["input_series"]) == 3


def test_cases_on_the_same_series_stay_apart():
    # CpuHigh reads cpu through its recording rule, CpuCritical reads it directly: neither may see the other
    groups = merged(
        [
            case("CpuHigh", "fires", CPU, "16m", True),
            case("CpuHigh", "safe side", CPU_SAFE, "17m"),
            case("CpuCritical", "fires", CPU_CRITICAL, "9m", True),
        ]
    )
    assert len(groups) == 3


def test_a_matcher_that_cannot_match_keeps_nothing_apart_and_one_that_can_does():
    replica = {'memory{pool="replica"}': "0.5x25"}
    assert len(merged([case("MemoryHigh", "fires", MEMORY, "9m", True), case("DiskLow", "x", replica, "9m")])) == 1
    # DiskLow's case carries memory{pool="replica"}, which MemoryHigh's selector does not match: side by side;
    # a case carrying memory{pool="primary"} would be read by MemoryHigh
    clash = {'memory{pool="primary"}': "0.7x25", **DISK}
    assert len(merged([case("MemoryHigh", "fires", MEMORY, "9m", True), case("DiskLow", "fires", clash, "9m")])) == 2


def test_an_alert_that_may_read_anything_stays_alone():
    groups = merged(
        [
            case("AnythingDown", "fires", {'up{job="svc"}': "1x5 0x20"}, "9m", True),
            case("DiskLow", "fires", DISK, "9m", True),
        ]
    )
    assert len(groups) == 2


def test_longest_cases_set_the_span_and_shorter_ones_fit_under_them():
    groups = merged(
        [
            case("CpuHigh", "fires", CPU, "16m", True),
            case("CpuCritical", "fires", CPU_CRITICAL, "9m", True),
            case("MemoryHigh", "fires", MEMORY, "9m", True),
            case("DiskLow", "fires", DISK, "20m", True),
        ]
    )
    # the 20m DiskLow opens the first group and everything not on its series joins it; CpuCritical reads the
    # series CpuHigh's case carries, so it opens a second one
    alerts = [sorted(t["alertname"] for t in g["alert_rule_test"]) for g in groups]
    assert sorted(alerts) == [["CpuCritical"], ["CpuHigh", "DiskLow", "MemoryHigh"]]


def test_queries_merge_by_what_they_read_and_other_spacings_stay_apart():
    def recording(series, expr):
        test = {"expr": expr, "eval_time": "10m", "exp_samples": []}
        return {"name": f"recording {expr}", "interval": "1m", "input_series": series, "promql_expr_test": [test]}

    every_metric = [{"series": key, "values": "1x10"} for key in (*CPU, *MEMORY, *DISK)]
    everything = recording(every_metric, "pool:cpu:avg5m")
    cpu_only = recording([{"series": key, "values": "1x10"} for key in CPU], "pool:cpu:avg5m")
    sparse = {**case("DiskLow", "fires", DISK, "9m", True), "interval": "5m"}
    memory = case("MemoryHigh", "fires", MEMORY, "9m", True)
    groups = merged([everything, memory, sparse])
    assert groups[0] is everything and len(groups) == 3  # it carries the series MemoryHigh reads
    (group,) = merged([cpu_only, memory])  # pool:cpu:avg5m reads cpu only
    assert len(group["promql_expr_test"]) == 1 and len(group["alert_rule_test"]) == 1


def test_a_merged_groups_name_says_each_alert_once_and_gives_every_case_back():
    names = [
        "A: fires (at 2; margin 1; > 1 for 5m)",
        "B: fires (at 3; > 1)",
        "A: too short (at 2; margin 1; > 1 for 5m)",
        "A: safe side (at 1, on the boundary; > 1 for 5m)",
        "C: fires (at 5; > 4)",
        "C: safe side (at 4; > 4)",
        "C: quiet: the first on its safe side",  # not every case ends with the condition: said in each
        "B: too short (at 2.5; > 1)",  # not the values B fires at: said apart
        "recording rules on a dataset",
    ]
    name = merged_name(names)
    assert name == (
        "A (> 1 for 5m): fires and too short (at 2; margin 1) · safe side (at 1, on the boundary)"
        " | B (> 1): fires (at 3) · too short (at 2.5)"
        " | C: fires (at 5; > 4) · safe side (at 4; > 4) · quiet: the first on its safe side"
        " | recording rules on a dataset"
    )
    assert sorted(case_names({"name": name})) == sorted(names)
    assert merged_name(names[:1]) == names[0]  # a group of one case keeps its name
