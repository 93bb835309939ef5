"""A small PromQL evaluator, independent of Prometheus, for computing generated tests' expectations.

It covers the subset that rules in definitions use (selectors, range functions over counters and gauges,
aggregations, vector matching, histogram_quantile) and mirrors Prometheus 2.42's arithmetic step by step
(range selectors closed at both ends, extrapolated rate, incremental avg, bucket interpolation), so the
float64 results are bit-identical to promtool's and can be compared exactly. Anything outside the subset
raises Unsupported instead of guessing.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache

import promql_parser as pp

from monitoring.promql.parse import parse

LOOKBACK = 300.0  # seconds, Prometheus' default lookback delta


class Unsupported(Exception):
    """The expression uses PromQL the evaluator does not implement."""


Labels = tuple  # sorted tuple of (name, value), including "__name__" where present


@dataclass(frozen=True)
class Series:
    labels: Labels
    samples: tuple[tuple[float, float], ...]  # (time in seconds, value), increasing time


def labels_of(mapping: dict) -> Labels:
    return tuple(sorted(mapping.items()))


@lru_cache(maxsize=1 << 16)  # the same few label sets recur at every evaluation step
def _drop_name(labels: Labels) -> Labels:
    return tuple((k, v) for k, v in labels if k != "__name__")


class Evaluator:
    """Evaluate instant queries at time t over fixed input series (+ recording rules by name)."""

    def __init__(self, series: list[Series], recording_rules: dict[str, tuple[str, dict]] | None = None):
        self.series = sorted(series, key=lambda s: s.labels)
        self.rules = recording_rules or {}  # record -> (expr, extra labels)
        self._cache: dict = {}
        self._matched: dict[tuple, list] = {}  # (name, matchers) -> the input series they match
        # Series by name, with their labels as a dict and their sample times, so a selector only looks at
        # its own series and finds a window by bisection instead of scanning every sample.
        self._by_name: dict[str, list[tuple[Labels, dict, list[float], tuple]]] = {}
        for series in self.series:
            labels = dict(series.labels)
            self._by_name.setdefault(labels.get("__name__"), []).append(
                (series.labels, labels, [ts for ts, _ in series.samples], series.samples)
            )

    # --- public -------------------------------------------------------------------------------
    def instant(self, expr: str, t: float) -> list[tuple[Labels, float]]:
        value = self._eval(parse(expr), t)
        if isinstance(value, float):
            return [((), value)]
        return sorted(value)

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

    def _unary(self, node, t: float):
        inner = self._eval(_plan(node, _inner), t)
        return -inner if isinstance(inner, float) else [(_drop_name(l), -v) for l, v in inner]

    def _matching_series(self, selector, t: float, window: float, instant: bool = False):
        """[(labels, samples with t - window <= time <= t)] of the series the selector matches."""
        name, matchers, offset = _plan(selector, _selector_plan)
        if offset:
            raise Unsupported("offset is not supported")
        if name in self.rules:
            if not instant:
                raise Unsupported("range selectors over recorded series are not supported")
            return self._recorded(name, matchers, t)
        matched = self._matched.get((name, matchers))
        if matched is None:  # which series match does not change from step to step
            matched = self._matched[name, matchers] = [
                (labels, times, samples)
                for labels, mapping, times, samples in self._by_name.get(name, ())
                if _matches(mapping, matchers)
            ]
        start = t - window
        return [
            (labels, samples[bisect_left(times, start) : bisect_right(times, t)]) for labels, times, samples in matched
        ]

    def _recorded(self, name, matchers, t):
        """A recording rule's series at t: its expression evaluated at t (rules run at t, in order)."""
        expr, extra = self.rules[name]
        extra = tuple(extra.items())
        out = []
        for labels, value in self._eval_cached(expr, t):
            recorded = _recorded_labels(labels, extra, name, matchers)
            if recorded is not None:
                out.append((recorded, [(t, value)]))
        return out

    def _eval_cached(self, expr: str, t: float):
        key = (expr, t)
        if key not in self._cache:
            self._cache[key] = self.instant(expr, t)
        return self._cache[key]

    def _select(self, selector, t: float):
        out = []
        for labels, samples in self._matching_series(selector, t, LOOKBACK, instant=True):
            recent = [(ts, v) for ts, v in samples if ts > t - LOOKBACK]
            if recent:
                out.append((labels, recent[-1][1]))
        return out

    def _range(self, node, t: float):
        if not isinstance(node, pp.MatrixSelector):
            raise Unsupported("subqueries are not supported")
        window, selector = _plan(node, lambda n: (n.range.total_seconds(), n.vector_selector))
        return window, self._matching_series(selector, t, window)

    # --- functions ----------------------------------------------------------------------------
    def _call(self, node, t: float):
        name, args = _plan(node, lambda n: (n.func.name, tuple(n.args)))
        if name in ("rate", "increase", "delta"):
            window, matrix = self._range(args[0], t)
            return [
                (_drop_name(l), v)
                for l, s in matrix
                if (v := _extrapolated(s, t - window, t, window, name != "delta", name == "rate")) is not None
            ]
        if name == "irate":
            _, matrix = self._range(args[0], t)
            return [(_drop_name(l), _irate(s)) for l, s in matrix if len(s) >= 2]
        if name in _OVER_TIME:
            _, matrix = self._range(args[0], t)
            return [(_drop_name(l), _OVER_TIME[name](s)) for l, s in matrix if s]
        if name == "histogram_quantile":
            q = self._scalar(args[0], t)
            return _histogram_quantile(q, self._eval(args[1], t))
        if name in ("abs", "ceil", "floor", "exp", "sqrt", "ln", "log2", "log10"):
            fn = {
                "abs": abs,
                "ceil": math.ceil,
                "floor": math.floor,
                "exp": math.exp,
                "sqrt": math.sqrt,
                "ln": math.log,
                "log2": math.log2,
                "log10": math.log10,
            }[name]
            return [(_drop_name(l), float(fn(v))) for l, v in self._vector(args[0], t)]
        if name in ("clamp_min", "clamp_max"):
            bound = self._scalar(args[1], t)
            pick = max if name == "clamp_min" else min
            return [(_drop_name(l), pick(v, bound)) for l, v in self._vector(args[0], t)]
        if name == "vector":
            return [((), self._scalar(args[0], t))]
        if name == "scalar":
            vec = self._vector(args[0], t)
            return vec[0][1] if len(vec) == 1 else math.nan
        raise Unsupported(f"function {name}() is not supported by the test generator's evaluator")

    def _scalar(self, node, t):
        value = self._eval(node, t)
        if not isinstance(value, float):
            raise Unsupported("expected a scalar")
        return value

    def _vector(self, node, t):
        value = self._eval(node, t)
        if isinstance(value, float):
            raise Unsupported("expected an instant vector")
        return value

    # --- aggregation --------------------------------------------------------------------------
    def _aggregate(self, node, t: float):
        op, by, listed, expr = _plan(node, _aggregate_plan)
        if op not in ("sum", "avg", "min", "max", "count", "group"):
            raise Unsupported(f"aggregation {op} is not supported")
        groups: dict[Labels, list[float]] = {}
        for labels, value in self._vector(expr, t):
            groups.setdefault(_group_key(labels, listed, by), []).append(value)
        return [(key, _AGGREGATE[op](values)) for key, values in groups.items()]

    # --- binary operators ---------------------------------------------------------------------
    def _binary(self, node, t: float):
        op, lhs_node, rhs_node, modifier = _plan(node, lambda n: (str(n.op), n.lhs, n.rhs, n.modifier))
        lhs, rhs = self._eval(lhs_node, t), self._eval(rhs_node, t)
        return_bool = bool(modifier and modifier.return_bool)
        if isinstance(lhs, float) and isinstance(rhs, float):
            return _scalar_op(op, lhs, rhs, True)
        if isinstance(rhs, float):
            return _vector_scalar(op, lhs, rhs, return_bool, scalar_right=True)
        if isinstance(lhs, float):
            return _vector_scalar(op, rhs, lhs, return_bool, scalar_right=False)
        if op in ("and", "or", "unless"):
            return _set_op(op, lhs, rhs, modifier)
        return _vector_vector(op, lhs, rhs, modifier, return_bool)


_DISPATCH = {
    pp.ParenExpr: Evaluator._paren,
    pp.NumberLiteral: Evaluator._number,
    pp.UnaryExpr: Evaluator._unary,
    pp.VectorSelector: Evaluator._select,
    pp.Call: Evaluator._call,
    pp.AggregateExpr: Evaluator._aggregate,
    pp.BinaryExpr: Evaluator._binary,
}

# What the evaluator reads from a parsed node, read once per node: promql-parser builds modifiers, matchers
# and argument lists anew on every attribute access. Parsed nodes live as long as the parse cache (forever),
# and each entry holds its node, so an id is never reused while its entry exists.
_PLANS: dict[int, tuple] = {}


def _plan(node, make):
    entry = _PLANS.get(id(node))
    if entry is None or entry[0] is not node:
        entry = _PLANS[id(node)] = (node, make(node))
    return entry[1]


def _inner(node):
    return node.expr


def _selector_plan(selector):
    matchers = tuple((m.name, str(m.op).split(".")[-1], m.value) for m in selector.matchers.matchers)
    return selector.name, matchers, selector.offset


def _aggregate_plan(node):
    modifier = node.modifier
    # The grouping key never keeps __name__: `by` keeps the listed labels, `without` all but those.
    by = modifier is None or str(modifier.type).endswith("By")
    listed = (
        frozenset(modifier.labels if modifier is not None else ()) - {"__name__"}
        if by
        else frozenset(modifier.labels) | {"__name__"}
    )
    return str(node.op), by, listed, node.expr


@lru_cache(maxsize=1 << 16)
def _recorded_labels(labels: Labels, extra: tuple, name: str, matchers: tuple) -> Labels | None:
    """A rule result's labels as recorded (its extra labels, __name__), or None if the selector rejects them."""
    full = dict(labels)
    full.update(extra)
    full["__name__"] = name
    return labels_of(full) if _matches(full, matchers) else None


def _matches(labels: dict, matchers) -> bool:
    for name, op, value in matchers:
        actual = labels.get(name, "")
        if op == "Equal" and actual != value:
            return False
        if op == "NotEqual" and actual == value:
            return False
        if op == "Re" and not re.fullmatch(value, actual):
            return False
        if op == "NotRe" and re.fullmatch(value, actual):
            return False
    return True


def _extrapolated(samples, range_start, range_end, window, is_counter, is_rate):
    """Prometheus 2.42 extrapolatedRate, operation for operation."""
    if len(samples) < 2:
        return None
    result = samples[-1][1] - samples[0][1]
    if is_counter:
        previous = samples[0][1]
        for _, value in samples[1:]:
            if value < previous:
                result += previous
            previous = value
    duration_to_start = samples[0][0] - range_start
    duration_to_end = range_end - samples[-1][0]
    sampled_interval = samples[-1][0] - samples[0][0]
    average_between = sampled_interval / float(len(samples) - 1)
    if is_counter and result > 0 and samples[0][1] >= 0:
        duration_to_zero = sampled_interval * (samples[0][1] / result)
        if duration_to_zero < duration_to_start:
            duration_to_start = duration_to_zero
    threshold = average_between * 1.1
    extrapolate_to = sampled_interval
    extrapolate_to += duration_to_start if duration_to_start < threshold else average_between / 2
    extrapolate_to += duration_to_end if duration_to_end < threshold else average_between / 2
    factor = extrapolate_to / sampled_interval
    if is_rate:
        factor /= window  # Prometheus divides the factor, not the result: the last bit differs
    return result * factor


def _irate(samples):
    (t1, v1), (t2, v2) = samples[-2], samples[-1]
    delta = v2 - v1 if v2 >= v1 else v2
    return delta / (t2 - t1)


def _avg_over_time(samples):
    mean, count = 0.0, 0.0
    for _, value in samples:
        count += 1
        mean += value / count - mean / count
    return mean


def _incremental_avg(values):
    mean, count = 0.0, 0.0
    for value in values:
        count += 1
        mean += value / count - mean / count
    return mean


def _plain_sum(values):
    total = 0.0
    for value in values:
        total += value
    return total


_OVER_TIME = {
    "avg_over_time": _avg_over_time,
    "sum_over_time": lambda s: _plain_sum(v for _, v in s),
    "min_over_time": lambda s: min(v for _, v in s),
    "max_over_time": lambda s: max(v for _, v in s),
    "count_over_time": lambda s: float(len(s)),
    "last_over_time": lambda s: s[-1][1],
}
_AGGREGATE = {
    "sum": _plain_sum,
    "avg": _incremental_avg,
    "min": min,
    "max": max,
    "count": lambda v: float(len(v)),
    "group": lambda v: 1.0,
}


def _histogram_quantile(q: float, vector):
    groups: dict[Labels, list[tuple[float, float]]] = {}
    for labels, value in vector:
        le, key = _bucket_of(labels)
        if le is None:
            continue
        groups.setdefault(key, []).append((le, value))
    return [(key, _bucket_quantile(q, buckets)) for key, buckets in groups.items()]


@lru_cache(maxsize=1 << 16)
def _group_key(labels: Labels, listed: frozenset, by: bool) -> Labels:
    """Aggregation key: `by` keeps the listed labels, `without` drops them (listed includes __name__ then)."""
    if by:
        return tuple((k, v) for k, v in labels if k in listed)
    return tuple((k, v) for k, v in labels if k not in listed)


@lru_cache(maxsize=1 << 16)
def _bucket_of(labels: Labels) -> tuple[float | None, Labels]:
    """(le as a number or None, the histogram's labels without le and __name__)."""
    le = next((v for k, v in labels if k == "le"), None)
    return (None if le is None else float(le)), tuple((k, v) for k, v in labels if k != "le" and k != "__name__")


def _bucket_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus 2.42 bucketQuantile (coalesce, monotonic fix, linear interpolation)."""
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    buckets = sorted(buckets)
    if not buckets or not math.isinf(buckets[-1][0]):
        return math.nan
    merged: list[list[float]] = []
    for upper, count in buckets:
        if merged and merged[-1][0] == upper:
            merged[-1][1] += count
        else:
            merged.append([upper, count])
    if len(merged) < 2:
        return math.nan
    maximum = -math.inf
    for bucket in merged:
        if bucket[1] > maximum:
            maximum = bucket[1]
        elif bucket[1] < maximum:
            bucket[1] = maximum
    observations = merged[-1][1]
    if observations == 0:
        return math.nan
    rank = q * observations
    b = next((i for i in range(len(merged) - 1) if merged[i][1] >= rank), len(merged) - 1)
    if b == len(merged) - 1:
        return merged[-2][0]
    if b == 0 and merged[0][0] <= 0:
        return merged[0][0]
    start, end, count = 0.0, merged[b][0], merged[b][1]
    if b > 0:
        start = merged[b - 1][0]
        count -= merged[b - 1][1]
        rank -= merged[b - 1][1]
    return start + (end - start) * (rank / count)


_COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}


def _scalar_op(op, a, b, return_bool):
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return (
            a / b
            if b != 0
            else (
                math.nan
                if a == 0 or math.isnan(a)
                else math.copysign(math.inf, a) * (1 if math.copysign(1, b) > 0 else -1)
            )
        )
    if op == "%":
        return math.fmod(a, b) if b != 0 else math.nan
    if op == "^":
        return a**b
    if op in _COMPARISONS:
        result = {"==": a == b, "!=": a != b, ">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]
        return 1.0 if result else 0.0
    raise Unsupported(f"operator {op} is not supported")


def _vector_scalar(op, vector, scalar, return_bool, scalar_right):
    out = []
    for labels, value in vector:
        a, b = (value, scalar) if scalar_right else (scalar, value)
        result = _scalar_op(op, a, b, return_bool)
        if op in _COMPARISONS:
            if return_bool:
                out.append((_drop_name(labels), result))
            elif result:
                out.append((labels, value))
        else:
            out.append((_drop_name(labels), result))
    return out


def _signature(labels: Labels, matching) -> Labels:
    plain = _drop_name(labels)
    if matching is None:
        return plain
    if str(matching.type).endswith("Include"):
        return tuple((k, v) for k, v in plain if k in matching.labels)
    return tuple((k, v) for k, v in plain if k not in matching.labels)


def _vector_vector(op, lhs, rhs, modifier, return_bool):
    matching = modifier.matching if modifier is not None else None
    card = str(modifier.card) if modifier is not None else "OneToOne"
    include = list(modifier.group_labels or ()) if modifier is not None else []
    if card.endswith("OneToMany"):
        raise Unsupported("group_right is not supported")
    right: dict[Labels, tuple[Labels, float]] = {}
    for labels, value in rhs:
        sig = _signature(labels, matching)
        if sig in right:
            raise Unsupported("many-to-many matching on the right-hand side")
        right[sig] = (labels, value)
    out = []
    seen = set()
    for labels, value in lhs:
        sig = _signature(labels, matching)
        if sig not in right:
            continue
        if not card.endswith("ManyToOne"):
            if sig in seen:
                raise Unsupported("many-to-one matching without group_left")
            seen.add(sig)
        rlabels, rvalue = right[sig]
        result = _scalar_op(op, value, rvalue, return_bool)
        if op in _COMPARISONS and not return_bool:
            if not result:
                continue
            result = value
        out_labels = dict(labels) if (op in _COMPARISONS and not return_bool) else dict(_drop_name(labels))
        if card.endswith("OneToOne") or card == "OneToOne":
            if matching is not None and str(matching.type).endswith("Include"):
                out_labels = {k: v for k, v in out_labels.items() if k in matching.labels or k == "__name__"}
            elif matching is not None:
                out_labels = {k: v for k, v in out_labels.items() if k not in matching.labels}
        for name in include:
            rvalue_label = dict(rlabels).get(name)
            if rvalue_label is None:
                out_labels.pop(name, None)
            else:
                out_labels[name] = rvalue_label
        out.append((labels_of(out_labels), result))
    return out


def _set_op(op, lhs, rhs, modifier):
    matching = modifier.matching if modifier is not None else None
    right_sigs = {_signature(l, matching) for l, _ in rhs}
    if op == "and":
        return [(l, v) for l, v in lhs if _signature(l, matching) in right_sigs]
    if op == "unless":
        return [(l, v) for l, v in lhs if _signature(l, matching) not in right_sigs]
    left_sigs = {_signature(l, matching) for l, _ in lhs}
    return list(lhs) + [(l, v) for l, v in rhs if _signature(l, matching) not in left_sigs]
