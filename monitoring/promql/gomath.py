"""Go's float64 semantics where Python's differ: no exceptions, NaN-aware min/max, Kahan-Neumaier sums.

Python raises where Go returns Inf or NaN (1/0, sqrt(-1), exp(1000), fmod(x, 0)); Python's min/max let a NaN
win or lose by argument order, Go's math.Min/Max return NaN. Everything here returns what Go's does.
IEEE operations (+ - * /, sqrt, fmod, floor, ceil) are correctly rounded in both languages, so they agree bit
for bit; transcendental functions (exp, ln, log10, trig) come from the C library here and from Go's own code
in Prometheus, and may differ in the last bit (see the README's "Supported PromQL").
"""

from __future__ import annotations

import math
from decimal import Decimal

INF = math.inf
NAN = math.nan


def kahan_inc(inc: float, total: float, c: float) -> tuple[float, float]:
    """Prometheus 2.42 kahanSumInc (Neumaier's variant): the new sum and compensation."""
    t = total + inc
    if abs(total) >= abs(inc):
        c += (total - t) + inc
    else:
        c += (inc - t) + total
    return t, c


def divide(a: float, b: float) -> float:
    if b != 0:
        return a / b
    if a == 0 or a != a:
        return NAN
    return math.copysign(INF, a) * math.copysign(1.0, b)


def go_mod(a: float, b: float) -> float:
    if b == 0 or math.isinf(a) or a != a or b != b:
        return NAN
    return math.fmod(a, b)


def go_pow(x: float, y: float) -> float:
    """Go's math.Pow, ported: its special cases, then repeated squaring for the integer part of y (so x^2,
    x^3 ... round as Go's do); a fractional part goes through exp(yf * log(x)) (C library here)."""
    if y == 0 or x == 1:
        return 1.0
    if y == 1:
        return x
    if x != x or y != y:
        return NAN
    if x == 0:
        negative_zero = math.copysign(1.0, x) < 0
        if y < 0:
            return -INF if negative_zero and _is_odd_int(y) else INF
        return x if negative_zero and _is_odd_int(y) else 0.0
    if math.isinf(y):
        if x == -1:
            return 1.0
        return 0.0 if (abs(x) < 1) == (y > 0) else INF
    if math.isinf(x):
        if x < 0:
            return go_pow(1 / x, -y)  # Pow(-0, -y)
        return 0.0 if y < 0 else INF
    if y == 0.5:
        return math.sqrt(x) if x >= 0 else NAN
    if y == -0.5:
        return 1 / math.sqrt(x) if x > 0 else (INF if x == 0 else NAN)
    yf, yi = math.modf(abs(y))
    if yf != 0 and x < 0:
        return NAN
    if yi >= 2.0**63:
        if x == -1:
            return 1.0
        return 0.0 if (abs(x) < 1) == (y > 0) else INF
    a1, ae = 1.0, 0
    if yf != 0:
        if yf > 0.5:
            yf -= 1
            yi += 1
        a1 = safe(math.exp)(yf * safe(math.log)(x))
    x1, xe = math.frexp(x)
    i = int(yi)
    while i != 0:
        if xe < -(1 << 12) or (1 << 12) < xe:
            ae += xe  # catastrophic overflow: let ldexp handle it
            break
        if i & 1:
            a1 *= x1
            ae += xe
        x1 *= x1
        xe <<= 1
        if x1 < 0.5:
            x1 += x1
            xe -= 1
        i >>= 1
    if y < 0:
        a1 = 1 / a1 if a1 != 0 else INF
        ae = -ae
    try:
        return math.ldexp(a1, ae)
    except OverflowError:
        return math.copysign(INF, a1)


def _is_odd_int(y: float) -> bool:
    if abs(y) >= 2**53:
        return False
    return float(y).is_integer() and int(y) % 2 == 1


def go_min(a: float, b: float) -> float:
    if a != a or b != b:
        return NAN
    if a == 0 and b == 0:
        return a if math.copysign(1, a) < 0 else b
    return a if a < b else b


def go_max(a: float, b: float) -> float:
    if a != a or b != b:
        return NAN
    if a == 0 and b == 0:
        return a if math.copysign(1, a) > 0 else b
    return a if a > b else b


def floor(v: float) -> float:
    return v if math.isinf(v) or v != v else float(math.floor(v))


def ceil(v: float) -> float:
    return v if math.isinf(v) or v != v else float(math.ceil(v))


def safe(fn):
    """A C-library math function with Go's answers instead of Python's exceptions."""

    def call(v: float) -> float:
        try:
            return fn(v)
        except OverflowError:
            return INF
        except ValueError:
            return _domain_value(fn, v)

    call.__name__ = getattr(fn, "__name__", "fn")
    return call


# Go's constants 1/Ln2 and 1/Ln10: computed exactly, then rounded once to float64 (as Go's compiler does).
_LN2 = Decimal("0.693147180559945309417232121458176568075500134360255254120680009")
_LN10 = Decimal("2.30258509299404568401799145468436420760110148862877297603332790")
_INV_LN2 = float(Decimal(1) / _LN2)
_INV_LN10 = float(Decimal(1) / _LN10)


def go_log2(v: float) -> float:
    """Go's math.Log2: exact for powers of two, else Log(frac) * (1/Ln2) + exp."""
    if v != v or v < 0:
        return NAN
    if v == 0:
        return -INF
    if math.isinf(v):
        return INF
    frac, exp = math.frexp(v)
    if frac == 0.5:
        return float(exp - 1)
    return math.log(frac) * _INV_LN2 + float(exp)


def go_log10(v: float) -> float:
    """Go's math.Log10: Log(x) * (1/Ln10), not C's log10."""
    return safe(math.log)(v) * _INV_LN10


def _domain_value(fn, v: float) -> float:
    # log(0) = -Inf in Go; log of a negative number, sqrt(-1), acos(2), ... = NaN; atanh(+-1) = +-Inf
    if fn in (math.log, math.log2, math.log10) and v == 0:
        return -INF
    if fn is math.atanh and abs(v) == 1:
        return math.copysign(INF, v)
    if fn in (math.sin, math.cos, math.tan) and math.isinf(v):
        return NAN
    return NAN


def parse_float(text: str) -> float:
    """strconv.ParseFloat(text, 64) for decimal texts: Python's float() but no underscores or spaces, which Go
    rejects (ValueError, as float() raises it)."""
    if "_" in text or text != text.strip():
        raise ValueError(text)
    return float(text)


def format_float(v: float) -> str:
    """strconv.FormatFloat(v, 'f', -1, 64): the shortest digits that round-trip, never an exponent."""
    if v != v:
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    text = format(Decimal(repr(v)).normalize(), "f")
    if text in ("-0", "0") and math.copysign(1, v) < 0:
        return "-0"
    return text


def truncate_to_int(v: float) -> int:
    """Go's int64(v) for a finite v (toward zero); Go's amd64 result (min int64) otherwise."""
    if v != v or math.isinf(v) or abs(v) >= 2**63:
        return -(2**63)
    return int(v)
