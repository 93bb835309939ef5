"""What the evaluator computes with: series, label sets, stale markers, and its two errors.

Values flow as plain Python objects so the hot paths stay cheap: a scalar is a float, a string a str, an
instant vector a list of (labels, value), a range vector a list of (labels, samples) where samples are
(time in seconds, value) in increasing time.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache

LOOKBACK = 300.0  # seconds, Prometheus' default lookback delta

Labels = tuple  # sorted tuple of (name, value), including "__name__" where present

# Prometheus marks a series that disappeared with this NaN (value.StaleNaN); the selectors skip it.
STALE_NAN_BITS = 0x7FF0000000000002
STALE_NAN: float = struct.unpack("<d", struct.pack("<Q", STALE_NAN_BITS))[0]
_STALE_BYTES = struct.pack("<d", STALE_NAN)


def is_stale(value: float) -> bool:
    return value != value and struct.pack("<d", value) == _STALE_BYTES


class Unsupported(Exception):
    """The expression uses something the evaluator does not implement (named, with its column when known)."""

    def __init__(self, message: str, construct: str | None = None):
        super().__init__(message)
        self.construct = construct  # the text to look for in the expression to report a column


class QueryError(Unsupported):
    """Prometheus itself would fail this query (many-to-many matching, duplicate label sets, bad arguments).

    A subclass of Unsupported: either way the generator has no expected value to write.
    """


@dataclass(frozen=True)
class Series:
    labels: Labels
    samples: tuple[tuple[float, float], ...]  # (time in seconds, value), increasing time


def labels_of(mapping: dict) -> Labels:
    return tuple(sorted(mapping.items()))


@lru_cache(maxsize=1 << 16)  # the same few label sets recur at every evaluation step
def drop_name(labels: Labels) -> Labels:
    return tuple((k, v) for k, v in labels if k != "__name__")


def check_unique(vector: list, what: str) -> list:
    """Prometheus' ContainsSameLabelset check on a result vector."""
    if len(vector) > 1 and len({labels for labels, _ in vector}) < len(vector):
        raise QueryError(f"{what}: vector cannot contain metrics with the same labelset")
    return vector
