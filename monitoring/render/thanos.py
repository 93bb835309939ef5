"""Rule files for Thanos Ruler: the plain rule file's groups, with ``partial_response_strategy`` where set.

Thanos Ruler reads plain Prometheus rule files as they are; this target exists for the one field it adds
per group (what a rule does when a store API fails: ``abort``, the default, or ``warn``), which promtool
and Prometheus would reject in the plain files.
"""

from __future__ import annotations


def render_thanos_rules(rules: dict, settings: dict) -> dict:
    strategies = settings.get("partial_response_strategy", {})
    return {
        "groups": [
            {**group, "partial_response_strategy": strategies[group["name"]]} if group["name"] in strategies else group
            for group in rules["groups"]
        ]
    }
