"""Expand alert annotation templates as Prometheus 2.42 does (Go's text/template with Prometheus' functions).

Generated promtool tests assert the exact annotation text, so every value must print as Go prints it. This is
a small interpreter for the part of Go templates alert annotations use: text and actions (with `{{-`/`-}}`
trimming and comments), pipelines, `if`/`else if`/`else`/`with`/`end`, the variables Prometheus defines
(`$labels`, `$value`, `$externalLabels`; `.Labels`, `.Value`, `.ExternalLabels`, `$`), string and number
literals, Go's comparison and logic builtins (`eq ne lt le gt ge and or not len index print printf`) and
Prometheus' `humanize`, `humanize1024`, `humanizeDuration`, `humanizePercentage`, `humanizeTimestamp`,
`toUpper`, `toLower`, `title`, `stripPort`, `parseDuration` (in `template_funcs.py`; numbers are formatted
in `gofmt.py`).
Anything else (`range`, `query`, variable declarations, `$externalURL`) raises UnsupportedTemplate: a
test that guessed would fail in promtool.

The tests run with no `external_labels`, so `$externalLabels` is an empty map, as promtool has it; Prometheus
sets `missingkey=zero`, so a missing label prints as the empty string.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from monitoring.testgen.gofmt import go_value
from monitoring.testgen.template_funcs import UnsupportedTemplate, call, go_type, print_value, truth


def expand(template: str, labels: dict[str, str], value: float) -> str:
    nodes = _nodes(template)
    data = _Data(labels=dict(labels), value=value)
    out: list[str] = []
    _run(nodes, data, data, out)
    return "".join(out)


@functools.lru_cache(maxsize=1024)  # an alert's annotations are expanded again for every case; nodes are read-only
def _nodes(template: str) -> list:
    return _parse(_lex_text(template))


@dataclass
class _Data:
    """Prometheus' AlertTemplateData: the root `.` of an alert template."""

    labels: dict[str, str]
    value: float
    external_labels: dict[str, str] = field(default_factory=dict)


# ---- splitting the text into text and actions ----

_DELIMS = re.compile(r"{{(-\s)?(.*?)(\s-)?}}", re.S)


def _lex_text(template: str) -> list[tuple[str, str]]:
    """[("text", ...) | ("action", ...)], with Go's trim markers applied to the neighbouring text."""
    parts: list[tuple[str, str]] = []
    pos = 0
    trim_next = False
    for m in _DELIMS.finditer(template):
        text = template[pos : m.start()]
        if trim_next:
            text = text.lstrip(" \t\r\n")
        if m.group(1):
            text = text.rstrip(" \t\r\n")
        parts.append(("text", text))
        body = m.group(2).strip()
        if not (body.startswith("/*") and body.endswith("*/")):
            parts.append(("action", body))
        trim_next = bool(m.group(3))
        pos = m.end()
    text = template[pos:]
    if "{{" in text:
        raise UnsupportedTemplate("an action that is not closed")
    parts.append(("text", text.lstrip(" \t\r\n") if trim_next else text))
    return parts


# ---- tokens of one action ----

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<raw>`[^`]*`)
    | (?P<num>[-+]?(?:\d+\.\d*(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+|\.\d+(?:[eE][-+]?\d+)?|0[xX][0-9a-fA-F]+|\d+))
    | (?P<var>\$\w*(?:\.\w+)*)
    | (?P<field>(?:\.\w+)+)
    | (?P<dot>\.)
    | (?P<ident>[A-Za-z_]\w*)
    | (?P<punct>:=|=|\||\(|\)|,)
    )""",
    re.X,
)


def _tokens(action: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    action = action.strip()
    while pos < len(action):
        m = _TOKEN.match(action, pos)
        if not m or m.end() == pos:
            raise UnsupportedTemplate(f"template action {{{{ {action} }}}}")
        tokens.append((m.lastgroup, m.group(m.lastgroup)))
        pos = m.end()
    return tokens


# ---- parse tree ----


@dataclass
class _Branch:
    keyword: str  # "if" or "with"
    pipeline: list
    then: list
    otherwise: list


def _parse(parts: list[tuple[str, str]]) -> list:
    nodes, rest, end = _parse_list(parts, 0)
    if end is not None:
        raise UnsupportedTemplate(f"template action {{{{ {end} }}}} without an opening if/with")
    return nodes


def _parse_list(parts, i):
    """Nodes up to an `else`/`end` (returned as the third item, with the index after it) or the end."""
    nodes = []
    while i < len(parts):
        kind, body = parts[i]
        i += 1
        if kind == "text":
            nodes.append(body)
            continue
        tokens = _tokens(body)
        head = tokens[0] if tokens else ("", "")
        if head == ("ident", "end") or head == ("ident", "else"):
            return nodes, i, body
        if head[0] == "ident" and head[1] in ("if", "with"):
            branch, i = _parse_branch(head[1], tokens[1:], parts, i)
            nodes.append(branch)
            continue
        if head[0] == "ident" and head[1] in ("range", "define", "template", "block", "break", "continue"):
            raise UnsupportedTemplate(f"template action {{{{ {body} }}}}")
        nodes.append(_parse_pipeline(tokens, body))
    return nodes, i, None


def _parse_branch(keyword, tokens, parts, i):
    pipeline = _parse_pipeline(tokens, keyword)
    then, i, end = _parse_list(parts, i)
    if end is None:
        raise UnsupportedTemplate(f"{{{{ {keyword} }}}} without {{{{ end }}}}")
    otherwise: list = []
    if end != "end":
        else_tokens = _tokens(end)[1:]
        if else_tokens and else_tokens[0] == ("ident", keyword):
            nested, i = _parse_branch(keyword, else_tokens[1:], parts, i)  # `else if` ends with the same `end`
            return _Branch(keyword, pipeline, then, [nested]), i
        if else_tokens:
            raise UnsupportedTemplate(f"template action {{{{ {end} }}}}")
        otherwise, i, end = _parse_list(parts, i)
        if end != "end":
            raise UnsupportedTemplate(f"{{{{ {keyword} }}}} without {{{{ end }}}}")
    return _Branch(keyword, pipeline, then, otherwise), i


def _parse_pipeline(tokens, source):
    """A pipeline: a list of commands; a command: a list of operands (a token, or a nested pipeline)."""
    if any(t[0] == "punct" and t[1] in (":=", "=") for t in tokens):
        raise UnsupportedTemplate(f"template action {{{{ {source} }}}} (variable declarations)")
    commands, command, stack = [], [], []
    for token in tokens:
        if token == ("punct", "("):
            stack.append((commands, command))
            commands, command = [], []
        elif token == ("punct", ")"):
            if not stack:
                raise UnsupportedTemplate(f"template action {{{{ {source} }}}}")
            commands.append(command)
            inner = ("pipeline", commands)
            commands, command = stack.pop()
            command.append(inner)
        elif token == ("punct", "|"):
            commands.append(command)
            command = []
        elif token[0] == "punct":
            raise UnsupportedTemplate(f"template action {{{{ {source} }}}}")
        else:
            command.append(token)
    if stack:
        raise UnsupportedTemplate(f"template action {{{{ {source} }}}}")
    commands.append(command)
    if any(not c for c in commands):
        raise UnsupportedTemplate(f"template action {{{{ {source} }}}}")
    return ("pipeline", commands)


# ---- execution ----


def _run(nodes, dot, data: _Data, out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, _Branch):
            value = _pipeline(node.pipeline, dot, data)
            if truth(value):
                _run(node.then, value if node.keyword == "with" else dot, data, out)
            else:
                _run(node.otherwise, dot, data, out)
        else:
            out.append(print_value(_pipeline(node, dot, data)))


def _pipeline(pipeline, dot, data):
    _, commands = pipeline
    value, piped = None, False
    for command in commands:
        value = _command(command, dot, data, [value] if piped else [])
        piped = True
    return value


def _command(command, dot, data, piped: list):
    head = command[0]
    if head[0] == "ident":
        args = [_operand(op, dot, data) for op in command[1:]] + piped
        return call(head[1], args)
    if len(command) > 1 or piped:
        raise UnsupportedTemplate("an argument given to a value that is not a function")
    return _operand(head, dot, data)


def _operand(token, dot, data: _Data):
    kind, text = token
    if kind == "pipeline":
        return _pipeline(token, dot, data)
    if kind == "str":
        return _unquote(text)
    if kind == "raw":
        return text[1:-1]
    if kind == "num":
        return _number(text)
    if kind == "ident":
        if text in ("true", "false"):
            return text == "true"
        raise UnsupportedTemplate(f"template function {text!r} used as an argument without parentheses")
    if kind == "dot":
        return dot
    if kind == "field":
        return _fields(dot, text.split(".")[1:])
    if kind == "var":
        name, *fields = text.split(".")
        roots = {"$": data, "$labels": data.labels, "$value": data.value, "$externalLabels": data.external_labels}
        if name not in roots:
            raise UnsupportedTemplate(f"template variable {name}")
        return _fields(roots[name], fields)
    raise UnsupportedTemplate(f"template operand {text}")


def _fields(value, names: list[str]):
    for name in names:
        if isinstance(value, _Data):
            attrs = {"Labels": value.labels, "Value": value.value, "ExternalLabels": value.external_labels}
            if name not in attrs:
                raise UnsupportedTemplate(f"template field .{name}")
            value = attrs[name]
        elif isinstance(value, dict):
            value = value.get(name, "")  # missingkey=zero: a missing label is ""
        else:
            raise UnsupportedTemplate(f"template field .{name} of a {go_type(value)}")
    return value


def _number(text: str):
    if re.fullmatch(r"[-+]?(0[xX][0-9a-fA-F]+|\d+)", text):
        return int(text, 0) if not re.fullmatch(r"[-+]?0\d+", text) else int(text, 8)
    return float(text)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unquote(text: str) -> str:
    def one(m):
        body = m.group(1)
        if body[0] in _ESCAPES:
            return _ESCAPES[body[0]]
        if body[0] in "xuU":
            return chr(int(body[1:], 16))
        raise UnsupportedTemplate(f"string escape \\{body}")

    return re.sub(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", one, text[1:-1])


__all__ = ["UnsupportedTemplate", "expand", "go_value"]
