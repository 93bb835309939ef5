"""Alert conditions: a signal against threshold steps, bands, compounds of two conditions, absent series.

Every number is a step of a Threshold (``ACCURACY["failing"]``), never a copied literal. Each condition
renders its PromQL (``expr``) and tells the test generator its comparisons (``comparisons``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

from monitoring.errors import DefinitionError
from monitoring.model._origin import caller_origin
from monitoring.model.threshold import Level

COMPARATORS = ("<", "<=", ">", ">=", "==", "!=")
_HOLDS = {
    "<": lambda v, level: v < level,
    "<=": lambda v, level: v <= level,
    ">": lambda v, level: v > level,
    ">=": lambda v, level: v >= level,
    "==": lambda v, level: v == level,
    "!=": lambda v, level: v != level,
}


def format_number(value: float) -> str:
    """Shortest exact PromQL literal: 50 -> "50", 0.05 -> "0.05"."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def operand(signal) -> str:
    """The signal as the left side of a comparison: parenthesised when its own top level is a set operation
    (``a or vector(0) > 1`` would compare only ``vector(0)``). A comparison at its top level needs none:
    comparisons share one precedence and associate to the left (``3 <= x < 20`` is ``(3 <= x) < 20``), and
    imported expressions keep their exact tree."""
    return _operand(str(signal).strip())


@functools.lru_cache(maxsize=4096)  # the test generator asks again for every case
def _operand(text: str) -> str:
    depth, quote, i = 0, "", 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "\"'`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0:
            word = text[i : i + 8].lower()
            if (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) and any(
                word.startswith(op) and (i + len(op) == len(text) or not text[i + len(op)].isalnum())
                for op in ("and", "or", "unless")
            ):
                return f"({text})"
        i += 1
    return text


@dataclass(frozen=True)
class Comparison:
    """One comparison the test generator drives: ``signal op value``."""

    signal: str
    op: str
    value: float

    def holds(self, value: float) -> bool:
        return _HOLDS[self.op](value, self.value)

    @property
    def text(self) -> str:
        return f"{self.op} {self.value:g}"


def _check_level(level, what="an alert condition") -> None:
    if not isinstance(level, Level):
        raise DefinitionError(
            f"{what} compares against a threshold step, e.g. ACCURACY['failing'], not {level!r}", caller_origin()
        )


@dataclass(frozen=True)
class Condition:
    """``signal <op> level``: the level is a step of a Threshold, never a copied number."""

    signal: object
    op: str
    level: Level

    def __post_init__(self):
        if self.op not in COMPARATORS:
            raise DefinitionError(f"comparator {self.op!r} is not one of {COMPARATORS}", caller_origin())
        _check_level(self.level)

    @property
    def expr(self) -> str:
        return f"{operand(self.signal)} {self.op} {format_number(self.level.value)}"

    def comparisons(self) -> tuple[Comparison, ...]:
        return (Comparison(str(self.signal), self.op, self.level.value),)

    def with_signals(self, change) -> Condition:
        """The same condition over ``change(signal)`` (the e2e overlay rewrites range windows this way)."""
        return replace(self, signal=change(str(self.signal)))


@dataclass(frozen=True)
class Band:
    """Outside [low, high]: ``signal < low or signal > high``."""

    signal: object
    low: Level
    high: Level

    def __post_init__(self):
        _check_level(self.low, "outside()")
        _check_level(self.high, "outside()")
        if not self.low.value < self.high.value:
            raise DefinitionError(
                f"outside(): the low step ({self.low.value:g}) must be below the high step ({self.high.value:g})",
                caller_origin(),
            )

    @property
    def op(self) -> str:
        return "outside"

    @property
    def expr(self) -> str:
        signal = operand(self.signal)
        return f"{signal} < {format_number(self.low.value)} or {signal} > {format_number(self.high.value)}"

    def comparisons(self) -> tuple[Comparison, ...]:
        signal = str(self.signal)
        return (Comparison(signal, "<", self.low.value), Comparison(signal, ">", self.high.value))

    def with_signals(self, change) -> Band:
        return replace(self, signal=change(str(self.signal)))


@dataclass(frozen=True)
class Compound:
    """``first and second`` (both hold), ``first unless second`` (the first holds, the second does not) or
    ``first or second`` (either holds; where both do, the first's series and value).

    ``on`` names the labels the two sides are matched on (PromQL's ``on (...)``); by default all labels.
    """

    first: object
    op: str
    second: object
    on: tuple[str, ...] | None = None

    def __post_init__(self):
        if self.op not in ("and", "unless", "or"):
            raise DefinitionError(f"a compound condition is 'and', 'unless' or 'or', not {self.op!r}", caller_origin())
        for side in (self.first, self.second):
            if not isinstance(side, (Condition, Band)):
                raise DefinitionError(
                    "both(), unless() and either() combine two conditions such as above(...) and below(...)",
                    caller_origin(),
                )
        if self.on is not None:
            object.__setattr__(self, "on", tuple(self.on))

    @property
    def signal(self) -> object:
        return self.first.signal

    @property
    def expr(self) -> str:
        matching = f" on ({', '.join(self.on)})" if self.on is not None else ""
        return f"({self.first.expr}) {self.op}{matching} ({self.second.expr})"

    def comparisons(self) -> tuple[Comparison, ...]:
        return self.first.comparisons() + self.second.comparisons()

    def with_signals(self, change) -> Compound:
        return replace(self, first=self.first.with_signals(change), second=self.second.with_signals(change))


@dataclass(frozen=True)
class Absent:
    """No series matches the selector (a target stopped reporting): ``absent(selector)``."""

    selector: object

    def __post_init__(self):
        text = str(self.selector)
        if not text or any(char in text for char in "()[]"):
            raise DefinitionError(
                f"absent() takes one series selector such as JOBS.select(job='api'), not {text!r}", caller_origin()
            )

    @property
    def signal(self) -> object:
        return self.selector

    @property
    def op(self) -> str:
        return "absent"

    @property
    def expr(self) -> str:
        return f"absent({self.selector})"

    def comparisons(self) -> tuple[Comparison, ...]:
        return ()

    def with_signals(self, change) -> Absent:
        return replace(self, selector=change(str(self.selector)))


def _comparison(name: str, op: str, example: str = ""):
    """The definitions' spelling of ``signal <op> level``: one function a comparator, made from the table below."""

    def compare(signal, level: Level) -> Condition:
        return Condition(signal, op, level)

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = f"``signal {op} level``{example}."
    return compare


below = _comparison("below", "<")
above = _comparison("above", ">")
at_most = _comparison("at_most", "<=")
at_least = _comparison("at_least", ">=")
equal_to = _comparison("equal_to", "==", " (e.g. ``up == 0``)")
not_equal_to = _comparison("not_equal_to", "!=")


def outside(signal, low: Level, high: Level) -> Band:
    """``signal < low or signal > high``: a two-sided band."""
    return Band(signal, low, high)


def both(first, second, on: tuple[str, ...] | None = None) -> Compound:
    """``first and second``: fires only while both conditions hold."""
    return Compound(first, "and", second, on)


def unless(first, second, on: tuple[str, ...] | None = None) -> Compound:
    """``first unless second``: fires while the first holds and the second does not."""
    return Compound(first, "unless", second, on)


def either(first, second, on: tuple[str, ...] | None = None) -> Compound:
    """``first or second``: fires while either condition holds (two different signals; one signal outside a
    range is ``outside()``)."""
    return Compound(first, "or", second, on)


def absent(selector) -> Absent:
    """``absent(selector)``: fires while no series matches (a no-data alert)."""
    return Absent(selector)
