"""The one duration parser and formatter: Prometheus' and Alertmanager's ``model.Duration``.

Both servers parse durations with prometheus/common's ``ParseDuration``: units y, w, d, h, m, s, ms,
each at most once and largest first (``1h30m``, not ``30m1h``), a bare ``0``, and nothing that
overflows Go's int64 nanoseconds (about 292 years: "duration out of range"). What they reject is a
definition error here, so it never reaches a generated file.
"""

from __future__ import annotations

import functools
import re

from monitoring.errors import DefinitionError

_UNITS = (("y", 31_536_000_000), ("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000))
_UNITS += (("ms", 1),)
_DURATION_RE = re.compile("^" + "".join(f"(?:([0-9]+){unit})?" for unit, _ in _UNITS) + r"\Z")
_MAX_NANOSECONDS = 2**63 - 1
HINT = "write e.g. 30s, 5m or 1h30m (units y, w, d, h, m, s, ms, each once, largest first)"


def parse_duration(text: str, where: str = "") -> float:
    """Seconds in a Prometheus duration ("1h30m" -> 5400.0); what Prometheus rejects is a DefinitionError."""
    if not isinstance(text, str):
        raise DefinitionError(f"a duration must be a string such as '5m', not {type(text).__name__}", where, HINT)
    return _parse(text, where)


@functools.lru_cache(maxsize=4096)  # the same few durations, parsed again for every generated case
def _parse(text: str, where: str) -> float:
    if text == "0":
        return 0.0
    match = _DURATION_RE.match(text) if len(text) <= 100 else None
    if not text or match is None:
        raise DefinitionError(f"{text[:40]!r} is not a Prometheus duration", where, HINT)
    nanoseconds = 0
    for (_, millis), number in zip(_UNITS, match.groups()):
        if number is not None:
            nanoseconds += int(number) * millis * 1_000_000
    if nanoseconds > _MAX_NANOSECONDS:
        raise DefinitionError(
            f"{text[:40]!r} is out of range (Prometheus and Alertmanager accept up to about 292 years)", where, HINT
        )
    return nanoseconds / 1e9


def format_duration(seconds: float) -> str:
    """The shortest duration in h, m, s and ms, largest first (5400 -> "1h30m", 0.25 -> "250ms", 0 -> "0s").

    Days and longer are written in hours (as the generated files always have been).
    """
    millis = round(seconds * 1000)
    if millis < 0:
        raise ValueError(f"a negative duration: {seconds}")
    text = ""
    for unit, size in _UNITS[3:]:
        count, millis = divmod(millis, size)
        if count:
            text += f"{count}{unit}"
    return text or "0s"
