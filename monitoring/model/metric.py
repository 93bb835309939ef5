"""Metrics and labels: the catalog every panel, rule, test and simulator refers to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from monitoring.errors import DefinitionError
from monitoring.model import _types as types
from monitoring.model._origin import Located, caller_origin

_NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL_NAME = types.Syntax(
    re.compile(r"^(?!__)[a-zA-Z_][a-zA-Z0-9_]*\Z"),  # a leading "__" is reserved for Prometheus' own
    "label name {value!r} is not a valid Prometheus label name",
    "use letters, digits and underscores, not starting with '__'",
)

# Prometheus naming: base units only, spelled out, as the last word of the name.
BASE_UNITS = ("seconds", "bytes", "meters", "volts", "amperes", "joules", "grams", "celsius", "ratio")
_NON_BASE_UNITS = {
    "milliseconds": "seconds",
    "ms": "seconds",
    "microseconds": "seconds",
    "minutes": "seconds",
    "hours": "seconds",
    "kilobytes": "bytes",
    "megabytes": "bytes",
    "kb": "bytes",
    "mb": "bytes",
}
# Grafana unit ids for the units a metric may declare.
GRAFANA_UNITS = {
    "seconds": "s",
    "bytes": "bytes",
    "ratio": "percentunit",
    "percent": "percent",
    "celsius": "celsius",
    "volts": "volt",
    "amperes": "amp",
    "joules": "joule",
    "meters": "lengthm",
    "grams": "massg",
    "requests_per_second": "reqps",
    "usd": "currencyUSD",
    "": "short",
}


def escape_label_value(value: str) -> str:
    """A label value inside a PromQL selector's double quotes (Go string escapes, as Prometheus reads them)."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class MetricType(str, Enum):
    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"
    SUMMARY = "summary"


@dataclass(frozen=True)
class Label(Located):
    """A label name with the values it is known to take (used for variables, tests, simulators)."""

    name: str
    values: tuple[str, ...] = ()

    def __post_init__(self):
        super().__post_init__()
        types.text(self.name, "a label's name", self.origin)
        types.sequence(self.values, f"label {self.name!r}: values", self.origin, str)
        object.__setattr__(self, "values", tuple(self.values))
        _LABEL_NAME.check(self.name, self.origin)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Metric(Located):
    """One instrument a service exposes. ``str(metric)`` is its name, for use in PromQL f-strings."""

    name: str
    type: MetricType
    help: str
    unit: str = ""
    labels: tuple[Label, ...] = ()
    buckets: tuple[float, ...] = ()
    # Declared value range (inclusive), used by lint to catch impossible thresholds.
    min: float | None = None
    max: float | None = None
    # Exposed by software you do not control (an exporter, or a series recorded elsewhere), as `monitoring
    # import` declares it: its name is taken as is, so the naming conventions below are not enforced.
    external: bool = False

    def __post_init__(self):
        super().__post_init__()
        types.text(self.name, "a metric's name", self.origin)
        types.text(self.help, f"metric {self.name!r}: help", self.origin)
        types.text(self.unit, f"metric {self.name!r}: unit", self.origin)
        if not isinstance(self.type, MetricType) and self.type not in {t.value for t in MetricType}:
            raise DefinitionError(
                f"metric {self.name!r}: type {self.type!r} is not a metric type",
                self.origin,
                "use COUNTER, GAUGE, HISTOGRAM or SUMMARY",
            )
        object.__setattr__(self, "type", MetricType(self.type))
        types.sequence(self.labels, f"metric {self.name!r}: labels", self.origin, Label)
        types.sequence(self.buckets, f"metric {self.name!r}: buckets", self.origin)
        for bound in self.buckets:
            types.number(bound, f"metric {self.name!r}: a bucket bound", self.origin)
        types.number(self.min, f"metric {self.name!r}: min", self.origin, none=True)
        types.number(self.max, f"metric {self.name!r}: max", self.origin, none=True)
        object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "buckets", tuple(float(b) for b in self.buckets))
        for problem, hint in _naming_problems(self):
            raise DefinitionError(f"metric {self.name!r}: {problem}", self.origin, hint)

    def __str__(self) -> str:
        return self.name

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)

    def label(self, name: str) -> Label:
        for label in self.labels:
            if label.name == name:
                return label
        raise DefinitionError(
            f"metric {self.name!r} has no label {name!r}",
            caller_origin(),
            f"its labels are: {', '.join(self.label_names) or '(none)'}",
        )

    def select(self, suffix: str = "", **matchers: str) -> str:
        """PromQL selector for this metric (or its ``_bucket``/``_count``/``_sum`` series)."""
        for key in matchers:
            self.label(key)
        inner = ", ".join(f'{key}="{escape_label_value(value)}"' for key, value in matchers.items())
        return f"{self.name}{suffix}{{{inner}}}" if inner else f"{self.name}{suffix}"

    @property
    def bucket(self) -> str:
        self._require(MetricType.HISTOGRAM, "_bucket")
        return f"{self.name}_bucket"

    @property
    def count(self) -> str:
        self._require((MetricType.HISTOGRAM, MetricType.SUMMARY), "_count")
        return f"{self.name}_count"

    @property
    def sum(self) -> str:
        self._require((MetricType.HISTOGRAM, MetricType.SUMMARY), "_sum")
        return f"{self.name}_sum"

    def _require(self, types, suffix):
        types = types if isinstance(types, tuple) else (types,)
        if self.type not in types:
            raise DefinitionError(
                f"metric {self.name!r} is a {self.type.value}; it has no {suffix} series", caller_origin()
            )

    def series_names(self) -> tuple[str, ...]:
        """Every series name this metric exposes on /metrics."""
        if self.type is MetricType.HISTOGRAM:
            return (f"{self.name}_bucket", f"{self.name}_count", f"{self.name}_sum")
        if self.type is MetricType.SUMMARY:
            return (self.name, f"{self.name}_count", f"{self.name}_sum")
        return (self.name,)

    @property
    def grafana_unit(self) -> str:
        return GRAFANA_UNITS.get(self.unit, self.unit)


def _naming_problems(m: Metric):
    if not _NAME_RE.match(m.name) or (":" in m.name and not m.external):
        yield ("is not a valid metric name", "use [a-zA-Z_][a-zA-Z0-9_]*; colons are reserved for recording rules")
    if not m.help.strip():
        yield "has no help text", "every metric needs a one-line HELP describing what it measures"
    if m.external:
        yield from _shape_problems(m)
        return
    base = m.name[: -len("_total")] if m.name.endswith("_total") else m.name
    if m.type is MetricType.COUNTER and not m.name.endswith("_total"):
        yield "is a counter, so its name must end in '_total'", f"rename it to {m.name}_total"
    if m.type is not MetricType.COUNTER and m.name.endswith("_total"):
        yield "ends in '_total' but is not a counter", "only counters end in '_total'"
    for word in base.split("_"):
        if word in _NON_BASE_UNITS:
            yield (
                f"uses the non-base unit {word!r}",
                f"Prometheus uses base units: measure in {_NON_BASE_UNITS[word]} and name it so",
            )
    if m.unit in BASE_UNITS and not base.endswith("_" + m.unit):
        yield (
            f"declares unit {m.unit!r} but its name does not end in '_{m.unit}'",
            f"name it {base}_{m.unit}{'_total' if m.type is MetricType.COUNTER else ''}",
        )
    yield from _shape_problems(m)


def _shape_problems(m: Metric):
    """What even an exporter's metric must get right: buckets, range and labels."""
    if m.type is MetricType.HISTOGRAM:
        if not m.buckets:
            yield "is a histogram without buckets", "give buckets=(...) in increasing order"
        elif list(m.buckets) != sorted(set(m.buckets)):
            yield "has buckets that are not strictly increasing", "sort them and remove duplicates"
    elif m.buckets:
        yield "declares buckets but is not a histogram", "drop buckets or make it a histogram"
    if m.min is not None and m.max is not None and m.min > m.max:
        yield f"declares min {m.min} above max {m.max}", "swap them"
    seen = set()
    for label in m.labels:
        if not isinstance(label, Label):
            yield f"label {label!r} is not a Label", "declare labels as Label('name', values=(...))"
            continue
        if label.name in seen:
            yield f"declares label {label.name!r} twice", "remove the duplicate"
        if label.name == "le" or (label.name == "quantile" and m.type in (MetricType.HISTOGRAM, MetricType.SUMMARY)):
            yield f"uses the reserved label {label.name!r}", "Prometheus adds it for histograms/summaries"
        seen.add(label.name)
