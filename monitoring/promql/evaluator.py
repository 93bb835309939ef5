"""A PromQL evaluator independent of Prometheus, for computing generated tests' expectations.

It implements the PromQL of Prometheus 2.42 over float samples (native histograms stay out): selectors with
lookback and staleness, offset and @, subqueries, every function (functions.py, a table like 2.42's
FunctionCalls), every aggregation (aggregations.py), every binary operator with vector matching (binary.py).
Arithmetic mirrors 2.42 operation for operation (Kahan sums where 2.42 uses them, plain sums where it does not,
rate's extrapolation factor divided before it multiplies), so float64 results are bit-identical to promtool's
and can be compared exactly; the README lists where the order of operations matters.

Semantics as 2.42 has them:
- an instant selector reads a series' latest sample at or before t - offset, if it is at most the lookback
  (5m) old (both ends included) and not a stale marker;
- a range selector [r] reads the samples with t - offset - r <= time <= t - offset, stale markers skipped;
- recording rules are evaluated in order at each rule-evaluation time, so a selector naming a recorded series
  reads the rule's result at t (and, when the rule interval is given, at every earlier evaluation time, which
  range selectors, offset and subqueries over recorded series need).

Anything outside it raises Unsupported naming the construct and its column.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from operator import itemgetter

import promql_parser as pp

from monitoring.promql import aggregations, binary
from monitoring.promql.functions import FUNCTIONS, go_regex, not_in_242
from monitoring.promql.parse import parse
from monitoring.promql.values import (
    LOOKBACK,
    STALE_NAN,
    Labels,
    QueryError,
    Series,
    Unsupported,
    check_unique,
    drop_name,
    is_stale,
    labels_of,
)

__all__ = ["Evaluator", "LOOKBACK", "Series", "Unsupported", "QueryError", "labels_of", "STALE_NAN"]

# Aggregations of 2.42 (promql-parser also knows later ones, e.g. limitk).
_AGGREGATIONS_242 = frozenset(aggregations.SIMPLE) | {"topk", "bottomk", "quantile", "count_values"}
DEFAULT_SUBQUERY_STEP = 60.0  # promtool's and the engine tests' default evaluation interval


class _Stored:
    """One input series, indexed for selection: all samples (instant lookups) and those without stale markers."""

    __slots__ = ("labels", "mapping", "times", "samples", "clean_times", "clean")

    def __init__(self, series: Series):
        self.labels = series.labels
        self.mapping = dict(series.labels)
        self.samples = series.samples
        self.times = list(map(itemgetter(0), series.samples))
        # C-level first: a NaN anywhere makes the sum NaN (so may inf - inf); only then look for stale markers.
        total = sum(map(itemgetter(1), series.samples))
        if total != total and any(v != v and is_stale(v) for _, v in series.samples):
            self.clean = tuple(s for s in series.samples if not (s[1] != s[1] and is_stale(s[1])))
            self.clean_times = [ts for ts, _ in self.clean]
        else:
            self.clean, self.clean_times = self.samples, self.times


# Input series indexed once (see _stored), while they are kept, up to this many samples in all.
_STORED_SAMPLES = 1 << 19
_STORED: dict[int, tuple[Series, _Stored]] = {}
_stored_count = [0]


def _stored(series: Series) -> _Stored:
    """The series indexed for selection, once per Series object: the test generator's search builds an evaluator
    for every setting it measures, over mostly the same series objects. Each entry holds its series, so an id is
    never reused while its entry exists."""
    entry = _STORED.get(id(series))
    if entry is None or entry[0] is not series:
        if _stored_count[0] >= _STORED_SAMPLES:
            _STORED.clear()
            _stored_count[0] = 0
        entry = _STORED[id(series)] = (series, _Stored(series))
        _stored_count[0] += len(series.samples)
    return entry[1]


class Evaluator:
    """Evaluate instant queries at time t over fixed input series (+ recording rules by name).

    ``rule_interval``: the rule group's evaluation interval, when recorded series must be read at other times
    than t itself (range selectors, offset, subqueries over them). ``subquery_step``: a subquery's step when
    it gives none (Prometheus uses the global evaluation interval). ``check_order``: record in
    ``order_dependent`` every sum/avg/stddev/stdvar whose result depends on the order of its input series.
    ``rule_order``: {record: its place in the order rules are evaluated at each tick}; a rule evaluated before
    the rule recording what it reads sees that series as of the previous tick (promtool evaluates the groups one
    after the other, each rule in turn). Without it every recorded series read is fresh at its tick.
    """

    def __init__(
        self,
        series: list[Series],
        recording_rules: dict[str, tuple[str, dict]] | None = None,
        *,
        rule_interval: float | None = None,
        subquery_step: float = DEFAULT_SUBQUERY_STEP,
        lookback: float = LOOKBACK,
        check_order: bool = False,
        rule_order: dict[str, int] | None = None,
    ):
        self.series = sorted(series, key=lambda s: s.labels)
        self.rules = recording_rules or {}  # record -> (expr, extra labels)
        self.rule_interval = rule_interval
        self.subquery_step = subquery_step
        self.lookback = lookback
        # With check_order, aggregations whose result depends on the order of the series are recorded here as
        # (operator, output labels): promtool's series order is random, so such values are not reproducible.
        self.check_order = check_order
        self.order_dependent: set[tuple[str, Labels]] = set()
        self._cache: dict = {}
        self._matched: dict[tuple, list] = {}  # (name, matchers) -> the input series they match
        self._stored = [_stored(s) for s in self.series]
        self._by_name: dict[str | None, list[_Stored]] = {}
        for stored in self._stored:
            self._by_name.setdefault(stored.mapping.get("__name__"), []).append(stored)
        self._query_time = 0.0  # what @ start() and @ end() mean: the instant query's time
        self.rule_order = rule_order or {}
        self._reader: tuple[int, float] | None = None  # (place, tick) of the rule being evaluated, if any
        # subqueries' inner results: (inner text, reading rule) -> {ms: point}
        self._points: dict[tuple, dict[int, tuple]] = {}

    # --- public -------------------------------------------------------------------------------
    def instant(self, expr: str, t: float) -> list[tuple[Labels, float]]:
        """The result at t, sorted by labels; a scalar as [((), value)]."""
        value = self.query(expr, t)
        if isinstance(value, float):
            return [((), value)]
        if isinstance(value, str):
            raise Unsupported("a string result has no samples", None)
        return sorted(value)

    def query(self, expr: str, t: float):
        """The result at t as the engine returns it: a float, a str, or a list of (labels, value) in its order."""
        node = _parsed(expr)
        t = float(t)
        outer, self._query_time = self._query_time, t
        try:
            return self._eval(node, t)
        except Unsupported as exc:
            raise _located(exc, expr) from None
        finally:
            self._query_time = outer

    # --- what functions and operators call --------------------------------------------------------
    def vector(self, node, t):
        value = self._eval(node, t)
        if not isinstance(value, list):
            raise Unsupported("expected an instant vector")
        return value

    def scalar(self, node, t) -> float:
        value = self._eval(node, t)
        if not isinstance(value, float):
            raise Unsupported("expected a scalar")
        return value

    @staticmethod
    def unwrap(node):
        """The node inside any parentheses (the same object every time: plans are kept per node object)."""
        while isinstance(node, pp.ParenExpr):
            node = _plan(node, _inner)
        return node

    def string(self, node) -> str:
        while isinstance(node, pp.ParenExpr):
            node = node.expr
        if not isinstance(node, pp.StringLiteral):
            raise Unsupported("expected a string literal")
        return node.val

    def matrix(self, node, t):
        """(range start, range end, window, [(labels, samples)], whether all series have one metric name) of a
        range selector or a subquery (dropping the name cannot merge series of one metric)."""
        if type(node) is not pp.MatrixSelector:
            node = self.unwrap(node)
            if isinstance(node, pp.SubqueryExpr):
                return (*self._subquery(node, t), False)
            if not isinstance(node, pp.MatrixSelector):
                raise Unsupported("expected a range vector")
        window, selector, one_name = _plan(node, _matrix_plan)
        name, matchers, offset, at = _plan(selector, _selector_plan)
        end = (self._at_time(at) if at is not None else t) - offset
        start = end - window
        return start, end, window, self._window(name, matchers, start, end), one_name

    def select_with_times(self, selector, t):
        """[(labels, sample time, value)] of an instant selector (timestamp() reads the sample times)."""
        name, matchers, offset, at = _plan(selector, _selector_plan)
        ref = (self._at_time(at) if at is not None else t) - offset
        if name in self.rules:
            return [(labels, ts, v) for labels, ts, v in self._recorded_instant(name, matchers, ref)]
        out = []
        oldest = ref - self.lookback
        for stored in self._matching(name, matchers):
            i = bisect_right(stored.times, ref) - 1
            if i < 0:
                continue
            ts, v = stored.samples[i]
            if ts < oldest or (v != v and is_stale(v)):
                continue
            out.append((stored.labels, ts, v))
        return out

    # --- nodes --------------------------------------------------------------------------------
    def _eval(self, node, t: float):
        method = _DISPATCH.get(type(node))
        if method is None:
            raise Unsupported(f"{type(node).__name__} is not supported by the test generator's evaluator")
        return method(self, node, t)

    def _paren(self, node, t: float):
        return self._eval(_plan(node, _inner), t)

    def _number(self, node, t: float):
        return float(node.val)

    def _string(self, node, t: float):
        return node.val

    def _unary(self, node, t: float):
        inner = self._eval(_plan(node, _inner), t)
        if isinstance(inner, float):
            return -inner
        return check_unique([(drop_name(l), -v) for l, v in inner], "unary minus")

    def _select(self, selector, t: float):
        name, matchers, offset, at = _plan(selector, _selector_plan)
        ref = (self._at_time(at) if at is not None else t) - offset
        if name in self.rules:
            return [(labels, v) for labels, _, v in self._recorded_instant(name, matchers, ref)]
        out = []
        oldest = ref - self.lookback
        for stored in self._matching(name, matchers):
            i = bisect_right(stored.times, ref) - 1
            if i >= 0:
                ts, v = stored.samples[i]
                if ts >= oldest and not (v != v and is_stale(v)):
                    out.append((stored.labels, v))
        return out

    def _matrix_selector(self, node, t: float):
        raise Unsupported("a range vector cannot be the result of an instant query; use a function over it")

    def _subquery_node(self, node, t: float):
        raise Unsupported("a subquery cannot be the result of an instant query; use a function over it")

    def _matching(self, name, matchers) -> list[_Stored]:
        matched = self._matched.get((name, matchers))
        if matched is None:  # which series match does not change from step to step
            candidates = self._by_name.get(name, ()) if name is not None else self._stored
            matched = self._matched[name, matchers] = [s for s in candidates if _matches(s.mapping, matchers)]
        return matched

    def _window(self, name, matchers, start: float, end: float):
        """[(labels, samples with start <= time <= end, stale markers left out)] of the matched series."""
        if name in self.rules:
            return self._recorded_window(name, matchers, start, end)
        return [
            (s.labels, s.clean[bisect_left(s.clean_times, start) : bisect_right(s.clean_times, end)])
            for s in self._matching(name, matchers)
        ]

    def _at_time(self, at) -> float:
        return self._query_time if at is _START_OR_END else at

    # --- recording rules ----------------------------------------------------------------------
    def _eval_cached(self, expr: str, t: float):
        # rules written differently but parsing alike are computed once; with rule_order, what a rule reads
        # depends on its place in the order too
        key = (_canonical(expr), t, self._reader and self._reader[0])
        entry = self._cache.get(key)
        if entry is None:
            # with check_order, the order-dependent aggregations met computing the value are kept with it: a
            # later reader of the cached value depends on them as much as the first one did
            outer, self.order_dependent = self.order_dependent, set()
            try:
                value = self.instant(expr, t)
            finally:
                met, self.order_dependent = self.order_dependent, outer
            entry = self._cache[key] = (value, frozenset(met))
        self.order_dependent |= entry[1]
        return entry[0]

    def _recorded_at(self, name, matchers, t):
        """A rule's result as recorded at evaluation time t: [(recorded labels, value)] the selector matches."""
        expr, extra = self.rules[name]
        extra = tuple(extra.items())
        out = []
        outer = self._reader
        self._reader = (self.rule_order[name], t) if name in self.rule_order else None
        try:
            result = self._eval_cached(expr, t)
        finally:
            self._reader = outer
        for labels, value in result:
            recorded = _recorded_labels(labels, extra, name, matchers)
            if recorded is not None:
                out.append((recorded, value))
        return out

    def _rule_times(self, start: float, end: float, what: str, name: str = "") -> list[float]:
        if self.rule_interval is None:
            raise Unsupported(f"{what} over recorded series needs the rule interval", None)
        step = self.rule_interval
        if self._reader is not None and self.rule_order.get(name, -1) >= self._reader[0]:
            end = min(end, self._reader[1] - step)  # recorded after the reader: not yet at this tick
        first = max(0, math.ceil(start / step - 1e-9))
        times = []
        k = first
        while k * step <= end:
            if k * step >= start:
                times.append(k * step)
            k += 1
        return times

    def _recorded_instant(self, name, matchers, ref):
        if self.rule_interval is None:
            # Rules run at t, in order: a rule read at the evaluation time itself is the rule at t.
            if ref != self._query_time:
                raise Unsupported("offset, @ and subqueries over recorded series need the rule interval", None)
            return [(labels, ref, v) for labels, v in self._recorded_at(name, matchers, ref)]
        times = self._rule_times(ref - self.lookback, ref, "reading", name)
        if not times:
            return []
        last = times[-1]  # a series missing there was marked stale when the rule stopped producing it
        return [(labels, last, v) for labels, v in self._recorded_at(name, matchers, last)]

    def _recorded_window(self, name, matchers, start, end):
        series: dict[Labels, list] = {}
        for ts in self._rule_times(start, end, "a range selector", name):
            for labels, v in self._recorded_at(name, matchers, ts):
                series.setdefault(labels, []).append((ts, v))
        return list(series.items())

    # --- subqueries ---------------------------------------------------------------------------
    def _subquery(self, node, t: float):
        inner, window, step, offset, at, shared = _plan(node, _subquery_plan)
        end = (self._at_time(at) if at is not None else t) - offset
        step = step or self.subquery_step
        # 2.42 works in integer milliseconds: the first step at or after end - window that is a multiple of step.
        step_ms, start_ms = round(step * 1000), round((end - window) * 1000)
        first = step_ms * int(start_ms / step_ms)  # Go's integer division truncates toward zero
        if first < start_ms:
            first += step_ms
        end_ms = round(end * 1000)
        series: dict[Labels, list] = {}
        # Consecutive queries read mostly the same points (a [3d:] subquery at every step): each point is a
        # function of the inner expression and its time alone, so it is computed once, as (labels, sample) pairs.
        # Under rule_order a point depends on the rule reading it (its place and tick) as well.
        points = self._points.setdefault((shared, self._reader), {}) if shared is not None else {}
        get = points.get
        current = bucket = None
        for ts_ms in range(first, end_ms + 1, step_ms):
            entry = get(ts_ms)
            if entry is None:
                entry = points[ts_ms] = self._subquery_point(inner, ts_ms / 1000)
            for labels, sample in entry:
                if labels != current:  # most points hold the same one series
                    current, bucket = labels, series.setdefault(labels, [])
                bucket.append(sample)
        return end - window, end, window, list(series.items())

    def _subquery_point(self, inner, ts: float) -> tuple:
        value = self._eval(inner, ts)
        if isinstance(value, float):
            return (((), (ts, value)),)
        if isinstance(value, list):
            return tuple((labels, (ts, v)) for labels, v in value)
        raise Unsupported("a subquery needs a vector or scalar expression")

    # --- functions ----------------------------------------------------------------------------
    def _call(self, node, t: float):
        name, args = _plan(node, _call_plan)
        function = FUNCTIONS.get(name)
        if function is None:
            raise not_in_242(name)
        return function(self, args, t)

    # --- aggregation --------------------------------------------------------------------------
    def _aggregate(self, node, t: float):
        op, without, grouping, param, expr, key_of = _plan(node, _aggregate_plan)
        if op not in _AGGREGATIONS_242:
            raise Unsupported(f"aggregation {op} is not in Prometheus 2.42's PromQL", f"{op}")
        if op in aggregations.SIMPLE:
            vector = self.vector(expr, t)
            if self.check_order and op in aggregations.ORDER_SENSITIVE:
                for key, samples in aggregations.group_by(vector, key_of).items():
                    if aggregations.order_dependent(op, [v for _, v in samples]):
                        self.order_dependent.add((op, key))
            return aggregations.simple(op, vector, key_of)
        if op == "count_values":
            label = self.string(param)
            value_key = key_of if without else _key_function(False, grouping | {label})
            return aggregations.count_values(label, self.vector(expr, t), value_key)
        value = self.scalar(param, t)
        vector = self.vector(expr, t)
        if op == "quantile":
            return aggregations.quantile_by(value, vector, key_of)
        return aggregations.top_bottom(op, value, vector, key_of)

    # --- binary operators ---------------------------------------------------------------------
    def _binary(self, node, t: float):
        op, lhs_node, rhs_node, matching = _plan(node, _binary_plan)
        lhs, rhs = self._eval(lhs_node, t), self._eval(rhs_node, t)
        lhs_scalar, rhs_scalar = isinstance(lhs, float), isinstance(rhs, float)
        if lhs_scalar and rhs_scalar:
            return binary.scalar_scalar(op, lhs, rhs)
        if rhs_scalar or lhs_scalar:
            vector, scalar = (lhs, rhs) if rhs_scalar else (rhs, lhs)
            out = binary.vector_scalar(op, vector, scalar, matching.return_bool, lhs_scalar)
            return check_unique(out, f"operator {op} bool") if matching.return_bool else out
        if op in ("and", "or", "unless"):
            return binary.set_operation(op, lhs, rhs, matching)
        return binary.vector_vector(op, lhs, rhs, matching)


_NEGATIVE_AT = re.compile(r"@\s*-")


@lru_cache(maxsize=4096)
def _canonical(expr: str) -> str:
    return str(_parsed(expr))


@lru_cache(maxsize=4096)
def _parsed(expr: str):
    negative_at = _NEGATIVE_AT.search(expr)
    if negative_at:  # promql-parser reads `@ -5` as `@ 0`: refuse rather than compute something else
        raise _located(Unsupported("a negative @ timestamp", negative_at.group()), expr)
    return parse(expr)


_DISPATCH = {
    pp.ParenExpr: Evaluator._paren,
    pp.NumberLiteral: Evaluator._number,
    pp.StringLiteral: Evaluator._string,
    pp.UnaryExpr: Evaluator._unary,
    pp.VectorSelector: Evaluator._select,
    pp.MatrixSelector: Evaluator._matrix_selector,
    pp.SubqueryExpr: Evaluator._subquery_node,
    pp.Call: Evaluator._call,
    pp.AggregateExpr: Evaluator._aggregate,
    pp.BinaryExpr: Evaluator._binary,
}

# What the evaluator reads from a parsed node, read once per node: promql-parser builds modifiers, matchers
# and argument lists anew on every attribute access. Parsed nodes live as long as the parse cache (forever),
# and each entry holds its node, so an id is never reused while its entry exists. Entries are keyed by node
# alone, so each node type has exactly one plan function (a second one would read the first one's entry).
_PLANS: dict[int, tuple] = {}
_START_OR_END = object()  # @ start() / @ end(): an instant query's own time


def _plan(node, make):
    entry = _PLANS.get(id(node))
    if entry is None or entry[0] is not node:
        entry = _PLANS[id(node)] = (node, make(node))
    return entry[1]


def _inner(node):
    return node.expr


def _seconds(delta) -> float:
    return delta.total_seconds() if delta is not None else 0.0


def _at_of(node):
    at = node.at
    if at is None:
        return None
    kind = str(at.type)
    if kind.endswith("Start") or kind.endswith("End"):
        return _START_OR_END
    return at.at.timestamp()


def _selector_plan(selector):
    matchers = tuple((m.name, str(m.op).split(".")[-1], m.value) for m in selector.matchers.matchers)
    if selector.name:
        matchers = tuple(m for m in matchers if m[0] != "__name__" or m[1] != "Equal" or m[2] != selector.name)
    name = selector.name or None
    if name is None:  # {__name__="x"} is x
        names = [m[2] for m in matchers if m[0] == "__name__" and m[1] == "Equal"]
        if names:
            name = names[0]
    return name, matchers, _seconds(selector.offset), _at_of(selector)


def _matrix_plan(node):
    """(window, selector, whether the selector names one metric)."""
    selector = node.vector_selector
    return node.range.total_seconds(), selector, _plan(selector, _selector_plan)[0] is not None


def _call_plan(node):
    return node.func.name, tuple(node.args)


def _subquery_plan(node):
    """(inner, window, step, offset, @, key of the inner's points): the key is the inner expression's text, or
    None when an @ start()/end() in it may make its points depend on the outer query's time."""
    text = str(node.expr)
    shared = None if "@" in text else text
    return node.expr, node.range.total_seconds(), _seconds(node.step), _seconds(node.offset), _at_of(node), shared


def _aggregate_plan(node):
    modifier = node.modifier
    without = modifier is not None and str(modifier.type).endswith("Without")
    grouping = frozenset(modifier.labels) if modifier is not None else frozenset()
    return str(node.op), without, grouping, node.param, node.expr, _key_function(without, grouping)


def _binary_plan(node):
    return str(node.op), node.lhs, node.rhs, binary.Matching(node.modifier)


def _key_function(without: bool, grouping: frozenset) -> aggregations.GroupKey:
    """Aggregation output labels: `by` keeps the listed labels, `without` drops them and __name__."""
    if without:
        dropped = grouping | {"__name__"}
        return aggregations.GroupKey(lambda labels: tuple((k, v) for k, v in labels if k not in dropped))
    return aggregations.GroupKey(lambda labels: tuple((k, v) for k, v in labels if k in grouping))


@lru_cache(maxsize=1 << 16)
def _recorded_labels(labels: Labels, extra: tuple, name: str, matchers: tuple) -> Labels | None:
    """A rule result's labels as recorded (its extra labels, __name__), or None if the selector rejects them."""
    full = dict(labels)
    full.update(extra)
    full["__name__"] = name
    return labels_of(full) if _matches(full, matchers) else None


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern:
    try:
        return re.compile(go_regex(pattern))
    except re.error as exc:
        raise QueryError(f"invalid regular expression {pattern!r}: {exc}") from None


def _matches(labels: dict, matchers) -> bool:
    for name, op, value in matchers:
        actual = labels.get(name, "")
        if op == "Equal":
            if actual != value:
                return False
        elif op == "NotEqual":
            if actual == value:
                return False
        elif op == "Re":
            if not _regex(value).fullmatch(actual):
                return False
        elif not op == "NotRe" or _regex(value).fullmatch(actual):
            return False
    return True


def _located(exc: Unsupported, expr: str) -> Unsupported:
    """The same error, with the column of the construct it names (when it names one found in the text)."""
    construct = getattr(exc, "construct", None)
    if not construct:
        return exc
    index = expr.find(construct)
    if index < 0:
        return exc
    located = type(exc)(f"{exc} (column {index + 1})", None)
    return located
