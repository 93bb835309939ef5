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
- every series of the healthy dataset it reads is there (so it returns every label set the catalog gives), and
  its result is non-empty and finite;
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
from monitoring.testgen import synth
from monitoring.testgen.alerts import longest_range, rules_by_record
from monitoring.testgen.layout import any_match, reads_of, sample_count
from monitoring.testgen.recording import eval_minutes, recording_case, test_of
from monitoring.testgen.synth import parse_key, parse_series


def fold_recording(stack: Stack, rules: list[RecordingRule], groups: list[dict]) -> list[dict]:
    """``groups`` (the file's merged test groups) with ``rules``' promql_expr_tests inside the alert groups that
    can host them, and a recording-rule group first for the others (none when every rule found a host)."""
    if not rules:
        return groups
    host = _Hosting(stack, rules)
    pending = [rule for rule in rules if host.names_read(rule) is not None]
    hosted: dict[int, list[tuple[RecordingRule, list]]] = {}  # group index -> (rule, its result there)
    placed: set[int] = set()
    # First where a case drives every series the rule reads (a step in the window: a wrong window shows, which
    # the steady healthy dataset cannot show), then where the healthy dataset fills in what the group lacks.
    for driven_only in (True, False):
        for index, group in enumerate(groups):
            candidates = [rule for rule in pending if id(rule) not in placed]
            if not candidates:
                break
            found = host.can_host(group, candidates, driven_only)
            hosted.setdefault(index, []).extend(found)
            placed |= {id(rule) for rule, _ in found}
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
    def __init__(self, stack: Stack, rules: list[RecordingRule]):
        self.stack = stack
        self.records = rules_by_record(stack)
        self.reads = reads_of(tuple((a.name, a.expr) for a in stack.alerts()), self.records)
        self.minutes = eval_minutes(stack, rules)
        self.at = self.minutes * 60.0
        self.step = synth.INTERVAL
        # (key, shape, (name, labels)) of the healthy dataset; a series is encoded only when a group needs it
        self.healthy = [(key, shape, parse_key(key)) for key, shape in synth.healthy_inputs(stack).items()]
        self.healthy_keys: dict[str, set[str]] = {}
        for key, _, (name, _) in self.healthy:
            self.healthy_keys.setdefault(name, set()).add(key)
        self._encoded: dict[str, str] = {}
        self.counters = _counter_series(stack)
        self._names: dict[str, frozenset[str] | None] = {}
        self._series: dict[tuple[str, str], Series] = {}  # parsed once: groups are tried more than once
        self._reporting: dict[str, bool] = {}  # promtool values -> a sample at every step up to the eval time
        self._windows: dict[str, float] = {}  # record -> the longest window it reads (up to the eval time)
        self._trials: dict[int, _Trial | None] = {}  # id(group) -> what can_host reads of it
        self.all_names = set().union(*(n for n in map(self.names_read, rules) if n is not None))

    def names_read(self, rule: RecordingRule) -> frozenset[str] | None:
        """The input series names a rule reads, through the recorded series it reads (None: not bounded)."""
        if rule.record not in self._names:
            selectors = self.reads.expression(rule.record)
            self._names[rule.record] = (
                None if selectors is None else frozenset(n for n, _ in selectors if n not in self.records)
            )
        return self._names[rule.record]

    def can_host(self, group: dict, rules: list, driven_only: bool) -> list[tuple[RecordingRule, list]]:
        """Which of ``rules`` the group can host, with their results there."""
        trial = self._trial(group)
        if trial is None:
            return []
        found = []
        for rule in rules:
            names = self.names_read(rule)
            if (driven_only and names & trial.added) or not self._inputs_fit(rule, names, trial):
                continue
            evaluator = trial.evaluator(self)
            evaluator.order_dependent.clear()
            try:
                result = evaluator.instant(rule.record, self.at)
            except Unsupported:
                continue
            if evaluator.order_dependent:  # a float promtool may sum in another order: not here
                continue
            if result and not any(math.isnan(v) or math.isinf(v) for _, v in result):
                found.append((rule, result))
        return found

    def _trial(self, group: dict) -> _Trial | None:
        """The group's inputs with every healthy series it lacks that the rules read and no asserted alert reads
        (None: it cannot host). The same for both passes: a rule's result depends only on the series it reads."""
        if id(group) in self._trials:
            return self._trials[id(group)]
        trial = None
        tests = group.get("alert_rule_test")
        spacing = parse_duration(group.get("interval", "1m"))
        # a group ending before the eval time cannot host: hosting would add promtool steps we meant to save
        if tests and not group.get("promql_expr_test") and spacing == self.step:
            alert_reads = self.reads.of({t["alertname"] for t in tests})
            if alert_reads is not None and max(parse_duration(t["eval_time"]) for t in tests) >= self.at:
                trial = _Trial(*self._with_additions(group, alert_reads, self.all_names))
        self._trials[id(group)] = trial
        return trial

    def hosting(self, group: dict, rules: list[tuple[RecordingRule, list]]) -> dict:
        """The group with the rules' promql_expr_tests and the healthy series they read that it lacks. Only those:
        a rule's result is the one can_host computed, as it reads nothing else."""
        alert_reads = self.reads.of({t["alertname"] for t in group["alert_rule_test"]})
        inputs, _ = self._with_additions(group, alert_reads, self._names_of([rule for rule, _ in rules]))
        tests = [test_of(rule, result, self.at) for rule, result in rules]
        return {**group, "input_series": inputs, "promql_expr_test": tests}

    def _names_of(self, rules) -> set[str]:
        return set().union(*(self.names_read(rule) for rule in rules))

    def _with_additions(self, group: dict, alert_reads, names: set[str]) -> tuple[list[dict], set[str]]:
        """The group's inputs with the healthy series of ``names`` it lacks that no asserted alert reads (and
        their names)."""
        have = {s["series"] for s in group["input_series"]}
        added, added_names = [], set()
        for key, shape, parsed in self.healthy:
            if parsed[0] in names and key not in have and not any_match(alert_reads, [parsed]):
                if key not in self._encoded:
                    timeline = synth.Timeline().add(self.minutes, {key: shape})
                    self._encoded[key] = timeline.promtool_inputs()[0]["values"] + " stale"  # ends at the eval time
                added.append({"series": key, "values": self._encoded[key]})
                added_names.add(parsed[0])
        return [*group["input_series"], *added], added_names

    def parsed(self, key: str, values: str) -> Series:
        if (key, values) not in self._series:
            self._series[key, values] = parse_series(key, values, self.step)
        return self._series[key, values]

    def _inputs_fit(self, rule: RecordingRule, names, trial: _Trial) -> bool:
        """Every healthy series the rule reads is there (its result has every label set the catalog gives), each
        reports until the eval time, and they differ label set by label set over the window it reads."""
        if rule.record not in self._windows:
            self._windows[rule.record] = min(longest_range(rule.text, self.stack), self.at)
        window = self._windows[rule.record]
        fit = trial.fit
        for name in names:
            if (name, window) not in fit:
                series = trial.by_name.get(name, [])
                fit[name, window] = (
                    self.healthy_keys.get(name, set()) <= {key for key, _ in series}
                    and all(self._reports_until_eval(values) for _, values in series)
                    and self._distinct([self.parsed(*one) for one in series], name in self.counters, window)
                )
            if not fit[name, window]:
                return False
        return True

    def _reports_until_eval(self, values: str) -> bool:
        """A sample at every step from 0 to the eval time: read from the promtool notation, no parsing needed."""
        if values not in self._reporting:
            self._reporting[values] = sample_count(values) > self.at // self.step
        return self._reporting[values]

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


class _Trial:
    """A candidate host's inputs with the healthy series added, by name, and what was found about them."""

    def __init__(self, inputs: list[dict], added: set[str]):
        self.added = added
        self.by_name: dict[str, list[tuple[str, str]]] = {}
        for s in inputs:
            key = s["series"]
            self.by_name.setdefault(key.partition("{")[0], []).append((key, s["values"]))
        self.fit: dict[tuple, bool] = {}  # (name, window) -> its series fit
        self._evaluator: Evaluator | None = None

    def evaluator(self, hosting: _Hosting) -> Evaluator:
        if self._evaluator is None:
            series = [hosting.parsed(*one) for ones in self.by_name.values() for one in ones]
            self._evaluator = Evaluator(series, hosting.records, check_order=True)
        return self._evaluator


def _counter_series(stack: Stack) -> set[str]:
    """Series names whose increments matter (counters, histogram and summary series but a summary's quantiles)."""
    out = set()
    for metric in stack.metrics:
        if metric.type is MetricType.COUNTER:
            out.add(metric.name)
        elif metric.type in (MetricType.HISTOGRAM, MetricType.SUMMARY):
            out |= {n for n in metric.series_names() if n != metric.name}
    return out
