"""A runner for Prometheus' PromQL engine test scripts (promql/test.go's format) against our evaluator.

The format: `load <step>` then series lines (`metric{labels} 1+2x3 _ stale ...`, promtool's expanding
notation), `clear`, and `eval[_fail|_ordered] instant at <time> <expr>` followed by the expected samples
(`{labels} value`) or one scalar. Values compare as test.go's almostEqual does (relative 1e-6, NaN equals
NaN); `eval_fail` expects an error; `eval_ordered` also checks the order of the result.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from monitoring.promql.evaluator import STALE_NAN, Evaluator, QueryError, Series, Unsupported, labels_of

EPSILON = 0.000001
MIN_NORMAL = 2.2250738585072014e-308

_DURATION = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
# In series values "x" is the repetition sign, so 0x10 is 0 ten times, never hexadecimal.
_UNSIGNED = r"(?:inf|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)"
_ITEM = re.compile(rf"^(?P<a>[+-]?{_UNSIGNED}|stale)(?P<b>[+-]{_UNSIGNED})?(?:x(?P<n>\d+))?$", re.I)
_EVAL = re.compile(r"^eval(?:_(fail|ordered))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$")


def parse_duration(text: str) -> float:
    """model.ParseDuration: 1h30m, 10s, 100ms, 0."""
    if text == "0":
        return 0.0
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"bad duration {text!r}")
    return sum(int(n) * _UNITS[u] for n, u in parts)


def parse_number(text: str) -> float:
    """strconv.ParseInt(s, 0, 64), then ParseFloat (test.go's parseNumber)."""
    t = text.strip()
    try:
        return float(int(t, 0))
    except ValueError:
        pass
    if "_" in t:
        raise ValueError(t)
    return float(t)


def _number(text: str) -> float:
    lowered = text.lower()
    if "0x" in lowered:
        sign = -1.0 if lowered.startswith("-") else 1.0
        return sign * float(int(lowered.lstrip("+-"), 16))
    return float(text)


def parse_values(text: str) -> list[float | None]:
    """Series values in expanding notation; None for an omitted sample (`_`)."""
    values: list[float | None] = []
    for token in text.split():
        if token == "_":
            values.append(None)
            continue
        if token.startswith("_x"):
            values.extend([None] * int(token[2:]))
            continue
        m = _ITEM.match(token)
        if not m:
            raise ValueError(f"bad series value {token!r}")
        a = STALE_NAN if m.group("a").lower() == "stale" else _number(m.group("a"))
        if m.group("n") is None:
            if m.group("b") is not None:
                raise ValueError(f"bad series value {token!r}")
            values.append(a)
            continue
        n = int(m.group("n"))
        step = _number(m.group("b")) if m.group("b") is not None else 0.0
        for _ in range(n + 1):  # a+bxN is N+1 values, by repeated addition as Prometheus' parser does
            values.append(a)
            a += step
    return values


def split_series(line: str) -> tuple[dict[str, str], str]:
    """`metric{a="b"} rest` -> ({"__name__": "metric", "a": "b"}, rest)."""
    i, n = 0, len(line)
    while i < n and line[i] not in "{ \t":
        i += 1
    name = line[:i]
    labels: dict[str, str] = {"__name__": name} if name else {}
    if i < n and line[i] == "{":
        i += 1
        while True:
            while i < n and line[i] in " \t,":
                i += 1
            if line[i] == "}":
                i += 1
                break
            j = i
            while line[j] not in "=":
                j += 1
            key = line[i:j].strip()
            i = j + 1
            while line[i] in " \t":
                i += 1
            quote = line[i]
            j = i + 1
            value_chars = []
            while line[j] != quote:
                if line[j] == "\\":
                    j += 1
                    value_chars.append({"n": "\n", "t": "\t"}.get(line[j], line[j]))
                else:
                    value_chars.append(line[j])
                j += 1
            labels[key] = "".join(value_chars)
            i = j + 1
    return labels, line[i:].strip()


@dataclass
class Eval:
    line: int
    mode: str  # "", "fail", "ordered"
    at: float
    expr: str
    scalar: float | None = None
    expected: list[tuple[tuple, float]] = field(default_factory=list)


@dataclass
class Script:
    """Commands in order: ("load", [Series]) , ("clear", None), ("eval", Eval)."""

    path: Path
    commands: list = field(default_factory=list)


def read_script(path: Path) -> Script:
    lines = [ln.strip() for ln in path.read_text().split("\n")]
    lines = ["" if ln.startswith("#") else ln for ln in lines]
    script = Script(path)
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        word = line.split()[0].lower()
        if word == "clear":
            script.commands.append(("clear", None))
            i += 1
        elif word == "load":
            gap = parse_duration(line.split(None, 1)[1])
            series = []
            i += 1
            while i < len(lines) and lines[i]:
                labels, rest = split_series(lines[i])
                samples = tuple((k * gap, v) for k, v in enumerate(parse_values(rest)) if v is not None)
                series.append(Series(labels_of(labels), samples))
                i += 1
            script.commands.append(("load", series))
        elif word.startswith("eval"):
            m = _EVAL.match(line)
            if not m:
                raise ValueError(f"{path.name}:{i + 1}: bad eval command")
            case = Eval(i + 1, m.group(1) or "", parse_duration(m.group(2)), m.group(3))
            i += 1
            while i < len(lines) and lines[i]:
                try:
                    case.scalar = parse_number(lines[i])
                    i += 1
                    break
                except ValueError:
                    pass
                labels, rest = split_series(lines[i])
                values = parse_values(rest)
                case.expected.append((labels_of(labels), values[0] if values else math.nan))
                i += 1
            script.commands.append(("eval", case))
        else:
            raise ValueError(f"{path.name}:{i + 1}: unknown command {line!r}")
    return script


def almost_equal(a: float, b: float) -> bool:
    if math.isnan(a) and math.isnan(b):
        return True
    if a == b:
        return True
    diff = abs(a - b)
    if a == 0 or b == 0 or diff < MIN_NORMAL:
        return diff < EPSILON * MIN_NORMAL
    return diff / (abs(a) + abs(b)) < EPSILON


@dataclass
class Outcome:
    script: str
    case: Eval
    status: str  # "pass", "fail", "unsupported"
    detail: str = ""


def run_script(script: Script) -> list[Outcome]:
    loaded: dict[tuple, Series] = {}
    outcomes = []
    evaluator = None
    for kind, payload in script.commands:
        if kind == "clear":
            loaded, evaluator = {}, None
        elif kind == "load":
            for series in payload:  # a later load adds samples to the same series
                old = loaded.get(series.labels)
                samples = series.samples
                if old:
                    samples = tuple(sorted({**dict(old.samples), **dict(series.samples)}.items()))
                loaded[series.labels] = Series(series.labels, samples)
            evaluator = None
        else:
            if evaluator is None:
                evaluator = Evaluator(list(loaded.values()))
            outcomes.append(Outcome(script.path.name, payload, *check(evaluator, payload)))
    return outcomes


def check(evaluator: Evaluator, case: Eval) -> tuple[str, str]:
    try:
        result = evaluator.query(case.expr, case.at)
    except QueryError as exc:
        return ("pass", "") if case.mode == "fail" else ("fail", f"error: {exc}")
    except Unsupported as exc:
        return "unsupported", str(exc)
    except Exception as exc:  # a crash is a failure, reported with its type
        return "fail", f"crash: {type(exc).__name__}: {exc}"
    if case.mode == "fail":
        return "fail", "expected an error, got a result"
    if isinstance(result, float):
        if case.scalar is None:
            return "fail", f"got scalar {result}, expected a vector"
        return ("pass", "") if almost_equal(case.scalar, result) else ("fail", f"expected {case.scalar}, got {result}")
    if isinstance(result, str):
        return "fail", f"got string {result!r}"
    if case.scalar is not None:
        return "fail", f"got a vector {result}, expected scalar {case.scalar}"
    expected = {labels: (pos, value) for pos, (labels, value) in enumerate(case.expected)}
    seen = set()
    for pos, (labels, value) in enumerate(result):
        if labels not in expected:
            return "fail", f"unexpected series {dict(labels)} = {value}"
        exp_pos, exp_value = expected[labels]
        if case.mode == "ordered" and exp_pos != pos:
            return "fail", f"{dict(labels)} at position {pos + 1}, expected {exp_pos + 1}"
        if not almost_equal(exp_value, value):
            return "fail", f"{dict(labels)}: expected {exp_value}, got {value}"
        seen.add(labels)
    missing = [dict(labels) for labels in expected if labels not in seen]
    if missing:
        return "fail", f"missing {missing}"
    return "pass", ""
