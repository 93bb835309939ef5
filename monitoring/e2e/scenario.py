"""What each fault must produce, end to end, and which faults can run at the same time.

For a fault, the simulator's signal model says which alerts fire (``simulator.expected_alerts``); the
catalog's label inference gives their label sets; the rendered Alertmanager config's route tree and
inhibit rules (evaluated by ``alertmanager.routing`` / ``alertmanager.inhibition``, which the routing tests
hold to amtool) say which receivers get each one, or that another alert of the same fault mutes it.

Faults run in waves to keep the run short. Two faults share a wave only when neither can hide a
mistake of the other: they fire disjoint alert names (a stray alert cannot be mistaken for an expected
one) and together they mute exactly what each mutes alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitoring.alertmanager.inhibition import InhibitRule, inhibited_by
from monitoring.alertmanager.instances import alert_instances
from monitoring.alertmanager.routing import Route, receivers_for
from monitoring.model import Alert, Stack
from monitoring.model.conditions import Absent


@dataclass(frozen=True)
class ExpectedAlert:
    labels: tuple[tuple[str, str], ...]
    receivers: tuple[str, ...]  # empty when inhibited
    inhibited_by: tuple[str, ...]  # alert names that mute it while the fault is on
    runbook_url: str
    dashboard_url: str

    @property
    def alertname(self) -> str:
        return dict(self.labels)["alertname"]

    @property
    def model(self) -> str | None:
        return dict(self.labels).get("model_name")

    @property
    def key(self) -> tuple[str, str | None]:
        return self.alertname, self.model

    def __str__(self) -> str:
        return f"{self.alertname}{{model_name={self.model}}}" if self.model else self.alertname


@dataclass(frozen=True)
class FaultPlan:
    fault: str
    model: str
    alerts: tuple[ExpectedAlert, ...]  # everything Prometheus should fire while the fault is on

    @property
    def delivered(self) -> tuple[ExpectedAlert, ...]:
        return tuple(a for a in self.alerts if not a.inhibited_by)


def fault_plan(
    fault: str,
    model: str,
    stack: Stack,
    route: Route,
    inhibit_rules: list[InhibitRule],
    annotations: dict[str, dict[str, str]],
) -> FaultPlan:
    from monitoring.runtime.simulator import expected_alerts

    alerts = expectations(expected_alerts({fault: model}), stack, route, inhibit_rules, annotations)
    return FaultPlan(fault, model, alerts)


def expectations(
    keys: set[tuple[str, str | None]],
    stack: Stack,
    route: Route,
    inhibit_rules: list[InhibitRule],
    annotations: dict[str, dict[str, str]],
) -> tuple[ExpectedAlert, ...]:
    """What the alerts ``keys`` ((name, model_name or None)), firing together, must produce: their label sets,
    the receivers the route tree names, or the alerts among them that mute them."""
    firing = _label_sets(keys, stack)
    alerts = []
    for labels in firing:
        muted = sorted({source["alertname"] for _, source in inhibited_by(labels, firing, inhibit_rules)})
        notes = annotations.get(labels["alertname"], {})
        alerts.append(
            ExpectedAlert(
                tuple(sorted(labels.items())),
                () if muted else tuple(receivers_for(route, labels)),
                tuple(muted),
                notes.get("runbook_url", ""),
                notes.get("dashboard_url", ""),
            )
        )
    return tuple(sorted(alerts, key=lambda a: (a.alertname, a.model or "")))


def always_firing(stack: Stack) -> tuple[Alert, ...]:
    """Constant alerts (a ``vector(1)`` Watchdog): firing from the first evaluation to the last, whatever happens."""
    from monitoring.testgen.constant import is_constant

    return tuple(a for a in stack.alerts() if is_constant(a))


def absence_alerts(stack: Stack) -> tuple[Alert, ...]:
    """``absent(...)`` alerts: quiet while the service reports, firing once it stops."""
    return tuple(a for a in stack.alerts() if isinstance(a.condition, Absent))


def _label_sets(keys: set[tuple[str, str | None]], stack: Stack) -> list[dict[str, str]]:
    found = []
    for alert in stack.alerts():
        for instance in alert_instances(alert, stack):
            if (alert.name, instance.get("model_name")) in keys:
                found.append(instance)
    missing = keys - {(i["alertname"], i.get("model_name")) for i in found}
    if missing:
        raise ValueError(f"the simulator expects alerts the stack cannot fire: {sorted(missing, key=str)}")
    return found


def plan_waves(plans: list[FaultPlan], inhibit_rules: list[InhibitRule]) -> list[list[FaultPlan]]:
    """Greedy: each fault joins the first wave it does not interfere with, in the given order."""
    waves: list[list[FaultPlan]] = []
    for plan in plans:
        for wave in waves:
            if _compatible(wave + [plan], inhibit_rules):
                wave.append(plan)
                break
        else:
            waves.append([plan])
    return waves


def _compatible(wave: list[FaultPlan], inhibit_rules: list[InhibitRule]) -> bool:
    names = [{a.alertname for a in plan.alerts} for plan in wave]
    if len(set().union(*names)) != sum(len(n) for n in names):
        return False
    firing = [dict(a.labels) for plan in wave for a in plan.alerts]
    for plan in wave:
        for alert in plan.alerts:
            muted_in_wave = sorted({s["alertname"] for _, s in inhibited_by(dict(alert.labels), firing, inhibit_rules)})
            if tuple(muted_in_wave) != alert.inhibited_by:
                return False
    return True
