"""Do our SLO alerts fire and resolve at the same evaluation steps as the rules Sloth generated?

Both rule sets are evaluated with our evaluator (Prometheus 2.42's PromQL) over the same synthesised inputs,
step by step: Sloth's SLI recording rules and its page/ticket alerts (whole, and each window pair's branch), and
our recording rules and four alerts. The inputs follow an error ratio that, for each window pair in turn, sits
just below the pair's threshold (0.8 x factor x budget), burns just above it (1.25x) for the long window, drops
just below (the short window resolves first), burns again (fires again at once: the long window remembers) and
recovers. A pair with another factor or window fires or resolves at other steps.

Like Prometheus with one global evaluation interval, the rule interval, the inputs' sample spacing and the
subqueries' default step are one value per scenario: 1m for the page pairs, 5m for the ticket pairs (days of
1m steps over 3-day windows cost minutes in an evaluator written in Python).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from monitoring.adopt.sloth import SlothSLO
from monitoring.model.rules import parse_duration
from monitoring.model.slo import SLO, BurnWindow
from monitoring.promql.evaluator import Evaluator, Series, labels_of

STEP = {"page": 60.0, "ticket": 300.0}
# Shares of a pair's threshold: just below and just above. A window mixing phases can sit exactly on the
# threshold at some steps; there the float rounding of the error budget decides (Agreement.at_factor).
SHARES = (0.8, 1.25)
EDGE = 1e-9  # a burn rate within this share of the factor is "at" it

# builds the input series from the error ratio of every sample (sample i at i x spacing) and the spacing
Inputs = Callable[[list[float], float], list[Series]]


@dataclass
class Agreement:
    """One pair's (or one severity's) alert, step by step, in both rule sets."""

    what: str  # "page 5m/1h" or "page (either pair)"
    steps: int = 0
    agreeing: int = 0
    firing: int = 0  # steps at which ours fires
    sloth_firing: int = 0
    changes: int = 0  # our fire and resolve transitions
    first_difference: float | None = None  # the time of the first step they disagree
    at_factor: int = 0  # disagreements at steps where a window's burn rate equals the factor (to 1e-9)
    sloth_only: int = 0  # disagreements where Sloth's fires and ours does not

    def add(self, t: float, ours: bool, sloth: bool, before: bool, at_factor: bool = False) -> None:
        self.steps += 1
        self.agreeing += ours == sloth
        if ours != sloth:
            self.at_factor += at_factor
            self.sloth_only += sloth
        self.firing += ours
        self.sloth_firing += sloth
        self.changes += ours != before
        if ours != sloth and self.first_difference is None:
            self.first_difference = t

    @property
    def agrees(self) -> bool:
        return self.steps > 0 and self.agreeing == self.steps


@dataclass
class Comparison:
    slo: str
    # (severity, short, long, our factor, Sloth's factor) per pair
    windows: list[tuple[str, str, str, float, float]] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)  # what cannot be compared, and why
    agreements: list[Agreement] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not self.differences and all(a.agrees for a in self.agreements)

    def summary(self) -> str:
        lines = [f"{self.slo}:"]
        for severity, short, long, ours, theirs in self.windows:
            lines.append(f"  {severity} {short}/{long}: factor {ours:g} (Sloth {theirs:g})")
        for a in self.agreements:
            lines.append(
                f"  {a.what}: {a.agreeing}/{a.steps} steps agree; fires at {a.firing} steps (Sloth {a.sloth_firing}),"
                f" {a.changes} fire/resolve transitions"
                + (
                    f"; of the {a.steps - a.agreeing} others, {a.at_factor} at a burn of exactly the factor,"
                    f" {a.sloth_only} where only Sloth's fires"
                    if not a.agrees
                    else ""
                )
            )
        lines.extend(f"  DIFFERENCE: {d}" for d in self.differences)
        return "\n".join(lines)


def _same_pair(window: BurnWindow, short: str, long: str) -> bool:
    return window.short_seconds == parse_duration(short) and window.long_seconds == parse_duration(long)


def phases_for(slo: SLO, severity: str, shares: tuple[float, float] = SHARES) -> list[tuple[float, float]]:
    """(minutes, error ratio) phases crossing each pair of the severity, the longest pair first (its gentle burn
    stays under the quicker pair's threshold)."""
    phases = []
    for window in sorted((w for w in slo.windows if w.kind == severity), key=lambda w: -w.long_seconds):
        threshold = window.factor * slo.error_budget
        short, long = window.short_seconds / 60, window.long_seconds / 60
        below, above = shares
        for minutes, share in ((short, below), (long, above), (short, below), (short, above), (short, 0.0)):
            phases.append((minutes, min(1.0, share * threshold)))
    return phases


def ratios_per_sample(phases, spacing: float) -> list[float]:
    """The error ratio over each sample's interval; sample 0 (t=0) starts the counters."""
    out = [0.0]
    for minutes, ratio in phases:
        out.extend([ratio] * round(minutes * 60 / spacing))
    return out


def compare(ours: SLO, sloth: SlothSLO, inputs: Inputs, shares: tuple[float, float] = SHARES) -> Comparison:
    result = Comparison(sloth.sloth_id)
    alerts = {a.burn_rate.window.name: a.expr for a in ours.alerts()}  # Alert.expr is built on each read
    matched = []  # (our window, Sloth's pair)
    for pair in sloth.pairs:
        same = (w for w in ours.windows if w.kind == pair.severity and _same_pair(w, pair.short, pair.long))
        window = next(same, None)
        if window is None:
            result.differences.append(f"Sloth's {pair.severity} pair {pair.short}/{pair.long} has no pair of ours")
            continue
        result.windows.append((pair.severity, pair.short, pair.long, window.factor, pair.factor))
        matched.append((window, pair))
    rules = dict(sloth.recording_rules)
    rules.update({r.record: (r.text, dict(r.labels)) for r in ours.recording_rules()})
    for severity, sloth_alert in sorted(sloth.alerts.items()):
        step = STEP[severity]
        phases = phases_for(ours, severity, shares)
        ratios = ratios_per_sample(phases, step)
        evaluator = Evaluator(inputs(ratios, step), rules, subquery_step=step)
        pairs = [(w, p) for w, p in matched if w.kind == severity]
        per_pair = [Agreement(f"{severity} {p.short}/{p.long}") for _, p in pairs]
        whole = Agreement(f"{severity} (either pair)")
        before = [False] * (len(pairs) + 1)
        for k in range(1, len(ratios)):
            t = k * step
            mine = [bool(evaluator.instant(alerts[w.name], t)) for w, _ in pairs]
            theirs = [bool(evaluator.instant(p.expr, t)) for _, p in pairs]
            edge = [mine[i] != theirs[i] and _at_factor(evaluator, ours, w, t) for i, (w, _) in enumerate(pairs)]
            for i, agreement in enumerate(per_pair):
                agreement.add(t, mine[i], theirs[i], before[i], edge[i])
            either = any(mine)
            whole.add(t, either, bool(evaluator.instant(sloth_alert, t)), before[-1], any(edge))
            before = [*mine, either]
        result.agreements.extend([*per_pair, whole])
    return result


def _at_factor(evaluator: Evaluator, slo: SLO, window: BurnWindow, t: float) -> bool:
    """Whether one of the pair's burn rates (ours) equals the factor, up to float rounding."""
    for length in (window.short, window.long):
        for _, burn in evaluator.instant(slo.burn_rate_rule(length).record, t):
            if abs(burn - window.factor) <= EDGE * window.factor:
                return True
    return False


# --- inputs ---------------------------------------------------------------------------------------------
def counters(*series: tuple[dict, float, float], events: float = 600.0) -> Inputs:
    """Counters (labels with __name__, good, bad): each grows by events x (good + bad x error ratio) per sample,
    e.g. ({"code": "500"}, 0, 1) for the failures and ({"code": "200"}, 1, -1) for the rest."""

    def build(ratios: list[float], spacing: float) -> list[Series]:
        out = []
        for labels, good, bad in series:
            value, samples = 0.0, []
            for k, ratio in enumerate(ratios):
                if k:
                    value += events * (good + bad * ratio)
                samples.append((k * spacing, value))
            out.append(Series(labels_of(labels), tuple(samples)))
        return out

    return build


def gauges(name: str, clients: int, bad: float, good: float) -> Inputs:
    """One gauge per client: at each sample round(ratio x clients) of them (carrying the rounding over, so every
    window's share follows the ratio) read ``bad``, the others ``good``."""

    def build(ratios: list[float], spacing: float) -> list[Series]:
        wanted = done = 0.0
        per_client = [[] for _ in range(clients)]
        for k, ratio in enumerate(ratios):
            wanted += ratio * clients
            count = int(round(wanted - done))
            done += count
            for i, samples in enumerate(per_client):
                samples.append((k * spacing, bad if i < count else good))
        return [
            Series(labels_of({"__name__": name, "client": f"c{i}"}), tuple(samples))
            for i, samples in enumerate(per_client)
        ]

    return build
