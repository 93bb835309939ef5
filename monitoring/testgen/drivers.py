"""How generated tests put one comparison's signal where each case needs it.

Three drivers, tried in this order; the case generator checks every outcome with the evaluator:

- a hand-written ``driver(value) -> {series: shape}`` given with the alert (optional, never required);
- a first guess for the commonest signals: over one gauge (the gauge at the value) or one histogram's
  quantile (buckets shaped so the quantile lands on the value). Cheap, and exact when it holds;
- the search (monitoring.testgen.search): any signal over catalog metrics and recorded series.

A driver answers three questions: inputs with every output series healthy, inputs that cross the threshold
(``attempt`` > 0 asks for another value, when a step landed too close to the threshold), and inputs on the
safe side as close to the threshold as the comparator allows, with a word on which (see ``SAFE``).
"""

from __future__ import annotations

import math
import re

import promql_parser as pp

from monitoring.errors import DefinitionError
from monitoring.model import Metric, MetricType, Stack
from monitoring.model.conditions import Comparison, Condition
from monitoring.model.synthetic import GaugeValue
from monitoring.promql.parse import parse, selector_name
from monitoring.testgen import search, synth
from monitoring.testgen.memo import per_owner

ON_BOUNDARY, JUST_INSIDE, JUST_OFF = "on the boundary", "just inside", "just off the value"
# The crossed distance is not a simple fraction of the healthy one, so a moving average passing from healthy to
# crossed does not land exactly on the threshold at some step (k/n of the way for an n-sample window).
HEALTHY_SHARE, CROSSED_SHARE, INSIDE_SHARE = 0.4, 0.23, 0.02
# A histogram's fires case (issue 14): its quantile lands under a tenth past the threshold, so a threshold moved
# up by a tenth no longer fires (the case kills that mutant by its value, not by the time a slow crossing takes),
# on FIRES_TRAFFIC times the observations of its lead, so the window's rates take the new shape at its first
# sample: the crossing comes minutes sooner, and each minute is a step of every rule for promtool.
HISTOGRAM_CROSSED_SHARE, FIRES_TRAFFIC = 0.07, 32.0
COUNTS = re.compile(r"^\s*(changes|resets)\s*\(")  # signals that count: whole numbers, exact
MARGIN = 1e-6  # relative: "clearly past the threshold" means at least this x the threshold's scale


def scale(comparison: Comparison) -> float:
    return abs(comparison.value) or 1.0


def catalog_of(stack: Stack) -> search.Catalog:
    rules = {r.record: (r.text, dict(r.labels)) for r in stack.recording_rules()}
    return search.Catalog(tuple(stack.metrics), rules, stack.name)


def fires_value(comparison: Comparison, attempt: int, share: float = CROSSED_SHARE) -> float:
    """The value a fires case aims at; each attempt a little further past, off any simple fraction."""
    if comparison.op == "==":
        return comparison.value
    distance = scale(comparison) * (share + 0.0371 * attempt)
    if COUNTS.search(comparison.signal):  # a count dips by one as the window slides over the flaps: aim 2 past
        distance = max(distance, 2.0 + attempt)
    return comparison.value - distance if comparison.op in ("<", "<=") else comparison.value + distance


def healthy_target(comparison: Comparison) -> float:
    level, op = comparison.value, comparison.op
    if op == "!=":
        return level
    distance = scale(comparison) * HEALTHY_SHARE
    return level + distance if op in ("<", "<=", "==") else level - distance


def guarded(alert):
    """The alert's own driver; whatever it raises (even sys.exit) is a definition error at the alert."""

    def drive(value):
        try:
            inputs = alert.driver(value)
        except DefinitionError:
            raise
        except (Exception, SystemExit) as exc:  # user code: report it at the alert, never a traceback
            raise DefinitionError(
                f"alert {alert.name}: its driver raised {type(exc).__name__}: {exc}"[:500],
                alert.origin,
                "fix the driver: it maps a signal value to {series: CounterRate(...) | GaugeValue(...)}",
            ) from None
        if not isinstance(inputs, dict):
            raise DefinitionError(
                f"alert {alert.name}: its driver returned {type(inputs).__name__}, not a dict",
                alert.origin,
                "return {series selector: CounterRate(...) | GaugeValue(...)}",
            )
        return inputs

    return drive


class GivenDriver:
    """A driver function, from the definitions or a first guess: value -> {series: shape}."""

    def __init__(self, comparison: Comparison, drive, metric: Metric | None = None, lowest=None, band=None):
        self.comparison, self.drive, self.metric, self.lowest = comparison, drive, metric, lowest
        self.band = band  # (low, high) of a two-sided condition: healthy is half way between
        self.healthy_value = self._healthy()
        self.lead_value: float | None = None  # healthy but near the threshold: a fires case's lead (see lead())
        self.beyond: float | None = None  # the nearest farther threshold on the same gauge (see _short_of)

    def _healthy(self) -> float:
        if self.band is not None:
            return float(f"{(self.band[0] + self.band[1]) / 2:.12g}")
        value = healthy_target(self.comparison)
        level = self.comparison.value
        if self.metric is not None:
            if self.metric.max is not None and value > self.metric.max:
                value = (level + self.metric.max) / 2
            if self.metric.min is not None and value < self.metric.min:
                value = (level + self.metric.min) / 2
        if self.lowest is not None and value < self.lowest < level:
            value = (self.lowest + level) / 2
        return float(f"{value:.12g}")

    def healthy(self) -> dict:
        return self.drive(self.healthy_value)

    def lead(self) -> dict | None:
        """Inputs with the driven series healthy but near the threshold, or None: what a fires case holds before
        its switch, so a signal that averages over a window crosses at the first crossed sample or so, not
        once most of its window is past the threshold (each minute saved is a step of every rule; issue 14)."""
        if self.lead_value is None:
            return None
        try:
            return self.drive(self.lead_value)
        except ValueError:  # a value the driver cannot give: the healthy lead then
            return None

    def fires(self, attempt: int) -> dict:
        histogram = self.metric is not None and self.metric.type is MetricType.HISTOGRAM
        value = fires_value(self.comparison, attempt, HISTOGRAM_CROSSED_SHARE if histogram else CROSSED_SHARE)
        if self.beyond is not None:
            value = _short_of(self.comparison, self.beyond, value, attempt)
        if self.metric is not None and self.metric.min is not None:
            value = max(value, self.metric.min)
        if self.metric is not None and self.metric.max is not None:
            value = min(value, self.metric.max)
        if self.lowest is not None and self.lowest < self.comparison.value:
            value = max(value, (self.lowest + self.comparison.value) / 2)
        value = float(f"{value:.12g}")
        return self.drive(value, FIRES_TRAFFIC) if histogram else self.drive(value)

    def safe(self) -> tuple[dict, str]:
        level, op = self.comparison.value, self.comparison.op
        # A gauge can sit exactly on the threshold: that catches `<` written as `<=`.
        exact = self.metric is not None and self.metric.type is MetricType.GAUGE
        if op == "!=" or (exact and op in ("<", ">")):
            return self.drive(level), ON_BOUNDARY
        nudge = scale(self.comparison) * INSIDE_SHARE
        if op == "==":
            return self.drive(float(f"{level + nudge:.12g}")), JUST_OFF
        value = level + nudge if op in ("<", "<=") else level - nudge
        return self.drive(float(f"{value:.12g}")), JUST_INSIDE


def answer(driver, state: str, under: dict | None = None) -> dict:
    """The driver's inputs for a state ("healthy", "fires", "safe"), on top of ``under`` (other inputs)."""
    if isinstance(driver, SearchDriver):
        return driver.answer(state, under)
    own = driver.healthy() if state == "healthy" else driver.fires(0) if state == "fires" else driver.safe()[0]
    return {**(under or {}), **own}


class SearchDriver:
    """Inputs found by the search: the healthy setting, then the driving knob moved to each value."""

    def __init__(self, comparison: Comparison, catalog: search.Catalog, interval: float, band=None):
        self.comparison, self.band = comparison, band
        self.search = search.SignalSearch(catalog, comparison.signal, interval)
        self.base = self._healthy_setting()
        self.knob, self.output = self._driving_knob()

    # --- goals ---------------------------------------------------------------------------------
    def _past(self, values, margin) -> bool:
        level, m = self.comparison.value, scale(self.comparison) * margin
        return all(self.comparison.holds(v) and abs(v - level) >= m for v in values)

    def _clear(self, values, margin) -> bool:
        level, m = self.comparison.value, scale(self.comparison) * margin
        op = self.comparison.op
        return all(not self.comparison.holds(v) and (op in ("==", "!=") or abs(v - level) >= m) for v in values)

    def _fires_goal(self, attempt: int) -> search.Goal:
        if self.comparison.op == "==":
            return search.Goal(self.comparison.value, lambda vs: all(v == self.comparison.value for v in vs))
        target = fires_value(self.comparison, attempt)
        near = abs(target - self.comparison.value) / 2
        return search.Goal(
            target,
            lambda vs: self._past(vs, CROSSED_SHARE / 2) and all(abs(v - target) <= near for v in vs),
            lambda vs: self._past(vs, MARGIN),
        )

    def _healthy_goal(self) -> search.Goal:
        if self.band is not None:
            low, high = self.band
            quarter = (high - low) / 4
            return search.Goal(
                (low + high) / 2,
                lambda vs: all(low + quarter <= v <= high - quarter for v in vs),
                lambda vs: all(low < v < high for v in vs),
                every=True,
            )
        return search.Goal(
            healthy_target(self.comparison),
            lambda vs: self._clear(vs, HEALTHY_SHARE / 2),
            lambda vs: self._clear(vs, 0.0),
            every=True,
        )

    # --- setting up ------------------------------------------------------------------------------
    def _healthy_setting(self) -> search.Setting:
        goal = self._healthy_goal()
        start = self.search.populated()
        measured = self.search.measure(start)
        if measured and goal.accept([v for vs in measured.values() for v in vs]):
            return start
        for knob in self.search.knobs:
            moved = self.search.moved(knob, start)
            if not moved or (measured and not set(measured) <= moved):
                continue
            hit = self.search.solve(knob, start, goal)
            if hit is not None:
                return hit[0]
        raise search.SearchFailed(
            f"no input puts every series of `{self.comparison.signal}` on the safe side of "
            f"{self.comparison.text}: tried {self.search.describe_tried()}"
        )

    def _driving_knob(self):
        outputs = set(self.search.measure(self.base) or {})
        candidates = []
        for index, knob in enumerate(self.search.knobs):
            moved = self.search.moved(knob, self.base) & outputs
            if moved:
                candidates.append((len(moved), index, knob, min(moved)))
        self.alternatives = []  # other knobs moving as few outputs, for a safe side exactly on the boundary
        for moved, _, knob, output in sorted(candidates, key=lambda c: c[:2]):
            self.alternatives = [(k, o) for m, _, k, o in sorted(candidates, key=lambda c: c[:2]) if m == moved]
            self.knob, self.output = knob, output
            try:  # the driving knob must reach both sides of the threshold
                self.fires(0)
                self.safe()
            except search.SearchFailed:
                continue
            return knob, output
        raise search.SearchFailed(
            f"no input puts `{self.comparison.signal}` {self.comparison.text}: tried {self.search.describe_tried()}"
        )

    # --- the driver's answers ----------------------------------------------------------------------
    def answer(self, state: str, under: dict | None = None) -> dict:
        """Inputs for a state on top of other inputs (which may set some of the same series)."""
        self.search.set_under(under)
        try:
            if state == "healthy":
                if under and self.satisfied(state, self.search.inputs(self.base)):
                    return self.search.inputs(self.base)
                if under:
                    return self._inputs(self._healthy_goal(), f"no input keeps `{self.comparison.signal}` healthy")
                return self.healthy()
            return self.fires(0) if state == "fires" else self.safe()[0]
        finally:
            self.search.set_under(None)

    def satisfied(self, state: str, inputs: dict) -> bool:
        """Whether these inputs put the signal where the state needs it (every output for healthy)."""
        measured = self.search.measure_inputs(inputs)
        if not measured:
            return False
        if state == "healthy":
            return self._healthy_goal().allow([v for vs in measured.values() for v in vs])
        values = measured.get(self.output)
        if values is None:
            return False
        if state == "fires":
            return self._fires_goal(0).allow(values)
        return all(not self.comparison.holds(v) for v in values)

    def _inputs(self, goal: search.Goal, failure: str) -> dict:
        hit = self.search.solve(self.knob, self.base, goal, self.output)
        if hit is None:
            raise search.SearchFailed(f"{failure}: tried {self.search.describe_tried()}")
        return self.search.inputs(hit[0])

    def healthy(self) -> dict:
        return self.search.inputs(self.base)

    def fires(self, attempt: int) -> dict:
        return self._inputs(
            self._fires_goal(attempt), f"no input puts `{self.comparison.signal}` {self.comparison.text}"
        )

    def safe(self) -> tuple[dict, str]:
        level, op = self.comparison.value, self.comparison.op
        if op == "!=":
            goal = search.Goal(level, lambda vs: all(v == level for v in vs))
            return self._inputs(goal, f"no input puts `{self.comparison.signal}` exactly at {level:g}"), ON_BOUNDARY
        if op in ("<", ">"):
            # exactly on it at every evaluation phase, so a comparator written with `=` would fire
            goal = search.Goal(level, lambda vs: all(v == level for v in vs))
            for knob, output in [(self.knob, self.output)] + [a for a in self.alternatives if a[0] is not self.knob][
                :2
            ]:
                hit = self.search.solve(knob, self.base, goal, output)
                if hit is not None:
                    return self.search.inputs(hit[0]), ON_BOUNDARY
        nudge = scale(self.comparison) * INSIDE_SHARE
        if op == "==":
            goal = search.Goal(
                level + nudge / 20,
                lambda vs: all(level < v <= level + nudge for v in vs),
                # else the nearest value above it the inputs reach: a counter read raw (`x_total == 0`)
                # starts at an hour of its rate, so its smallest non-zero value may be past the nudge
                lambda vs: all(v > level and math.isfinite(v) for v in vs),
            )
            return self._inputs(goal, f"no input puts `{self.comparison.signal}` just off {level:g}"), JUST_OFF
        toward = nudge if op in ("<", "<=") else -nudge
        goal = search.Goal(
            level + toward,
            lambda vs: all(not self.comparison.holds(v) and abs(v - level) <= 2.5 * nudge for v in vs),
        )
        failure = f"no input puts `{self.comparison.signal}` just inside {self.comparison.text}"
        return self._inputs(goal, failure), JUST_INSIDE


def first_guess(comparison: Comparison, stack: Stack, band=None):
    """A GivenDriver for a signal over one gauge or one histogram's quantile, else None."""
    metrics, quantiles = raw_dependencies(comparison.signal, stack)
    by_name = {m.name: m for m in stack.metrics}
    if len(metrics) != 1:
        return None
    metric = by_name[next(iter(metrics))]
    if metric.type is MetricType.GAUGE:
        driver = GivenDriver(comparison, None, metric, band=band)
        alike = _compared_alike(driver, stack, None)
        driver.healthy_value = _quietest(driver, alike)
        driver.lead_value = _nearest_quiet(driver, alike)
        driver.beyond = _nearest_beyond(driver, alike)
        driver.drive = _gauge_driver(metric, stack, driver.healthy_value)
        return driver
    q = _quantile(quantiles)
    if metric.type is MetricType.HISTOGRAM and q is not None:
        lowest = q * metric.buckets[0]  # interpolating in the lowest bucket, the quantile never reports less
        driver = GivenDriver(comparison, None, metric, lowest, band)
        driver.healthy_value = _quietest(driver, _compared_alike(driver, stack, q))
        driver.drive = _histogram_driver(metric, stack, q, driver.healthy_value)
        return driver
    return None


@per_owner(0)
def _compared(stack: Stack) -> list[tuple[Comparison, str, float | None]]:
    """(comparison, the one metric it reads, its quantile) for every single-comparison alert of the stack
    without a driver of its own."""
    found = []
    for alert in stack.alerts():
        if alert.driver is not None or not isinstance(alert.condition, Condition):
            continue
        for comparison in alert.condition.comparisons():
            metrics, quantiles = raw_dependencies(comparison.signal, stack)
            if len(metrics) == 1:
                found.append((comparison, next(iter(metrics)), _quantile(quantiles)))
    return found


def _quantile(quantiles: list) -> float | None:
    if len(quantiles) == 1 and isinstance(quantiles[0].args[0], pp.NumberLiteral):
        return float(quantiles[0].args[0].val)
    return None


def _quietest(driver: GivenDriver, alike: list[Comparison] | None) -> float:
    """The healthy value that is healthy for every other alert comparing the same gauge (or the same quantile of
    the same histogram) the same way: a critical alert's cases then do not keep its warning sibling pending or
    firing the whole time, which is what costs promtool most (it expands every active alert's annotations at
    every step). The farthest of their own healthy values from the thresholds, on this comparison's side.
    ``alike``: _compared_alike's."""
    if alike is None:
        return driver.healthy_value
    values = [driver.healthy_value]
    values += [GivenDriver(other, None, driver.metric, driver.lowest).healthy_value for other in alike]
    return min(values) if _upward(driver) else max(values)


def _nearest_quiet(driver: GivenDriver, alike: list[Comparison] | None) -> float | None:
    """The gauge value nearest this comparison's threshold that is still a clear share (INSIDE_SHARE of its
    scale) inside every threshold compared the same way on the same gauge: quiet for the siblings too, like
    _quietest. None where there is no such side (a band, ``==``, ``!=``) or it is no nearer than the healthy
    value, or the metric's range does not reach it."""
    if alike is None:
        return None
    upward = _upward(driver)
    insides = [c.value - scale(c) * INSIDE_SHARE if upward else c.value + scale(c) * INSIDE_SHARE for c in alike]
    value = float(f"{(min(insides) if upward else max(insides)):.12g}")
    metric = driver.metric
    if (upward and value <= driver.healthy_value) or (not upward and value >= driver.healthy_value):
        return None
    if (metric.min is not None and value < metric.min) or (metric.max is not None and value > metric.max):
        return None
    return value


def _nearest_beyond(driver: GivenDriver, alike: list[Comparison] | None) -> float | None:
    """The nearest threshold past this one among the comparisons of the same gauge the same way (a warning's
    critical sibling), or None."""
    own = driver.comparison.value
    farther = [c.value for c in alike or () if (c.value > own if _upward(driver) else c.value < own)]
    return (min(farther) if _upward(driver) else max(farther)) if farther else None


def _short_of(comparison: Comparison, beyond: float, value: float, attempt: int) -> float:
    """A fires value short of the next threshold out (a share of the way there, each attempt a little further),
    where the usual one lies past it: the sibling alert then stays quiet through the case (promtool expands an
    active alert's annotations at every step), and a threshold moved out by a tenth tends to stop firing."""
    out = 1.0 if beyond > comparison.value else -1.0  # the way past the threshold
    inside = beyond - out * (abs(beyond) or 1.0) * INSIDE_SHARE  # quiet for the sibling, as in _nearest_quiet
    if out * (inside - value) > 0:
        return value  # short of it already
    short = comparison.value + (beyond - comparison.value) * (0.45 + 0.0371 * attempt)
    return short if out * (inside - short) > 0 else value


def _compared_alike(driver: GivenDriver, stack: Stack, q: float | None) -> list[Comparison] | None:
    """The driver's comparison and every alert's comparing the same gauge (or quantile ``q`` of the same
    histogram) the same way; None where a comparison has no side (a band, ``==``, ``!=``)."""
    own = driver.comparison
    if driver.band is not None or own.op not in ("<", "<=", ">", ">="):
        return None
    same_way = (">", ">=") if _upward(driver) else ("<", "<=")
    return [own] + [
        other
        for other, metric_name, quantile in _compared(stack)
        if other.op in same_way and metric_name == driver.metric.name and quantile == q
    ]


def _upward(driver: GivenDriver) -> bool:
    return driver.comparison.op in (">", ">=")


@per_owner(1)
def raw_dependencies(expr: str, stack: Stack, depth: int = 0) -> tuple[frozenset[str], tuple]:
    """Catalog metric names an expression reads (through recording rules), and its histogram_quantile calls."""
    return _raw_dependencies(expr, stack, depth)


def _raw_dependencies(expr: str, stack: Stack, depth: int) -> tuple[frozenset[str], tuple]:
    catalog = stack.series_catalog()
    metrics: set[str] = set()
    quantiles: list = []

    def visit(node):
        if isinstance(node, pp.VectorSelector):
            entry = catalog.get(selector_name(node) or "")
            if entry is None:
                return
            if hasattr(entry, "label_names"):
                metrics.add(entry.name)
            elif depth < 20:
                inner, inner_q = raw_dependencies(entry.text, stack, depth + 1)
                metrics.update(inner)
                quantiles.extend(inner_q)
        elif isinstance(node, pp.Call) and node.func.name == "histogram_quantile":
            quantiles.append(node)

    pp.walk(parse(expr), visit)
    return frozenset(metrics), tuple(quantiles)


def _gauge_driver(metric, stack, healthy: float):
    combos = synth.label_combinations(metric, stack)

    def drive(value):
        return {
            synth.series_key(metric.name, labels): GaugeValue(value if i == 0 else healthy)
            for i, labels in enumerate(combos)
        }

    return drive


def _histogram_driver(metric, stack, q, healthy):
    combos = synth.label_combinations(metric, stack)

    def drive(value, traffic=1.0):  # traffic: times the usual observations, on the driven series
        out = {}
        for i, labels in enumerate(combos):
            driven = i == 0
            total = synth.OBSERVED * (traffic if driven else 1.0)
            rates = synth.quantile_rates(metric.buckets, q, value if driven else healthy, total)  # ValueError: no guess
            out.update(synth.histogram_inputs(metric, labels, rates))
        return out

    return drive
