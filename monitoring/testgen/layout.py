"""Fewer promtool test groups: generated cases that cannot interfere share one group.

promtool evaluates every rule of the file at every evaluation step of every test group (up to the group's last
eval time), plus a fixed cost per group, so a file costs about (the groups' spans added up) x (its rules). The
cases are built one per group (monitoring.testgen.cases); here they are laid out so the same assertions need
far fewer steps:

- **Same inputs, one group.** Cases whose inputs are identical (an alert's "fires" and "too short" read one
  timeline at two eval times) become one group holding every assertion.
- **Side by side.** A case joins a group when it cannot interfere with the cases already there: no selector
  its asserted alerts or queries read (following the recording rules they read, to the raw series) matches a
  series of another case in the group, and no selector of theirs matches one of its series. What an
  expression returns depends only on the series its selectors match, so each assertion sees exactly the
  samples, at the same times, that it saw alone, and its expectation (from our evaluator) stays exact. (An
  SLO's recording rules read only its SLI; the other recording rules join the merged groups afterwards, see
  monitoring.testgen.fold.)
  Cases are placed longest first, each into the first group it fits (first-fit decreasing): a group's span
  is set by its first case and the others fit under it, so the file's steps are about (cases per series) x
  (the longest case).
- **Alone when unbounded.** An alert whose reads cannot be bounded (a selector without a metric name, one of
  ``ALERTS``, which other alerts write) keeps its cases in groups of their own; cases with another input
  spacing than the group's go elsewhere.

Merged groups are named after all their cases (monitoring.testgen.case_names).
"""

from __future__ import annotations

import re
from functools import lru_cache

from monitoring.model.durations import parse_duration
from monitoring.promql.functions import go_regex
from monitoring.promql.parse import parse, selector_name, selectors
from monitoring.testgen.case_names import merged_name
from monitoring.testgen.memo import per_owner
from monitoring.testgen.synth import parse_key

Selector = tuple[str, tuple]  # (metric name, ((label, op, value), ...))


def merge_groups(groups: list[dict], alerts: list[tuple[str, str]], records: dict[str, tuple[str, dict]]) -> list:
    """The same test groups, merged where they cannot interfere. ``alerts``: (name, expr) of every alerting
    rule of the file; ``records``: {record: (expr, labels)} of its recording rules."""
    reads = reads_of(tuple(alerts), records)
    kept, cases = [], []
    for group in groups:
        if not group.get("alert_rule_test") and not group.get("promql_expr_test"):
            kept.append(group)
            continue
        cases.append(_Case(group, reads))
    cases = _same_inputs(cases)
    placed: list[list[_Case]] = []
    for case in sorted(cases, key=lambda c: -c.span):
        if case.selectors is not None:
            home = next((members for members in placed if all(case.fits(other) for other in members)), None)
            if home is not None:
                home.append(case)
                continue
        placed.append([case])
    # in the order the cases came in (recording rules first, an alert's cases together)
    position = {id(group): index for index, group in enumerate(groups)}
    placed.sort(key=lambda members: min(position[id(g)] for case in members for g in case.groups))
    return kept + [_group(members) for members in placed]


class _Case:
    """One test group as generated: its input series, what its asserted alerts read, its span."""

    def __init__(self, group: dict, reads: Reads):
        self.groups = [group]
        self.interval = parse_duration(group.get("interval", "1m"))
        self.inputs = group.get("input_series", [])
        self.keys = [parse_key(s["series"]) for s in self.inputs]
        self.tests = list(group.get("alert_rule_test", []))
        self.exprs = list(group.get("promql_expr_test", []))  # a query's result depends on what it selects too
        self.alertnames = {t["alertname"] for t in self.tests}
        self.selectors = reads.of(self.alertnames, [t["expr"] for t in self.exprs])
        self.span = max(parse_duration(t["eval_time"]) for t in self.tests + self.exprs)

    def trimmed_inputs(self) -> list[dict]:
        """Its input series as far as its assertions read them: a series no selector of its alerts names (a
        histogram's _count and _sum beside the buckets) is left out, and each ends at the case's last
        evaluation time, then goes stale. A rule evaluated at t reads samples up to t only, so every assertion
        sees what it saw; but a case that ends sooner than its group stops driving alerts (pending and firing
        ones cost promtool most: their annotations are expanded at every step) for the rest of the group."""
        if self.selectors is None:
            return [dict(series) for series in self.inputs]
        names = {name for name, _ in self.selectors}
        return [
            {"series": series["series"], "values": trim(series["values"], self.interval, self.span)}
            for series, (name, _) in zip(self.inputs, self.keys)
            if name in names
        ]

    def identity(self) -> tuple:
        return self.interval, tuple((s["series"], s["values"]) for s in self.inputs)

    def absorb(self, other: _Case) -> bool:
        """Take ``other``'s assertions (same inputs) unless two would check one alert at one time differently;
        one that repeats an assertion already here (a safe side checked at its fires case's time) is kept once."""
        mine = {(t["alertname"], parse_duration(t["eval_time"])): t for t in self.tests}
        clashes = [mine.get((t["alertname"], parse_duration(t["eval_time"]))) for t in other.tests]
        if any(clash is not None and clash != test for clash, test in zip(clashes, other.tests)):
            return False
        self.groups += other.groups
        self.tests += [test for clash, test in zip(clashes, other.tests) if clash is None]
        self.exprs += other.exprs
        self.alertnames |= other.alertnames
        self.selectors = None if self.selectors is None or other.selectors is None else self.selectors | other.selectors
        self.span = max(self.span, other.span)
        return True

    def fits(self, other: _Case) -> bool:
        if other.interval != self.interval or self.alertnames & other.alertnames or other.selectors is None:
            return False
        return not any_match(self.selectors, other.keys) and not any_match(other.selectors, self.keys)


def _same_inputs(cases: list[_Case]) -> list[_Case]:
    out: list[_Case] = []
    by_inputs: dict[tuple, list[_Case]] = {}
    for case in cases:
        candidates = by_inputs.setdefault(case.identity(), [])
        if not any(earlier.absorb(case) for earlier in candidates):
            candidates.append(case)
            out.append(case)
    return out


def _group(members: list[_Case]) -> dict:
    groups = [group for case in members for group in case.groups]
    if len(groups) == 1:
        return groups[0]
    merged = {
        "name": merged_name([group["name"] for group in groups]),
        "interval": groups[0].get("interval", "1m"),
        "input_series": [series for case in members for series in case.trimmed_inputs()],
    }
    tests = [test for case in members for test in case.tests]
    if tests:
        merged["alert_rule_test"] = sorted(tests, key=lambda t: (parse_duration(t["eval_time"]), t["alertname"]))
    exprs = [test for case in members for test in case.exprs]
    if exprs:
        merged["promql_expr_test"] = exprs
    return merged


@per_owner(1)  # the file's records: recording rules' answers (testgen.fold) reuse what the layout found
def reads_of(alerts: tuple[tuple[str, str], ...], records: dict[str, tuple[str, dict]]) -> Reads:
    return Reads(list(alerts), records)


class Reads:
    """The selectors an alert reads, following recording rules down to raw series (None: not bounded)."""

    def __init__(self, alerts: list[tuple[str, str]], records: dict[str, tuple[str, dict]]):
        self.records = records
        self._read: dict[str, frozenset[Selector] | None] = {}  # an alert's expression, asked for each case
        self.exprs: dict[str, list[str]] = {}
        for name, expr in alerts:
            self.exprs.setdefault(name, []).append(expr)

    def of(self, alertnames: set[str], exprs: list[str] = ()) -> frozenset[Selector] | None:
        found: set[Selector] = set()
        for expr in exprs:
            selectors_read = self.expression(expr)
            if selectors_read is None:
                return None
            found |= selectors_read
        for name in alertnames:
            for expr in self.exprs.get(name, [None]):
                if expr is None:
                    return None  # an alert the file does not have: promtool will say so; keep it alone
                selectors_read = self.expression(expr)
                if selectors_read is None:
                    return None
                found |= selectors_read
        return frozenset(found)

    def expression(self, expr: str) -> frozenset[Selector] | None:
        if expr not in self._read:
            self._read[expr] = self._expression(expr, frozenset())
        return self._read[expr]

    def _expression(self, expr: str, seen: frozenset[str]) -> frozenset[Selector] | None:
        found: set[Selector] = set()
        for selector in selectors(parse(expr)):
            name, matchers = selector_of(selector)
            if not name or name.startswith("ALERTS"):
                return None  # may read any series, recorded ones and the ALERTS other alerts write included
            found.add((name, matchers))
            if name in self.records and name not in seen:
                inner = self._expression(self.records[name][0], seen | {name})
                if inner is None:
                    return None
                found |= inner
        return frozenset(found)


def selector_of(selector) -> tuple[str | None, tuple]:
    """A parsed vector selector as (its metric name or None, its other matchers as (label, op, value))."""
    matchers = tuple((m.name, str(m.op).split(".")[-1], m.value) for m in selector.matchers.matchers)
    return selector_name(selector), tuple(m for m in matchers if m[0] != "__name__")


def any_match(selectors_read: frozenset[Selector], keys: list[tuple[str, dict]]) -> bool:
    names = {name for name, _ in selectors_read}
    return any(_matches(selector, key) for key in keys if key[0] in names for selector in selectors_read)


def _matches(selector: Selector, key: tuple[str, dict]) -> bool:
    name, matchers = selector
    series_name, labels = key
    if name != series_name:
        return False
    for label, op, value in matchers:
        actual = labels.get(label, "")
        if op == "Equal":
            ok = actual == value
        elif op == "NotEqual":
            ok = actual != value
        elif op == "Re":
            ok = _regex(value).fullmatch(actual) is not None
        else:
            ok = _regex(value).fullmatch(actual) is None
        if not ok:
            return False
    return True


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern:
    return re.compile(go_regex(pattern))


def trim(values: str, step: float, end: float) -> str:
    """promtool input ``values`` (one sample every ``step`` from 0) up to ``end``, then a staleness marker.
    Runs are cut by their count, not re-encoded, so promtool expands the very same floats."""
    keep = int(end // step) + 1  # samples at 0, step, ..., end
    out: list[str] = []
    for token in values.split():
        if keep <= 0:
            return " ".join([*out, "stale"])
        count = _width(token)
        if count <= keep:
            out.append(token)
        else:  # `a+bxn` / `axn` / `_xn` cut to `...x(keep - 1)` (`_xn` is n gaps, the others n + 1 samples)
            run = _RUN.fullmatch(token)
            out.append(f"{run.group(1)}x{keep if run.group(1) == '_' else keep - 1}")
            return " ".join([*out, "stale"])
        keep -= count
    return " ".join(out)


_RUN = re.compile(r"(.*)x([0-9]+)")


def sample_count(values: str) -> int:
    """How many samples promtool input ``values`` holds one step apart from 0 before its first gap or
    staleness marker."""
    count = 0
    for token in values.split():
        if token == "stale" or token.startswith("_"):
            break
        count += _width(token)
    return count


def samples_in(values: str) -> int:
    """How many sample positions promtool input ``values`` takes, gaps and staleness markers included."""
    return sum(map(_width, values.split()))


def _width(token: str) -> int:
    """How many sample positions one token of promtool input values takes: `_xn` n gaps, `axn` and `a+bxn`
    n + 1 samples, anything else (a value, `_`, `stale`) one."""
    run = _RUN.fullmatch(token)
    return 1 if run is None else int(run.group(2)) + (0 if run.group(1) == "_" else 1)
