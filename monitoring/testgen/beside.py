"""A comparison's safe-side case beside its fires case, on another label value of the same metric.

A fires case drives one label value of the metric (``pool="primary"``) and keeps the others healthy; its safe
side drives the same one to the boundary. Run one after the other they need two test groups over the same
series; moved onto a value the fires case keeps healthy (``pool="replica"``), both run in one timeline, so
promtool evaluates every rule for one group's span instead of two (issue 14). That is sound where the signal
keeps series of different values of that label apart (keeps_apart): every aggregation groups by it (or
`without` others), every vector match includes it, no selector matches on it, no function drops or rewrites
it (``label_replace``, ``absent``, ``scalar``...). Then what the moved series give is what they gave alone,
and a mutant of the alert changes it just as alone.
"""

from __future__ import annotations

import math

import promql_parser as pp

from monitoring.promql.parse import children, parse, selector_name
from monitoring.testgen import synth
from monitoring.testgen.memo import per_owner

# functions whose result loses or rewrites series' labels, or mixes series
_MIXING = frozenset({"label_replace", "label_join", "absent", "absent_over_time", "scalar", "vector", "sort_by_label"})
SETTLED = 1e-9  # relative: a just-inside safe side has settled once it stays this close to its last value
_PLAIN = (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr, pp.MatrixSelector, pp.NumberLiteral, pp.StringLiteral)


def moves(driven: list[str], healthy: dict):
    """({label: new value}, {driven key: key it moves to}): the driven series' label values swapped for another
    value the metric's healthy series carry, the same for every driven series; None if there is none."""
    parsed = [synth.parse_key(key) for key in driven]
    names = {name for name, _ in parsed}
    for key in healthy:
        if key in driven:
            continue
        name, labels = synth.parse_key(key)
        if name not in names:
            continue
        _, first = next(p for p in parsed if p[0] == name)
        changed = {k: v for k, v in labels.items() if first.get(k) != v and k != "le"}
        if not changed or any(k not in first for k in changed):
            continue
        if any(any(ls.get(k) != first[k] for k in changed) for _, ls in parsed):
            continue
        renamed = {key: synth.series_key(n, {**ls, **changed}) for key, (n, ls) in zip(driven, parsed)}
        if all(new in healthy and new not in driven for new in renamed.values()):
            return changed, renamed
    return None


@per_owner(2)
def keeps_apart(expr: str, label: str, records: dict) -> bool:
    """Series with different values of ``label`` never meet in ``expr``'s result (through the recording rules
    it reads, ``records``: {record: (expression, extra labels)}), and the label is kept."""
    return _apart(parse(expr), label, records, frozenset())


def _apart(node, label: str, records: dict, seen: frozenset) -> bool:
    if isinstance(node, pp.VectorSelector):
        if any(m.name == label for m in node.matchers.matchers):
            return False  # a moved value would not match alike
        name = selector_name(node)
        if name in records and name not in seen:
            expr, extra = records[name]
            return label not in extra and _apart(parse(expr), label, records, seen | {name})
        return True
    if isinstance(node, pp.AggregateExpr):
        modifier = node.modifier
        if modifier is None or str(node.op) == "count_values":
            return False
        if (label in modifier.labels) == str(modifier.type).endswith("Without"):
            return False
    elif isinstance(node, pp.BinaryExpr):
        matching = getattr(node.modifier, "matching", None) if node.modifier is not None else None
        if matching is not None and (label in matching.labels) != str(matching.type).endswith("Include"):
            return False
    elif isinstance(node, pp.Call):
        if node.func.name in _MIXING:
            return False
    elif not isinstance(node, _PLAIN):
        return False
    return all(_apart(child, label, records, seen) for child in children(node))


def has(labels: tuple, values: dict) -> bool:
    """Whether the label pairs ``labels`` (each name once) include every pair of ``values``."""
    return all(pair in labels for pair in values.items())


class _Answers(dict):
    """{label set: answer}, each computed on first use: a run asks again at every step about the same few."""

    def __init__(self, answer):
        super().__init__()
        self.answer = answer

    def __missing__(self, labels: tuple) -> bool:
        found = self[labels] = self.answer(labels)
        return found


class Membership:
    """Which series are on the moved label values."""

    def __init__(self, moved: dict):
        self.on = _Answers(lambda labels: has(labels, moved))
        # whether the series carries every moved label at all (an aggregation may have dropped it)
        self.labelled = _Answers(lambda labels: all(name in {n for n, _ in labels} for name in moved))


class SafeSide:
    """The safe side's series in the combined run, read in place (a copy of every step cost more than the
    reading): what its case checks and shows. They sit on the safe side from the first sample (no healthy lead):
    settled early, one assertion at the fires case's time can check both."""

    since = 0.0

    def __init__(self, run, membership: Membership, signal: str):
        self.run, self.signal = run, signal
        on = membership.on
        self.labels = frozenset(labels for labels in set().union(*run.values[signal].values()) if on[labels])

    def first_true(self) -> float | None:
        """The first step where a safe-side series holds."""
        states, labels = self.run.states, self.labels
        return next((t for t in sorted(states) if not labels.isdisjoint(states[t])), None)

    def settled(self, exact: bool) -> float | None:
        """The first step from which every safe-side series keeps its last value (a mutant that holds there
        holds from then on); None if the last step has none. ``exact`` on the boundary (`>=` there must hold at
        every step); otherwise to within a billionth: `rate` extrapolates differently at the steps between
        the minute samples, so a constant shape's quantile wobbles in its last digits, which no mutant (a
        threshold moved by a tenth, a comparator flipped) can tell apart."""
        steps = self.run.values[self.signal]
        times = sorted(steps)
        last = {k: v for k, v in steps[times[-1]].items() if k in self.labels}
        if not last:
            return None
        tolerance = 0.0 if exact else SETTLED
        first = times[-1]
        for t in reversed(times):
            state = steps[t]
            if any(
                k not in state or (state[k] != v and not abs(state[k] - v) <= tolerance * abs(v))
                for k, v in last.items()
            ):
                break
            first = t
        return first

    def values_after(self, signal: str, start: float) -> list[dict]:
        labels = self.labels
        return [{k: v for k, v in step.items() if k in labels} for step in self.run.values_after(signal, start)]

    def closest_value(self, comparisons) -> float:
        """Its value nearest the threshold at the last step."""
        comparison = comparisons[0]
        steps = self.run.values[comparison.signal]
        last = steps[max(steps)]
        values = [v for k, v in last.items() if k in self.labels]
        return min(values, key=lambda v: abs(v - comparison.value), default=math.nan)


def text(values: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(values.items()))
