"""Test groups end to end in time: groups on the same series share one group, one after the other.

Side by side (monitoring.testgen.layout) cannot hold two cases that drive the same series (an alert's warning
and critical cases hold one gauge at two levels), so each kept a group of its own that named every series
again. Laid end to end, a series is named once and its values run on: on a bench service the warning and the
critical cases' two groups become one, and the file loses a tenth of its bytes.

A group is laid after the ones before it (shifted: its inputs start, and its eval times move, by the same
``start``) only where each of its assertions then sees, shifted, exactly the samples it saw alone, so our
evaluator's expectations stay exact:

- **its reads are bounded in time**: every selector of its asserted alerts and queries (through the recording
  rules they read) names a series other than ``ALERTS``; no ``@``, no negative offset (the future), no subquery
  (its steps are aligned to absolute time), no function of the clock (``time()``, ``timestamp()``, ``hour()``,
  ...). Templates cannot run a query (monitoring.testgen.templates refuses them);
- **it starts once nothing before it can be seen**: after the last sample before it of every series its
  selectors match, plus how far back they reach (a range, an offset, the 5m lookback of an instant selector;
  through a recorded series, how far its rule reaches too), plus two evaluation steps: one where each alert it
  asserts reads nothing, so a pending or firing one resolves, and one after it. Prometheus 2.42
  (rules/alerting.go) replaces a resolved alert by a new pending one, so its alerts start afresh, as at 0;
- **its alerts say nothing when they read nothing** (not ``absent()``, ``vector(1)``, ``... or on() vector(0)``,
  which would start pending in the gap): our evaluator on no series at all says so;
- its start is a multiple of the input spacing and of the evaluation interval: the same samples, at the same
  steps of promtool's evaluation, shifted.

The first group of a chain does not move: a rule evaluated at t reads samples up to t only. A group joins a
chain only where it shares a series with it (else nothing is saved) and where the wait before it is no longer
than its own span (the steps promtool adds stay bounded: an SLO alert reading days back keeps its own group).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import promql_parser as pp

from monitoring.model.durations import format_duration, parse_duration
from monitoring.promql.evaluator import Evaluator
from monitoring.promql.parse import parse, selector_name
from monitoring.promql.values import QueryError, Unsupported
from monitoring.testgen.case_names import case_names, merged_name
from monitoring.testgen.layout import any_match, reads_of
from monitoring.testgen.synth import parse_key

LOOKBACK = 300.0  # an instant selector sees a sample up to 5m old (Prometheus' default lookback delta)
_CLOCK = frozenset(
    {"time", "timestamp", "minute", "hour", "day_of_week", "day_of_month", "day_of_year", "days_in_month", "month",
     "year"}
)  # fmt: skip
_RUN = re.compile(r"(.*)x([0-9]+)")


def chain_groups(
    groups: list[dict], alerts: list[tuple[str, str]], records: dict[str, tuple[str, dict]], step: float
) -> list[dict]:
    """``groups`` (a file's, laid out side by side), those that can run one after the other as one group.
    ``alerts``: (name, expr) of every alerting rule of the file; ``records``: {record: (expr, labels)} of its
    recording rules; ``step``: the test file's evaluation interval."""
    reads = reads_of(tuple(alerts), records)
    later = _Later(records, reads.exprs, step)
    kept, chains = [], []
    for group in groups:
        tests, exprs = group.get("alert_rule_test", []), group.get("promql_expr_test", [])
        if not tests and not exprs:
            kept.append(group)
            continue
        alertnames = {t["alertname"] for t in tests}
        expressions = [t["expr"] for t in exprs]
        segment = Segment(group, reads.of(alertnames, expressions), alertnames, expressions)
        if not any(chain.append(segment, later, step) for chain in chains):
            chains.append(_Chain(segment))
    return kept + [chain.group() for chain in chains]


@dataclass
class Segment:
    """One test group and what its assertions read (None: not bounded, see monitoring.testgen.layout)."""

    group: dict
    selectors: frozenset | None
    alertnames: set[str]
    exprs: list[str]

    @property
    def spacing(self) -> float:
        return parse_duration(self.group.get("interval", "1m"))


class _Chain:
    def __init__(self, head: Segment):
        self.head = head
        self.spacing = head.spacing
        self.segments = [head]
        self.series = {s["series"]: s["values"] for s in head.group.get("input_series", [])}
        self.lengths = {key: samples_in(values) for key, values in self.series.items()}
        self.end = max(self.lengths.values(), default=0)  # samples laid so far, on every series at most
        self.tests = list(head.group.get("alert_rule_test", []))
        self.exprs = list(head.group.get("promql_expr_test", []))
        self.last_eval = _last_eval(head.group)

    def append(self, segment: Segment, later: _Later, step: float) -> bool:
        if self.head.selectors is None or segment.selectors is None or segment.spacing != self.spacing:
            return False
        keys = [s["series"] for s in segment.group.get("input_series", [])]
        if not any(key in self.series for key in keys):
            return False
        seen = [key for key in self.series if any_match(segment.selectors, [parse_key(key)])]
        stale = all(self.series[key].rsplit(" ", 1)[-1] == "stale" for key in seen)
        reach = later.reach(segment, 0.0 if stale else LOOKBACK)
        if reach is None:
            return False
        last = max(((self.lengths[key] - 1) * self.spacing for key in seen), default=-math.inf)
        unit = _lcm(self.spacing, step)
        # after every sample and assertion before it, and once nothing it reads is there
        start = max(self.end * self.spacing, self.last_eval + step, last + reach + 2 * step)
        start = math.ceil(start / unit) * unit
        if start - self.end * self.spacing > _last_eval(segment.group):
            return False
        self._lay(segment, start)
        return True

    def _lay(self, segment: Segment, start: float) -> None:
        first = round(start / self.spacing)  # the sample index the segment starts at
        for series in segment.group.get("input_series", []):
            key, values = series["series"], series["values"]
            before = self.series.get(key)
            gap = first - self.lengths.get(key, 0)
            self.series[key] = " ".join(part for part in (before, f"_x{gap}" if gap else "", values) if part)
            self.lengths[key] = first + samples_in(values)
        self.end = max(self.lengths.values())
        self.tests += [_shifted(test, start) for test in segment.group.get("alert_rule_test", [])]
        self.exprs += [_shifted(test, start) for test in segment.group.get("promql_expr_test", [])]
        self.segments.append(segment)
        self.last_eval = start + _last_eval(segment.group)

    def group(self) -> dict:
        if len(self.segments) == 1:
            return self.head.group
        merged = {
            "name": merged_name([name for s in self.segments for name in case_names(s.group)]),
            "interval": self.head.group.get("interval", "1m"),
            "input_series": [{"series": key, "values": values} for key, values in self.series.items()],
        }
        if self.tests:
            merged["alert_rule_test"] = sorted(
                self.tests, key=lambda t: (parse_duration(t["eval_time"]), t["alertname"])
            )
        if self.exprs:
            merged["promql_expr_test"] = self.exprs
        return merged


class _Later:
    """Whether a group can start later than 0, and how far back its assertions read."""

    def __init__(self, records: dict, alert_exprs: dict[str, list[str]], step: float):
        self.records = records
        self.alert_exprs = alert_exprs
        self.step = step
        self._reach: dict[tuple[str, float], float | None] = {}
        self._quiet: dict[str, bool] = {}

    def reach(self, segment: Segment, lookback: float) -> float | None:
        """How far back the segment's assertions read (None: it cannot move). ``lookback``: how long an instant
        selector still sees an input series after its last sample position (0 when each ends stale)."""
        exprs = [*segment.exprs]
        for name in segment.alertnames:
            exprs += self.alert_exprs.get(name, [])
            if not all(self.quiet(expr) for expr in self.alert_exprs.get(name, [])):
                return None
        reaches = [self.expression(expr, lookback) for expr in exprs]
        return None if not reaches or None in reaches else max(reaches)

    def quiet(self, expr: str) -> bool:
        """Whether the expression returns nothing on no series at all."""
        if expr not in self._quiet:
            try:
                self._quiet[expr] = not Evaluator([], self.records).instant(expr, 3600.0)
            except (Unsupported, QueryError):
                self._quiet[expr] = False
        return self._quiet[expr]

    def expression(self, expr: str, lookback: float, seen: frozenset[str] = frozenset()) -> float | None:
        if (expr, lookback) not in self._reach:
            self._reach[expr, lookback] = self._expression(parse(expr), lookback, seen)
        return self._reach[expr, lookback]

    def _expression(self, node, lookback: float, seen: frozenset[str]) -> float | None:
        if isinstance(node, pp.SubqueryExpr) or (isinstance(node, pp.Call) and node.func.name in _CLOCK):
            return None
        if isinstance(node, pp.MatrixSelector):
            return self._selector(node.vector_selector, node.range.total_seconds(), lookback, seen)
        if isinstance(node, pp.VectorSelector):
            return self._selector(node, None, lookback, seen)
        reaches = [self._expression(child, lookback, seen) for child in _children(node)]
        return None if None in reaches else max(reaches, default=0.0)

    def _selector(self, selector, window: float | None, lookback: float, seen: frozenset[str]) -> float | None:
        offset = selector.offset.total_seconds() if selector.offset is not None else 0.0
        name = selector_name(selector)
        if selector.at is not None or offset < 0 or not name or name.startswith("ALERTS"):
            return None
        if name in self.records and name not in seen:
            # a recorded series goes stale at the first evaluation its rule no longer returns it
            inner = self._expression(parse(self.records[name][0]), lookback, seen | {name})
            return None if inner is None else (self.step if window is None else window) + offset + inner
        return (lookback if window is None else window) + offset


def _children(node):
    for attribute in ("expr", "lhs", "rhs", "param"):
        child = getattr(node, attribute, None)
        if child is not None and not isinstance(child, (str, int, float)):
            yield child
    yield from getattr(node, "args", None) or ()


def _last_eval(group: dict) -> float:
    tests = group.get("alert_rule_test", []) + group.get("promql_expr_test", [])
    return max(parse_duration(t["eval_time"]) for t in tests)


def _shifted(test: dict, start: float) -> dict:
    return {**test, "eval_time": format_duration(parse_duration(test["eval_time"]) + start)}


def _lcm(a: float, b: float) -> float:
    """The least common multiple of two durations (whole milliseconds)."""
    return math.lcm(round(a * 1000), round(b * 1000)) / 1000


def samples_in(values: str) -> int:
    """How many sample positions promtool input ``values`` takes, gaps and staleness markers included."""
    count = 0
    for token in values.split():
        run = _RUN.fullmatch(token)
        if run is None:
            count += 1
        else:  # `_xn` is n gaps, `axn` and `a+bxn` n + 1 samples
            count += int(run.group(2)) + (0 if run.group(1) == "_" else 1)
    return count
