"""Static analysis of definitions and Prometheus rule files, with no live Prometheus.

``lint_stacks`` runs every check on the definitions (with the metric catalog); ``lint_files`` runs
the catalog-free checks on existing rule files. Both return Finding objects; see registry.py.
"""

from __future__ import annotations

from pathlib import Path

from monitoring.lint.config import LintConfig, load_config
from monitoring.lint.finding import Finding, summary

__all__ = ["Finding", "LintConfig", "lint_files", "lint_stacks", "load_config", "summary"]


def lint_stacks(stacks, render_rules, config: LintConfig | None = None, only: tuple[str, ...] = ()) -> list[Finding]:
    """Every check on the definitions. ``render_rules``: monitoring.render.prometheus.render_rules (lint lints
    the rules as deployed, but sits below the renderers, so the caller hands it over)."""
    from monitoring.lint.context import from_stack
    from monitoring.lint.registry import run
    from monitoring.pipeline.workers import map_in_order

    config = config or LintConfig()
    findings: list[Finding] = []
    for found in map_in_order(
        lambda stack: run(from_stack(stack, config, render_rules), only), stacks
    ):  # all cores if large
        findings.extend(found)
    return findings


def lint_files(paths: list[Path], config: LintConfig | None = None, only: tuple[str, ...] = ()) -> list[Finding]:
    from monitoring.lint.context import from_files
    from monitoring.lint.registry import run

    return run(from_files(list(paths), config or LintConfig()), only)
