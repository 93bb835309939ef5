"""A short string a label matcher's regex matches, for synthesising series that a ``=~`` selector selects.

``job=~".*thanos-compact.*"`` -> ``thanos-compact``; ``device=~"(/dev/)?(nvme.+|sd.+)"`` -> ``nvmea``. Built
from Python's own regex parser (RE2's syntax, as Prometheus uses it, is a subset for what label matchers
write): the first alternative of each branch, the fewest repetitions, the first character of each class.
The result is checked with a full match; None when no example is found.
"""

from __future__ import annotations

import re

try:  # Python 3.11+
    from re import _constants as _c
    from re import _parser as _sre
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _sre  # type: ignore[no-redef]

_CATEGORY = {
    _c.CATEGORY_DIGIT: "0",
    _c.CATEGORY_NOT_DIGIT: "a",
    _c.CATEGORY_SPACE: " ",
    _c.CATEGORY_NOT_SPACE: "a",
    _c.CATEGORY_WORD: "a",
    _c.CATEGORY_NOT_WORD: "-",
}


class _NoExample(Exception):
    pass


def example(pattern: str) -> str | None:
    """A string ``pattern`` fully matches (Prometheus anchors label regexes), or None."""
    try:
        parsed = _sre.parse(pattern)
        text = _build(parsed)
        return text if re.fullmatch(pattern, text, re.S) else None
    except (re.error, _NoExample, RecursionError, OverflowError):
        return None


def _build(items) -> str:
    return "".join(_item(op, av) for op, av in items)


def _item(op, av) -> str:
    if op is _c.LITERAL:
        return chr(av)
    if op is _c.NOT_LITERAL:
        return "a" if chr(av) != "a" else "b"
    if op is _c.ANY:
        return "a"
    if op is _c.IN:
        return _in(av)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        low, _high, inner = av
        return _build(inner) * low
    if op is _c.SUBPATTERN:
        return _build(av[-1])
    if op is _c.BRANCH:
        return _build(av[1][0])
    if op is _c.AT:
        return ""
    raise _NoExample(op)


def _in(items) -> str:
    negate = any(op is _c.NEGATE for op, _ in items)
    if negate:
        excluded = set()
        for op, av in items:
            if op is _c.LITERAL:
                excluded.add(chr(av))
            elif op is _c.RANGE:
                excluded.update(chr(c) for c in range(av[0], av[1] + 1))
        for candidate in "abcxyz0-_":
            if candidate not in excluded:
                return candidate
        raise _NoExample("class")
    op, av = items[0]
    if op is _c.LITERAL:
        return chr(av)
    if op is _c.RANGE:
        return chr(av[0])
    if op is _c.CATEGORY:
        return _CATEGORY.get(av, "a")
    raise _NoExample(op)
