"""The generated promtool cases of an alert, for every kind of condition.

- comparison (``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=``): **fires** (past the threshold for longer than
  `for`, exact labels and annotations), **safe side** (on the boundary where the comparator makes that
  meaningful, just inside otherwise, just off the value for ``==``) and **too short** (past the threshold
  for less than `for`: pending only; when `for` > the evaluation interval);
- band (outside [low, high]): fires below and above, safe side on each boundary, too short;
- compound (``A and B``, ``A unless B``): fires, too short, and one quiet case per side; ``A or B``: fires by
  each side (the other healthy), too short, and quiet with each side on its safe side;
- absent: fires (the series disappears for longer than `for`), safe side (it keeps reporting), too short.

Every case is a timeline: a healthy phase, then a phase with the case's inputs. The signals are simulated at
every evaluation step and the condition is applied to their values, so a case that must be clearly on one
side (fires, too short) is checked to be at least a margin away from the threshold at every step its
assertion depends on (an ulp of difference between our arithmetic and Prometheus' cannot flip it); the
exact-boundary safe side stays exact.
"""

from __future__ import annotations

import functools
import math
import operator

from monitoring.errors import DefinitionError
from monitoring.model import Alert, MetricType, Stack
from monitoring.model.conditions import Absent, Band, Comparison, Compound, Condition
from monitoring.model.durations import format_duration
from monitoring.model.synthetic import Stale
from monitoring.promql.evaluator import Evaluator
from monitoring.testgen import beside, drivers, search, synth
from monitoring.testgen.alerts import _firing_at, longest_range, promtool_case, rules_by_record
from monitoring.testgen.stepping import StepSimulator, evaluation_times

_OPERATORS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
ATTEMPTS = 6  # fires values tried when a step lands within the margin of the threshold
LEAD_MINUTES = 2  # healthy minutes before a comparison case changes its inputs
# a fires case's lead where no rate needs two samples (CaseBuilder.fires_leads): one sample, and steps reading it
SHORT_LEAD_MINUTES = 1


class Mismatch(Exception):
    """A case's outcome is not the one it is for (a first guess that does not hold, or a real problem)."""


class Leaf:
    """One comparison of the condition and the driver that moves its signal."""

    def __init__(self, comparison: Comparison, driver):
        self.comparison, self.driver = comparison, driver


def cases(alert: Alert, stack: Stack, interval: float, source: str | None = None) -> list[dict]:
    return CaseBuilder(alert, stack, interval, source).build()


class CaseBuilder:
    def __init__(self, alert: Alert, stack: Stack, interval: float, source: str | None = None):
        self.alert, self.stack, self.interval = alert, stack, interval
        self.source = source  # the rule file's expression, when the condition is an equivalent rewrite of it
        self.condition = alert.condition
        self.rules = rules_by_record(stack)
        self.for_seconds = alert.for_seconds
        self.comparisons = self.condition.comparisons()
        self.state = _compile(self.condition)  # values of its signals at one step -> the condition's result
        signals = [c.signal for c in self.comparisons] or [str(self.condition.signal)]
        window = max(longest_range(signal, stack) for signal in signals)
        self.window = window
        self.warmup = max(5, math.ceil(window / 60) + 1)
        self.length = self.warmup + math.ceil((self.for_seconds + 5 * interval) / 60) + 10
        # healthy samples before a comparison case's change: two (a rate needs them), not a full window; the
        # signal is as healthy over a part of its window as over all of it, and promtool evaluates every rule
        # at every step of a test group, so each minute here costs a step per case (issue 14)
        self.lead = LEAD_MINUTES
        self.margin = drivers.MARGIN
        self._simulators: dict[str, StepSimulator] = {}
        self._catalog = None

    # --- drivers -----------------------------------------------------------------------------------
    def catalog(self) -> search.Catalog:
        if self._catalog is None:
            self._catalog = drivers.catalog_of(self.stack)
        return self._catalog

    def leaf(self, comparison: Comparison, searched: bool = False) -> Leaf:
        band = None
        if isinstance(self.condition, Band):
            band = (self.condition.low.value, self.condition.high.value)
        if self.alert.driver is not None and isinstance(self.condition, (Condition, Band)):
            return Leaf(comparison, drivers.GivenDriver(comparison, drivers.guarded(self.alert), band=band))
        guess = None if searched else drivers.first_guess(comparison, self.stack, band)
        if guess is not None:
            return Leaf(comparison, guess)
        return Leaf(comparison, drivers.SearchDriver(comparison, self.catalog(), self.interval, band))

    def build(self) -> list[dict]:
        condition = self.condition
        if isinstance(condition, Absent):
            return self.absent_cases()
        comparisons = condition.comparisons()
        try:
            return self.cases_for([self.leaf(c) for c in comparisons])
        except (Mismatch, ValueError) as first:
            if self.alert.driver is not None:
                raise DefinitionError(
                    f"alert {self.alert.name}: {first}",
                    self.alert.origin,
                    "the alert's driver does not put the signal where the case needs it: fix or drop the driver",
                ) from None
            try:
                return self.cases_for([self.leaf(c, searched=True) for c in comparisons])
            except Mismatch as exc:
                raise DefinitionError(f"alert {self.alert.name}: {exc}", self.alert.origin) from None
            except search.SearchFailed as exc:
                if isinstance(first, ValueError):  # the guess's reason is the clearer one (a histogram's reach)
                    raise DefinitionError(
                        f"alert {self.alert.name}: {first}",
                        self.alert.origin,
                        "give the histogram a bucket below the threshold, or raise the threshold",
                    ) from None
                raise exc

    def cases_for(self, leaves: list[Leaf]) -> list[dict]:
        condition = self.condition
        if isinstance(condition, Condition):
            return self.comparison_cases(leaves[0])
        if isinstance(condition, Band):
            return self.band_cases(*leaves)
        if isinstance(condition, Compound):
            first = leaves[: len(condition.first.comparisons())]
            second = leaves[len(first) :]
            if len(first) != 1 or len(second) != 1:
                raise DefinitionError(
                    f"alert {self.alert.name}: generated tests combine two comparisons; outside() inside both() "
                    "or unless() is not supported",
                    self.alert.origin,
                    "give the alert scenarios=(...) and a simpler condition",
                )
            return self.compound_cases(first[0], second[0])
        raise DefinitionError(f"alert {self.alert.name}: unknown condition {condition!r}", self.alert.origin)

    # --- simulation --------------------------------------------------------------------------------
    def simulator(self, signal: str, active) -> StepSimulator:
        if signal not in self._simulators:
            rules = self.rules

            def evaluator_for(series):
                evaluator = Evaluator(series, rules)

                def evaluate(t):
                    return {_drop_name(labels): value for labels, value in evaluator.instant(signal, t)}

                return evaluate

            self._simulators[signal] = StepSimulator(signal, rules, self.interval, evaluator_for, active)
        return self._simulators[signal]

    def run(self, phases: list[dict]) -> Run:
        """Simulate healthy (warm-up) then each phase's inputs; the condition's state at every step. A short
        lead first; a full window of warm-up when the condition holds during the lead (a rate reads low while
        its first window fills, so `below` a rate holds there)."""
        run = self._run(phases, self.lead)
        if self.lead < self.warmup and any(state for t, state in run.states.items() if t < run.since):
            run = self._run(phases, self.warmup)
        return run

    def _run(self, phases: list[dict], lead: int) -> Run:
        timeline = synth.Timeline().add(lead, phases[0])
        for inputs in phases[1:]:
            timeline.add(self.length, inputs)
        series, end, since = timeline.series(), timeline.minutes * 60, lead * 60
        values = {}
        for signal, comparisons in _by_signal(self.comparisons).items():

            def active(state, comparisons=comparisons):
                return any(c.holds(v) for v in state.values() for c in comparisons)

            values[signal] = self.simulator(signal, active).states(series, end, since=since)
        if len(values) == 1:
            (steps,) = values.values()
            states = {t: self.state({signal: state}) for t, state in steps.items()}
        else:
            times = sorted(set.intersection(*(set(v) for v in values.values())))
            states = {t: self.state({signal: v[t] for signal, v in values.items()}) for t in times}
        return Run(timeline, values, states, since)

    # --- cases -------------------------------------------------------------------------------------
    def fires_leads(self, leaf: Leaf, healthy: dict) -> list[tuple[dict, int | None]]:
        """What a fires case may hold before its switch, and for how many minutes (None: the usual lead, or a
        full warm-up where the condition holds during it; see run()), preferred first (crossing_from keeps the
        one that crosses soonest). Where the driver is a first guess over a gauge (the signal follows the value
        given) there are sooner ones (each minute saved is a step of every rule of the file in promtool, issue
        14); the other series stay healthy:

        - a gauge read at an instant: the healthy inputs for one minute only, as no rate needs a second sample
          (the usual lead is the fallback);
        - a signal over a range window (an average): from the healthy value it crosses only once most of its
          window is past the threshold, so the driven series holds the driver's near lead instead (clearly
          healthy, near the threshold): it crosses at the first crossed sample or so. Held for the usual two
          minutes all the same: a recording rule asserted in the group at its eval time (monitoring.testgen.fold)
          then still has the switch inside the first half of its window, where a halved window shows.
        """
        driver = leaf.driver
        if not isinstance(driver, drivers.GivenDriver) or driver.metric is None:
            return [(healthy, None)]
        gauge = driver.metric.type is MetricType.GAUGE
        if not self.window:
            return [(healthy, SHORT_LEAD_MINUTES if gauge else None)]
        # a histogram's quantile may not move sooner from a near lead (it can stay in the lower bucket while its
        # window mixes the two shapes): trying both simulated every histogram case twice, a fifth more
        # generation time for two alerts of the bench service a minute sooner; the usual lead
        near = driver.lead() if gauge else None
        if near is None or not set(near) <= set(healthy):
            return [(healthy, None)]
        return [({**healthy, **near}, self.lead), (healthy, None)]

    def crossing_from(self, leads: list[tuple[dict, int | None]], make_phases, title: str, apart=None):
        """crossing() from the lead whose condition holds soonest, the first of the list on a tie
        (``make_phases(lead, attempt)``); none is tried past one that holds at its first crossed sample. A lead
        given its minutes must be quiet throughout; where none of them crosses, the usual lead."""
        best, failure = None, None
        for lead, minutes in leads:
            try:
                run = self.crossing(lambda k, lead=lead: make_phases(lead, k), title, apart, minutes)
            except Mismatch as exc:
                failure = exc
                continue
            if best is None or run[1] < best[1]:
                best = run
            if run[1] <= ((self.lead if minutes is None else minutes) + 1) * synth.INTERVAL:
                break  # it holds at the first sample past the switch: no lead of the list is sooner
        if best is not None:
            return best
        if all(minutes is not None for _, minutes in leads):
            return self.crossing(lambda k: make_phases(leads[0][0], k), title, apart)
        raise failure

    def crossing(self, make_phases, title: str, apart: beside.Membership | None = None, lead: int | None = None):
        """A run whose crossing is clear: every step the fires and too-short assertions read is at least the
        margin away from every threshold. Tries a few values further past before giving up. With ``apart``,
        the timeline also carries a safe side on its label values, left out of the distances (it sits on the
        boundary on purpose); it never holds where the run is used (quiet_beside checks), so the first step
        that holds is the crossing's. With ``lead`` (minutes), a lead during which the condition holds is a
        Mismatch (not a longer warm-up)."""
        closest = None
        skip = apart.on if apart is not None else None
        for attempt in range(ATTEMPTS):
            phases = make_phases(attempt)
            run = self.run(phases) if lead is None else self._run(phases, lead)
            if lead is not None and any(state for t, state in run.states.items() if t < run.since):
                raise Mismatch(f"generated case '{title}': the condition holds during the lead")
            t_true = run.first_true()
            if t_true is None:
                value = run.closest_value(self.comparisons)
                raise Mismatch(
                    f"generated case '{title}' never crosses: `{self.condition.expr}` does not hold at any step "
                    f"(the signal reaches {value:g})"
                )
            end = self.fires_time(run, t_true)
            # each comparison against its own threshold's scale (`a - b > 0 and age > 864000`: 0.23 past the
            # first is clear, though not by the second's scale)
            gaps = [(run.distance([c], t_true - self.interval, end, skip), _scale([c])) for c in self.comparisons]
            (distance, at), _ = min(gaps, key=lambda gap: gap[0][0] / gap[1])
            if all(gap >= self.margin * scale for (gap, _), scale in gaps):
                return run, t_true, distance
            closest = (distance, at)
        raise Mismatch(
            f"generated case '{title}': in {ATTEMPTS} tries a step still lands within {closest[0]:.3g} of the "
            f"threshold (at {format_duration(closest[1])}), where an ulp could decide the outcome"
        )

    def fires_and_too_short(
        self, run, t_true, distance, signal: str | None, label: str = "fires", short: bool | None = None
    ) -> list[dict]:
        """The fires case (and too short, for `fires` or when ``short``), named with the values the inputs
        produce: ``signal`` at the firing value, or every signal's values (compound conditions)."""
        out = []
        eval_time = self.fires_time(run, t_true)
        firing = _firing_at(run.states, eval_time, self.for_seconds)
        what = f"at {firing[0][1]:.6g}" if signal and firing else _describe(run, eval_time)
        if not firing:
            raise Mismatch(f"generated case '{label}' ({what}) does not fire at {format_duration(eval_time)}")
        clear = self.clear_text(distance)
        out.append(self.case(f"{label} ({what}; {clear}; {self.threshold_text()})", run, eval_time, firing))
        if self.for_seconds > self.interval and (label == "fires" if short is None else short):
            short = t_true + self.for_seconds - self.interval
            pending = _firing_at(run.states, short, self.for_seconds)
            if pending:
                raise Mismatch(f"generated case 'too short' ({what}) fires at {format_duration(short)}")
            out.append(self.case(f"too short ({what}; {clear}; {self.threshold_text()})", run, short, []))
        return out

    def fires_time(self, run, t_true: float) -> float:
        """When a fires case is asserted: two steps past `for` after its condition first holds."""
        return min(t_true + self.for_seconds + 2 * self.interval, run.end)

    def clear_text(self, distance: float) -> str:
        """How clear of the threshold every step a fires or too-short assertion depends on is: its margin."""
        if math.isinf(distance) and any(drivers.COUNTS.search(c.signal) for c in self.comparisons):
            return "whole counts, exact"
        if math.isinf(distance):
            return "exactly on the value"
        return f"margin {distance:.3g}"

    def quiet(self, run, title: str, what: str) -> dict:
        # late enough that the signal has settled (its longest window) and then held for `for`: a comparator
        # written with `=` fires by then on a safe side exactly on the boundary
        t_true = run.first_true()
        settled = run.since + self.window + self.for_seconds + 2 * self.interval
        eval_time = min(max(settled, (t_true or 0) + self.for_seconds + 2 * self.interval), run.end)
        firing = _firing_at(run.states, eval_time, self.for_seconds)
        if firing:
            raise Mismatch(f"generated case '{title}' ({what}) fires at {format_duration(eval_time)}")
        return self.case(f"{title} ({what}; {self.threshold_text()})", run, eval_time, [])

    def case(self, title: str, run, eval_time: float, firing) -> dict:
        if self.source is not None:
            firing = self.reported(run, eval_time, firing)
        inputs = [dict(series) for series in run.inputs()]  # copies: a shared list dumps as an alias
        return promtool_case(self.alert, self.stack, title, format_duration(synth.INTERVAL), inputs, eval_time, firing)

    def reported(self, run, eval_time: float, firing) -> list:
        """The firing series with the values the source expression gives them (``a > b`` reports ``a``, its
        rewrite ``a - b > 0`` the difference); every one must be a series the source returns, or the rewrite
        is not the same alert on these inputs."""
        result = Evaluator(run.timeline.series(), self.rules).instant(self.source, eval_time)
        values = {_drop_name(labels): value for labels, value in result}
        missing = [labels for labels, _ in firing if labels not in values]
        if missing:
            raise DefinitionError(
                f"alert {self.alert.name}: `{self.condition.expr}`, read as the same alert as `{self.source}`, "
                f"fires for {dict(missing[0])} where the source returns nothing",
                self.alert.origin,
            )
        return [(labels, values[labels]) for labels, _ in firing]

    def threshold_text(self) -> str:
        condition = self.condition
        if isinstance(condition, Band):
            return f"outside [{condition.low.value:g}, {condition.high.value:g}] for {self.alert.for_}"
        if isinstance(condition, Compound):
            first, second = condition.first.comparisons()[0], condition.second.comparisons()[0]
            return f"{first.text} {condition.op} {second.text} for {self.alert.for_}"
        return f"{condition.op} {condition.level.value:g} for {self.alert.for_}"

    def comparison_cases(self, leaf: Leaf) -> list[dict]:
        signal = leaf.comparison.signal
        healthy = leaf.driver.healthy()
        inputs, kind = leaf.driver.safe()
        together = self.side_by_side(leaf, healthy, inputs, kind)
        if together is not None:
            return together
        leads = self.fires_leads(leaf, healthy)
        run, t_true, distance = self.crossing_from(leads, lambda lead, k: [lead, leaf.driver.fires(k)], "fires")
        out = self.fires_and_too_short(run, t_true, distance, signal)
        safe = self.run([healthy, inputs])
        value = safe.closest_value([leaf.comparison])
        kind = self.checked_boundary(safe, leaf.comparison, kind)
        out.insert(1, self.quiet(safe, "safe side", f"at {value:.12g}, {kind}"))
        return out

    def side_by_side(self, leaf: Leaf, healthy: dict, safe_inputs: dict, kind: str) -> list[dict] | None:
        """The fires, safe-side and too-short cases on one timeline (monitoring.testgen.beside): the safe side's
        driven series moved onto another label value of the metric, one the fires case keeps healthy, where the
        signal keeps series of different values of that label apart (decided from the expression, and every
        series of the result is checked to carry the label). One simulation serves both cases. None where they
        cannot share a timeline, or the safe side is not quiet there: the caller runs them apart."""
        signal = leaf.comparison.signal
        fired = leaf.driver.fires(0)
        driven = [key for key, shape in safe_inputs.items() if healthy.get(key) != shape]
        if not driven or set(fired) != set(healthy):
            return None
        moves = beside.moves(driven, healthy)
        if moves is None:
            return None
        moved, renamed = moves
        if not all(beside.keeps_apart(signal, label, self.rules) for label in moved):
            return None

        # the safe side from the first sample on (the lead too; the next phase carries it on), so it settles
        # before the fires case fires and one assertion there checks both
        safe_moved = {renamed[key]: safe_inputs[key] for key in driven}
        leads = [({**lead, **safe_moved}, minutes) for lead, minutes in self.fires_leads(leaf, healthy)]

        def phases(lead: dict, attempt: int) -> list[dict]:
            crossed = dict(leaf.driver.fires(attempt))
            if set(crossed) != set(healthy):
                raise Mismatch("the fires inputs change which series there are")
            for key in driven:
                del crossed[renamed[key]]
            return [lead, crossed]

        on_moved = beside.Membership(moved)
        try:
            run, t_true, distance = self.crossing_from(leads, phases, "fires", on_moved)
        except Mismatch:
            return None  # apart, the fires case says what is wrong (or holds after all)
        if not all(on_moved.labelled[labels] for state in run.values[signal].values() for labels in state):
            return None  # the label is aggregated away after all: the safe series would be hidden
        safe = beside.SafeSide(run, on_moved, signal)
        value = safe.closest_value([leaf.comparison])
        kind = self.checked_boundary(safe, leaf.comparison, kind)
        fires_at = self.fires_time(run, t_true)
        title = f"safe side (at {value:.12g}, {kind}, on {beside.text(moved)}"
        quiet = self.quiet_beside(run, safe, moved, title, fires_at, exact=kind == drivers.ON_BOUNDARY)
        if quiet is None:
            return None
        both = self.fires_and_too_short(run, t_true, distance, signal)
        return both[:1] + [quiet] + both[1:]

    def quiet_beside(
        self, combined: Run, safe: beside.SafeSide, moved: dict, title: str, fires_at: float, exact: bool
    ) -> dict | None:
        """The safe-side assertion on the combined timeline, once the safe side has settled and then held for
        `for`, and no sooner than the fires case's (the same assertion then, which the layout keeps once):
        nothing of the moved label value ever holds (what fires is the fires case's, expected as such)."""
        # its longest window full of the one shape, sooner where the values show it (a constant's average)
        settled = safe.settled(exact)
        settled = safe.since + self.window if settled is None else min(settled, safe.since + self.window)
        eval_time = min(max(settled + self.for_seconds + 2 * self.interval, fires_at), combined.end)
        firing = _firing_at(combined.states, eval_time, self.for_seconds)
        if safe.first_true() is not None or any(beside.has(labels, moved) for labels, _ in firing):
            return None
        return self.case(f"{title}; {self.threshold_text()})", combined, eval_time, firing)

    def checked_boundary(self, run, comparison: Comparison, kind: str) -> str:
        """ "on the boundary" only if the signal sits exactly on it at every step once settled (a count that dips
        as its window slides is not); otherwise the case is named for what it is: just inside."""
        if kind != drivers.ON_BOUNDARY or comparison.op == "!=":
            return kind
        settled = run.since + synth.INTERVAL + self.window + self.interval  # the next phase starts a sample later
        steps = run.values_after(comparison.signal, settled)
        on_it = {labels for labels, v in steps[-1].items() if v == comparison.value} if steps else set()
        if not on_it or any(state.get(labels) != comparison.value for state in steps for labels in on_it):
            return drivers.JUST_INSIDE
        return kind

    def band_cases(self, low: Leaf, high: Leaf) -> list[dict]:
        signal = low.comparison.signal
        healthy = low.driver.healthy()  # half way between the boundaries
        out = []
        for leaf, side in ((low, "below"), (high, "above")):
            run, t_true, distance = self.crossing(lambda k, leaf=leaf: [healthy, leaf.driver.fires(k)], f"fires {side}")
            made = self.fires_and_too_short(run, t_true, distance, signal, f"fires {side}")
            out.extend(made)
        run, t_true, distance = self.crossing(lambda k: [healthy, low.driver.fires(k)], "too short")
        if self.for_seconds > self.interval:
            short = t_true + self.for_seconds - self.interval
            if _firing_at(run.states, short, self.for_seconds):
                raise Mismatch(f"generated case 'too short' fires at {format_duration(short)}")
            value = run.value_at(short)
            title = f"too short (at {value:.6g}; {self.clear_text(distance)}; {self.threshold_text()})"
            out.append(self.case(title, run, short, []))
        for leaf, side in ((low, "low"), (high, "high")):
            inputs, kind = leaf.driver.safe()
            safe = self.run([healthy, inputs])
            value = safe.closest_value([leaf.comparison])
            out.append(self.quiet(safe, f"safe side at the {side} boundary", f"at {value:.12g}, {kind}"))
        return out

    def compound_cases(self, first: Leaf, second: Leaf) -> list[dict]:
        op = self.condition.op
        if op == "or":
            return self.either_cases(first, second)
        if op == "and":
            # quiet when either side is: a guard such as `and rate(x[5m]) > 0` cannot be healthy on its own
            # (no traffic leaves the ratio beside it undefined), so the baseline may hold one side
            baselines = [("healthy", "healthy"), ("healthy", "fires"), ("fires", "healthy")]
            crossed = ("fires", "fires")
            quiet = [
                ("quiet: only the first holds", "fires", "healthy"),
                ("quiet: only the second holds", "healthy", "fires"),
            ]
        else:
            baselines = [("healthy", "healthy"), ("healthy", "fires")]
            crossed = ("fires", "healthy")
            quiet = [
                ("quiet: the second holds too", "fires", "fires"),
                ("quiet: the first on its safe side", "safe", "healthy"),
            ]
        healthy = self._reachable(first, second, baselines)
        crossed_inputs = self.joint(first, crossed[0], second, crossed[1])
        # one crossing: the margin tries further values only for single comparisons
        run, t_true, distance = self.crossing(lambda k: [healthy, crossed_inputs], "fires")
        out = self.fires_and_too_short(run, t_true, distance, None)
        unreachable = []
        for title, state1, state2 in quiet:
            try:
                inputs = self.joint(first, state1, second, state2)
            except search.SearchFailed:
                # one side implies the other (`ratio > 5 and total > 0`: errors mean traffic): no input
                # separates them, so no case can; said in the fires case's name
                unreachable.append(title.removeprefix("quiet: "))
                continue
            quiet_run = self.run([healthy, inputs])
            out.append(self.quiet(quiet_run, title, _describe(quiet_run, quiet_run.end)))
        if unreachable:
            out[0]["name"] += f" (no input makes '{' or '.join(unreachable)}' quiet: one side implies the other)"
        return out

    def either_cases(self, first: Leaf, second: Leaf) -> list[dict]:
        """``A or B``: fires by each side alone (too short on the first), quiet with each side on its safe
        side and the other healthy."""
        healthy = self.joint(first, "healthy", second, "healthy")
        out = []
        crossings = (("fires by the first", "fires", "healthy"), ("fires by the second", "healthy", "fires"))
        for label, state1, state2 in crossings:
            inputs = self.joint(first, state1, second, state2)
            run, t_true, distance = self.crossing(lambda k, inputs=inputs: [healthy, inputs], label)
            out.extend(self.fires_and_too_short(run, t_true, distance, None, label, short=not out))
        for title, state1, state2 in (
            ("quiet: the first on its safe side", "safe", "healthy"),
            ("quiet: the second on its safe side", "healthy", "safe"),
        ):
            quiet_run = self.run([healthy, self.joint(first, state1, second, state2)])
            out.append(self.quiet(quiet_run, title, _describe(quiet_run, quiet_run.end)))
        return out

    def _reachable(self, first: Leaf, second: Leaf, options) -> dict:
        failure = None
        for state1, state2 in options:
            try:
                return self.joint(first, state1, second, state2)
            except search.SearchFailed as exc:
                failure = failure or exc
        raise failure

    def joint(self, first: Leaf, state1: str, second: Leaf, state2: str) -> dict:
        """Inputs putting both sides where wanted; when they share series, each side is solved on top of the
        other's inputs, a few rounds, until both hold (the simulation checks the outcome in any case)."""
        if self.condition.op == "or" and state1 != "healthy" and state2 == "healthy":
            # the side that must move is answered last: on one signal (`x <= 199 or x >= 400`) a first guess
            # sets the same series, and the last answer wins
            first, state1, second, state2 = second, state2, first, state1
        inputs = drivers.answer(second.driver, state2, drivers.answer(first.driver, state1))
        for _ in range(3):
            if _satisfied(first.driver, state1, inputs) and _satisfied(second.driver, state2, inputs):
                break
            inputs = drivers.answer(first.driver, state1, inputs)
            if _satisfied(second.driver, state2, inputs):
                break
            inputs = drivers.answer(second.driver, state2, inputs)
        return inputs

    def absent_cases(self) -> list[dict]:
        selector = str(self.condition.selector)
        present = _present_inputs(self.catalog(), selector)
        if not present:
            raise DefinitionError(
                f"alert {self.alert.name}: `{selector}` names no metric of the catalog", self.alert.origin
            )
        # the target goes away: its series go stale (Prometheus marks them so), then have no samples
        gone = {key: Stale() for key in present}
        run = self.run_absent([present, gone])
        t_true = run.first_true()
        if t_true is None:
            raise Mismatch(f"`{self.condition.expr}` never holds after the series go stale")
        out = []
        eval_time = self.fires_time(run, t_true)
        firing = _firing_at(run.states, eval_time, self.for_seconds)
        if not firing:
            raise Mismatch(f"generated case 'fires' ({selector} gone) does not fire at {format_duration(eval_time)}")
        gone_at = format_duration(run.since)
        out.append(self.case(f"fires ({selector} stale from {gone_at}, for {self.alert.for_})", run, eval_time, firing))
        keep = self.run_absent([present, present])
        if _firing_at(keep.states, eval_time, self.for_seconds):
            raise Mismatch(f"generated case 'safe side' ({selector} reporting) fires at {format_duration(eval_time)}")
        out.append(self.case(f"safe side ({selector} keeps reporting, for {self.alert.for_})", keep, eval_time, []))
        if self.for_seconds > self.interval:
            short = t_true + self.for_seconds - self.interval
            if _firing_at(run.states, short, self.for_seconds):
                raise Mismatch(f"generated case 'too short' ({selector} gone) fires at {format_duration(short)}")
            title = f"too short ({selector} stale from {gone_at}, for less than {self.alert.for_})"
            out.append(self.case(title, run, short, []))
        return out

    def run_absent(self, phases):
        timeline = synth.Timeline().add(self.warmup, phases[0]).add(self.length, phases[1])
        evaluator = Evaluator(timeline.series(), self.rules)
        end = timeline.minutes * 60
        states = {
            t: {_drop_name(labels): v for labels, v in evaluator.instant(self.condition.expr, t)}
            for t in evaluation_times(self.interval, end)
        }
        return Run(timeline, {}, states, self.warmup * 60)


class Run:
    """One simulated timeline: its signals' values and the condition's states at every step."""

    def __init__(self, timeline, values, states, since):
        self.timeline, self.values, self.states, self.since = timeline, values, states, since
        self.end = timeline.minutes * 60

    def inputs(self):
        return self.timeline.promtool_inputs()

    def first_true(self):
        return next((t for t in sorted(self.states) if t >= self.since and self.states[t]), None)

    def distance(self, comparisons, start: float, end: float, skip=None) -> tuple[float, float]:
        """The least distance of any signal value from its thresholds over steps in [start, end] (and where);
        ``skip``: {labels: whether to leave that series out}."""
        least, where = math.inf, start
        for comparison in comparisons:
            steps = self.values[comparison.signal]
            # The healthy phase's settled values were chosen as they are (even exactly on a threshold, as for
            # `> 0` with no errors): a step that reads one of them is not a step in between.
            settled = {(labels, v) for t, state in steps.items() if t < self.since for labels, v in state.items()}
            # changes() and resets() count: whole numbers are exact, whatever the arithmetic
            counts = drivers.COUNTS.search(comparison.signal) is not None
            for t, state in steps.items():
                if start <= t <= end:
                    for labels, value in state.items():
                        if skip is not None and skip[labels]:
                            continue
                        if (comparison.op == "==" and value == comparison.value) or (labels, value) in settled:
                            continue  # holding exactly is what == means
                        if counts and float(value).is_integer():
                            continue
                        gap = abs(value - comparison.value)
                        if gap < least:
                            least, where = gap, t
        return least, where

    def values_after(self, signal: str, start: float) -> list[dict]:
        steps = self.values[signal]
        return [steps[t] for t in steps if t >= start]

    def closest_value(self, comparisons) -> float:
        """The signal value nearest a threshold at the last step (what a quiet case shows)."""
        comparison = comparisons[0]
        last = self.values[comparison.signal][max(self.values[comparison.signal])]
        return min(last.values(), key=lambda v: abs(v - comparison.value), default=math.nan)

    def value_at(self, t: float) -> float:
        state = next(iter(self.values.values())).get(t, {})
        return next(iter(state.values()), math.nan)


def _compile(condition):
    """state(values by signal) -> {labels: value} where the condition holds (comparisons read once, here)."""
    if isinstance(condition, Absent):
        return None
    if isinstance(condition, Condition):
        (comparison,) = condition.comparisons()
        signal, holds, level = comparison.signal, _OPERATORS[comparison.op], comparison.value
        return lambda values: {labels: v for labels, v in values[signal].items() if holds(v, level)}
    if isinstance(condition, Band):
        low, high = condition.comparisons()
        signal, lowest, highest = low.signal, low.value, high.value
        return lambda values: {labels: v for labels, v in values[signal].items() if v < lowest or v > highest}
    first, second, on, keep = _compile(condition.first), _compile(condition.second), condition.on, condition.op == "and"

    def signature(labels):
        return tuple(item for item in labels if on is None or item[0] in on)

    if condition.op == "or":  # the left side's series, then the right side's whose signature the left lacks

        def either(values):
            left = first(values)
            taken = {signature(labels) for labels in left}
            return {**left, **{labels: v for labels, v in second(values).items() if signature(labels) not in taken}}

        return either

    def state(values):
        right = {signature(labels) for labels in second(values)}
        return {labels: v for labels, v in first(values).items() if (signature(labels) in right) == keep}

    return state


def _satisfied(driver, state: str, inputs: dict) -> bool:
    return driver.satisfied(state, inputs) if isinstance(driver, drivers.SearchDriver) else True


def _by_signal(comparisons) -> dict:
    out: dict = {}
    for comparison in comparisons:
        out.setdefault(comparison.signal, []).append(comparison)
    return out


def _scale(comparisons) -> float:
    return max(abs(c.value) or 1.0 for c in comparisons)


@functools.lru_cache(maxsize=1 << 16)  # the same few label sets at every step
def _drop_name(labels) -> tuple:
    return tuple(item for item in labels if item[0] != "__name__")


def _describe(run, t: float) -> str:
    """Each signal's values at (or just before) t: what a compound case's name shows."""
    parts = []
    for signal, steps in run.values.items():
        at = max((s for s in steps if s <= t), default=max(steps))
        shown = ", ".join(f"{v:.6g}" for _, v in sorted(steps[at].items()))
        parts.append(f"{signal} at {shown}")
    return "; ".join(parts)


def _present_inputs(catalog: search.Catalog, selector: str) -> dict:
    """Inputs that make the selector match: its metric's series at a default, with the labels it names."""
    metrics, _, _, named = search._reads(catalog, selector)
    out: dict = {}
    for metric in metrics:
        for labels in search.label_sets(catalog, metric, named):
            knob = search.Knob(metric, (), (tuple(sorted(labels.items())),))
            out.update(knob.inputs(knob.default()) or {})
    return out
