"""Findings as text (people), JSON (tools) or GitHub Actions workflow commands (annotations on the diff).

Positions stay Location values up to here; this is where they become text.
"""

from __future__ import annotations

import json
from collections import Counter

from monitoring.lint.finding import SEVERITIES, Finding, counts_by_check, summary

FORMATS = ("text", "json", "github")
# GitHub Actions annotation levels (https://docs.github.com/actions/reference/workflow-commands-for-github-actions)
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def render(findings: list[Finding], fmt: str = "text") -> str:
    """The whole report in one format."""
    if fmt == "json":
        return as_json(findings)
    if fmt == "github":
        return "\n".join([*(as_github(f) for f in findings), summary(findings)])
    return "\n".join([*(f.format() for f in findings), summary(findings)])


def as_dict(finding: Finding) -> dict:
    where = finding.where
    return {
        "check": finding.check,
        "severity": finding.severity,
        "file": where.file,
        "line": where.line or None,
        "column": where.column or None,
        "message": finding.message,
        "hint": finding.hint,
    }


def as_json(findings: list[Finding]) -> str:
    """One JSON document: every finding, the totals by severity and by check."""
    totals = Counter(f.severity for f in findings)
    by_check: dict[str, int] = {}
    for (check, _), count in counts_by_check(findings).items():
        by_check[check] = by_check.get(check, 0) + count
    document = {
        "findings": [as_dict(f) for f in findings],
        "totals": {severity: totals[severity] for severity in SEVERITIES},
        "by_check": by_check,
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def as_github(finding: Finding) -> str:
    """``::error file=F,line=L,col=C,title=T::message`` (one annotation per finding)."""
    where = finding.where
    properties = [f"file={_property(where.file)}"]
    if where.line:
        properties.append(f"line={where.line}")
    if where.column:
        properties.append(f"col={where.column}")
    properties.append(f"title={_property(f'monitoring lint: {finding.check}')}")
    text = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
    return f"::{_GITHUB_LEVEL[finding.severity]} {','.join(properties)}::{_data(text)}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
