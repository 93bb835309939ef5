"""Secrets guard: literal credentials are found by key and by shape, named by file:line and key, never echoed."""

import pytest

from monitoring.pipeline.secrets import scan_bytes

WEBHOOK = "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/cccccccccccccccccccccccc"


@pytest.mark.parametrize(
    "name, text, key, what",
    [
        (
            "a.yml",
            "receivers:\n- slack_configs:\n  - api_url: https://example.com/x\n",
            "receivers[0].slack_configs[0].api_url",
            "literal credential in 'api_url'",
        ),
        ("a.yml", f"x:\n  note: see {WEBHOOK}\n", "x.note", "Slack webhook URL"),
        ("a.yml", "pagerduty_configs:\n- service_key: abc\n", "pagerduty_configs[0].service_key", "'service_key'"),
        ("a.yml", "h:\n  authorization:\n    credentials: abc\n", "h.authorization.credentials", "'credentials'"),
        ("a.yml", "h:\n  bearer_token: abcdefgh\n", "h.bearer_token", "'bearer_token'"),
        ("a.yml", "global:\n  opsgenie_api_key: k\n", "global.opsgenie_api_key", "'opsgenie_api_key'"),
        ("a.yml", "w:\n  url: https://user:pa55@example.com/hook\n", "w.url", "a URL with a password in it"),
        ("a.yml", "w:\n  url: https://example.com/hook?token=abcdef\n", "w.url", "a URL with a token in it"),
        ("a.yml", "h:\n  headers: 'Authorization: Bearer abcdefgh12345'\n", "h.headers", "a bearer token"),
        ("a.json", '{"panels": [{"options": {"password": "x"}}]}', "panels[0].options.password", "'password'"),
        ("a.tmpl", f'line one\n{{{{ define "x" }}}}{WEBHOOK}{{{{ end }}}}\n', "", "Slack webhook URL"),
    ],
)
def test_findings(name, text, key, what):
    findings = scan_bytes(name, text.encode())
    assert len(findings) == 1, findings
    assert findings[0].key == key and what in findings[0].what
    message = findings[0].error().format()
    assert "cccccccccccc" not in message and "pa55" not in message and "abcdef" not in message


def test_lines_are_reported():
    (finding,) = scan_bytes("p.yaml", b"a: 1\nb:\n  c: 2\n  password: hunter2\n")
    assert (finding.line, finding.key) == (4, "b.password")
    assert finding.error().format().startswith("p.yaml:4: b.password: holds a literal credential")


@pytest.mark.parametrize(
    "text",
    [
        "routing_key_file: /etc/alertmanager/secrets/pd\napi_url_file: /x\npassword_file: /y\n",
        "password: ''\n",  # empty: nothing to leak
        "api_url: https://api.opsgenie.com/\n",  # api_url is only a credential for Slack
        "text: '{{ template \"monitoring.slack.text\" . }}'\nurl: http://127.0.0.1:9/hook\n",
    ],
)
def test_no_false_positives(text):
    assert scan_bytes("ok.yml", text.encode()) == []


def test_check_fails_on_a_credential_pasted_into_generated_files_without_printing_it(cli, tmp_path):
    out = tmp_path / "gen"
    assert cli(["generate", "--out", out]).exit_code == 0
    config = out / "alertmanager/alertmanager.yml"
    text = config.read_text()
    old = "  - api_url_file: /etc/alertmanager/secrets/slack-data-science-webhook-url\n"
    assert old in text
    config.write_text(text.replace(old, f"  - api_url: {WEBHOOK}\n"))
    line = next(i for i, l in enumerate(config.read_text().splitlines(), 1) if "hooks.slack.com" in l)
    result = cli(["check", "--out", out])
    assert result.exit_code == 1
    assert (
        f"secret: {out}/alertmanager/alertmanager.yml:{line}: receivers[2].slack_configs[0].api_url: "
        "holds a literal credential"
    ) in result.output
    assert f"stale: {out}/alertmanager/alertmanager.yml" in result.output
    assert "cccccccccccc" not in result.output, "the diff must not print the credential"


def test_generate_refuses_a_credential_coming_from_the_definitions(definitions, cli, tmp_path):
    """The guard runs over every rendered file before anything is written, whatever its source."""
    from conftest import MINIMAL_STACK

    text = MINIMAL_STACK.replace("https://runbooks.example.com/svc", "https://bot:s3cretpw@runbooks.example.com/svc")
    assert text != MINIMAL_STACK
    folder, _ = definitions(text)
    result = cli(["generate", "--definitions", folder, "--out", tmp_path / "out"], cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert "(rendered) prometheus/rules/svc.rules.yml:" in result.output
    assert "annotations.runbook_url: holds a URL with a password in it" in result.output
    assert "s3cretpw" not in result.output
    assert not (tmp_path / "out").exists()
