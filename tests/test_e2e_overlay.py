"""The end-to-end timing overlay: same rules and routing, only the clock runs faster."""

import copy

import promql_parser
import pytest
import yaml

from monitoring.definitions.ab_test import STACK
from monitoring.e2e.overlay import (
    alertmanager_overlay,
    credential,
    fast_stack,
    format_duration,
    routing_key,
    scale_ranges,
    settle_seconds,
    signal_windows,
)
from monitoring.errors import DefinitionError
from monitoring.model.rules import parse_duration
from monitoring.render.estate import render_alerting
from monitoring.render.prometheus import render_rules


def windows(expr):
    found = []
    promql_parser.walk(
        promql_parser.parse(expr),
        lambda n: (
            found.append(n.range.total_seconds())
            if isinstance(n, (promql_parser.MatrixSelector, promql_parser.SubqueryExpr))
            else None
        ),
    )
    return found


def test_format_duration():
    assert [format_duration(s) for s in (10, 0.5, 120, 1.25, 0.0001)] == ["10s", "500ms", "2m", "1s250ms", "0s"]


def test_ranges_offsets_and_subqueries_are_scaled_but_strings_are_not():
    expr = (
        'sum by (m) (rate(x{path="/a[5m]"}[5m] offset 1h)) '
        "+ on (m) max_over_time(avg by (m) (y)[30m:1m]) + on (m) sum by (m) (rate(z[1h30m]))"
    )
    scaled = scale_ranges(expr, 60, min_range=0)
    assert 'path="/a[5m]"' in scaled and "offset 1m" in scaled and "[30s:1s]" in scaled
    assert windows(scaled) == [5.0, 30.0, 90.0]


def test_short_windows_are_kept_above_the_minimum():
    assert windows(scale_ranges("rate(x[1m])", 60, min_range=4)) == [4.0]


def test_fast_stack_changes_only_durations():
    slow, fast = render_rules(STACK), render_rules(fast_stack(STACK, 60))
    for slow_group, fast_group in zip(slow["groups"], fast["groups"]):
        assert parse_duration(fast_group["interval"]) == parse_duration(slow_group["interval"]) / 60
        for slow_rule, fast_rule in zip(slow_group["rules"], fast_group["rules"]):
            assert fast_rule.get("labels") == slow_rule.get("labels")
            assert fast_rule.get("annotations") == slow_rule.get("annotations")
            assert [w * 60 for w in windows(fast_rule["expr"])] == [max(w, 240) for w in windows(slow_rule["expr"])]
            if "for" in slow_rule:
                assert parse_duration(fast_rule["for"]) == parse_duration(slow_rule["for"]) / 60
            # Everything but the windows is the same text.
            strip = lambda e: "".join(e.split("[")[i].split("]")[-1] for i in range(e.count("[") + 1))  # noqa: E731
            assert strip(fast_rule["expr"]) == strip(slow_rule["expr"])


def test_settle_time_covers_every_alert():
    fast = fast_stack(STACK, 60)
    settle = settle_seconds(fast)
    for alert in fast.alerts():
        signal = str(getattr(alert.condition, "signal", alert.expr))  # the Watchdog's raw vector(1): none
        assert settle >= parse_duration(alert.for_) + max(signal_windows(signal, fast), default=0)
    # TrafficSplitDeviation reads a window through two recording rules.
    deviation = next(a for a in fast.alerts() if a.name == "TrafficSplitDeviation")
    assert set(signal_windows(str(deviation.condition.signal), fast)) == {5.0}


def test_slow_groups_keep_a_minimum_interval_and_no_for_stays_none():
    fast = fast_stack(STACK, 360, min_interval=1.0)
    assert {g.interval for g in fast.groups} == {"1s"}  # 30s / 360 would be 83ms
    watchdog = next(a for a in fast.alerts() if a.name == "Watchdog")
    assert parse_duration(watchdog.for_) == 0 and watchdog.expr == "vector(1)"


def test_speedup_below_one_is_refused():
    with pytest.raises(DefinitionError, match="speedup"):
        fast_stack(STACK, 0.5)


@pytest.fixture(scope="module")
def generated_config():
    return yaml.safe_load(render_alerting([STACK], None)["alertmanager/alertmanager.yml"])


def test_alertmanager_overlay_redirects_receivers_to_the_sink(generated_config, tmp_path):
    original = copy.deepcopy(generated_config)
    config, secrets = alertmanager_overlay(generated_config, "http://127.0.0.1:9/", tmp_path, 60)
    assert generated_config == original  # the rendered config is not modified
    for receiver in config["receivers"]:
        for slack in receiver.get("slack_configs", []):
            name = slack["api_url_file"].removeprefix(f"{tmp_path}/")
            assert secrets[name] == f"http://127.0.0.1:9/slack/{receiver['name']}"
        for pagerduty in receiver.get("pagerduty_configs", []):
            assert pagerduty["url"] == f"http://127.0.0.1:9/pagerduty/{receiver['name']}"
            assert secrets[pagerduty["routing_key_file"].removeprefix(f"{tmp_path}/")] == routing_key(receiver["name"])
    # Everything else about receivers and inhibitions is unchanged (credential files: the next test).
    strip = {"api_url_file", "routing_key_file", "url", "http_config"}
    assert [
        {
            k: [{f: v for f, v in c.items() if f not in strip} for c in cs] if k.endswith("_configs") else cs
            for k, cs in r.items()
        }
        for r in config["receivers"]
    ] == [
        {
            k: [{f: v for f, v in c.items() if f not in strip} for c in cs] if k.endswith("_configs") else cs
            for k, cs in r.items()
        }
        for r in original["receivers"]
    ]
    assert config.get("inhibit_rules") == original.get("inhibit_rules")


def test_alertmanager_overlay_points_http_config_credential_files_at_test_files(generated_config, tmp_path):
    [heartbeat] = [r for r in generated_config["receivers"] if r["name"] == "heartbeat"]
    production = heartbeat["webhook_configs"][0]["http_config"]["authorization"]["credentials_file"]
    assert production.startswith("/etc/alertmanager/secrets/")
    config, secrets = alertmanager_overlay(generated_config, "http://127.0.0.1:9", tmp_path, 60)
    [heartbeat] = [r for r in config["receivers"] if r["name"] == "heartbeat"]
    webhook = heartbeat["webhook_configs"][0]
    assert webhook["url"] == "http://127.0.0.1:9/webhook/heartbeat"
    path = webhook["http_config"]["authorization"]["credentials_file"]
    assert path.startswith(f"{tmp_path}/") and secrets[path.removeprefix(f"{tmp_path}/")] == credential(
        "heartbeat-webhook-0"
    )
    # every credential file of any http_config, however nested; the sink speaks plain HTTP, so no TLS files
    receiver = {
        "name": "hook",
        "webhook_configs": [
            {
                "url": "https://hook.example.com",
                "http_config": {
                    "basic_auth": {"username": "u", "password_file": "/etc/x/password"},
                    "tls_config": {"ca_file": "/etc/x/ca.pem"},
                },
            }
        ],
    }
    config, secrets = alertmanager_overlay(
        {"route": {"receiver": "hook"}, "receivers": [receiver]}, "http://s", tmp_path, 1
    )
    http_config = config["receivers"][0]["webhook_configs"][0]["http_config"]
    assert http_config == {
        "basic_auth": {"username": "u", "password_file": f"{tmp_path}/hook-webhook-0-basic_auth-password.secret"}
    }
    assert secrets == {"hook-webhook-0-basic_auth-password.secret": credential("hook-webhook-0")}


def test_alertmanager_overlay_scales_timings_and_drops_calendars(generated_config, tmp_path):
    config, _ = alertmanager_overlay(generated_config, "http://sink", tmp_path, 60)
    original = generated_config["route"]
    for key, default in (("group_wait", "30s"), ("group_interval", "5m"), ("repeat_interval", "4h")):
        assert parse_duration(config["route"][key]) == parse_duration(original.get(key, default)) / 60

    def walk(node):
        yield node
        for child in node.get("routes", []):
            yield from walk(child)

    assert not any("mute_time_intervals" in node for node in walk(config["route"]))
    assert [n.get("receiver") for n in walk(config["route"])] == [n.get("receiver") for n in walk(original)]
    kept, _ = alertmanager_overlay(generated_config, "http://sink", tmp_path, 1, drop_time_intervals=False)
    assert [n.get("mute_time_intervals") for n in walk(kept["route"])] == [
        n.get("mute_time_intervals") for n in walk(original)
    ]


def test_unsupported_integrations_are_named(tmp_path):
    config = {"route": {"receiver": "mail"}, "receivers": [{"name": "mail", "email_configs": [{"to": "a@b"}]}]}
    with pytest.raises(DefinitionError, match="receiver 'mail'.*email_configs"):
        alertmanager_overlay(config, "http://sink", tmp_path, 60)
