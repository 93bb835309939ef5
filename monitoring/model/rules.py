"""Recording rules, alerts and the groups that evaluate them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from monitoring.errors import DefinitionError
from monitoring.model import _types as types
from monitoring.model._origin import Located, caller_origin
from monitoring.model.conditions import Absent, Band, Comparison, Compound, Condition, format_number  # noqa: F401
from monitoring.model.durations import parse_duration  # noqa: F401,E402 (also imported from here)
from monitoring.model.panel import Panel

# Full-match names (\Z: "$" would accept a trailing newline).
_RECORD_RE = re.compile(r"^([a-zA-Z_][a-zA-Z0-9_]*)?:[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_]+\Z")
_ALERT_RE = re.compile(r"^[A-Z][A-Za-z0-9]*\Z")
_SERIES_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_RECORD_NAME = types.Syntax(
    _RECORD_RE,
    "recording rule name {value!r} does not follow level:metric:operations",
    "e.g. model_name:ab_test_requests:rate5m",
)
_SERIES_NAME = types.Syntax(_SERIES_RE, "{value!r} is not a valid Prometheus series name")
_ALERT_NAME = types.Syntax(
    _ALERT_RE, "alert name {value!r} is not UpperCamelCase", "alert names are UpperCamelCase, e.g. HighErrorRate"
)


@dataclass(frozen=True)
class RecordingRule(Located):
    """``str(rule)`` is the recorded series name, so panels and alerts reference the object."""

    record: str
    expr: object
    labels: tuple[tuple[str, str], ...] = ()
    # For rules whose inputs the test generator cannot synthesise: {series selector: promtool values}.
    test_inputs: tuple[tuple[str, str], ...] = ()
    # Imported from an existing rule file (`monitoring import`): the name is kept as dashboards and other
    # teams query it, so only Prometheus' own name syntax is enforced, not level:metric:operations.
    imported: bool = False
    # Why the rule has no tests (the generator cannot compute it): none are generated, and `generate` and
    # `monitoring test` list it with this reason. A declared gap, reviewed like code, never a silent one.
    untested: str = ""

    def __post_init__(self):
        super().__post_init__()
        types.text(self.record, "a recording rule's name", self.origin)
        types.text(str(self.expr), f"recording rule {self.record!r}: expr", self.origin, empty=False)
        types.text(self.untested, f"recording rule {self.record!r}: untested (the reason)", self.origin)
        if self.untested and self.test_inputs:
            raise DefinitionError(
                f"recording rule {self.record}: both test_inputs and untested",
                self.origin,
                "test_inputs give it tests: drop untested",
            )
        object.__setattr__(self, "labels", tuple(sorted(dict(self.labels).items())))
        object.__setattr__(self, "test_inputs", tuple(dict(self.test_inputs).items()))
        (_SERIES_NAME if self.imported else _RECORD_NAME).check(self.record, self.origin)

    def __str__(self) -> str:
        return self.record

    @property
    def text(self) -> str:
        return str(self.expr)


@dataclass(frozen=True)
class RawCondition:
    """An alert expression kept as written, for conditions that are not ``signal <op> threshold step``
    (an imported rule's ``==``, ``and``, ``absent()``...). Rendered as is; generated tests need Scenarios."""

    text: str

    def __post_init__(self):
        if not isinstance(self.text, str) or not self.text.strip():
            raise DefinitionError("a raw alert condition is a non-empty PromQL expression", caller_origin())

    @property
    def expr(self) -> str:
        return self.text

    def comparisons(self) -> tuple[Comparison, ...]:
        return ()  # nothing the generator can drive: Scenarios test it

    def with_signals(self, change) -> RawCondition:
        return self  # kept as written


def raw(expr) -> RawCondition:
    """The alert fires for every series ``expr`` returns, e.g. ``raw(f"absent({UP})")``."""
    return RawCondition(str(expr))


@dataclass(frozen=True)
class Scenario:
    """Hand-written promtool case for an alert whose expression is not a simple comparison.

    ``series`` maps a series (``name{labels}``) to promtool's expanding notation ("0+60x20").
    ``fires`` lists the label sets (beyond the alert's own labels) expected at ``at``; empty = silent.
    """

    name: str
    series: tuple[tuple[str, str], ...]
    at: str
    fires: tuple[tuple[tuple[str, str], ...], ...] = ()
    interval: str = "1m"

    def __post_init__(self):
        object.__setattr__(self, "series", tuple(dict(self.series).items()))
        object.__setattr__(self, "fires", tuple(tuple(sorted(dict(f).items())) for f in self.fires))


@dataclass(frozen=True)
class Alert(Located):
    name: str
    condition: Condition | Band | Compound | Absent | RawCondition
    for_: str
    severity: str
    summary: str
    description: str
    team: str = ""
    panel: Panel | None = None
    labels: tuple[tuple[str, str], ...] = ()
    # Optional: how generated tests put the signal at a value, driver(value) -> {series selector: input shape}
    # (see monitoring.model.synthetic). Without one the generator finds the inputs itself.
    driver: Callable | None = field(default=None, compare=False)
    scenarios: tuple[Scenario, ...] = ()
    # Annotations beyond summary and description (runbook_url and dashboard_url are added by the stack).
    annotations: tuple[tuple[str, str], ...] = ()
    # Imported from an existing rule file (`monitoring import`): the name is kept as is (any valid Prometheus
    # label value) and summary/description may be empty (lint's alert-metadata check reports that).
    imported: bool = False
    # Set on the alerts an SLO renders (monitoring.model.slo.BurnRateAlert): its tests follow the burn over time.
    burn_rate: object = field(default=None, compare=False, repr=False)
    # Why the alert has no tests (the generator cannot drive it and no Scenarios are written yet): none are
    # generated, and `generate` and `monitoring test` list it with this reason. `monitoring import` sets it on
    # the rules `generate` refuses. A declared gap, reviewed like code, never a silent one.
    untested: str = ""

    def __post_init__(self):
        super().__post_init__()
        types.text(self.name, "an alert's name", self.origin)
        for name in ("for_", "severity", "summary", "description", "team"):
            types.text(getattr(self, name), f"alert {self.name}: {name.rstrip('_')}", self.origin)
        object.__setattr__(self, "labels", tuple(sorted(dict(self.labels).items())))
        object.__setattr__(self, "annotations", tuple(dict(self.annotations).items()))
        if not isinstance(self.condition, (Condition, Band, Compound, Absent, RawCondition)):
            raise DefinitionError(
                f"alert {self.name}: the condition must be below(), above(), at_most(), at_least(), equal_to(), "
                f"not_equal_to(), outside(), both(), unless(), absent() or raw(), not {type(self.condition).__name__}",
                self.origin,
            )
        if self.driver is not None and not callable(self.driver):
            raise DefinitionError(f"alert {self.name}: driver must be a function value -> input series", self.origin)
        object.__setattr__(self, "scenarios", tuple(self.scenarios))
        types.text(self.untested, f"alert {self.name}: untested (the reason)", self.origin)
        if self.untested and (self.scenarios or self.driver is not None):
            raise DefinitionError(
                f"alert {self.name}: untested, yet it has {'scenarios' if self.scenarios else 'a driver'}",
                self.origin,
                "with Scenarios or a driver it is tested: drop untested",
            )
        if self.imported:
            if not self.name.strip():
                raise DefinitionError("an alert needs a name", self.origin)
        else:
            _ALERT_NAME.check(self.name, self.origin)
        if self.for_ or not self.imported:  # an imported alert without `for` keeps none
            parse_duration(self.for_, self.origin)
        if not self.imported and (not self.summary.strip() or not self.description.strip()):
            raise DefinitionError(f"alert {self.name}: summary and description are required", self.origin)

    @property
    def expr(self) -> str:
        return self.condition.expr

    @property
    def for_seconds(self) -> float:
        """``for`` in seconds: 0 for an imported alert that sets none (it fires on its first evaluation)."""
        return parse_duration(self.for_ or "0s")


@dataclass(frozen=True)
class RuleGroup(Located):
    name: str
    interval: str
    rules: tuple[RecordingRule | Alert, ...]

    def __post_init__(self):
        super().__post_init__()
        types.text(self.name, "a rule group's name", self.origin)
        types.text(self.interval, f"rule group {self.name!r}: interval", self.origin)
        types.sequence(self.rules, f"rule group {self.name!r}: rules", self.origin, (RecordingRule, Alert))
        object.__setattr__(self, "rules", tuple(self.rules))
        if self.interval:  # "" (imported groups that set none): Prometheus' global evaluation_interval
            if parse_duration(self.interval, self.origin) <= 0:
                raise DefinitionError(
                    f"rule group {self.name!r}: interval {self.interval!r} must be above zero",
                    self.origin,
                    "Prometheus evaluates the group every interval: e.g. 30s or 1m",
                )
