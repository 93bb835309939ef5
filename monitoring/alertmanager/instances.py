"""The alert instances an alert can fire with: what routing and inhibition are evaluated on."""

from __future__ import annotations

import itertools

from monitoring.model import Alert, Stack
from monitoring.model.conditions import Absent
from monitoring.promql.labels import label_values, result_labels


def alert_instances(alert: Alert, stack: Stack) -> list[dict[str, str]]:
    """Every label set the alert can fire with: its own labels x known values of the labels it keeps.

    Labels it keeps without known values (job, instance) are left out: routing cannot depend on them.
    """
    static = {"alertname": alert.name, **stack.alert_labels(alert)}
    # absent(selector) keeps none of the selector's labels but its equality matchers' (job="..."): read the whole
    # expression; a raw condition too
    signal = alert.expr if isinstance(alert.condition, Absent) else getattr(alert.condition, "signal", alert.expr)
    kept = sorted(result_labels(signal, stack) - set(static))
    known = label_values(stack)
    varying = [label for label in kept if label in known]
    instances = []
    for combo in itertools.product(*(known[label] for label in varying)):
        instances.append({**static, **dict(zip(varying, combo))})
    return instances
