"""Prometheus rule files: recording and alerting rules, one file per stack."""

from __future__ import annotations

from monitoring.model import RecordingRule, Stack


def render_rules(stack: Stack) -> dict:
    return {"groups": [_group(group, stack) for group in stack.groups]}


def _group(group, stack: Stack) -> dict:
    out = {"name": group.name, "interval": group.interval, "rules": [_rule(rule, stack) for rule in group.rules]}
    if not group.interval:  # an imported group that sets none: Prometheus' global evaluation_interval
        del out["interval"]
    return out


def _rule(rule, stack: Stack) -> dict:
    if isinstance(rule, RecordingRule):
        out = {"record": rule.record, "expr": rule.text}
        if rule.labels:
            out["labels"] = dict(rule.labels)
        return out
    out = {
        "alert": rule.name,
        "expr": rule.expr,
        "for": rule.for_,
        "labels": stack.alert_labels(rule),
        "annotations": stack.alert_annotations(rule),
    }
    if not rule.for_:  # an imported alert without `for`
        del out["for"]
    return out
