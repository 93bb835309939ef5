"""Histogram buckets inside a run of equal ones left off generated inputs where no rule can tell
(testgen/buckets.py)."""

from __future__ import annotations

import importlib.util

import pytest
from conftest import ROOT

from monitoring import GAUGE, HISTOGRAM, Alert, Label, Metric, RecordingRule, RuleGroup, Stack, raw
from monitoring.definitions import ab_test
from monitoring.model.durations import parse_duration
from monitoring.render.estate import load
from monitoring.render.prometheus import render_rules
from monitoring.render.promtool_tests import render_rule_tests
from monitoring.testgen import buckets
from monitoring.testgen.buckets import drop_indistinct_buckets, quantile_readers
from monitoring.testgen.synth import case_evaluator
from monitoring.verify.mutation import behaviour, queried

ROUTE = Label("route", ("read", "write"))
LATENCY = Metric("svc_latency_seconds", HISTOGRAM, "Latency.", unit="seconds", labels=(ROUTE,), buckets=(0.1, 0.5, 1))
LIMIT = Metric("svc_limit_seconds", GAUGE, "Limit.", unit="seconds")
BUCKET = "svc_latency_seconds_bucket"
P90 = f"histogram_quantile(0.9, sum by (route, le) (rate({BUCKET}[5m])))"


def _stack(expr: str, records=(), description: str = "{{ $value }}") -> Stack:
    alert = Alert("SvcSlow", raw(expr), "5m", "warning", summary="Slow.", description=description)
    groups = (RuleGroup("svc.recording", "30s", tuple(records)),) if records else ()
    return Stack("svc", metrics=(LATENCY, LIMIT), groups=(*groups, RuleGroup("svc.alerts", "30s", (alert,))), team="t")


@pytest.mark.parametrize(
    ("expr", "records", "description", "paths"),
    [
        (f"{P90} > 0.5", (), None, [((("by", frozenset({"route", "le"}))),)]),
        (f"histogram_quantile(0.9, rate({BUCKET}[5m])) > 0.5", (), None, [()]),
        (
            f"histogram_quantile(0.9, sum without (route) (increase({BUCKET}[5m]))) > 0.5",
            (),
            None,
            [(("without", frozenset({"route"})),)],
        ),
        # reads one bucket itself
        (f'sum(rate({BUCKET}{{le="0.5"}}[5m])) / sum(rate(svc_latency_seconds_count[5m])) < 0.9', (), None, None),
        (f'histogram_quantile(0.9, sum by (le) (rate({BUCKET}{{le!="0.1"}}[5m]))) > 0.5', (), None, None),
        # records every bucket's rate: a recorded series per bucket
        (f"{P90} > 0.5", (RecordingRule("le:svc_latency:rate5m", f"sum by (le) (rate({BUCKET}[5m]))"),), None, None),
        # anything but a sum or a per-series rate between quantile and selector
        (f"histogram_quantile(0.9, rate({BUCKET}[5m]) * 2) > 0.5", (), None, None),
        (f"histogram_quantile(0.9, max by (le) (rate({BUCKET}[5m]))) > 0.5", (), None, None),
        (f"histogram_quantile(0.9, rate({BUCKET}[5m] offset 1m)) > 0.5", (), None, [()]),  # a time shift: alike
    ],
)
def test_a_bucket_is_left_off_only_where_every_reader_is_a_quantile(expr, records, description, paths):
    stack = _stack(expr, records, description) if description else _stack(expr, records)
    assert quantile_readers(stack, {BUCKET}).get(BUCKET) == paths


def test_a_template_query_or_a_nameless_selector_keeps_every_bucket():
    assert quantile_readers(_stack(f"{P90} > 0.5"), {BUCKET}) == {BUCKET: [(("by", frozenset({"route", "le"})),)]}
    querying = _stack(f"{P90} > 0.5", description='{{ with query "svc_latency_seconds_bucket" }}{{ . }}{{ end }}')
    assert quantile_readers(querying, {BUCKET}) == {}
    nameless = _stack(f'{P90} > 0.5 and on () count({{__name__=~"svc_.*"}}) > 0')
    assert quantile_readers(nameless, {BUCKET}) == {}


def _series(route: str, counts: dict[str, str]) -> list[dict]:
    return [{"series": f'{BUCKET}{{le="{le}",route="{route}"}}', "values": values} for le, values in counts.items()]


# read: 0.1 = 0.5 = 1 (the observations above 1), write: 0.5 = 1 = +Inf (all under 0.5)
READ = {"0.1": "0+1x9", "0.5": "0+1x9", "1": "0+1x9", "+Inf": "0+5x9"}
WRITE = {"0.1": "0+1x9", "0.5": "0+4x9", "1": "0+4x9", "+Inf": "0+4x9"}


def _kept(expr: str, series: list[dict]) -> list[str]:
    group = {"name": "g", "interval": "1m", "input_series": series, "alert_rule_test": []}
    (pruned,) = drop_indistinct_buckets(_stack(expr), [group])
    return [s["series"] for s in pruned["input_series"]]


def test_each_label_set_loses_its_own_runs_where_the_sum_keeps_them_apart():
    kept = _kept(f"{P90} > 0.5", _series("read", READ) + _series("write", WRITE))
    assert f'{BUCKET}{{le="0.5",route="read"}}' not in kept
    assert f'{BUCKET}{{le="1",route="write"}}' not in kept
    assert len(kept) == 6


def test_where_a_sum_adds_label_sets_together_only_the_runs_they_share_go():
    summed = f"histogram_quantile(0.9, sum by (le) (rate({BUCKET}[5m]))) > 0.5"
    assert len(_kept(summed, _series("read", READ) + _series("write", WRITE))) == 8  # no run in common
    same = _series("read", READ) + _series("write", READ)
    assert [s for s in _kept(summed, same) if 'le="0.5"' in s] == []
    assert len(_kept(summed, same)) == 6


@pytest.mark.parametrize("q", [0.0, 0.1, 0.2, 0.25, 0.5, 0.8, 0.9, 0.99, 1.0])
def test_every_quantile_is_the_same_bit_for_bit(q):
    """Runs at the bottom, in the middle and up to +Inf; the rank on a run's first bucket and past it."""
    counts = {"0.05": "0x9", "0.1": "0+1x9", "0.25": "0+1x9", "0.5": "0+1x9", "1": "0+3x9", "2.5": "0+4x9"}
    series = _series("read", {**counts, "5": "0+4x9", "+Inf": "0+4x9"})
    group = {"name": "g", "interval": "1m", "input_series": series, "alert_rule_test": []}
    (pruned,) = drop_indistinct_buckets(_stack(f"{P90} > 0.5"), [group])
    assert len(pruned["input_series"]) == 6  # 0.25 and 5 gone: inside runs (0.1-0.5, 2.5-+Inf)
    expr = f"histogram_quantile({q}, sum by (route, le) (rate({BUCKET}[5m])))"
    for t in (300.0, 420.0, 540.0):
        whole, sparse = case_evaluator(group, {}).instant(expr, t), case_evaluator(pruned, {}).instant(expr, t)
        assert [(labels, repr(value)) for labels, value in whole] == [(l, repr(v)) for l, v in sparse]


def _rendered(stack: Stack, monkeypatch, keep: bool) -> list[dict]:
    with monkeypatch.context() as patch:
        if keep:
            patch.setattr(buckets, "drop_indistinct_buckets", lambda stack, groups: groups)
        return render_rule_tests(stack, "rules.yml")["tests"]


def _bench_service(folder):
    spec = importlib.util.spec_from_file_location("bench_estate", ROOT / "bench" / "estate.py")
    estate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(estate)
    definitions, _ = estate.write_estate(folder, 1)
    (stack,) = load(definitions)
    return stack


@pytest.mark.parametrize("which", ["ab-test", "bench-service"])
def test_every_rule_behaves_alike_with_and_without_them(which, monkeypatch, tmp_path):
    """Our evaluator, at every evaluation step of every group: the same alerts with the same labels and values,
    the same query results (promtool runs the generated files: `monitoring test`, bench/run.py)."""
    stack = ab_test.STACK if which == "ab-test" else _bench_service(tmp_path / "estate")
    kept, dropped = _rendered(stack, monkeypatch, keep=True), _rendered(stack, monkeypatch, keep=False)
    count = sum(s["series"].count("_bucket{") for g in kept for s in g.get("input_series", []))
    assert sum(s["series"].count("_bucket{") for g in dropped for s in g.get("input_series", [])) < count
    rule_file = render_rules(stack)
    interval = min(parse_duration(g.interval or "1m") for g in stack.groups)
    for before, after in zip(kept, dropped, strict=True):
        for alert in {t["alertname"] for t in before.get("alert_rule_test", [])}:
            assert behaviour(rule_file, alert, before, interval) == behaviour(rule_file, alert, after, interval)
        if before.get("promql_expr_test"):
            assert queried(rule_file, before) == queried(rule_file, after)
