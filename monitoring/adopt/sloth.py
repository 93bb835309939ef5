"""Sloth (https://github.com/slok/sloth) in our terms: its SLO specs as our SLOs, and the rules `sloth generate`
wrote for them, read back per SLO (recording rules, page and ticket alerts, each alert's window pairs).

The comparison of both rule sets over time is in ``sloth_compare.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitoring.model.slo import SLO, WINDOW_PLACEHOLDER, EventQueries

SLOTH_WINDOW = "{{.window}}"
DEFAULT_PERIOD = "30d"  # sloth generate's default --default-slo-period


class UnsupportedSpec(ValueError):
    """A Sloth spec our SLO model cannot state (said with the reason)."""


def spec_body(doc: dict) -> dict:
    """The service-level part of a spec: `prometheus/v1` files hold it at the top, the Kubernetes
    PrometheusServiceLevel CRD under `spec`."""
    return doc["spec"] if doc.get("kind") == "PrometheusServiceLevel" else doc


def slo_name(sloth_name: str) -> str:
    """Our SLO names are snake_case: requests-availability -> requests_availability."""
    return re.sub(r"[^a-z0-9_]", "_", sloth_name.lower())


def slos_from_spec(doc: dict) -> dict[str, SLO]:
    """{sloth_id: our SLO} for every SLO of a spec. Sloth's `events` SLI becomes EventQueries over the same
    queries; the alert name and the page/ticket severities carry over; the period is Sloth's default (30d)."""
    body = spec_body(doc)
    service = body["service"]
    out = {}
    for spec in body["slos"]:
        sli = spec["sli"]
        events = sli.get("events")
        if events is None:
            kinds = ", ".join(sorted(sli)) or "none"
            raise UnsupportedSpec(f"SLO {spec['name']}: only Sloth's events SLI is mapped (this one has: {kinds})")
        alerting = spec.get("alerting", {})
        page = _severity(alerting, "page_alert", "pageAlert", "critical")
        ticket = _severity(alerting, "ticket_alert", "ticketAlert", "warning")
        out[f"{service}-{spec['name']}"] = SLO(
            slo_name(spec["name"]),
            float(spec["objective"]),
            EventQueries(
                errors=_query(events, "error_query", "errorQuery"),
                total=_query(events, "total_query", "totalQuery"),
            ),
            period=DEFAULT_PERIOD,
            alert_name=alerting.get("name", ""),
            page=page,
            ticket=ticket,
            description=spec.get("description", ""),
        )
    return out


def _query(events: dict, snake: str, camel: str) -> str:
    return (events.get(snake) or events[camel]).replace(SLOTH_WINDOW, WINDOW_PLACEHOLDER)


def _severity(alerting: dict, snake: str, camel: str, default: str) -> str:
    alert = alerting.get(snake) or alerting.get(camel) or {}
    return alert.get("labels", {}).get("severity", default)


# --- the rules Sloth generated ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SlothPair:
    """One `(short > factor x budget) and (long > factor x budget)` branch of a Sloth alert."""

    severity: str  # page or ticket (Sloth's sloth_severity label)
    short: str
    long: str
    factor: float
    error_budget: float
    expr: str


@dataclass(frozen=True)
class SlothSLO:
    sloth_id: str
    recording_rules: dict[str, tuple[str, dict]]  # record -> (expr, labels), as the evaluator takes them
    alerts: dict[str, str]  # sloth_severity -> the alert's expression
    pairs: tuple[SlothPair, ...]


_BRANCH = re.compile(
    r"slo:sli_error:ratio_rate(?P<window>\w+)\{[^}]*\} > \((?P<factor>[0-9.e+-]+) \* (?P<budget>[0-9.e+-]+)\)"
)


def rule_groups(doc: dict) -> list[dict]:
    """A rule file's groups, or a PrometheusRule's (spec.groups)."""
    return doc["spec"]["groups"] if doc.get("kind") == "PrometheusRule" else doc["groups"]


def read_generated(doc: dict) -> dict[str, SlothSLO]:
    """{sloth_id: its SLI recording rules and alerts} from what `sloth generate` wrote. Recording rules of
    different SLOs share names (told apart by labels), so each SLO gets its own table."""
    recording: dict[str, dict] = {}
    alerts: dict[str, dict] = {}
    for group in rule_groups(doc):
        for rule in group["rules"]:
            labels = {k: str(v) for k, v in (rule.get("labels") or {}).items()}
            if "record" in rule and rule["record"].startswith("slo:sli_error:"):
                sloth_id = labels["sloth_id"]
                recording.setdefault(sloth_id, {})[rule["record"]] = (rule["expr"], labels)
            elif "alert" in rule:
                sloth_id = _sloth_id_of(rule["expr"])
                alerts.setdefault(sloth_id, {})[labels["sloth_severity"]] = rule["expr"]
    out = {}
    for sloth_id, rules in recording.items():
        pairs = []
        for severity, expr in alerts.get(sloth_id, {}).items():
            for branch in _branches(expr):
                found = [m.groupdict() for m in _BRANCH.finditer(branch)]
                if len(found) != 2 or found[0]["factor"] != found[1]["factor"]:
                    raise ValueError(f"{sloth_id}: unexpected Sloth alert branch: {branch}")
                short, long = found[0]["window"], found[1]["window"]
                pairs.append(
                    SlothPair(severity, short, long, float(found[0]["factor"]), float(found[0]["budget"]), branch)
                )
        out[sloth_id] = SlothSLO(sloth_id, rules, alerts.get(sloth_id, {}), tuple(pairs))
    return out


def _sloth_id_of(expr: str) -> str:
    match = re.search(r'sloth_id="([^"]+)"', expr)
    if match is None:
        raise ValueError(f"a Sloth alert without sloth_id: {expr}")
    return match.group(1)


def _branches(expr: str) -> list[str]:
    """Sloth writes a severity's alert as `(quick pair)\\nor\\n(slow pair)`."""
    return [part.strip() for part in re.split(r"^\s*or\s*$", expr, flags=re.MULTILINE)]
