"""SLOs: windows and factors, the rendered rules, the generated burn-rate tests (real promtool), bad definitions."""

import subprocess
import textwrap

import pytest
import yaml
from conftest import MINIMAL_STACK, assert_refused

from monitoring import COUNTER, GAUGE, HISTOGRAM, SLO, EventRatio, Label, Latency, Metric, Stack, slo_rule_groups
from monitoring.errors import DefinitionError
from monitoring.model.slo import burn_windows
from monitoring.render.promtool_tests import render_rule_tests
from monitoring.testgen.case_names import case_names
from monitoring.testgen.record_query import asserted_record

MODEL = Label("model_name", ("a", "b"))
STATUS = Label("status", ("ok", "error"))
REQUESTS = Metric("svc_requests_total", COUNTER, "Requests.", labels=(MODEL, STATUS))
LATENCY = Metric("svc_latency_seconds", HISTOGRAM, "Latency.", unit="seconds", labels=(MODEL,), buckets=(0.1, 0.2))
LOAD = Metric("svc_load", GAUGE, "Load.", labels=(MODEL,))


def test_30_day_windows_and_factors_are_the_workbooks():
    windows = {w.name: (w.short, w.long, w.factor, w.kind) for w in burn_windows(30 * 86400)}
    assert windows == {
        "page_quick": ("5m", "1h", 14.4, "page"),
        "page_slow": ("30m", "6h", 6.0, "page"),
        "ticket_quick": ("2h", "1d", 3.0, "ticket"),
        "ticket_slow": ("6h", "3d", 1.0, "ticket"),
    }


def test_28_day_factors_follow_the_budget_share_as_sloth_does():
    factors = [w.factor for w in burn_windows(28 * 86400)]
    assert factors == [13.44, 5.6, 2.8, pytest.approx(0.9333333333)]


def test_scaled_windows_shrink_with_the_period():
    windows = burn_windows(7 * 86400, scale=True)
    assert [(w.short, w.long) for w in windows] == [
        ("1m10s", "14m"),
        ("7m", "1h24m"),
        ("28m", "5h36m"),
        ("1h24m", "16h48m"),
    ]
    assert [w.factor for w in windows] == [pytest.approx(f) for f in (14.4, 6, 3, 1)]


def test_rendered_rules_and_alerts():
    slo = SLO("availability", 99.0, EventRatio(REQUESTS, bad={"status": "error"}), by=("model_name",))
    records = [r.record for r in slo.recording_rules()]
    assert "model_name:slo_availability_errors:ratio_rate5m" in records
    assert "model_name:slo_availability:burn_rate3d" in records
    assert slo.error_ratio_rule("1h").text == (
        'sum by (model_name) (rate(svc_requests_total{status="error"}[1h])) / '
        "sum by (model_name) (rate(svc_requests_total[1h]))"
    )
    assert slo.burn_rate_rule("1h").text == "model_name:slo_availability_errors:ratio_rate1h / 0.01"
    page = slo.alert_for("page_quick")
    assert (
        page.expr
        == "(model_name:slo_availability:burn_rate1h > 14.4) and (model_name:slo_availability:burn_rate5m > 14.4)"
    )
    assert page.severity == "critical" and slo.alert_for("ticket_slow").severity == "warning"
    # the dashboard's burn-rate thresholds are the alerts' own levels
    assert [s.value for s in slo.burn_threshold.steps] == [None, 1.0, 3.0, 6.0, 14.4]


def test_latency_sli_reads_the_bucket():
    slo = SLO("latency", 95.0, Latency(LATENCY, under=0.2), by=("model_name",))
    assert slo.error_ratio_rule("5m").text == (
        "(sum by (model_name) (rate(svc_latency_seconds_count[5m])) - "
        'sum by (model_name) (rate(svc_latency_seconds_bucket{le="0.2"}[5m]))) / '
        "sum by (model_name) (rate(svc_latency_seconds_count[5m]))"
    )


def small_stack(for_="0s"):
    # a 7-day period with scaled windows keeps promtool's cases short
    slos = (
        SLO(
            "availability",
            99.0,
            EventRatio(REQUESTS, bad={"status": "error"}),
            by=("model_name",),
            period="7d",
            scale_windows=True,
            for_=for_,
        ),
        SLO("latency", 95.0, Latency(LATENCY, under=0.2), period="7d", scale_windows=True, for_=for_),
    )
    return Stack("svc", metrics=(REQUESTS, LATENCY), groups=slo_rule_groups(slos, "svc", "30s")), slos


def test_generated_burn_rate_cases_pass_promtool(tmp_path):
    stack, slos = small_stack("2m")
    from monitoring.render.prometheus import render_rules

    (tmp_path / "rules.yml").write_text(yaml.safe_dump(render_rules(stack)))
    tests = render_rule_tests(stack, "rules.yml")
    names = [n for t in tests["tests"] for n in case_names(t)]
    for alert in (a for slo in slos for a in slo.alerts()):
        mine = [n for n in names if n.startswith(f"{alert.name}: ")]
        kinds = [n.split(": ", 1)[1].split(" (")[0] for n in mine]
        assert sorted(kinds) == [  # in any order: cases with the same inputs share a group (layout.py)
            "fires",
            "quiet: only the long window burns",
            "quiet: only the short window burns",
            "too short",
        ]
    # exact values for every SLO recording rule
    checked = {asserted_record(t["expr"]) for group in tests["tests"] for t in group.get("promql_expr_test", [])}
    assert checked == {r.record for slo in slos for r in slo.recording_rules()}
    # promtool on the page alerts' cases and the recording rules (the ticket cases run hours of evaluation
    # steps; `monitoring test` runs them all on the A/B stack in `make test`)
    tests["tests"] = [t for t in tests["tests"] if "Ticket" not in t["name"]]
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests))
    from monitoring.verify.tools import find_tool

    run = subprocess.run(
        [find_tool("promtool"), "test", "rules", "tests.yml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_an_slo_by_groups_runs_its_two_quiet_cases_side_by_side():
    """The quiet cases hold hours of steps: with ``by`` groups, the short burn runs on one group and the long one
    on another in one timeline (the rules keep the groups apart), so promtool steps through those hours once.
    Without groups (the latency SLO here) they stay apart, as before."""
    stack, slos = small_stack("2m")
    tests = render_rule_tests(stack, "rules.yml")["tests"]

    def quiet_groups(alert):
        return [t for t in tests if any(n.startswith(f"{alert.name}: quiet") for n in case_names(t))]

    together = []
    for alert in slos[0].alerts():  # availability, by model_name
        groups = quiet_groups(alert)
        if len(groups) == 2:  # the short burn outlasts the long case (TicketQuick here): apart, as before
            continue
        (group,) = groups
        together.append(alert.name)
        names = [n for n in case_names(group) if n.startswith(f"{alert.name}: quiet")]
        assert any(n.startswith(f"{alert.name}: quiet: only the short window burns (on model_name=a; ") for n in names)
        assert any(n.startswith(f"{alert.name}: quiet: only the long window burns (on model_name=b; ") for n in names)
        errors = {s["series"]: s["values"] for s in group["input_series"] if 'status="error"' in s["series"]}
        a, b = (errors[f'svc_requests_total{{model_name="{m}",status="error"}}'] for m in "ab")
        assert a != b  # each group its own burn
    assert together == ["AvailabilitySloPageQuick", "AvailabilitySloPageSlow", "AvailabilitySloTicketSlow"]
    for alert in slos[1].alerts():  # latency, one group
        assert len(quiet_groups(alert)) == 2


def test_promtool_catches_a_wrong_factor(tmp_path):
    """The generated cases fail when the rules say something else: the page alert at 10x instead of 14.4x."""
    stack, _ = small_stack()
    from monitoring.render.prometheus import render_rules

    rules = render_rules(stack)
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("alert", "").endswith("PageQuick"):
                rule["expr"] = rule["expr"].replace("> 14.4", "> 10")
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    tests = render_rule_tests(stack, "rules.yml")
    quick = [t for t in tests["tests"] if any(n.startswith("AvailabilitySloPageQuick: ") for n in case_names(t))]
    tests["tests"] = quick
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests))
    from monitoring.verify.tools import find_tool

    run = subprocess.run(
        [find_tool("promtool"), "test", "rules", "tests.yml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode != 0
    output = run.stdout + run.stderr
    assert "FAILED" in output and "alertname: AvailabilitySloPageQuick," in output


BAD = {
    "objective outside (0, 100)": ("99.0", "100", "objective 100 is outside (0, 100)"),
    "objective 0": ('"availability", 99.0', '"availability", 0', "objective 0 is outside (0, 100)"),
    "a negative objective": ('"availability", 99.0', '"availability", -5', "objective -5 is outside (0, 100)"),
    "an SLI over a gauge": ("EventRatio(REQUESTS,", "EventRatio(LOAD,", "svc_load is a gauge, not a counter"),
    "a latency boundary that is not a bucket": ("under=0.2", "under=0.25", "0.25 is not a bucket boundary"),
    "a period shorter than the longest window": (
        'period="30d"',
        'period="2d"',
        "period 2d is shorter than its longest alert window (3d)",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_slo_definitions(case, definitions, cli, tmp_path):
    old, new, message = BAD[case]
    slo_lines = textwrap.dedent("""\
        AVAIL = SLO("availability", 99.0, EventRatio(REQUESTS, bad={"status": "error"}), period="30d")
        SPEED = SLO("latency", 95.0, Latency(LATENCY, under=0.2))
        STACK = Stack("svc", metrics=(REQUESTS, LATENCY, LOAD), groups=slo_rule_groups((AVAIL, SPEED), "svc"))
    """)
    base = MINIMAL_STACK.replace(
        'REQUESTS = Metric("svc_requests_total", COUNTER, "Requests.", labels=(MODEL,))',
        'REQUESTS = Metric("svc_requests_total", COUNTER, "Requests.", labels=(MODEL, '
        'Label("status", ("ok", "error"))))',
    )
    text = base + slo_lines
    assert old in text
    text = text.replace(old, new, 1)
    folder, _ = definitions(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if new in row)
    assert_refused(cli, folder, tmp_path, message, f"definitions/svc.py:{line}:")


def test_an_alert_that_can_never_fire_is_refused():
    with pytest.raises(DefinitionError, match="can never fire"):
        SLO("latency", 90.0, Latency(LATENCY, under=0.2))  # 14.4 x 10% > 100% of events
