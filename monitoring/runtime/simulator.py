"""A/B test traffic simulator: a real HTTP service exposing the A/B stack's catalog on /metrics.

Modelled on the stack it is monitored by: baseline serves 70% of requests and enhanced 30%
(``TRAFFIC_TARGETS``), baseline answers in 45-55 ms and fails 0.6% of requests, enhanced answers
in 60-80 ms and fails 0.4% (both inside the 99% availability SLO's 1% error budget, so its
burn-rate alerts stay quiet on healthy traffic). A background thread serves requests at a fixed
rate. Routing and
errors are spread evenly (smooth weighted round robin, error accumulators) rather than drawn at
random, so short windows in the test overlay never see a healthy model cross a threshold by
chance; latencies and gauge noise come from a seeded RNG.

Faults push one alert's signal clearly past that alert's threshold; the values are computed from
the alert's condition (its Threshold step), never retyped. ``expected_alerts`` says which alerts
a set of active faults should fire, from the same signal model, so tests compare Prometheus and
Alertmanager against it.

Control API (JSON): ``GET /faults``, ``POST /faults/<name>[?model=<model>]``, ``DELETE /faults/<name>``,
``DELETE /faults``; ``GET /metrics``; ``GET /-/ready``.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from monitoring.definitions import ab_test
from monitoring.errors import DefinitionError
from monitoring.model import Alert
from monitoring.model.conditions import Condition
from monitoring.runtime.http import LoopbackServer

STACK = ab_test.STACK
MODELS = tuple(ab_test.TRAFFIC_TARGETS)
COST_PER_PREDICTION_USD = 0.0004  # extra serving cost of the enhanced model, for the business gauges


@dataclass(frozen=True)
class ModelProfile:
    share: float  # weight in the traffic split
    latency: tuple[float, float]  # uniform response time range, seconds
    error_ratio: float
    accuracy: float  # percent
    confidence: float  # 0-1


@dataclass(frozen=True)
class State:
    models: dict[str, ModelProfile]
    drift: float

    def with_model(self, model: str, **changes) -> State:
        return replace(self, models={**self.models, model: replace(self.models[model], **changes)})


HEALTHY = State(
    models={
        "baseline": ModelProfile(ab_test.TRAFFIC_TARGETS["baseline"], (0.045, 0.055), 0.006, 85.0, 0.86),
        "enhanced": ModelProfile(ab_test.TRAFFIC_TARGETS["enhanced"], (0.060, 0.080), 0.004, 88.0, 0.89),
    },
    drift=0.12,
)


def signal_alerts() -> tuple[Alert, ...]:
    """The alerts on the service's signals, which faults drive: a comparison with a threshold step.

    The meta-monitoring alerts (the always-firing Watchdog, the absent-metrics alert) are about the monitoring
    itself, not about a signal: the end-to-end run proves them apart (always firing; the simulator stopping).
    """
    return tuple(a for a in STACK.alerts() if isinstance(a.condition, Condition))


def stack_alert(name: str) -> Alert:
    for candidate in STACK.alerts():
        if candidate.name == name:
            return candidate
    raise DefinitionError(
        f"the A/B stack has no alert {name!r}",
        ab_test.STACK.origin,
        "the simulator's faults and signals name the stack's alerts",
    )


# --- What each alert measures, as the simulator can predict it -------------------------------------


def _histogram_p95(model: str, state: State) -> float:
    """What histogram_quantile(0.95, ...) returns for a uniform latency range, with the catalog's buckets."""
    low, high = state.models[model].latency
    bounds = ab_test.RESPONSE_TIME.buckets
    cumulative = [min(max((b - low) / (high - low), 0.0), 1.0) for b in bounds]
    previous_bound, previous_fraction = 0.0, 0.0
    for bound, fraction in zip(bounds, cumulative):
        if fraction >= 0.95:
            return previous_bound + (bound - previous_bound) * (0.95 - previous_fraction) / (
                fraction - previous_fraction
            )
        previous_bound, previous_fraction = bound, fraction
    return bounds[-1]  # beyond the last finite bucket Prometheus returns its upper bound


def _share(model: str, state: State) -> float:
    return state.models[model].share / sum(p.share for p in state.models.values())


SIGNALS: dict[str, Callable[[str, State], float]] = {
    "ModelCompleteFailure": lambda m, s: s.models[m].accuracy,
    "ModelAccuracyDegraded": lambda m, s: s.models[m].accuracy,
    "HighErrorRate": lambda m, s: s.models[m].error_ratio,
    "HighResponseTime": _histogram_p95,
    "TrafficSplitDeviation": lambda m, s: 100 * abs(_share(m, s) - ab_test.TRAFFIC_TARGETS[m]),
    "PredictionDriftHigh": lambda m, s: s.drift,
    "ModelConfidenceLow": lambda m, s: s.models[m].confidence,
}


def holds(rule: Alert, value: float) -> bool:
    level = rule.condition.level.value
    return {"<": value < level, "<=": value <= level, ">": value > level, ">=": value >= level}[rule.condition.op]


# --- Faults: each pushes one alert's signal clearly past its threshold -------------------------------


def _beyond(rule: Alert, factor: float) -> float:
    """A value on the firing side of the alert's level: level x factor (factor > 1 for above, < 1 for below)."""
    return rule.condition.level.value * factor


def _between_levels(rule: Alert) -> float:
    """Past this alert's level but short of the next level on the same signal (e.g. degraded, not failing)."""
    signal, level = str(rule.condition.signal), rule.condition.level.value
    others = [
        a.condition.level.value
        for a in signal_alerts()
        if str(a.condition.signal) == signal and a is not rule and a.condition.op == rule.condition.op
    ]
    nearer = [v for v in others if (v < level if rule.condition.op in ("<", "<=") else v > level)]
    if not nearer:
        return _beyond(rule, 0.6 if rule.condition.op in ("<", "<=") else 1.5)
    closest = max(nearer) if rule.condition.op in ("<", "<=") else min(nearer)
    return (level + closest) / 2


def _skew(model: str, state: State) -> State:
    # Move this model's share away from its target by three times the allowed deviation.
    shift = 3 * stack_alert("TrafficSplitDeviation").condition.level.value / 100
    target = ab_test.TRAFFIC_TARGETS[model]
    new_share = target + shift if target + shift < 1 else target - shift
    others = [m for m in state.models if m != model]
    rest = sum(state.models[m].share for m in others)
    for m in others:
        state = state.with_model(m, share=(1 - new_share) * state.models[m].share / rest)
    return state.with_model(model, share=new_share)


@dataclass(frozen=True)
class Fault:
    name: str
    alert: str  # the alert this fault is built to fire
    description: str
    default_model: str
    apply: Callable[[str, State], State] = field(repr=False)
    whole_test: bool = False  # affects every model (split, drift), not just the one named


def _fault_table() -> dict[str, Fault]:
    collapse, degraded = stack_alert("ModelCompleteFailure"), stack_alert("ModelAccuracyDegraded")
    errors, slow = stack_alert("HighErrorRate"), stack_alert("HighResponseTime")
    drift, confidence = stack_alert("PredictionDriftHigh"), stack_alert("ModelConfidenceLow")
    drift_max = ab_test.DRIFT.max if ab_test.DRIFT.max is not None else float("inf")
    faults = (
        Fault(
            "accuracy_collapse",
            collapse.name,
            "accuracy falls far below the failing level",
            "enhanced",
            lambda m, s: s.with_model(m, accuracy=_beyond(collapse, 0.6)),
        ),
        Fault(
            "accuracy_degradation",
            degraded.name,
            "accuracy degraded, but not failing",
            "baseline",
            lambda m, s: s.with_model(m, accuracy=_between_levels(degraded)),
        ),
        Fault(
            "error_spike",
            errors.name,
            "three times the error ratio limit",
            "baseline",
            lambda m, s: s.with_model(m, error_ratio=min(_beyond(errors, 3), 1.0)),
        ),
        Fault(
            "latency_increase",
            slow.name,
            "responses take 1.5-2x the p95 limit",
            "baseline",
            lambda m, s: s.with_model(m, latency=(_beyond(slow, 1.5), _beyond(slow, 2))),
        ),
        Fault(
            "traffic_skew",
            stack_alert("TrafficSplitDeviation").name,
            "the split moves 3x the allowed deviation",
            "enhanced",
            _skew,
            whole_test=True,
        ),
        Fault(
            "prediction_drift",
            drift.name,
            "the two models' predictions drift apart",
            "enhanced",
            lambda m, s: replace(s, drift=min(_beyond(drift, 2), drift_max)),
            whole_test=True,
        ),
        Fault(
            "low_confidence",
            confidence.name,
            "confidence at half the minimum",
            "enhanced",
            lambda m, s: s.with_model(m, confidence=_beyond(confidence, 0.5)),
        ),
    )
    return {f.name: f for f in faults}


FAULTS = _fault_table()


def apply_faults(active: dict[str, str], state: State = HEALTHY) -> State:
    for name, model in sorted(active.items()):
        state = FAULTS[name].apply(model, state)
    return state


def expected_alerts(active: dict[str, str]) -> set[tuple[str, str | None]]:
    """(alert name, model_name or None) of every alert the active faults should fire.

    Every label set an alert can fire with (from the catalog's label inference) is predicted from
    the simulator's own model of the signals; an alert without model_name reads any model's view.
    """
    from monitoring.alertmanager.instances import alert_instances

    state = apply_faults(active)
    expected = set()
    for a in signal_alerts():
        for instance in alert_instances(a, STACK):
            model = instance.get("model_name")
            if holds(a, SIGNALS[a.name](model or MODELS[0], state)):
                expected.add((a.name, model))
    return expected


# --- The running service ---------------------------------------------------------------------------


class Simulator:
    """Generates traffic in a background thread and serves /metrics plus the fault control API."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, rate: float = 100.0, seed: int = 1, tick: float = 0.05):
        from prometheus_client import CollectorRegistry

        from monitoring.runtime.instrument import instrument

        if not (isinstance(rate, (int, float)) and math.isfinite(rate) and rate > 0):
            raise ValueError(f"the request rate must be a finite number above zero, not {rate!r}")
        self.rate, self.tick = rate, tick
        self.registry = CollectorRegistry()
        self.metrics = instrument(STACK, self.registry)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._active: dict[str, str] = {}
        self._state = HEALTHY
        self._due = 0.0
        self._weights = {m: 0.0 for m in MODELS}  # smooth weighted round robin
        self._error_debt = {m: 0.0 for m in MODELS}  # errors owed, spread evenly
        self._stop = threading.Event()
        self._server = LoopbackServer(_handler(self), host, port, name="simulator-http")
        self._traffic = threading.Thread(target=self._generate, name="simulator-traffic", daemon=True)

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> Simulator:
        self._step(0.0)  # gauges have values before the first scrape
        self._server.start()
        self._traffic.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.stop()
        if self._traffic.is_alive():
            self._traffic.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # Faults
    def activate(self, name: str, model: str | None = None) -> None:
        if name not in FAULTS:
            raise KeyError(name)
        model = model or FAULTS[name].default_model
        if model not in MODELS:
            raise ValueError(f"unknown model {model!r}; models: {', '.join(MODELS)}")
        with self._lock:
            self._active[name] = model
            self._state = apply_faults(self._active)

    def deactivate(self, name: str | None = None) -> None:
        if name is not None and name not in FAULTS:
            raise KeyError(name)
        with self._lock:
            if name is None:
                self._active.clear()
            else:
                self._active.pop(name, None)
            self._state = apply_faults(self._active)

    def active(self) -> dict[str, str]:
        with self._lock:
            return dict(self._active)

    # Traffic
    def _generate(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(self.tick):
            now = time.monotonic()
            self._step(now - last)
            last = now

    def _step(self, elapsed: float) -> None:
        requests, response_time = self.metrics[ab_test.REQUESTS], self.metrics[ab_test.RESPONSE_TIME]
        with self._lock:
            state = self._state
            self._due += self.rate * elapsed
            count, self._due = int(self._due), self._due - int(self._due)
            for _ in range(count):
                model = self._pick(state)
                profile = state.models[model]
                self._error_debt[model] += profile.error_ratio
                failed = self._error_debt[model] >= 1
                if failed:
                    self._error_debt[model] -= 1
                requests.labels(model, "error" if failed else "success").inc()
                response_time.labels(model).observe(self._rng.uniform(*profile.latency))
            self._set_gauges(state)

    def _pick(self, state: State) -> str:
        total = sum(p.share for p in state.models.values())
        for m, profile in state.models.items():
            self._weights[m] += profile.share
        chosen = max(self._weights, key=self._weights.get)
        self._weights[chosen] -= total
        return chosen

    def _set_gauges(self, state: State) -> None:
        noise = self._rng.uniform
        for m, profile in state.models.items():
            self.metrics[ab_test.ACCURACY].labels(m).set(_clamp(profile.accuracy + noise(-0.5, 0.5), ab_test.ACCURACY))
            self.metrics[ab_test.CONFIDENCE].labels(m).set(
                _clamp(profile.confidence + noise(-0.01, 0.01), ab_test.CONFIDENCE)
            )
        self.metrics[ab_test.DRIFT].set(_clamp(state.drift + noise(-0.01, 0.01), ab_test.DRIFT))
        enhanced_per_day = self.rate * _share("enhanced", state) * 86400
        lift = (state.models["enhanced"].accuracy - state.models["baseline"].accuracy) / 100
        revenue = enhanced_per_day * lift * ab_test.REVENUE_PER_PREDICTION_USD
        cost = -enhanced_per_day * COST_PER_PREDICTION_USD
        impact = self.metrics[ab_test.BUSINESS_IMPACT]
        impact.labels("revenue_lift").set(revenue)
        impact.labels("cost_impact").set(cost)
        impact.labels("net_business_value").set(revenue + cost)


def _clamp(value: float, metric) -> float:
    low = metric.min if metric.min is not None else value
    high = metric.max if metric.max is not None else value
    return min(max(value, low), high)


def _handler(sim: Simulator):
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet: the e2e run prints its own report
            pass

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data) -> None:
            self._send(status, json.dumps(data, sort_keys=True).encode() + b"\n")

        def _faults(self) -> dict:
            return {
                "active": sim.active(),
                "available": {
                    f.name: {"alert": f.alert, "description": f.description, "default_model": f.default_model}
                    for f in FAULTS.values()
                },
            }

        def _fault_name(self) -> str | None:
            parts = urlsplit(self.path).path.strip("/").split("/")
            return parts[1] if len(parts) == 2 and parts[0] == "faults" else None

        def do_GET(self):
            path = urlsplit(self.path).path
            if path == "/metrics":
                self._send(200, generate_latest(sim.registry), CONTENT_TYPE_LATEST)
            elif path == "/faults":
                self._json(200, self._faults())
            elif path in ("/-/ready", "/-/healthy"):
                self._send(200, b"ready\n", "text/plain")
            else:
                self._json(404, {"error": f"no such endpoint {path}"})

        def do_POST(self):
            name = self._fault_name()
            model = parse_qs(urlsplit(self.path).query).get("model", [None])[0]
            try:
                if name is None:
                    raise KeyError(urlsplit(self.path).path)
                sim.activate(name, model)
            except KeyError:
                self._json(404, {"error": f"unknown fault in {self.path}", "faults": sorted(FAULTS)})
                return
            except ValueError as exc:
                self._json(400, {"error": str(exc)})
                return
            self._json(200, self._faults())

        def do_DELETE(self):
            path = urlsplit(self.path).path.rstrip("/")
            try:
                sim.deactivate(None if path == "/faults" else self._fault_name() or "")
            except KeyError:
                self._json(404, {"error": f"unknown fault in {self.path}", "faults": sorted(FAULTS)})
                return
            self._json(200, self._faults())

    return Handler
