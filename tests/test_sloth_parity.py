"""Same answers as Sloth: Sloth's getting-started spec in our API, and our alerts against the rules `sloth generate`
wrote for it (tests/fixtures/sloth/, Apache-2.0, see NOTICE there), step by step with our evaluator.
ci_checks/test_sloth_corpus.py runs the same comparison over all four specs of ../shared."""

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from monitoring import SLO, EventQueries, Stack, slo_rule_groups
from monitoring.adopt.sloth import read_generated, slos_from_spec
from monitoring.adopt.sloth_compare import compare, counters
from monitoring.errors import DefinitionError
from monitoring.render.promtool_tests import render_rule_tests

FIXTURES = Path(__file__).parent / "fixtures" / "sloth"
SLOTH_ID = "myservice-requests-availability"
COUNT = "http_request_duration_seconds_count"

# The spec by hand: the SLI is Sloth's two queries; `{window}` is where Sloth writes `{{.window}}`.
AVAILABILITY = SLO(
    "requests_availability",
    99.9,
    EventQueries(
        errors='sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{window}]))',
        total='sum(rate(http_request_duration_seconds_count{job="myservice"}[{window}]))',
    ),
    alert_name="MyServiceHighErrorRate",
    page="pageteam",
    ticket="slack",
    description="Common SLO based on availability for HTTP request responses.",
)

# failures (5xx and 429), successes, and another job's requests that neither query may read
INPUTS = counters(
    ({"__name__": COUNT, "job": "myservice", "code": "503"}, 0, 0.5),
    ({"__name__": COUNT, "job": "myservice", "code": "429"}, 0, 0.5),
    ({"__name__": COUNT, "job": "myservice", "code": "200"}, 1, -1),
    ({"__name__": COUNT, "job": "other", "code": "500"}, 1, 0),
)


def sloth_rules():
    return read_generated(yaml.safe_load((FIXTURES / "_gen-getting-started.yml").read_text()))[SLOTH_ID]


def test_the_spec_reads_as_our_api():
    spec = yaml.safe_load((FIXTURES / "getting-started.yml").read_text())
    assert slos_from_spec(spec) == {SLOTH_ID: AVAILABILITY}
    assert AVAILABILITY.error_ratio_rule("5m").text == (
        '(sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[5m]))) / '
        '(sum(rate(http_request_duration_seconds_count{job="myservice"}[5m])))'
    )


def test_windows_and_factors_are_sloths():
    sloth = sloth_rules()
    theirs = {(p.severity, p.short, p.long): p.factor for p in sloth.pairs}
    ours = {(w.kind, w.short, w.long): w.factor for w in AVAILABILITY.windows}
    assert ours == theirs
    # the one numeric difference: Sloth's budget is (100 - 99.9) / 100 in floats, 5.7e-14 below ours (0.001)
    assert {p.error_budget for p in sloth.pairs} == {(100 - 99.9) / 100}
    assert AVAILABILITY.error_budget == 0.001


def test_alerts_fire_and_resolve_at_sloths_steps():
    result = compare(AVAILABILITY, sloth_rules(), INPUTS)
    print(result.summary())
    assert not result.differences
    assert [a.what for a in result.agreements] == [
        "page 5m/1h",
        "page 30m/6h",
        "page (either pair)",
        "ticket 2h/1d",
        "ticket 6h/3d",
        "ticket (either pair)",
    ]
    for agreement in result.agreements:
        assert agreement.steps in (560, 1536)  # 9h20m of 1m steps, 5d8h of 5m steps
        assert agreement.firing and agreement.changes >= 2, f"{agreement.what} never fired and resolved"
        # Where they differ, a window burns at exactly the factor and Sloth's slightly smaller budget tips it.
        others = agreement.steps - agreement.agreeing
        assert agreement.at_factor == agreement.sloth_only == others, agreement
        assert others <= 2


def test_another_factor_fires_at_other_steps():
    """The comparison sees a difference in factors: a 28-day period (13.44x, 5.6x) against Sloth's 30 days."""
    sloth = sloth_rules()
    page_only = replace(sloth, alerts={"page": sloth.alerts["page"]})
    result = compare(replace(AVAILABILITY, period="28d"), page_only, INPUTS)
    assert [(w[3], w[4]) for w in result.windows if w[0] == "page"] == [(13.44, 14.4), (5.6, 6.0)]
    wrong = [a for a in result.agreements if a.agreeing < a.steps]
    assert wrong and any(a.steps - a.agreeing > a.at_factor for a in wrong)


def test_event_queries_need_the_window_placeholder():
    with pytest.raises(DefinitionError, match="the total query must read a range of"):
        EventQueries(errors="sum(rate(x_total[{window}]))", total="sum(rate(x_total[5m]))")


def test_event_queries_group_in_their_own_queries():
    with pytest.raises(DefinitionError, match="cannot group free-form EventQueries"):
        replace(AVAILABILITY, by=("job",))


def test_the_test_generator_refuses_event_queries_clearly():
    stack = Stack("svc", metrics=(), groups=slo_rule_groups((AVAILABILITY,), "svc"))
    with pytest.raises(DefinitionError, match="inputs the test generator cannot synthesise"):
        render_rule_tests(stack, "rules.yml")
