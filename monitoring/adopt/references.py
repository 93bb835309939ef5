"""PromQL text as f-string pieces: each series name in a selector becomes a reference to its Python object.

``sum(rate(http_requests_total[5m]))`` -> ``["sum(rate(", Ref("HTTP_REQUESTS_TOTAL"), "[5m]))"]``, so the
definitions read like hand-written ones (``f"sum(rate({HTTP_REQUESTS_TOTAL}[5m]))"``) and evaluate to the
very same text. Strings, label matchers, comments, label lists (``by (...)``) and Grafana variables are
copied as they are.
"""

from __future__ import annotations

import re

from monitoring.adopt.pysource import Ref

_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_LIST_KEYWORDS = frozenset(("by", "without", "on", "ignoring", "group_left", "group_right"))


def split_references(text: str, names: dict[str, str]) -> list:
    """Pieces of ``text``: plain strings and Refs for the series in ``names`` (series name -> Python code)."""
    pieces: list = []
    plain: list[str] = []
    i, n = 0, len(text)
    label_list_next = False
    while i < n:
        char = text[i]
        if char in "\"'`":
            end = string_end(text, i)
            plain.append(text[i:end])
            i = end
        elif char == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            plain.append(text[i:end])
            i = end
        elif char == "{":
            end = _closing(text, i, "{", "}")
            plain.append(text[i:end])
            i = end
        elif char == "(" and label_list_next:
            end = _closing(text, i, "(", ")")
            plain.append(text[i:end])
            i, label_list_next = end, False
        elif char == "$":  # a Grafana variable: $name or ${name}
            match = _IDENT.match(text, i + 1)
            end = match.end() if match and not text.startswith("{", i + 1) else i + 1
            plain.append(text[i:end])
            i = end
        elif char.isdigit() or (char == "." and i + 1 < n and text[i + 1].isdigit()):
            match = re.compile(r"[0-9.]+(?:[eE][+-]?[0-9]+)?[a-zA-Z0-9_.]*").match(text, i)
            plain.append(match.group())
            i = match.end()
        else:
            match = _IDENT.match(text, i)
            if match is None:
                plain.append(char)
                if not char.isspace():
                    label_list_next = False
                i += 1
                continue
            word = match.group()
            following = text[match.end() :].lstrip()
            if word in names and not following.startswith("("):
                if plain:
                    pieces.append("".join(plain))
                    plain = []
                pieces.append(Ref(names[word]))
            else:
                plain.append(word)
            label_list_next = word in _LABEL_LIST_KEYWORDS
            i = match.end()
    if plain:
        pieces.append("".join(plain))
    return pieces


def joined(pieces: list, values: dict[str, str]) -> str:
    """The text the pieces evaluate to (``values``: Python code -> series name); for checking."""
    return "".join(values[p.code] if isinstance(p, Ref) else p for p in pieces)


def string_end(text: str, start: int) -> int:
    """The index just past the quoted PromQL string that opens at ``start`` (backticks take no escapes)."""
    quote, i = text[start], start + 1
    while i < len(text):
        if text[i] == "\\" and quote != "`":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        i += 1
    return len(text)


def _closing(text: str, start: int, opening: str, closing: str) -> int:
    depth, i = 0, start
    while i < len(text):
        char = text[i]
        if char in "\"'`":
            i = string_end(text, i)
            continue
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)
