"""Small JSON-over-HTTP clients for Prometheus' query API and the simulator's fault API."""

from __future__ import annotations

import json
import math
import urllib.parse
import urllib.request


def request_json(url: str, method: str = "GET", data: dict | None = None, timeout: float = 5.0):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


class Prometheus:
    def __init__(self, url: str):
        self.url = url.rstrip("/")

    def query(self, expr: str) -> list[dict]:
        """Instant query: the result vector (``[{"metric": {...}, "value": [ts, "v"]}]``)."""
        answer = request_json(f"{self.url}/api/v1/query", "POST", {"query": expr})
        if answer.get("status") != "success":
            raise RuntimeError(f"query failed: {expr}: {answer}")
        result = answer["data"]["result"]
        return result if isinstance(result, list) else [{"metric": {}, "value": result}]

    def finite_values(self, expr: str) -> list[float]:
        return [float(s["value"][1]) for s in self.query(expr) if math.isfinite(float(s["value"][1]))]

    def label_values(self, label: str, metric: str | None = None) -> list[str]:
        """What a Grafana ``label_values(metric, label)`` variable offers."""
        query = "?" + urllib.parse.urlencode({"match[]": metric}) if metric else ""
        return request_json(f"{self.url}/api/v1/label/{urllib.parse.quote(label)}/values{query}")["data"]

    def alerts(self) -> list[dict]:
        """Pending and firing alerts (``/api/v1/alerts``)."""
        return request_json(f"{self.url}/api/v1/alerts")["data"]["alerts"]

    def rule_health(self) -> dict[str, str]:
        """``{rule name: health}`` for every loaded rule (health "ok" once evaluated without error)."""
        groups = request_json(f"{self.url}/api/v1/rules")["data"]["groups"]
        return {rule["name"]: rule["health"] for group in groups for rule in group["rules"]}

    def rule_count(self) -> int:
        return sum(len(group["rules"]) for group in request_json(f"{self.url}/api/v1/rules")["data"]["groups"])

    def targets_up(self) -> bool:
        targets = request_json(f"{self.url}/api/v1/targets")["data"]["activeTargets"]
        return bool(targets) and all(t["health"] == "up" for t in targets)


class SimulatorClient:
    def __init__(self, url: str):
        self.url = url.rstrip("/")

    def inject(self, fault: str, model: str | None = None) -> dict:
        query = f"?model={urllib.parse.quote(model)}" if model else ""
        return request_json(f"{self.url}/faults/{fault}{query}", "POST", {})

    def clear(self, fault: str | None = None) -> dict:
        return request_json(f"{self.url}/faults" + (f"/{fault}" if fault else ""), "DELETE")

    def faults(self) -> dict:
        return request_json(f"{self.url}/faults")
