"""Helpers for the lint tests: lint a rule file's text, or a small Stack, with one check only."""

from __future__ import annotations

import textwrap
from pathlib import Path

from monitoring import (
    COUNTER,
    GAUGE,
    HISTOGRAM,
    SUMMARY,
    Alert,
    Dashboard,
    Label,
    Metric,
    RecordingRule,
    Row,
    RuleGroup,
    Stack,
)
from monitoring.lint import LintConfig, lint_files, lint_stacks
from monitoring.render.prometheus import render_rules

MODEL = Label("model_name", ("a", "b"))
STATUS = Label("status", ("ok", "error"))
REQUESTS = Metric("svc_requests_total", COUNTER, "Requests.", labels=(MODEL, STATUS))
LATENCY = Metric("svc_latency_seconds", HISTOGRAM, "Latency.", unit="seconds", labels=(MODEL,), buckets=(0.1, 0.2, 0.5))
SIZES = Metric("svc_size_bytes", SUMMARY, "Sizes.", unit="bytes", labels=(MODEL,))
ACCURACY = Metric("svc_accuracy", GAUGE, "Accuracy, percent.", unit="percent", labels=(MODEL,), min=0, max=100)
METRICS = (REQUESTS, LATENCY, SIZES, ACCURACY)


def lint_text(tmp_path: Path, text: str, check: str, name: str = "rules.yml", config: LintConfig | None = None):
    """Findings of one check on one rule file with this text."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return lint_files([path], config, only=(check,))


def rule_file(expr: str, alert: bool = False, **fields) -> str:
    """A one-rule file: a recording rule (or an alert with complete metadata unless fields override it)."""
    import yaml

    if alert:
        rule = {
            "alert": "Test",
            "expr": expr,
            "for": "5m",
            "labels": {"severity": "warning"},
            "annotations": {"summary": "s", "runbook_url": "https://r.example.com"},
        }
    else:
        rule = {"record": "job:test:rate5m", "expr": expr}
    rule.update(fields)
    return yaml.safe_dump({"groups": [{"name": "g", "interval": "30s", "rules": [rule]}]}, sort_keys=False)


def stack(*rules, panels=(), metrics=METRICS, interval="30s", **options) -> Stack:
    dashboards = (Dashboard("Test", rows=(Row("r", tuple(panels)),)),) if panels else ()
    options.setdefault("runbook_base_url", "https://runbooks.example.com")
    return Stack(
        "test", metrics=metrics, dashboards=dashboards, groups=(RuleGroup("g", interval, tuple(rules)),), **options
    )


def lint_stack(check: str, *rules, config: LintConfig | None = None, **options):
    return lint_stacks([stack(*rules, **options)], render_rules, config, only=(check,))


def messages(findings) -> list[str]:
    return [f.message for f in findings]


__all__ = [
    "ACCURACY",
    "Alert",
    "LATENCY",
    "METRICS",
    "MODEL",
    "REQUESTS",
    "RecordingRule",
    "SIZES",
    "STATUS",
    "lint_files",
    "lint_stack",
    "lint_text",
    "messages",
    "rule_file",
    "stack",
]
