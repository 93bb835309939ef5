"""How test generation reads a catalog: what the search may do to a metric's series, beyond its declared type.

The same for `monitoring testgen` (a rule file's inferred catalog) and for `monitoring generate` (a stack's own),
so an imported alert generates in definitions what `monitoring testgen` tests on its rule file:

- a `_total` series no rule reads through rate/irate/increase/resets/changes is moved as a gauge at or above 0;
- a summary read through `_sum` and `_count` is two counters;
- where the rules name values of `job` or `instance` on some metric, every metric carries those labels.

Each leaves a catalog that has none of these shapes as it is (the A/B stack's and the bench estate's tests are
byte for byte the same).
"""

from __future__ import annotations

from dataclasses import replace

import promql_parser as pp

from monitoring.model import Metric, MetricType
from monitoring.promql.catalog import COUNTER_FUNCTIONS
from monitoring.promql.parse import selector_name, selectors

TARGET_LABELS = ("job", "instance")


def catalog_for_tests(metrics: list[Metric], expressions: list[str]) -> list[Metric]:
    """``metrics`` as test generation reads them; ``expressions``: every rule's (and only rules')."""
    return raw_counters_as_gauges(summaries_as_counters(with_target_labels(metrics)), expressions)


def raw_counters_as_gauges(metrics: list[Metric], expressions: list[str]) -> list[Metric]:
    """A `_total` series no rule reads through rate/irate/increase/resets (`apache_uptime_seconds_total / 60 < 1`,
    `errors_total == 0`) is tested as a gauge at or above 0: its alert is about the value itself, which only a
    counter reset (or a counter never incremented) brings down, as the inputs then show."""
    read_as_counter: set[str] = set()

    def visit(node):
        # changes() of a counter is tested with the counter rising (a change at every sample), as before
        if isinstance(node, pp.Call) and node.func.name in COUNTER_FUNCTIONS | {"changes"}:
            read_as_counter.update(selector_name(s) for s in selectors(node))

    for text in expressions:
        pp.walk(pp.parse(text), visit)
    return [
        replace(m, type=MetricType.GAUGE, min=0.0)
        if m.type is MetricType.COUNTER and m.name not in read_as_counter
        else m
        for m in metrics
    ]


def summaries_as_counters(metrics: list[Metric]) -> list[Metric]:
    """A summary the rules read only through `_sum` and `_count` (`rate(jvm_gc_collection_seconds_sum[5m])`)
    is two counters: the search moves their rates like any counter's."""
    out = []
    for m in metrics:
        if m.type is MetricType.SUMMARY:
            out += [replace(m, name=f"{m.name}{suffix}", type=MetricType.COUNTER) for suffix in ("_count", "_sum")]
        else:
            out.append(m)
    return out


def with_target_labels(metrics: list[Metric]) -> list[Metric]:
    """Every scraped series carries its target's ``job`` and ``instance``: when the rules name values for them
    on some metrics, every metric gets those labels, so series of one target match across metrics
    (``a{job="node"} / b`` divides series of the same job)."""
    for name in TARGET_LABELS:
        label = next((lb for m in metrics for lb in m.labels if lb.name == name and lb.values), None)
        if label is None:
            continue
        metrics = [
            m if any(lb.name == name for lb in m.labels) else replace(m, labels=(*m.labels, label)) for m in metrics
        ]
    return metrics
