"""Bad notification policies: a message naming file:line and key, exit code 2, and nothing written."""

import shutil

import pytest
from conftest import ROOT, tree

POLICY = (ROOT / "policies" / "notifications.yaml").read_text()

# case: (text in the default policy, its replacement, expected message, line marker in the new text)
CASES = {
    "unknown receiver": (
        "      receiver: slack-ml-alerts\n",
        "      receiver: slack-mlalerts\n",
        "route.routes[2].receiver: unknown receiver 'slack-mlalerts'",
        "receiver: slack-mlalerts",
    ),
    "unknown receiver in an intent": (
        "receivers: [slack-data-science]",
        "receivers: [slack-datascience]",
        "intents[1].receivers[0]: unknown receiver 'slack-datascience'",
        "receivers: [slack-datascience]",
    ),
    "bad matcher syntax": (
        "matchers: ['team=\"data-science\"']\n      receiver",
        "matchers: ['team=\"data-science']\n      receiver",
        "route.routes[1].matchers[0]: 'team=\"data-science' : the value's closing quote is missing".replace(" :", ":"),
        "matchers: ['team=\"data-science']",
    ),
    "two matchers in one item": (
        "matchers: ['severity=\"warning\"']\n      receiver",
        'matchers: [\'severity="warning",team="x"\']\n      receiver',
        "write one matcher per list item",
        'matchers: [\'severity="warning",team="x"\']',
    ),
    "bad regex": (
        "matchers: ['severity=\"critical\"']\n      receiver",
        "matchers: ['severity=~\"crit(ical\"']\n      receiver",
        "route.routes[0].matchers[0]: 'severity=~\"crit(ical\"': invalid regular expression",
        "matchers: ['severity=~\"crit(ical\"']",
    ),
    "bad duration": (
        "repeat_interval: 1h\n",
        "repeat_interval: 1 hour\n",
        "route.routes[0].repeat_interval: '1 hour' is not valid: a duration such as 30s, 5m or 1h30m",
        "repeat_interval: 1 hour",
    ),
    "zero group_interval": (
        "group_interval: 5m",
        "group_interval: 0s",
        "route.group_interval: '0s' is not valid: a duration above zero",
        "group_interval: 0s",
    ),
    "unknown key": (
        "      repeat_interval: 1h\n",
        "      repeat_intervall: 1h\n",
        "route.routes[0].repeat_intervall: unknown key 'repeat_intervall'",
        "repeat_intervall: 1h",
    ),
    "wrong type": (
        "group_by: [alertname, model_name]",
        "group_by: alertname",
        "route.group_by: 'alertname' is not of type 'array'",
        "group_by: alertname",
    ),
    "duplicate key": (
        "      repeat_interval: 1h\n",
        "      repeat_interval: 1h\n      repeat_interval: 2h\n",
        "route.routes[0].repeat_interval: duplicate key",
        "repeat_interval: 2h",
    ),
    "unknown time interval": (
        "mute_time_intervals: [weekly-maintenance]",
        "mute_time_intervals: [weekend]",
        "route.routes[2].mute_time_intervals[0]: unknown time interval 'weekend'",
        "mute_time_intervals: [weekend]",
    ),
    "catch-all receiver used by a route": (
        "      receiver: slack-data-science\n",
        "      receiver: unrouted\n",
        "route.routes[1].receiver: 'unrouted' is the catch-all receiver",
        "      receiver: unrouted",
    ),
    "inhibition example names no alert": (
        "{source: ModelCompleteFailure, target: ModelAccuracyDegraded}",
        "{source: ModelCompleteFailure, target: ModelAccuracyDegradd}",
        "example names alert 'ModelAccuracyDegradd', which no definition has",
        "target: ModelAccuracyDegradd",
    ),
    "inline PagerDuty routing key": (
        "      - routing_key_file: /etc/alertmanager/secrets/pagerduty-routing-key\n",
        "      - routing_key: 0123456789abcdef0123456789abcdef\n",
        "receivers[0].pagerduty_configs[0].routing_key: holds a literal credential in 'routing_key'",
        "routing_key: 0123",
    ),
    "inline Slack webhook URL": (
        "        api_url_file: /etc/alertmanager/secrets/slack-data-science-webhook-url\n",
        "        api_url: https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXX\n",
        "receivers[2].slack_configs[0].api_url: holds a literal credential in 'api_url'",
        "hooks.slack.com",
    ),
    "Slack webhook URL hidden in a description": (
        "description: The data-science team's channel (prediction drift).",
        "description: The data-science channel, https://hooks.slack.com/services/T0/B0/abcdefghijkl",
        "receivers[2].description: holds a Slack webhook URL",
        "hooks.slack.com",
    ),
    "bearer token": (
        "        api_url_file: /etc/alertmanager/secrets/slack-ml-alerts-webhook-url\n  - name: slack-data-science",
        "        api_url_file: /etc/alertmanager/secrets/slack-ml-alerts-webhook-url\n"
        "        http_config: {authorization: {credentials: s3cr3t-t0ken-value}}\n"
        "  - name: slack-data-science",
        "receivers[1].slack_configs[0].http_config.authorization.credentials: holds a literal credential",
        "credentials: s3cr3t",
    ),
    "password": (
        "        api_url_file: /etc/alertmanager/secrets/slack-ml-alerts-webhook-url\n  - name: slack-data-science",
        "        api_url_file: /etc/alertmanager/secrets/slack-ml-alerts-webhook-url\n"
        "        http_config: {basic_auth: {username: am, password: hunter22}}\n"
        "  - name: slack-data-science",
        "receivers[1].slack_configs[0].http_config.basic_auth.password: holds a literal credential",
        "password: hunter22",
    ),
}


def line_of(text, needle):
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def write_policy(folder, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notifications.yaml").write_text(text)
    return folder


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", ["generate", "check"])
def test_bad_policy(case, command, cli, tmp_path):
    old, new, message, marker = CASES[case]
    assert POLICY.count(old) == 1, "the default policy changed: update this case"
    text = POLICY.replace(old, new)
    policies = write_policy(tmp_path / "policies", text)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous output")
    result = cli([command, "--policies", policies, "--out", out])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert f"{policies}/notifications.yaml:{line_of(text, marker)}: " in result.output
    assert "Traceback" not in result.output
    assert tree(out) == {"keep.txt": b"previous output"}
    if "secret" in case or "inline" in case or case in ("bearer token", "password"):
        secret = marker.split(": ", 1)[-1]
        assert secret not in result.output.replace(f":{line_of(text, marker)}:", ""), "the message echoes the secret"


def test_several_mistakes_are_reported_together(cli, tmp_path):
    """Schema errors are reported together, then (on a schema-valid policy) all reference errors together."""
    text = POLICY.replace("group_wait: 30s", "group_wait: soon").replace("group_interval: 5m", "group_interval: 5")
    policies = write_policy(tmp_path / "policies", text)
    result = cli(["generate", "--policies", policies, "--out", tmp_path / "out"])
    assert result.exit_code == 2
    assert "route.group_wait: 'soon' is not valid" in result.output
    assert "route.group_interval: 5 is not of type 'string'" in result.output
    text = POLICY.replace("receiver: slack-ml-alerts\n", "receiver: nobody\n").replace(
        "['team=\"data-science\"']\n      receiver", "['team~\"data\"']\n      receiver"
    )
    write_policy(policies, text)
    result = cli(["generate", "--policies", policies, "--out", tmp_path / "out"])
    assert result.exit_code == 2
    assert "unknown receiver 'nobody'" in result.output and "is not a matcher" in result.output
    assert not (tmp_path / "out").exists()


def test_secret_in_another_policy_file_is_refused(cli, tmp_path):
    """The guard covers every YAML file of the policies folder, not only notifications.yaml."""
    policies = write_policy(tmp_path / "policies", POLICY)
    (policies / "extra.yaml").write_text("notes:\n  hook: https://hooks.slack.com/services/T1/B1/zzzzzzzzzzzz\n")
    result = cli(["generate", "--policies", policies, "--out", tmp_path / "out"])
    assert result.exit_code == 2
    assert f"{policies}/extra.yaml:2: notes.hook: holds a Slack webhook URL" in result.output
    assert "zzzzzzzzzzzz" not in result.output
    assert not (tmp_path / "out").exists()


def test_missing_policy_with_alerts_is_an_error(cli, tmp_path):
    result = cli(["generate", "--policies", tmp_path / "nowhere", "--out", tmp_path / "out"])
    assert result.exit_code == 2
    assert "no notification policy" in result.output and "notifications.yaml" in result.output
    assert not (tmp_path / "out").exists()


def test_policies_folder_from_environment(cli, tmp_path, monkeypatch):
    policies = write_policy(tmp_path / "policies", POLICY.replace("receiver: slack-ml-alerts\n", "receiver: x\n"))
    monkeypatch.setenv("MONITORING_POLICIES", str(policies))
    result = cli(["generate", "--out", tmp_path / "out"])
    assert result.exit_code == 2 and "unknown receiver 'x'" in result.output


def test_policy_with_own_schema_folder_and_quoting_variants(cli, tmp_path):
    """Unquoted matcher values are accepted (as Alertmanager does) and normalised in the config."""
    policies = write_policy(tmp_path / "policies", POLICY.replace("['severity=\"warning\"']", "[severity=warning]"))
    shutil.copytree(ROOT / "policies" / "schemas", policies / "schemas")
    out = tmp_path / "out"
    assert cli(["generate", "--policies", policies, "--out", out]).exit_code == 0
    default = tmp_path / "default"
    assert cli(["generate", "--out", default]).exit_code == 0
    assert (out / "alertmanager/alertmanager.yml").read_bytes() == (
        default / "alertmanager/alertmanager.yml"
    ).read_bytes()


def test_without_a_policies_folder_routing_is_not_generated_and_the_routing_suite_fails(cli, tmp_path):
    """No --policies and no ./policies: nothing to render routing from; `monitoring test` then says so."""
    from monitoring.render.estate import load
    from monitoring.verify import routing_tests

    out = tmp_path / "out"
    assert cli(["generate", "--out", out], cwd=tmp_path).exit_code == 0
    assert not (out / "alertmanager").exists()
    result = routing_tests.run(load(None), out)
    assert not result.ok and "alertmanager.yml (run `monitoring generate`)" in result.problems[0]
