"""Input series for generated tests: built from the catalog, encoded in promtool's expanding notation."""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

from monitoring.model import Metric, MetricType, Stack
from monitoring.model.durations import parse_duration
from monitoring.model.metric import escape_label_value
from monitoring.model.synthetic import (
    GRID,
    Absence,
    CounterRate,
    CounterReset,
    Flapping,
    GaugeValue,
    Ramp,
    Stale,
    on_grid,
)
from monitoring.promql.evaluator import STALE_NAN, Evaluator, Series, labels_of

INTERVAL = 60.0  # seconds between input samples
TARGET = {"instance": "app:8080"}  # stands in for the scrape target labels


# The keys series_key wrote, read back by parse_key without the PromQL parser (a case's inputs are keyed by
# them and taken apart again many times), and series_key's own answers (drivers ask for the same keys at every
# try). Emptied now and then: an estate's services come one after another.
_WRITTEN: dict[str, tuple] = {}
_KEY_OF: dict[tuple, str] = {}
_WRITTEN_MAX = 50_000


def series_key(name: str, labels: dict[str, str]) -> str:
    asked = (name, *labels.items())
    key = _KEY_OF.get(asked)
    if key is None:
        items = tuple(sorted(labels.items()))
        inner = ",".join(f'{k}="{escape_label_value(v)}"' for k, v in items)
        key = f"{name}{{{inner}}}"
        if len(_KEY_OF) >= _WRITTEN_MAX:
            _KEY_OF.clear()
            _WRITTEN.clear()
        _KEY_OF[asked] = key
        _WRITTEN[key] = (name, items)
    return key


def parse_key(key: str) -> tuple[str, dict[str, str]]:
    name, labels = _WRITTEN.get(key) or _parsed_key(key)
    return name, dict(labels)  # a fresh dict: callers edit it


@lru_cache(maxsize=4096)  # an estate's services come one after another: bounded, not one entry per series
def _parsed_key(key: str) -> tuple[str, tuple]:
    from monitoring.promql.parse import parse

    selector = parse(key)
    return selector.name, tuple((m.name, m.value) for m in selector.matchers.matchers)


def format_le(bound: float) -> str:
    """`le` as Prometheus 3 normalises it: "0.1", "1.0", "+Inf"."""
    return "+Inf" if math.isinf(bound) else repr(float(bound))


def label_combinations(metric: Metric, stack: Stack) -> list[dict[str, str]]:
    """Every combination of the metric's known label values (a label without known values gets one)."""
    values = [label.values or (f"{label.name}-1",) for label in metric.labels]
    base = {"job": stack.name, **TARGET}
    return [{**base, **dict(zip(metric.label_names, combo))} for combo in itertools.product(*values)]


def healthy_inputs(stack: Stack) -> dict[str, object]:
    """A deterministic multi-series dataset for the whole catalog (recording-rule tests).

    Values are distinct per series and on a 1/64 grid, so every expected value is exact.
    """
    inputs: dict[str, object] = {}
    for metric in stack.metrics:
        combos = label_combinations(metric, stack)
        for index, labels in enumerate(combos):
            inputs.update(metric_inputs(metric, labels, index, len(combos)))
    return inputs


def metric_inputs(metric: Metric, labels: dict, index: int, count: int) -> dict[str, object]:
    if metric.type is MetricType.COUNTER:
        return {series_key(metric.name, labels): CounterRate(0.5 * (index + 1))}
    if metric.type is MetricType.GAUGE:
        return {series_key(metric.name, labels): GaugeValue(gauge_value(metric, index, count))}
    if metric.type is MetricType.HISTOGRAM:
        # Fewer observations in each higher bucket and none above the top one, so quantiles interpolate
        # inside buckets rather than clamp to the top bound.
        per_bucket = 0.25 * (index + 1)
        finite = len(metric.buckets)
        return histogram_inputs(metric, labels, [per_bucket * (finite - j) for j in range(finite)] + [0.0])
    # summary: count and sum as counters (quantile series are gauges the service computes)
    return {
        series_key(f"{metric.name}_count", labels): CounterRate(index + 1),
        series_key(f"{metric.name}_sum", labels): CounterRate(0.5 * (index + 1)),
    }


def gauge_value(metric: Metric, index: int, count: int) -> float:
    low = metric.min if metric.min is not None else 0.0
    high = metric.max if metric.max is not None else low + 8.0
    slots = 2 ** math.ceil(math.log2(count + 2))
    return on_grid(low + (high - low) * (index + 1) / slots)


def histogram_inputs(metric: Metric, labels: dict, rates: list[float]) -> dict[str, object]:
    """Cumulative `_bucket` counters from per-bucket observation rates (last entry: above the top bucket)."""
    out, cumulative = {}, 0.0
    bounds = list(metric.buckets) + [math.inf]
    for bound, rate in zip(bounds, rates):
        cumulative += rate
        out[series_key(f"{metric.name}_bucket", {**labels, "le": format_le(bound)})] = CounterRate(cumulative)
    mid = [b if not math.isinf(b) else bounds[-2] * 2 for b in bounds]
    out[series_key(f"{metric.name}_count", labels)] = CounterRate(cumulative)
    # on the 1/64 grid like the bucket rates: exact sample values, so evaluation steps repeat bit for bit
    out[series_key(f"{metric.name}_sum", labels)] = CounterRate(on_grid(sum(r * m for r, m in zip(rates, mid))))
    return out


OBSERVED = 8.0  # observations a second a generated histogram case makes, unless told otherwise


def quantile_rates(bounds: tuple[float, ...], q: float, value: float, total: float = OBSERVED) -> list[float]:
    """Per-bucket rates whose histogram_quantile(q) is (close to) ``value``.

    Observations go into at most three places: the lowest bucket, the bucket holding ``value``, and above it;
    linear interpolation inside the holding bucket then lands on ``value``.
    """
    all_bounds = list(bounds) + [math.inf]
    j = next((i for i, b in enumerate(all_bounds) if value <= b), len(all_bounds) - 1)
    if j == len(all_bounds) - 1:
        j = len(all_bounds) - 2  # past the top bucket: quantile reports the top bound
        value = all_bounds[j]
    low = all_bounds[j - 1] if j > 0 else 0.0
    frac = (value - low) / (all_bounds[j] - low)
    rank = q * total
    if frac <= q and j > 0:
        below = total * (q - frac) / (1 - frac) if frac < 1 else rank
        inside, above = total - below, 0.0
    else:
        below, inside = 0.0, rank / frac if frac > 0 else total
        above = total - inside
        if above < 0:
            # Interpolating up from 0 inside the lowest bucket cannot report less than q x its bound.
            raise ValueError(
                f"histogram_quantile({q:g}) cannot report {value:g} with buckets {bounds}: "
                f"the lowest it reports is {q * all_bounds[j]:g}"
            )
    rates = [0.0] * len(all_bounds)
    if j > 0:
        rates[0] += below
    rates[j] += inside
    rates[-1] += above
    gridded = [on_grid(r) for r in rates]
    if gridded[0] * (j > 0) + gridded[j] < rank <= total and above > 0:
        # rounding took the rank out of the holding bucket (q=0.01 of 8 is 0.08, inside 0.078125): round the
        # holding bucket up instead, so a low quantile still lands inside it
        gridded[j] = math.ceil(rates[j] * GRID) / GRID
        gridded[-1] = max(0.0, on_grid(total - gridded[j] - gridded[0] * (j > 0)))
    return gridded


class Timeline:
    """Series values over time: phases of (minutes, {series: spec}), expanded and encoded for promtool."""

    def __init__(self):
        self.phases: list[tuple[int, dict[str, object]]] = []
        self._expanded: tuple[int, dict[str, list[float]]] | None = None  # (phases, expand()) for reading

    def add(self, minutes: int, inputs: dict[str, object]) -> Timeline:
        self.phases.append((minutes, inputs))
        return self

    @property
    def minutes(self) -> int:
        return sum(m for m, _ in self.phases)

    def expand(self) -> dict[str, list[float | None]]:
        """Sample values per series at each minute 0..minutes (as promtool would expand them).

        None is a missing sample; STALE a staleness marker.
        """
        keys = list(dict.fromkeys(k for _, inputs in self.phases for k in inputs))
        values: dict[str, list] = {k: [] for k in keys}
        for key in keys:
            current = None
            out = values[key]
            for phase_index, (minutes, inputs) in enumerate(self.phases):
                spec = inputs.get(key) or _continued(self._fallback(key, phase_index))
                count = minutes + (1 if phase_index == 0 else 0)
                current = _extend(out, spec, count, current)
        return values

    def _fallback(self, key, phase_index):
        for index in range(phase_index, -1, -1):
            if key in self.phases[index][1]:
                return self.phases[index][1][key]
        for _, inputs in self.phases:
            if key in inputs:
                return inputs[key]
        raise KeyError(key)

    def _values(self) -> dict[str, list[float]]:
        """expand(), once per set of phases: series() and promtool_inputs() both read it."""
        if self._expanded is None or self._expanded[0] != len(self.phases):
            self._expanded = (len(self.phases), self.expand())
        return self._expanded[1]

    def series(self) -> list[Series]:
        out = []
        for key, values in self._values().items():
            samples = zip(_sample_times(len(values)), values)
            if None in values or STALE in values:
                samples = ((t, STALE_NAN if v is STALE else v) for t, v in samples if v is not None)
            out.append(Series(_series_labels(key), tuple(samples)))
        return out

    def promtool_inputs(self) -> list[dict[str, str]]:
        return [{"series": key, "values": _encoded(tuple(values))} for key, values in self._values().items()]


def _continued(spec):
    """A shape carried into a later phase that does not name the series: a reset or staleness happens once."""
    if isinstance(spec, CounterReset) and spec.every is None:
        return CounterRate(spec.per_second)
    if isinstance(spec, Stale):
        return Absence()
    if isinstance(spec, Ramp) and not spec.anchored:
        return Ramp(spec.per_second)
    return spec


STALE = "stale"  # a staleness marker in expanded values (promtool's `stale`)


def _extend(out: list, spec, count: int, current):
    """Append ``count`` samples of one phase's shape to ``out``; returns the last value (None if absent)."""
    if isinstance(spec, GaugeValue):
        out.extend([spec.value] * count)
        return spec.value if count else current
    if isinstance(spec, CounterRate):
        step = spec.per_second * INTERVAL
        for _ in range(count):
            current = spec.per_second * 3600 if current is None else current + step
            out.append(current)
        return current
    if isinstance(spec, CounterReset):
        step = spec.per_second * INTERVAL
        for i in range(count):
            restart = i == 0 if spec.every is None else len(out) % spec.every == 0
            current = 0.0 if restart or current is None else current + step
            out.append(current)
        return current
    if isinstance(spec, Flapping):
        for _ in range(count):
            current = spec.high if (len(out) // spec.every) % 2 else spec.low
            out.append(current)
        return current
    if isinstance(spec, Ramp) and spec.anchored:
        for _ in range(count):
            current = spec.start + spec.per_second * (len(out) * INTERVAL)
            out.append(current)
        return current
    if isinstance(spec, Ramp):
        step = spec.per_second * INTERVAL
        for i in range(count):
            if i == 0 and (spec.start is not None or current is None):
                current = spec.start if spec.start is not None else 0.0
            else:
                current += step
            out.append(current)
        return current
    if isinstance(spec, Stale):
        out.extend([STALE] + [None] * (count - 1) if count else [])
        return None
    if isinstance(spec, Absence):
        out.extend([None] * count)
        return None
    raise TypeError(f"{spec!r} is not an input shape (GaugeValue, CounterRate, Ramp, CounterReset, Absence, Stale)")


@lru_cache(maxsize=128)  # an alert's second case repeats most of its first case's series
def _encoded(values: tuple[float, ...]) -> str:
    return encode(list(values))


@lru_cache(maxsize=1 << 14)
def _series_labels(key: str) -> tuple:
    name, labels = parse_key(key)
    return labels_of({**labels, "__name__": name})


@lru_cache(maxsize=256)
def _sample_times(count: int) -> tuple[float, ...]:
    return tuple(i * INTERVAL for i in range(count))


def encode(values: list) -> str:
    """Shortest run-length encoding in promtool's expanding notation: `a+bxn` (n + 1 samples from a, b apart),
    `axn` (a held for n + 1 samples), a lone `a`, `_` / `_xn` for missing samples, `stale`. Every value is
    written in Python's shortest round-trip form, so promtool reads back the very same float."""
    parts, i = [], 0
    while i < len(values):
        if values[i] is STALE:
            parts.append("stale")
            i += 1
            continue
        if values[i] is None:
            n = 1
            while i + n < len(values) and values[i + n] is None:
                n += 1
            parts.append("_" if n == 1 else f"_x{n}")
            i += n
            continue
        start = values[i]
        step = (
            values[i + 1] - start
            if i + 1 < len(values) and values[i + 1] is not None and values[i + 1] is not STALE
            else 0.0
        )
        n = 0
        while (
            i + n + 1 < len(values)
            and values[i + n + 1] is not None
            and values[i + n + 1] is not STALE
            and values[i + n + 1] - values[i + n] == step
            and values[i + n] + step == values[i + n + 1]
        ):
            n += 1
        parts.append(_run(start, step, n, values[i + n]))
        i += n + 1
    return " ".join(parts)


def _run(start: float, step: float, n: int, last: float) -> str:
    """One run of n + 1 samples from ``start``, ``step`` apart (ending at ``last``): its shortest spelling."""
    if n == 0:
        return _num(start)
    if step == 0:
        return f"{_num(start)}x{n}"
    ramp = f"{_num(start)}{'+' if step >= 0 else '-'}{_num(abs(step))}x{n}"
    return min(ramp, f"{_num(start)} {_num(last)}", key=len) if n == 1 else ramp


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def case_evaluator(case: dict, rules: dict) -> Evaluator:
    """Our Prometheus over a promtool test case's input series, with ``rules`` (record -> expr) recorded."""
    step = parse_duration(case.get("interval", "1m"))
    return Evaluator([parse_series(s["series"], s["values"], step) for s in case.get("input_series", [])], rules)


def parse_series(key: str, values: str, step: float) -> Series:
    """A hand-written promtool input series ("a+bxn", "axn", "_", "_xn" tokens) as evaluator input."""
    import re

    samples, t = [], 0.0
    number = r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?Inf|NaN"
    for token in values.split():
        match = re.fullmatch(rf"(_|{number})(?:([+-])({number}))?x([0-9]+)", token)
        if token == "stale":
            samples.append((t, STALE_NAN))
            t += step
        elif match:
            start, sign, inc, n = match.groups()
            if start == "_":  # `_xn`: n missing samples (`axn`: n + 1 samples)
                t += step * int(n)
                continue
            current, delta = float(start), float(inc or 0) * (-1 if sign == "-" else 1)
            for _ in range(int(n) + 1):
                samples.append((t, current))
                current += delta
                t += step
        elif token == "_":
            t += step
        else:
            samples.append((t, float(token)))
            t += step
    name, labels = parse_key(key)
    return Series(labels_of({**labels, "__name__": name}), tuple(samples))
