"""The stand-in job and instance labels left off generated inputs where no rule can tell (testgen/target_labels.py)."""

from __future__ import annotations

import pytest

from monitoring import GAUGE, Alert, Label, Metric, RecordingRule, RuleGroup, Stack, Step, Threshold, above
from monitoring.definitions import ab_test, ab_test_slo
from monitoring.model.durations import parse_duration
from monitoring.render.prometheus import render_rules
from monitoring.render.promtool_tests import render_rule_tests
from monitoring.testgen import target_labels
from monitoring.testgen.target_labels import drop_unread_target_labels, unread_target_labels
from monitoring.verify.mutation import behaviour, queried

POOL = Label("pool", ("primary", "replica"))
SATURATION = Metric("svc_saturation_ratio", GAUGE, "Saturation.", labels=(POOL,), min=0, max=1)
LIMIT = Metric("svc_limit_ratio", GAUGE, "Limit.", labels=(POOL,), min=0, max=1)
PER_POOL = RecordingRule("pool:svc_saturation_ratio:max", f"max by (pool) ({SATURATION})")
BAD = Threshold("saturation", steps=(Step(None, "green", "ok"), Step(0.75, "red", "bad")))["bad"]


def _stack(signal: str, description: str = "{{ $labels.pool }} at {{ $value }}", labels=()) -> Stack:
    condition = above(signal, BAD)
    alert = Alert("SvcSaturated", condition, "5m", "warning", summary="Ok.", description=description, labels=labels)
    return Stack(
        "svc",
        metrics=(SATURATION, LIMIT),
        groups=(RuleGroup("svc.recording", "30s", (PER_POOL,)), RuleGroup("svc.alerts", "30s", (alert,))),
        team="team",
    )


BOTH, JOB, INSTANCE, NEITHER = frozenset({"job", "instance"}), {"job"}, {"instance"}, frozenset()


@pytest.mark.parametrize(
    ("signal", "description", "unread"),
    [
        (f"max by (pool) ({SATURATION})", None, BOTH),
        (f"{PER_POOL} / {PER_POOL}", None, BOTH),  # both sides without them: matching is the same
        (f"{SATURATION} / on (pool) group_left max by (pool) ({LIMIT})", None, NEITHER),  # carried into the alert
        (f"max by (pool) ({SATURATION} / on (pool) group_left max by (pool) ({LIMIT}))", None, BOTH),
        (f"max by (pool, instance) ({SATURATION})", None, JOB),  # read, and so carried
        (f'max by (pool) ({SATURATION}{{job="svc"}})', None, INSTANCE),  # a matcher reads it
        (f"max by (pool) ({SATURATION})", "{{ $labels.job }} {{ $labels.pool }}", INSTANCE),
        (f"max by (pool) ({SATURATION})", "{{ range $k, $v := $labels }}{{ $k }}{{ end }}", NEITHER),
        (f"max by (pool) ({SATURATION})", '{{ with query "up" }}{{ . }}{{ end }}', NEITHER),
        (f"sum without (pool) ({SATURATION})", None, NEITHER),  # kept into the result
        # a raw series against an aggregate matches nothing with them, and would match without them
        (f"max by (pool) ({SATURATION} and {PER_POOL})", None, NEITHER),
        (f"max by (pool) ({SATURATION} / ignoring (pool) group_left max({LIMIT}))", None, NEITHER),
        (f"max by (pool) (topk(1, {SATURATION}))", None, NEITHER),  # a tie is broken by the label sets' order
        ('max by (pool) ({__name__=~"svc_saturation_.*"})', None, NEITHER),  # a selector not followed
    ],
)
def test_a_target_label_is_left_off_only_where_no_rule_can_tell(signal, description, unread):
    stack = _stack(signal, description) if description else _stack(signal)
    assert unread_target_labels(stack) == unread


def test_a_label_the_rule_sets_itself_is_kept_on_the_inputs_too():
    assert unread_target_labels(_stack(f"max by (pool) ({SATURATION})", labels={"job": "batch"})) == INSTANCE


def _group(*keys: str) -> dict:
    return {"name": "g", "input_series": [{"series": key, "values": "1x3"} for key in keys], "alert_rule_test": []}


def test_a_label_of_several_values_is_kept_so_no_two_series_become_one():
    stack = _stack(f"max by (pool) ({SATURATION})")
    copies = _group(
        'svc_saturation_ratio{instance="app:8080",job="svc"}',
        'svc_saturation_ratio{instance="b",job="svc"}',
    )
    (kept,) = drop_unread_target_labels(stack, [copies])
    assert [s["series"] for s in kept["input_series"]] == [
        'svc_saturation_ratio{instance="app:8080"}',
        'svc_saturation_ratio{instance="b"}',
    ]
    lacking = _group('svc_saturation_ratio{instance="app:8080",job="svc"}', 'svc_saturation_ratio{job="svc"}')
    (kept,) = drop_unread_target_labels(stack, [lacking])
    assert [s["series"] for s in kept["input_series"]] == [
        'svc_saturation_ratio{instance="app:8080"}',
        "svc_saturation_ratio{}",
    ]


def _rendered(stack: Stack, monkeypatch, keep: bool) -> list[dict]:
    with monkeypatch.context() as patch:
        if keep:
            patch.setattr(target_labels, "drop_unread_target_labels", lambda stack, groups: groups)
        return render_rule_tests(stack, "rules.yml")["tests"]


@pytest.mark.parametrize("stack", [ab_test.STACK, ab_test_slo.STACK], ids=["ab-test", "ab-test-slo"])
def test_every_rule_behaves_alike_with_and_without_them(stack, monkeypatch):
    """Our evaluator, at every evaluation step of every group: the same alerts with the same labels and values,
    the same query results (promtool runs the generated files of both stacks: `monitoring test`)."""
    kept, dropped = _rendered(stack, monkeypatch, keep=True), _rendered(stack, monkeypatch, keep=False)
    assert [g["name"] for g in kept] == [g["name"] for g in dropped]
    assert sum(s["series"].count("instance=") for g in dropped for s in g.get("input_series", [])) == 0
    rule_file = render_rules(stack)
    interval = min(parse_duration(g.interval or "1m") for g in stack.groups)
    for before, after in zip(kept, dropped):
        assert before.get("input_series") != after.get("input_series") or not before.get("input_series")
        for alert in {t["alertname"] for t in before.get("alert_rule_test", [])}:
            assert behaviour(rule_file, alert, before, interval) == behaviour(rule_file, alert, after, interval)
        if before.get("promql_expr_test"):
            assert queried(rule_file, before) == queried(rule_file, after)


def test_without_the_checks_a_raw_series_against_an_aggregate_would_start_matching():
    """Why presence on both sides of a matching is checked: the same inputs without the labels fire."""
    stack = _stack(f"max by (pool) ({SATURATION} and {PER_POOL})")
    rule_file = render_rules(stack)
    group = {
        "interval": "1m",
        "input_series": [
            {"series": 'svc_saturation_ratio{instance="app:8080",job="svc",pool="primary"}', "values": "0.9x9"}
        ],
        "alert_rule_test": [{"alertname": "SvcSaturated", "eval_time": "9m", "exp_alerts": []}],
    }
    forced = target_labels._without(group, {"job", "instance"})
    assert not any(firing for _, firing in behaviour(rule_file, "SvcSaturated", group, 30.0))
    assert any(firing for _, firing in behaviour(rule_file, "SvcSaturated", forced, 30.0))
