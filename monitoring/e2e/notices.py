"""What a Slack or PagerDuty payload recorded by the sink says: which alert, which status, which links.

Slack and PagerDuty messages are rendered by the generated templates (generated/alertmanager/templates):
the title reads ``[FIRING:1] AlertName (model)`` or ``[RESOLVED] AlertName (model)``, Slack's text has one
block per alert with its severity, model, runbook and dashboard links, and PagerDuty's details carry
the same fields. A payload that cannot be read that way is reported as a problem, not skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitoring.e2e.sink import Delivery

TITLE = re.compile(r"^(?:\S+ )?\[(?P<status>FIRING|RESOLVED)(?::\d+)?\] (?P<alertname>\w+)(?: \((?P<model>[^)]+)\))?$")
SLACK_BLOCK = re.compile(
    r"\*Severity:\* `(?P<severity>[^`]*)`(?:\s+\*Model:\* `(?P<model>[^`]*)`)?\n"
    r"(?:<(?P<runbook>[^|>]+)\|Runbook>)?\s*(?:<(?P<dashboard>[^|>]+)\|Dashboard>)?"
)


@dataclass(frozen=True)
class Notice:
    at: float
    receiver: str
    integration: str  # slack, pagerduty or webhook
    status: str  # firing or resolved
    alertname: str
    model: str | None
    severity: str = ""
    runbook_url: str = ""
    dashboard_url: str = ""
    title_link: str = ""  # Slack title link / PagerDuty client_url
    routing_key: str = ""  # PagerDuty only
    authorization: str = ""  # webhook only: the Authorization header its http_config credentials made
    problem: str = ""  # set when the payload could not be read

    @property
    def key(self) -> tuple[str, str | None]:
        return self.alertname, self.model

    def __str__(self) -> str:
        model = f"{{model_name={self.model}}}" if self.model else ""
        return f"{self.status} {self.alertname}{model} -> {self.receiver} ({self.integration})"


def read(delivery: Delivery) -> list[Notice]:
    parts = delivery.path.strip("/").split("/")
    kind, receiver = (parts + ["", ""])[:2]
    reader = {"slack": _slack, "pagerduty": _pagerduty, "webhook": _webhook}.get(kind)
    if reader is None:
        return [_unreadable(delivery, receiver or "?", kind or "?", f"unexpected sink path {delivery.path}")]
    try:
        return reader(delivery, receiver)
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        return [_unreadable(delivery, receiver, kind, f"unreadable payload ({exc!r}): {delivery.payload}")]


def _unreadable(delivery, receiver, kind, problem) -> Notice:
    return Notice(delivery.at, receiver, kind, "?", "?", None, problem=problem)


def _title(delivery, receiver, kind, title):
    match = TITLE.match(title.strip())
    if match is None:
        return None, _unreadable(delivery, receiver, kind, f"title {title!r} does not read as [STATUS] Alert (model)")
    return match, None


def _slack(delivery: Delivery, receiver: str) -> list[Notice]:
    attachment = delivery.payload["attachments"][0]
    match, problem = _title(delivery, receiver, "slack", attachment["title"])
    if problem:
        return [problem]
    blocks = list(SLACK_BLOCK.finditer(attachment.get("text", "")))
    if not blocks:
        return [_unreadable(delivery, receiver, "slack", f"no alert block in text {attachment.get('text')!r}")]
    return [
        Notice(
            delivery.at,
            receiver,
            "slack",
            match["status"].lower(),
            match["alertname"],
            block["model"] or match["model"],
            block["severity"],
            block["runbook"] or "",
            block["dashboard"] or "",
            attachment.get("title_link", ""),
        )
        for block in blocks
    ]


def _pagerduty(delivery: Delivery, receiver: str) -> list[Notice]:
    payload = delivery.payload
    match, problem = _title(delivery, receiver, "pagerduty", payload["payload"]["summary"])
    if problem:
        return [problem]
    details = payload["payload"].get("custom_details", {})
    status = {"trigger": "firing", "resolve": "resolved"}.get(payload["event_action"], payload["event_action"])
    return [
        Notice(
            delivery.at,
            receiver,
            "pagerduty",
            status,
            match["alertname"],
            match["model"] or None,
            details.get("severity", ""),
            details.get("runbook", ""),
            details.get("dashboard", ""),
            payload.get("client_url", ""),
            payload.get("routing_key", ""),
        )
    ]


def _webhook(delivery: Delivery, receiver: str) -> list[Notice]:
    return [
        Notice(
            delivery.at,
            receiver,
            "webhook",
            alert["status"],
            alert["labels"]["alertname"],
            alert["labels"].get("model_name"),
            alert["labels"].get("severity", ""),
            alert["annotations"].get("runbook_url", ""),
            alert["annotations"].get("dashboard_url", ""),
            authorization=delivery.authorization,
        )
        for alert in delivery.payload["alerts"]
    ]
