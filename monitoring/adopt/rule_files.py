"""Reading Prometheus rule files and PrometheusRule manifests, with the line of everything read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import promql_parser as pp

from monitoring.errors import DefinitionError, Location
from monitoring.pipeline.yamlfile import parse_documents, read_text
from monitoring.promql.parse import syntax_message

_RULE_KEYS = {"record", "alert", "expr", "for", "labels", "annotations"}


@dataclass
class SourceRule:
    kind: str  # "record" or "alert"
    name: str
    expr: str
    line: int
    for_: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # keys the model does not carry (keep_firing_for)


@dataclass
class SourceGroup:
    name: str
    interval: str
    rules: list[SourceRule]
    line: int
    ignored: list[str] = field(default_factory=list)  # keys the model does not carry (limit, ...)


def read_rule_file(path: Path, display: str) -> list[SourceGroup]:
    """Every group of a rule file or PrometheusRule manifest; a DefinitionError at file:line for a file that
    is not one, or an expression that does not parse."""
    documents = parse_documents(read_text(path, display), display)  # the bounded loader: file:line errors
    groups: list[SourceGroup] = []
    for document in documents:
        data = document.data
        if data is None:
            continue
        base: tuple = ()
        if isinstance(data, dict) and data.get("kind") == "PrometheusRule":
            data, base = data.get("spec"), ("spec",)
        if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
            raise DefinitionError(
                "not a Prometheus rule file: it has no top-level `groups` list",
                Location(display, document.line(base)),
                "give a rule file (groups: [{name, rules}]) or a PrometheusRule manifest (spec.groups)",
            )
        for g, group in enumerate(data["groups"]):
            path_g = base + ("groups", g)
            groups.append(_group(group, document, path_g, display))
    if not groups:
        raise DefinitionError("the file holds no rule groups", Location(display, 1), "a rule file has `groups:`")
    return groups


def _group(group, document, path: tuple, display: str) -> SourceGroup:
    where = Location(display, document.line(path))
    if not isinstance(group, dict) or not isinstance(group.get("name"), str):
        raise DefinitionError("a rule group needs a `name`", where)
    if not isinstance(group.get("rules") or [], list):
        raise DefinitionError(f"rule group {group['name']!r}: `rules` is not a list", where)
    items = group.get("rules") or []  # Prometheus loads a group without rules
    rules = [_rule(item, document, path + ("rules", r), display) for r, item in enumerate(items)]
    ignored = sorted(set(group) - {"name", "interval", "rules"})
    return SourceGroup(group["name"], str(group.get("interval") or ""), rules, document.line(path), ignored)


def _rule(item, document, path: tuple, display: str) -> SourceRule:
    where = Location(display, document.line(path))
    if not isinstance(item, dict):
        raise DefinitionError("a rule is a mapping with `record` or `alert` and `expr`", where)
    kind = "alert" if "alert" in item else "record" if "record" in item else None
    if kind is None or "expr" not in item or isinstance(item["expr"], (dict, list)) or item["expr"] is None:
        raise DefinitionError("a rule needs `record` or `alert`, and `expr`", where)
    unknown = sorted(set(item) - _RULE_KEYS - {"keep_firing_for"})
    if unknown:
        raise DefinitionError(f"unknown rule field(s): {', '.join(unknown)}", where, "Prometheus would refuse the file")
    expr = str(item["expr"])
    expr_where = Location(display, document.line(path + ("expr",)))
    try:
        pp.parse(expr)
    except ValueError as exc:
        raise DefinitionError(syntax_message(expr, str(exc)), expr_where, "fix the expression in the source") from None
    return SourceRule(
        kind,
        str(item[kind]),
        expr,
        document.line(path),
        str(item.get("for") or ""),
        _strings(item.get("labels")),
        _strings(item.get("annotations")),
        sorted(set(item) - _RULE_KEYS - {kind}),
    )


def _strings(value) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in value.items()} if isinstance(value, dict) else {}
