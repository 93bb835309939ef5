"""The evaluator's interface as the generator uses it, and what it refuses (named, with the column)."""

from __future__ import annotations

import math

import pytest

from monitoring.promql.evaluator import STALE_NAN, Evaluator, QueryError, Series, Unsupported, labels_of


def series(name, values, step=60.0, **labels):
    return Series(labels_of({"__name__": name, **labels}), tuple((k * step, v) for k, v in enumerate(values)))


def test_instant_returns_sorted_samples_and_scalars_as_one_sample():
    ev = Evaluator([series("up", [1.0] * 3, job="b"), series("up", [0.0] * 3, job="a")])
    assert ev.instant("up", 120) == [
        (labels_of({"__name__": "up", "job": "a"}), 0.0),
        (labels_of({"__name__": "up", "job": "b"}), 1.0),
    ]
    assert ev.instant("time() - 60", 120) == [((), 60.0)]


@pytest.mark.parametrize(
    "expr, construct, column",
    [
        ("limitk(2, up)", "limitk", 1),
        ("sum(up) + sort_by_label(up)", "sort_by_label", 11),
        ("up @ -60", "negative @", 4),
        ("mad_over_time(up[5m])", "mad_over_time", 1),
    ],
)
def test_unsupported_names_the_construct_and_its_column(expr, construct, column):
    with pytest.raises(Unsupported) as raised:
        Evaluator([series("up", [1.0] * 3)]).instant(expr, 120)
    assert construct in str(raised.value)
    assert f"column {column}" in str(raised.value)


def test_prometheus_errors_are_query_errors():
    ev = Evaluator([series("a", [1.0], job="x"), series("b", [2.0], job="x")])
    with pytest.raises(QueryError, match="same labelset"):
        ev.instant('-{__name__=~"a|b"}', 0)


def test_lookback_includes_a_sample_exactly_five_minutes_old_and_stale_markers_end_a_series():
    ev = Evaluator([series("m", [1.0, STALE_NAN, 2.0], step=10.0)])
    assert ev.instant("m", 10) == []  # the stale marker is the latest sample
    assert ev.instant("m", 320) == [(labels_of({"__name__": "m"}), 2.0)]  # 300 s after the last sample
    assert ev.instant("m", 321) == []
    assert ev.instant("count_over_time(m[1m])", 30) == [((), 2.0)]  # range selectors skip stale markers


def test_recorded_series_over_a_range_need_the_rule_interval():
    rules = {"job:m:sum": ("sum by (job) (m)", {})}
    data = [series("m", [float(k) for k in range(11)], job="a")]
    with pytest.raises(Unsupported, match="rule interval"):
        Evaluator(data, rules).instant("max_over_time(job:m:sum[5m])", 600)
    ev = Evaluator(data, rules, rule_interval=60.0)
    assert ev.instant("max_over_time(job:m:sum[5m])", 600) == [((("job", "a"),), 10.0)]
    assert ev.instant("job:m:sum offset 2m", 600) == [(labels_of({"__name__": "job:m:sum", "job": "a"}), 8.0)]


def test_new_functions_for_the_generator():
    ramp = series("disk_free", [100.0 - 2 * k for k in range(11)])
    counter = series("restarts_total", [0, 1, 1, 2, 0, 1, 1, 1, 1, 1, 1])
    ev = Evaluator([ramp, counter])
    assert ev.instant("deriv(disk_free[5m])", 600) == [((), -2 / 60)]
    assert ev.instant("predict_linear(disk_free[5m], 600)", 600) == [((), 60.0)]
    assert ev.instant("changes(restarts_total[10m])", 600) == [((), 4.0)]
    assert ev.instant("resets(restarts_total[10m])", 600) == [((), 1.0)]
    assert ev.instant('absent(nothing{job="x"})', 600) == [((("job", "x"),), 1.0)]
    assert ev.instant("absent(disk_free)", 600) == []
    assert ev.instant("absent_over_time(nothing[5m])", 600) == [((), 1.0)]
    assert ev.instant("timestamp(disk_free)", 630) == [((), 600.0)]
    assert math.isclose(ev.instant("time() - timestamp(disk_free)", 630)[0][1], 30.0)
    assert ev.instant("topk(1, disk_free or restarts_total)", 600) == [(labels_of({"__name__": "disk_free"}), 80.0)]


def test_order_dependent_aggregations_are_reported_when_asked():
    values = {"a": 0.1, "b": 0.2, "c": 0.3, "d": 1e16, "e": -1e16}
    data = [series("g", [v], i=i) for i, v in values.items()]
    ev = Evaluator(data, check_order=True)
    ev.instant("sum(g)", 0)
    assert ("sum", ()) in ev.order_dependent  # promtool gives 0, 0.1 or 0.30000000000000004 from run to run
    grid = Evaluator([series("g", [k / 64], i=str(k)) for k in range(5)], check_order=True)
    grid.instant("sum(g)", 0)
    assert grid.order_dependent == set()  # on a binary grid every order gives the same sum
    grid.instant("avg(g)", 0)
    # 2.42's running mean (mean += v/n - mean/n) rounds: some orders give 0.031249999999999997, not 1/32
    assert grid.order_dependent == {("avg", ())}


@pytest.mark.parametrize("expr", ["time() - last_seen", "hour() > 3", "timestamp(up) < 100", "up - up offset 1m"])
def test_stepping_copies_no_step_of_expressions_that_read_absolute_time(expr):
    from monitoring.testgen.stepping import _reads

    assert _reads(expr, {}) is None  # every step is evaluated: no two steps are alike
    assert _reads("rate(up[5m])", {}) is not None
