"""Synthetic input shapes for generated promtool tests, used by alert drivers in definitions.

A driver is ``driver(value) -> {series selector: CounterRate | GaugeValue}``: the input series that
put an alert's signal at ``value``. The test generator calls it with a value past the threshold, one
just on the safe side and a healthy one, and computes the expected outcome itself.
"""

from __future__ import annotations

from dataclasses import dataclass

# Counter rates are rounded to multiples of 1/64 so promtool's repeated additions stay exact in float64.
GRID = 64


def on_grid(value: float) -> float:
    return round(value * GRID) / GRID


@dataclass(frozen=True)
class GaugeValue:
    """A gauge holding ``value``. Not rounded: a constant series is exact as it is, and rounding would
    move a value that must sit exactly on a threshold (the generated "safe side" case)."""

    value: float


@dataclass(frozen=True)
class CounterRate:
    """A counter increasing by ``per_second`` every second (it starts an hour into its life)."""

    per_second: float

    def __post_init__(self):
        object.__setattr__(self, "per_second", on_grid(self.per_second))
