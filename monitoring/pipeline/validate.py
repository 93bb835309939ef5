"""Cross-reference checks that one definition alone cannot make (run before any rendering)."""

from __future__ import annotations

from monitoring.errors import DefinitionError, DefinitionErrors
from monitoring.model import Alert, LabelVariable, Stack
from monitoring.promql.parse import parse, selector_name, selectors


def validate(stacks: list[Stack]) -> None:
    """Raise every problem found across all stacks at once (DefinitionErrors)."""
    errors: list[DefinitionError] = []
    for stack in stacks:
        errors.extend(_stack_problems(stack))
    errors.extend(_duplicate_uids(stacks))
    if errors:
        raise errors[0] if len(errors) == 1 else DefinitionErrors(errors)


def _stack_problems(stack: Stack):
    catalog = stack.series_catalog()
    known = ", ".join(sorted(m.name for m in stack.metrics))

    def unknown_series(expr: str, where: str, what: str, grafana: bool):
        try:
            ast = parse(expr, where, grafana=grafana)
        except DefinitionError as exc:
            yield exc
            return
        for sel in selectors(ast):
            name = selector_name(sel)
            if name and name not in catalog:
                yield DefinitionError(
                    f"{what} selects {name!r}, which is neither a metric in the catalog nor a recording rule",
                    where,
                    f"add it to the stack's metrics or fix the name (metrics: {known})",
                )

    records = [r.record for r in stack.recording_rules()]
    for rule in stack.recording_rules():
        # Prometheus accepts a name recorded several times (one rule per status code, say): imported files do
        if not rule.imported and records.count(rule.record) > 1:
            yield DefinitionError(f"recording rule {rule.record!r} is defined twice", rule.origin)
        yield from unknown_series(rule.text, rule.origin, f"recording rule {rule.record!r}", False)
    names = [a.name for a in stack.alerts()]
    for alert in stack.alerts():
        if (
            not alert.imported
            and names.count(alert.name) > 1
            and alert is next(a for a in stack.alerts() if a.name == alert.name)
        ):
            yield DefinitionError(
                f"alert {alert.name!r} is defined twice in stack {stack.name!r}",
                alert.origin,
                "give each alert a unique name",
            )
        yield from unknown_series(alert.expr, alert.origin, f"alert {alert.name}", False)
        yield from _alert_panel(stack, alert)
    metric_names = [m.name for m in stack.metrics]
    for metric in stack.metrics:
        if metric_names.count(metric.name) > 1:
            yield DefinitionError(f"metric {metric.name!r} is declared twice", metric.origin)
    for dashboard in stack.dashboards:
        titles = [p.title for p in dashboard.panels()]
        seen = set()
        for panel in dashboard.panels():
            if titles.count(panel.title) > 1 and panel.title not in seen:
                seen.add(panel.title)
                yield DefinitionError(
                    f"dashboard {dashboard.title!r} has two panels titled {panel.title!r}",
                    panel.origin,
                    "panel titles must be unique within a dashboard",
                )
            for query in panel.queries:
                yield from unknown_series(query.text, query.origin, f"panel {panel.title!r}", True)
        for variable in dashboard.variables:
            if not isinstance(variable, LabelVariable):
                continue  # a RawVariable is carried as its JSON
            owners = [m for m in stack.metrics if variable.name in m.label_names]
            if not owners:
                yield DefinitionError(
                    f"dashboard {dashboard.title!r}: variable {variable.name!r} is a label "
                    "that no metric in the catalog has",
                    variable.origin,
                    "use a label declared by one of the stack's metrics",
                )
            elif variable.metric.name not in metric_names or variable.name not in variable.metric.label_names:
                yield DefinitionError(
                    f"dashboard {dashboard.title!r}: variable {variable.name!r} reads values "
                    f"from {variable.metric.name!r}, which lacks that label or is not in the "
                    "catalog",
                    variable.origin,
                    f"use one of: {', '.join(m.name for m in owners)}",
                )


def _alert_panel(stack: Stack, alert: Alert):
    if alert.panel is not None and stack.dashboard_of(alert.panel) is None:
        yield DefinitionError(
            f"alert {alert.name} links to panel {alert.panel.title!r}, which is on none of "
            f"stack {stack.name!r}'s dashboards",
            alert.origin,
            "add the panel to a dashboard of this stack",
        )


def _duplicate_uids(stacks: list[Stack]):
    seen: dict[str, str] = {}
    for stack in stacks:
        for dashboard in stack.dashboards:
            if dashboard.uid in seen:
                yield DefinitionError(
                    f"dashboard uid {dashboard.uid!r} is used twice (also at {seen[dashboard.uid]})",
                    dashboard.origin,
                    "dashboard uids must be unique across all stacks: set uid= or retitle",
                )
            else:
                seen[dashboard.uid] = dashboard.origin
