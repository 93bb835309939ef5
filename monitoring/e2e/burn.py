"""The fast-burn proof: an SLO's page alert (14.4x over 1h and 5m) pages through PagerDuty, on real servers.

The SLO stack's windows run from 5 minutes to 3 days. At the fault waves' 60x a 1h window lasts a minute and a
3-day one 72 minutes, longer than the run, so the burn-rate alerts would fire at times no wave can predict (a window
longer than the data reads the whole run) and mute the waves' warnings through the critical-silences-warnings
inhibition. So the burn gets servers of its own (simulator, Prometheus with only the SLO stack's rules, Alertmanager
with the policy, sink), run beside the fault waves, with the timing overlay at ``SLO_SPEEDUP``: at 360x the 1h
window lasts 10 s, 5m is the overlay's minimum range of 4 s, ``for: 2m`` a third of a second, and the rule groups
are evaluated every second (not six times a second).

Steps: a warm-up of one long window, then healthy traffic for another long window plus an evaluation: nothing may
be pending or firing then, and no firing notice may arrive (the simulator's healthy error ratios and latencies are
inside the budgets). The warm-up is not judged: at this speed every window from 6h up is longer than the data and
reads all of it, and the first seconds hold one failed request among 30 to 100 (enhanced fails one request in 250):
up to a 3x burn for a few evaluations, enough for the 1x ticket alerts to fire and resolve. Real windows are never
that empty; the report counts the warm-up's notices. Then the fault, predicted from the
simulator's model to burn the SLI faster than the alert's factor. The page alert must fire in Prometheus and reach
exactly the receivers the route tree names, with its severity, runbook and dashboard links and the PagerDuty
routing key. Every other notice must be about the same SLO and model: the SLO's slower windows may fire too, since at
this speed they hold little more than the burn itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from monitoring.e2e.notices import Notice, read
from monitoring.e2e.overlay import fast_stack, scale_duration
from monitoring.e2e.run import POLL, alert_key, content_problems, overlay_files
from monitoring.e2e.scenario import ExpectedAlert, expectations
from monitoring.model import Stack
from monitoring.model.slo import EventRatio, Latency

SLO_SPEEDUP = 360.0
MIN_INTERVAL = 1.0  # seconds: rule groups and scrapes no faster than this


@dataclass
class BurnReport:
    speedup: float
    alert: str
    fault: str
    model: str
    factor: float  # the alert's burn-rate threshold
    predicted_burn: float  # the fault's burn rate, from the simulator's model
    expected: ExpectedAlert
    healthy_alerts: set[str] = field(default_factory=set)  # pending or firing before the fault
    healthy_notices: list[Notice] = field(default_factory=list)  # firing notices after the warm-up
    warm_up_notices: int = 0  # start-up artifacts (see the module's docstring), not judged
    firing_after: float | None = None  # s after injection, state "firing" in Prometheus
    notified_after: dict[str, float] = field(default_factory=dict)  # receiver -> first firing notice
    problems: list[str] = field(default_factory=list)  # wrong severity, links or routing key in a notice
    others: set[str] = field(default_factory=set)  # other alerts of the same SLO and model that were notified
    unexpected: list[Notice] = field(default_factory=list)  # notices about anything else, or unreadable
    timeouts: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        receivers = ", ".join(f"{r} after {s:.1f}s" for r, s in sorted(self.notified_after.items())) or "none"
        firing = "-" if self.firing_after is None else f"{self.firing_after:.1f}s"
        return (
            f"fast burn: {self.fault} on {self.model} burns at {self.predicted_burn:g}x (alert factor "
            f"{self.factor:g}), timings x{self.speedup:g}; {self.expected} firing in Prometheus after {firing}, "
            f"notified at {receivers}; also notified: {', '.join(sorted(self.others)) or 'nothing'}; "
            f"{self.warm_up_notices} notices in the warm-up; {self.seconds:.1f}s in all"
        )


def predicted_burn(stack_alert, fault: str, model: str) -> float:
    """The burn rate the fault causes on ``model`` for the alert's SLO, from the simulator's model of the service:
    its only bad events are failed requests (an event-ratio SLI) and slow ones (a latency SLI, uniform latencies)."""
    from monitoring.runtime.simulator import apply_faults

    slo = stack_alert.burn_rate.slo
    profile = apply_faults({fault: model}).models[model]
    if isinstance(slo.sli, EventRatio):
        bad = profile.error_ratio
    elif isinstance(slo.sli, Latency):
        low, high = profile.latency
        bad = min(max((high - slo.sli.under) / (high - low), 0.0), 1.0)
    else:
        raise ValueError(f"SLO {slo.name}: the simulator cannot predict a {type(slo.sli).__name__} SLI")
    return bad / slo.error_budget


class BurnRun:
    def __init__(
        self,
        stack: Stack,
        alert_name: str,
        fault: str,
        model: str,
        alertmanager_config: dict,
        speedup: float = SLO_SPEEDUP,
        log=None,
    ):
        from monitoring.alertmanager.inhibition import rules_from_config
        from monitoring.alertmanager.routing import route_from_config
        from monitoring.render.prometheus import render_rules

        alert = next((a for a in stack.alerts() if a.name == alert_name and a.burn_rate is not None), None)
        if alert is None:
            raise ValueError(f"stack {stack.name} has no burn-rate alert {alert_name!r}")
        self.stack, self.speedup, self.log = stack, speedup, log or (lambda text: None)
        self.alertmanager_config = alertmanager_config
        self.slo_alerts = {a.name for a in alert.burn_rate.slo.alerts()}
        window = alert.burn_rate.window
        burn = predicted_burn(alert, fault, model)
        if burn <= window.factor:
            raise ValueError(f"fault {fault} burns {burn:g}x, not above {alert_name}'s factor {window.factor:g}")
        self.fast = fast_stack(stack, speedup, min_interval=MIN_INTERVAL)
        self.rules = render_rules(self.fast)
        annotations = {r["alert"]: r["annotations"] for g in self.rules["groups"] for r in g["rules"] if "alert" in r}
        route = route_from_config(alertmanager_config["route"])
        inhibit = rules_from_config(alertmanager_config.get("inhibit_rules", []))
        [expected] = expectations({(alert_name, model)}, stack, route, inhibit, annotations)
        self.report = BurnReport(speedup, alert_name, fault, model, window.factor, burn, expected)
        evaluation = max(MIN_INTERVAL, *(self._seconds(g.interval) for g in self.fast.groups))
        # The long window fills, `for` passes, one more evaluation, the group waits: all at the overlay's speed.
        self.warm_up = self._seconds(window.long) / speedup
        self.healthy_seconds = self.warm_up + evaluation
        fill = self._seconds(window.long) / speedup * window.factor / burn  # the share of the window that must burn
        self.timeout = 3 * (fill + self._seconds(alert.for_) / speedup + evaluation) + 5.0

    @staticmethod
    def _seconds(duration: str) -> float:
        from monitoring.model.durations import parse_duration

        return parse_duration(duration)

    def local_stack(self, workdir: Path, templates: dict[str, bytes]):
        from monitoring.e2e.local_stack import LocalStack

        return LocalStack(
            workdir,
            {f"{self.stack.name}.rules.yml": self.rules},
            self.stack.name,
            alertmanager_files=lambda url, folder: overlay_files(
                self.alertmanager_config, url, folder, templates, self.speedup
            ),
            evaluation_interval=self.fast.groups[0].interval,
            resend_delay=scale_duration("1m", self.speedup, MIN_INTERVAL),
        )

    def execute(self, servers) -> BurnReport:
        started, report = time.monotonic(), self.report
        self.log(f"fast burn: warm-up {self.warm_up:.1f}s, healthy traffic for {self.healthy_seconds:.1f}s")
        time.sleep(self.warm_up)
        healthy = time.monotonic()
        deadline = healthy + self.healthy_seconds
        while time.monotonic() < deadline:
            report.healthy_alerts.update(f"{alert_key(a)} ({a['state']})" for a in servers.api.alerts())
            time.sleep(POLL)
        report.warm_up_notices = len(self._notices(servers, 0.0)) - len(self._notices(servers, healthy))
        # a resolve of a warm-up artifact may still arrive; anything firing is a burn of healthy traffic
        report.healthy_notices = [n for n in self._notices(servers, healthy) if n.status != "resolved"]

        injected = time.monotonic()
        servers.faults.inject(report.fault, report.model)
        self.log(f"fast burn: {report.fault} on {report.model}")
        expected = report.expected

        def paged() -> bool:
            for alert in servers.api.alerts():
                key = (alert["labels"]["alertname"], alert["labels"].get("model_name"))
                if key == expected.key and alert["state"] == "firing" and report.firing_after is None:
                    report.firing_after = time.monotonic() - injected
            for notice in self._notices(servers, injected):
                if notice.key == expected.key and notice.status == "firing" and notice.receiver in expected.receivers:
                    report.notified_after.setdefault(notice.receiver, notice.at - injected)
            return set(report.notified_after) == set(expected.receivers)

        deadline = injected + self.timeout
        while not paged() and time.monotonic() < deadline:
            time.sleep(POLL)
        if not paged():
            report.timeouts.append(f"{expected} at {', '.join(expected.receivers)}: not after {self.timeout:.0f}s")
        servers.faults.clear(report.fault)
        for notice in self._notices(servers, injected):
            if notice.key == expected.key and notice.receiver in expected.receivers and not notice.problem:
                report.problems.extend(content_problems(notice, expected, servers.alertmanager.url))
            elif (
                notice.alertname in self.slo_alerts - {expected.alertname}
                and notice.model == report.model
                and not notice.problem
            ):
                report.others.add(notice.alertname)
            else:
                report.unexpected.append(notice)
        report.seconds = time.monotonic() - started
        return report

    @staticmethod
    def _notices(servers, since: float) -> list[Notice]:
        return [n for d in servers.sink.deliveries(since=since) for n in read(d)]
