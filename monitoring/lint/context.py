"""What the checks look at: rules and PromQL queries, from definitions (with the catalog) or rule files.

Both sources give the same shapes, so a "catalog-free" check runs unchanged on a team's existing
Prometheus rule files, while catalog checks also see the Stack (metric types, labels, ranges).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from monitoring.errors import DefinitionError, Location
from monitoring.lint.config import LintConfig
from monitoring.lint.walk import walk
from monitoring.model import Alert, RecordingRule, Stack
from monitoring.model.rules import parse_duration
from monitoring.pipeline.yamlfile import Document, YamlError, parse_documents, read_text


@dataclass
class Rule:
    """One recording or alerting rule, as Prometheus will load it."""

    kind: str  # "record" or "alert"
    name: str
    expr: str
    where: Location
    group: str
    interval: float  # evaluation interval, seconds
    for_: str = ""
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    source: object = None  # the model object (definitions only)
    query: Query | None = None
    group_where: Location | None = None  # where its group is written: identifies it (names repeat across files)
    interval_given: bool = True  # False: the group sets none, ``interval`` is the policy's evaluation_interval

    def templates(self) -> Iterator[tuple[str, str, str]]:
        """("label" or "annotation", name, text) for each label, then each annotation: all Go templates."""
        for key, fields in (("label", self.labels), ("annotation", self.annotations)):
            for name, text in fields.items():
                yield key, name, text


@dataclass
class Query:
    """One PromQL expression: a rule's, a panel's, or a promtool test's (syntax only)."""

    text: str
    where: Location
    what: str  # "alert HighErrorRate", "panel 'Error Ratio'", ...
    role: str  # "rule", "panel" or "test"
    ast: object = None
    error: str = ""  # syntax error with its column, when ast is None
    rule: Rule | None = None
    grafana: bool = False


@dataclass
class RuleDocument:
    """One YAML document of a rule file, kept for the structural check."""

    file: str
    kind: str  # "rules", "crd" (PrometheusRule), "tests" (promtool unit tests) or "invalid"
    yaml: Document | None
    problem: str = ""  # why it is invalid
    line: int = 0

    @property
    def groups_path(self) -> tuple:
        return ("spec", "groups") if self.kind == "crd" else ("groups",)

    def where(self, path: tuple = ()) -> Location:
        return Location(self.file, self.yaml.line(path) if self.yaml else (self.line or 1))


class _Records(dict):
    """name -> [(expr, static labels)], and ``memo``: name -> its possible labels, filled as they are asked."""

    def __init__(self):
        super().__init__()
        self.memo: dict = {}


@dataclass
class Context:
    config: LintConfig
    stack: Stack | None = None
    scrape_interval: float = 15.0
    rules: list[Rule] = field(default_factory=list)
    queries: list[Query] = field(default_factory=list)
    documents: list[RuleDocument] = field(default_factory=list)
    _possible: dict = field(default_factory=dict, repr=False)
    _guaranteed: dict = field(default_factory=dict, repr=False)

    @property
    def parsed(self) -> list[Query]:
        """Queries that parsed, tests aside: what the semantic checks analyse."""
        return [q for q in self.queries if q.ast is not None and q.role != "test"]

    def alerts(self, parsed: bool = False) -> list[Rule]:
        """The alerting rules; with ``parsed``, those whose expression parsed."""
        return [
            r
            for r in self.rules
            if r.kind == "alert" and (not parsed or (r.query is not None and r.query.ast is not None))
        ]

    def recording_rules(self) -> list[Rule]:
        return [r for r in self.rules if r.kind == "record"]

    def each(self, find=walk, *args) -> Iterator[tuple[Query, object]]:
        """(query, item) for each item ``find(query.ast, *args)`` gives in each parsed query: every node by
        default, or e.g. ``each(calls, "rate")``, ``each(selectors)`` (monitoring.lint.walk)."""
        for query in self.parsed:
            for item in find(query.ast, *args):
                yield query, item

    @cached_property
    def records(self) -> dict[str, list[tuple[str, frozenset[str]]]]:
        """Recorded series outside the Stack (rule files): name -> [(expr, static label names)], with a memo
        of each name's possible labels (monitoring.promql.labels uses it: kube-prometheus' rules read
        recorded series that read recorded series, for every expression of every check)."""
        found: dict[str, list] = _Records()
        if self.stack is None:
            for rule in self.rules:
                if rule.kind == "record":
                    found.setdefault(rule.name, []).append((rule.expr, frozenset(rule.labels)))
        return found

    @cached_property
    def record_interval(self) -> dict[str, float]:
        """Recorded series -> its group's evaluation interval (its sample spacing)."""
        return {r.name: r.interval for r in self.rules if r.kind == "record"}

    @cached_property
    def _empty_stack(self) -> Stack:
        return Stack("lint", metrics=())

    def possible(self, node) -> frozenset[str] | None:
        """Labels the result may carry; None when unknown. Asked by several checks of the same nodes, so
        remembered per node (a node's identity is stable, see monitoring.lint.walk)."""
        from monitoring.promql.labels import possible_labels

        remembered = self._possible.get(id(node))
        if remembered is not None and remembered[0] is node:
            return remembered[1]
        try:
            found = possible_labels(node, self.stack, self.records)
        except Exception:  # noqa: BLE001 - an odd AST shape must not stop the lint
            found = None
        self._possible[id(node)] = (node, found)
        return found

    def guaranteed(self, node) -> frozenset[str]:
        """Labels the result always carries (remembered per node, as possible())."""
        from monitoring.promql.labels import result_labels

        remembered = self._guaranteed.get(id(node))
        if remembered is not None and remembered[0] is node:
            return remembered[1]
        try:
            found = result_labels(node, self.stack or self._empty_stack)
        except Exception:  # noqa: BLE001
            found = frozenset()
        self._guaranteed[id(node)] = (node, found)
        return found

    def catalog(self) -> dict[str, object]:
        return self.stack.series_catalog() if self.stack is not None else {}

    def sample_interval(self, series: str | None) -> float:
        """Spacing of a series' samples: its rule group's interval if we record it, else the scrape interval."""
        return self.record_interval.get(series, self.scrape_interval) if series else self.scrape_interval


def _query(text: str, where: Location, what: str, role: str, grafana: bool = False, rule: Rule | None = None) -> Query:
    from monitoring.errors import DefinitionError
    from monitoring.promql.parse import parse

    query = Query(text, where, what, role, rule=rule, grafana=grafana)
    try:
        query.ast = parse(text, grafana=grafana)
    except DefinitionError as exc:
        query.error = exc.message
    return query


# --- definitions ---------------------------------------------------------------------------------


def from_stack(stack: Stack, config: LintConfig, render_rules) -> Context:
    """Rules as rendered (labels and annotations exactly as deployed), panel queries, and the catalog.

    ``render_rules`` is the Prometheus renderer (Stack -> rule file dict), passed in by the caller because
    lint sits below the renderers (see tests/test_layering.py).
    """
    ctx = Context(config, stack, parse_duration(stack.scrape_interval, stack.origin))
    rendered = render_rules(stack)["groups"]
    for group, group_out in zip(stack.groups, rendered):
        # a group without one (imported) runs at the global evaluation_interval, which lint takes from its policy
        given = bool(group.interval)
        interval = parse_duration(group.interval, group.origin) if given else config.evaluation_interval
        for model, out in zip(group.rules, group_out["rules"]):
            if isinstance(model, RecordingRule):
                rule = Rule(
                    "record",
                    model.record,
                    out["expr"],
                    model.origin,
                    group.name,
                    interval,
                    labels=dict(out.get("labels", {})),
                    source=model,
                    group_where=group.origin,
                    interval_given=given,
                )
                what = f"recording rule {model.record!r}"
            else:
                assert isinstance(model, Alert)
                rule = Rule(
                    "alert",
                    model.name,
                    out["expr"],
                    model.origin,
                    group.name,
                    interval,
                    out.get("for", ""),
                    dict(out.get("labels", {})),
                    dict(out.get("annotations", {})),
                    model,
                    group_where=group.origin,
                    interval_given=given,
                )
                what = f"alert {model.name}"
            rule.query = _query(rule.expr, rule.where, what, "rule", rule=rule)
            ctx.rules.append(rule)
            ctx.queries.append(rule.query)
    for dashboard in stack.dashboards:
        for panel in dashboard.panels():
            for query in panel.queries:
                ctx.queries.append(_query(query.text, query.origin, f"panel {panel.title!r}", "panel", grafana=True))
    return ctx


# --- rule files ------------------------------------------------------------------------------------


def from_files(paths: list[Path], config: LintConfig) -> Context:
    """Every document of every file; rules are taken leniently (the rule-file check reports structure)."""
    ctx = Context(config, None, config.scrape_interval)
    for path in paths:
        display = str(path)
        try:  # regular UTF-8 files only, size, depth and aliases bounded: a clear finding otherwise
            documents = parse_documents(read_text(path, display), display)
        except YamlError as exc:
            ctx.documents.append(RuleDocument(display, "invalid", None, exc.message, exc.line))
            continue
        except DefinitionError as exc:
            ctx.documents.append(RuleDocument(display, "invalid", None, exc.message))
            continue
        if not documents:
            ctx.documents.append(RuleDocument(display, "invalid", None, "the file is empty"))
        for document in documents:
            ctx.documents.append(_classify(display, document))
    for document in ctx.documents:
        if document.kind in ("rules", "crd"):
            _collect_rules(ctx, document)
        elif document.kind == "tests":
            _collect_test_queries(ctx, document)
    return ctx


def _classify(display: str, document: Document) -> RuleDocument:
    data = document.data
    if not isinstance(data, dict):
        return RuleDocument(display, "invalid", document, "not a rule file: the top level is not a mapping")
    if data.get("kind") == "PrometheusRule":
        spec = data.get("spec")
        if isinstance(spec, dict) and "groups" in spec:
            return RuleDocument(display, "crd", document)
        return RuleDocument(display, "invalid", document, "PrometheusRule without spec.groups")
    if "groups" in data:
        return RuleDocument(display, "rules", document)
    if "tests" in data or "rule_files" in data:
        return RuleDocument(display, "tests", document)
    return RuleDocument(display, "invalid", document, "not a rule file: it has no top-level 'groups'")


def _text(value) -> str | None:
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _collect_rules(ctx: Context, document: RuleDocument) -> None:
    data = document.yaml.data
    groups = data["spec"]["groups"] if document.kind == "crd" else data["groups"]
    base = document.groups_path
    if not isinstance(groups, list):
        return
    for g, group in enumerate(groups):
        if not isinstance(group, dict) or not isinstance(group.get("rules"), list):
            continue
        try:
            interval = parse_duration(group["interval"]) if "interval" in group else ctx.config.evaluation_interval
        except Exception:  # noqa: BLE001 - reported by the rule-file check
            interval = ctx.config.evaluation_interval
        for r, item in enumerate(group["rules"]):
            if not isinstance(item, dict):
                continue
            kind = "alert" if "alert" in item else "record" if "record" in item else None
            expr = _text(item.get("expr"))
            if kind is None or expr is None:
                continue
            path = base + (g, "rules", r)
            name = _text(item.get(kind)) or ""
            rule = Rule(
                kind,
                name,
                expr,
                document.where(path),
                str(group.get("name", "")),
                interval,
                _text(item.get("for")) or "",
                _string_map(item.get("labels")),
                _string_map(item.get("annotations")),
                group_where=document.where(base + (g,)),
                interval_given="interval" in group,
            )
            what = f"alert {name}" if kind == "alert" else f"recording rule {name!r}"
            rule.query = _query(expr, document.where(path + ("expr",)), what, "rule", rule=rule)
            ctx.rules.append(rule)
            ctx.queries.append(rule.query)


def _string_map(value) -> dict:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _collect_test_queries(ctx: Context, document: RuleDocument) -> None:
    """promtool unit tests: their input series and expressions must at least parse."""
    tests = document.yaml.data.get("tests")
    if not isinstance(tests, list):
        return
    for t, test in enumerate(tests):
        if not isinstance(test, dict):
            continue
        for s, series in enumerate(test.get("input_series") or []):
            text = _text(series.get("series")) if isinstance(series, dict) else None
            if text is not None:
                where = document.where(("tests", t, "input_series", s, "series"))
                ctx.queries.append(_query(text, where, "test input series", "test"))
        for e, case in enumerate(test.get("promql_expr_test") or []):
            text = _text(case.get("expr")) if isinstance(case, dict) else None
            if text is not None:
                where = document.where(("tests", t, "promql_expr_test", e, "expr"))
                ctx.queries.append(_query(text, where, "test expression", "test"))
