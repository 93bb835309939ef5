"""Expand the subset of Prometheus alert templates our definitions use, as Prometheus 2.42 would.

Generated promtool tests assert exact annotation text, so `$value` formatting must match Go's:
``{{ $value }}`` (Go's %v), ``humanize``, ``humanizePercentage``, ``humanizeDuration`` and
``printf "<fmt>"``, plus ``{{ $labels.name }}``. Anything else raises UnsupportedTemplate.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

_ACTION = re.compile(r"{{-?\s*(.*?)\s*-?}}")
_PRINTF_VERB = re.compile(r"%([-+ #0]*)(\d*)(?:\.(\d+))?([dfegsvGE%])")


class UnsupportedTemplate(Exception):
    pass


def expand(template: str, labels: dict[str, str], value: float) -> str:
    return _ACTION.sub(lambda m: _action(m.group(1), labels, value), template)


def _action(action: str, labels: dict[str, str], value: float) -> str:
    parts = [p.strip() for p in action.split("|")]
    head = parts[0]
    printf_head = re.fullmatch(r'printf\s+"((?:[^"\\]|\\.)*)"\s+(\$value|\$labels\.\w+)', head)
    if printf_head:
        current = _printf(printf_head.group(1), _operand(printf_head.group(2), labels, value))
    else:
        current = _operand(head, labels, value)
    for fn in parts[1:]:
        printf_pipe = re.fullmatch(r'printf\s+"((?:[^"\\]|\\.)*)"', fn)
        if printf_pipe:
            current = _printf(printf_pipe.group(1), current)
        elif fn in _FUNCS:
            current = _FUNCS[fn](_float(current))
        else:
            raise UnsupportedTemplate(f"template function {fn!r}")
    return current if isinstance(current, str) else go_value(current)


def _operand(text: str, labels: dict[str, str], value: float):
    if text in ("$value", ".Value"):
        return value
    match = re.fullmatch(r"(?:\$labels|\.Labels)\.(\w+)", text)
    if match:
        return labels.get(match.group(1), "")  # Go templates print a missing map key as ""
    raise UnsupportedTemplate(f"template action {{{{ {text} }}}}")


def _float(value) -> float:
    if isinstance(value, float):
        return value
    try:
        return float(value)
    except ValueError:
        raise UnsupportedTemplate(f"cannot convert {value!r} to a number") from None


def go_value(v: float) -> str:
    """Go's %v for a float64: shortest digits; exponent form below 1e-4 or from 1e21."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    d = Decimal(repr(v))  # repr is the shortest round-tripping form, as Go's is
    sign, digits, _ = d.as_tuple()
    adjusted = d.adjusted()
    text_digits = "".join(map(str, digits)).rstrip("0") or "0"
    minus = "-" if sign else ""
    if adjusted < -4 or adjusted >= 21:
        mantissa = text_digits[0] + ("." + text_digits[1:] if len(text_digits) > 1 else "")
        return f"{minus}{mantissa}e{'+' if adjusted >= 0 else '-'}{abs(adjusted):02d}"
    fixed = format(d, "f")
    if "." in fixed:
        fixed = fixed.rstrip("0").rstrip(".")
    return fixed if not fixed.startswith("-") else fixed


def _go_g(v: float, precision: int) -> str:
    """Go's %.<p>g: like C's, but with at least two exponent digits (same as Python)."""
    if precision < 0:
        return go_value(v)
    return f"{v:.{precision or 1}g}"


def humanize(v: float) -> str:
    if v == 0 or math.isnan(v) or math.isinf(v):
        return _go_g(v, 4)
    if abs(v) >= 1:
        prefix = ""
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(v) < 1000:
                break
            prefix = p
            v /= 1000
        return f"{_go_g(v, 4)}{prefix}"
    v, prefix = _scale_up(v)
    return f"{_go_g(v, 4)}{prefix}"


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
    return f"{_go_g(v * 100, 4)}%"


def humanize_duration(v: float) -> str:
    if math.isnan(v) or math.isinf(v):
        return _go_g(v, 4)
    if v == 0:
        return f"{_go_g(v, 4)}s"
    if abs(v) >= 1:
        sign = ""
        if v < 0:
            sign, v = "-", -v
        duration = int(v)
        seconds, minutes = duration % 60, (duration // 60) % 60
        hours, days = (duration // 3600) % 24, duration // 86400
        if days:
            return f"{sign}{days}d {hours}h {minutes}m {seconds}s"
        if hours:
            return f"{sign}{hours}h {minutes}m {seconds}s"
        if minutes:
            return f"{sign}{minutes}m {seconds}s"
        return f"{sign}{_go_g(v, 4)}s"
    v, prefix = _scale_up(v)
    return f"{_go_g(v, 4)}{prefix}s"


_FUNCS = {"humanize": humanize, "humanizePercentage": humanize_percentage, "humanizeDuration": humanize_duration}


def _printf(fmt: str, arg) -> str:
    fmt = fmt.encode().decode("unicode_escape")
    verbs = [m for m in _PRINTF_VERB.finditer(fmt) if m.group(4) != "%"]
    if len(verbs) != 1:
        raise UnsupportedTemplate(f"printf format {fmt!r} must have exactly one verb")

    def one(m):
        flags, width, precision, verb = m.groups()
        if verb == "%":
            return "%"
        if verb in "sv":
            return arg if isinstance(arg, str) else go_value(arg)
        number = _float(arg)
        if verb == "d":
            raise UnsupportedTemplate("printf %d of a float prints %!d(float64=...) in Go; use %.0f")
        spec = f"{flags}{width}{'.' + precision if precision is not None else ''}{verb}"
        if verb in "gG" and precision is None:
            return go_value(number)
        return format(number, spec)

    return _PRINTF_VERB.sub(one, fmt)
