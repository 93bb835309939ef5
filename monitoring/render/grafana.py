"""Grafana dashboards: panels are built with grafanalib, then normalised to the current schema.

grafanalib still emits keys from old Grafana versions (``rows``, ``style``, ``span``...), which
Grafana's own dashboard JSON Schema (schemaVersion 42) rejects. We build with grafanalib for its
panel defaults and keep only what the current schema defines.
"""

from __future__ import annotations

import grafanalib.core as g

from monitoring.model import (
    Dashboard,
    Gauge,
    LabelVariable,
    Panel,
    PieChart,
    RawPanel,
    Stack,
    Stat,
    Table,
    Text,
    TimeSeries,
)
from monitoring.model.layout import layout
from monitoring.model.threshold import Threshold

SCHEMA_VERSION = 42
DATASOURCE_VARIABLE = "datasource"
DATASOURCE = {"type": "prometheus", "uid": f"${{{DATASOURCE_VARIABLE}}}"}

# Normalisation to schemaVersion 42, in one place. grafanalib builds the panels and variables; what it adds
# that Grafana's current schema does not define (legacy keys, nulls) is dropped, keeping only these keys.
V42_KEYS = {
    "panel": frozenset(
        (
            "type id pluginVersion targets title description transparent datasource gridPos links repeat "
            "repeatDirection maxPerRow maxDataPoints transformations interval timeFrom timeShift hideTimeOverride "
            "libraryPanel options fieldConfig"
        ).split()
    ),
    "target": frozenset("expr legendFormat refId instant range format hide interval".split()),
    "field_defaults": frozenset("color custom mappings unit min max decimals".split()),
    # an imported RawPanel's field defaults and RawVariable: every key Grafana's current schema has
    "raw_field_defaults": frozenset(
        (
            "displayName displayNameFromDS description path writeable filterable unit decimals min max mappings "
            "thresholds color links actions noValue custom fieldMinMax"
        ).split()
    ),
    "raw_variable": frozenset(
        (
            "type name label hide skipUrlSync description query datasource current multi allowCustomValue options "
            "refresh sort includeAll allValue regex auto auto_min auto_count definition"
        ).split()
    ),
    "variable": (  # in this order (the order Grafana writes them)
        "type name label hide query datasource current multi includeAll allValue refresh sort regex options definition"
    ).split(),
}


def normalise(kind: str, data: dict) -> dict:
    """``data`` with only the keys schemaVersion 42 defines for ``kind`` (a key of V42_KEYS)."""
    keys = V42_KEYS[kind]
    if isinstance(keys, list):
        return {key: data.get(key) for key in keys}
    return {key: value for key, value in data.items() if key in keys}


def render_dashboards(stack: Stack) -> dict[str, dict]:
    """``{uid: dashboard JSON}`` for every dashboard of the stack."""
    return {d.uid: render_dashboard(d, stack) for d in stack.dashboards}


def render_dashboard(dashboard: Dashboard, stack: Stack) -> dict:
    panels = []
    for placement in layout(dashboard):
        grid = {"h": placement.h, "w": placement.w, "x": placement.x, "y": placement.y}
        if placement.panel is None:
            panels.append(
                {
                    "type": "row",
                    "id": placement.id,
                    "title": placement.row_title,
                    "collapsed": False,
                    "gridPos": grid,
                    "panels": [],
                }
            )
        else:
            panels.append(_panel(placement.panel, placement.id, grid))
    built = g.Dashboard(
        title=dashboard.title,
        uid=dashboard.uid,
        tags=list(dashboard.tags),
        description=dashboard.description,
        timezone="browser",
        refresh=dashboard.refresh,
        editable=True,
        time=g.Time(dashboard.time_from, "now"),
        templating=g.Templating(
            list=[_datasource_variable()] + [_label_variable(v) for v in dashboard.variables if _is_label(v)]
        ),
        links=[_link(link) for link in dashboard.links],
        panels=[],
    )
    built = _plain(built)
    result = {key: built[key] for key in ("title", "uid", "tags", "timezone", "refresh", "editable")}
    result.update(
        {
            "description": dashboard.description,
            "time": {"from": dashboard.time_from, "to": "now"},
            "schemaVersion": SCHEMA_VERSION,
            "version": 1,
            "graphTooltip": 1,  # shared crosshair: comparing models side by side is the point
            "fiscalYearStartMonth": 0,
            "liveNow": False,
            "weekStart": "",
            "templating": {
                "list": _variables(dashboard, [_clean(_variable_json(v)) for v in built["templating"]["list"]])
            },
            "annotations": {"list": [_alert_annotations()]},
            "links": [_clean(link) for link in built["links"]],
            "panels": panels,
        }
    )
    return result


def _panel(panel: Panel, panel_id: int, grid: dict) -> dict:
    if isinstance(panel, RawPanel):
        return _raw_panel(panel.json, panel_id, grid)
    targets = [
        g.Target(expr=q.text, legendFormat=q.legend, refId=chr(ord("A") + i), instant=q.instant)
        for i, q in enumerate(panel.queries)
    ]
    common = dict(
        title=panel.title,
        description=panel.description or None,
        dataSource=DATASOURCE,
        targets=targets,
        gridPos=g.GridPos(**grid),
        id=panel_id,
    )
    builder = _BUILDERS[type(panel)]
    data = _plain(builder(panel, common))
    data = normalise("panel", data)
    data["id"], data["gridPos"], data["datasource"] = panel_id, grid, DATASOURCE
    if isinstance(panel, Text):
        for key in ("targets", "datasource", "maxDataPoints", "transformations"):
            data.pop(key, None)
        data["fieldConfig"] = {"defaults": {}, "overrides": []}
    else:
        data["targets"] = [_target(_plain(t), q.instant) for t, q in zip(targets, panel.queries)]
        data["fieldConfig"] = _field_config(panel, data.get("fieldConfig", {}))
    if isinstance(panel, Table):
        data["transformations"] = [{"id": "merge", "options": {}}]
    return _clean(data)


def _raw_panel(source: dict, panel_id: int, grid: dict) -> dict:
    """An imported panel of a kind the model lacks: its JSON with only the keys schema v42 defines, its
    queries on the dashboard's data source variable."""
    data = normalise("panel", source)
    data["id"], data["gridPos"] = panel_id, grid
    if "targets" in data:
        data["datasource"] = DATASOURCE
        data["targets"] = [
            {**normalise("target", t), "datasource": DATASOURCE} for t in data["targets"] if isinstance(t, dict)
        ]
    else:
        data.pop("datasource", None)
    field_config = data.get("fieldConfig")
    if isinstance(field_config, dict):
        defaults = normalise("raw_field_defaults", field_config.get("defaults") or {})
        steps = (defaults.get("thresholds") or {}).get("steps")
        if isinstance(steps, list):  # exports leave out the base step's null value; the schema requires it
            defaults["thresholds"] = {**defaults["thresholds"], "steps": [{"value": None, **s} for s in steps]}
        data["fieldConfig"] = {"defaults": defaults, "overrides": field_config.get("overrides") or []}
    return data


def _is_label(variable) -> bool:
    return isinstance(variable, LabelVariable)


def _variables(dashboard: Dashboard, built: list[dict]) -> list[dict]:
    """The built variables (data source, then label variables), with raw ones in their place in between."""
    built_iter = iter(built[1:])
    result = [built[0]]
    for variable in dashboard.variables:
        if _is_label(variable):
            result.append(next(built_iter))
        else:
            raw = normalise("raw_variable", variable.json)
            if not raw.get("current"):  # an empty selection: the schema requires text and value when present
                raw.pop("current", None)
            if isinstance(raw.get("query"), dict):  # Grafana 9+ exports {query, refId}; the schema has the text
                raw["query"] = str(raw["query"].get("query", ""))
            if isinstance(raw.get("datasource"), (dict, str)):
                raw["datasource"] = DATASOURCE
            result.append(_clean(raw))
    return result


def _timeseries(panel: TimeSeries, common: dict):
    return g.TimeSeries(
        **common,
        unit=panel.unit or "short",
        legendDisplayMode=_legend_mode(panel),
        legendPlacement="bottom",
        tooltipMode="multi",
        stacking={"mode": "normal"} if panel.stack else {"mode": "none"},
        thresholdsStyleMode="line" if panel.thresholds and panel.show_thresholds else "off",
    )


def _stat(panel: Stat, common: dict):
    return g.Stat(
        **common,
        format=panel.unit or "short",
        reduceCalc=panel.reduce,
        graphMode="area",
        colorMode="value",
        textMode="value_and_name",
    )


def _gauge(panel: Gauge, common: dict):
    return g.GaugePanel(**common, format=panel.unit or "short", calc=panel.reduce)


def _piechart(panel: PieChart, common: dict):
    return g.PieChartv2(
        **common,
        unit=panel.unit or "short",
        pieType="donut" if panel.donut else "pie",
        reduceOptionsCalcs=[panel.reduce],
        legendDisplayMode=_legend_mode(panel),
        legendPlacement="right",
        legendValues=["percent"],
    )


def _table(panel: Table, common: dict):
    return g.Table(**common, unit=panel.unit or "short")


def _text(panel: Text, common: dict):
    common = {k: v for k, v in common.items() if k not in ("targets", "dataSource")}
    return g.Text(**common, content=panel.content, mode="markdown" if panel.markdown else "html")


_BUILDERS = {TimeSeries: _timeseries, Stat: _stat, Gauge: _gauge, PieChart: _piechart, Table: _table, Text: _text}


def _legend_mode(panel: Panel) -> str:
    return {"hidden": "hidden", "table": "table", "list": "list"}[panel.legend]


def _field_config(panel: Panel, built: dict) -> dict:
    defaults = normalise("field_defaults", dict(built.get("defaults") or {}))
    defaults["unit"] = panel.unit or "short"
    defaults["decimals"] = panel.decimals
    defaults["min"], defaults["max"] = panel.min, panel.max
    defaults["thresholds"] = thresholds_json(panel.thresholds)
    if panel.thresholds is not None and not isinstance(panel, (TimeSeries, PieChart)):
        defaults["color"] = {"mode": "thresholds"}
    elif not defaults.get("color"):
        defaults["color"] = {"mode": "palette-classic"}
    defaults.setdefault("mappings", [])
    return {"defaults": defaults, "overrides": []}


def thresholds_json(threshold: Threshold | None) -> dict:
    """Grafana steps straight from the Threshold object; the first step is minus infinity (null)."""
    if threshold is None:
        return {"mode": "absolute", "steps": [{"color": "green", "value": None}]}
    return {"mode": "absolute", "steps": [{"color": s.color, "value": s.value} for s in threshold.steps]}


def _target(data: dict, instant: bool) -> dict:
    target = normalise("target", data)
    target["datasource"] = DATASOURCE
    target["instant"], target["range"] = instant, not instant
    target["format"] = "table" if instant else "time_series"
    target["editorMode"] = "code"
    return target


def _datasource_variable():
    return g.Template(
        name=DATASOURCE_VARIABLE,
        label="Data source",
        type="datasource",
        query="prometheus",
        includeAll=False,
        multi=False,
    )


def _label_variable(variable):
    return g.Template(
        name=variable.name,
        label=variable.name.replace("_", " "),
        query=f"label_values({variable.metric.name}, {variable.name})",
        dataSource=DATASOURCE,
        includeAll=variable.include_all,
        multi=variable.multi,
        refresh=2,
        sort=1,
        allValue=".*" if variable.include_all else None,
    )


def _variable_json(data: dict) -> dict:
    variable = normalise("variable", data)
    if variable["type"] == "datasource":
        variable["datasource"] = None
        variable["regex"] = ""
        variable["current"] = {"text": "default", "value": "default"}
        variable["options"] = []
        variable["refresh"] = 1
    else:
        variable["datasource"] = DATASOURCE
        variable["definition"] = variable["query"]
        variable["current"] = {"text": ["All"], "value": ["$__all"]} if variable["includeAll"] else None
        variable["options"] = []
        variable["regex"] = ""
    variable["hide"] = 0
    return variable


def _link(link) -> g.DashboardLink:
    if link.url:
        return g.DashboardLink(
            title=link.title,
            uri=link.url,
            type="link",
            asDropdown=False,
            tags=[],
            keepTime=False,
            includeVars=False,
            targetBlank=True,
            icon="doc",
        )
    return g.DashboardLink(
        title=link.title,
        uri="",
        type="dashboards",
        asDropdown=True,
        tags=list(link.tags),
        keepTime=True,
        includeVars=True,
        targetBlank=False,
        icon="external link",
    )


def _alert_annotations() -> dict:
    return {
        "builtIn": 1,
        "datasource": {"type": "grafana", "uid": "-- Grafana --"},
        "enable": True,
        "hide": True,
        "iconColor": "rgba(0, 211, 255, 1)",
        "name": "Annotations & Alerts",
        "type": "dashboard",
    }


def _clean(value):
    """Drop None values grafanalib leaves behind (the schema has no nulls there), recursively.

    Threshold step values are the exception: null there means minus infinity.
    """
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None or k == "value"}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _plain(value):
    """grafanalib objects to plain dicts, recursively (what its JSON encoder does, without the JSON)."""
    if hasattr(value, "to_json_data"):
        return _plain(value.to_json_data())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
