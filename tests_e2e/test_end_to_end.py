"""The whole chain on real servers: simulator -> Prometheus (generated rules) -> Alertmanager (generated
routing) -> Slack/PagerDuty/webhook payloads at a local sink, and every dashboard query against that Prometheus;
plus meta-monitoring (the Watchdog, the absent-metrics alert) and an SLO's fast burn paging."""

import pytest

from monitoring.e2e import dashboards as dash
from monitoring.e2e.overlay import credential
from monitoring.e2e.run import ALWAYS, STOPPED
from monitoring.render.grafana import render_dashboards
from monitoring.runtime.simulator import FAULTS, STACK


def _queries():
    found = []
    for dashboard in render_dashboards(STACK).values():
        found += [(q.dashboard, q.name, None) for q in dash.variable_queries(dashboard)]
        found += [(q.dashboard, q.panel, q.ref_id) for q in dash.panel_queries(dashboard)]
    return found


def test_every_rule_loads_and_evaluates(e2e):
    run, report = e2e
    names = [r.get("record") or r["alert"] for g in run.rules["groups"] for r in g["rules"]]
    assert sorted(report.rule_health) == sorted(names)
    assert {name: health for name, health in report.rule_health.items() if health != "ok"} == {}


def test_healthy_traffic_fires_nothing_but_the_watchdog(e2e):
    _, report = e2e
    assert [t for t in report.timeouts if "first scrape" in t] == []
    assert report.healthy_alerts == set(), "alerts pending or firing under healthy traffic"
    assert [str(n) for n in report.healthy_notices] == []


@pytest.mark.parametrize("dashboard, panel, ref", _queries(), ids=lambda v: str(v))
def test_dashboard_query_returns_data(e2e, dashboard, panel, ref):
    _, report = e2e
    [result] = [
        r
        for r in report.queries
        if r.query.dashboard == dashboard
        and (
            (ref is None and getattr(r.query, "name", None) == panel)
            or (ref is not None and getattr(r.query, "panel", None) == panel and r.query.ref_id == ref)
        )
    ]
    assert result.series > 0, f"no data for {result.resolved}"


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_notifies_the_expected_receivers_with_labels_and_links(e2e, fault):
    _, report = e2e
    results = report.for_fault(fault)
    assert results, f"{fault} expects no alert at all"
    for result in results:
        assert result.firing_after is not None, f"{result.expected} never fired in Prometheus"
        assert set(result.notified_after) == set(result.expected.receivers), (
            f"{result.expected}: expected at {result.expected.receivers}, notified at {sorted(result.notified_after)}"
        )
        assert result.problems == []
    assert [t for t in report.timeouts if fault in t] == []


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_switching_the_fault_off_sends_a_resolve_notification(e2e, fault):
    _, report = e2e
    for result in report.for_fault(fault):
        assert set(result.resolved_after) == set(result.expected.receivers), (
            f"{result.expected}: resolved at {sorted(result.resolved_after)} of {result.expected.receivers}"
        )


def test_nothing_else_arrives(e2e):
    _, report = e2e
    assert [f"{wave}: {notice} {notice.problem}" for wave, notice in report.unexpected] == []
    assert [f"{wave}: {alert}" for wave, alert in report.unexpected_firing] == []


def test_every_alert_is_delivered_by_some_fault_or_meta_proof(e2e):
    _, report = e2e
    delivered = {r.expected.alertname for r in report.alerts if r.notified_after}
    assert delivered == {a.name for a in STACK.alerts()}


def test_the_watchdog_fires_all_along_and_reaches_only_the_heartbeat_webhook(e2e):
    _, report = e2e
    [watchdog] = report.for_fault(ALWAYS)
    assert watchdog.expected.alertname == "Watchdog" and watchdog.expected.receivers == ("heartbeat",)
    assert watchdog.firing_after is not None, "the Watchdog never fired in Prometheus"
    assert set(watchdog.notified_after) == {"heartbeat"} and watchdog.problems == []
    notices = report.always_notices
    # re-sent all run long (repeat_interval 1m, i.e. 1 s here): the heartbeat service sees a steady stream
    assert len(notices) >= 2
    assert {(n.alertname, n.receiver, n.integration, n.status) for n in notices} == {
        ("Watchdog", "heartbeat", "webhook", "firing")
    }
    # the token came from the file http_config.authorization.credentials_file names (type Bearer by default)
    assert {n.authorization for n in notices} == {f"Bearer {credential('heartbeat-webhook-0')}"}


def test_the_absent_alert_pages_once_the_simulator_stops(e2e):
    _, report = e2e
    results = report.for_fault(STOPPED)
    assert [r.expected.alertname for r in results] == ["ABTestMetricsAbsent"]
    for result in results:
        assert result.firing_after is not None, f"{result.expected} never fired in Prometheus"
        assert set(result.notified_after) == set(result.expected.receivers) == {"pagerduty-oncall"}
        assert result.problems == []  # severity critical, runbook and dashboard links, routing key
    assert [t for t in report.timeouts if STOPPED[1:-1] in t] == []
    # nothing else fired or arrived once the series were gone (checked with every wave's)
    assert [a for wave, a in report.unexpected_firing if wave == STOPPED] == []


def test_a_fast_burn_pages_through_pagerduty(burn):
    _, report = burn
    assert report.predicted_burn > report.factor == 14.4
    assert report.healthy_alerts == set() and report.healthy_notices == [], "healthy traffic burned the budget"
    assert report.firing_after is not None, f"{report.expected} never fired in Prometheus"
    assert report.expected.receivers == ("pagerduty-oncall",)
    assert set(report.notified_after) == {"pagerduty-oncall"}, report.timeouts
    assert report.problems == []  # severity critical, runbook and dashboard links, routing key
    assert [f"{n} {n.problem}" for n in report.unexpected] == []
    assert report.timeouts == []


def test_inhibited_alerts_fire_in_prometheus_but_are_not_delivered(e2e):
    _, report = e2e
    inhibited = [r for r in report.alerts if r.expected.inhibited_by]
    assert inhibited, "the policy's inhibition (critical mutes warning of the same model) is never exercised"
    for result in inhibited:
        assert result.firing_after is not None and result.notified_after == {}
