"""A metric catalog inferred from PromQL expressions, for rules and dashboards written without one.

Existing rule files and dashboards name their metrics but never declare them. From the expressions alone:

- the type: a name ending in ``_bucket`` (or selected with ``le``) belongs to a histogram, ``_count``/``_sum``
  without buckets to a summary; a name ending in ``_total``, or read by ``rate``/``irate``/``increase``/
  ``resets``, is a counter; anything else is a gauge;
- the label names: those in matchers and in ``by``/``without``/``on``/``ignoring`` clauses over the metric;
- the label values: those matched with ``=``; ``le`` values become histogram buckets.

Series recorded by the rules themselves (``recorded``) are not metrics and are left out. The metrics are
``external`` (an exporter's names are kept as they are), one shared ``Label`` object per label name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import promql_parser as pp

from monitoring.model.metric import Label, Metric, MetricType
from monitoring.promql.binary import COMPARISONS
from monitoring.promql.parse import grafana_to_promql

COUNTER_FUNCTIONS = frozenset(("rate", "irate", "increase", "resets"))
# Prometheus client libraries' default buckets: used when no `le` value is ever matched.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_RESERVED = frozenset(("le", "quantile", "__name__"))
_GRAFANA_VALUE = re.compile(r"\$|__var_")  # a value only known once Grafana substitutes a variable


@dataclass
class _Seen:
    """What the expressions show about one series name."""

    counter_use: bool = False
    labels: set[str] = field(default_factory=set)
    values: dict[str, set[str]] = field(default_factory=dict)
    le: set[str] = field(default_factory=set)
    quantile_thresholds: set[float] = field(default_factory=set)  # numbers a histogram_quantile is compared with
    peers: set[str] = field(default_factory=set)  # series matched with it one-to-one on every label (`a / b`)


def infer_catalog(expressions: Iterable[str], recorded: Iterable[str] = (), grafana: bool = False) -> list[Metric]:
    """The metrics the expressions select, sorted by name. Raises ValueError for an expression that does not
    parse (callers say where it came from). ``grafana``: expressions hold Grafana variables (``$job``)."""
    seen: dict[str, _Seen] = {}
    for text in expressions:
        node = pp.parse(grafana_to_promql(text) if grafana else text)
        _visit(node, seen, counter=False, clause_labels=frozenset())
    skip = set(recorded)
    return _metrics({name: s for name, s in seen.items() if name not in skip})


def series_of(metrics: Iterable[Metric]) -> dict[str, tuple[Metric, str]]:
    """Series name -> (metric, suffix): ``x_bucket`` -> (histogram x, "_bucket"); ``x`` -> (x, "")."""
    found = {}
    for metric in metrics:
        for name in metric.series_names():
            found[name] = (metric, name[len(metric.name) :])
    return found


def _visit(node, seen: dict[str, _Seen], counter: bool, clause_labels: frozenset[str]) -> None:
    if isinstance(node, pp.VectorSelector):
        _record(node, seen, counter, clause_labels)
        return
    if isinstance(node, pp.MatrixSelector):
        _visit(node.vector_selector, seen, counter, clause_labels)
        return
    if isinstance(node, pp.Call):
        is_counter = node.func.name in COUNTER_FUNCTIONS
        for arg in node.args:
            _visit(arg, seen, is_counter, clause_labels)
        return
    if isinstance(node, pp.AggregateExpr):
        labels = frozenset(node.modifier.labels) if node.modifier is not None else frozenset()
        if node.param is not None:
            _visit(node.param, seen, False, clause_labels)
        _visit(node.expr, seen, False, clause_labels | labels)
        return
    if isinstance(node, pp.BinaryExpr):
        _note_quantile_threshold(node, seen)
        labels = frozenset()
        matching = getattr(node.modifier, "matching", None) if node.modifier is not None else None
        if matching is not None and str(matching).startswith("on"):
            # on (...) labels are on both sides; ignoring (...) ones may be on one side only (`a - ignoring
            # (state) b{state="x"}`): giving them to both would make a match many-to-one
            labels = frozenset(matching.labels)
        for side in (node.lhs, node.rhs):
            _visit(side, seen, False, clause_labels | labels)
        if _matches_all_labels(node):
            left, right = _label_keeping(node.lhs), _label_keeping(node.rhs)
            for a in left:
                seen.setdefault(a, _Seen()).peers |= right
            for b in right:
                seen.setdefault(b, _Seen()).peers |= left
        return
    if isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
        _visit(node.expr, seen, counter if isinstance(node, pp.ParenExpr) else False, clause_labels)


# functions whose result keeps the labels of their vector argument (all but __name__)
_KEEPING = frozenset(
    """rate irate increase delta idelta deriv predict_linear resets changes abs ceil floor round exp ln log2 log10
    sqrt clamp clamp_min clamp_max avg_over_time min_over_time max_over_time sum_over_time count_over_time
    quantile_over_time stddev_over_time stdvar_over_time last_over_time present_over_time""".split()
)


def _label_keeping(node) -> set[str]:
    """Names of the selectors whose labels reach the expression's result unchanged (`rate(x[5m]) * 100`: x)."""
    if isinstance(node, pp.VectorSelector):
        return {node.name} if node.name else set()
    if isinstance(node, pp.MatrixSelector):
        return _label_keeping(node.vector_selector)
    if isinstance(node, (pp.ParenExpr, pp.UnaryExpr)):
        return _label_keeping(node.expr)
    if isinstance(node, pp.Call) and node.func.name in _KEEPING:
        return set().union(*(_label_keeping(a) for a in node.args))
    if isinstance(node, pp.BinaryExpr) and str(node.op) in ("and", "unless"):
        return _label_keeping(node.lhs)
    if isinstance(node, pp.BinaryExpr) and _matches_all_labels(node):
        return _label_keeping(node.lhs) | _label_keeping(node.rhs)
    return set()


def _matches_all_labels(node) -> bool:
    """A binary operation matching its sides on every label: no `on`/`ignoring`, no `group_*`, not `or`."""
    if str(node.op) == "or":
        return False
    modifier = node.modifier
    if modifier is None:
        return True
    card = str(getattr(modifier, "card", ""))
    return getattr(modifier, "matching", None) is None and (card.endswith("OneToOne") or card.endswith("ManyToMany"))


def _note_quantile_threshold(node, seen: dict[str, _Seen]) -> None:
    """`histogram_quantile(..., x_bucket ...) > 60`: the default buckets top at 10, so 60 is noted for x."""
    if str(node.op) not in COMPARISONS:
        return
    for number, other in ((node.rhs, node.lhs), (node.lhs, node.rhs)):
        value = _constant(number)
        if value is not None and math.isfinite(value):
            for name in _quantile_buckets(other):
                seen.setdefault(name, _Seen()).quantile_thresholds.add(abs(value))


_ARITHMETIC = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b}


def _constant(node) -> float | None:
    """The value of a number written as arithmetic (`7*24*60*60`), or None."""
    if isinstance(node, pp.ParenExpr):
        return _constant(node.expr)
    if isinstance(node, pp.NumberLiteral):
        return float(node.val)
    if isinstance(node, pp.UnaryExpr):
        inner = _constant(node.expr)
        return -inner if inner is not None else None
    if isinstance(node, pp.BinaryExpr) and str(node.op) in _ARITHMETIC:
        a, b = _constant(node.lhs), _constant(node.rhs)
        if a is not None and b is not None and not (str(node.op) == "/" and b == 0):
            return _ARITHMETIC[str(node.op)](a, b)
    return None


def _quantile_buckets(node, inside: bool = False):
    """Names of the `_bucket` series a histogram_quantile under ``node`` reads."""
    if isinstance(node, pp.VectorSelector):
        if inside and node.name and node.name.endswith("_bucket"):
            yield node.name
        return
    if isinstance(node, pp.Call):
        inside = inside or node.func.name == "histogram_quantile"
    for child in ("expr", "lhs", "rhs", "vector_selector"):
        if getattr(node, child, None) is not None:
            yield from _quantile_buckets(getattr(node, child), inside)
    for arg in getattr(node, "args", None) or ():
        yield from _quantile_buckets(arg, inside)


def _record(selector, seen: dict[str, _Seen], counter: bool, clause_labels: frozenset[str]) -> None:
    name = selector.name or next(
        (m.value for m in selector.matchers.matchers if m.name == "__name__" and str(m.op).endswith(".Equal")), None
    )
    if not name or name.startswith("__var_"):  # no name, or one Grafana fills in from a variable
        return
    entry = seen.setdefault(name, _Seen())
    entry.counter_use |= counter
    entry.labels |= clause_labels
    for matcher in selector.matchers.matchers:
        if matcher.name == "__name__":
            continue
        entry.labels.add(matcher.name)
        equal = str(matcher.op).endswith(".Equal")
        if equal and matcher.value and not _GRAFANA_VALUE.search(matcher.value):
            if matcher.name == "le":
                entry.le.add(matcher.value)
            else:
                entry.values.setdefault(matcher.name, set()).add(matcher.value)


def _metrics(seen: dict[str, _Seen]) -> list[Metric]:
    families: dict[str, tuple[MetricType, list[_Seen]]] = {}
    for name, entry in seen.items():
        base, kind = _family(name, entry, seen)
        _, members = families.setdefault(base, (kind, []))
        members.append(entry)
    _share_peer_labels(seen, families)
    all_labels: dict[str, set[str]] = {}
    for kind, members in families.values():
        for entry in members:
            for label in entry.labels - _reserved(kind):
                all_labels.setdefault(label, set()).update(entry.values.get(label, ()))
    shared = {name: Label(name, tuple(sorted(values)), origin="inferred") for name, values in all_labels.items()}
    metrics = []
    for base, (kind, members) in sorted(families.items()):
        names = sorted(set().union(*(m.labels for m in members)) - _reserved(kind))
        buckets = ()
        if kind is MetricType.HISTOGRAM:
            thresholds = set().union(*(m.quantile_thresholds for m in members))
            buckets = _buckets(set().union(*(m.le for m in members)), thresholds)
        metrics.append(
            Metric(
                base,
                kind,
                _help(kind, members),
                labels=tuple(shared[n] for n in names),
                buckets=buckets,
                external=True,
                origin="inferred",
            )
        )
    return metrics


def _share_peer_labels(seen: dict[str, _Seen], families: dict) -> None:
    """`avail{fstype!~"tmpfs"} / size`: a one-to-one match needs the same labels on both sides, so gauges and
    counters matched that way get each other's label names (two rounds: `a / b and c`)."""
    plain = {
        name for name, entry in seen.items() if _family(name, entry, seen)[1] in (MetricType.GAUGE, MetricType.COUNTER)
    }
    for _ in range(2):
        for name in plain:
            entry = seen[name]
            for peer in entry.peers & plain:
                entry.labels |= seen[peer].labels - _RESERVED


def _reserved(kind: MetricType) -> frozenset[str]:
    """Labels Prometheus adds: `quantile` only to summaries; an exporter's gauge may carry its own
    (`cassandra_table_tombstones_scanned{quantile="0.99"}`)."""
    if kind in (MetricType.HISTOGRAM, MetricType.SUMMARY):
        return _RESERVED
    return _RESERVED - {"quantile"}


def _family(name: str, entry: _Seen, seen: dict[str, _Seen]) -> tuple[str, MetricType]:
    """The metric a series belongs to, and its type."""
    for suffix in ("_bucket", "_count", "_sum"):
        base = name[: -len(suffix)]
        if not name.endswith(suffix) or not base:
            continue
        if base + "_bucket" in seen:
            return base, MetricType.HISTOGRAM
        if base + "_count" in seen and base + "_sum" in seen and base not in seen:
            return base, MetricType.SUMMARY
    if name.endswith("_total") or entry.counter_use:
        return name, MetricType.COUNTER
    return name, MetricType.GAUGE


def _buckets(values: set[str], thresholds: set[float] = frozenset()) -> tuple[float, ...]:
    numbers = set()
    for value in values:
        try:
            number = float(value)
        except ValueError:
            continue
        if number != float("inf"):
            numbers.add(number)
    if numbers:
        return tuple(sorted(numbers))
    # the defaults, continued a decade at a time (25, 50, 100, ...) past twice the largest threshold compared
    # with a quantile, so a latency alert at 60 s can fire
    buckets = list(DEFAULT_BUCKETS)
    while thresholds and buckets[-1] <= 2 * max(thresholds):
        buckets += [buckets[-3] * 10, buckets[-2] * 10, buckets[-1] * 10]
    return tuple(buckets)


def _help(kind: MetricType, members: list[_Seen]) -> str:
    why = {
        MetricType.HISTOGRAM: "its _bucket series or le label",
        MetricType.SUMMARY: "its _count and _sum series",
        MetricType.COUNTER: "its _total name or rate()/increase() use",
        MetricType.GAUGE: "no counter or histogram use",
    }[kind]
    return f"Inferred from queries: a {kind.value} ({why})."
