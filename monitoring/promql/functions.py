"""Every PromQL function of Prometheus 2.42, as a table like its FunctionCalls (promql/functions.go).

Each entry takes (evaluator, argument nodes, t) and returns a value. Most are built from a few shapes:
- range functions: one value per series of a range vector (rate, *_over_time, deriv...), name dropped
  (except last_over_time), series with no sample in the window skipped, as 2.42's engine does;
- element-wise functions: one value per sample of an instant vector (abs, clamp, round...), name dropped;
- the rest read their arguments themselves (absent, label_replace, sort, time, histogram_quantile...).

Arithmetic follows 2.42 operation for operation; see the README ("Supported PromQL") for where order matters.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache, partial

import promql_parser as pp

from monitoring.promql import gomath
from monitoring.promql.gomath import kahan_inc, parse_float
from monitoring.promql.values import Labels, QueryError, Unsupported, check_unique, drop_name, labels_of


class Range:
    """What a range function knows besides the samples: the window, the evaluation time, scalar arguments."""

    __slots__ = ("start", "end", "window", "t", "params")

    def __init__(self, start: float, end: float, window: float, t: float, params: tuple):
        self.start, self.end, self.window, self.t, self.params = start, end, window, t, params


FUNCTIONS: dict[str, Callable] = {}


def _range_function(name: str, fn, matrix_arg: int = 0, keep_name: bool = False):
    """fn(samples, Range) -> float or None (no output for that series)."""

    def call(ev, args, t):
        params = tuple(ev.scalar(a, t) for i, a in enumerate(args) if i != matrix_arg) if len(args) > 1 else ()
        node = args[matrix_arg]
        start, end, window, matrix, one_name = ev.matrix(node, t)
        ctx = Range(start, end, window, t, params)
        out = []
        for labels, samples in matrix:
            if samples:
                value = fn(samples, ctx)
                if value is not None:
                    out.append((labels if keep_name else drop_name(labels), value))
        if keep_name or one_name:
            return out  # series of one metric name stay distinct without it
        return check_unique(out, f"{name}()")

    FUNCTIONS[name] = call


def _elementwise(name: str, fn):
    """fn(value, *scalar arguments) -> float, for every sample of the first argument."""

    def call(ev, args, t):
        vector = ev.vector(args[0], t)
        if len(args) == 1:
            out = [(drop_name(l), fn(v)) for l, v in vector]
        else:
            params = [ev.scalar(a, t) for a in args[1:]]
            out = [(drop_name(l), fn(v, *params)) for l, v in vector]
        return check_unique(out, f"{name}()")

    FUNCTIONS[name] = call


def _function(name: str):
    def register(fn):
        FUNCTIONS[name] = fn
        return fn

    return register


# --- rate, increase, delta, irate, idelta ---------------------------------------------------------------
def extrapolated_rate(is_counter, is_rate, samples, r: Range):
    """Prometheus 2.42 extrapolatedRate, operation for operation."""
    if len(samples) < 2:
        return None
    first_t, first_v = samples[0]
    last_t, last_v = samples[-1]
    result = last_v - first_v
    if is_counter:
        previous = first_v
        for _, value in samples[1:]:
            if value < previous:
                result += previous
            previous = value
    window = r.window
    duration_to_start = first_t - r.start
    duration_to_end = r.end - last_t
    sampled_interval = last_t - first_t
    average_between = sampled_interval / float(len(samples) - 1)
    if is_counter and result > 0 and first_v >= 0:
        duration_to_zero = sampled_interval * (first_v / result)
        if duration_to_zero < duration_to_start:
            duration_to_start = duration_to_zero
    threshold = average_between * 1.1
    extrapolate_to = sampled_interval
    extrapolate_to += duration_to_start if duration_to_start < threshold else average_between / 2
    extrapolate_to += duration_to_end if duration_to_end < threshold else average_between / 2
    factor = extrapolate_to / sampled_interval
    if is_rate:
        factor /= window  # Prometheus divides the factor, not the result: the last bit differs
    return result * factor


# partial, not lambda: one Python frame less per series on the hottest path
_range_function("rate", partial(extrapolated_rate, True, True))
_range_function("increase", partial(extrapolated_rate, True, False))
_range_function("delta", partial(extrapolated_rate, False, False))


def _instant_value(samples, is_rate):
    if len(samples) < 2:
        return None
    (t1, v1), (t2, v2) = samples[-2], samples[-1]
    result = v2 if is_rate and v2 < v1 else v2 - v1
    interval = t2 - t1
    if interval == 0:
        return None
    return result / interval if is_rate else result


_range_function("irate", lambda s, r: _instant_value(s, True))
_range_function("idelta", lambda s, r: _instant_value(s, False))


# --- *_over_time ----------------------------------------------------------------------------------------
def avg_over_time(samples, _=None):
    """Kahan-compensated incremental mean, with 2.42's handling of infinities (kahan_inc inlined: hot path)."""
    mean = count = c = 0.0
    isinf = math.isinf
    for _, v in samples:
        count += 1
        if isinf(mean):
            if isinf(v) and (mean > 0) == (v > 0):
                continue
            if not isinf(v) and v == v:
                continue
        inc = v / count - mean / count
        t = mean + inc
        if abs(mean) >= abs(inc):
            c += (mean - t) + inc
        else:
            c += (inc - t) + mean
        mean = t
    if isinf(mean):
        return mean
    return mean + c


def sum_over_time(samples, _=None):
    """Kahan-Neumaier sum (kahan_inc inlined)."""
    total = c = 0.0
    for _, v in samples:
        t = total + v
        if abs(total) >= abs(v):
            c += (total - t) + v
        else:
            c += (v - t) + total
        total = t
    if math.isinf(total):
        return total
    return total + c


def _variance_over_time(samples):
    count = mean = c_mean = aux = c_aux = 0.0
    for _, v in samples:
        count += 1
        delta = v - (mean + c_mean)
        mean, c_mean = kahan_inc(delta / count, mean, c_mean)
        aux, c_aux = kahan_inc(delta * (v - (mean + c_mean)), aux, c_aux)
    return (aux + c_aux) / count


def _max_over_time(samples, _):
    best = samples[0][1]
    for _, v in samples:
        if v > best or best != best:
            best = v
    return best


def _min_over_time(samples, _):
    best = samples[0][1]
    for _, v in samples:
        if v < best or best != best:
            best = v
    return best


_range_function("avg_over_time", avg_over_time)
_range_function("sum_over_time", sum_over_time)
_range_function("count_over_time", lambda s, r: float(len(s)))
_range_function("min_over_time", _min_over_time)
_range_function("max_over_time", _max_over_time)
_range_function("last_over_time", lambda s, r: s[-1][1], keep_name=True)
_range_function("present_over_time", lambda s, r: 1.0)
_range_function("stdvar_over_time", lambda s, r: _variance_over_time(s))
_range_function("stddev_over_time", lambda s, r: math.sqrt(_variance_over_time(s)))
_range_function("quantile_over_time", lambda s, r: quantile(r.params[0], [v for _, v in s]), matrix_arg=1)


def quantile(q: float, values: list[float]) -> float:
    """Prometheus 2.42 quantile(): NaN sorts first, weighted average of the two nearest ranks."""
    if not values or q != q:
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    values = sorted(values, key=lambda v: (v == v, v))
    n = float(len(values))
    rank = q * (n - 1)
    lower = max(0.0, math.floor(rank))
    upper = min(n - 1, lower + 1)
    weight = rank - math.floor(rank)
    return values[int(lower)] * (1 - weight) + values[int(upper)] * weight


# --- changes, resets, deriv, predict_linear, holt_winters -----------------------------------------------
def _changes(samples, _):
    changes, previous = 0, samples[0][1]
    for _, current in samples[1:]:
        if current != previous and not (current != current and previous != previous):
            changes += 1
        previous = current
    return float(changes)


def _resets(samples, _):
    resets, previous = 0, samples[0][1]
    for _, current in samples[1:]:
        if current < previous:
            resets += 1
        previous = current
    return float(resets)


def linear_regression(samples, intercept_time: float) -> tuple[float, float]:
    """Prometheus 2.42 linearRegression: Kahan sums of x, y, xy, x^2; (slope, intercept at intercept_time)."""
    init_y = samples[0][1]
    if all(v == init_y for _, v in samples[1:]):  # constant y: 2.42 returns before reading the sums
        return (math.nan, math.nan) if math.isinf(init_y) else (0.0, init_y)
    n = sum_x = c_x = sum_y = c_y = sum_xy = c_xy = sum_x2 = c_x2 = 0.0
    for ts, v in samples:
        n += 1.0
        x = ts - intercept_time
        sum_x, c_x = kahan_inc(x, sum_x, c_x)
        sum_y, c_y = kahan_inc(v, sum_y, c_y)
        sum_xy, c_xy = kahan_inc(x * v, sum_xy, c_xy)
        sum_x2, c_x2 = kahan_inc(x * x, sum_x2, c_x2)
    sum_x += c_x
    sum_y += c_y
    sum_xy += c_xy
    sum_x2 += c_x2
    cov_xy = sum_xy - sum_x * sum_y / n
    var_x = sum_x2 - sum_x * sum_x / n
    slope = gomath.divide(cov_xy, var_x)
    intercept = sum_y / n - slope * sum_x / n
    return slope, intercept


def _deriv(samples, _):
    if len(samples) < 2:
        return None
    # Prometheus passes the first sample's time as the intercept time to keep x small.
    return linear_regression(samples, samples[0][0])[0]


def _predict_linear(samples, r: Range):
    if len(samples) < 2:
        return None
    slope, intercept = linear_regression(samples, r.t)
    return slope * r.params[0] + intercept


def _holt_winters(samples, r: Range):
    sf, tf = r.params
    if sf <= 0 or sf >= 1:
        raise QueryError(f"invalid smoothing factor. Expected: 0 < sf < 1, got: {sf:f}")
    if tf <= 0 or tf >= 1:
        raise QueryError(f"invalid trend factor. Expected: 0 < tf < 1, got: {tf:f}")
    if len(samples) < 2:
        return None
    s0 = 0.0
    s1 = samples[0][1]
    b = samples[1][1] - samples[0][1]
    for i in range(1, len(samples)):
        x = sf * samples[i][1]
        b = b if i - 1 == 0 else tf * (s1 - s0) + (1 - tf) * b  # calcTrendValue
        y = (1 - sf) * (s1 + b)
        s0, s1 = s1, x + y
    return s1


_range_function("changes", _changes)
_range_function("resets", _resets)
_range_function("deriv", _deriv)
_range_function("predict_linear", _predict_linear)
_range_function("holt_winters", _holt_winters)


# --- absent, absent_over_time ---------------------------------------------------------------------------
def absent_labels(node) -> Labels:
    """createLabelsForAbsentFunction: the labels a selector pins with one equality matcher."""
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    if isinstance(node, pp.MatrixSelector):
        node = node.vector_selector
    if not isinstance(node, pp.VectorSelector):
        return ()
    out: dict[str, str] = {}
    has: set[str] = set()
    for m in node.matchers.matchers:
        if m.name == "__name__":
            continue
        if str(m.op).endswith(".Equal") and m.name not in has:
            out[m.name] = m.value
            has.add(m.name)
        else:
            out.pop(m.name, None)
    return labels_of(out)


@_function("absent")
def _absent(ev, args, t):
    if ev.vector(args[0], t):
        return []
    return [(absent_labels(args[0]), 1.0)]


@_function("absent_over_time")
def _absent_over_time(ev, args, t):
    matrix = ev.matrix(args[0], t)[3]
    if any(samples for _, samples in matrix):
        return []
    return [(absent_labels(args[0]), 1.0)]


# --- element-wise ---------------------------------------------------------------------------------------
for _name, _fn in {
    "abs": abs,
    "ceil": gomath.ceil,
    "floor": gomath.floor,
    "exp": gomath.safe(math.exp),
    "sqrt": gomath.safe(math.sqrt),
    "ln": gomath.safe(math.log),
    "log2": gomath.go_log2,
    "log10": gomath.go_log10,
    "sin": gomath.safe(math.sin),
    "cos": gomath.safe(math.cos),
    "tan": gomath.safe(math.tan),
    "asin": gomath.safe(math.asin),
    "acos": gomath.safe(math.acos),
    "atan": gomath.safe(math.atan),
    "sinh": gomath.safe(math.sinh),
    "cosh": gomath.safe(math.cosh),
    "tanh": gomath.safe(math.tanh),
    "asinh": gomath.safe(math.asinh),
    "acosh": gomath.safe(math.acosh),
    "atanh": gomath.safe(math.atanh),
    "rad": lambda v: v * math.pi / 180,
    "deg": lambda v: v * 180 / math.pi,
    "sgn": lambda v: -1.0 if v < 0 else (1.0 if v > 0 else v),
    "clamp_max": lambda v, high: gomath.go_min(high, v),
    "clamp_min": lambda v, low: gomath.go_max(low, v),
}.items():
    _elementwise(_name, _fn)


@_function("clamp")
def _clamp(ev, args, t):
    vector = ev.vector(args[0], t)
    low, high = ev.scalar(args[1], t), ev.scalar(args[2], t)
    if high < low:
        return []
    out = [(drop_name(l), gomath.go_max(low, gomath.go_min(high, v))) for l, v in vector]
    return check_unique(out, "clamp()")


@_function("round")
def _round(ev, args, t):
    vector = ev.vector(args[0], t)
    to_nearest = ev.scalar(args[1], t) if len(args) > 1 else 1.0
    inverse = gomath.divide(1.0, to_nearest)  # Prometheus inverts first: fewer rounding surprises
    out = [(drop_name(l), gomath.divide(gomath.floor(v * inverse + 0.5), inverse)) for l, v in vector]
    return check_unique(out, "round()")


# --- scalars, vectors, time -----------------------------------------------------------------------------
@_function("scalar")
def _scalar(ev, args, t):
    vector = ev.vector(args[0], t)
    return vector[0][1] if len(vector) == 1 else math.nan


@_function("vector")
def _vector(ev, args, t):
    return [((), ev.scalar(args[0], t))]


FUNCTIONS["time"] = lambda ev, args, t: t
FUNCTIONS["pi"] = lambda ev, args, t: math.pi


@_function("timestamp")
def _timestamp(ev, args, t):
    node = ev.unwrap(args[0])
    if isinstance(node, pp.VectorSelector):  # the samples' own times, not the evaluation time
        out = [(drop_name(l), ts) for l, ts, _ in ev.select_with_times(node, t)]
    else:
        out = [(drop_name(l), t) for l, _ in ev.vector(node, t)]
    return check_unique(out, "timestamp()")


def _civil(seconds: int) -> tuple[int, int, int, int, int, int]:
    """(year, month, day, hour, minute, weekday with Sunday 0) of a Unix time, for any year (Hinnant's)."""
    days, rest = divmod(seconds, 86400)
    hour, minute = rest // 3600, rest % 3600 // 60
    weekday = (days + 4) % 7  # 1970-01-01 was a Thursday
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    return year, month, day, hour, minute, weekday


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in_month(year, month):
    return 29 if month == 2 and _leap(year) else _DAYS[month - 1]


def _day_of_year(year, month, day):
    return sum(_days_in_month(year, m) for m in range(1, month)) + day


_DATE_PARTS = {
    "year": lambda c: c[0],
    "month": lambda c: c[1],
    "day_of_month": lambda c: c[2],
    "hour": lambda c: c[3],
    "minute": lambda c: c[4],
    "day_of_week": lambda c: c[5],
    "days_in_month": lambda c: _days_in_month(c[0], c[1]),
    "day_of_year": lambda c: _day_of_year(c[0], c[1], c[2]),
}
# functions that read absolute time (the evaluation time, or sample times): no two steps alike, no shift alike
ABSOLUTE_TIME = frozenset({"time", "timestamp", *_DATE_PARTS})


def _date_function(name: str, part):
    def call(ev, args, t):
        if not args:
            # time.Unix(enh.Ts/1000, 0): milliseconds divided as integers, toward zero
            ms = round(t * 1000)
            seconds = abs(ms) // 1000 * (1 if ms >= 0 else -1)
            return [((), float(part(_civil(seconds))))]
        out = [(drop_name(l), float(part(_civil(gomath.truncate_to_int(v))))) for l, v in ev.vector(args[0], t)]
        return check_unique(out, f"{name}()")

    FUNCTIONS[name] = call


for _name, _part in _DATE_PARTS.items():
    _date_function(_name, _part)


# --- sort -----------------------------------------------------------------------------------------------
@_function("sort")
def _sort(ev, args, t):
    return sorted(ev.vector(args[0], t), key=lambda s: (s[1] != s[1], s[1]))


@_function("sort_desc")
def _sort_desc(ev, args, t):
    return sorted(ev.vector(args[0], t), key=lambda s: (s[1] != s[1], -s[1]))


# --- labels ---------------------------------------------------------------------------------------------
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


@lru_cache(maxsize=256)
def _anchored(regex: str) -> re.Pattern:
    try:
        return re.compile(go_regex(f"^(?:{regex})$"))
    except re.error as exc:
        raise QueryError(f"invalid regular expression in label_replace(): {regex} ({exc})") from None


_INLINE_FLAGS = re.compile(r"\(\?([imsU]+)\)")


def go_regex(pattern: str) -> str:
    """RE2 syntax Python's re reads differently: flags set mid-pattern, `(?i)`, last to the end of their group
    in Go, and Python accepts them only at the start; scope them explicitly, `(?i:...)`."""
    if "(?" not in pattern:
        return pattern
    out, closers, depth, i = [], [], 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "[":  # a character class: copied as is
            j = i + 1
            if j < len(pattern) and pattern[j] == "^":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            while j < len(pattern) and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            out.append(pattern[i : j + 1])
            i = j + 1
            continue
        flags = _INLINE_FLAGS.match(pattern, i)
        if flags and (i > 0 or depth > 0):
            out.append(f"(?{flags.group(1).replace('U', '')}:")
            closers.append(depth)
            i = flags.end()
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            while closers and closers[-1] == depth:
                out.append(")")
                closers.pop()
            depth -= 1
        out.append(ch)
        i += 1
    out.extend(")" * len(closers))
    return "".join(out)


_TEMPLATE = re.compile(r"\$(?:\$|\{([^}]*)\}|([A-Za-z0-9_]+))")


def _expand(template: str, match: re.Match) -> str:
    """Go's Regexp.ExpandString: $1, ${1}, $name, ${name}; unknown groups expand to nothing."""

    def group(m: re.Match) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) if m.group(1) is not None else m.group(2)
        try:
            value = match.group(int(name)) if name.isdigit() else match.group(name)
        except (IndexError, KeyError, re.error):
            return ""
        return value or ""

    return _TEMPLATE.sub(group, template)


@_function("label_replace")
def _label_replace(ev, args, t):
    dst, replacement, src, regex = (ev.string(a) for a in args[1:5])
    pattern = _anchored(regex)
    if not _LABEL_NAME.match(dst):
        raise QueryError(f"invalid destination label name in label_replace(): {dst}")
    out = []
    for labels, value in ev.vector(args[0], t):
        mapping = dict(labels)
        match = pattern.match(mapping.get(src, ""))
        if match is not None:
            result = _expand(replacement, match)
            mapping.pop(dst, None)
            if result:
                mapping[dst] = result
            labels = labels_of(mapping)
        out.append((labels, value))
    return check_unique(out, "label_replace()")


@_function("label_join")
def _label_join(ev, args, t):
    dst, separator = ev.string(args[1]), ev.string(args[2])
    sources = [ev.string(a) for a in args[3:]]
    for name in sources:
        if not _LABEL_NAME.match(name):
            raise QueryError(f"invalid source label name in label_join(): {name}")
    if not _LABEL_NAME.match(dst):
        raise QueryError(f"invalid destination label name in label_join(): {dst}")
    out = []
    for labels, value in ev.vector(args[0], t):
        mapping = dict(labels)
        joined = separator.join(mapping.get(name, "") for name in sources)
        mapping.pop(dst, None)
        if joined:
            mapping[dst] = joined
        out.append((labels_of(mapping), value))
    return check_unique(out, "label_join()")


# --- histograms -----------------------------------------------------------------------------------------
@_function("histogram_quantile")
def _histogram_quantile(ev, args, t):
    q = ev.scalar(args[0], t)
    groups: dict[Labels, tuple[Labels, list]] = {}
    for labels, value in ev.vector(args[1], t):
        le, key = bucket_of(labels)
        if le is None:
            continue
        entry = groups.get(key)
        if entry is None:
            entry = groups[key] = (_without_name_and_le(labels), [])
        entry[1].append((le, value))
    out = [(labels, bucket_quantile(q, buckets)) for labels, buckets in groups.values()]
    return check_unique(out, "histogram_quantile()")


@lru_cache(maxsize=1 << 16)
def bucket_of(labels: Labels) -> tuple[float | None, Labels]:
    """(le as a number, or None when absent or malformed; the series' labels without le)."""
    le = next((v for k, v in labels if k == "le"), None)
    key = tuple((k, v) for k, v in labels if k != "le")
    if le is None:
        return None, key
    try:
        return parse_float(le), key
    except ValueError:
        return None, key


@lru_cache(maxsize=1 << 16)
def _without_name_and_le(labels: Labels) -> Labels:
    return tuple((k, v) for k, v in labels if k != "le" and k != "__name__")


def bucket_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus 2.42 bucketQuantile (sort, coalesce, monotonic fix, linear interpolation)."""
    if q != q:
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    buckets = sorted(buckets)  # by upper bound (Go's sort leaves equal bounds in no particular order)
    if not math.isinf(buckets[-1][0]) or buckets[-1][0] < 0:
        return math.nan
    merged: list[list[float]] = []
    for upper, count in buckets:
        if merged and merged[-1][0] == upper:
            merged[-1][1] += count
        else:
            merged.append([upper, count])
    maximum = -math.inf
    for bucket in merged:
        if bucket[1] > maximum:
            maximum = bucket[1]
        elif bucket[1] < maximum:
            bucket[1] = maximum
    if len(merged) < 2:
        return math.nan
    observations = merged[-1][1]
    if observations == 0:
        return math.nan
    rank = q * observations
    b = next((i for i in range(len(merged) - 1) if merged[i][1] >= rank), len(merged) - 1)
    if b == len(merged) - 1:
        return merged[-2][0]
    if b == 0 and merged[0][0] <= 0:
        return merged[0][0]
    start, end, count = 0.0, merged[b][0], merged[b][1]
    if b > 0:
        start = merged[b - 1][0]
        count -= merged[b - 1][1]
        rank -= merged[b - 1][1]
    if count == 0:  # Go divides floats by zero: 0/0 is NaN (q=0 on an empty first bucket), never an exception
        return start + (end - start) * (math.nan if rank == 0 or rank != rank else math.copysign(math.inf, rank))
    return start + (end - start) * (rank / count)


def _native_only(name: str):
    """histogram_count/sum/fraction read native histograms only: float samples give no output."""

    def call(ev, args, t):
        for arg in args[:-1]:
            ev.scalar(arg, t)
        ev.vector(args[-1], t)
        return []

    FUNCTIONS[name] = call


for _name in ("histogram_count", "histogram_sum", "histogram_fraction"):
    _native_only(_name)


# Functions promql-parser knows that Prometheus 2.42 does not (later versions): refused by name.
def not_in_242(name: str) -> Unsupported:
    return Unsupported(f"function {name}() is not in Prometheus 2.42's PromQL", f"{name}(")
