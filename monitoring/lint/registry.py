"""The checks, one module each under monitoring/lint/checks/, and the loop that runs them.

A check module defines NAME, SEVERITY (its default; policies/lint.yaml overrides it), NEEDS_CATALOG
(True: definitions only) and ``check(ctx) -> Iterable[Problem]``. Its docstring says what it finds,
why it matters, and shows a bad and a good example (printed by ``monitoring lint --explain NAME``).
"""

from __future__ import annotations

import importlib
from functools import cache

from monitoring.lint.context import Context
from monitoring.lint.finding import Finding

CHECKS = (
    "rule_file",
    "promql_syntax",
    "unknown_metric",
    "counter_function",
    "histogram_quantile",
    "impossible_label",
    "template_syntax",
    "template_labels",
    "vector_matching",
    "alert_metadata",
    "alert_for",
    "threshold_range",
    "panel_threshold",
    "range_interval",
    "recording_rule_name",
    "duplicate_rule",
    "regexp",
    "fragile",
    "comparison",
    "nan",
    "group_interval",
    "rule_dependency",
    "value_in_labels",
    "counter_name",
    "humanize",
)


@cache
def check_modules() -> tuple:
    return tuple(importlib.import_module(f"monitoring.lint.checks.{name}") for name in CHECKS)


def module_named(name: str):
    for module in check_modules():
        if module.NAME == name:
            return module
    raise KeyError(name)


def run(ctx: Context, only: tuple[str, ...] = ()) -> list[Finding]:
    """Every enabled check that applies (catalog checks need a Stack); findings sorted by place."""
    findings: list[Finding] = []
    for module in check_modules():
        severity = ctx.config.severity(module)
        if severity == "off" or (only and module.NAME not in only) or (module.NEEDS_CATALOG and ctx.stack is None):
            continue
        for problem in module.check(ctx):
            findings.append(Finding(module.NAME, severity, problem.where, problem.message, problem.hint))
    return sorted(set(findings), key=Finding.sort_key)
