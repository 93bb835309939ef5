"""An alert condition's state at every evaluation step, evaluating only the steps that can differ.

Generated cases simulate Prometheus' rule evaluation every ``interval`` over synthetic inputs made of
phases (healthy, then crossed) in which every input series is an arithmetic progression: gauges are
constant, counters grow by a fixed step. Evaluating every step is exact but slow at scale, so:

- **Periodic steps are copied.** Once what an evaluation reads (range windows; for an instant selector
  the latest sample, one sample spacing back) lies inside one phase, and so does what it read one
  period earlier, the state at t equals the state at t - P, where P is the period after which
  evaluation times and sample times line up again (lcm of interval and sample spacing). This holds bit
  for bit because the evaluator is a function of the samples relative to t (nothing reads absolute
  time): a constant series gives the same window shifted in time; a growing series gives the same
  window plus a constant, which only rate/increase/irate/delta may read (they use differences, exact
  here because values are multiples of 2^-10 far below 2^43). If anything else
  reads a growing series, no step is copied.
- **Shared prefixes are evaluated once.** Steps before two timelines' inputs first differ only read
  identical samples, so a later timeline reuses the earlier one's states up to there (the "fires" and
  "too short" cases even share the whole timeline).
- **Wiped history is skipped.** A case only reads states from the switch to the crossed value on. When
  nothing holds at the step before it, every pending alert is reset there, so earlier steps cannot
  change the outcome and are not evaluated (if something holds, every step is).
- **Copies are verified.** The last step of every copied run is also evaluated; any mismatch falls
  back to evaluating every step.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable
from itertools import repeat
from operator import mul, ne, sub

import promql_parser as pp

from monitoring.promql.evaluator import LOOKBACK, Series
from monitoring.promql.functions import ABSOLUTE_TIME
from monitoring.promql.parse import parse, selector_name
from monitoring.testgen.memo import per_owner

State = dict  # {labels without __name__: value}
_DIFFERENCE_FUNCS = frozenset({"rate", "increase", "irate", "delta"})
_EXACT_SCALE, _EXACT_LIMIT = 1024.0, 2.0**43


class _Mismatch(Exception):
    """A copied state differs from the evaluated one: the periodicity assumption does not hold."""


class StepSimulator:
    """States of one expression over several timelines (same rules, same evaluation interval).

    ``evaluator_for(series)`` returns ``evaluate(t) -> State`` for one timeline's input series.
    """

    def __init__(
        self,
        expr: str,
        rules: dict[str, tuple[str, dict]],
        interval: float,
        evaluator_for: Callable[[list[Series]], Callable[[float], State]],
        active: Callable[[State], bool] = bool,
    ):
        self.interval = interval
        self.active = active  # whether anything holds in a state (a signal's states: whether it crosses)
        self.evaluator_for = evaluator_for
        # None: copying is not known to be exact for this expression; every step is evaluated.
        self.reads = _reads(expr, rules)
        self.period = _period_steps(interval) if self.reads is not None else None
        self._done: list[tuple[dict, list[State]]] = []  # (samples by labels, states) of earlier timelines
        self.fallbacks = 0  # timelines where a copied step proved wrong (none expected; tests check)

    def states(self, series: list[Series], end: float, since: float = 0.0) -> dict[float, State]:
        """{t: state} from the last evaluation time before ``since`` on, or from 0 if the state there is not empty.

        Where nothing holds, an alert's history is wiped (Prometheus drops its pending alerts), so the
        steps before it cannot change what happens from ``since`` on and are neither evaluated nor returned.
        """
        times = evaluation_times(self.interval, end)
        samples = {s.labels: s.samples for s in series}
        evaluate = self.evaluator_for(series)
        known = self._reusable_prefix(samples, times)
        first = max(0, bisect_left(times, since) - 1)
        try:
            states = self._run(series, times, evaluate, known, self.period, first)
        except _Mismatch:
            self.fallbacks += 1
            states = self._run(series, times, evaluate, known, None, first)
        self._done.append((samples, states))
        return {t: state for t, state in zip(times, states) if state is not None}

    def _reusable_prefix(self, samples: dict, times: list[float]) -> list[State | None]:
        """States an earlier timeline computed at times before the two timelines' inputs first differ."""
        best: list[State | None] = []
        for other, other_states in self._done:
            count = min(bisect_left(times, _divergence(samples, other)), len(other_states))
            if count > len(best):
                best = other_states[:count]
        return best

    def _run(self, series, times, evaluate, known, period, first) -> list[State | None]:
        """States from ``first`` on (None before it), evaluated, copied from known, or copied a period back."""
        states: list[State | None] = [None] * len(times)
        states[: len(known)] = known
        if first and states[first] is None:
            states[first] = evaluate(times[first])
        if first and self.active(states[first]):
            first = 0  # a run of true states may reach back before it: every step counts
        copies = [False] * len(times)  # copies[k]: the state at k is the state at k - period
        if period:
            layout = _Layout(series, self.reads[0], self.reads[1])
            begin = max(period, first)
            copies[begin:] = [layout.periodic(times[k - period], times[k]) for k in range(begin, len(times))]
        for k in range(first, len(times)):
            if states[k] is not None:
                continue
            if copies[k] and states[k - period] is not None:
                states[k] = states[k - period]
                run_ends = k + 1 == len(times) or not copies[k + 1]
                if run_ends and evaluate(times[k]) != states[k]:
                    raise _Mismatch(times[k])
            else:
                states[k] = evaluate(times[k])
        return states


class _Layout:
    """Where the input series stop being one exact progression (see the module docstring)."""

    def __init__(self, series: list[Series], raw_names: frozenset[str], window: float):
        self.window = window
        self.first = max((s.samples[0][0] for s in series if s.samples), default=math.inf)
        self.last = min((s.samples[-1][0] for s in series if s.samples), default=-math.inf)
        breaks = sorted(_breaks(series, raw_names))
        self.anchors = [anchor for anchor, _ in breaks]
        self.times = [time for _, time in breaks]

    def periodic(self, earlier: float, t: float) -> bool:
        """The samples read at ``earlier`` and at t are one progression, so both states are equal."""
        start = earlier - self.window
        if start < self.first or t >= self.last + _SAMPLE_SPACING:
            return False  # a window would reach past a series' first or last sample
        index = bisect_left(self.anchors, start)
        while index < len(self.anchors) and self.anchors[index] <= t:
            if self.times[index] <= t:
                return False
            index += 1
        return True


def evaluation_times(interval: float, end: float) -> list[float]:
    """0, interval, 2*interval... up to end, by repeated addition (the times every generated case uses)."""
    times, t = [], 0.0
    while t <= end:
        times.append(t)
        t += interval
    return times


_SAMPLE_SPACING = 60.0  # synth.INTERVAL; a series spaced otherwise is all breaks
assert _SAMPLE_SPACING < LOOKBACK  # so an instant selector reads the latest sample (see _reads)


def _period_steps(interval: float) -> int | None:
    """Steps after which evaluation and sample times line up again (None unless whole seconds)."""
    if interval <= 0 or not float(interval).is_integer():
        return None
    return math.lcm(int(interval), int(_SAMPLE_SPACING)) // int(interval)


def _breaks(series: list[Series], raw_names: frozenset[str]):
    """(anchor, time) of every sample that breaks the progression of the samples from anchor on.

    A window holding samples anchor..time must not contain such a pair or triple: a spacing other than
    _SAMPLE_SPACING, a step unlike the one before, or a step of a growing series that is not exact
    (multiples of 2^-10 below 2^43), not large enough that rate's extrapolation to zero never applies,
    or read other than through difference functions.
    """
    # Mostly C-level map/zip passes: this runs over every sample of every timeline.
    for s in series:
        if len(s.samples) < 2:
            continue
        times, values = zip(*s.samples)
        gaps = list(map(sub, times[1:], times))
        if gaps.count(_SAMPLE_SPACING) != len(gaps):
            yield from ((a, b) for a, b, gap in zip(times, times[1:], gaps) if gap != _SAMPLE_SPACING)
        steps = list(map(sub, values[1:], values))  # steps[i]: from sample i to i + 1
        if not any(steps):
            continue  # constant: any window is the same window shifted in time
        yield from ((a, b) for a, b, change in zip(times, times[2:], map(ne, steps, steps[1:])) if change)
        read_raw = dict(s.labels).get("__name__") in raw_names
        exact = (
            not read_raw
            and max(map(abs, values)) < _EXACT_LIMIT
            and all(map(float.is_integer, map(mul, values, repeat(_EXACT_SCALE))))
        )
        if exact:  # the usual case: only steps too small against the value (or negative) break
            yield from (
                (a, b)
                for a, b, value, step in zip(times, times[1:], values, steps)
                if step and (step < 0 or value < 2 * step)
            )
            continue
        fine = [not read_raw and abs(v) < _EXACT_LIMIT and (v * _EXACT_SCALE).is_integer() for v in values]
        for i, step in enumerate(steps):
            if step != 0 and (read_raw or step < 0 or values[i] < 2 * step or not (fine[i] and fine[i + 1])):
                yield times[i], times[i + 1]


def _divergence(samples: dict, other: dict) -> float:
    """Time of the first sample that differs between two timelines' inputs (inf when identical)."""
    if samples.keys() != other.keys():
        return -math.inf
    first = math.inf
    for labels, mine in samples.items():
        theirs = other[labels]
        for (t1, v1), (t2, v2) in zip(mine, theirs):
            if t1 != t2 or v1 != v2:
                first = min(first, t1, t2)
                break
        else:
            if len(mine) != len(theirs):
                longer = mine if len(mine) > len(theirs) else theirs
                first = min(first, longer[min(len(mine), len(theirs))][0])
    return first


@per_owner(1)
def _reads(expr: str, rules: dict[str, tuple[str, dict]]) -> tuple[frozenset[str], float] | None:
    """(names read other than through rate/increase/irate/delta, longest time back it reads, in seconds).

    Recording rules are followed. None when the expression has anything that could make copying
    inexact: an unnamed selector, offset/@, a window that is not whole seconds, a function of absolute time
    (time(), timestamp(), the date functions), an unknown node (subqueries included).
    """
    raw: set[str] = set()
    # An instant selector reads the latest sample within the look-back; copied steps only ever see series
    # sampled every _SAMPLE_SPACING (< LOOKBACK), so it reads the latest sample of the last spacing.
    windows = [_SAMPLE_SPACING]
    seen_rules: set[str] = set()

    def visit(node, under_difference: bool = False) -> bool:
        if isinstance(node, (pp.ParenExpr, pp.UnaryExpr)):
            return visit(node.expr)
        if isinstance(node, (pp.NumberLiteral, pp.StringLiteral)):
            return True
        if isinstance(node, pp.BinaryExpr):
            return visit(node.lhs) and visit(node.rhs)
        if isinstance(node, pp.AggregateExpr):
            return visit(node.expr) and (node.param is None or visit(node.param))
        if isinstance(node, pp.Call):
            if node.func.name in ABSOLUTE_TIME:
                return False
            difference = node.func.name in _DIFFERENCE_FUNCS
            return all(visit(arg, difference) for arg in node.args)
        if isinstance(node, pp.MatrixSelector):
            window = node.range.total_seconds()
            windows.append(window)
            return float(window).is_integer() and visit(node.vector_selector, under_difference)
        if isinstance(node, pp.VectorSelector):
            name = selector_name(node)
            if name is None or node.offset or node.at:
                return False
            if name in rules:
                if name in seen_rules:
                    return True
                seen_rules.add(name)
                return visit(parse(rules[name][0]))
            if not under_difference:
                raw.add(name)
            return True
        return False

    return (frozenset(raw), float(max(windows))) if visit(parse(expr)) else None
