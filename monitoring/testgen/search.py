"""Automatic test inputs: input series that put a signal where a generated case needs it, found with our
evaluator as the oracle. It needs only a catalog (metrics + recording rules) and the signal's expression.

- Every input series the signal reads (through recording rules) is held at a default: gauges at a level,
  counters at a rate, histograms with their observations around one latency.
- A *knob* moves one family of those series with one parameter: every series of a metric, or the ones that
  share some label values (``status="error"``, ``model_name="a", status="error"``). Gauges move their level,
  counters their rate (never below 0: counters do not go backwards), histograms the latency their buckets
  are shaped around (for the quantile the signal asks for).
- The healthy setting puts every output series of the signal on the safe side with a knob that moves them
  all; the driving knob is the one that moves the fewest output series (ideally one) from there.
- A value is reached by a first guess (the value itself: a gauge read as it is, a quantile), then secant
  steps, then a scan of the knob's range for a bracket and bisection in it. The signal is read at each
  evaluation phase of a steady state (an evaluation time that falls on a sample and one between), so a
  value counts only if it holds at every step.

When no knob reaches what is wanted, the error says which series were tried and the range of signal reached.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import promql_parser as pp

from monitoring.model import Metric, MetricType
from monitoring.model.synthetic import Absence, CounterRate, CounterReset, Flapping, GaugeValue, Ramp
from monitoring.promql.evaluator import Evaluator, Unsupported
from monitoring.promql.parse import parse, selector_name
from monitoring.testgen import synth

RATE_GRID = 65536.0  # counter rates: multiples of 1/65536 per second (exact sample values, periodic steps)
MAX_RATE = 2.0**20
MAX_COUNTER_RATE = (
    2.0**40
)  # counter rates and gauge slopes: bytes/s thresholds reach 1e9 and more; above MAX_RATE the grid coarsens (snap)
GAUGE_SPAN = 2.0**40  # a gauge without declared bounds is searched in [-2^40, 2^40]
MAX_KNOBS = 64
MAX_COPIES = 6  # "copies" knobs: up to this many targets reporting the metric (for count(...) signals)
MAX_MEASURED = 4096  # settings remembered per signal (each a few output values)
# Input samples one signal's search may evaluate, over all the settings it measures (series x minutes each):
# a deterministic bound on its work. An alert over recorded burn rates of kube-prometheus (hundreds of histogram
# series, [1h] to [3d] windows) took minutes per alert; the largest search of an alert that gets tests across
# the CI subset and kubernetes-mixin reads 218,820 (govuk's search_api_v2), the next 114,408.
MAX_SEARCH_SAMPLES = 8_000_000
# Settings tried to make an empty signal return something: across the corpus a signal that can be populated
# is by its first 164 settings, one that cannot (`x and predict_linear(...) < 0 unless y == 1`: no single
# knob both makes the prediction negative and lifts the filter) went through every knob at every grid point,
# 4,000 settings and minutes of a file's budget.
MAX_POPULATING = 1024
MAX_SERIES_SAMPLES = 1 << 20  # samples of built input series kept per signal (a few tens of MB)


class SearchFailed(Exception):
    """No input the search tried gives what a case needs; the message says what was tried and reached."""


class SearchOverBudget(Exception):
    """The search read MAX_SEARCH_SAMPLES input samples without settling: not a statement about the signal
    (so not a SearchFailed, which callers take to mean "no input does it")."""


@dataclass(frozen=True)
class Catalog:
    """What the search knows: the metrics, the recording rules ({record: (expr, labels)}) and the job label."""

    metrics: tuple[Metric, ...]
    rules: dict
    job: str

    def __hash__(self):
        return id(self)


@dataclass(frozen=True, eq=False)
class Knob:
    """One parameter moving a family of input series: the metric's series whose labels include ``fixed``."""

    metric: Metric
    fixed: tuple[tuple[str, str], ...]
    combos: tuple[tuple[tuple[str, str], ...], ...]  # label sets of the series it moves
    quantile: float = 0.5  # histograms: the quantile the buckets are shaped for
    # gauges: "level" (constant), "slope" (a ramp, for deriv/predict_linear/delta), "age" (a Unix-time gauge
    # p seconds behind the clock, for time() - x), "flaps" (switching every p samples, for changes());
    # counters: "rate", "resets" (restarting every p samples, for resets()); histograms: "latency", "traffic"
    # (observations per second at the default latency, for signals reading `_count` or `_sum`); gauges and
    # counters: "copies" (p targets report the series, each with its own instance and placeholder values, for
    # `count(x) > 1`, `count(count by (version) (x)) > 1`)
    kind: str = ""
    together: tuple = ()  # knobs of other counters moved with this one (`rate(a[5m]) + rate(b[5m]) > 0`)

    def __post_init__(self):
        if not self.kind:
            kinds = {MetricType.GAUGE: "level", MetricType.COUNTER: "rate", MetricType.HISTOGRAM: "latency"}
            object.__setattr__(self, "kind", kinds[self.metric.type])

    def describe(self) -> str:
        if self.together:
            return " and ".join(k.metric.name for k in (self, *self.together)) + f" {self.kind}"
        inner = ",".join(f'{k}="{v}"' for k, v in self.fixed)
        suffix = "_bucket" if self.metric.type is MetricType.HISTOGRAM else ""
        return (
            f"{self.metric.name}{suffix}{{{inner}}} {self.kind}" if inner else f"{self.metric.name}{suffix} {self.kind}"
        )

    def domain(self) -> tuple[float, float]:
        if self.kind in ("flaps", "resets"):
            return 1.0, 240.0
        if self.kind == "copies":  # 0: no target reports it
            return 0.0, float(MAX_COPIES)
        if self.kind == "age":  # negative: a time ahead of the clock (an expiry read as `x - time()`)
            return -MAX_RATE * 1024, MAX_RATE * 1024
        if self.kind == "slope":
            return -MAX_COUNTER_RATE, MAX_COUNTER_RATE
        if self.kind == "traffic":
            return 0.0, MAX_RATE
        if self.metric.type is MetricType.COUNTER:
            return 0.0, MAX_COUNTER_RATE
        if self.metric.type is MetricType.HISTOGRAM:
            return self.metric.buckets[0] * self.quantile, self.metric.buckets[-1]
        low = self.metric.min if self.metric.min is not None else -GAUGE_SPAN
        high = self.metric.max if self.metric.max is not None else GAUGE_SPAN
        return float(low), float(high)

    def snap(self, p: float) -> float:
        low, high = self.domain()
        p = min(max(p, low), high)
        if self.kind in ("flaps", "resets", "copies"):
            return float(round(p))
        if (self.metric.type is MetricType.COUNTER or self.kind == "slope") and abs(p) > MAX_RATE:
            # 36 significant bits: hours of samples at this rate stay exact integers of the step (below 2^53)
            step = 2.0 ** (math.floor(math.log2(abs(p))) - 36)
            return round(p / step) * step
        if self.metric.type is MetricType.COUNTER or self.kind in ("slope", "age", "traffic"):
            return round(p * RATE_GRID) / RATE_GRID
        if self.metric.type is MetricType.HISTOGRAM:
            return float(f"{p:.12g}")
        return p

    def default(self) -> float:
        if self.kind == "copies":
            return 1.0
        if self.kind in ("flaps", "resets"):
            return 240.0
        if self.kind == "slope":
            return 0.0
        if self.kind == "age":
            return 60.0
        if self.kind == "traffic":
            return 8.0
        if self.metric.type is MetricType.COUNTER:
            return 1.0
        if self.metric.type is MetricType.HISTOGRAM:
            return self.metric.buckets[len(self.metric.buckets) // 2]
        low, high = self.metric.min, self.metric.max
        if low is not None and high is not None:
            return (low + high) / 2
        return 1.0 if low is None or low < 1 else float(low) + 1

    @functools.cached_property
    def _keys(self) -> tuple[str, ...]:
        """The series key of each combo (a search builds a knob's inputs for every setting it measures)."""
        return tuple(synth.series_key(self.metric.name, dict(combo)) for combo in self.combos)

    def inputs(self, p: float) -> dict | None:
        """{series key: shape} of its series at parameter p (None where p cannot be built)."""
        out: dict = {}
        for other in self.together:
            out.update(other.inputs(p) or {})
        if self.kind == "copies":
            return self._copies(int(p))
        for combo, key in zip(self.combos, self._keys):
            if self.kind == "flaps":
                level = Knob(self.metric, (), ()).default()
                out[key] = Flapping(level, level + 1, int(p))
            elif self.kind == "resets":
                out[key] = CounterReset(1.0, int(p))
            elif self.kind == "slope":
                out[key] = Ramp(p, Knob(self.metric, (), ()).default())
            elif self.kind == "age":
                out[key] = Ramp(1.0, -p, anchored=True)
            elif self.metric.type is MetricType.GAUGE:
                out[key] = GaugeValue(p)
            elif self.metric.type is MetricType.COUNTER:
                out[key] = CounterRate(p)
            else:
                labels = dict(combo)
                latency, total = (
                    (Knob(self.metric, (), (), self.quantile).default(), p) if self.kind == "traffic" else (p, 8.0)
                )
                try:
                    rates = synth.quantile_rates(self.metric.buckets, self.quantile, latency, total)
                except ValueError:
                    return None
                out.update(synth.histogram_inputs(self.metric, labels, rates))
        return out

    def _copies(self, count: int) -> dict:
        """The metric's series from ``count`` targets; the other copies absent (a phase lists every series)."""
        plain = Knob(self.metric, (), ())
        out: dict = {}
        for k in range(MAX_COPIES):
            for combo in self.combos:
                labels = dict(combo)
                if k:
                    labels = {n: _copy_value(n, v, k) for n, v in labels.items()}
                key = synth.series_key(self.metric.name, labels)
                if k >= count:
                    out[key] = Absence()
                elif self.metric.type is MetricType.COUNTER:
                    out[key] = CounterRate(plain.default())
                else:
                    out[key] = GaugeValue(plain.default())
        return out


def _copy_value(name: str, value: str, k: int) -> str:
    """The value of a label on the k-th extra target: its own instance, its own placeholder values."""
    if name == "instance":
        return f"{value}-{k}"
    if value == f"{name}-1" and name != "job":  # the same job, scraped from several targets
        return f"{name}-{k + 1}"
    return value


@dataclass(frozen=True)
class Goal:
    """What a case needs of the signal: ``accept(values)`` over the driven output's values at every
    steady evaluation phase (or over every output's, for ``every``), aiming at ``target``."""

    target: float
    accept: object  # (list of values) -> bool: good enough, stop searching
    allow: object = None  # (list of values) -> bool: acceptable when nothing better is found (default: accept)
    every: bool = False  # the goal is about every output series (the healthy setting)
    what: str = ""

    def __post_init__(self):
        if self.allow is None:
            object.__setattr__(self, "allow", self.accept)


Setting = tuple  # ((knob, p), ...): applied in order, later knobs override earlier ones


class SignalSearch:
    """Inputs for one signal: knobs, the healthy setting, the driving knob, solving for values."""

    def __init__(self, catalog: Catalog, signal: str, interval: float):
        self.catalog, self.signal, self.interval = catalog, signal, interval
        self.metrics, self.quantiles, window, self.values = _reads(catalog, signal)
        if not self.metrics:
            raise SearchFailed(f"`{signal}` reads no metric of the catalog, so no input can move it")
        self.knobs = _knobs(catalog, self.metrics, self.quantiles, self.values)
        step = max(interval, 1.0)
        phases = max(1, math.lcm(int(step), int(synth.INTERVAL)) // int(step)) if float(step).is_integer() else 1
        self.minutes = math.ceil((window + phases * step) / synth.INTERVAL) + 2
        end = self.minutes * synth.INTERVAL
        self.times = [end - k * step for k in range(phases)]
        first: dict = {}  # one default per metric: its first whole-metric knob (the kinds' order says which)
        for knob in self.knobs:
            if not knob.fixed:
                first.setdefault(knob.metric.name, knob)
        self.defaults = tuple((k, k.default()) for k in first.values())
        self._default_inputs: dict | None = None
        self._measured: dict = {}
        self._series: dict = {}  # (series key, shape) -> Series over the search's span
        self._series_samples = 0
        self.work = 0  # input samples evaluated so far (MAX_SEARCH_SAMPLES)
        self.set_under(None)
        self.tried: dict[str, list[float]] = {}  # knob description -> signal values reached

    # --- measuring -------------------------------------------------------------------------------
    def inputs(self, setting: Setting) -> dict:
        """Input shapes: the defaults, then the inputs set underneath (``under``), then the setting's knobs."""
        if self._default_inputs is None:  # the defaults do not change: built once
            self._default_inputs = {}
            for knob, p in self.defaults:
                self._default_inputs.update(knob.inputs(p) or {})
        out = dict(self._default_inputs)
        out.update(self.under)
        for knob, p in setting:
            built = knob.inputs(p)
            if built is None:
                return {}
            out.update(built)
        return out

    def set_under(self, under: dict | None) -> None:
        """Solve on top of other inputs (the other side of a compound condition, which may share series)."""
        self.under = dict(under or {})
        self._under_key = tuple(sorted(self.under.items(), key=lambda item: item[0]))

    def measure_inputs(self, inputs: dict) -> dict:
        """{output labels: [value at each steady evaluation phase]} of the signal over these inputs."""
        cost = len(inputs) * (self.minutes + 1)
        # a search tries dozens of settings at least: one setting over an eighth of the budget cannot fit
        if self.work + cost > MAX_SEARCH_SAMPLES or cost > MAX_SEARCH_SAMPLES // 8:
            raise SearchOverBudget(
                f"the input search for `{self.signal}` stops at {MAX_SEARCH_SAMPLES:,} input samples read: "
                f"{len(inputs)} series over {self.minutes} minutes per setting, {self.work:,} samples read so far"
            )
        self.work += cost
        evaluator = Evaluator([self._built(key, shape) for key, shape in inputs.items()], self.catalog.rules)
        result: dict = {}
        for t in self.times:
            for labels, value in evaluator.instant(self.signal, t):
                shown = tuple(item for item in labels if item[0] != "__name__")
                result.setdefault(shown, []).append(value)
        return {k: v for k, v in result.items() if len(v) == len(self.times)}

    def _built(self, key: str, shape):
        """One input series over the search's span. In a one-phase timeline each series expands on its own, so
        it is a function of its key and shape alone: built once, not again for every setting measured (a search
        over a [6h] window measures thousands of settings that each move a few of dozens of series)."""
        series = self._series.get((key, shape))
        if series is None:
            (series,) = synth.Timeline().add(self.minutes, {key: shape}).series()
            if self._series_samples >= MAX_SERIES_SAMPLES:
                self._series.clear()
                self._series_samples = 0
            self._series[key, shape] = series
            self._series_samples += len(series.samples)
        return series

    def measure(self, setting: Setting) -> dict | None:
        """{output labels: [value at each steady evaluation phase]} (None when the inputs cannot be built)."""
        key = (self._under_key, tuple((id(k), p) for k, p in setting))
        if key in self._measured:
            return self._measured[key]
        inputs = self.inputs(setting)
        result = self.measure_inputs(inputs) if inputs else None
        if len(self._measured) >= MAX_MEASURED:  # bounded: a long search must not grow without limit
            self._measured.clear()
        self._measured[key] = result
        return result

    def populated(self) -> Setting:
        """A setting where the signal returns something: every input at its default, else one knob moved (a
        filter such as `and rate(x[5m]) > 1` may need it), at most MAX_POPULATING settings tried."""
        if self.measure(()):
            return ()
        settings = ((knob, knob.snap(p)) for knob in self.knobs for p in grid(knob))
        tried = set()
        for setting in itertools.islice(settings, MAX_POPULATING):
            tried.add(setting[0].metric.name)
            if self.measure((setting,)):
                return (setting,)
        names = ", ".join(sorted(tried))
        if next(settings, None) is None:
            what = f"every series of {names} at each value of its range"
        else:
            what = f"{MAX_POPULATING} settings, one knob of {names} at a time across its range; the search stops there"
        raise SearchFailed(f"`{self.signal}` returns no series for any input tried ({what})")

    # --- solving ---------------------------------------------------------------------------------
    def solve(self, knob: Knob, base: Setting, goal: Goal, output=None, guess: float | None = None):
        """(setting, values) with ``base`` plus the knob at a p meeting the goal, or None.

        A p whose values ``goal.accept`` is taken at once; failing that, the ``goal.allow``-ed p closest to the
        target (a target out of reach: a CPU at 108%, a counter that would have to go backwards).
        """
        allowed: list[tuple[float, float, list]] = []  # (distance to target, p, values)

        def f(p):
            p = knob.snap(p)
            measured = self.measure(tuple(base) + ((knob, p),))
            values = _goal_values(measured, goal, output) if measured else None
            if values is None:
                return p, None
            self.tried.setdefault(knob.describe(), []).extend(values)
            if goal.allow(values):
                allowed.append((abs(_mean(values) - goal.target), p, values))
            return p, values

        def done(p, values):
            return values is not None and goal.accept(values)

        def signed(values):
            return _mean(values) - goal.target

        def found(p, values):
            return tuple(base) + ((knob, p),), values

        low, high = knob.domain()
        start = guess if guess is not None else dict(base).get(knob, dict(self.defaults).get(knob, knob.default()))
        points = []
        for candidate in (start, start * 1.25 if start else min(1.0, high)):
            p, values = f(candidate)
            if done(p, values):
                return found(p, values)
            if values is not None and all(p != q for q, _ in points):
                points.append((p, signed(values)))
        for _ in range(8):  # secant steps from the guess
            if len(points) < 2:
                break
            (a, fa), (b, fb) = points[-2], points[-1]
            if fa == fb:
                break
            r, values = f(b - fb * (b - a) / (fb - fa) if math.isfinite(fb - fa) else b)
            if done(r, values):
                return found(r, values)
            if values is None or any(r == q for q, _ in points):
                break
            points.append((r, signed(values)))
        # Bracket the target: the points so far, then the knob's range scanned outwards from the guess; bisect
        # inside the first bracket found.
        known = dict(points)
        tried_brackets: set = set()
        for p in [None] + sorted(grid(knob), key=lambda g: abs(g - start)):
            if p is not None:
                q, values = f(p)
                if values is None or q in known:
                    continue
                known[q] = signed(values)
            ordered = sorted(known.items())
            for (a, fa), (b, fb) in zip(ordered, ordered[1:]):
                if (a, b) in tried_brackets or not (fa == 0 or (fa < 0) != (fb < 0)):
                    continue
                tried_brackets.add((a, b))
                hit = self._bisect(knob, f, signed, done, a, b, fa)
                if hit is not None:
                    return found(*hit)
                break  # the target lies in this bracket but the goal does not hold there: others would not help
            else:
                continue
            break
        if allowed:
            _, p, values = min(allowed, key=lambda item: item[0])
            return found(p, values)
        return None

    def _bisect(self, knob, f, signed, done, a, b, fa):
        for _ in range(60):
            mid = knob.snap((a + b) / 2)
            if mid in (a, b):
                break
            m, values = f(mid)
            if values is None:
                return None
            if done(m, values):
                return m, values
            fm = signed(values)
            if (fm < 0) == (fa < 0) and fm != 0:
                a, fa = m, fm
            else:
                b = m
        for p in (a, b):  # the bracket collapsed: a goal on one side of the target may hold at an end
            q, values = f(p)
            if values is not None and done(q, values):
                return q, values
        return None

    def moved(self, knob: Knob, base: Setting) -> set:
        """Output series whose value changes when the knob moves (on top of the base setting)."""
        current = dict(base).get(knob, dict(self.defaults).get(knob, knob.default()))
        seen = [
            self.measure(tuple(base) + ((knob, knob.snap(p)),)) or {} for p in [current, *_alternatives(knob, current)]
        ]
        labels = set().union(*seen)
        self.tried.setdefault(knob.describe(), []).extend(v for m in seen for vs in m.values() for v in vs)
        # NaN (0/0 when a knob empties a ratio) is no movement: a knob must change a finite value
        return {key for key in labels if len({tuple(m[key]) for m in seen if key in m and _finite(m[key])}) > 1}

    def describe_tried(self) -> str:
        parts = []
        for knob, values in self.tried.items():
            finite = [v for v in values if math.isfinite(v)]
            reached = f"signal from {min(finite):g} to {max(finite):g}" if finite else "no finite signal"
            parts.append(f"{knob}: {reached}")
        return "; ".join(parts) or "no input changed the signal"


def _finite(values) -> bool:
    return all(math.isfinite(v) for v in values)


def _mean(values) -> float:
    return sum(values) / len(values)


def _goal_values(measured: dict, goal: Goal, output):
    if goal.every:
        return [v for values in measured.values() for v in values] or None
    if output is None:
        output = min(measured, default=None)
    return measured.get(output)


def grid(knob: Knob) -> list[float]:
    """Points across the knob's range: between histogram buckets, or powers of two (and 0, and the bounds)."""
    low, high = knob.domain()
    if knob.kind == "copies":
        return [float(k) for k in range(MAX_COPIES + 1)]
    if knob.kind in ("flaps", "resets"):
        return [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 30.0, 60.0, 120.0, 240.0]
    if knob.metric.type is MetricType.HISTOGRAM and knob.kind == "latency":
        bounds = (0.0,) + knob.metric.buckets
        return sorted({low, high} | {(a + b) / 2 for a, b in zip(bounds, bounds[1:])} | set(knob.metric.buckets))
    top = 41 if knob.kind in ("rate", "slope") else 21
    powers = [2.0**k for k in range(-10, top)]
    grid = {low, high, 0.0} | set(powers) | {-p for p in powers}
    return sorted(p for p in grid if low <= p <= high)


def _alternatives(knob: Knob, current: float) -> list[float]:
    low, high = knob.domain()
    if knob.kind == "copies":
        return [2.0 if current < 2 else 1.0]
    if knob.kind in ("flaps", "resets"):
        return [1.0, 3.0]
    if knob.metric.type is MetricType.HISTOGRAM and knob.kind == "latency":
        buckets = knob.metric.buckets
        return [buckets[-1] if current < buckets[-1] / 2 else buckets[0]]
    candidates = [current * 2 + 1, current / 2 - 1 if current > 0 else current - 1]
    near = [min(max(c, low), high) for c in candidates if min(max(c, low), high) != current][:2] or [low]
    if knob.kind == "age":  # a signal in days (`round((x - time()) / 86400, 0.1)`) moves only weeks apart
        return near + [-(2.0**21), 2.0**21]
    return near


def metrics_read(catalog: Catalog, expr: str) -> list[Metric]:
    """The catalog metrics an expression reads, through the recording rules it reads."""
    return _reads(catalog, expr)[0]


def _reads(catalog: Catalog, signal: str):
    """(metrics read, histogram quantiles, longest range window in seconds, label values named by matchers)."""
    by_series = {name: m for m in catalog.metrics for name in m.series_names()}
    metrics: dict[str, Metric] = {}
    quantiles: list[float] = []
    windows = [0.0]
    values: dict[tuple[str, str], set[str]] = {}
    seen: set[str] = set()

    def visit(node):
        if isinstance(node, pp.MatrixSelector):
            windows.append(node.range.total_seconds() + _offset(node.vector_selector))
        elif isinstance(node, pp.VectorSelector) and _offset(node):
            windows.append(_offset(node))
        elif isinstance(node, pp.Call) and node.func.name == "histogram_quantile":
            first = node.args[0]
            if isinstance(first, pp.NumberLiteral):
                quantiles.append(float(first.val))
        elif isinstance(node, pp.Call) and node.func.name in _SLOPE_FUNCTIONS | {"time", "changes", "resets"}:
            values.setdefault(("", "functions"), set()).add(node.func.name)
        elif isinstance(node, pp.AggregateExpr) and str(node.op) in ("count", "count_values"):
            values.setdefault(("", "functions"), set()).add("count")
        if isinstance(node, pp.VectorSelector):
            name = selector_name(node) or ""
            if name in catalog.rules and name not in seen:
                seen.add(name)
                pp.walk(parse(catalog.rules[name][0]), visit)
            metric = by_series.get(name)
            if metric is not None:
                metrics[metric.name] = metric
                if metric.type is MetricType.HISTOGRAM and name != f"{metric.name}_bucket":
                    values.setdefault(("", "traffic"), set()).add(metric.name)
                for matcher in node.matchers.matchers:
                    if str(matcher.op).endswith("Equal") and not str(matcher.op).endswith("NotEqual"):
                        values.setdefault((metric.name, matcher.name), set()).add(matcher.value)

    pp.walk(parse(signal), visit)
    return list(metrics.values()), quantiles, max(windows), values


_SLOPE_FUNCTIONS = frozenset({"deriv", "predict_linear", "delta", "idelta"})


def _offset(selector) -> float:
    """A selector's `offset` in seconds, when the inputs can cover it (up to a day: MAX_OFFSET)."""
    offset = selector.offset.total_seconds() if getattr(selector, "offset", None) else 0.0
    return offset if 0 < offset <= 86400.0 else 0.0


def label_sets(catalog: Catalog, metric: Metric, named: dict) -> list[dict[str, str]]:
    """Every combination of the metric's known label values, plus values the expression's matchers name."""
    base = {"job": catalog.job, **synth.TARGET}
    for label in ("job", "instance"):
        chosen = sorted(named.get((metric.name, label), ()))
        if chosen:
            base[label] = chosen[0]
    options = []
    for label in metric.labels:
        known = list(label.values) + sorted(named.get((metric.name, label.name), set()) - set(label.values))
        options.append(known or [f"{label.name}-1"])
    return [{**base, **dict(zip(metric.label_names, combo))} for combo in itertools.product(*options)]


def _knobs(catalog: Catalog, metrics: list[Metric], quantiles: list[float], named: dict) -> list[Knob]:
    knobs: list[Knob] = []
    quantile = quantiles[0] if quantiles else 0.5
    whole_counters = []
    for metric in metrics:
        if metric.type is MetricType.SUMMARY:
            continue
        combos = [tuple(sorted(c.items())) for c in label_sets(catalog, metric, named)]
        names = [n for n in metric.label_names if len({dict(c)[n] for c in combos}) > 1]
        subsets = []
        for size in range(len(names) + 1):
            for chosen in itertools.combinations(names, size):
                for picked in itertools.product(*(sorted({dict(c)[n] for c in combos}) for n in chosen)):
                    subsets.append(tuple(zip(chosen, picked)))
        functions = named.get(("", "functions"), set())
        kinds = [""]
        if metric.type is MetricType.GAUGE and functions & _SLOPE_FUNCTIONS:
            kinds.append("slope")
        if metric.type is MetricType.GAUGE and "time" in functions:
            kinds.insert(0, "age")
        if metric.type is MetricType.GAUGE and "changes" in functions:
            kinds.append("flaps")
        if metric.type is MetricType.COUNTER and "resets" in functions:
            kinds.append("resets")
        if metric.type is MetricType.HISTOGRAM and metric.name in named.get(("", "traffic"), set()):
            kinds.append("traffic")
        if metric.type in (MetricType.GAUGE, MetricType.COUNTER) and "count" in functions:
            kinds.append("copies")
        for kind in kinds:
            for fixed in subsets[:MAX_KNOBS]:
                members = tuple(c for c in combos if all(dict(c)[k] == v for k, v in fixed))
                knobs.append(Knob(metric, fixed, members, quantile, kind))
                if not fixed and knobs[-1].kind == "rate":
                    whole_counters.append(knobs[-1])
    if len(whole_counters) > 1:  # last: a sum of several counters' rates is 0 only with all of them at 0
        first, *others = whole_counters
        knobs.append(Knob(first.metric, (), first.combos, quantile, "rate", tuple(others)))
    return knobs


def reading_error(signal: str, exc: Unsupported) -> str:
    return f"the evaluator cannot compute `{signal}`: {exc}"
