"""The functions and value rules of alert templates, as Prometheus 2.42 runs them: Go's text/template builtins
(`eq ne lt le gt ge and or not len index print printf`), Go's truth and printing of values, and Prometheus'
own functions (template/template.go). Numbers are formatted in `gofmt.py`."""

from __future__ import annotations

import re

from monitoring.errors import DefinitionError
from monitoring.model.durations import parse_duration
from monitoring.promql.gomath import parse_float
from monitoring.testgen.gofmt import UnsupportedFormat, go_value, humanize_funcs, sprintf


class UnsupportedTemplate(Exception):
    pass


def truth(value) -> bool:
    """Go's template truth: false, 0, nil and empty strings, maps and slices are false."""
    if value is None:
        return False
    if isinstance(value, (bool, int, float, str, dict, list)):
        return bool(value)
    return True


def go_type(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map[string]string"
    return type(value).__name__


def print_value(value) -> str:
    """Go's fmt.Sprint of a template value (text/template prints with %v)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_value(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{v}" for k, v in sorted(value.items())) + "]"
    if value is None:
        return "<no value>"
    raise UnsupportedTemplate(f"printing a {go_type(value)}")


def _compare(name: str, a, b) -> bool:
    ta, tb = go_type(a), go_type(b)
    if ta != tb or ta not in ("int", "float64", "string", "bool") or (ta == "bool" and name not in ("eq", "ne")):
        raise UnsupportedTemplate(f"{name} of a {ta} and a {tb} (Go: incompatible types for comparison)")
    return {"eq": a == b, "ne": a != b, "lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[name]


def _eq(*args):
    if len(args) < 2:
        raise UnsupportedTemplate("eq with fewer than two arguments")
    return any(_compare("eq", args[0], other) for other in args[1:])


def _logic_and(*args):
    for arg in args:
        if not truth(arg):
            return arg
    return args[-1]


def _logic_or(*args):
    for arg in args:
        if truth(arg):
            return arg
    return args[-1]


def _len(value):
    if isinstance(value, (str, dict)):
        return len(value.encode()) if isinstance(value, str) else len(value)
    raise UnsupportedTemplate(f"len of a {go_type(value)}")


def _index(value, *keys):
    for key in keys:
        if not isinstance(value, dict) or not isinstance(key, str):
            raise UnsupportedTemplate(f"index of a {go_type(value)}")
        value = value.get(key, "")
    return value


def _sprint(*args) -> str:
    """Go's fmt.Sprint: a space between operands when neither is a string."""
    out = ""
    for i, arg in enumerate(args):
        if i and not isinstance(arg, str) and not isinstance(args[i - 1], str):
            out += " "
        out += print_value(arg)
    return out


def _title(text: str) -> str:
    """Go's strings.Title: upper-case the first letter of each word; letters, digits, `_` and marks join words."""
    out, previous = [], " "
    for ch in text:
        separator = not (previous.isalnum() or previous == "_") if previous.isascii() else previous.isspace()
        out.append(ch.upper() if separator else ch)
        previous = ch
    return "".join(out)


def _strip_port(host_port: str) -> str:
    m = re.fullmatch(r"\[([^\]]*)\]:(\d*)|([^:\[\]]*):(\d*)", host_port)
    if not m:
        return host_port
    return m.group(1) if m.group(1) is not None else m.group(3)


def _parse_duration(text: str) -> float:
    """Prometheus' model.ParseDuration, in seconds."""
    try:
        return parse_duration(text)
    except DefinitionError as error:
        raise UnsupportedTemplate(f"parseDuration of {text[:40]!r}") from error


def _printf(fmt, *args):
    if not isinstance(fmt, str):
        raise UnsupportedTemplate(f"printf with a {go_type(fmt)} format")
    try:
        return sprintf(fmt, list(args), go_type, print_value)
    except UnsupportedFormat as exc:
        raise UnsupportedTemplate(str(exc)) from None


_GO_BUILTINS = {
    "eq": _eq,
    "ne": lambda a, b: _compare("ne", a, b),
    "lt": lambda a, b: _compare("lt", a, b),
    "le": lambda a, b: _compare("le", a, b),
    "gt": lambda a, b: _compare("gt", a, b),
    "ge": lambda a, b: _compare("ge", a, b),
    "and": _logic_and,
    "or": _logic_or,
    "not": lambda a: not truth(a),
    "len": _len,
    "index": _index,
    "print": _sprint,
    "printf": _printf,
}


def _string_func(fn):
    def call(value):
        if not isinstance(value, str):
            raise UnsupportedTemplate(f"a {go_type(value)} given where Go wants a string")
        return fn(value)

    return call


def _number_func(fn):
    """Prometheus' humanize* take any value and convert it (convertToFloat: float64, int, or a string)."""

    def call(value):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise UnsupportedTemplate(f"can't convert {go_type(value)} to float")
        if isinstance(value, str):
            try:
                value = parse_float(value)
            except ValueError:
                raise UnsupportedTemplate(f"cannot convert {value!r} to a number") from None
        return fn(float(value))

    return call


_PROMETHEUS_FUNCS = {
    **{name: _number_func(fn) for name, fn in humanize_funcs().items()},
    "toUpper": _string_func(str.upper),
    "toLower": _string_func(str.lower),
    "title": _string_func(_title),
    "stripPort": _string_func(_strip_port),
    "parseDuration": _string_func(_parse_duration),
}

_FUNCS = {**_GO_BUILTINS, **_PROMETHEUS_FUNCS}


def call(name: str, args: list):
    if name not in _FUNCS:
        raise UnsupportedTemplate(f"template function {name!r}")
    try:
        return _FUNCS[name](*args)
    except ValueError as exc:  # a value the function refuses: Prometheus fails the expansion
        raise UnsupportedTemplate(f"template function {name!r}: {exc}") from None
    except TypeError:
        raise UnsupportedTemplate(f"template function {name!r} with {len(args)} arguments") from None
