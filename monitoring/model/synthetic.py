"""Input shapes for generated promtool tests: what one input series does during one phase of a test.

A generated test is a timeline of phases (a healthy phase, then the phase that crosses the threshold: every
generated case is a *step* from one phase to the next). In each phase every input series has one shape:

- ``GaugeValue(v)``: a gauge holding v (constant);
- ``CounterRate(r)``: a counter increasing by r per second (it starts an hour into its life);
- ``Ramp(r, start=None)``: a gauge rising (r > 0) or falling (r < 0) by r per second, from ``start`` or from
  where it was (``anchored=True``: ``start`` is its value at time 0, e.g. a timestamp lagging the clock);
- ``CounterReset(r, every=None)``: the counter restarts from 0 (a process restart), then increases by r per
  second (``every``: again every that many samples);
- ``Flapping(low, high, every)``: a gauge switching between two values every that many samples;
- ``Absence()``: no samples (the series is absent, promtool's ``_``);
- ``Stale()``: the series goes stale (a staleness marker, promtool's ``stale``), then has no samples.

Optional hand-written drivers return ``{series selector: shape}`` for a signal value: ``driver(value)``.
Values are used exactly as given (no rounding); test names show the value the inputs actually produce.
"""

from __future__ import annotations

from dataclasses import dataclass

# The generator's own synthetic rates (recording-rule datasets, histogram buckets) are multiples of 1/GRID per
# second: sample values are then exact binary fractions, so repeated additions are exact and steps repeat bit
# for bit. Its searches use a finer grid (testgen.search). A driver's CounterRate is used as given.
GRID = 64


def on_grid(value: float) -> float:
    return round(value * GRID) / GRID


@dataclass(frozen=True)
class GaugeValue:
    """A gauge holding ``value``."""

    value: float


@dataclass(frozen=True)
class CounterRate:
    """A counter increasing by ``per_second`` every second (it starts an hour into its life)."""

    per_second: float

    def __post_init__(self):
        if not self.per_second >= 0:
            raise ValueError(f"a counter cannot go backwards (rate {self.per_second}); use CounterReset for a reset")


@dataclass(frozen=True)
class Ramp:
    """A gauge changing linearly by ``per_second``, from ``start`` (or from its value in the phase before).

    ``anchored``: ``start`` is the value at the test's time 0 instead (``Ramp(1, -600, anchored=True)`` is a
    Unix-time gauge 10 minutes behind the clock, as ``time() - x`` reads it).
    """

    per_second: float
    start: float | None = None
    anchored: bool = False


@dataclass(frozen=True)
class CounterReset:
    """The counter restarts from 0 at the start of the phase, then increases by ``per_second``
    (``every``: it restarts again every that many samples, a crash-looping process)."""

    per_second: float
    every: int | None = None


@dataclass(frozen=True)
class Flapping:
    """A gauge switching between ``low`` and ``high`` every ``every`` samples (for ``changes()``)."""

    low: float
    high: float
    every: int = 1


@dataclass(frozen=True)
class Absence:
    """No samples during the phase."""


@dataclass(frozen=True)
class Stale:
    """A staleness marker at the start of the phase, then no samples."""
