"""Deterministic bytes: sorted keys, fixed indentation, no timestamps."""

from __future__ import annotations

import io
import operator

import orjson
import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when available: same bytes, faster
_OPTIONS = {"sort_keys": True, "default_flow_style": False, "allow_unicode": True, "width": 1 << 30}
_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _MAP, _SEQ = (
    _TAG + name for name in ("str", "int", "float", "bool", "null", "map", "seq")
)


def json_bytes(data) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def yaml_bytes(data, header: str = "", block_strings: bool = False, flow_keys: frozenset[str] = frozenset()) -> bytes:
    """``yaml.dump(data, Dumper=CSafeDumper, **_OPTIONS)``, byte for byte, in about 3/4 of the time.

    ``block_strings``: multi-line strings as literal blocks (``|``) where YAML allows it, so a document
    embedded in another (a dashboard in a ConfigMap, a config in a Secret) reads and diffs line by line.
    ``flow_keys``: a mapping of scalars under one of these keys is written on one line, ``{a: x, b: y}`` (a
    label set: promtool test files hold hundreds; the emitter quotes a value where flow style needs it).

    PyYAML's representer (pure Python even with libyaml) spends most of a dump dispatching on types and
    tracking aliases, and its emitter asks the resolver twice about every scalar. Generated documents are
    trees of dicts, lists, strings, numbers, booleans and None, so they are turned into nodes directly,
    with the nodes SafeRepresenter would build (tests compare both on every generated file), and the
    resolver's answers are remembered. Anything else, or a container reached twice (which PyYAML would
    write as an anchor and alias), goes through PyYAML's own representer.
    """
    try:
        builder = _FlowNodeBuilder(flow_keys) if flow_keys else _BlockNodeBuilder() if block_strings else _NodeBuilder()
        root = builder.node(data)
    except _Unusual:
        return (header + yaml.dump(data, Dumper=_Dumper, **_OPTIONS)).encode()
    stream = io.StringIO()
    dumper = _FastDumper(stream, **_OPTIONS)
    try:
        dumper.open()
        dumper.serialize(root)
        dumper.close()
    finally:
        dumper.dispose()
    return (header + stream.getvalue()).encode()


PLAIN_CACHE_LIMIT = 1 << 17  # distinct scalar texts remembered (a few MB at most); then it starts afresh


class _FastDumper(_Dumper):
    _plain: dict = {}  # scalar text -> the tag it reads as when plain; the answer depends on nothing else
    # The emitter calls these two around every node to track path resolvers; SafeDumper has none, so
    # they only cost a Python call each. C built-ins taking the same arguments do nothing faster.
    descend_resolver = staticmethod(operator.is_)  # (parent, index) -> ignored
    ascend_resolver = staticmethod(tuple)  # () -> ignored

    def resolve(self, kind, value, implicit):
        if kind is not ScalarNode:
            return super().resolve(kind, value, implicit)
        if not implicit[0]:  # Resolver answers the default (str) for a quoted scalar: no path resolvers here
            return _STR
        plain = self._plain
        tag = plain.get(value)
        if tag is None:
            if len(plain) >= PLAIN_CACHE_LIMIT:  # a long-lived process (tests, a server) must not grow forever
                plain.clear()
            tag = plain[value] = super().resolve(kind, value, implicit)
        return tag


class _NodeBuilder:
    def __init__(self):
        self._seen: set[int] = set()  # ids of the containers met so far: one met twice is shared

    def node(self, data):
        kind = type(data)
        if kind is str:
            return ScalarNode(_STR, data)
        if kind is dict or kind is list or kind is tuple:
            if id(data) in self._seen:
                raise _Unusual
            self._seen.add(id(data))
            node = self.node  # strings, the most common scalars, are made inline: a call each costs
            if kind is dict:
                return MappingNode(
                    _MAP,
                    [
                        (
                            ScalarNode(_STR, k) if type(k) is str else node(k),
                            ScalarNode(_STR, v) if type(v) is str else node(v),
                        )
                        for k, v in sorted(data.items())
                    ],
                    flow_style=False,
                )
            return SequenceNode(
                _SEQ, [ScalarNode(_STR, item) if type(item) is str else node(item) for item in data], flow_style=False
            )
        if kind is bool:
            return ScalarNode(_BOOL, "true" if data else "false")
        if kind is int:
            return ScalarNode(_INT, str(data))
        if kind is float:
            return ScalarNode(_FLOAT, _float_text(data))
        if data is None:
            return ScalarNode(_NULL, "null")
        raise _Unusual


class _BlockNodeBuilder(_NodeBuilder):
    """Strings go through ``node`` here (no inline fast path), multi-line ones in literal style."""

    def node(self, data):
        kind = type(data)
        if kind is str:
            return ScalarNode(_STR, data, style="|" if "\n" in data else None)
        if kind is dict or kind is list or kind is tuple:
            if id(data) in self._seen:
                raise _Unusual
            self._seen.add(id(data))
            if kind is dict:
                items = [(self.node(k), self.node(v)) for k, v in sorted(data.items())]
                return MappingNode(_MAP, items, flow_style=False)
            return SequenceNode(_SEQ, [self.node(item) for item in data], flow_style=False)
        return super().node(data)


class _FlowNodeBuilder(_NodeBuilder):
    """Mappings of scalars under the given keys in flow style; everything else as _NodeBuilder writes it."""

    def __init__(self, keys: frozenset[str]):
        super().__init__()
        self._keys = keys

    def node(self, data):
        if type(data) is not dict:
            return super().node(data)
        if id(data) in self._seen:
            raise _Unusual
        self._seen.add(id(data))
        items = [(self.node(k), self._flow(v) if k in self._keys else self.node(v)) for k, v in sorted(data.items())]
        return MappingNode(_MAP, items, flow_style=False)

    def _flow(self, data):
        node = self.node(data)
        if isinstance(node, MappingNode) and not any(isinstance(v, (MappingNode, SequenceNode)) for _, v in node.value):
            node.flow_style = True
        return node


class _Unusual(Exception):
    """A value SafeRepresenter would treat otherwise (another type, an alias): PyYAML dumps the document."""


def _float_text(value: float) -> str:
    """SafeRepresenter.represent_float's text."""
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    return text.replace("e", ".0e", 1) if "." not in text and "e" in text else text


GENERATED_HEADER = "# Generated by `monitoring generate` from the definitions. Do not edit by hand.\n"
