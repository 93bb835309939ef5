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
import math
import re
from dataclasses import dataclass
from pathlib import Path

from monitoring.errors import DefinitionError, DefinitionErrors, Location
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

# Every pattern runs in linear time and most in far less: each starts with a literal (so the regex engine
# jumps from one occurrence of it to the next), its repeats are bounded, and the one unbounded repeat
# (JWT) may only start where a run of its characters starts, so no position is scanned twice. A pattern
# needs to see only enough of a credential to be sure of it, never all of it. Case-insensitive patterns
# are written in lower case and run over the lower-cased text (re.IGNORECASE defeats the literal jump).
# 1 MB of hostile text: see bench/secrets_guard.py.
_B64 = "A-Za-z0-9_-"
VALUE_PATTERNS = (
    ("a Slack webhook URL", re.compile(r"hooks\.slack\.com/(?:services|workflows|triggers)/\S")),
    ("a Slack token", re.compile(r"xox[abposr]-[A-Za-z0-9-]{10}")),
    ("a bearer token", re.compile(r"bearer\s{1,8}(?=[a-z._~+/=-]{0,64}[0-9])[a-z0-9._~+/=-]{8}")),
    ("a URL with a password in it", re.compile(r"://[^/\s:@]{1,256}:[^/\s@]{1,256}@")),
    (
        "a URL with a token in it",
        re.compile(r"[?&](?:token|access_token|api_key|apikey|key|secret|password|routing_key)=[^&\s{]"),
    ),
    ("a signed URL", re.compile(r"[?&](?:sig|signature|x-amz-signature|x-goog-signature|x-amz-credential)=[^&\s{]")),
    ("a private key", re.compile(r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")),
    ("an AWS access key id", re.compile(r"A(?<![A-Z0-9]A)(?:KIA|SIA|GPA|IDA|ROA)[A-Z0-9]{16}(?![A-Z0-9])")),
    ("an AWS secret access key", re.compile(r"aws_?secret_?access_?key[\"']?\s{0,4}[:=]\s{0,4}[\"']?[a-z0-9/+=]{40}")),
    ("a GitHub token", re.compile(r"gh(?:[pousr]_[A-Za-z0-9]{36}|ub_pat_[A-Za-z0-9_]{22})")),
    ("a Google API key", re.compile(rf"AIza[{_B64}]{{35}}")),
    ("a JSON Web Token", re.compile(rf"eyJ(?<![{_B64}]eyJ)[{_B64}]{{8,}}+\.eyJ[{_B64}]{{8}}")),
)
# Patterns written in lower case, run over the lower-cased text.
_LOWERED = frozenset(
    {
        "a Slack webhook URL",
        "a bearer token",
        "a URL with a token in it",
        "a signed URL",
        "an AWS secret access key",
    }
)


def _first(text: str) -> str | None:
    lowered = text.lower()
    for what, pattern in VALUE_PATTERNS:
        if pattern.search(lowered if what in _LOWERED else text):
            return what
    return None


# Keys whose name says "credential" although they are not in SECRET_KEYS: a long random-looking value
# under one is a credential (a value such as "required" or a file path is not).
_CREDENTIAL_WORDS = (
    "secret",
    "token",
    "password",
    "passwd",
    "apikey",
    "api_key",
    "access_key",
    "private_key",
    "credential",
)
_NOT_CREDENTIAL_SUFFIXES = ("_file", "_path", "_files", "_url_file", "_env", "_name")


def looks_secret(text: str) -> bool:
    """Whether any value pattern finds a credential in ``text``."""
    return _first(text) is not None


def redact(text: str) -> str:
    """``text`` with every credential-shaped run replaced by "[redacted]" (for messages that quote input)."""
    if not looks_secret(text):
        return text
    lowered = text.lower()
    if len(lowered) != len(text):  # rare Unicode whose lower case is longer: positions would not line up
        return "[a message quoting a credential, redacted]"
    spans = []
    for what, pattern in VALUE_PATTERNS:
        source = lowered if what in _LOWERED else text
        position = 0
        while match := pattern.search(source, position):
            stop = _run_end(text, match.end())  # the rest of the credential too
            spans.append((match.start(), stop))
            position = stop  # never rescan what is redacted already: linear
    parts, end = [], 0
    for start, stop in sorted(spans):
        if start < end:
            end = max(end, stop)
            continue
        parts.append(text[end:start] + "[redacted]")
        end = stop
    return "".join(parts) + text[end:]


_RUN_END = re.compile(r"[\s'\"]")


def _run_end(text: str, position: int) -> int:
    """Where the non-blank, unquoted run containing ``position`` ends."""
    found = _RUN_END.search(text, position)
    return found.start() if found else len(text)


def _high_entropy(value: str) -> bool:
    if len(value) < 16 or len(value) > 4096 or any(c.isspace() for c in value) or "{{" in value or "/" in value[:1]:
        return False
    counts: dict[str, int] = {}
    for char in value:
        counts[char] = counts.get(char, 0) + 1
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    classes = sum(any(test(c) for c in value) for test in (str.islower, str.isupper, str.isdigit))
    return entropy >= 3.5 and classes >= 2


@dataclass(frozen=True)
class Finding:
    file: str
    line: int | None
    key: str
    what: str
    unreadable: bool = False  # the file could not be parsed strictly, so it cannot be shown as safe

    def error(self) -> DefinitionError:
        where = Location(self.file, self.line or 0)
        if self.unreadable:
            return DefinitionError(
                f"cannot be checked for secrets: {self.what}",
                where,
                "generated files are written only by `monitoring generate`: undo the hand edit or regenerate",
            )
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
            findings.append(Finding(document.file, document.line(path), dotted(path), what))
    return findings


# What any finding needs in a file's raw text: a key that holds a credential, or (lower-cased) a fixed
# part of a value pattern. Text with none of them, and no escape that could spell one, is clean without
# parsing it (parsing dominated `generate` and `check` on large estates).
_KEY_WORDS = tuple(
    sorted(
        key
        for key in SECRET_KEYS | set(_SECRET_UNDER) | set(_CREDENTIAL_WORDS)  # "token" covers "bot_token"...
        if not any(other != key and other in key for other in SECRET_KEYS | set(_SECRET_UNDER) | set(_CREDENTIAL_WORDS))
    )
)
_ESCAPE = re.compile(r'\\[^"\\]')  # \n, \uXXXX...: the parsed value may hold what the text does not


def _clearly_clean(text: str) -> bool:
    lowered = text.lower()
    if _ESCAPE.search(text) or any(word in lowered for word in _KEY_WORDS):
        return False
    return not looks_secret(text)


def scan_bytes(name: str, data: bytes, strict: bool = False) -> list[Finding]:
    """Findings in one file's bytes: structured for YAML/JSON (keys too), plus every line of the raw text.

    The raw text is scanned too, so a credential in a YAML comment, a mapping key or a value that a
    duplicate key hides is found. ``strict`` (files on disk under OUT): text that is not valid UTF-8,
    YAML or JSON, or holds a duplicate key, is itself a finding, since nothing could show it safe.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if strict:
            return [Finding(name, None, "", "not UTF-8 text", unreadable=True)]
        text = data.decode("utf-8", errors="replace")
    if _clearly_clean(text):
        return []
    findings: list[Finding] = []
    if name.endswith((".yml", ".yaml")):
        try:
            findings = scan_document(parse_yaml(text, name))
        except DefinitionError as exc:
            if strict:
                return [Finding(name, getattr(exc, "line", None) or None, "", exc.message, unreadable=True)]
    elif name.endswith(".json"):
        try:
            findings = [
                Finding(name, None, dotted(path), what)
                for path, value in _walk(json.loads(text, object_pairs_hook=_no_duplicates), ())
                if (what := _secret_in(path, value))
            ]
        except (ValueError, RecursionError) as exc:
            if strict:
                return [Finding(name, None, "", f"not valid JSON: {str(exc)[:80]}", unreadable=True)]
    # The raw text too, each pattern in one pass over all of it; a line already reported is not repeated.
    lines = {f.line for f in findings}
    shapes = {f.what for f in findings}
    lowered = text.lower()
    for what, pattern in VALUE_PATTERNS:
        if what in shapes:
            continue
        source = lowered if what in _LOWERED else text
        number, counted = 1, 0  # line numbers counted forward from the previous match: linear
        for match in pattern.finditer(source):
            number += source.count("\n", counted, match.start())
            counted = match.start()
            if number not in lines:
                lines.add(number)
                findings.append(Finding(name, number, "", what))
    return sorted(findings, key=lambda f: (f.line or 0, f.key, f.what))


def _no_duplicates(pairs: list) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ValueError(f"duplicate key {redact(repr(duplicate))[:60]} (a hand edit?)")
    return result


def scan_files(files: dict[str, bytes], prefix: str = "", strict: bool = False) -> list[Finding]:
    return [f for name, data in sorted(files.items()) for f in scan_bytes(f"{prefix}{name}", data, strict)]


def scan_folder(folder: Path) -> list[Finding]:
    """Every YAML file below a policies folder, sub-folders included (schemas/ holds JSON, not policies)."""
    from monitoring.pipeline.yamlfile import read_text

    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".yaml", ".yml") and not path.is_dir():
            found.extend(scan_bytes(str(path), read_text(path).encode()))
    return found


def raise_if_any(findings: list[Finding]) -> None:
    if findings:
        errors = [f.error() for f in findings]
        raise errors[0] if len(errors) == 1 else DefinitionErrors(errors)


def _walk(data, path: tuple):
    """(path, value) of every scalar, and of every mapping key (as a value at its own path)."""
    stack = [(path, data)]
    while stack:  # no recursion: JSON from disk may nest deeply
        path, data = stack.pop()
        if isinstance(data, dict):
            for key, value in reversed(data.items()):
                stack.append((path + (key,), value))
                if isinstance(key, str):
                    stack.append((path + (key,), _Key(key)))
        elif isinstance(data, list):
            stack.extend((path + (i,), value) for i, value in reversed(list(enumerate(data))))
        else:
            yield path, data


class _Key(str):
    """A mapping key, scanned for credential shapes like any value."""


def _secret_in(path: tuple, value) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    if isinstance(value, _Key):
        return _first(value)
    key = str(path[-1]).lower() if path and not isinstance(path[-1], int) else ""
    if (key in SECRET_KEYS and _PLAIN_UNDER.get(key) not in path) or _SECRET_UNDER.get(key, "\0") in path:
        return f"a literal credential in {key!r}"
    what = _first(value)
    if what:
        return what
    if (
        any(word in key for word in _CREDENTIAL_WORDS)
        and not key.endswith(_NOT_CREDENTIAL_SUFFIXES)
        and _high_entropy(value)
    ):
        return f"a random-looking value under {key!r}, a credential-like key"
    return None


def scan_tree(folder: Path) -> list[Finding]:
    """Every file under a folder on disk, e.g. the committed generated/ tree (symlinks are never followed)."""
    from monitoring.pipeline.writer import read_tree

    folder = Path(folder)
    if not folder.is_dir():
        return []
    files, problems = read_tree(folder)
    return problems + scan_files(files, prefix=f"{folder}/", strict=True)
