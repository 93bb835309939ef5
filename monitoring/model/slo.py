"""Service level objectives: an SLI over catalog counters, an objective over a period, and the multi-window
multi-burn-rate alerts of the Google SRE Workbook ("Alerting on SLOs"), with windows and factors as Sloth
computes them.

An ``SLO`` renders to ordinary model objects (recording rules, alerts with thresholds, a dashboard), so the
pipeline, the test generator, lint and the notification policy treat them like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitoring.errors import DefinitionError
from monitoring.model._origin import Located
from monitoring.model.conditions import above, both
from monitoring.model.dashboard import Dashboard, Row
from monitoring.model.metric import Metric, MetricType
from monitoring.model.panel import Query, Stat, TimeSeries
from monitoring.model.rules import Alert, RecordingRule, RuleGroup, parse_duration
from monitoring.model.threshold import Step, Threshold

_SLO_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
DAY = 86400.0


@dataclass(frozen=True)
class BurnWindow:
    """One window pair: alert when both the long and the short window burn faster than ``factor``.

    ``budget_percent`` is the share of the period's error budget the long window may spend before it pages or
    files a ticket; ``factor = budget_percent / 100 * period / long``.
    """

    name: str  # page_quick, page_slow, ticket_quick, ticket_slow (Sloth's names)
    kind: str  # page or ticket
    short: str
    long: str
    budget_percent: float
    factor: float

    @property
    def short_seconds(self) -> float:
        return parse_duration(self.short)

    @property
    def long_seconds(self) -> float:
        return parse_duration(self.long)

    @property
    def meaning(self) -> str:
        return f"{self.kind} ({self.long}/{self.short})"


# The SRE Workbook's windows for a 30-day period, as in Sloth's catalog (also used for 28 days, as Sloth does):
# (name, kind, short window, long window, share of the period's budget spent over the long window).
SRE_WORKBOOK_WINDOWS = (
    ("page_quick", "page", "5m", "1h", 2.0),
    ("page_slow", "page", "30m", "6h", 5.0),
    ("ticket_quick", "ticket", "2h", "1d", 10.0),
    ("ticket_slow", "ticket", "6h", "3d", 10.0),
)


def burn_windows(period_seconds: float, scale: bool = False) -> tuple[BurnWindow, ...]:
    """The four window pairs for a period. Sloth keeps the workbook's windows for any period in its catalog
    (30d, 28d) and derives each factor from the budget share: ``percent/100 * period / long``. ``scale=True``
    shrinks or stretches the windows with the period (period / 30d, whole seconds, at least 1m), for periods
    too short for a 3-day window; the factors then stay the workbook's (14.4, 6, 3, 1)."""
    out = []
    for name, kind, short, long, percent in SRE_WORKBOOK_WINDOWS:
        if scale:
            ratio = period_seconds / (30 * DAY)
            short = _duration_text(max(60.0, parse_duration(short) * ratio))
            long = _duration_text(max(60.0, parse_duration(long) * ratio))
        factor = round(percent / 100 * period_seconds / parse_duration(long), 10)
        out.append(BurnWindow(name, kind, short, long, percent, factor))
    return tuple(out)


def _duration_text(seconds: float) -> str:
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    return "".join(f"{n}{u}" for n, u in parts if n) or "0s"


def _require_type(metric, wanted: MetricType, message: str, origin, hint: str) -> None:
    """An SLI reads a catalog metric of one type; anything else (another type, a string) is a definition error."""
    if isinstance(metric, Metric) and metric.type is wanted:
        return
    kind = metric.type.value if isinstance(metric, Metric) else type(metric).__name__
    raise DefinitionError(message.format(metric=metric, kind=kind), origin, hint)


def _selector(name: str, matchers: dict[str, str]) -> str:
    inner = ", ".join(f'{k}="{v}"' for k, v in matchers.items())
    return f"{name}{{{inner}}}" if inner else name


@dataclass(frozen=True)
class EventRatio(Located):
    """Events over a counter: ``bad`` (or ``good``) are label matchers selecting those events among all
    of ``metric``'s (``EventRatio(REQUESTS, bad={"status": "error"})``)."""

    metric: Metric
    bad: tuple[tuple[str, str], ...] = ()
    good: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "bad", tuple(dict(self.bad).items()))
        object.__setattr__(self, "good", tuple(dict(self.good).items()))
        _require_type(
            self.metric,
            MetricType.COUNTER,
            "an event-ratio SLI counts events: {metric} is a {kind}, not a counter",
            self.origin,
            "count requests in a counter (name_total) and give bad={label: value}; for latency use Latency()",
        )
        if bool(self.bad) == bool(self.good):
            raise DefinitionError(
                "an event-ratio SLI needs exactly one of bad={...} or good={...}",
                self.origin,
                'e.g. EventRatio(REQUESTS, bad={"status": "error"})',
            )
        for key, value in self.bad + self.good:
            label = next((lab for lab in self.metric.labels if lab.name == key), None)
            if label is None:
                raise DefinitionError(
                    f"SLI: metric {self.metric} has no label {key!r}",
                    self.origin,
                    f"its labels are: {', '.join(self.metric.label_names) or '(none)'}",
                )
            if label.values and value not in label.values:
                raise DefinitionError(
                    f"SLI: label {key} of {self.metric} never takes the value {value!r}",
                    self.origin,
                    f"known values: {', '.join(label.values)}",
                )

    @property
    def metrics(self) -> tuple[Metric, ...]:
        return (self.metric,)

    def error_ratio(self, window: str, by: tuple[str, ...]) -> str:
        grouping = f"sum by ({', '.join(by)}) " if by else "sum "
        total = f"{grouping}(rate({self.metric}[{window}]))"
        if self.bad:
            return f"{grouping}(rate({_selector(self.metric.name, dict(self.bad))}[{window}])) / {total}"
        return f"1 - {grouping}(rate({_selector(self.metric.name, dict(self.good))}[{window}])) / {total}"

    def inputs(self, error_ratio: float, per_second: float, labels: list[dict]) -> list[tuple[str, dict, float]]:
        """Counter rates that give this error ratio in every group: {series: events per second}."""
        selected = dict(self.bad or self.good)
        matching = [combo for combo in labels if all(combo.get(k) == v for k, v in selected.items())]
        others = [combo for combo in labels if combo not in matching]
        if not matching or not others:
            raise ValueError(f"the catalog's labels of {self.metric} give no series both inside and outside the SLI")
        bad_share = error_ratio if self.bad else 1 - error_ratio
        out = []
        for combos, share in ((matching, bad_share), (others, 1 - bad_share)):
            for combo in combos:
                out.append((self.metric.name, combo, per_second * share / len(combos)))
        return out


@dataclass(frozen=True)
class Latency(Located):
    """The share of a histogram's observations above ``under`` (a bucket boundary): the slow events."""

    histogram: Metric
    under: float

    def __post_init__(self):
        super().__post_init__()
        _require_type(
            self.histogram,
            MetricType.HISTOGRAM,
            "a latency SLI reads a histogram's buckets: {metric} is a {kind}",
            self.origin,
            "declare the latency as a HISTOGRAM with buckets=(...)",
        )
        if float(self.under) not in self.histogram.buckets:
            raise DefinitionError(
                f"latency SLI: {self.under:g} is not a bucket boundary of {self.histogram}",
                self.origin,
                f"its buckets are {', '.join(f'{b:g}' for b in self.histogram.buckets)}: add {self.under:g} "
                "to them (a boundary between buckets cannot be counted exactly)",
            )

    @property
    def metrics(self) -> tuple[Metric, ...]:
        return (self.histogram,)

    @property
    def le(self) -> str:
        return repr(float(self.under))  # as client libraries expose it: "0.2", "1.0"

    def error_ratio(self, window: str, by: tuple[str, ...]) -> str:
        grouping = f"sum by ({', '.join(by)}) " if by else "sum "
        total = f"{grouping}(rate({self.histogram.count}[{window}]))"
        fast = f'{grouping}(rate({self.histogram.bucket}{{le="{self.le}"}}[{window}]))'
        return f"({total} - {fast}) / {total}"

    def inputs(self, error_ratio: float, per_second: float, labels: list[dict]) -> list[tuple[str, dict, float]]:
        """Series (name, labels, events per second) that give this share of slow events in every group."""
        out = []
        for combo in labels:
            share = per_second / len(labels)
            out.append((self.histogram.count, combo, share))
            out.append((self.histogram.bucket, {**combo, "le": self.le}, share * (1 - error_ratio)))
        return out


@dataclass(frozen=True)
class EventQueries(Located):
    """Sloth's ``events`` SLI: PromQL for the bad events and for all events per second, each reading a range
    ``[{window}]`` that every alert window fills in. For SLIs the catalog cannot state (regex matchers, a
    histogram's ``_count`` used as a counter, a gauge counted through subqueries); the error ratio is
    ``(errors) / (total)``, as Sloth writes it. The test generator cannot synthesise inputs for free-form
    queries, so an SLO over them has no generated tests (use EventRatio or Latency where the catalog suffices).
    """

    errors: str
    total: str

    def __post_init__(self):
        super().__post_init__()
        for role in ("errors", "total"):
            query = getattr(self, role)
            if not isinstance(query, str) or WINDOW_PLACEHOLDER not in query:
                raise DefinitionError(
                    f"EventQueries: the {role} query must read a range of {WINDOW_PLACEHOLDER}",
                    self.origin,
                    "e.g. errors='sum(rate(http_requests_total{code=~\"5..\"}[{window}]))'",
                )

    @property
    def metrics(self) -> tuple[Metric, ...]:
        return ()  # free-form: no catalog metrics to check labels against or to synthesise

    def error_ratio(self, window: str, by: tuple[str, ...]) -> str:
        def fill(query: str) -> str:
            return query.strip().replace(WINDOW_PLACEHOLDER, window)

        return f"({fill(self.errors)}) / ({fill(self.total)})"


WINDOW_PLACEHOLDER = "{window}"


@dataclass(frozen=True)
class SLO(Located):
    """``objective`` percent of the SLI's events are good over ``period``.

    ``by`` keeps labels (one SLO per model); ``alert_name`` prefixes the four burn-rate alerts
    (``<alert_name>PageQuick``, ``PageSlow``, ``TicketQuick``, ``TicketSlow``); ``page``/``ticket`` are their
    severities, which feed the notification policy like any alert's.
    """

    name: str
    objective: float
    sli: EventRatio | Latency | EventQueries
    period: str = "30d"
    by: tuple[str, ...] = ()
    alert_name: str = ""
    page: str = "critical"
    ticket: str = "warning"
    for_: str = "0s"
    team: str = ""
    description: str = ""
    scale_windows: bool = False

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "by", tuple(self.by))
        if not isinstance(self.name, str) or not _SLO_NAME_RE.match(self.name):
            raise DefinitionError(
                f"SLO name {self.name!r} is invalid", self.origin, "use lower-case snake_case, e.g. availability"
            )
        if not isinstance(self.objective, (int, float)) or not 0 < self.objective < 100:
            raise DefinitionError(
                f"SLO {self.name}: objective {self.objective!r} is outside (0, 100)",
                self.origin,
                "give the percentage of good events, e.g. 99.9",
            )
        if not isinstance(self.sli, (EventRatio, Latency, EventQueries)):
            raise DefinitionError(
                f"SLO {self.name}: the SLI must be EventRatio(...), Latency(...) or EventQueries(...), "
                f"not {type(self.sli).__name__}",
                self.origin,
            )
        if self.by and isinstance(self.sli, EventQueries):
            raise DefinitionError(
                f"SLO {self.name}: by={self.by!r} cannot group free-form EventQueries",
                self.origin,
                "group inside both queries (sum by (...)) and leave by empty",
            )
        seconds = parse_duration(self.period, self.origin)
        parse_duration(self.for_, self.origin)
        longest = max(self.windows, key=lambda w: w.long_seconds)
        if seconds < longest.long_seconds:
            raise DefinitionError(
                f"SLO {self.name}: period {self.period} is shorter than its longest alert window ({longest.long})",
                self.origin,
                "use a period of at least 3d, or scale_windows=True to scale the windows with the period",
            )
        for label in self.by:
            for metric in self.sli.metrics:
                if label not in metric.label_names:
                    raise DefinitionError(
                        f"SLO {self.name}: by label {label!r} is not a label of {metric}",
                        self.origin,
                        f"its labels are: {', '.join(metric.label_names) or '(none)'}",
                    )
        for window in self.windows:
            if window.factor * self.error_budget >= 1:
                raise DefinitionError(
                    f"SLO {self.name}: the {window.name} alert can never fire: a burn rate of {window.factor:g} "
                    f"needs more than {window.factor * self.error_budget:.0%} of events to fail",
                    self.origin,
                    "raise the objective (a smaller error budget) or lengthen the period",
                )

    # --- numbers -----------------------------------------------------------------------------------
    @property
    def period_seconds(self) -> float:
        return parse_duration(self.period)

    @property
    def error_budget(self) -> float:
        """The share of events allowed to be bad (1 - objective), e.g. 0.01 for 99%."""
        return round(1 - self.objective / 100, 12)

    @property
    def windows(self) -> tuple[BurnWindow, ...]:
        return burn_windows(parse_duration(self.period), self.scale_windows)

    def window_lengths(self) -> list[str]:
        """Every distinct window, shortest first."""
        names = {w for pair in self.windows for w in (pair.short, pair.long)}
        return sorted(names, key=parse_duration)

    # --- rendered objects ---------------------------------------------------------------------------
    @property
    def _level(self) -> str:
        return "_".join(self.by)

    def error_ratio_rule(self, window: str) -> RecordingRule:
        return _rules(self)["ratio"][window]

    def burn_rate_rule(self, window: str) -> RecordingRule:
        return _rules(self)["burn"][window]

    @property
    def objective_rule(self) -> RecordingRule:
        return _rules(self)["objective"]

    @property
    def error_budget_rule(self) -> RecordingRule:
        return _rules(self)["budget"]

    def recording_rules(self) -> tuple[RecordingRule, ...]:
        rules = _rules(self)
        return (
            *rules["ratio"].values(),
            *rules["burn"].values(),
            rules["objective"],
            rules["budget"],
        )

    @property
    def burn_threshold(self) -> Threshold:
        """The burn-rate factors of the four alerts, as one Threshold: the alerts compare against its steps
        and the dashboard colours burn rates with it."""
        return _rules(self)["threshold"]

    def alerts(self) -> tuple[Alert, ...]:
        return _rules(self)["alerts"]

    def alert_for(self, window_name: str) -> Alert:
        return next(a for a in self.alerts() if a.burn_rate.window.name == window_name)

    def remaining_budget_query(self) -> str:
        """Error budget left over the whole period (1 = untouched, 0 = spent), for the dashboard: computed at
        query time, since a recorded series over 30 days would cost every rule evaluation."""
        ratio = self.sli.error_ratio(self.period, self.by)
        return f"1 - ({ratio}) / {_number(self.error_budget)}"


@dataclass(frozen=True)
class BurnRateAlert:
    """What the test generator needs to know about a burn-rate alert: its SLO and window pair."""

    slo: SLO
    window: BurnWindow


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


_CACHE: dict[int, tuple[SLO, dict]] = {}


def _rules(slo: SLO) -> dict:
    """Built once per SLO object (the same RecordingRule objects everywhere, so references compare equal)."""
    cached = _CACHE.get(id(slo))
    if cached is not None and cached[0] is slo:
        return cached[1]
    origin = slo.origin
    level, base = slo._level, f"slo_{slo.name}"
    ratio = {
        w: RecordingRule(f"{level}:{base}_errors:ratio_rate{w}", slo.sli.error_ratio(w, slo.by), origin=origin)
        for w in slo.window_lengths()
    }
    burn = {
        w: RecordingRule(f"{level}:{base}:burn_rate{w}", f"{ratio[w]} / {_number(slo.error_budget)}", origin=origin)
        for w in slo.window_lengths()
    }
    objective = RecordingRule(f":{base}:objective_ratio", f"vector({_number(slo.objective / 100)})", origin=origin)
    budget = RecordingRule(f":{base}:error_budget_ratio", f"vector({_number(slo.error_budget)})", origin=origin)
    steps = [Step(None, "green", "within budget")]
    colours = {"ticket_slow": "yellow", "ticket_quick": "orange", "page_slow": "red", "page_quick": "dark-red"}
    for window in sorted(slo.windows, key=lambda w: w.factor):
        steps.append(Step(window.factor, colours[window.name], window.meaning))
    threshold = Threshold(f"{slo.name} burn rate", steps=tuple(steps), origin=origin)
    prefix = slo.alert_name or "".join(part.capitalize() for part in slo.name.split("_")) + "Slo"
    alerts = []
    for window in slo.windows:
        level_step = threshold[window.meaning]
        condition = both(above(burn[window.long], level_step), above(burn[window.short], level_step))
        kind = "Page" if window.kind == "page" else "Ticket"
        speed = "Quick" if window.name.endswith("quick") else "Slow"
        per = " of {{ $labels." + slo.by[0] + " }}" if slo.by else ""
        alerts.append(
            Alert(
                f"{prefix}{kind}{speed}",
                condition,
                slo.for_,
                slo.page if window.kind == "page" else slo.ticket,
                summary=f"SLO {slo.name}{per}: the error budget burns {window.factor:g}x too fast.",
                description=(
                    f"SLO {slo.name}{per} ({slo.objective:g}% over {slo.period}) burns its error budget "
                    f'{{{{ $value | printf "%.1f" }}}}x faster than sustainable over {window.long} (and still over '
                    f"{window.short}); at {window.factor:g}x, {window.budget_percent:g}% of the budget is gone "
                    f"in {window.long}."
                ),
                team=slo.team,
                labels={"slo": slo.name, "burn_window": window.long},
                origin=origin,
                burn_rate=BurnRateAlert(slo, window),
            )
        )
    made = {
        "ratio": ratio,
        "burn": burn,
        "objective": objective,
        "budget": budget,
        "threshold": threshold,
        "alerts": tuple(alerts),
    }
    _CACHE[id(slo)] = (slo, made)
    return made


def slo_rule_groups(slos, prefix: str, interval: str = "30s") -> tuple[RuleGroup, ...]:
    """A recording group per SLO (each stays under rulers' per-group limits), then one group of their alerts."""
    slos = tuple(slos)
    recording = tuple(RuleGroup(f"{prefix}.slo_{s.name}", interval, s.recording_rules(), origin=s.origin) for s in slos)
    return (*recording, RuleGroup(f"{prefix}.slo_alerts", interval, tuple(a for s in slos for a in s.alerts())))


def error_budget_dashboard(title: str, slos, uid: str = "", tags: tuple[str, ...] = ()) -> Dashboard:
    """Per SLO a row: budget left over the period, burn rate per window (coloured by the alerts' own
    thresholds), and the SLI against its objective."""
    rows = []
    for slo in slos:
        legend = "{{" + slo.by[0] + "}}" if slo.by else slo.name
        remaining = Stat(
            f"{slo.name}: error budget left ({slo.period})",
            [Query(slo.remaining_budget_query(), legend=legend)],
            unit="percentunit",
            decimals=1,
            width=6,
            thresholds=Threshold(
                f"{slo.name} budget left",
                steps=(Step(None, "red", "spent"), Step(0, "yellow", "spending"), Step(0.5, "green", "plenty")),
                origin=slo.origin,
            ),
            description=f"Share of the {slo.period} error budget ({slo.error_budget:.2%} of events) not yet spent.",
        )
        burn = TimeSeries(
            f"{slo.name}: burn rate per window",
            [Query(slo.burn_rate_rule(w), legend=f"{legend} {w}") for w in slo.window_lengths()],
            unit="none",
            decimals=2,
            width=12,
            thresholds=slo.burn_threshold,
            description="How many times faster than sustainable the budget burns; the steps are the alerts' factors.",
        )
        shortest = slo.window_lengths()[0]
        sli = TimeSeries(
            f"{slo.name}: SLI against objective",
            [
                Query(f"1 - {slo.error_ratio_rule(shortest)}", legend=f"{legend} good events ({shortest})"),
                Query(slo.objective_rule, legend="objective"),
            ],
            unit="percentunit",
            decimals=3,
            width=6,
            description=f"The share of good events against the objective ({slo.objective:g}%).",
        )
        rows.append(Row(f"SLO {slo.name}", (remaining, burn, sli)))
    return Dashboard(
        title,
        uid=uid,
        rows=tuple(rows),
        tags=tags,
        description="Error budgets of the service's SLOs: what is left, how fast it burns, the SLI.",
        time_from="now-7d",
    )
