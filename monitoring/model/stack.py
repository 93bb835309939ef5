"""A Stack bundles one service's catalog, dashboards and rules: one definitions file, one Stack."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from monitoring.errors import DefinitionError
from monitoring.model import _types as types
from monitoring.model._origin import Located
from monitoring.model.dashboard import Dashboard
from monitoring.model.durations import parse_duration
from monitoring.model.metric import Metric
from monitoring.model.panel import Panel
from monitoring.model.rules import Alert, RecordingRule, RuleGroup

_STACK_NAME = types.Syntax(
    re.compile(r"^[a-z][a-z0-9_-]*\Z"),
    "stack name {value!r} is invalid",
    "use lower-case letters, digits, '-' and '_' (it names output files)",
)
MAX_NAME = 100  # it names files (<name>.rules.yml): file systems allow 255 bytes


@dataclass(frozen=True)
class Stack(Located):
    name: str
    metrics: tuple[Metric, ...]
    dashboards: tuple[Dashboard, ...] = ()
    groups: tuple[RuleGroup, ...] = ()
    team: str = ""
    runbook_base_url: str = ""
    grafana_url: str = "http://localhost:3000"
    scrape_interval: str = "15s"

    def __post_init__(self):
        super().__post_init__()
        types.text(self.name, "a stack's name", self.origin)
        for name, kind in (("metrics", Metric), ("dashboards", Dashboard), ("groups", RuleGroup)):
            types.sequence(getattr(self, name), f"stack {self.name!r}: {name}", self.origin, kind)
            object.__setattr__(self, name, tuple(getattr(self, name)))
        for name in ("team", "runbook_base_url", "grafana_url", "scrape_interval"):
            types.text(getattr(self, name), f"stack {self.name!r}: {name}", self.origin)
        if len(self.name) > MAX_NAME:
            raise DefinitionError(
                f"stack name is {len(self.name)} characters long (at most {MAX_NAME})",
                self.origin,
                "it names output files: keep it short",
            )
        if parse_duration(self.scrape_interval, self.origin) <= 0:
            raise DefinitionError(f"stack {self.name!r}: scrape_interval must be above zero", self.origin)
        _STACK_NAME.check(self.name, self.origin)

    def recording_rules(self) -> list[RecordingRule]:
        return list(self._rules[0])

    def alerts(self) -> list[Alert]:
        return list(self._rules[1])

    def series_catalog(self) -> dict[str, object]:
        """Every series name a query may select: metric series and recorded series."""
        return dict(self._catalog)

    # A Stack is immutable and lint, validation and test generation ask for these thousands of times on a
    # large estate: computed once (not fields: equality, hashing and repr are unchanged).
    @functools.cached_property
    def _rules(self) -> tuple[tuple[RecordingRule, ...], tuple[Alert, ...]]:
        rules = [r for g in self.groups for r in g.rules]
        return (
            tuple(r for r in rules if isinstance(r, RecordingRule)),
            tuple(r for r in rules if isinstance(r, Alert)),
        )

    @functools.cached_property
    def _catalog(self) -> dict[str, object]:
        catalog: dict[str, object] = {}
        for metric in self.metrics:
            for name in metric.series_names():
                catalog[name] = metric
        for rule in self._rules[0]:
            catalog[rule.record] = rule
        return catalog

    def dashboard_of(self, panel: Panel) -> Dashboard | None:
        for dashboard in self.dashboards:
            if any(p is panel for p in dashboard.panels()):
                return dashboard
        return None

    def alert_labels(self, alert: Alert) -> dict[str, str]:
        """The static labels an alert carries: severity, team (the stack's unless the alert's), extras."""
        labels = {"severity": alert.severity, "team": alert.team or self.team}
        labels.update(dict(alert.labels))
        return {k: v for k, v in labels.items() if v}

    def alert_annotations(self, alert: Alert) -> dict[str, str]:
        """summary, description, runbook_url and a link to the panel that shows the alert's signal."""
        from monitoring.model.layout import panel_url

        annotations = {"summary": alert.summary, "description": alert.description}
        annotations = {key: text for key, text in annotations.items() if text}  # empty only when imported
        annotations.update(alert.annotations)
        if self.runbook_base_url:
            annotations["runbook_url"] = self.runbook_url(alert)
        dashboard = self.dashboard_of(alert.panel) if alert.panel is not None else None
        if dashboard is not None:
            annotations["dashboard_url"] = panel_url(self.grafana_url, dashboard, alert.panel)
        return annotations

    def runbook_url(self, alert: Alert) -> str:
        return f"{self.runbook_base_url.rstrip('/')}/{alert.name.lower()}" if self.runbook_base_url else ""
