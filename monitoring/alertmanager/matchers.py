"""Alertmanager label matchers (`name="value"`, `!=`, `=~`, `!~`): parsing and matching.

Used by the route tree and inhibition evaluation (alertmanager/routing.py, alertmanager/inhibition.py)
and by the notification policies, so a matcher means the same thing everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*\Z")
_MATCHER_RE = re.compile(r"^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)(.*)\Z", re.S)  # value: stripped below
# Go's RE2 (what Alertmanager runs) has no lookaround and no backreferences; Python's re has both.
_NOT_RE2 = re.compile(r"\(\?[=!<]|\\[1-9]")
_UNESCAPE = {'\\"': '"', "\\\\": "\\", "\\n": "\n"}


class MatcherError(ValueError):
    """A matcher string that Alertmanager would not accept; the message says why."""


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str
    _regex: re.Pattern | None = field(default=None, compare=False, repr=False)

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.name, "")  # a missing label matches as the empty string, as in Alertmanager
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = self._regex.fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.op}"{escaped}"'


def parse_matcher(text: str) -> Matcher:
    """One matcher, e.g. ``severity="critical"`` or ``model_name=~"base.*"`` (quotes optional, as in Alertmanager)."""
    if not isinstance(text, str):
        raise MatcherError(f"a matcher is a string such as 'severity=\"critical\"', not {text!r}")
    found = _MATCHER_RE.match(text)
    if not found:
        raise MatcherError(f'{text!r} is not a matcher: write label="value" (operators =, !=, =~, !~)')
    name, op, raw = found.groups()
    value = _unquote(raw.strip(), text)  # not a lazy regex group: that is quadratic on long blank runs
    regex = None
    if op in ("=~", "!~"):
        if _NOT_RE2.search(value):
            raise MatcherError(f"{text!r}: lookarounds and backreferences are not supported by Alertmanager (Go RE2)")
        try:
            regex = re.compile(f"(?:{value})", re.S)
        except re.error as exc:
            raise MatcherError(f"{text!r}: invalid regular expression: {exc}") from None
    return Matcher(name, op, value, regex)


def _unquote(raw: str, text: str) -> str:
    if not raw.startswith('"'):
        if any(c in raw for c in '",{}'):
            raise MatcherError(f"{text!r}: quote the value, and write one matcher per list item")
        return raw
    value, i = [], 1
    while i < len(raw):
        char = raw[i]
        if char == "\\" and i + 1 < len(raw):
            value.append(_UNESCAPE.get(raw[i : i + 2], raw[i : i + 2]))
            i += 2
            continue
        if char == '"':
            if i != len(raw) - 1:
                raise MatcherError(f"{text!r}: text after the closing quote; write one matcher per list item")
            return "".join(value)
        value.append(char)
        i += 1
    raise MatcherError(f"{text!r}: the value's closing quote is missing")


def matches_all(matchers, labels: dict[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)


def matchers_from_config(node: dict, prefix: str = "") -> tuple[Matcher, ...]:
    """A route's or inhibit rule's matchers as Alertmanager reads them: ``matchers`` plus the deprecated
    ``match`` (equality) and ``match_re`` (anchored regex) maps that older configs still use."""
    found = [parse_matcher(text) for text in node.get(f"{prefix}matchers", ())]
    found += [Matcher(name, "=", str(value)) for name, value in node.get(f"{prefix}match", {}).items()]
    found += [
        parse_matcher(f'{name}=~"{_escape(str(value))}"') for name, value in node.get(f"{prefix}match_re", {}).items()
    ]
    return tuple(found)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
