"""The mutation check (monitoring/verify/mutation.py) on the A/B stack's generated rules and tests, with promtool."""

import pytest

from monitoring.verify.mutation import check, kill_rate, mutants
from monitoring.verify.tools import find_tool

CONFIDENCE = "model_name:ab_test_model_confidence:avg5m"


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    from click.testing import CliRunner

    from monitoring.cli.main import main

    out = tmp_path_factory.mktemp("mutation") / "out"
    result = CliRunner().invoke(main, ["generate", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rules, tests = out / "prometheus/rules/ab-test.rules.yml", out / "prometheus/tests/ab-test.test.yml"
    return check(rules, tests, find_tool("promtool"))


def test_every_kind_of_mutation_is_made_for_every_alert(outcomes):
    kinds = {}
    for outcome in outcomes:
        what = outcome.mutant.what
        kind = "recording " if what.startswith("in ") else ""
        kind += next(k for k in ("comparator", "threshold", "for", "matcher", "by (") if k in what)
        kinds.setdefault(outcome.mutant.alert, set()).add(kind)
    # 7 alerts on signals and ABTestMetricsAbsent (absent(): a `for` and a matcher); the Watchdog (vector(1), for 0s)
    # offers nothing to mutate
    assert len(kinds) == 8 and "Watchdog" not in kinds
    assert kinds.pop("ABTestMetricsAbsent") == {"for", "matcher"}
    for alert, made in kinds.items():
        assert {"comparator", "threshold", "for"} <= made, alert
    made = set().union(*kinds.values())
    assert {"by (", "recording matcher", "recording by ("} <= made  # A/B alerts select through recording rules


def test_promtool_never_kills_a_mutant_our_evaluator_calls_equivalent_on_the_inputs(outcomes):
    """A kill the evaluator cannot explain would mean the two disagree about what the inputs show."""
    unexplained = [(o.mutant.alert, o.mutant.what) for o in outcomes if o.killed and o.changes_behaviour is False]
    assert unexplained == []
    assert all(o.changes_behaviour is not None for o in outcomes)  # the evaluator judges every mutant


def test_flipped_comparators_and_halved_for_are_always_killed(outcomes):
    """What the "fires" and "too short" cases exist for: a flipped comparator never fires where it must, a
    halved ``for`` fires too early."""
    designed = [o for o in outcomes if "comparator > -> <" in o.mutant.what or "comparator < -> >" in o.mutant.what]
    designed += [o for o in outcomes if "for halved" in o.mutant.what]
    assert len(designed) == 15  # 7 flipped comparators, 8 halved `for`s (ABTestMetricsAbsent's too)
    assert [(o.mutant.alert, o.mutant.what) for o in designed if not o.killed] == []
    killed, counted = kill_rate(outcomes)
    assert 0 < killed <= counted < len(outcomes)


def test_mutants_change_only_what_they_say():
    rules = {
        "groups": [
            {
                "name": "g",
                "rules": [
                    {"record": "job:x:rate5m", "expr": 'sum by (job) (rate(x_total{code="500"}[5m]))'},
                    {"alert": "A", "expr": "job:x:rate5m > 10", "for": "4m", "labels": {"severity": "page"}},
                ],
            }
        ]
    }
    made = {m.what: m.rules["groups"][0]["rules"] for m in mutants(rules, {"job", "code", "instance"})}
    assert made["comparator > -> <"][1]["expr"] == "job:x:rate5m < 10"
    assert made["comparator > -> >="][1]["expr"] == "job:x:rate5m >= 10"
    assert made["threshold 10 -> 11"][1]["expr"] == "job:x:rate5m > 11"
    assert made["threshold 10 -> 9"][1]["expr"] == "job:x:rate5m > 9"
    assert made["for halved: 4m -> 2m"][1]["for"] == "2m" and made["for doubled: 4m -> 8m"][1]["for"] == "8m"
    assert made['in job:x:rate5m: matcher code="500" dropped'][0]["expr"] == "sum by (job) (rate(x_total[5m]))"
    assert made["in job:x:rate5m: by (job) -> by (code)"][0]["expr"] == 'sum by (code) (rate(x_total{code="500"}[5m]))'
    assert rules["groups"][0]["rules"][0]["expr"] == 'sum by (job) (rate(x_total{code="500"}[5m]))'  # a copy each
    assert len(made) == 8


def test_every_recording_rule_is_mutated_and_its_promql_expr_tests_catch_it_wherever_they_are(tmp_path):
    """The recording rules' assertions may sit in alert groups (monitoring/testgen/fold.py): a mutant of any
    recording rule is run against every promql_expr_test, and promtool never kills one our evaluator calls
    equivalent on the inputs."""
    from click.testing import CliRunner

    from monitoring.cli.main import main
    from monitoring.verify.mutation import check_recording

    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["generate", "--out", str(out)]).exit_code == 0
    rules, tests = out / "prometheus/rules/ab-test.rules.yml", out / "prometheus/tests/ab-test.test.yml"
    outcomes = check_recording(rules, tests, find_tool("promtool"))
    kinds = {(o.mutant.record, o.mutant.what.split(": ", 1)[1].split(" ")[0]) for o in outcomes}
    assert ("model_name:ab_test_requests_errors:rate5m", "matcher") in kinds
    assert ("model_name:ab_test_model_confidence:avg5m", "by") in kinds
    assert ("model_name:ab_test_model_confidence:avg5m", "window") in kinds
    assert all(o.changes_behaviour is not None for o in outcomes)
    assert [o.mutant.what for o in outcomes if o.killed != o.changes_behaviour] == []
    # a doubled window reaches back into the healthy phase of the group hosting the rule: its value changes
    doubled = next(o for o in outcomes if o.mutant.what == f"{CONFIDENCE}: window [5m] doubled: [10m]")
    assert doubled.killed
