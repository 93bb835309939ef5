"""rule-file: a file given to ``monitoring lint FILE`` must be a Prometheus rule file Prometheus accepts.

Why: Prometheus refuses to load the whole file when one field is unknown or one name is invalid,
so every rule in it silently stops being evaluated. promtool finds these too, but only when run.
Valid names depend on the Prometheus that loads the file (``prometheus_version`` in policies/lint.yaml):
2.x needs legacy names (``[a-zA-Z_:][a-zA-Z0-9_:]*`` for series, no colon in label names), 3.x accepts
any UTF-8 name.
Also accepted: Kubernetes PrometheusRule manifests (their ``spec.groups``). promtool unit-test
files are recognised and skipped (their input series and expressions are still syntax-checked).

Bad::

    groups:
      - name: alerts
        namespace: team-a          # unknown field: the file does not load
        rules:
          - record: error-ratio    # not a valid metric name
            expr: sum(rate(errors_total[5m]))

Good::

    groups:
      - name: alerts
        rules:
          - record: job:errors:rate5m
            expr: sum by (job) (rate(errors_total[5m]))
"""

from __future__ import annotations

import re

from monitoring.lint.finding import Problem
from monitoring.model.rules import parse_duration

NAME = "rule-file"
SEVERITY = "error"
NEEDS_CATALOG = False

# Prometheus 2.x/3.x rulefmt fields (labels and query_offset on groups are 2.53+/3.x).
GROUP_FIELDS = {"name", "interval", "rules", "limit", "query_offset", "labels"}
RULE_FIELDS = {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*\Z")


def check(ctx):
    utf8 = ctx.config.utf8_names
    for document in ctx.documents:
        if document.kind == "invalid":
            yield Problem(
                document.where(),
                document.problem,
                "a rule file is a mapping with a 'groups' list (or a PrometheusRule manifest)",
            )
        elif document.kind in ("rules", "crd"):
            yield from _groups(document, utf8)


def _groups(document, utf8: bool):
    base = document.groups_path
    groups = document.yaml.data["spec"]["groups"] if document.kind == "crd" else document.yaml.data["groups"]
    if not isinstance(groups, list):
        yield Problem(document.where(base), "'groups' is not a list", "groups: [{name: ..., rules: [...]}]")
        return
    seen = set()
    for g, group in enumerate(groups):
        path = base + (g,)
        if not isinstance(group, dict):
            yield Problem(document.where(path), "a group is not a mapping", "each group has a name and rules")
            continue
        name = group.get("name")
        if not isinstance(name, str) or not name:
            yield Problem(document.where(path), "a group has no name", "give every group a unique name")
        elif name in seen:
            yield Problem(
                document.where(path + ("name",)),
                f"group name {name!r} is repeated in this file",
                "group names must be unique within a file",
            )
        seen.add(name)
        for key in sorted(set(group) - GROUP_FIELDS, key=str):
            yield Problem(
                document.where(path + (key,)),
                f"group {name!r}: unknown field {key!r}",
                f"Prometheus refuses the file; allowed: {', '.join(sorted(GROUP_FIELDS))}",
            )
        yield from _duration(document, path, group, "interval", f"group {name!r}")
        rules = group.get("rules")
        if not isinstance(rules, list):
            yield Problem(
                document.where(path),
                f"group {name!r}: 'rules' is not a list, so the group has no rules (promtool: '0 rules found')",
                "rules: [{alert: ..., expr: ...}, ...]",
            )
            continue
        for r, rule in enumerate(rules):
            yield from _rule(document, path + ("rules", r), rule, utf8)


def _rule(document, path, rule, utf8: bool):
    if not isinstance(rule, dict):
        yield Problem(document.where(path), "a rule is not a mapping", "each rule has record or alert, and expr")
        return
    where = document.where(path)
    kinds = [k for k in ("record", "alert") if k in rule]
    if len(kinds) != 1:
        yield Problem(where, "a rule needs exactly one of 'record' and 'alert'", "record: level:metric:operations")
        return
    kind = kinds[0]
    name = rule[kind]
    what = f"{'alert' if kind == 'alert' else 'recording rule'} {name!r}"
    for key in sorted(set(rule) - RULE_FIELDS, key=str):
        yield Problem(
            document.where(path + (key,)),
            f"{what}: unknown field {key!r}",
            f"Prometheus refuses the file; allowed: {', '.join(sorted(RULE_FIELDS))}",
        )
    if kind == "record" and not _valid_name(name, _METRIC_NAME, utf8):
        yield Problem(where, f"{what}: not a valid metric name", _name_hint("[a-zA-Z_:][a-zA-Z0-9_:]*", utf8))
    if kind == "alert" and not (isinstance(name, str) and name.strip()):
        yield Problem(where, "an alert has an empty name", "name the alert, e.g. HighErrorRate")
    expr = rule.get("expr")
    if expr is None or isinstance(expr, (dict, list, bool)) or str(expr).strip() == "":
        yield Problem(where, f"{what}: no 'expr'", "every rule needs a PromQL expression")
    if kind == "record":
        for key in ("for", "keep_firing_for", "annotations"):
            if key in rule:
                yield Problem(
                    document.where(path + (key,)),
                    f"{what}: {key!r} is only for alerts",
                    "remove it, or make the rule an alert",
                )
    for key in ("for", "keep_firing_for"):
        yield from _duration(document, path, rule, key, what)
    for key in ("labels", "annotations"):
        value = rule.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            yield Problem(document.where(path + (key,)), f"{what}: {key} is not a mapping", f"{key}: {{name: value}}")
            continue
        for label in value:
            if not _valid_name(label, _LABEL_NAME, utf8):
                yield Problem(
                    document.where(path + (key, label)),
                    f"{what}: {label!r} is not a valid {key[:-1]} name",
                    _name_hint("[a-zA-Z_][a-zA-Z0-9_]*", utf8),
                )


def _valid_name(name, legacy: re.Pattern, utf8: bool) -> bool:
    """Prometheus 2.x: the legacy pattern; 3.x: any non-empty UTF-8 string (YAML text always is)."""
    if not isinstance(name, str) or not name:
        return False
    return utf8 or bool(legacy.match(name))


def _name_hint(pattern: str, utf8: bool) -> str:
    if utf8:
        return "a name must be a non-empty string"
    return f"use {pattern} (Prometheus 3 accepts UTF-8 names: set prometheus_version: 3 in the lint policy)"


def _duration(document, path, mapping, key, what):
    if key not in mapping or str(mapping[key]) == "0":  # Prometheus accepts a bare 0
        return
    try:
        parse_duration(mapping[key])
    except Exception:  # noqa: BLE001 - DefinitionError, or not even a string
        yield Problem(
            document.where(path + (key,)),
            f"{what}: {key} {mapping[key]!r} is not a duration",
            "write e.g. 30s, 5m, 1h30m",
        )
