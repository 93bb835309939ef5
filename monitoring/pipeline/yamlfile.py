"""The one YAML loader: policies, lint's rule files and settings, and what `check` reads under OUT.

Errors must say ``file:line: key: what is wrong``, and files may come from anyone (a pull request, Helm
output, a folder typed by hand), so the loader
- keeps the line of every key and item (PyYAML's safe loader forgets positions once it builds objects,
  so we build the objects ourselves from libyaml's events, recording ``path -> line`` on the way);
- builds only YAML's own plain types (a ``!!python/...`` or custom tag is an error, never constructed);
- refuses duplicate keys (a plain load silently keeps the last one) and merge keys (``<<``);
- bounds the work: file size, nesting depth, alias references and the size of the data once aliases are
  expanded (a 1 KB "billion laughs" file would otherwise expand to gigabytes in every consumer).
libyaml's parser keeps its own stack (no recursion), and so does the builder here.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from monitoring.errors import DefinitionError, DefinitionErrors, Location
from monitoring.pipeline.schema import schema_validator

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
_scalars = yaml.constructor.SafeConstructor()  # turns a scalar node into int, bool, str, ... as safe_load would
_resolver = yaml.resolver.Resolver()  # plain scalars' implicit types, as safe_load resolves them

MAX_FILE_BYTES = 32 * 1024 * 1024  # the largest generated file of a 1,000-service estate is well under 1 MB
MAX_DEPTH = 64  # nested mappings and sequences; real policies and rule files stay below 10
MAX_ALIASES = 100  # alias references (*name) in one file
MAX_NODES = 2_000_000  # scalars, mappings and sequences once every alias is expanded
_STANDARD = "tag:yaml.org,2002:"
_PLAIN_TAGS = {
    yaml.ScalarEvent: None,  # any of YAML's own scalar types: str, int, float, bool, null, timestamp, binary
    yaml.MappingStartEvent: (f"{_STANDARD}map",),
    yaml.SequenceStartEvent: (f"{_STANDARD}seq",),
}


class YamlError(DefinitionError):
    """Text that is not YAML we accept; ``line`` is 1-based (0 when unknown)."""

    def __init__(self, message: str, display: str, line: int = 0, hint: str = ""):
        super().__init__(message, Location(display, line), hint)
        self.line = line


@dataclass
class Document:
    """A parsed YAML document: plain data plus the line of every key path."""

    file: str
    data: object
    lines: dict[tuple, int] = field(default_factory=dict)

    def line(self, path: tuple = ()) -> int:
        """Line of the closest enclosing path that has one (the document start for the root)."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def where(self, path: tuple = ()) -> Location:
        """The Location of the closest path that has a line."""
        return Location(self.file, self.line(path))

    def error(self, path: tuple, message: str, hint: str = "") -> DefinitionError:
        key = dotted(path)
        return DefinitionError(f"{key}: {message}" if key else message, self.where(path), hint)


def dotted(path: tuple) -> str:
    """("route", "routes", 0, "receiver") -> "route.routes[0].receiver"; a credential-like key is not echoed."""
    from monitoring.pipeline.secrets import redact

    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return redact(text)


def read_text(path: str | os.PathLike, display: str | None = None, limit: int = MAX_FILE_BYTES) -> str:
    """A regular file's UTF-8 text. FIFOs, devices, folders, oversized and binary files are clear errors.

    Opened non-blocking, so a FIFO named as a file never hangs the run; never follows a FIFO's writer.
    """
    display = display or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise DefinitionError(f"cannot read the file: {exc.strerror}", display) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a FIFO, socket or device)"
            raise DefinitionError(f"{kind}: only regular files are read", display, "name the files themselves")
        if info.st_size > limit:
            raise DefinitionError(f"the file is larger than {limit // (1024 * 1024)} MB", display)
        with os.fdopen(fd, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise DefinitionError(f"cannot read the file: {exc.strerror}", display) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise DefinitionError(f"the file is larger than {limit // (1024 * 1024)} MB", display)
    return decode_text(data, display)


def decode_text(data: bytes, display: str) -> str:
    if b"\0" in data:
        raise DefinitionError("a binary file (it holds NUL bytes), not text", display)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError(f"not UTF-8 text (invalid byte at offset {exc.start})", display) from None


def load_yaml(path: Path, display: str | None = None) -> Document:
    """Parse one single-document YAML file; every problem is a DefinitionError at its line."""
    display = display or str(path)
    return parse_yaml(read_text(path, display), display)


def parse_yaml(text: str, display: str) -> Document:
    """One document (an empty text gives ``data=None``)."""
    documents = parse_documents(text, display)
    if len(documents) > 1:
        raise YamlError("more than one YAML document in the file", display, documents[1].line())
    return documents[0] if documents else Document(display, None)


def parse_documents(text: str, display: str) -> list[Document]:
    """Every document in ``text``, each with the line of every key path."""
    if len(text) > MAX_FILE_BYTES:
        raise YamlError(f"the text is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB", display)
    loader = _Loader(text)
    try:
        return _Builder(display).documents(loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlError(f"not valid YAML: {problem}", display, mark.line + 1 if mark is not None else 0) from None
    finally:
        loader.dispose()


class _Builder:
    """Plain data from libyaml's event stream, with an explicit stack (no recursion) and the caps above."""

    def __init__(self, display: str):
        self.display = display
        self.anchors: dict[str, tuple[object, int]] = {}  # anchor -> (value, expanded size)
        self.aliases = 0
        self.nodes = 0

    def documents(self, loader) -> list[Document]:
        documents = []
        while not loader.check_event(yaml.StreamEndEvent):
            event = loader.get_event()
            if isinstance(event, yaml.DocumentStartEvent):
                document = Document(self.display, None)
                document.data = self._document(loader, document)
                documents.append(document)
        return documents

    def _fail(self, message: str, event, hint: str = "") -> YamlError:
        return YamlError(message, self.display, event.start_mark.line + 1, hint)

    def _document(self, loader, document: Document):
        # Each open collection: [container, path, pending key (mappings), size so far, anchor, key event].
        stack: list[list] = []
        root = None
        self.anchors.clear()
        while True:
            event = loader.get_event()
            if isinstance(event, yaml.DocumentEndEvent):
                return root
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                container, _, _, size, anchor, _ = stack.pop()
                if anchor:
                    self.anchors[anchor] = (container, size)
                self._place(stack, container, size, event, document)
                if not stack:
                    root = container
                continue
            path = self._path_of(stack)
            if isinstance(event, yaml.AliasEvent):
                if event.anchor not in self.anchors:
                    raise self._fail(f"unknown alias *{event.anchor}", event)
                self.aliases += 1
                if self.aliases > MAX_ALIASES:
                    raise self._fail(f"more than {MAX_ALIASES} alias references (*name)", event, "write the values out")
                value, size = self.anchors[event.anchor]
                self._count(size, event)
                if stack and isinstance(stack[-1][0], dict) and stack[-1][2] is _NO_KEY:
                    raise self._fail("an alias used as a mapping key", event, "mapping keys are plain values")
                document.lines.setdefault(path, event.start_mark.line + 1)
                self._place(stack, value, size, event, document)
                if not stack:
                    root = value
                continue
            tags = _PLAIN_TAGS.get(type(event))
            tag = getattr(event, "tag", None)
            if tag is not None and tag != "!" and (not tag.startswith(_STANDARD) or "python/" in tag):
                raise self._fail(f"not valid YAML: unsupported tag {tag!r}", event, "plain YAML only: remove the tag")
            if tags and tag not in (None, "!", *tags):
                raise self._fail(f"not valid YAML: unsupported tag {tag!r}", event, "plain YAML only: remove the tag")
            if isinstance(event, yaml.ScalarEvent):
                self._count(1, event)
                value = self._scalar(event, stack)
                if not (stack and isinstance(stack[-1][0], dict) and stack[-1][2] is _NO_KEY):
                    document.lines.setdefault(path, event.start_mark.line + 1)
                if event.anchor:
                    self.anchors[event.anchor] = (value, 1)
                self._place(stack, value, 1, event, document)
                if not stack:
                    root = value
                continue
            # the start of a mapping or sequence
            if len(stack) >= MAX_DEPTH:
                raise self._fail(f"nested more than {MAX_DEPTH} levels deep", event)
            self._count(1, event)
            if stack and isinstance(stack[-1][0], dict) and stack[-1][2] is _NO_KEY:
                raise self._fail("a mapping key must be a plain value", event)
            document.lines.setdefault(path, event.start_mark.line + 1)
            container = {} if isinstance(event, yaml.MappingStartEvent) else []
            stack.append([container, path, _NO_KEY, 1, event.anchor, None])

    def _path_of(self, stack: list[list]) -> tuple:
        if not stack:
            return ()
        container, path, key, *_ = stack[-1]
        if isinstance(container, dict):
            return path if key is _NO_KEY else path + (key,)
        return path + (len(container),)

    def _scalar(self, event, stack):
        tag = event.tag if event.tag not in (None, "!") else None
        if tag is None:
            tag = _resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == f"{_STANDARD}merge":
            raise self._fail("YAML merge keys (<<) are not supported", event, "write the keys out in full")
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return _scalars.construct_object(node)
        except yaml.constructor.ConstructorError as exc:
            raise self._fail(f"not valid YAML: {exc.problem}", event) from None

    def _place(self, stack: list[list], value, size: int, event, document: Document) -> None:
        if not stack:
            return
        top = stack[-1]
        container = top[0]
        top[3] += size
        if isinstance(container, list):
            container.append(value)
            return
        if top[2] is _NO_KEY:  # this value is a key
            if not isinstance(value, (str, int, float, bool)) or value is None:
                raise self._fail("a mapping key must be a plain value", event)
            if value in container:
                raise self._fail(
                    f"{dotted(top[1] + (value,))}: duplicate key (YAML would silently keep the last one)", event
                )
            top[2] = value
            document.lines[top[1] + (value,)] = event.start_mark.line + 1
            return
        container[top[2]] = value
        top[2] = _NO_KEY

    def _count(self, size: int, event) -> None:
        self.nodes += size
        if self.nodes > MAX_NODES:
            raise self._fail(
                f"more than {MAX_NODES:,} values once aliases are expanded",
                event,
                "write a smaller file, fewer aliases",
            )


_NO_KEY = object()


def schema_check(document: Document, schema_path: Path) -> None:
    """Validate against a JSON Schema; every violation becomes ``file:line: key: message``.

    A schema node may carry ``x-error`` (what to write instead) which replaces jsonschema's wording.
    Values are echoed only when short and plain: a message must never print a credential.
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
                    document.error(path + (key,), f"unknown key {_echo(key)}", f"allowed here: {', '.join(allowed)}")
                )
            continue
        message = error.schema.get("x-error") if isinstance(error.schema, dict) else None
        if message and error.validator not in ("required", "type"):
            errors.append(document.error(path, f"{_echo(error.instance)} is not valid: {message}"))
        else:
            errors.append(document.error(path, _quiet(error.message, error.instance)))
    if errors:
        errors.sort(key=lambda e: (e.location, e.message))
        raise errors[0] if len(errors) == 1 else DefinitionErrors(errors)


def _echo(value) -> str:
    """A value for a message: plain ones as written (cut at 200 characters), never one the secrets guard flags."""
    from monitoring.pipeline.secrets import looks_secret

    if isinstance(value, (str, int, float, bool)) and not looks_secret(str(value)):
        shown = repr(value)
        return shown if len(shown) <= 200 else shown[:197] + "..."
    return "this value"


def _quiet(message: str, instance) -> str:
    """jsonschema's message, without the instance when it could be a credential."""
    from monitoring.pipeline.secrets import looks_secret, redact

    if isinstance(instance, str) and looks_secret(instance):
        message = message.replace(repr(instance), "the value")
    return redact(message)
