"""Every query of every rendered dashboard panel, with template variables resolved as Grafana would."""

from __future__ import annotations

import re
from dataclasses import dataclass

_LABEL_VALUES = re.compile(r"^label_values\((?:(?P<metric>.+),\s*)?(?P<label>[a-zA-Z_][a-zA-Z0-9_]*)\)$")
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    ref_id: str
    expr: str  # as written in the dashboard, variables unresolved

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel} / {self.ref_id}: {self.expr}"


@dataclass(frozen=True)
class VariableQuery:
    dashboard: str
    name: str
    metric: str | None
    label: str


def panel_queries(dashboard: dict) -> list[PanelQuery]:
    found = []
    panels = list(dashboard.get("panels", []))
    while panels:
        panel = panels.pop(0)
        panels.extend(panel.get("panels", []))  # collapsed rows nest their panels
        for target in panel.get("targets", []):
            if target.get("expr") and not target.get("hide"):
                found.append(
                    PanelQuery(dashboard["title"], panel.get("title", ""), target.get("refId", ""), target["expr"])
                )
    return found


def variable_queries(dashboard: dict) -> list[VariableQuery]:
    found = []
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        query = query.get("query", "") if isinstance(query, dict) else query or ""
        match = _LABEL_VALUES.match(query.strip())
        if match is None:
            raise ValueError(f"{dashboard['title']}: variable {variable['name']}: unsupported query {query!r}")
        found.append(VariableQuery(dashboard["title"], variable["name"], match["metric"], match["label"]))
    return found


def default_selection(dashboard: dict, values: dict[str, list[str]]) -> dict[str, str]:
    """What each variable expands to on a fresh load: "All" becomes allValue, or every value as a regex."""
    selection = {}
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        current = variable.get("current", {}).get("value")
        current = current if isinstance(current, list) else [current]
        if "$__all" in current:
            chosen = variable.get("allValue") or "(" + "|".join(re.escape(v) for v in values[variable["name"]]) + ")"
        else:
            chosen = "(" + "|".join(re.escape(str(v)) for v in current) + ")" if len(current) > 1 else str(current[0])
        selection[variable["name"]] = chosen
    return selection


def resolve(expr: str, selection: dict[str, str], builtins: dict[str, str]) -> str:
    """Replace $var, ${var} and [[var]] by their values; unknown variables are an error, not left in."""

    def value(match: re.Match) -> str:
        name = next(group for group in match.groups() if group)
        if name in selection:
            return selection[name]
        if name in builtins:
            return builtins[name]
        raise KeyError(f"variable ${name} has no value in: {expr}")

    return _VARIABLE.sub(value, expr)
