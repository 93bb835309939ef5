"""Recording rules asserted inside the alert groups: no separate recording-rule test group where one can host them.

Why: promtool evaluates every rule of the file at every evaluation step of every test group, plus a fixed cost
per group. The recording rules' own group (monitoring.testgen.recording: the whole catalog's healthy dataset,
69 series on a bench service, eval time 7m) cost a third of a bench service's promtool time, yet its eval time
lies inside the alert groups' span: asserted in an alert group, the same promql_expr_tests cost no extra step.

A recording rule moves into the first (merged, final) alert group that can host it at the recording case's eval
time T (its windows filled, see recording.FILLED):

- the group runs at least until T, at the same input spacing, and its asserted alerts' reads are bounded
  (monitoring.testgen.layout);
- series the rule reads that the group lacks (a histogram's ``_count`` and ``_sum``, a counter no alert reads,
  a label value no case drives) are added from the healthy dataset, ending at T, unless a selector of an
  asserted alert of the group matches them: an expression's result depends only on the series its selectors
  match, so the group's alert assertions see exactly what they saw;
- every series the rule reads reports at every step up to T (a merged case's series end at its own span and go
  stale: a rule reading them at T would see a partial window or nothing);
- it returns, finite, the label sets it returns on the healthy dataset;
- **as strong as the healthy dataset**: there every series has its own value, so a wrong ``by`` label, a dropped
  matcher or a wrong window changes the result. So the series of each metric it reads must differ from each
  other, label set by label set (a histogram: its buckets together), over the window it reads: counters by their
  increments, gauges by their values. Driven cases often hold two label values alike (the healthy phase of both,
  or a case's series copied onto another label value): such a group does not host the rule.

The expected samples are our evaluator's result on the host's final input series. Rules no group can host keep
the separate group of today (with only the series they read), so no test is ever lost.
"""

from __future__ import annotations

import math

from monitoring.model import MetricType, RecordingRule, Stack
from monitoring.model.durations import parse_duration
from monitoring.promql.evaluator import Evaluator, Series, Unsupported
from monitoring.promql.values import is_stale
from monitoring.testgen.alerts import longest_range, rules_by_record
from monitoring.testgen.layout import Reads, any_match
from monitoring.testgen.recording import expected_test, labels_text, recording_case
from monitoring.testgen.synth import parse_key, parse_series


def fold_recording(stack: Stack, rules: list[RecordingRule], groups: list[dict]) -> list[dict]:
    """``groups`` (the file's merged test groups) with ``rules``' promql_expr_tests inside the alert groups that
    can host them, and a recording-rule group first for the others (none when every rule found a host)."""
    reference = recording_case(stack, rules)
    if reference is None:
        return groups
    records = rules_by_record(stack)
    reads = Reads([(a.name, a.expr) for a in stack.alerts()], records)
    step = parse_duration(reference["interval"])
    at = parse_duration(reference["promql_expr_test"][0]["eval_time"])
    labels_wanted = {t["expr"]: sorted(s["labels"] for s in t["exp_samples"]) for t in reference["promql_expr_test"]}
    healthy = {s["series"]: s["values"] for s in reference["input_series"]}
    host = _Hosting(stack, records, reads, step, at, healthy, labels_wanted)
    pending = [rule for rule in rules if host.names_read(rule) is not None]
    hosted: dict[int, list[RecordingRule]] = {}  # group index -> the rules it hosts
    placed: set[int] = set()
    # First where a case drives every series the rule reads (a step in the window: a wrong window shows, which
    # the steady healthy dataset cannot show), then where the healthy dataset fills in what the group lacks.
    for driven_only in (True, False):
        for index, group in enumerate(groups):
            candidates = [rule for rule in pending if id(rule) not in placed]
            if not candidates:
                break
            found = host.can_host(group, hosted.get(index, []), candidates, driven_only)
            hosted.setdefault(index, []).extend(found)
            placed |= {id(rule) for rule in found}
    out = [host.hosting(group, hosted[index]) if hosted.get(index) else group for index, group in enumerate(groups)]
    left = [rule for rule in rules if id(rule) not in placed]
    if not left:
        return out
    separate = recording_case(stack, left)
    names = [host.names_read(rule) for rule in left]
    if all(n is not None for n in names):  # only what its rules read: the rest cost promtool steps for nothing
        wanted = set().union(*names)
        separate["input_series"] = [s for s in separate["input_series"] if parse_key(s["series"])[0] in wanted]
    return [separate, *out]


class _Hosting:
    def __init__(self, stack, records, reads, step, at, healthy, labels_wanted):
        self.stack, self.records, self.reads = stack, records, reads
        self.step, self.at, self.healthy, self.labels_wanted = step, at, healthy, labels_wanted
        self.counters = _counter_series(stack)
        self._names: dict[str, frozenset[str] | None] = {}

    def names_read(self, rule: RecordingRule) -> frozenset[str] | None:
        """The input series names a rule reads, through the recorded series it reads (None: not bounded)."""
        if rule.record not in self._names:
            selectors = self.reads.expression(rule.record)
            self._names[rule.record] = (
                None if selectors is None else frozenset(n for n, _ in selectors if n not in self.records)
            )
        return self._names[rule.record]

    def can_host(self, group: dict, hosted: list, rules: list, driven_only: bool) -> list[RecordingRule]:
        """Which of ``rules`` the group can host beside those it ``hosted`` already."""
        tests = group.get("alert_rule_test")
        if not tests or group.get("promql_expr_test") or parse_duration(group.get("interval", "1m")) != self.step:
            return []
        if max(parse_duration(t["eval_time"]) for t in tests) < self.at:
            return []  # hosting would lengthen the group: promtool steps we meant to save
        alert_reads = self.reads.of({t["alertname"] for t in tests})
        if alert_reads is None:
            return []
        trial, added = self._with_additions(group, alert_reads, self._names_of([*hosted, *rules]))
        evaluator, by_name = self._evaluator(trial)
        return [
            rule
            for rule in rules
            if not (driven_only and self.names_read(rule) & added) and self._fits(rule, evaluator, by_name)
        ]

    def hosting(self, group: dict, rules: list[RecordingRule]) -> dict:
        """The group with the rules' promql_expr_tests and the healthy series they read that it lacks. Only those:
        a rule's result is the one can_host saw, as it reads nothing else."""
        alert_reads = self.reads.of({t["alertname"] for t in group["alert_rule_test"]})
        final, _ = self._with_additions(group, alert_reads, self._names_of(rules))
        evaluator, _ = self._evaluator(final)
        final["promql_expr_test"] = [expected_test(rule, evaluator, self.at) for rule in rules]
        return final

    def _names_of(self, rules) -> set[str]:
        return set().union(*(self.names_read(rule) for rule in rules))

    def _with_additions(self, group: dict, alert_reads, names: set[str]) -> tuple[dict, set[str]]:
        """The group with the healthy series of ``names`` it lacks and no asserted alert reads, and their names."""
        have = {s["series"] for s in group["input_series"]}
        added, added_names = [], set()
        for key, values in self.healthy.items():
            if key in have:
                continue
            parsed = parse_key(key)
            if parsed[0] in names and not any_match(alert_reads, [parsed]):
                added.append({"series": key, "values": f"{values} stale"})  # ends at the eval time
                added_names.add(parsed[0])
        return {**group, "input_series": [*group["input_series"], *added]}, added_names

    def _evaluator(self, group: dict) -> tuple[Evaluator, dict[str, list[Series]]]:
        series = [parse_series(s["series"], s["values"], self.step) for s in group["input_series"]]
        by_name: dict[str, list[Series]] = {}
        for one in series:
            by_name.setdefault(dict(one.labels)["__name__"], []).append(one)
        return Evaluator(series, self.records), by_name

    def _fits(self, rule: RecordingRule, evaluator: Evaluator, by_name: dict[str, list[Series]]) -> bool:
        names = self.names_read(rule)
        window = min(longest_range(rule.text, self.stack), self.at)
        for name in names:
            series = by_name.get(name, [])
            if not all(self._reports_until_eval(s) for s in series):
                return False
            if not self._distinct(series, name in self.counters, window):
                return False
        try:
            result = evaluator.instant(rule.record, self.at)
        except Unsupported:
            return False
        if any(math.isnan(v) or math.isinf(v) for _, v in result):
            return False
        return sorted(labels_text(labels) for labels, _ in result) == self.labels_wanted[rule.record]

    def _reports_until_eval(self, series: Series) -> bool:
        times = {t for t, v in series.samples if t <= self.at and not is_stale(v)}
        return all(k * self.step in times for k in range(int(self.at // self.step) + 1))

    def _distinct(self, series: list[Series], counter: bool, window: float) -> bool:
        """Every label set (a histogram's buckets together) holds its own history over the window read."""
        start = self.at - window
        histories: dict[tuple, list] = {}
        for one in series:
            values = [v for t, v in one.samples if start <= t <= self.at]
            if counter and window:  # a counter read at an instant (no range) shows its value
                values = [b - a for a, b in zip(values, values[1:])]
            labels = dict(one.labels)
            le = labels.pop("le", "")
            histories.setdefault(tuple(sorted(labels.items())), []).append((le, tuple(values)))
        signatures = [tuple(sorted(h)) for h in histories.values()]
        return len(set(signatures)) == len(signatures)


def _counter_series(stack: Stack) -> set[str]:
    """Series names whose increments matter (counters, histogram and summary series but a summary's quantiles)."""
    out = set()
    for metric in stack.metrics:
        if metric.type is MetricType.COUNTER:
            out.add(metric.name)
        elif metric.type in (MetricType.HISTOGRAM, MetricType.SUMMARY):
            out |= {n for n in metric.series_names() if n != metric.name}
    return out
