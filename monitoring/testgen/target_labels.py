"""The stand-in scrape target labels (``job``, ``instance``) left off the input series where no rule can tell.

Generated input series carry ``job`` and ``instance`` as a scrape would (monitoring.testgen.synth.TARGET): a
rule that groups, matches or templates on them must see them. On a bench service no rule does, and the two
labels were a tenth of its test file's bytes. A label is left off a file's input series only when it provably
changes nothing promtool computes:

- **the same value on every input series** of the file (so no two series become one, and it is a constant
  wherever it is present: it changes no value, no count, no group);
- **no rule names it**: not in any expression (as a word: matchers, ``by``/``without``, ``on``/``ignoring``,
  ``group_left``/``group_right``, ``label_replace`` and ``count_values`` arguments), nor in a rule's labels or
  annotations (names or values), and no template reads ``$labels`` as a whole or runs a ``query``;
- **no result carries it**: every recording and alerting rule's result lacks it (our label inference,
  monitoring.promql.labels), so no expected sample, alert label or annotation changes;
- **no matching depends on its presence**: a binary operation between two vectors matches on all their labels
  unless ``on(...)`` says which; both sides must then lack it or both carry it (a raw series divided by an
  aggregate matches nothing with the label and would match without it);
- **no selector that cannot be followed** (no metric name, ``ALERTS``, a series outside the catalog) and no
  ``topk``/``bottomk`` (which series wins a tie follows the label sets' order).

Anything else keeps the labels. tests/test_target_labels.py shows each refusal and that the files promtool
reads are the same otherwise (our evaluator and promtool, on the generated tests with and without them).
"""

from __future__ import annotations

import re

import promql_parser as pp

from monitoring.model import Stack
from monitoring.promql.labels import TARGET_LABELS, possible_labels, result_labels
from monitoring.promql.parse import is_scalar, parse, selector_name
from monitoring.testgen.synth import parse_key, series_key

_TIE_BROKEN_BY_ORDER = frozenset({"topk", "bottomk", "limitk", "limit_ratio"})
_WHOLE_LABELS = re.compile(r"\$labels\b(?!\.)")  # `{{ $labels }}`, `{{ range $labels }}`: every label printed
TEMPLATE_QUERY = re.compile(r"\{\{[^}]*\bquery\b")  # a template running a query reads whatever it selects


def drop_unread_target_labels(stack: Stack, groups: list[dict]) -> list[dict]:
    """``groups`` (a test file's) with the target labels no rule of ``stack`` can tell left off their inputs."""
    droppable = {label for label in unread_target_labels(stack) if _one_value(groups, label)}
    if not droppable:
        return groups
    return [_without(group, droppable) for group in groups]


def unread_target_labels(stack: Stack) -> frozenset[str]:
    """The target labels whose presence on the inputs no rule of ``stack`` can tell (see the module doc)."""
    rules = [(rule.text, dict(rule.labels), {}) for rule in stack.recording_rules()]
    rules += [(alert.expr, stack.alert_labels(alert), stack.alert_annotations(alert)) for alert in stack.alerts()]
    # the rules' own labels and annotations, names and values: templates, and a label the rule sets itself
    texts = (text for _, labels, notes in rules for pair in (*labels.items(), *notes.items()) for text in pair)
    templates = " ".join(texts)
    if _WHOLE_LABELS.search(templates) or TEMPLATE_QUERY.search(templates):
        return frozenset()
    unread, catalog = set(TARGET_LABELS), stack.series_catalog()
    for expr, _, _ in rules:
        unread -= _read_by(expr, stack, catalog, unread)
        if not unread:
            break
    return frozenset(label for label in unread if not re.search(rf"\b{label}\b", templates))


def _read_by(expr: str, stack: Stack, catalog: dict, labels: set[str]) -> set[str]:
    """Which of ``labels`` the expression may tell from their absence."""
    read = {label for label in labels if re.search(rf"\b{label}\b", expr)}
    ast = parse(expr)
    carried = possible_labels(ast, stack)  # into the result: into expected samples, alert labels (None: unknown)
    read |= set(labels) if carried is None else carried & labels
    problems: list[set[str]] = []

    def visit(node):
        if isinstance(node, pp.VectorSelector):
            name = selector_name(node)
            if name is None or name.startswith("ALERTS") or name not in catalog:
                problems.append(set(labels))
        elif isinstance(node, pp.AggregateExpr) and str(node.op) in _TIE_BROKEN_BY_ORDER:
            problems.append(set(labels))
        elif isinstance(node, pp.BinaryExpr) and not is_scalar(node.lhs) and not is_scalar(node.rhs):
            matching = getattr(node.modifier, "matching", None)
            if matching is None or not str(matching.type).endswith("Include"):  # all labels matched, not on(...)
                lhs, rhs = _presence(node.lhs, stack, labels), _presence(node.rhs, stack, labels)
                # both sides must lack it, or both carry it, for certain
                problems.append({label for label in labels if lhs[label] is None or lhs[label] != rhs[label]})

    pp.walk(ast, visit)
    return read.union(*problems)


def _presence(node, stack: Stack, labels: set[str]) -> dict[str, bool | None]:
    """Per label, True: every result series of ``node`` carries it; False: none does; None: some may."""
    certain, possible = result_labels(node, stack), possible_labels(node, stack)
    return {
        label: True if label in certain else False if possible is not None and label not in possible else None
        for label in labels
    }


def _one_value(groups: list[dict], label: str) -> bool:
    values = {parse_key(s["series"])[1].get(label) for group in groups for s in group.get("input_series", [])}
    return len(values) == 1 and None not in values


def _without(group: dict, labels: set[str]) -> dict:
    if not group.get("input_series"):
        return group
    series = []
    for entry in group["input_series"]:
        name, key_labels = parse_key(entry["series"])
        series.append({**entry, "series": series_key(name, {k: v for k, v in key_labels.items() if k not in labels})})
    return {**group, "input_series": series}
