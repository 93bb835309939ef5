"""The end-to-end run: healthy traffic, dashboard queries, then every fault, through real servers.

Everything is derived from the definitions and policies: rules from the timing overlay of the stack,
Alertmanager's config from the rendered policy (receivers redirected to the sink), expectations from
the simulator's signal model, the route tree and the inhibit rules. The run records what happened;
the tests in tests_e2e/ judge it, and ``Report.table()`` gives the time from fault to notification.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from monitoring.e2e import dashboards as dash
from monitoring.e2e.notices import Notice, read
from monitoring.e2e.overlay import alertmanager_overlay, fast_stack, routing_key, settle_seconds
from monitoring.e2e.scenario import (
    ExpectedAlert,
    FaultPlan,
    absence_alerts,
    always_firing,
    expectations,
    fault_plan,
    plan_waves,
)
from monitoring.model import Stack
from monitoring.model.rules import parse_duration

DEFAULT_SPEEDUP = 60.0
POLL = 0.25
# The "fault" column of the meta-monitoring alerts' results: the Watchdog fires from the start (times from the
# start of the run); the absent-metrics alert once the simulator stops (times from stopping it).
ALWAYS = "(always firing)"
STOPPED = "(simulator stopped)"


@dataclass
class QueryResult:
    query: object  # PanelQuery or VariableQuery
    resolved: str
    series: int  # result series with a finite value (label values for a variable)


@dataclass
class AlertResult:
    fault: str
    expected: ExpectedAlert
    firing_after: float | None = None  # Prometheus state "firing", s after injection
    notified_after: dict[str, float] = field(default_factory=dict)  # receiver -> first firing notice
    resolved_after: dict[str, float] = field(default_factory=dict)  # receiver -> s after the fault was cleared
    problems: list[str] = field(default_factory=list)  # wrong labels or links in a notice


@dataclass
class Report:
    speedup: float
    settle: float
    waves: list[list[str]] = field(default_factory=list)
    healthy_alerts: set[str] = field(default_factory=set)  # pending or firing under healthy traffic
    healthy_notices: list[Notice] = field(default_factory=list)
    queries: list[QueryResult] = field(default_factory=list)
    rule_health: dict[str, str] = field(default_factory=dict)
    alerts: list[AlertResult] = field(default_factory=list)
    unexpected: list[tuple[str, Notice]] = field(default_factory=list)  # (wave faults, notice)
    unexpected_firing: list[tuple[str, str]] = field(default_factory=list)  # (wave faults, alert) in Prometheus
    timeouts: list[str] = field(default_factory=list)
    always_notices: list[Notice] = field(default_factory=list)  # every notice of an always-firing alert
    seconds: float = 0.0

    def for_fault(self, fault: str) -> list[AlertResult]:
        return [a for a in self.alerts if a.fault == fault]

    def table(self) -> str:
        rows = [("fault", "alert", "receiver", "firing in Prometheus", "notified", "resolve notified")]
        for result in self.alerts:
            receivers = result.expected.receivers or ("(inhibited by " + ", ".join(result.expected.inhibited_by) + ")",)
            for receiver in receivers:
                rows.append(
                    (
                        result.fault,
                        str(result.expected),
                        receiver,
                        _seconds(result.firing_after),
                        _seconds(result.notified_after.get(receiver)),
                        _seconds(result.resolved_after.get(receiver)),
                    )
                )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(
            [
                f"end-to-end: {self.seconds:.1f}s in all; timings x{self.speedup:g} (a 5m `for` waits "
                f"{300 / self.speedup:g}s); seconds from fault injection (resolve: from switching it off)",
                *lines,
            ]
        )


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


class Run:
    """One end-to-end run over a started LocalStack (see ``start``)."""

    def __init__(self, stack: Stack, alertmanager_config: dict, speedup: float = DEFAULT_SPEEDUP, log=None):
        from monitoring.alertmanager.inhibition import rules_from_config
        from monitoring.alertmanager.routing import route_from_config
        from monitoring.render.prometheus import render_rules
        from monitoring.runtime.simulator import FAULTS

        self.stack, self.speedup, self.log = stack, speedup, log or (lambda text: None)
        self.fast = fast_stack(stack, speedup)
        self.rules = render_rules(self.fast)
        self.alertmanager_config = alertmanager_config
        route = route_from_config(alertmanager_config["route"])
        inhibit = rules_from_config(alertmanager_config.get("inhibit_rules", []))
        annotations = {r["alert"]: r["annotations"] for g in self.rules["groups"] for r in g["rules"] if "alert" in r}
        plans = [fault_plan(f.name, f.default_model, stack, route, inhibit, annotations) for f in FAULTS.values()]
        self.waves = plan_waves(plans, inhibit)
        # Meta-monitoring: the Watchdog fires all along, the absent alert once the simulator stops (nothing else can
        # fire then: every other alert reads the simulator's series).
        self.always = {a.name for a in always_firing(stack)}
        meta_keys = {(a.name, None) for a in (*always_firing(stack), *absence_alerts(stack))}
        meta = expectations(meta_keys, stack, route, inhibit, annotations)
        self.always_expected = tuple(a for a in meta if a.alertname in self.always)
        self.absence_expected = tuple(a for a in meta if a.alertname not in self.always)
        root = alertmanager_config["route"]
        self.group_wait = parse_duration(root.get("group_wait", "30s")) / speedup
        self.group_interval = (
            max(
                parse_duration(r.get("group_interval", root.get("group_interval", "5m")))
                for r in [root, *root.get("routes", [])]
            )
            / speedup
        )
        # Longest a signal change can take to become a notification: windows + `for` + evaluation + group_wait.
        self.settle = settle_seconds(self.fast) + self.group_wait + 2.0
        self.report = Report(speedup, self.settle, [[p.fault for p in wave] for wave in self.waves])
        self.alertmanager_url = ""  # known once the servers run

    # --- servers ---------------------------------------------------------------------------------
    def alertmanager_files(self, sink_url: str, folder: Path, templates: dict[str, bytes]) -> dict[str, bytes]:
        return overlay_files(self.alertmanager_config, sink_url, folder, templates, self.speedup)

    def local_stack(self, workdir: Path, templates: dict[str, bytes], simulator_port: int = 0):
        from monitoring.e2e.local_stack import LocalStack
        from monitoring.e2e.overlay import scale_duration

        return LocalStack(
            workdir,
            {f"{self.stack.name}.rules.yml": self.rules},
            self.stack.name,
            alertmanager_files=lambda url, folder: self.alertmanager_files(url, folder, templates),
            evaluation_interval=self.fast.groups[0].interval if self.fast.groups else "1s",
            resend_delay=scale_duration("1m", self.speedup),
            simulator_port=simulator_port,
        )

    # --- phases ----------------------------------------------------------------------------------
    def execute(self, servers) -> Report:
        started = time.monotonic()
        self.alertmanager_url = servers.alertmanager.url
        always = {a.key: AlertResult(ALWAYS, a) for a in self.always_expected}
        self.report.alerts.extend(always.values())
        self.healthy(servers, always, servers.started)
        self.dashboards(servers)
        for wave in self.waves:
            self.fault_wave(servers, wave)
        self.simulator_stopped(servers)
        self.always_firing(servers, always, servers.started)
        self.report.seconds = time.monotonic() - started
        return self.report

    def healthy(self, servers, always: dict, started: float) -> None:
        """Healthy traffic from the very first scrape for as long as any alert could take to fire."""
        self.log(f"healthy traffic for {self.settle:.1f}s")
        deadline = time.monotonic() + self.settle
        while time.monotonic() < deadline:
            for alert in servers.api.alerts():
                name = alert["labels"]["alertname"]
                result = always.get((name, alert["labels"].get("model_name")))
                if result is not None and alert["state"] == "firing" and result.firing_after is None:
                    result.firing_after = time.monotonic() - started
                elif name not in self.always:
                    self.report.healthy_alerts.add(f"{alert_key(alert)} ({alert['state']})")
            time.sleep(POLL)
        self.report.healthy_notices = [n for n in self._notices(servers, since=0.0) if n.alertname not in self.always]

    def always_firing(self, servers, always: dict, started: float) -> None:
        """The Watchdog's notices over the whole run: where they arrived, when the first one did, what they said."""
        self.report.always_notices = [n for n in self._notices(servers, 0.0) if n.alertname in self.always]
        for notice in self.report.always_notices:
            result = always.get(notice.key)
            if result and notice.status == "firing" and notice.receiver in result.expected.receivers:
                result.notified_after.setdefault(notice.receiver, notice.at - started)
        self._judge_notices(self.report.always_notices, always, ALWAYS)

    def simulator_stopped(self, servers) -> None:
        """Stop the service: its series go stale at the next failed scrape and the absent alert must page."""
        results = {a.key: AlertResult(STOPPED, a) for a in self.absence_expected}
        if not results:
            return
        self.report.alerts.extend(results.values())
        stopped = time.monotonic()
        servers.simulator.stop()
        self.log("simulator stopped")

        def notified() -> bool:
            self._watch_prometheus(servers, results, {STOPPED: stopped}, STOPPED)
            for notice in self._notices(servers, stopped):
                result = results.get(notice.key)
                if result and notice.status == "firing" and notice.receiver in result.expected.receivers:
                    result.notified_after.setdefault(notice.receiver, notice.at - stopped)
            return all(set(r.notified_after) == set(r.expected.receivers) for r in results.values())

        self._wait(notified, self.settle * 2, f"notifications once the {STOPPED[1:-1]}")
        self._judge_notices(
            [n for n in self._notices(servers, stopped) if n.alertname not in self.always], results, STOPPED
        )

    def dashboards(self, servers) -> None:
        from monitoring.render.grafana import render_dashboards

        builtins = {"__rate_interval": "4s", "__interval": "1s", "__range": "1h"}
        for dashboard in render_dashboards(self.stack).values():
            values = {}
            for variable in dash.variable_queries(dashboard):
                values[variable.name] = servers.api.label_values(variable.label, variable.metric)
                self.report.queries.append(
                    QueryResult(
                        variable, f"label_values({variable.metric}, {variable.label})", len(values[variable.name])
                    )
                )
            selection = dash.default_selection(dashboard, values)
            for query in dash.panel_queries(dashboard):
                expr = dash.resolve(query.expr, selection, builtins)
                self.report.queries.append(QueryResult(query, expr, len(servers.api.finite_values(expr))))
        self.report.rule_health = servers.api.rule_health()

    def fault_wave(self, servers, wave: list[FaultPlan]) -> None:
        names = ", ".join(p.fault for p in wave)
        self.log(f"faults on: {names}")
        results = {(plan.fault, alert.key): AlertResult(plan.fault, alert) for plan in wave for alert in plan.alerts}
        self.report.alerts.extend(results.values())
        by_key = {alert.key: results[(plan.fault, alert.key)] for plan in wave for alert in plan.alerts}
        injected = {}
        wave_start = time.monotonic()
        for plan in wave:
            servers.faults.inject(plan.fault, plan.model)
            injected[plan.fault] = time.monotonic()

        def fired() -> bool:
            self._watch_prometheus(servers, by_key, injected, names)
            notices = self._notices(servers, wave_start)
            for notice in notices:
                result = by_key.get(notice.key)
                if result and notice.status == "firing" and notice.receiver in result.expected.receivers:
                    result.notified_after.setdefault(notice.receiver, notice.at - injected[result.fault])
            return all(set(r.notified_after) == set(r.expected.receivers) for r in by_key.values())

        # Hold the faults at least `settle`: an alert that should not fire has had every chance to.
        self._wait(
            lambda: fired() and time.monotonic() - wave_start >= self.settle,
            self.settle * 3,
            f"notifications for {names}",
        )
        cleared = time.monotonic()
        for plan in wave:
            servers.faults.clear(plan.fault)
        self.log(f"faults off: {names}")

        def resolved() -> bool:
            self._watch_prometheus(servers, by_key, injected, names)
            for notice in self._notices(servers, cleared):
                result = by_key.get(notice.key)
                if result and notice.status == "resolved" and notice.receiver in result.expected.receivers:
                    result.resolved_after.setdefault(notice.receiver, notice.at - cleared)
            quiet = not [a for a in servers.api.alerts() if a["labels"]["alertname"] not in self.always]
            return quiet and all(set(r.resolved_after) == set(r.expected.receivers) for r in by_key.values())

        self._wait(resolved, self.settle + self.group_interval * 3, f"resolve notifications for {names}")
        self._judge_notices(
            [n for n in self._notices(servers, wave_start) if n.alertname not in self.always], by_key, names
        )

    # --- helpers ---------------------------------------------------------------------------------
    def _watch_prometheus(self, servers, by_key, injected, wave_name) -> None:
        for alert in servers.api.alerts():
            key = (alert["labels"]["alertname"], alert["labels"].get("model_name"))
            if key[0] in self.always:
                continue  # firing all along: judged on its own (healthy, always_firing)
            result = by_key.get(key)
            if result is None:
                if alert["state"] == "firing" and (wave_name, alert_key(alert)) not in self.report.unexpected_firing:
                    self.report.unexpected_firing.append((wave_name, alert_key(alert)))
            elif alert["state"] == "firing" and result.firing_after is None:
                result.firing_after = time.monotonic() - injected[result.fault]

    @staticmethod
    def _notices(servers, since: float) -> list[Notice]:
        return [n for d in servers.sink.deliveries(since=since) for n in read(d)]

    def _judge_notices(self, notices: list[Notice], by_key, wave_name: str) -> None:
        for notice in notices:
            result = by_key.get(notice.key)
            if notice.problem or result is None or notice.receiver not in result.expected.receivers:
                self.report.unexpected.append((wave_name, notice))
                continue
            result.problems.extend(content_problems(notice, result.expected, self.alertmanager_url))

    def _wait(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(POLL)
        if not condition():
            self.report.timeouts.append(f"{what}: not complete after {timeout:.0f}s")


def overlay_files(
    config: dict, sink_url: str, folder: Path, templates: dict[str, bytes], speedup: float
) -> dict[str, bytes]:
    """The Alertmanager folder's files: the timing overlay of the config, its secret files and the templates."""
    from monitoring.pipeline.serialize import GENERATED_HEADER, yaml_bytes

    config, secrets = alertmanager_overlay(config, sink_url, folder / "secrets", speedup)
    files = {"alertmanager.yml": yaml_bytes(config, GENERATED_HEADER)}
    files.update({f"secrets/{name}": text.encode() for name, text in secrets.items()})
    files.update(templates)
    return files


def alert_key(alert: dict) -> str:
    labels = alert["labels"]
    model = labels.get("model_name")
    return f"{labels['alertname']}{{model_name={model}}}" if model else labels["alertname"]


def content_problems(notice: Notice, expected: ExpectedAlert, alertmanager_url: str = "") -> list[str]:
    """What a notice says wrong. An alert without a dashboard_url links to Alertmanager (its external URL), as the
    generated templates do; Slack shows no Dashboard link for it."""
    labels = dict(expected.labels)
    link = expected.dashboard_url or alertmanager_url
    checks = [
        ("severity", notice.severity, labels.get("severity", "")),
        ("runbook link", notice.runbook_url, expected.runbook_url),
    ]
    if notice.integration == "webhook":  # the alert as it is: annotations, no template
        checks.append(("dashboard link", notice.dashboard_url, expected.dashboard_url))
    elif notice.integration == "slack":
        checks += [
            ("dashboard link", notice.dashboard_url, expected.dashboard_url),
            ("title link", notice.title_link, link),
        ]
    else:
        checks += [("dashboard link", notice.dashboard_url, link), ("client_url", notice.title_link, link)]
    if notice.integration == "pagerduty":
        checks.append(("routing key", notice.routing_key, routing_key(notice.receiver)))
    return [f"{notice}: {what} is {got!r}, expected {want!r}" for what, got, want in checks if got != want]


def alerting_inputs(stack: Stack, policies_dir: Path | None) -> tuple[dict, dict[str, bytes]]:
    """The rendered Alertmanager config (as data) and its template files, exactly as `generate` writes them."""
    from monitoring.render.estate import render_alerting

    files = render_alerting([stack], policies_dir)
    config_file = "alertmanager/alertmanager.yml"
    if config_file not in files:
        from monitoring.errors import DefinitionError

        raise DefinitionError(
            "no notification policy found: the end-to-end run needs policies/notifications.yaml",
            hint="run from the project folder or pass the policies folder",
        )
    templates = {
        name.removeprefix("alertmanager/"): data
        for name, data in files.items()
        if name.startswith("alertmanager/templates/")
    }
    return yaml.safe_load(files[config_file]), templates
