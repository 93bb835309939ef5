"""``{{ $labels }}`` in annotations, as Prometheus 2.42 expands it: Go's ``map[k:v ...]`` (keys sorted) of the
labels of the alert expression's result series, ``__name__`` included where the expression keeps it (``up ==
0`` does, ``rate(x[5m]) > 0`` does not), the rule's own labels not.

The generated cases know an alert's labels without ``__name__``, so annotations carry a marker in its place
while the cases are generated; ``fill_labels_maps`` then evaluates each alert's expression on the case's inputs
at its evaluation time and writes the map of the series each expected alert comes from.
"""

from __future__ import annotations

import re

from monitoring.model.durations import parse_duration
from monitoring.testgen import synth

MARKER = "\u2063LABELS-MAP\u2063"  # an invisible separator: no template action, no real annotation holds it
_ACTION = re.compile(r"{{\s*\$labels\s*}}")


def mark(template: str) -> str:
    return _ACTION.sub(MARKER, template)


def go_map(labels: dict[str, str]) -> str:
    return "map[" + " ".join(f"{k}:{v}" for k, v in sorted(labels.items())) + "]"


def fill_labels_maps(cases: list[dict], alerts: list[tuple[str, dict]], rules: dict) -> list[dict]:
    """``alerts``: (expression, static labels) of every rule of the alert's name. Raises LookupError when an
    expected alert matches no result series (the marker would stay)."""
    marked = (
        MARKER in text
        for case in cases
        for test in case.get("alert_rule_test", [])
        for expected in test["exp_alerts"]
        for text in expected.get("exp_annotations", {}).values()
    )
    if not any(marked):
        return cases
    for case in cases:
        evaluator = synth.case_evaluator(case, rules)
        for test in case.get("alert_rule_test", []):
            t = parse_duration(test["eval_time"])
            sources = {}
            for expr, static in alerts:
                for labels, _ in evaluator.instant(expr, t):
                    shown = dict(labels)
                    key = {k: v for k, v in shown.items() if k != "__name__"}
                    key.update(static)
                    sources[tuple(sorted(key.items()))] = shown
            for expected in test["exp_alerts"]:
                key = tuple(sorted(expected["exp_labels"].items()))
                annotations = expected.get("exp_annotations", {})
                if not any(MARKER in v for v in annotations.values()):
                    continue
                if key not in sources:
                    raise LookupError(f"no result series gives the alert labels {dict(key)}")
                text = go_map(sources[key])
                expected["exp_annotations"] = {k: v.replace(MARKER, text) for k, v in annotations.items()}
    return cases
