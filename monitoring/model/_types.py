"""Argument checks for the model's constructors: a wrong type is a clear definition error at the user's line.

Definitions are Python, so ``Step("0.8", ...)``, ``runbook_base_url=5`` or ``Label("m", ("baseline"))``
(a string, not a tuple: eight one-letter values) would otherwise fail much later, far from the
mistake, or not at all.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from numbers import Real

from monitoring.errors import DefinitionError


def text(value, what: str, origin: str, empty: bool = True) -> None:
    """``value`` must be a str (non-empty unless ``empty``)."""
    if not isinstance(value, str):
        raise DefinitionError(
            f"{what} must be a string, not {type(value).__name__} {_short(value)}", origin, "put it in quotes"
        )
    if not empty and not value.strip():
        raise DefinitionError(f"{what} must not be empty", origin)


def number(value, what: str, origin: str, none: bool = False) -> None:
    """``value`` must be a finite real number (or None when ``none``); a bool or a string is refused."""
    if value is None and none:
        return
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        hint = "write the number without quotes, e.g. 0.8" if isinstance(value, str) else "write a finite number"
        raise DefinitionError(
            f"{what} must be a number{' or None' if none else ''}, not {type(value).__name__} {_short(value)}",
            origin,
            hint,
        )


def sequence(value, what: str, origin: str, of: type | tuple | None = None) -> None:
    """``value`` must be a tuple or list (a bare string is the classic mistake: ``("a")`` is not a tuple)."""
    if isinstance(value, (str, bytes)):
        raise DefinitionError(
            f"{what} must be a tuple, not the string {_short(value)}",
            origin,
            f"write ({_short(value)},) with a trailing comma for a single value",
        )
    if not isinstance(value, (tuple, list)):
        raise DefinitionError(f"{what} must be a tuple, not {type(value).__name__}", origin, "write (a, b, ...)")
    if of is not None:
        for item in value:
            if not isinstance(item, of):
                names = " or ".join(t.__name__ for t in (of if isinstance(of, tuple) else (of,)))
                raise DefinitionError(
                    f"{what} must hold {names} values, not {type(item).__name__} {_short(item)}", origin
                )


@dataclass(frozen=True)
class Syntax:
    """A name's syntax and the error a name that breaks it makes, declared once beside its pattern.

    ``problem`` shows the name as ``{value!r}`` and may name more of the context (``{stack!r}``) given to check."""

    pattern: re.Pattern
    problem: str
    hint: str = ""

    def check(self, value: str, origin: str, **context) -> None:
        if not self.pattern.match(value):
            raise DefinitionError(self.problem.format(value=value, **context), origin, self.hint)


def _short(value) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."
