"""A safe-side case beside its fires case on another label value (monitoring/testgen/beside.py)."""

from __future__ import annotations

import yaml

from monitoring.testgen.beside import Membership, SafeSide, keeps_apart, moves
from monitoring.testgen.case_names import case_names

RECORDS = {
    "pool:cpu:avg5m": ("avg by (pool) (avg_over_time(cpu[5m]))", {}),
    "cpu:max": ("max(cpu)", {}),
    "pool:cpu:relabelled": ('label_replace(cpu, "pool", "x", "pool", ".*")', {}),
}


def test_a_label_is_kept_apart_only_where_nothing_mixes_its_values():
    kept = (
        "max by (pool) (cpu) > 0.9",
        "avg without (instance) (cpu) > 0.9",
        "pool:cpu:avg5m > 0.8",
        "rate(cpu[5m]) / ignoring (le) rate(cpu_total[5m]) > 1",
        "histogram_quantile(0.99, sum by (pool, le) (rate(lat_bucket[5m]))) > 1",
    )
    mixed = (
        "max(cpu) > 0.9",  # aggregated away: the safe side's series would be hidden behind the fires case's
        "avg without (pool) (cpu) > 0.9",
        'cpu{pool="primary"} > 0.9',  # a moved value would not match alike
        "cpu / on (job) group_left cpu_limit > 0.9",
        "cpu > scalar(cpu_limit)",
        "cpu:max > 0.9",  # through a recording rule
        "pool:cpu:relabelled > 0.9",
    )
    assert all(keeps_apart(expr, "pool", RECORDS) for expr in kept)
    assert not any(keeps_apart(expr, "pool", RECORDS) for expr in mixed)


def test_the_driven_series_move_to_a_value_the_healthy_series_carry():
    healthy = {'cpu{job="a",pool="primary"}': 1, 'cpu{job="a",pool="replica"}': 1}
    moved, renamed = moves(['cpu{job="a",pool="primary"}'], healthy)
    assert moved == {"pool": "replica"}
    assert renamed == {'cpu{job="a",pool="primary"}': 'cpu{job="a",pool="replica"}'}
    assert moves(['cpu{job="a",pool="primary"}'], {'cpu{job="a",pool="primary"}': 1}) is None  # nowhere to go


def test_a_just_inside_safe_side_settles_through_a_wobble_in_the_last_digits_but_not_on_the_boundary():
    class Run:  # what SafeSide reads of a combined run: the signal's values at each step
        def __init__(self, values):
            self.values = {"q": dict(enumerate(values))}

    series = (("endpoint", "write"),)
    wobble = [{series: 0.6}, {series: 0.5076923076923062}, {series: 0.5076923076923072}, {series: 0.5076923076923062}]
    # `rate` extrapolates differently between the minute samples: an ulp's wobble, no change a mutant can tell
    assert SafeSide(Run(wobble), Membership({"endpoint": "write"}), "q").settled(exact=False) == 1
    # exactly on the boundary a `>=` mutant must hold at every step: only the last step counts as settled
    assert SafeSide(Run(wobble), Membership({"endpoint": "write"}), "q").settled(exact=True) == 3
    moved = [{series: 0.6}, {series: 0.5077}, {series: 0.5076923076923062}]
    assert SafeSide(Run(moved), Membership({"endpoint": "write"}), "q").settled(exact=False) == 2


def test_ab_stack_safe_sides_run_beside_fires_only_where_the_signal_keeps_models_apart(cli, tmp_path):
    out = tmp_path / "gen"
    assert cli(["generate", "--out", out]).exit_code == 0
    groups = yaml.safe_load((out / "prometheus/tests/ab-test.test.yml").read_text())["tests"]
    names = {name: group for group in groups for name in case_names(group)}

    def group_of(prefix):
        return next(group for name, group in names.items() if name.startswith(prefix))

    # by model_name: one group, the safe side on the model the fires case keeps healthy
    confidence = group_of("ModelConfidenceLow: safe side")
    assert any(n.startswith("ModelConfidenceLow: fires") for n in case_names(confidence))
    assert "on model_name=" in next(n for n in case_names(confidence) if n.startswith("ModelConfidenceLow: safe"))
    # max() with no `by`: the safe side alone, as before
    drift = group_of("PredictionDriftHigh: safe side")
    assert not any(n.startswith("PredictionDriftHigh: fires") for n in case_names(drift))


def _generated_with_a_warning_at(level: float, definitions, cli, tmp_path) -> dict:
    """The minimal stack's test file, generated with a warning SvcBusy at ``level`` beside its critical
    SvcOverloaded at 0.8 on the same gauge (into tmp_path/out)."""
    from conftest import MINIMAL_STACK

    text = MINIMAL_STACK.replace(
        'Step(0.8, "red", "overloaded")', f'Step({level}, "yellow", "busy"), Step(0.8, "red", "overloaded")'
    ).replace(
        "    )),), team=",
        '        Alert("SvcBusy", above(f"max by (model_name) ({LOAD})", LOAD_T["busy"]), "5m", "info",\n'
        '              summary="Svc is busy.", description="Load is {{ $value }}.", panel=LOAD_PANEL),\n'
        "    )),), team=",
    )
    assert '"SvcBusy"' in text
    folder, _ = definitions(text)
    out = tmp_path / "out"
    result = cli(["generate", "--definitions", folder, "--out", out], cwd=tmp_path)
    assert result.exit_code == 0, result.output
    return yaml.safe_load((out / "prometheus/tests/svc.test.yml").read_text())


def test_a_critical_alerts_healthy_phase_is_healthy_for_its_warning_sibling_too(definitions, cli, tmp_path):
    """Quiet healthy values (testgen.drivers._quietest): promtool expands every pending or firing alert's
    annotations at every step, so a critical case must not keep the warning on the same gauge firing."""
    groups = _generated_with_a_warning_at(0.3, definitions, cli, tmp_path)["tests"]
    critical = next(g for g in groups if any(n.startswith("SvcOverloaded: fires") for n in case_names(g)))
    first_values = [float(s["values"].split("x")[0]) for s in critical["input_series"] if "svc_load" in s["series"]]
    # the safe side sits on the critical's boundary from its first sample (beside.SafeSide); the others are healthy
    healthy = [value for value in first_values if value != 0.8]
    assert len(healthy) < len(first_values) and max(healthy) < 0.3  # below the warning's 0.3, not the critical's


def test_a_warnings_fires_value_stays_short_of_its_critical_siblings_threshold(definitions, cli, tmp_path):
    """drivers._short_of: the usual fires value of a warning at 0.7 (23% past: 0.861) lies past the critical's
    0.8, so the critical would be pending or firing through the warning's case, unasserted, for promtool to
    expand at every step; the warning's case aims short of it instead."""
    from monitoring.model.durations import parse_duration
    from monitoring.testgen.stepping import evaluation_times
    from monitoring.testgen.synth import case_evaluator

    groups = _generated_with_a_warning_at(0.7, definitions, cli, tmp_path)["tests"]
    busy = next(g for g in groups if any(n.startswith("SvcBusy: fires") for n in case_names(g)))
    name = next(n for n in case_names(busy) if n.startswith("SvcBusy: fires ("))
    assert 0.7 < float(name.split("(at ")[1].split(";")[0]) < 0.8 - 0.02 * 0.8, name
    rule_file = yaml.safe_load((tmp_path / "out/prometheus/rules/svc.rules.yml").read_text())
    overloaded = next(r["expr"] for g in rule_file["groups"] for r in g["rules"] if r.get("alert") == "SvcOverloaded")
    evaluator = case_evaluator(busy, {})
    # from SvcBusy's onset (its first assertion, "too short", comes before its 5m `for` is up) to its last
    # assertion: the critical's own cases may run in the same group, before or after (testgen.chain)
    times = [parse_duration(t["eval_time"]) for t in busy["alert_rule_test"] if t["alertname"] == "SvcBusy"]
    onset, end = min(times) - 300, max(times)
    during = [t for t in evaluation_times(30.0, end) if t >= onset]
    assert during and all(not evaluator.instant(overloaded, t) for t in during)  # not even pending
