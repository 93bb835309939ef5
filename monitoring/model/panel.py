"""Dashboard panels. Queries hold PromQL built from Metric and RecordingRule objects."""

from __future__ import annotations

from dataclasses import dataclass, field

from monitoring.errors import DefinitionError
from monitoring.model._origin import Located
from monitoring.model.threshold import Threshold

LEGEND_MODES = ("list", "table", "hidden")


@dataclass(frozen=True)
class Query(Located):
    """One PromQL target. ``expr`` may be a string, a Metric or a RecordingRule (str() gives its name)."""

    expr: object
    legend: str = ""
    instant: bool = False

    def __post_init__(self):
        super().__post_init__()
        # The source object is kept for references (lint, tests); the text is what Grafana sees.
        object.__setattr__(self, "expr", self.expr)

    @property
    def text(self) -> str:
        return str(self.expr)


QueryLike = Query | str | object


@dataclass(frozen=True)
class Panel(Located):
    """Fields every panel kind shares. Width is in grid columns (24 = full row)."""

    title: str
    queries: tuple[Query, ...] = ()
    unit: str = ""
    decimals: int | None = None
    legend: str = "list"
    thresholds: Threshold | None = None
    description: str = ""
    width: int = 12
    height: int = 8
    min: float | None = None
    max: float | None = None

    kind = "panel"

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(
            self, "queries", tuple(q if isinstance(q, Query) else Query(q, origin=self.origin) for q in self.queries)
        )
        if not self.title.strip():
            raise DefinitionError("a panel needs a title", self.origin)
        if self.legend not in LEGEND_MODES:
            raise DefinitionError(
                f"panel {self.title!r}: legend {self.legend!r} is not one of {LEGEND_MODES}", self.origin
            )
        if not 1 <= self.width <= 24 or self.height < 1:
            raise DefinitionError(f"panel {self.title!r}: width must be 1-24 and height at least 1", self.origin)
        if self.thresholds is not None and not isinstance(self.thresholds, Threshold):
            raise DefinitionError(f"panel {self.title!r}: thresholds must be a Threshold object", self.origin)


@dataclass(frozen=True)
class TimeSeries(Panel):
    kind = "timeseries"
    stack: bool = False
    show_thresholds: bool = True


@dataclass(frozen=True)
class _OneValuePanel(Panel):
    """A panel that shows each series as one value: ``reduce`` names Grafana's calculation."""

    reduce: str = "lastNotNull"


@dataclass(frozen=True)
class Stat(_OneValuePanel):
    kind = "stat"
    width: int = 6


@dataclass(frozen=True)
class Gauge(_OneValuePanel):
    kind = "gauge"
    width: int = 6


@dataclass(frozen=True)
class PieChart(_OneValuePanel):
    kind = "piechart"
    donut: bool = False


@dataclass(frozen=True)
class Table(Panel):
    kind = "table"
    width: int = 24


@dataclass(frozen=True)
class Text(Panel):
    kind = "text"
    content: str = ""
    markdown: bool = True


@dataclass(frozen=True)
class RawPanel(Panel):
    """A Grafana panel of a kind the model lacks (heatmap, bar gauge, a plugin...), carried as its JSON.

    The escape hatch of `monitoring import`: the renderer keeps the keys Grafana's current schema defines
    and points its queries at the dashboard's data source variable; nothing else is checked or changed.
    """

    kind = "raw"
    json: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        super().__post_init__()
        if not isinstance(self.json, dict) or not isinstance(self.json.get("type"), str):
            raise DefinitionError(f"raw panel {self.title!r}: json must be a panel object with a 'type'", self.origin)
