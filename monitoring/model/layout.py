"""Grid layout and panel ids, shared by the Grafana renderer and by alert links to panels."""

from __future__ import annotations

from dataclasses import dataclass

from monitoring.model.dashboard import Dashboard, slug
from monitoring.model.panel import Panel

GRID_WIDTH = 24


@dataclass(frozen=True)
class Placement:
    panel: Panel | None  # None for a row header
    row_title: str
    id: int
    x: int
    y: int
    w: int
    h: int


def layout(dashboard: Dashboard) -> list[Placement]:
    """Row headers span the grid; panels flow left to right and wrap, each row starting fresh."""
    placements: list[Placement] = []
    next_id, y = 1, 0
    for row in dashboard.rows:
        placements.append(Placement(None, row.title, next_id, 0, y, GRID_WIDTH, 1))
        next_id, y = next_id + 1, y + 1
        x, line_height = 0, 0
        for panel in row.panels:
            if x + panel.width > GRID_WIDTH:
                x, y, line_height = 0, y + line_height, 0
            placements.append(Placement(panel, row.title, next_id, x, y, panel.width, panel.height))
            next_id += 1
            x += panel.width
            line_height = max(line_height, panel.height)
        y += line_height
    return placements


def panel_id(dashboard: Dashboard, panel: Panel) -> int | None:
    for placement in layout(dashboard):
        if placement.panel is panel:
            return placement.id
    return None


def panel_url(grafana_url: str, dashboard: Dashboard, panel: Panel) -> str:
    """Link straight to one panel (Grafana's viewPanel)."""
    pid = panel_id(dashboard, panel)
    return f"{grafana_url.rstrip('/')}/d/{dashboard.uid}/{slug(dashboard.title)}?viewPanel={pid}"
