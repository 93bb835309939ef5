"""prometheus_client instruments built from the catalog, so a service cannot drift from its dashboards.

A service that instruments itself with ``instrument(STACK)`` exposes exactly the metric names, types,
label names and histogram buckets its panels, rules and alerts were generated from.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

import prometheus_client

from monitoring.errors import DefinitionError
from monitoring.model import Metric, MetricType, Stack

_CLASSES = {
    MetricType.COUNTER: prometheus_client.Counter,
    MetricType.GAUGE: prometheus_client.Gauge,
    MetricType.HISTOGRAM: prometheus_client.Histogram,
    MetricType.SUMMARY: prometheus_client.Summary,
}


class Instruments(Mapping):
    """Read-only ``{metric name: prometheus_client metric}``; a ``Metric`` object works as a key too."""

    def __init__(self, by_name: dict[str, prometheus_client.metrics.MetricWrapperBase]):
        self._by_name = by_name

    def __getitem__(self, key):
        name = str(key)
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"{name!r} is not in the catalog; known: {', '.join(sorted(self._by_name))}") from None

    def __iter__(self):
        return iter(self._by_name)

    def __len__(self):
        return len(self._by_name)


def instrument(source: Stack | Iterable[Metric], registry=None) -> Instruments:
    """Create one prometheus_client metric per catalog entry and register it.

    ``registry`` defaults to prometheus_client's global ``REGISTRY`` (what ``start_http_server``
    serves). Label sets whose every label has known values are created up front, so their series
    are exposed at zero before the first event: ``rate()`` and ratios then work from the first scrape.
    """
    metrics = source.metrics if isinstance(source, Stack) else tuple(source)
    registry = prometheus_client.REGISTRY if registry is None else registry
    built = {}
    for metric in metrics:
        if not isinstance(metric, Metric):
            raise DefinitionError(
                f"instrument() takes Metric objects, not {type(metric).__name__}", hint="pass a Stack or its .metrics"
            )
        built[metric.name] = _build(metric, registry)
    return Instruments(built)


def _build(metric: Metric, registry):
    kwargs = {"labelnames": metric.label_names, "registry": registry}
    if metric.type is MetricType.HISTOGRAM:
        kwargs["buckets"] = (*metric.buckets, float("inf"))
    # No unit= argument: prometheus_client would append it to the name, and the catalog name is final.
    try:
        built = _CLASSES[metric.type](metric.name, metric.help, **kwargs)
    except ValueError as exc:  # e.g. registered twice in the same registry
        raise DefinitionError(
            f"cannot register metric {metric.name!r}: {exc}", metric.origin, "call instrument() once per registry"
        ) from None
    known = [label.values for label in metric.labels]
    if metric.labels and all(known):
        for values in itertools.product(*known):
            built.labels(*values)
    return built
