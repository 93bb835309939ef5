"""The secrets guard skips parsing text that cannot hold a credential, and never misses one by doing so."""

import json

import pytest

from monitoring.pipeline import secrets
from monitoring.pipeline.secrets import SECRET_KEYS, VALUE_PATTERNS, scan_bytes

# One value of each shape VALUE_PATTERNS looks for, by the pattern's description.
SHAPES = {
    "a Slack webhook URL": "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/cccccccccccccccccccccccc",
    "a Slack token": "xoxb-1234567890-abcdef",
    "a bearer token": "Bearer abcdefgh12345",
    "a URL with a password in it": "https://user:pa55@example.com/hook",
    "a URL with a token in it": "https://example.com/hook?api_key=abcdef",
    "a private key": "-----BEGIN RSA PRIVATE KEY-----",
    "a signed URL": "https://bucket.s3.amazonaws.com/x?X-Amz-Signature=abc123",
    "an AWS access key id": "AKIAIOSFODNN7EXAMPLE",  # AWS's documented example key
    "an AWS secret access key": "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "a GitHub token": "ghp_" + "x1" * 18,
    "a Google API key": "AIza" + "Xy9" * 11 + "Xy",
    "a JSON Web Token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJl",
}


def test_every_value_pattern_has_an_example():
    assert set(SHAPES) == {what for what, _ in VALUE_PATTERNS}


@pytest.mark.parametrize("what", sorted(SHAPES))
@pytest.mark.parametrize(
    "name, render",
    [
        ("f.yml", lambda value: f"groups:\n- name: x\n  annotations:\n    note: 'see {value}'\n"),
        ("f.json", lambda value: json.dumps({"panels": [{"description": f"see {value}"}]}, indent=2)),
    ],
)
def test_each_value_shape_is_found(what, name, render):
    findings = scan_bytes(name, render(SHAPES[what]).encode())
    assert [f.what for f in findings] == [what]


@pytest.mark.parametrize("key", sorted(SECRET_KEYS))
def test_each_secret_key_is_found(key):
    assert len(scan_bytes("f.yml", f"receivers:\n- name: x\n  {key}: abc\n".encode())) == 1
    assert len(scan_bytes("f.json", json.dumps({"x": {key.upper(): "abc"}}).encode())) == 1


@pytest.mark.parametrize(
    "name, text",
    [
        # escapes spell a key or a value the raw text does not show
        ("f.yml", 'w:\n  note: "see https://hooks.slack\\x2ecom/services/T0AAAAAAA/B0BBBBBBB/cccccccccccc"\n'),
        ("f.yml", 'w:\n  "\\x74oken": abc\n'),
        ("f.json", '{"w": {"\\u0074oken": "abc"}}'),
        ("f.json", '{"w": "Bearer\\nabcdefgh12345"}'),
    ],
)
def test_escaped_credentials_are_still_found(name, text):
    assert len(scan_bytes(name, text.encode())) == 1


def test_clean_text_is_not_parsed(monkeypatch):
    def no_parsing(*_):
        raise AssertionError("parsed")

    monkeypatch.setattr(secrets, "parse_yaml", no_parsing)
    monkeypatch.setattr(secrets.json, "loads", no_parsing)
    clean = "tests:\n" + "".join(f'- name: "case {i}: x{{a=\\"b\\"}} > 0.5"\n  interval: 1m\n' for i in range(2000))
    assert scan_bytes("t.yml", clean.encode()) == []
    assert scan_bytes("d.json", json.dumps({"expr": 'x{a="b"}', "url": "https://g/d?viewPanel=3"}).encode()) == []
    with pytest.raises(AssertionError, match="parsed"):
        scan_bytes("t.yml", (clean + "password: x\n").encode())
