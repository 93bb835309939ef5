"""PromQL aggregations as Prometheus 2.42 computes them (engine.go, aggregation()).

Groups are built in input order; each group starts from its first sample's value and folds the rest in:
`sum` adds plainly (no Kahan in 2.42's aggregations), `avg` keeps an incremental mean (with 2.42's special
cases for infinities), `stddev`/`stdvar` Welford's running mean, `min`/`max` let any number replace a NaN.
`topk`/`bottomk` keep Go's container/heap, so which of several equal values wins is 2.42's choice too.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
from collections.abc import Callable

from monitoring.promql.functions import quantile
from monitoring.promql.gomath import format_float
from monitoring.promql.values import Labels, QueryError, labels_of

_LABEL_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_LABEL_NAME_REST = _LABEL_NAME_START | frozenset("0123456789")


def _sum(values):
    total = values[0]
    for v in values[1:]:
        total += v
    return total


def _avg(values):
    mean, count = values[0], 1
    for v in values[1:]:
        count += 1
        if math.isinf(mean):
            if math.isinf(v) and (mean > 0) == (v > 0):
                continue
            if not math.isinf(v) and v == v:
                continue
        mean += v / count - mean / count
    return mean


def _max(values):
    best = values[0]
    for v in values[1:]:
        if best < v or best != best:
            best = v
    return best


def _min(values):
    best = values[0]
    for v in values[1:]:
        if best > v or best != best:
            best = v
    return best


def _variance(values):
    mean, count, value = values[0], 1, 0.0
    for v in values[1:]:
        count += 1
        delta = v - mean
        mean += delta / count
        value += delta * (v - mean)
    return value / count


SIMPLE: dict[str, Callable[[list[float]], float]] = {
    "sum": _sum,
    "avg": _avg,
    "max": _max,
    "min": _min,
    "count": lambda values: float(len(values)),
    "group": lambda values: 1.0,
    "stdvar": _variance,
    "stddev": lambda values: math.sqrt(_variance(values)),
}


class GroupKey:
    """An aggregation's output labels for an input label set, remembered per aggregation node (the same few
    label sets recur at every step; a dict lookup is cheaper than any call)."""

    __slots__ = ("known", "make")

    def __init__(self, make):
        self.known: dict[Labels, Labels] = {}
        self.make = make

    def __call__(self, labels: Labels) -> Labels:
        key = self.known.get(labels)
        if key is None:
            key = self.make(labels)
            if len(self.known) < 1 << 16:
                self.known[labels] = key
        return key


def group_by(vector, key_of) -> dict[Labels, list]:
    """{output labels: [samples]} in order of first appearance."""
    groups: dict[Labels, list] = {}
    for sample in vector:
        key = key_of(sample[0])
        group = groups.get(key)
        if group is None:
            groups[key] = [sample]
        else:
            group.append(sample)
    return groups


# Folds whose result can depend on the order of the input series (they round at every step). promtool loads a
# test's series in Go map order, random from run to run, so such a result is only reproducible when exact.
ORDER_SENSITIVE = frozenset({"sum", "avg", "stddev", "stdvar"})


def order_dependent(op: str, values: list[float]) -> bool:
    """Whether the fold gives another float for the values in another order: every order for up to 5 values,
    else the reverse, sorted and some fixed shuffles (a sufficient witness)."""
    if op not in ORDER_SENSITIVE or len(values) < 2:
        return False
    fold = SIMPLE[op]
    first = fold(values)
    if len(values) <= 5:
        others = itertools.permutations(values)
    else:
        shuffles = [[values[i] for i in order] for order in _shuffles(len(values))]
        others = [values[::-1], sorted(values), sorted(values, reverse=True), *shuffles]
    for other in others:
        again = fold(list(other))
        if again != first and not (again != again and first != first):
            return True
    return False


@functools.lru_cache(maxsize=64)
def _shuffles(count: int) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(random.Random(seed).sample(range(count), count)) for seed in range(8))


def simple(op: str, vector, key_of):
    fold = SIMPLE[op]
    groups: dict[Labels, list[float]] = {}
    known = key_of.known if isinstance(key_of, GroupKey) else {}
    for labels, value in vector:
        key = known.get(labels)
        if key is None:
            key = key_of(labels)
        values = groups.get(key)
        if values is None:
            groups[key] = [value]
        else:
            values.append(value)
    return [(key, fold(values)) for key, values in groups.items()]


def quantile_by(q: float, vector, key_of):
    return [(key, quantile(q, [v for _, v in samples])) for key, samples in group_by(vector, key_of).items()]


def count_values(label: str, vector, key_of_with_value):
    """count_values("label", v): the value (Go's shortest 'f' format) becomes a label, then count."""
    if not label or label[0] not in _LABEL_NAME_START or any(ch not in _LABEL_NAME_REST for ch in label):
        raise QueryError(f'invalid label name "{label}"')
    relabelled = []
    for labels, value in vector:
        mapping = dict(labels)
        mapping[label] = format_float(value)
        relabelled.append((labels_of(mapping), value))
    return [(key, float(len(samples))) for key, samples in group_by(relabelled, key_of_with_value).items()]


def top_bottom(op: str, k_value: float, vector, key_of):
    """topk/bottomk with Go's heap, then the heap sorted best first (as 2.42 returns them)."""
    if k_value != k_value or not -(2.0**63) <= k_value <= 2.0**63 - 1:
        raise QueryError(f"Scalar value {k_value} overflows int64")
    k = int(k_value)
    if k < 1:
        return []
    top = op == "topk"
    # less(a, b) of vectorByValueHeap (topk: smallest on top) or vectorByReverseValueHeap (bottomk).
    if top:
        less = lambda a, b: a[1] != a[1] or a[1] < b[1]
    else:
        less = lambda a, b: a[1] != a[1] or a[1] > b[1]
    out = []
    for samples in group_by(vector, key_of).values():
        heap = [samples[0]]
        for sample in samples[1:]:
            root = heap[0][1]
            v = sample[1]
            better = root < v if top else root > v
            if len(heap) < k or better or root != root:
                if len(heap) == k:
                    if k == 1:
                        heap[0] = sample
                        continue
                    _heap_pop(heap, less)
                _heap_push(heap, sample, less)
        if len(heap) > 1:
            _insertion_sort(heap, lambda a, b: less(b, a))  # sort.Sort(sort.Reverse(heap))
        out.extend(heap)
    return out


# Go's container/heap (its up/down differ from heapq's, and decide ties).
def _heap_push(heap, item, less):
    heap.append(item)
    j = len(heap) - 1
    while True:
        i = (j - 1) // 2
        if i == j or j <= 0 or not less(heap[j], heap[i]):
            break
        heap[i], heap[j] = heap[j], heap[i]
        j = i


def _heap_pop(heap, less):
    n = len(heap) - 1
    heap[0], heap[n] = heap[n], heap[0]
    _down(heap, 0, n, less)
    return heap.pop()


def _down(heap, i0, n, less):
    i = i0
    while True:
        j1 = 2 * i + 1
        if j1 >= n or j1 < 0:
            break
        j = j1
        j2 = j1 + 1
        if j2 < n and less(heap[j2], heap[j1]):
            j = j2
        if not less(heap[j], heap[i]):
            break
        heap[i], heap[j] = heap[j], heap[i]
        i = j


def _insertion_sort(items, less):
    """Go's sort.Sort for the short slices topk returns (pdqsort sorts up to 12 elements by insertion)."""
    if len(items) > 12:
        items.sort(key=_SortKey.wrap(less))
        return
    for i in range(1, len(items)):
        j = i
        while j > 0 and less(items[j], items[j - 1]):
            items[j], items[j - 1] = items[j - 1], items[j]
            j -= 1


class _SortKey:
    __slots__ = ("item", "less")

    def __init__(self, item, less):
        self.item, self.less = item, less

    def __lt__(self, other):
        return self.less(self.item, other.item)

    @staticmethod
    def wrap(less):
        return lambda item: _SortKey(item, less)
