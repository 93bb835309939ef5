"""Dashboards: rows of panels, variables and links, laid out automatically."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from monitoring.errors import DefinitionError
from monitoring.model import _types as types
from monitoring.model._origin import Located
from monitoring.model.metric import Label, Metric
from monitoring.model.panel import Panel

_UID_RE = re.compile(r"^[a-zA-Z0-9_-]{1,40}\Z")
_UID = types.Syntax(
    _UID_RE, "dashboard uid {value!r} is invalid", "use 1-40 characters from a-z, A-Z, 0-9, '-' and '_'"
)
_VARIABLE_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*\Z")


@dataclass(frozen=True)
class LabelVariable(Located):
    """A ``label_values(metric, label)`` variable, e.g. ``$model_name``."""

    label: Label
    metric: Metric
    multi: bool = True
    include_all: bool = True

    @property
    def name(self) -> str:
        return self.label.name


@dataclass(frozen=True)
class RawVariable(Located):
    """A template variable the model does not describe (custom, interval, a query other than label_values),
    carried as its Grafana JSON; `monitoring import` writes these."""

    json: dict = field(compare=False)

    def __post_init__(self):
        super().__post_init__()
        if not isinstance(self.json, dict) or not _VARIABLE_RE.match(str(self.json.get("name", ""))):
            raise DefinitionError("a raw variable is a Grafana variable object with a valid 'name'", self.origin)

    @property
    def name(self) -> str:
        return self.json["name"]


@dataclass(frozen=True)
class Row:
    title: str
    panels: tuple[Panel, ...]
    collapsed: bool = False

    def __post_init__(self):
        object.__setattr__(self, "panels", tuple(self.panels))


@dataclass(frozen=True)
class Link:
    title: str
    url: str = ""
    tags: tuple[str, ...] = ()  # a "dashboards" link by tag when url is empty


@dataclass(frozen=True)
class Dashboard(Located):
    title: str
    rows: tuple[Row, ...]
    uid: str = ""
    tags: tuple[str, ...] = ()
    description: str = ""
    variables: tuple[LabelVariable | RawVariable, ...] = ()
    links: tuple[Link, ...] = ()
    time_from: str = "now-6h"
    refresh: str = "30s"

    def __post_init__(self):
        super().__post_init__()
        for name in ("rows", "tags", "variables", "links"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.title.strip():
            raise DefinitionError("a dashboard needs a title", self.origin)
        uid = self.uid or uid_from_title(self.title)
        _UID.check(uid, self.origin)
        object.__setattr__(self, "uid", uid)

    def panels(self) -> list[Panel]:
        return [p for row in self.rows for p in row.panels]


def slug(text: str) -> str:
    """Lower-case words joined by '-': safe in URLs and file names (no '/', no '..')."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "dashboard"


def uid_from_title(title: str) -> str:
    """Stable uid: a readable slug plus a short hash, so renaming a title changes the uid predictably."""
    digest = hashlib.sha256(title.encode()).hexdigest()[:8]
    return f"{slug(title)[:31]}-{digest}"
