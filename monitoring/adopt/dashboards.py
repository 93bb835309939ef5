"""Grafana dashboard JSON -> a definitions file with one Stack holding the Dashboard and its inferred catalog.

Panels of the model's kinds become TimeSeries, Stat, Gauge, PieChart, Table and Text (the old ``graph`` and
``singlestat`` included); any other kind, or a panel whose queries are not PromQL we parse, is kept as a
RawPanel carrying its JSON. Every approximation is listed in the notes the command prints.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from monitoring.adopt import pysource as py
from monitoring.adopt.references import split_references
from monitoring.adopt.rules import Imported
from monitoring.errors import DefinitionError, Location
from monitoring.model.dashboard import _UID_RE
from monitoring.model.threshold import _COLOUR_RE
from monitoring.promql.catalog import infer_catalog
from monitoring.promql.parse import grafana_to_promql

_KINDS = {
    "timeseries": "TimeSeries",
    "graph": "TimeSeries",
    "stat": "Stat",
    "singlestat": "Stat",
    "gauge": "Gauge",
    "piechart": "PieChart",
    "table": "Table",
    "text": "Text",
}


def read_dashboard(path: Path, display: str) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"cannot read the file: {exc}", Location(display)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError(
            f"not JSON: {exc.msg}", Location(display, exc.lineno, exc.colno), "export the dashboard as JSON"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("dashboard"), dict):
        data = data["dashboard"]  # the HTTP API's {dashboard, meta}
    if not isinstance(data, dict) or not ("panels" in data or "rows" in data):
        raise DefinitionError(
            "not a Grafana dashboard: no `panels` or `rows`", Location(display, 1), "export the dashboard JSON"
        )
    return data


def import_dashboard_files(paths: list[Path]) -> dict[str, Imported]:
    from monitoring.adopt.files import module_file, stack_name

    taken: set[str] = set()
    result = {}
    for path in paths:
        data = read_dashboard(path, str(path))
        # "-dashboard": beside the rule files' stacks (node-exporter.rules.yml, node-exporter.json) in one folder
        name = stack_name(path.with_name(path.name.removesuffix(".json") + "-dashboard.json"), taken)
        imported = DashboardWriter(data, str(path), name).write()
        result[module_file(imported.stack_name)] = imported
    return result


def source_panels(data: dict) -> list[tuple[str, list[dict]]]:
    """(row title, panels) in order, for both the current layout and the old ``rows`` one."""
    rows: list[tuple[str, list[dict]]] = []
    if isinstance(data.get("rows"), list):
        for n, row in enumerate(data["rows"], 1):
            panels = [dict(p, _legacy_row=row) for p in row.get("panels") or [] if isinstance(p, dict)]
            rows.append((str(row.get("title") or f"Row {n}"), panels))
    for panel in data.get("panels") or []:
        if not isinstance(panel, dict):
            continue
        if panel.get("type") == "row":
            nested = [p for p in panel.get("panels") or [] if isinstance(p, dict)]  # a collapsed row's own
            rows.append((str(panel.get("title") or "Row"), nested))
        else:
            if not rows:
                rows.append(("General", []))
            rows[-1][1].append(panel)
    return [(title, panels) for title, panels in rows if panels]


class DashboardWriter:
    def __init__(self, data: dict, display: str, stack_name: str):
        self.data, self.display, self.stack_name = data, display, stack_name
        self.notes: list[str] = []
        self.taken: set[str] = {"STACK", "DASHBOARD"}
        self.used: set[str] = {"Stack", "Dashboard", "Row"}
        self.references: dict[str, str] = {}
        self.titles: set[str] = set()  # unique within a dashboard
        self.counts = {"rows": 0, "panels": 0, "raw panels": 0, "queries": 0, "metrics": 0}

    def write(self) -> Imported:
        rows = source_panels(self.data)
        expressions = [e for _, panels in rows for p in panels if self._parses(p) for e in _exprs(p)]
        metrics = infer_catalog(expressions, grafana=True)
        lines: list[str] = []
        from monitoring.adopt.rules import RuleFileWriter

        catalog = RuleFileWriter([], self.display, self.stack_name)
        catalog.taken = self.taken
        metric_codes = catalog._catalog(metrics)
        lines += catalog.lines
        self.used |= catalog.used - {"RuleGroup"}
        self.references = catalog.references
        self.counts["metrics"] = len(metrics)
        row_nodes = [self._row(title, panels) for title, panels in rows]
        dashboard = py.Call("Dashboard", [py.string(str(self.data.get("title") or self.stack_name))], self._options())
        dashboard.kwargs.insert(0, ("rows", py.Seq(row_nodes)))
        lines += ["", "", f"DASHBOARD = {py.render(dashboard, 0, len('DASHBOARD = '))}"]
        stack = py.Call(
            "Stack",
            [py.string(self.stack_name)],
            [("metrics", py.Seq(metric_codes)), ("dashboards", py.Seq(["DASHBOARD"]))],
        )
        lines += ["", f"STACK = {py.render(stack, 0, len('STACK = '))}"]
        return Imported(self.stack_name, self._header() + "\n".join(lines) + "\n", self.notes, self.counts)

    def _options(self) -> list:
        data, options = self.data, []
        uid = str(data.get("uid") or "")
        if uid and _UID_RE.match(uid):
            options.append(("uid", py.string(uid)))
        elif uid:
            self.notes.append(f"uid {uid!r} is not valid in Grafana's current schema: one is derived from the title")
        if data.get("tags"):
            options.append(("tags", py.Seq([py.string(str(t)) for t in data["tags"]])))
        if data.get("description"):
            options.append(("description", py.string(str(data["description"]))))
        variables = [v for v in (data.get("templating") or {}).get("list") or [] if isinstance(v, dict)]
        raw_variables = [v for v in variables if v.get("type") != "datasource" and v.get("name")]
        if raw_variables:
            self.used.add("RawVariable")
            options.append(("variables", py.Seq([py.Call("RawVariable", [literal(v)]) for v in raw_variables])))
        links = [self._link(link) for link in data.get("links") or [] if isinstance(link, dict)]
        if links:
            self.used.add("Link")
            options.append(("links", py.Seq(links)))
        time_from = (data.get("time") or {}).get("from")
        if time_from:
            options.append(("time_from", py.string(str(time_from))))
        options.append(("refresh", py.string(str(data.get("refresh") or ""))))
        return options

    def _link(self, link: dict) -> py.Call:
        title = py.string(str(link.get("title") or link.get("url") or "link"))
        if link.get("type") == "dashboards":
            return py.Call("Link", [title], [("tags", py.Seq([py.string(str(t)) for t in link.get("tags") or []]))])
        return py.Call("Link", [title], [("url", py.string(str(link.get("url") or "")))])

    def _row(self, title: str, panels: list[dict]) -> py.Call:
        self.counts["rows"] += 1
        nodes = []
        for panel in panels:
            self.counts["panels"] += 1
            nodes.append(self._panel(panel, self.titles))
        return py.Call("Row", [py.string(title), py.Seq(nodes)])

    def _parses(self, panel: dict) -> bool:
        import promql_parser

        try:
            for expr in _exprs(panel):
                promql_parser.parse(grafana_to_promql(expr))
        except ValueError:
            return False
        return True

    def _panel(self, panel: dict, titles: set[str]) -> py.Call:
        title = str(panel.get("title") or "").strip() or f"Panel {panel.get('id', len(titles) + 1)}"
        unique, n = title, 2
        while unique in titles:
            unique, n = f"{title} ({n})", n + 1
        if unique != title:
            self.notes.append(f"panel {title!r}: a second panel with this title is renamed {unique!r}")
        titles.add(unique)
        kind = _KINDS.get(str(panel.get("type")))
        targets = [t for t in panel.get("targets") or [] if isinstance(t, dict)]
        promql = all("expr" in t for t in targets) and self._parses(panel)
        grid = panel.get("gridPos") or {}
        width = int(grid.get("w") or min(24, int(panel.get("span") or 6) * 2))
        height = int(grid.get("h") or 8)
        sizes = [("width", str(max(1, min(24, width)))), ("height", str(max(1, height)))]
        if kind is None or not promql:
            self.counts["raw panels"] += 1
            why = f"kind {panel.get('type')!r}" if kind is None else "queries that are not PromQL we parse"
            self.notes.append(f"panel {unique!r}: {why}, kept as a RawPanel")
            self.used.add("RawPanel")
            cleaned = {k: v for k, v in panel.items() if k not in ("_legacy_row", "gridPos", "id")}
            return py.Call("RawPanel", [py.string(unique)], [*sizes, ("json", literal(cleaned))])
        self.used.add(kind)
        kwargs = []
        queries = [self._query(t) for t in targets if not t.get("hide")]
        self.counts["queries"] += len(queries)
        defaults = (panel.get("fieldConfig") or {}).get("defaults") or {}
        unit = defaults.get("unit") or _legacy_unit(panel)
        if unit:
            kwargs.append(("unit", py.string(str(unit))))
        decimals = defaults.get("decimals", panel.get("decimals"))
        if isinstance(decimals, int):
            kwargs.append(("decimals", str(decimals)))
        for key in ("min", "max"):
            if isinstance(defaults.get(key), (int, float)) and not isinstance(defaults.get(key), bool):
                kwargs.append((key, py.number(defaults[key])))
        legend = _legend(panel)
        if legend != "list" and kind != "Text":
            kwargs.append(("legend", py.string(legend)))
        threshold = self._threshold(unique, panel, defaults)
        if threshold is not None:
            kwargs.append(("thresholds", threshold))
        if panel.get("description"):
            kwargs.append(("description", py.string(str(panel["description"]))))
        if kind == "Text":
            content = (panel.get("options") or {}).get("content", panel.get("content", ""))
            mode = (panel.get("options") or {}).get("mode", panel.get("mode", "markdown"))
            kwargs.append(("content", py.string(str(content or ""))))
            if mode == "html":
                kwargs.append(("markdown", "False"))
            return py.Call(kind, [py.string(unique)], kwargs + sizes)
        return py.Call(kind, [py.string(unique), py.Seq(queries, "[]")], kwargs + sizes)

    def _query(self, target: dict):
        expr = py.fstring(split_references(str(target["expr"]), self.references))
        kwargs = []
        if target.get("legendFormat"):
            kwargs.append(("legend", py.string(str(target["legendFormat"]))))
        if target.get("instant"):
            kwargs.append(("instant", "True"))
        self.used.add("Query")
        return py.Call("Query", [expr], kwargs)

    def _threshold(self, title: str, panel: dict, defaults: dict):
        steps = _steps(panel, defaults)
        if not steps:
            return None
        values = [v for v, _ in steps[1:]]
        if steps[0][0] is not None or any(v is None for v in values) or values != sorted(set(values)):
            self.notes.append(f"panel {title!r}: thresholds not in increasing order, left out")
            return None
        self.used.update(("Threshold", "Step"))
        step_nodes = []
        for value, shade in steps:
            meaning = "base" if value is None else f"from {py.number(value)}"
            start = "None" if value is None else py.number(value)
            step_nodes.append(py.Call("Step", [start, py.string(shade), py.string(meaning)]))
        return py.Call("Threshold", [py.string(title)], [("steps", py.Seq(step_nodes))])

    def _header(self) -> str:
        counts = py.counted(self.counts)
        return (
            f'"""Imported by `monitoring import dashboards` from\n{self.display}\n\n'
            f"{counts}.\n\n"
            "The catalog is inferred from the queries: review the metric types and labels. Panels of kinds the\n"
            "model lacks are RawPanels carrying their JSON; the layout is recomputed from each panel's size.\n"
            '"""\n\n'
            f"{py.import_line(self.used)}\n"
        )


def _exprs(panel: dict) -> list[str]:
    return [str(t["expr"]) for t in panel.get("targets") or [] if isinstance(t, dict) and t.get("expr")]


def source_unit(panel: dict) -> str:
    """The unit a source panel shows its values in (current fieldConfig, or the old per-kind places)."""
    defaults = (panel.get("fieldConfig") or {}).get("defaults") or {}
    return str(defaults.get("unit") or _legacy_unit(panel))


def source_steps(panel: dict) -> list[tuple[float | None, str]]:
    """A source panel's threshold steps, the base step first."""
    return _steps(panel, (panel.get("fieldConfig") or {}).get("defaults") or {})


def _legacy_unit(panel: dict) -> str:
    if panel.get("type") == "graph":
        axes = panel.get("yaxes") or [{}]
        return str(axes[0].get("format") or "") if isinstance(axes[0], dict) else ""
    return str(panel.get("format") or "")


def _legend(panel: dict) -> str:
    legend = (panel.get("options") or {}).get("legend")
    if isinstance(legend, dict):
        if legend.get("showLegend") is False or legend.get("displayMode") == "hidden":
            return "hidden"
        return "table" if legend.get("displayMode") == "table" else "list"
    legend = panel.get("legend")
    if isinstance(legend, dict):
        if legend.get("show") is False:
            return "hidden"
        return "table" if legend.get("alignAsTable") else "list"
    return "list"


def _steps(panel: dict, defaults: dict) -> list[tuple[float | None, str]]:
    steps = (defaults.get("thresholds") or {}).get("steps")
    if isinstance(steps, list) and steps:
        found = [(s.get("value"), colour(s.get("color"))) for s in steps if isinstance(s, dict)]
        # Grafana draws the first step from minus infinity whatever value it holds
        return [(None, found[0][1])] + found[1:] if found else []
    if panel.get("type") == "singlestat" and isinstance(panel.get("thresholds"), str) and panel["thresholds"].strip():
        try:
            values = [float(v) for v in panel["thresholds"].split(",") if v.strip()]
        except ValueError:
            return []
        colours = list(panel.get("colors") or []) + ["green"] * 3
        return [(None, colour(colours[0]))] + [(v, colour(colours[i + 1])) for i, v in enumerate(values)]
    return []


def colour(text) -> str:
    """A Grafana colour the model accepts: named or #RRGGBB (rgb()/rgba() converted, alpha dropped)."""
    text = str(text or "green").strip()
    if _COLOUR_RE.match(text):
        return text
    match = re.match(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)", text)
    if match:
        return "#" + "".join(f"{min(255, int(c)):02x}" for c in match.groups())
    if re.match(r"^#[0-9a-fA-F]{3}$", text):
        return "#" + "".join(c * 2 for c in text[1:])
    return "green"


def literal(value):
    """A JSON value as a Python literal tree."""
    if isinstance(value, dict):
        return py.Dict([(py.string(str(k)), literal(v)) for k, v in value.items()])
    if isinstance(value, list):
        return py.Seq([literal(v) for v in value], "[]")
    if isinstance(value, str):
        return py.string(value)
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)
