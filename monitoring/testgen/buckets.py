"""Histogram buckets no rule can tell apart, left off the generated inputs.

A generated latency case shapes a histogram around one latency, so most of its buckets count the same as their
neighbours, sample for sample: every bucket below the observations is an empty run, every bucket above them a
full one. ``histogram_quantile`` (Prometheus 2.42, promql/quantile.go ``bucketQuantile``) reads a bucket list
only to find the first bucket whose count reaches the rank and to interpolate from the upper bound of the
bucket before it (or to return the last finite bound when no finite bucket reaches it, which a run ending
at ``+Inf`` rules out). In a run of equal counts only its first bucket (the one found) and its last (the bound
before the next bucket) are ever read: a bucket inside a run can be left off and every quantile, at every q
and every time, stays the same, bit for bit (``ensureMonotonic`` and ``coalesceBuckets`` see equal runs
alike). On the bench service 43 of its 80 bucket series were inside a run: an eighth of its test file.

A bucket series is left off a test group's inputs only when:

- **every rule reads the histogram through histogram_quantile**: each selector of its ``_bucket`` series is
  the quantile's argument through ``rate``/``irate``/``increase``/``delta`` and ``sum`` only, with no matcher
  on ``le`` (an SLO's ``le="0.5"`` reads one bucket itself; a recording rule of the rates by ``le`` records
  every bucket), and no selector without a metric name and no template query may read it;
- **it is equal to both neighbours** (by ``le``, the same other labels) in the group, sample for sample;
- **where a sum adds label sets together** (a ``by`` that leaves out, or a ``without`` that names, a label
  the group's series of that histogram differ in), the bucket is inside a run in every one of them, so the
  sums keep the runs.

Expectations computed before (alerts, recorded quantiles) stay exact: tests/test_buckets.py shows each refusal
and that every rule behaves alike with and without the buckets (our evaluator); promtool runs the files.
"""

from __future__ import annotations

import math

import promql_parser as pp

from monitoring.model import Stack
from monitoring.promql.parse import parse, selector_name
from monitoring.testgen.synth import parse_key
from monitoring.testgen.target_labels import TEMPLATE_QUERY

# what may stand between histogram_quantile and a bucket selector: each maps equal series to equal series
_PER_SERIES = frozenset({"rate", "irate", "increase", "delta", "idelta"})

Sums = tuple[tuple[str, frozenset[str]], ...]  # ("by" | "without", labels) of each sum between quantile and selector


def drop_indistinct_buckets(stack: Stack, groups: list[dict]) -> list[dict]:
    """``groups`` (a test file's) with the bucket series no rule of ``stack`` can tell from their neighbours
    left off their inputs."""
    names = {
        parse_key(series["series"])[0]
        for group in groups
        for series in group.get("input_series", [])
        if series["series"].partition("{")[0].endswith("_bucket")
    }
    readers = quantile_readers(stack, names)
    if not readers:
        return groups
    return [_pruned(group, readers) for group in groups]


def quantile_readers(stack: Stack, names: set[str]) -> dict[str, list[Sums]]:
    """Of the bucket series ``names``, those every rule reads only as histogram_quantile's argument: each with
    the sums on its paths to the quantile."""
    expressions = [rule.text for rule in stack.recording_rules()] + [alert.expr for alert in stack.alerts()]
    templates = [text for alert in stack.alerts() for text in stack.alert_annotations(alert).values()]
    templates += [text for alert in stack.alerts() for text in stack.alert_labels(alert).values()]
    if any(TEMPLATE_QUERY.search(text) for text in templates):
        return {}
    paths: dict[str, list[Sums] | None] = {name: [] for name in names}
    for expr in expressions:
        if not _visit(parse(expr), None, paths):
            return {}
    return {name: found for name, found in paths.items() if found is not None}


def _visit(node, sums: Sums | None, paths: dict) -> bool:
    """Record each bucket selector's path (``sums``: None when not a quantile's histogram); False when a
    selector may read any series."""
    if isinstance(node, pp.VectorSelector):
        name = selector_name(node)
        if name is None:
            return False
        if name in paths and paths[name] is not None:
            reads_le = any(m.name == "le" for m in node.matchers.matchers)
            paths[name] = None if sums is None or reads_le else paths[name] + [sums]
        return True
    if isinstance(node, pp.MatrixSelector):
        return _visit(node.vector_selector, sums, paths)
    if isinstance(node, pp.Call):
        name = node.func.name
        if name == "histogram_quantile":
            return _visit(node.args[0], None, paths) and _visit(node.args[1], (), paths)
        inner = sums if name in _PER_SERIES else None
        return all(_visit(arg, inner, paths) for arg in node.args)
    if isinstance(node, pp.AggregateExpr):
        inner = None
        if sums is not None and str(node.op) == "sum":
            modifier = node.modifier
            kind = "without" if modifier is not None and str(modifier.type).endswith("Without") else "by"
            inner = (*sums, (kind, frozenset(modifier.labels if modifier is not None else ())))
        return (node.param is None or _visit(node.param, None, paths)) and _visit(node.expr, inner, paths)
    if isinstance(node, pp.ParenExpr):
        return _visit(node.expr, sums, paths)
    if isinstance(node, pp.BinaryExpr):
        return _visit(node.lhs, None, paths) and _visit(node.rhs, None, paths)
    if isinstance(node, (pp.UnaryExpr, pp.SubqueryExpr)):
        return _visit(node.expr, None, paths)
    return True


def _pruned(group: dict, readers: dict[str, list[Sums]]) -> dict:
    series = group.get("input_series") or []
    histograms: dict[tuple[str, tuple], list[tuple[float, int]]] = {}  # (name, other labels) -> [(le, index)]
    unordered = set()  # a histogram with an `le` that is not a number: left whole (promtool will say)
    for index, entry in enumerate(series):
        name, labels = parse_key(entry["series"])
        if name in readers and "le" in labels:
            le = labels.pop("le")
            try:
                bound = float(le)
            except ValueError:
                bound = math.nan
            if math.isnan(bound):
                unordered.add(name)
            histograms.setdefault((name, tuple(sorted(labels.items()))), []).append((bound, index))
    drop: set[int] = set()
    for name, paths in readers.items():
        sets = {others: sorted(buckets) for (metric, others), buckets in histograms.items() if metric == name}
        if not sets or name in unordered:
            continue
        inside = {others: _inside_runs(buckets, series) for others, buckets in sets.items()}
        if _kept_apart(paths, _differing(sets)):
            drop.update(index for indexes in inside.values() for _, index in indexes)
        elif len({tuple(le for le, _ in buckets) for buckets in sets.values()}) == 1:
            common = set.intersection(*({le for le, _ in indexes} for indexes in inside.values()))
            drop.update(index for indexes in inside.values() for le, index in indexes if le in common)
    if not drop:
        return group
    return {**group, "input_series": [entry for index, entry in enumerate(series) if index not in drop]}


def _inside_runs(buckets: list[tuple[float, int]], series: list[dict]) -> list[tuple[float, int]]:
    """The (le, index) of each bucket whose series equals both its neighbours'."""
    values = [series[index]["values"] for _, index in buckets]
    return [buckets[i] for i in range(1, len(buckets) - 1) if values[i - 1] == values[i] == values[i + 1]]


def _differing(sets: dict[tuple, list]) -> set[str]:
    """The labels the histogram's label sets differ in (a label some lack counts)."""
    all_labels = [dict(others) for others in sets]
    names = {name for labels in all_labels for name in labels}
    return {name for name in names if len({labels.get(name) for labels in all_labels}) > 1}


def _kept_apart(paths: list[Sums], differing: set[str]) -> bool:
    """No sum on any path adds two of the label sets together."""
    for sums in paths:
        for kind, labels in sums:
            if (kind == "by" and not differing <= labels) or (kind == "without" and differing & labels):
                return False
    return True
