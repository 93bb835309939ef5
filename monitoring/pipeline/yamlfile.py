"""Read policy YAML files (policies/*.yaml) safely, remembering the line of every key and item.

Errors about a policy must say ``file:line: key: what is wrong``. PyYAML's safe loader forgets
positions once it builds Python objects, so we compose the node tree (which keeps them) and build
the objects ourselves, recording ``path -> line`` on the way. Duplicate keys, which a plain load
silently resolves to the last one, are an error here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from monitoring.errors import DefinitionError, DefinitionErrors, Location
from monitoring.pipeline.schema import schema_validator

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
_scalars = yaml.constructor.SafeConstructor()  # turns a scalar node into int, bool, str, ... as safe_load would


@dataclass
class Document:
    """A parsed YAML file: plain data plus the line of every key path."""

    file: str
    data: object
    lines: dict[tuple, int] = field(default_factory=dict)

    def where(self, path: tuple = ()) -> Location:
        """The Location of the closest path that has a line (the document start for the root)."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return Location(self.file, self.lines.get(path, 1))

    def error(self, path: tuple, message: str, hint: str = "") -> DefinitionError:
        key = dotted(path)
        return DefinitionError(f"{key}: {message}" if key else message, self.where(path), hint)


def dotted(path: tuple) -> str:
    """("route", "routes", 0, "receiver") -> "route.routes[0].receiver"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_yaml(path: Path, display: str | None = None) -> Document:
    """Parse one YAML file with the safe loader; a syntax error is a DefinitionError at its line."""
    display = display or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"cannot read the file: {exc}", display) from None
    return parse_yaml(text, display)


def parse_yaml(text: str, display: str) -> Document:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{display}:{mark.line + 1}" if mark is not None else display
        raise DefinitionError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", where) from None
    document = Document(display, None)
    document.data = _build(node, (), document) if node is not None else None
    return document


def _build(node, path: tuple, document: Document):
    document.lines.setdefault(path, node.start_mark.line + 1)
    if not node.tag.startswith("tag:yaml.org,2002:") or node.tag.startswith("tag:yaml.org,2002:python/"):
        # Only YAML's own types: a !!python/... tag must never reach a constructor (nor be ignored).
        raise DefinitionError(
            f"unsupported YAML tag {node.tag!r}", display_of(document, node), "policies are plain YAML: remove the tag"
        )
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = _scalars.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, (str, int, float, bool)):
                raise DefinitionError("a mapping key must be a plain value", display_of(document, key_node))
            if key in result:
                raise DefinitionError(
                    f"{dotted(path + (key,))}: duplicate key (YAML would silently keep the last one)",
                    display_of(document, key_node),
                )
            document.lines[path + (key,)] = key_node.start_mark.line + 1
            result[key] = _build(value_node, path + (key,), document)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), document) for i, item in enumerate(node.value)]
    return _scalars.construct_object(node)


def display_of(document: Document, node) -> str:
    return f"{document.file}:{node.start_mark.line + 1}"


def schema_check(document: Document, schema_path: Path) -> None:
    """Validate against a JSON Schema; every violation becomes ``file:line: key: message``.

    A schema node may carry ``x-error`` (what to write instead) which replaces jsonschema's wording.
    """
    errors = []
    for error in schema_validator(str(schema_path)).iter_errors(document.data):
        path = tuple(error.absolute_path)
        if "propertyNames" in error.absolute_schema_path:  # a bad key: point at the key's own line
            path += (error.instance,)
        if error.validator == "additionalProperties":
            allowed = sorted(error.schema.get("properties", {}))
            for key in sorted(set(error.instance) - set(allowed), key=str):
                errors.append(
                    document.error(path + (key,), f"unknown key {key!r}", f"allowed here: {', '.join(allowed)}")
                )
            continue
        message = error.schema.get("x-error") if isinstance(error.schema, dict) else None
        if message and error.validator not in ("required", "type"):
            errors.append(document.error(path, f"{error.instance!r} is not valid: {message}"))
        else:
            errors.append(document.error(path, error.message))
    if errors:
        errors.sort(key=lambda e: (e.location, e.message))
        raise errors[0] if len(errors) == 1 else DefinitionErrors(errors)
