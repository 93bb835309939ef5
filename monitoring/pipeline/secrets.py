"""Secrets guard: no literal credential in a policy file or a generated file, ever.

Receivers reference credentials by file (routing_key_file, api_url_file, credentials_file, ...), so the
generated tree can be committed and reviewed. Two kinds of evidence are looked for:
- a key that holds a credential (routing_key, service_key, password, credentials, bearer_token, api_key,
  token, secret, ...) set to a literal value instead of its ``*_file`` twin;
- a value that is a credential whatever its key: a Slack webhook URL, a Slack token, a bearer token,
  a URL with a password or a token in it, a private key.
Findings name file, line (where known) and key, and never echo the value.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from monitoring.errors import DefinitionError, DefinitionErrors
from monitoring.pipeline.yamlfile import Document, dotted, parse_yaml

# Keys whose value is the credential itself. Their `*_file` twins are the way to set them.
SECRET_KEYS = frozenset(
    {
        "routing_key",
        "service_key",
        "api_key",
        "api_secret",
        "password",
        "auth_password",
        "auth_secret",
        "credentials",
        "bearer_token",
        "token",
        "bot_token",
        "secret",
        "client_secret",
        "user_key",
        "slack_api_url",
        "opsgenie_api_key",
        "victorops_api_key",
        "wechat_api_secret",
        "smtp_auth_password",
        "smtp_auth_secret",
        "webhook_url",
    }
)
# `api_url` is a credential for Slack (the webhook URL), an ordinary endpoint elsewhere; VictorOps'
# `routing_key` names a route, unlike PagerDuty's.
_SECRET_UNDER = {"api_url": "slack_configs"}
_PLAIN_UNDER = {"routing_key": "victorops_configs"}

VALUE_PATTERNS = (
    ("a Slack webhook URL", re.compile(r"hooks\.slack\.com/(services|workflows|triggers)/\S+", re.I)),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a bearer token", re.compile(r"\bBearer\s+[A-Za-z0-9._~+/=-]{8,}")),
    ("a URL with a password in it", re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.I)),
    (
        "a URL with a token in it",
        re.compile(r"[?&](token|access_token|api_key|apikey|key|secret|password|routing_key)=[^&\s{]+", re.I),
    ),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
)


@dataclass(frozen=True)
class Finding:
    file: str
    line: int | None
    key: str
    what: str

    def error(self) -> DefinitionError:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = self.key.rsplit(".", 1)[-1].split("[")[0]
        hint = (
            f"put the credential in a file readable by Alertmanager and reference it with {field}_file"
            if field in SECRET_KEYS or field in _SECRET_UNDER
            else "keep credentials out of the repository: reference them by file (*_file fields)"
        )
        return DefinitionError(
            f"{self.key + ': ' if self.key else ''}holds {self.what}; secrets must not be written inline", where, hint
        )


def scan_document(document: Document) -> list[Finding]:
    """Findings in a parsed YAML document (lines from its node marks)."""
    findings: list[Finding] = []
    for path, value in _walk(document.data, ()):
        what = _secret_in(path, value)
        if what:
            line = document.where(path).line
            findings.append(Finding(document.file, line, dotted(path), what))
    return findings


# What any finding needs in a file's raw text: a key that holds a credential, or (lower-cased) a fixed
# part of a value pattern. Text with none of them, and no escape that could spell one, is clean without
# parsing it (parsing dominated `generate` and `check` on large estates).
_KEY_WORDS = tuple(
    sorted(
        key
        for key in SECRET_KEYS | set(_SECRET_UNDER)  # "token" covers "bot_token"...
        if not any(other != key and other in key for other in SECRET_KEYS | set(_SECRET_UNDER))
    )
)
_PATTERN_HINTS = {
    "a Slack webhook URL": ("hooks.slack.com",),
    "a Slack token": ("xox",),
    "a bearer token": ("bearer",),
    "a URL with a password in it": ("@",),
    "a URL with a token in it": ("key=", "token=", "secret=", "password="),
    "a private key": ("private key",),
}
_ESCAPE = re.compile(r'\\[^"\\]')  # \n, \uXXXX...: the parsed value may hold what the text does not


def _clearly_clean(text: str) -> bool:
    lowered = text.lower()
    if _ESCAPE.search(text) or any(word in lowered for word in _KEY_WORDS):
        return False
    return not any(
        pattern.search(text)
        for what, pattern in VALUE_PATTERNS
        if any(hint in lowered for hint in _PATTERN_HINTS.get(what, ("",)))
    )


def scan_bytes(name: str, data: bytes) -> list[Finding]:
    """Findings in one file's bytes: structured for YAML/JSON, line by line for anything else."""
    text = data.decode("utf-8", errors="replace")
    if _clearly_clean(text):
        return []
    if name.endswith((".yml", ".yaml")):
        try:
            return scan_document(parse_yaml(text, name))
        except DefinitionError:
            pass  # not YAML after all: fall back to the text scan
    elif name.endswith(".json"):
        try:
            return [
                Finding(name, None, dotted(path), what)
                for path, value in _walk(json.loads(text), ())
                if (what := _secret_in(path, value))
            ]
        except ValueError:
            pass
    return [
        Finding(name, number, "", what)
        for number, line in enumerate(text.splitlines(), 1)
        for what, pattern in VALUE_PATTERNS
        if pattern.search(line)
    ]


def scan_files(files: dict[str, bytes], prefix: str = "") -> list[Finding]:
    return [f for name, data in sorted(files.items()) for f in scan_bytes(f"{prefix}{name}", data)]


def scan_folder(folder: Path) -> list[Finding]:
    """Every YAML file directly in a policies folder (schemas/ holds JSON Schemas, not policies)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return [
        f
        for path in sorted(folder.iterdir())
        if path.is_file() and path.suffix in (".yaml", ".yml")
        for f in scan_bytes(str(path), path.read_bytes())
    ]


def raise_if_any(findings: list[Finding]) -> None:
    if findings:
        errors = [f.error() for f in findings]
        raise errors[0] if len(errors) == 1 else DefinitionErrors(errors)


def _walk(data, path: tuple):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _walk(value, path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _walk(value, path + (i,))
    else:
        yield path, data


def _secret_in(path: tuple, value) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    key = str(path[-1]).lower() if path and not isinstance(path[-1], int) else ""
    if (key in SECRET_KEYS and _PLAIN_UNDER.get(key) not in path) or _SECRET_UNDER.get(key, "\0") in path:
        return f"a literal credential in {key!r}"
    for what, pattern in VALUE_PATTERNS:
        if pattern.search(value):
            return what
    return None


def scan_tree(folder: Path) -> list[Finding]:
    """Every file under a folder on disk, e.g. the committed generated/ tree."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return [
        f
        for path in sorted(folder.rglob("*"))
        if path.is_file()
        for f in scan_bytes(f"{folder}/{path.relative_to(folder).as_posix()}", path.read_bytes())
    ]
