"""Does a generated rule file say what its source said? Rule by rule: name, labels, annotations, `for`, and
the expression tree (both parsed; promql-parser's prettified text compared)."""

from __future__ import annotations

from monitoring.adopt.condition import normalised
from monitoring.adopt.rule_files import SourceGroup
from monitoring.model.rules import parse_duration


def compare_rules(source: list[SourceGroup], rendered: dict) -> tuple[int, int, list[str]]:
    """(rules preserved, rules in the source, what differs: one line per rule, and per group whose interval
    changed)."""
    problems: list[str] = []
    preserved = total = 0
    groups = rendered.get("groups", [])
    for g, group in enumerate(source):
        same_group = g < len(groups) and groups[g]["name"] == group.name
        out_rules = groups[g]["rules"] if same_group else []
        if same_group and _seconds(groups[g].get("interval")) != _seconds(group.interval):
            problems.append(f"group {group.name!r}: interval {groups[g].get('interval')!r} for {group.interval!r}")
        for r, rule in enumerate(group.rules):
            total += 1
            got = out_rules[r] if r < len(out_rules) else None
            difference = _difference(rule, got)
            if difference:
                problems.append(f"group {group.name!r}, {rule.kind} {rule.name}: {difference}")
            else:
                preserved += 1
    return preserved, total, problems


def _difference(rule, got: dict | None) -> str:
    if got is None:
        return "missing from the generated file"
    if got.get(rule.kind) != rule.name:
        return f"name {got.get(rule.kind)!r}"
    if normalised(got["expr"]) != normalised(rule.expr):
        return f"expression differs: {got['expr']!r}"
    if dict(got.get("labels") or {}) != rule.labels:
        return f"labels {got.get('labels')} instead of {rule.labels}"
    if rule.kind == "record":
        return ""
    if dict(got.get("annotations") or {}) != rule.annotations:
        return f"annotations {got.get('annotations')} instead of {rule.annotations}"
    if _seconds(got.get("for")) != _seconds(rule.for_):
        return f"for {got.get('for')!r} instead of {rule.for_!r}"
    return ""


def _seconds(text) -> float:
    return parse_duration(text) if text else 0.0


def compare_dashboard(source: dict, rendered: dict) -> tuple[int, int, list[str]]:
    """(panels preserved, panels in the source, what differs): each panel's queries, unit and threshold steps."""
    from monitoring.adopt.dashboards import source_panels, source_steps, source_unit

    theirs = [p for _, panels in source_panels(source) for p in panels]
    ours = [p for p in rendered.get("panels", []) if p.get("type") != "row"]
    problems, preserved = [], 0
    for n, panel in enumerate(theirs):
        got = ours[n] if n < len(ours) else None
        title = panel.get("title") or f"#{n + 1}"
        if got is None:
            problems.append(f"panel {title!r}: missing")
            continue
        wanted_queries = [str(t["expr"]) for t in panel.get("targets") or [] if t.get("expr") and not t.get("hide")]
        got_queries = [t["expr"] for t in got.get("targets") or [] if t.get("expr") and not t.get("hide")]
        defaults = (got.get("fieldConfig") or {}).get("defaults") or {}
        wanted_unit, got_unit = source_unit(panel), defaults.get("unit", "")
        wanted_steps = [v for v, _ in source_steps(panel)[1:]]
        got_steps = [s.get("value") for s in (defaults.get("thresholds") or {}).get("steps", [])[1:]]
        if wanted_queries != got_queries:
            problems.append(f"panel {title!r}: queries {got_queries} instead of {wanted_queries}")
        elif wanted_unit and wanted_unit != got_unit:
            problems.append(f"panel {title!r}: unit {got_unit!r} instead of {wanted_unit!r}")
        elif wanted_steps != got_steps:
            problems.append(f"panel {title!r}: threshold steps {got_steps} instead of {wanted_steps}")
        else:
            preserved += 1
    return preserved, len(theirs), problems
