"""YAML for lint: the safe libyaml loader, every document of a file, and the line of every key path.

Rule files come from anywhere (Helm output, Kubernetes manifests, hand-written), so a file may hold
several documents, and a finding must say ``file:line``. The safe constructor builds the data (it
refuses ``!!python/...`` tags, so no YAML here can run code); the composed node tree gives lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlProblem(Exception):
    """The text is not YAML we accept; ``line`` is 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int = 0):
        super().__init__(message)
        self.message, self.line = message, line


@dataclass
class YamlDocument:
    data: object
    lines: dict[tuple, int] = field(default_factory=dict)  # key path -> line of the key (or item)

    def line(self, path: tuple = ()) -> int:
        """Line of the closest enclosing path that has one."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)


def load_documents(text: str) -> list[YamlDocument]:
    """Every document in ``text``; raises YamlProblem for invalid YAML or an unsafe tag."""
    loader = _Loader(text)
    documents = []
    try:
        while loader.check_node():
            node = loader.get_node()
            data = loader.construct_document(node)
            document = YamlDocument(data)
            _record_lines(node, (), document.lines)
            documents.append(document)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlProblem(f"not valid YAML: {problem}", mark.line + 1 if mark is not None else 0) from None
    finally:
        loader.dispose()
    return documents


def _record_lines(node, path: tuple, lines: dict) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = path + (key_node.value,)
                lines[key] = key_node.start_mark.line + 1
                _record_lines(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, path + (index,), lines)
