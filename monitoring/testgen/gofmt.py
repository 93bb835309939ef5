"""Numbers printed as Go (1.19, Prometheus 2.42's) prints them: fmt's %v / %g / %e / %f and `printf`, and
Prometheus' humanize functions (template/template.go), which all use Go's %.4g.

Go's %v of a float64 is strconv's 'g' with the shortest digits that round-trip, in exponent form when the
decimal exponent is below -4 or at least 6 (12300000 prints as 1.23e+07); infinities print as +Inf / -Inf,
NaN as NaN, with the exponent's at least two digits.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from decimal import Decimal


def _shortest_digits(v: float) -> tuple[str, int]:
    """(digits, decimal exponent of the first digit) of the shortest decimal that round-trips, as Go's
    strconv finds it (Python's repr finds the same digits)."""
    d = Decimal(repr(abs(v)))
    _, digits, _ = d.as_tuple()
    text = "".join(map(str, digits)).lstrip("0").rstrip("0") or "0"
    return text, d.adjusted() if v else 0


def _special(v: float) -> str | None:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return None


def go_value(v: float, upper: bool = False) -> str:
    """Go's %v (and %g with no precision) of a float64."""
    special = _special(v)
    if special:
        return special
    digits, exp = _shortest_digits(v)
    minus = "-" if math.copysign(1, v) < 0 else ""
    if exp < -4 or exp >= 6:  # strconv: "if precision was the shortest possible, use precision 6 for this decision"
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        e = "E" if upper else "e"
        return f"{minus}{mantissa}{e}{'+' if exp >= 0 else '-'}{abs(exp):02d}"
    if exp < 0:
        return f"{minus}0.{'0' * (-exp - 1)}{digits}"
    whole = digits[: exp + 1].ljust(exp + 1, "0")
    fraction = digits[exp + 1 :]
    return f"{minus}{whole}{'.' + fraction if fraction else ''}"


def go_float(v: float, verb: str, precision: int | None) -> str:
    """Go's %e %E %f %F %g %G %v of a float64, without sign flags or width (Python's C-like formatting agrees
    with Go's for these, both printing at least two exponent digits)."""
    special = _special(v)
    if special:
        return special
    if verb in "vgG" and precision is None:
        return go_value(v, upper=verb == "G")
    if verb in "eEfF" and precision is None:
        precision = 6
    py_verb = {"v": "g", "F": "f"}.get(verb, verb)
    return format(v, f".{precision}{py_verb}")


def go_g4(v: float) -> str:
    """Go's %.4g, which every humanize function prints with."""
    return go_float(v, "g", 4)


def humanize(v: float) -> str:
    if v == 0 or math.isnan(v) or math.isinf(v):
        return go_g4(v)
    if abs(v) >= 1:
        return _scaled_down(v, 1000, ("k", "M", "G", "T", "P", "E", "Z", "Y"))
    v, prefix = _scale_up(v)
    return f"{go_g4(v)}{prefix}"


def humanize1024(v: float) -> str:
    if abs(v) <= 1 or math.isnan(v) or math.isinf(v):
        return go_g4(v)
    return _scaled_down(v, 1024, ("ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"))


def _scaled_down(v: float, base: int, prefixes: tuple[str, ...]) -> str:
    """v divided by ``base`` while it is at least ``base``, printed with the prefix of the last division."""
    prefix = ""
    for p in prefixes:
        if abs(v) < base:
            break
        prefix = p
        v /= base
    return f"{go_g4(v)}{prefix}"


def _scale_up(v: float) -> tuple[float, str]:
    """A value below 1 with the SI prefix (m, u, n, ...) that brings it to 1 or more, as Prometheus does."""
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix = p
        v *= 1000
    return v, prefix


def humanize_percentage(v: float) -> str:
    return f"{go_g4(v * 100)}%"


def humanize_duration(v: float) -> str:
    if math.isnan(v) or math.isinf(v):
        return go_g4(v)
    if v == 0:
        return f"{go_g4(v)}s"
    if abs(v) >= 1:
        sign = ""
        if v < 0:
            sign, v = "-", -v
        if v >= 2**63:
            raise ValueError("over int64: Go's conversion gives a machine-dependent value")
        duration = int(v)
        seconds, minutes = duration % 60, (duration // 60) % 60
        hours, days = (duration // 3600) % 24, duration // 86400
        if days:
            return f"{sign}{days}d {hours}h {minutes}m {seconds}s"
        if hours:
            return f"{sign}{hours}h {minutes}m {seconds}s"
        if minutes:
            return f"{sign}{minutes}m {seconds}s"
        return f"{sign}{go_g4(v)}s"
    v, prefix = _scale_up(v)
    return f"{go_g4(v)}{prefix}s"


def humanize_timestamp(v: float) -> str:
    """Go's time.Time String() in UTC of the timestamp truncated to milliseconds (model.TimeFromUnixNano)."""
    if math.isnan(v) or math.isinf(v):
        return go_g4(v)
    nanos = v * 1e9
    if not -(2**63) <= nanos < 2**63:
        raise ValueError(f"{go_value(v)} cannot be represented as a nanoseconds timestamp since it overflows int64")
    nanos = int(nanos)  # Go's conversion truncates toward zero, and so does the division into milliseconds
    millis = abs(nanos) // 1_000_000 * (1 if nanos >= 0 else -1)
    t = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=millis)
    fraction = f"{t.microsecond // 1000:03d}".rstrip("0")
    return f"{t:%Y-%m-%d %H:%M:%S}{'.' + fraction if fraction else ''} +0000 UTC"


def humanize_funcs() -> dict:
    return {
        "humanize": humanize,
        "humanize1024": humanize1024,
        "humanizePercentage": humanize_percentage,
        "humanizeDuration": humanize_duration,
        "humanizeTimestamp": humanize_timestamp,
    }


class UnsupportedFormat(Exception):
    pass


def sprintf(fmt: str, args: list, type_of, print_value) -> str:
    """Go's fmt.Sprintf for the verbs templates use (%v %s %d %f %F %e %E %g %G %t %%), with flags + - space 0,
    width and precision; a verb of the wrong type prints Go's `%!d(float64=1.5)`, missing and extra operands
    Go's `%!d(MISSING)` and `%!(EXTRA ...)`."""
    out: list[str] = []
    i, used = 0, 0
    while i < len(fmt):
        if fmt[i] != "%":
            out.append(fmt[i])
            i += 1
            continue
        j = i + 1
        flags = ""
        while j < len(fmt) and fmt[j] in "+-# 0":
            flags += fmt[j]
            j += 1
        width_start = j
        while j < len(fmt) and fmt[j].isdigit():
            j += 1
        width = int(fmt[width_start:j]) if j > width_start else None
        precision = None
        if j < len(fmt) and fmt[j] == ".":
            j += 1
            precision_start = j
            while j < len(fmt) and fmt[j].isdigit():
                j += 1
            precision = int(fmt[precision_start:j] or "0")
        if j >= len(fmt):
            out.append("%!(NOVERB)")
            break
        verb = fmt[j]
        i = j + 1
        if verb in "*[" or "#" in flags:
            raise UnsupportedFormat(f"printf format {fmt!r}")
        if verb == "%":
            out.append("%")
            continue
        if used >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        out.append(_one(args[used], flags, width, precision, verb, type_of, print_value))
        used += 1
    if used < len(args):
        extra = ", ".join(f"{type_of(a)}={print_value(a)}" for a in args[used:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _one(arg, flags, width, precision, verb, type_of, print_value) -> str:
    if isinstance(arg, bool):
        if verb not in "tv":
            return f"%!{verb}({type_of(arg)}={print_value(arg)})"
        return _pad("", print_value(arg), flags, width, numeric=False)
    if isinstance(arg, float):
        if verb not in "vgGeEfF":
            return f"%!{verb}(float64={go_value(arg)})"
        special = _special(arg)
        if special == "NaN":  # Go drops NaN's sign unless + or space asks for one
            return _pad("", ("+" if "+" in flags else " " if " " in flags else "") + special, flags, width, False)
        if special:
            text = " Inf" if special == "+Inf" and " " in flags and "+" not in flags else special
            return _pad("", text, flags, width, numeric=False)
        body = go_float(abs(arg), verb, precision)
        return _pad(_sign(math.copysign(1, arg) < 0, flags), body, flags, width, numeric=True)
    if isinstance(arg, int):
        if verb not in "dv":
            return f"%!{verb}(int={arg})"
        if precision is not None:
            raise UnsupportedFormat("an integer with a precision")
        return _pad(_sign(arg < 0, flags), str(abs(arg)), flags, width, numeric=True)
    if isinstance(arg, str):
        if verb not in "sv":
            return f"%!{verb}(string={arg})"
        return _pad("", arg[:precision] if precision is not None else arg, flags, width, numeric=False)
    if verb not in "sv":
        raise UnsupportedFormat(f"%{verb} of a {type_of(arg)}")
    return _pad("", print_value(arg), flags, width, numeric=False)


def _sign(negative: bool, flags: str) -> str:
    return "-" if negative else "+" if "+" in flags else " " if " " in flags else ""


def _pad(sign: str, body: str, flags: str, width: int | None, numeric: bool) -> str:
    text = sign + body
    if width is None or len(text) >= width:
        return text
    if "-" in flags:
        return text.ljust(width)
    if "0" in flags and numeric:
        return sign + body.rjust(width - len(sign), "0")
    return text.rjust(width)
