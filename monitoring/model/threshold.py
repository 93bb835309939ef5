"""Thresholds: one object that colours panels, sets alert conditions and drives generated tests."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from monitoring.errors import DefinitionError
from monitoring.model import _types as types
from monitoring.model._origin import Located, caller_origin

_COLOUR_RE = re.compile(r"^(#[0-9a-fA-F]{6}|[a-z]+(-[a-z]+)*)\Z")
_COLOUR = types.Syntax(
    _COLOUR_RE,
    "threshold {threshold!r}: colour {value!r} is not a Grafana colour",
    "use a named colour such as 'green' or '#RRGGBB'",
)


@dataclass(frozen=True)
class Step:
    """A band that starts at ``value`` (None = minus infinity) and goes up to the next step."""

    value: float | None
    color: str
    meaning: str

    def __post_init__(self):
        value_ok = self.value is None or (
            isinstance(self.value, (int, float)) and not isinstance(self.value, bool) and math.isfinite(self.value)
        )
        if not (value_ok and isinstance(self.color, str) and isinstance(self.meaning, str)):
            origin = caller_origin()  # only on a mistake: finding the user's line is not free
            types.number(self.value, "a threshold step's value", origin, none=True)
            types.text(self.color, "a threshold step's colour", origin)
            types.text(self.meaning, "a threshold step's meaning", origin)


@dataclass(frozen=True)
class Threshold(Located):
    """Ordered steps, lowest first, as Grafana draws them.

    ``threshold["failing"]`` returns the step whose band is called "failing"; alerts compare
    against that step's value, so panels, alerts and tests cannot drift apart.
    """

    name: str
    steps: tuple[Step, ...]
    unit: str = ""

    def __post_init__(self):
        super().__post_init__()
        types.text(self.name, "a threshold's name", self.origin)
        types.sequence(self.steps, f"threshold {self.name!r}: steps", self.origin, Step)
        object.__setattr__(self, "steps", tuple(self.steps))
        if not self.steps:
            raise DefinitionError(f"threshold {self.name!r} has no steps", self.origin)
        if self.steps[0].value is not None:
            raise DefinitionError(
                f"threshold {self.name!r}: the first step must start at None (minus infinity)",
                self.origin,
                "Grafana colours values below the first step with the first step's colour",
            )
        values = [s.value for s in self.steps[1:]]
        if any(v is None for v in values):
            raise DefinitionError(f"threshold {self.name!r}: only the first step may have value None", self.origin)
        for lower, upper in zip(values, values[1:]):
            if not lower < upper:
                raise DefinitionError(
                    f"threshold {self.name!r}: steps out of order ({lower} then {upper})",
                    self.origin,
                    "list steps from the lowest value to the highest, each strictly greater",
                )
        meanings = [s.meaning for s in self.steps]
        if len(set(meanings)) != len(meanings):
            raise DefinitionError(
                f"threshold {self.name!r}: two steps share a meaning",
                self.origin,
                "step meanings name the bands and must be unique",
            )
        for s in self.steps:
            _COLOUR.check(s.color, self.origin, threshold=self.name)

    def __getitem__(self, meaning: str) -> Level:
        for s in self.steps:
            if s.meaning == meaning:
                if s.value is None:
                    raise DefinitionError(
                        f"threshold {self.name!r}: band {meaning!r} has no lower bound to compare against",
                        caller_origin(),
                    )
                return Level(self, s)
        raise DefinitionError(
            f"threshold {self.name!r} has no step {meaning!r}",
            caller_origin(),
            f"its steps are: {', '.join(s.meaning for s in self.steps)}",
        )

    def step_for(self, value: float) -> Step:
        """The band a value falls in (Grafana: a value equal to a step's value takes that step)."""
        current = self.steps[0]
        for s in self.steps[1:]:
            if value >= s.value:
                current = s
        return current

    def boundaries(self) -> tuple[float, ...]:
        return tuple(s.value for s in self.steps[1:])


@dataclass(frozen=True)
class Level:
    """One boundary of a Threshold (the lower edge of a named band), as alerts reference it."""

    threshold: Threshold
    step: Step

    @property
    def value(self) -> float:
        return self.step.value
