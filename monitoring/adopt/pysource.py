"""Readable Python source for generated definitions files, in the layout `ruff format` keeps.

Expressions are small trees (Call, Seq, Dict, or code text) rendered flat when they fit in the line
length, otherwise one item per line with a trailing comma (which ruff format leaves exploded).
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

LINE_LENGTH = 120
INDENT = "    "


@dataclass
class Call:
    func: str
    args: list = field(default_factory=list)
    kwargs: list[tuple[str, object]] = field(default_factory=list)


@dataclass
class Seq:
    """A tuple (``(a,)`` when it has one item) or, with ``brackets="[]"``, a list."""

    items: list
    brackets: str = "()"


@dataclass
class Dict:
    items: list[tuple[object, object]]


@dataclass(frozen=True)
class Ref:
    """A reference to a Python name inside an f-string: ``{NAME}`` (or ``{NAME.bucket}``)."""

    code: str


def render(node, indent: int = 0, prefix_length: int = 0, suffix_length: int = 0) -> str:
    """Source for ``node``; ``prefix_length`` is what precedes it on its first line (``NAME = ``),
    ``suffix_length`` what follows it (a comma)."""
    if isinstance(node, str):
        return node
    flat = _flat(node)
    if "\n" not in flat and indent * 4 + prefix_length + len(flat) + suffix_length <= LINE_LENGTH:
        return flat
    inner = INDENT * (indent + 1)
    lines = []
    for key, value in _items(node):
        lead = f"{key}=" if isinstance(node, Call) and key else ""
        if isinstance(node, Dict):
            lead = f"{render(key, indent + 1)}: "
        lines.append(f"{inner}{lead}{render(value, indent + 1, len(lead), 1)},")
    opening, closing = _brackets(node)
    return opening + "\n" + "\n".join(lines) + "\n" + INDENT * indent + closing


def _items(node):
    if isinstance(node, Call):
        return [(None, a) for a in node.args] + list(node.kwargs)
    if isinstance(node, Seq):
        return [(None, i) for i in node.items]
    return list(node.items)


def _brackets(node) -> tuple[str, str]:
    if isinstance(node, Call):
        return f"{node.func}(", ")"
    if isinstance(node, Seq):
        return node.brackets[0], node.brackets[1]
    return "{", "}"


def _flat(node) -> str | None:
    if isinstance(node, str):
        return node
    if isinstance(node, Call):
        parts = [_flat(a) for a in node.args] + [f"{k}={_flat(v)}" for k, v in node.kwargs]
        return f"{node.func}({', '.join(parts)})"
    if isinstance(node, Seq):
        parts = [_flat(i) for i in node.items]
        if node.brackets == "()" and len(parts) == 1:
            return f"({parts[0]},)"
        return node.brackets[0] + ", ".join(parts) + node.brackets[1]
    return "{" + ", ".join(f"{_flat(k)}: {_flat(v)}" for k, v in node.items) + "}"


def string(text: str) -> str:
    """A double-quoted literal; text with line breaks becomes a triple-quoted one, as it reads in YAML."""
    return fstring([text])


def fstring(parts: list) -> str:
    """A (possibly f-) string literal from text pieces and Refs; it evaluates to the text with each Ref's
    value in place. A lone Ref is just its code (every model field that takes PromQL applies str())."""
    if len(parts) == 1 and isinstance(parts[0], Ref):
        return parts[0].code
    is_f = any(isinstance(p, Ref) for p in parts)
    text = "".join(p for p in parts if isinstance(p, str))
    multiline = "\n" in text.rstrip("\n")
    # ruff format's choice: double quotes unless single ones need fewer escapes
    quote = '"""' if multiline else "'" if text.count('"') > text.count("'") else '"'
    body = []
    for part in parts:
        if isinstance(part, Ref):
            body.append("{" + part.code + "}")
        else:
            escaped = _escape(part, quote)
            body.append(escaped.replace("{", "{{").replace("}", "}}") if is_f else escaped)
    literal = "".join(body)
    if multiline and literal.endswith('"') and not literal.endswith('\\"'):
        literal = literal[:-1] + '\\"'
    return ("f" if is_f else "") + quote + literal + quote


def _escape(text: str, quote: str) -> str:
    out = []
    multiline = quote == '"""'
    for i, char in enumerate(text):
        if char == "\\":
            out.append("\\\\")
        elif char == quote or (multiline and text.startswith('"""', i)):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\n" if multiline and i < len(text) - 1 else "\\n")
        elif char == "\t":
            out.append("\\t")
        elif not char.isprintable():
            out.append(repr(char)[1:-1])
        else:
            out.append(char)
    return "".join(out)


def number(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def constant_name(text: str, taken: set[str], suffix: str = "") -> str:
    """An UPPER_CASE Python name for ``text`` (a metric, rule or panel), unique among ``taken``."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    name = re.sub(r"[^A-Za-z0-9]+", "_", words).strip("_").upper() or "ITEM"
    if name[0].isdigit():
        name = "N_" + name
    name += suffix
    if keyword.iskeyword(name.lower()) and name.lower() == name:
        name += "_"
    return unique(name, taken, "_")


def unique(name: str, taken: set[str], joiner: str = "-") -> str:
    """``name``, or ``name-2``, ``name-3``... (with ``joiner``): the first not in ``taken``, which then holds it."""
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}{joiner}{n}", n + 1
    taken.add(candidate)
    return candidate


def import_line(names: set[str]) -> str:
    """``from monitoring import ...`` for ``names``, sorted as ruff's isort does (constants, classes, functions);
    one line when it fits, else one name a line."""
    ordered = sorted(names, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n))
    joined = ", ".join(ordered)
    if len(f"from monitoring import {joined}") <= LINE_LENGTH:
        return f"from monitoring import {joined}"
    return "from monitoring import (\n" + "".join(f"    {n},\n" for n in ordered) + ")"


_SINGULAR = {"queries": "query", "secrets to place": "secret to place"}


def counted(counts: dict[str, int]) -> str:
    """``{"groups": 1, "alerts": 3}`` -> ``"1 group, 3 alerts"``."""
    return ", ".join(
        f"{n} {what if n != 1 else _SINGULAR.get(what, what.removesuffix('s'))}" for what, n in counts.items()
    )
