"""Prometheus rule files: recording and alerting rules, one file per stack."""
from __future__ import annotations

from monitoring.model import Alert, RecordingRule, Stack
from monitoring.model.layout import panel_url


def render_rules(stack: Stack) -> dict:
    return {"groups": [
        {"name": group.name, "interval": group.interval,
         "rules": [_rule(rule, stack) for rule in group.rules]}
        for group in stack.groups
    ]}


def _rule(rule, stack: Stack) -> dict:
    if isinstance(rule, RecordingRule):
        out = {"record": rule.record, "expr": rule.text}
        if rule.labels:
            out["labels"] = dict(rule.labels)
        return out
    return {"alert": rule.name, "expr": rule.expr, "for": rule.for_,
            "labels": stack.alert_labels(rule), "annotations": alert_annotations(rule, stack)}


def alert_annotations(alert: Alert, stack: Stack) -> dict[str, str]:
    annotations = {"summary": alert.summary, "description": alert.description}
    if stack.runbook_base_url:
        annotations["runbook_url"] = stack.runbook_url(alert)
    dashboard = stack.dashboard_of(alert.panel) if alert.panel is not None else None
    if dashboard is not None:
        annotations["dashboard_url"] = panel_url(stack.grafana_url, dashboard, alert.panel)
    return annotations
