"""Generated cases for an SLO's burn-rate alert (``long > factor and short > factor`` over one SLI).

The generic compound cases hold each side in a steady state, but both windows of a pair read the same
counters: in a steady state they always agree, so "only one window burns" needs inputs shaped over time.
Every case is a timeline of phases (healthy: no bad events; burning: a share of bad events well above
``factor x error budget``), and every eval time is found by simulation with our evaluator:

- **fires**: a sustained burn; evaluated `for` after the first step where both windows burn;
- **too short**: the same burn one evaluation earlier (pending, or one step before the long window crosses
  when there is no `for`): quiet;
- **quiet: only the short window burns**: a fresh burn, shorter than the long window needs;
- **quiet: only the long window burns**: a burn as long as the long window that has since stopped
  (recovered): the short window is clean, the long one still remembers it.

Each step an assertion depends on is checked to be at least a margin away from the factor on both windows.
"""

from __future__ import annotations

import math

from monitoring.errors import DefinitionError
from monitoring.model import Alert, Stack
from monitoring.model.durations import format_duration
from monitoring.model.rules import parse_duration
from monitoring.promql.evaluator import Evaluator, Series, labels_of
from monitoring.testgen import drivers, synth
from monitoring.testgen.alerts import _firing_at, promtool_case, rules_by_record

EVENTS_PER_SECOND = 8.0
ATTEMPTS = 6
WARMUP_MINUTES = 10  # healthy history before a burn


class BurnCaseError(Exception):
    pass


def cases(alert: Alert, stack: Stack, interval: float) -> list[dict]:
    try:
        return BurnCases(alert, stack, interval).build()
    except (BurnCaseError, ValueError) as exc:
        raise DefinitionError(f"alert {alert.name}: cannot generate its burn-rate tests: {exc}", alert.origin) from None


def _synthesisable(slo) -> None:
    """Inputs are synthesised from the SLI's catalog metrics: free-form EventQueries have none."""
    if not slo.sli.metrics:
        raise DefinitionError(
            f"SLO {slo.name}: cannot generate its tests: its SLI is free-form EventQueries, whose inputs the test "
            "generator cannot synthesise",
            slo.origin,
            "express the SLI as EventRatio(...) or Latency(...) over catalog metrics, or keep the SLO out of the "
            "stack's rule groups (e.g. to compare with another tool's rules)",
        )


class BurnCases:
    def __init__(self, alert: Alert, stack: Stack, interval: float):
        self.alert, self.stack, self.interval = alert, stack, interval
        self.slo, self.window = alert.burn_rate.slo, alert.burn_rate.window
        _synthesisable(self.slo)
        self.for_seconds = alert.for_seconds
        self.short = self.window.short_seconds
        self.long = self.window.long_seconds
        self.factor = self.window.factor
        self.threshold = self.factor * self.slo.error_budget  # as a share of bad events
        self.burning = min(2 * self.threshold, (1 + self.threshold) / 2)
        self.margin = drivers.MARGIN * self.factor
        self.short_rule = str(self.slo.burn_rate_rule(self.window.short))
        self.long_rule = str(self.slo.burn_rate_rule(self.window.long))
        self.rules = rules_by_record(stack)
        self.labels = [synth.label_combinations(m, stack) for m in self.slo.sli.metrics][0]
        # Samples a sixth of the short window apart (1m to 10m): promtool's cost grows with the samples each
        # rule reads at every step, and a 3-day window of 1-minute samples makes one case take minutes.
        self.spacing = spacing_for(self.short)

    # --- inputs ------------------------------------------------------------------------------------
    def inputs(self, ratio: float, labels: list[dict] | None = None) -> dict:
        """Per series, its increase per sample (on a 1/64 grid, so sums stay exact in both evaluators); over
        ``labels`` (some of the label combinations) or all of them."""
        return {
            synth.series_key(name, combo): round(per_second * self.spacing * 64) / 64
            for name, combo, per_second in self.slo.sli.inputs(ratio, EVENTS_PER_SECOND, labels or self.labels)
        }

    def timeline(self, phases) -> Samples:
        return Samples(self.spacing, [(minutes, self.inputs(ratio)) for minutes, ratio in phases])

    def minutes(self, minutes: float) -> int:
        """Whole samples: phases are multiples of the sample spacing."""
        step = max(1, int(self.spacing // 60))
        return int(math.ceil(minutes / step) * step)

    # --- evaluation --------------------------------------------------------------------------------
    def evaluator(self, timeline) -> Evaluator:
        return Evaluator(timeline.series(), self.rules)

    def burn(self, evaluator, rule: str, t: float) -> dict:
        return {_drop_name(labels): v for labels, v in evaluator.instant(rule, t)}

    def state(self, evaluator, t: float) -> dict:
        return {_drop_name(labels): v for labels, v in evaluator.instant(self.alert.expr, t)}

    def step(self, seconds: float) -> float:
        """The first evaluation time at or after ``seconds``."""
        return math.ceil(seconds / self.interval) * self.interval

    def clear(self, evaluator, times) -> float:
        """The least distance of either window's burn rate from the factor over these steps."""
        least = math.inf
        for t in times:
            for rule in (self.short_rule, self.long_rule):
                for value in self.burn(evaluator, rule, t).values():
                    least = min(least, abs(value - self.factor))
        return least

    # --- cases -------------------------------------------------------------------------------------
    def build(self) -> list[dict]:
        return [*self.fires_and_too_short(), *(self.quiet_side_by_side() or (self.only_short(), self.only_long()))]

    # Each case is kept as short as it can be: promtool evaluates every rule of the file at every step up to the
    # eval time, so a case hours long costs seconds. A burn from a short healthy history fills neither window:
    # both read the same available samples, and they cross together once the burn outweighs the history.
    @property
    def k(self) -> float:
        return self.burning / self.threshold  # how many times the threshold the burn is (> 1)

    def fires_and_too_short(self) -> list[dict]:
        history = self.minutes(WARMUP_MINUTES)
        start = history * 60
        burn = min(self.long / 60, 1.5 * history / (self.k - 1)) + (self.for_seconds + self.short) / 60
        burn_minutes = self.minutes(burn + 10)
        for attempt in range(ATTEMPTS):
            ratio = self.burning * (1 + attempt / 997)
            timeline = self.timeline([(history, 0.0), (burn_minutes, ratio)])
            evaluator = self.evaluator(timeline)
            t1 = self.first_firing_step(evaluator, start, (history + burn_minutes) * 60 - self.for_seconds)
            if t1 is None:
                raise BurnCaseError(f"a burn of {ratio:g} never makes both windows exceed {self.factor:g}")
            eval_time = t1 + self.for_seconds
            times = [t1 - self.interval + k * self.interval for k in range(int(self.for_seconds / self.interval) + 2)]
            if self.clear(evaluator, times) >= self.margin:
                break
        else:
            raise BurnCaseError("every burn tried puts a step within an ulp of the factor")
        states = {t: self.state(evaluator, t) for t in times}
        firing = _firing_at(states, eval_time, self.for_seconds)
        if not firing:
            raise BurnCaseError(f"the sustained burn does not fire at {format_duration(eval_time)}")
        short_time = eval_time - self.interval
        if _firing_at(states, short_time, self.for_seconds):
            raise BurnCaseError(f"the burn fires already at {format_duration(short_time)}")
        what = self.describe(evaluator, eval_time)
        burning_for = format_duration(eval_time - start)
        return [
            self.case(f"fires (both windows burn: {what}; burning for {burning_for})", timeline, eval_time, firing),
            self.case(
                f"too short (burning for {format_duration(short_time - start)}, one evaluation before it fires: "
                f"{self.describe(evaluator, short_time)})",
                timeline,
                short_time,
                [],
            ),
        ]

    def first_firing_step(self, evaluator, start: float, end: float) -> float | None:
        """The first step where the condition holds for every group (it only grows during a steady burn)."""
        low, high = int(start // self.interval), int(end // self.interval)
        if not self.holds_everywhere(evaluator, high * self.interval):
            return None
        while low + 1 < high:
            middle = (low + high) // 2
            if self.holds_everywhere(evaluator, middle * self.interval):
                high = middle
            else:
                low = middle
        return high * self.interval

    def holds_everywhere(self, evaluator, t: float) -> bool:
        return len(self.state(evaluator, t)) == len(self.groups())

    def groups(self) -> set:
        by = self.slo.by
        return {tuple((k, labels[k]) for k in by) for labels in self.labels}

    def only_short_phases(self) -> list[tuple[int, float]]:
        # a burn of a little more than short/k fills the short window past the factor; a healthy history of
        # 1.5 (k - 1) times the burn keeps the long window's share under it (a longer one, lower still)
        burn_minutes = self.minutes(1.1 * self.short / 60 / self.k + 1)
        history = self.minutes(max(1.15 * (self.k - 1) * burn_minutes, self.short / 60 - burn_minutes) + 10)
        return [(history, 0.0), (burn_minutes, self.burning)]

    def only_long_phases(self) -> list[tuple[int, float]]:
        # an intense burn (up to 10x the threshold) long enough to outweigh the history and the recovery in the
        # long window, then a recovery longer than the short window: the condition is false, whatever `for` is
        history = self.minutes(WARMUP_MINUTES)
        recovery = self.minutes((self.short + self.spacing) / 60)  # the short window sees no bad event
        intense = min(10 * self.threshold, 1.0)  # every event bad, at most
        burn_minutes = self.minutes(1.3 * (history + recovery) / (intense / self.threshold - 1))
        burn_minutes = min(burn_minutes, self.minutes(self.long / 60 - recovery - self.spacing / 60))
        return [(history, 0.0), (burn_minutes, intense), (recovery, 0.0)]

    def only_short(self) -> dict:
        phases = self.only_short_phases()
        timeline = self.timeline(phases)
        evaluator = self.evaluator(timeline)
        t = _end(phases) * 60
        self.expect_split(evaluator, t, short_burns=True, title="only the short window burns")
        return self.case(self.only_short_title(phases, evaluator, t), timeline, t, [])

    def only_long(self) -> dict:
        phases = self.only_long_phases()
        timeline = self.timeline(phases)
        evaluator = self.evaluator(timeline)
        t = _end(phases) * 60
        self.expect_split(evaluator, t, short_burns=False, title="only the long window burns")
        return self.case(self.only_long_title(phases, evaluator, t), timeline, t, [])

    def only_short_title(self, phases, evaluator, t: float, group: tuple = ()) -> str:
        on = f"on {_text(group)}; " if group else ""
        what = self.describe(evaluator, t, group)
        return f"quiet: only the short window burns ({on}a fresh burn of {format_duration(phases[-1][0] * 60)}: {what})"

    def only_long_title(self, phases, evaluator, t: float, group: tuple = ()) -> str:
        on = f"on {_text(group)}; " if group else ""
        burned, recovered = phases[-2][0] * 60, phases[-1][0] * 60
        return (
            f"quiet: only the long window burns ({on}a burn of {format_duration(burned)}, recovered "
            f"{format_duration(recovered)} ago: {self.describe(evaluator, t, group)})"
        )

    def quiet_side_by_side(self) -> tuple[dict, dict] | None:
        """Both quiet cases in one timeline, each on a group of its own (the SLO's ``by`` keeps groups apart in
        every rule), so promtool runs their hours of steps once: the short burn on the first group, its healthy
        history lengthened to end with the long burn's recovery on the second, every other group healthy. None
        where the SLO has one group, the short case is the longer, or a window misses its side on either group
        (the caller then runs the two cases apart)."""
        groups = sorted(self.groups())
        if len(groups) < 2:
            return None
        short, long = self.only_short_phases(), self.only_long_phases()
        wait = _end(long) - _end(short)
        if wait < 0:
            return None
        short = [(short[0][0] + wait, 0.0), *short[1:]]
        first, second = groups[0], groups[1]
        timeline = self.timeline_by_group({first: short, second: long}, _end(long))
        evaluator = self.evaluator(timeline)
        t = _end(long) * 60
        try:
            self.expect_split(evaluator, t, short_burns=True, title="only the short window burns", group=first)
            self.expect_split(evaluator, t, short_burns=False, title="only the long window burns", group=second)
        except BurnCaseError:
            return None
        return (
            self.case(self.only_short_title(short, evaluator, t, first), timeline, t, []),
            self.case(self.only_long_title(long, evaluator, t, second), timeline, t, []),
        )

    def timeline_by_group(self, phases: dict[tuple, list], total: int) -> Samples:
        """One timeline where each group of ``phases`` runs its own phases (all ending at ``total`` minutes) and
        every other group stays healthy: the phases cut where any group's ratio changes."""
        members = {group: [c for c in self.labels if _in_group(c, group)] for group in sorted(self.groups())}
        order = list(self.inputs(0.0))  # the series in the catalog's order, as every other case has them
        cuts = sorted({0, total, *(m for runs in phases.values() for m in _ends(runs))})
        out = []
        for start, end in zip(cuts, cuts[1:]):
            inputs = {}
            for group, combos in members.items():
                inputs.update(self.inputs(_ratio_at(phases.get(group, [(total, 0.0)]), start), combos))
            out.append((end - start, {key: inputs[key] for key in order}))
        return Samples(self.spacing, out)

    def expect_split(self, evaluator, t: float, short_burns: bool, title: str, group: tuple = ()) -> None:
        short = self.burn(evaluator, self.short_rule, t)
        long = self.burn(evaluator, self.long_rule, t)
        for values, burns, which in ((short, short_burns, "short"), (long, not short_burns, "long")):
            for value in (v for labels, v in values.items() if _in_group(dict(labels), group)):
                if (value > self.factor) != burns or abs(value - self.factor) < self.margin:
                    raise BurnCaseError(
                        f"case '{title}': the {which} window's burn rate is {value:g} against {self.factor:g}"
                    )
        if self.state(evaluator, t):
            raise BurnCaseError(f"case '{title}' fires at {format_duration(t)}")

    def describe(self, evaluator, t: float, group: tuple = ()) -> str:
        parts = []
        for window, rule in ((self.window.long, self.long_rule), (self.window.short, self.short_rule)):
            values = sorted(v for labels, v in self.burn(evaluator, rule, t).items() if _in_group(dict(labels), group))
            shown = ", ".join(f"{v:.6g}" for v in dict.fromkeys(values))
            parts.append(f"{window} burn rate {shown}")
        return "; ".join(parts) + f" against {self.factor:g}, for {self.alert.for_}"

    def case(self, title: str, timeline, eval_time: float, firing) -> dict:
        inputs = [dict(series) for series in timeline.promtool_inputs()]
        return promtool_case(self.alert, self.stack, title, format_duration(self.spacing), inputs, eval_time, firing)


def spacing_for(window: float) -> float:
    """A sample every sixth of the window (15 s to 10 m; whole minutes above one)."""
    spacing = max(15.0, min(600.0, window / 6))
    return float(int(spacing // 60) * 60) if spacing >= 60 else float(int(spacing // 15) * 15)


class Samples:
    """Counters sampled every ``spacing`` seconds through phases of (minutes, {series: increase per sample})."""

    def __init__(self, spacing: float, phases):
        self.spacing = spacing
        keys = list(dict.fromkeys(k for _, inputs in phases for k in inputs))
        self.values: dict[str, list[float]] = {}
        for key in keys:
            out: list[float] = []
            for index, (minutes, inputs) in enumerate(phases):
                count = int(minutes * 60 // spacing) + (1 if index == 0 else 0)
                step = inputs[key]
                for _ in range(count):
                    # a counter that has been counting for an hour, as the generator's own inputs start
                    out.append(step * 3600 / spacing if not out else out[-1] + step)
            self.values[key] = out

    def series(self) -> list[Series]:
        return [
            Series(labels_of({**labels, "__name__": name}), tuple((i * self.spacing, v) for i, v in enumerate(values)))
            for key, values in self.values.items()
            for name, labels in [synth.parse_key(key)]
        ]

    def promtool_inputs(self) -> list[dict[str, str]]:
        return [{"series": key, "values": synth.encode(values)} for key, values in self.values.items()]


def _drop_name(labels) -> tuple:
    return tuple(item for item in labels if item[0] != "__name__")


def _in_group(labels: dict, group: tuple) -> bool:
    """Whether a series' labels belong to an SLO group ((label, value), ...); every series belongs to ()."""
    return all(labels.get(k) == v for k, v in group)


def _text(group: tuple) -> str:
    return ", ".join(f"{k}={v}" for k, v in group)


def _end(phases) -> int:
    """The minute the last phase ends at."""
    return _ends(phases)[-1]


def _ends(phases) -> list[int]:
    """The minute each phase ends at."""
    ends, at = [], 0
    for minutes, _ in phases:
        at += minutes
        ends.append(at)
    return ends


def _ratio_at(phases, minute: int) -> float:
    """The error ratio of the phase running from ``minute`` on."""
    for end, (_, ratio) in zip(_ends(phases), phases):
        if minute < end:
            return ratio
    return phases[-1][1]


# A healthy-to-bad history whose phases are shorter than the longest windows, so each window up to 6h reads a
# different mix and a rule over the wrong window shows a different value (the 1d and 3d windows both read
# everything: at a day or more of history promtool would evaluate every rule thousands of times).
RECORDING_PHASES = ((180, 0.01), (120, 0.05), (60, 0.2), (30, 0.02), (20, 0.1), (10, 0.3))


def slos_of(stack: Stack) -> list:
    """The SLOs whose alerts the stack holds, in order."""
    seen: dict[int, object] = {}
    for alert in stack.alerts():
        if alert.burn_rate is not None:
            seen.setdefault(id(alert.burn_rate.slo), alert.burn_rate.slo)
    return list(seen.values())


def slo_recording_case(stack: Stack, slo) -> dict:
    """Exact values of every recording rule of an SLO (SLI ratio and burn rate per window, objective, budget)."""
    from monitoring.testgen.recording import test_of

    _synthesisable(slo)
    labels = synth.label_combinations(slo.sli.metrics[0], stack)
    spacing = min(120.0, spacing_for(parse_duration(slo.window_lengths()[0]) * 2))
    phases = []
    for minutes, ratio in RECORDING_PHASES:
        inputs = {
            synth.series_key(name, combo): round(per_second * spacing * 64) / 64
            for name, combo, per_second in slo.sli.inputs(ratio, EVENTS_PER_SECOND, labels)
        }
        phases.append((minutes, inputs))
    samples = Samples(spacing, phases)
    evaluator = Evaluator(samples.series(), rules_by_record(stack))
    eval_time = sum(minutes for minutes, _ in RECORDING_PHASES) * 60.0
    tests = []
    for rule in slo.recording_rules():
        result = evaluator.instant(rule.record, eval_time)
        if not result or any(math.isnan(v) or math.isinf(v) for _, v in result):
            raise DefinitionError(f"recording rule {rule.record} gives {result} on the SLO's dataset", rule.origin)
        tests.append(test_of(rule, result, eval_time))
    return {
        "name": f"SLO {slo.name}: recording rules over a history of error ratios "
        + ", ".join(f"{ratio:g} for {minutes}m" for minutes, ratio in RECORDING_PHASES),
        "interval": format_duration(spacing),
        "input_series": samples.promtool_inputs(),
        "promql_expr_test": tests,
    }
