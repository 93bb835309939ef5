"""Grafana file-provisioning provider: tells Grafana to load the generated dashboards folder."""

from __future__ import annotations


def render_provider(dashboards_path: str = "/var/lib/grafana/dashboards/generated") -> dict:
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "monitoring-as-code",
                "orgId": 1,
                "folder": "Generated",
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,  # the definitions are the source of truth; UI edits would be lost
                "updateIntervalSeconds": 30,
                "options": {"path": dashboards_path, "foldersFromFilesStructure": False},
            }
        ],
    }
