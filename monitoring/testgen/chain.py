"""Test groups end to end in time: groups on the same series share one group, one after the other.

Side by side (monitoring.testgen.layout) cannot hold two cases that drive the same series (an alert's warning
and critical cases hold one gauge at two levels), so each kept a group of its own that named every series
again. Laid end to end, a series is named once and its values run on: on a bench service the warning and the
critical cases' two groups become one, and the file loses 7% of its bytes.

A group is laid after the ones before it (shifted: its inputs start, and its eval times move, by the same
``start``) only where each of its assertions then sees, shifted, exactly the samples it saw alone, so our
evaluator's expectations stay exact:

- **its reads are bounded in time**: every selector of its asserted alerts and queries (through the recording
  rules they read) names a series other than ``ALERTS``; no ``@``, no negative offset (the future), no subquery
  (its steps are aligned to absolute time), no function of the clock (``time()``, ``timestamp()``, ``hour()``,
  ...). Templates cannot run a query (monitoring.testgen.templates refuses them);
- **it starts once nothing before it can be seen**: after the last sample before it of every series its
  selectors match, plus how far back they reach (a range, an offset, the 5m lookback of an instant selector
  unless the series ends stale; through a recorded series, how far its rule reaches too), plus two evaluation
  steps: one where each alert it asserts reads nothing, so a pending or firing one resolves, and one after it.
  Prometheus 2.42 (rules/alerting.go) replaces a resolved alert by a new pending one, so its alerts start
  afresh, as at 0;
- **its alerts say nothing when they read nothing** (not ``absent()``, ``vector(1)``, ``... or on() vector(0)``,
  which would start pending in the gap): our evaluator on no series at all says so; and none keeps firing
  after its expression stops (``keep_firing_for``, which Prometheus 2.42 has and our model does not carry);
- its start is a multiple of the input spacing and of the evaluation interval: the same samples, at the same
  steps of promtool's evaluation, shifted.

The first group of a chain does not move: a rule evaluated at t reads samples up to t only. A group joins a
chain only where it shares a series with it (else nothing is saved) and where the wait before it is no longer
than its own span (the steps promtool adds stay bounded: an SLO alert reading days back keeps its own group).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import promql_parser as pp

from monitoring.model.durations import format_duration, parse_duration
from monitoring.promql.evaluator import LOOKBACK, Evaluator
from monitoring.promql.functions import ABSOLUTE_TIME
from monitoring.promql.parse import children, parse
from monitoring.promql.values import QueryError, Unsupported
from monitoring.testgen.case_names import case_names, merged_name
from monitoring.testgen.layout import any_match, reads_of, samples_in, selector_of
from monitoring.testgen.synth import parse_key


def chain_groups(
    groups: list[dict],
    alerts: list[tuple[str, str]],
    records: dict[str, tuple[str, dict]],
    step: float,
    lingering: frozenset[str] = frozenset(),
) -> list[dict]:
    """``groups`` (a file's, laid out side by side), those that can run one after the other as one group.
    ``alerts``: (name, expr) of every alerting rule of the file; ``records``: {record: (expr, labels)} of its
    recording rules; ``step``: the test file's evaluation interval; ``lingering``: alerts that keep firing after
    their expression stops (``keep_firing_for``), which cannot start afresh after a wait."""
    reads = reads_of(tuple(alerts), records)
    later = _Later(records, reads.exprs, step, lingering)
    kept, chains = [], []
    for group in groups:
        tests, exprs = group.get("alert_rule_test", []), group.get("promql_expr_test", [])
        if not tests and not exprs:
            kept.append(group)
            continue
        alertnames = {t["alertname"] for t in tests}
        expressions = [t["expr"] for t in exprs]
        segment = _Segment(group, reads.of(alertnames, expressions), alertnames, expressions)
        if not any(chain.append(segment, later, step) for chain in chains):
            chains.append(_Chain(segment))
    return kept + [chain.group() for chain in chains]


@dataclass
class _Segment:
    """One test group and what its assertions read (None: not bounded, see monitoring.testgen.layout)."""

    group: dict
    selectors: frozenset | None
    alertnames: set[str]
    exprs: list[str]

    @property
    def spacing(self) -> float:
        return parse_duration(self.group.get("interval", "1m"))


class _Chain:
    def __init__(self, head: _Segment):
        self.head = head
        self.spacing = head.spacing
        self.segments = [head]
        self.series = {s["series"]: s["values"] for s in head.group.get("input_series", [])}
        self.lengths = {key: samples_in(values) for key, values in self.series.items()}
        self.keys = {key: parse_key(key) for key in self.series}  # (name, labels) of each
        self.end = max(self.lengths.values(), default=0)  # samples laid so far, on every series at most
        self.tests = list(head.group.get("alert_rule_test", []))
        self.exprs = list(head.group.get("promql_expr_test", []))
        self.last_eval = _last_eval(head.group)

    def append(self, segment: _Segment, later: _Later, step: float) -> bool:
        if self.head.selectors is None or segment.selectors is None or segment.spacing != self.spacing:
            return False
        keys = [s["series"] for s in segment.group.get("input_series", [])]
        if not any(key in self.series for key in keys):
            return False
        paths = later.paths(segment)
        if paths is None:
            return False
        unit = _lcm(self.spacing, step)
        # after every sample and assertion before it, and once nothing it reads is there
        start = max(self.end * self.spacing, self.last_eval + step, self._seen_until(paths) + 2 * step)
        start = math.ceil(start / unit) * unit
        if start - self.end * self.spacing > _last_eval(segment.group):
            return False
        self._lay(segment, start)
        return True

    def _seen_until(self, paths: list[Path]) -> float:
        """Until when a selector of ``paths`` still sees a sample laid so far: a range or an offset after its
        last sample position; an instant selector 5m after it too, unless the series ends stale."""
        until = -math.inf
        for selector, instant, back in paths:
            for key, values in self.series.items():
                if self.keys[key][0] == selector[0] and any_match(frozenset({selector}), [self.keys[key]]):
                    lookback = LOOKBACK if instant and not values.endswith(" stale") else 0.0
                    until = max(until, (self.lengths[key] - 1) * self.spacing + back + lookback)
        return until

    def _lay(self, segment: _Segment, start: float) -> None:
        first = round(start / self.spacing)  # the sample index the segment starts at
        for series in segment.group.get("input_series", []):
            key, values = series["series"], series["values"]
            before = self.series.get(key)
            if before is None:
                self.keys[key] = parse_key(key)
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
    """Whether a group can start later than 0, and how far back each selector its assertions read looks."""

    def __init__(self, records: dict, alert_exprs: dict[str, list[str]], step: float, lingering: frozenset[str]):
        self.records = records
        self.alert_exprs = alert_exprs
        self.step = step
        self.lingering = lingering
        self._paths: dict[str, list[Path] | None] = {}
        self._quiet: dict[str, bool] = {}

    def paths(self, segment: _Segment) -> list[Path] | None:
        """Every selector the segment's assertions read, through recorded series (None: it cannot move)."""
        exprs = [*segment.exprs]
        for name in segment.alertnames:
            if name in self.lingering or not all(self.quiet(expr) for expr in self.alert_exprs.get(name, [])):
                return None
            exprs += self.alert_exprs.get(name, [])
        found: list[Path] = []
        for expr in exprs:
            if expr not in self._paths:
                self._paths[expr] = self._expression(parse(expr), 0.0, frozenset())
            if self._paths[expr] is None:
                return None
            found += self._paths[expr]
        return found

    def quiet(self, expr: str) -> bool:
        """Whether the expression returns nothing on no series at all."""
        if expr not in self._quiet:
            try:
                self._quiet[expr] = not Evaluator([], self.records).instant(expr, 3600.0)
            except (Unsupported, QueryError):
                self._quiet[expr] = False
        return self._quiet[expr]

    def _expression(self, node, back: float, seen: frozenset[str]) -> list[Path] | None:
        """``back``: how far before the evaluation time the expression is evaluated (a recorded series read
        ``back`` ago holds what its rule computed then)."""
        if isinstance(node, pp.SubqueryExpr) or (isinstance(node, pp.Call) and node.func.name in ABSOLUTE_TIME):
            return None
        if isinstance(node, pp.MatrixSelector):
            return self._selector(node.vector_selector, node.range.total_seconds(), back, seen)
        if isinstance(node, pp.VectorSelector):
            return self._selector(node, None, back, seen)
        found: list[Path] = []
        for child in children(node):
            paths = self._expression(child, back, seen)
            if paths is None:
                return None
            found += paths
        return found

    def _selector(self, selector, window: float | None, back: float, seen: frozenset[str]) -> list[Path] | None:
        offset = selector.offset.total_seconds() if selector.offset is not None else 0.0
        own = selector_of(selector)
        name = own[0]
        if selector.at is not None or offset < 0 or not name or name.startswith("ALERTS"):
            return None
        found = [(own, window is None, back + offset + (window or 0.0))]
        if name in self.records and name not in seen:
            # what its rule computed up to the window back; an instant read sees the recorded series until the
            # first evaluation its rule no longer returns it (then it is stale): a step
            inner = self._expression(parse(self.records[name][0]), back + offset + (window or self.step), seen | {name})
            if inner is None:
                return None
            found += inner
        return found


Path = tuple[tuple, bool, float]  # (selector, read at an instant, how far back before the evaluation time)


def _last_eval(group: dict) -> float:
    tests = group.get("alert_rule_test", []) + group.get("promql_expr_test", [])
    return max(parse_duration(t["eval_time"]) for t in tests)


def _shifted(test: dict, start: float) -> dict:
    return {**test, "eval_time": format_duration(parse_duration(test["eval_time"]) + start)}


def _lcm(a: float, b: float) -> float:
    """The least common multiple of two durations (whole milliseconds)."""
    return math.lcm(round(a * 1000), round(b * 1000)) / 1000
