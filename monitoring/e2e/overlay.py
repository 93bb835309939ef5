"""Test-only timing overlay: the same rules, run N times faster.

End-to-end tests cannot wait ten minutes for a ``for: 10m`` alert, and definitions must not change
for a test. So the overlay derives a faster Stack from the real one: every duration (rule group
intervals, alert ``for``, range windows and offsets inside PromQL) is divided by ``speedup`` and the
result is rendered by the production renderer. Thresholds, label sets, annotations and links are
untouched; only the clock runs faster.
"""

from __future__ import annotations

import re
from dataclasses import replace

import promql_parser

from monitoring.errors import DefinitionError
from monitoring.model import Alert, RecordingRule, RuleGroup, Stack
from monitoring.model.durations import format_duration, parse_duration

_DURATION = r"[0-9]+(?:ms|s|m|h|d|w|y)(?:[0-9]+(?:ms|s|m|h|d|w|y))*"
_RANGE = re.compile(rf"\[\s*({_DURATION})\s*(:\s*({_DURATION})?\s*)?\]")
_OFFSET = re.compile(rf"\b(offset\s+-?)({_DURATION})")
# PromQL string literals, where brackets and words are text, not syntax.
_STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')


def scale_duration(text: str, speedup: float, minimum: float = 0.0) -> str:
    return format_duration(max(parse_duration(text) / speedup, minimum, 0.001))  # never 0s: at least 1ms


def scale_ranges(expr: str, speedup: float, min_range: float) -> str:
    """Divide every range window, subquery step and offset in ``expr`` by ``speedup``.

    A textual rewrite outside string literals, checked against promql-parser's AST: the rewritten
    expression must parse and carry exactly the scaled windows, in the same order.
    """

    def scale_range(match: re.Match) -> str:
        window = scale_duration(match[1], speedup, min_range)
        if match[2] is None:
            return f"[{window}]"
        return f"[{window}:{scale_duration(match[3], speedup) if match[3] else ''}]"

    def rewrite(code: str) -> str:
        code = _RANGE.sub(scale_range, code)
        return _OFFSET.sub(lambda m: m[1] + scale_duration(m[2], speedup), code)

    pieces, last = [], 0
    for literal in _STRING.finditer(expr):
        pieces += [rewrite(expr[last : literal.start()]), literal.group(0)]
        last = literal.end()
    pieces.append(rewrite(expr[last:]))
    scaled = "".join(pieces)
    _check_scaled(expr, scaled, speedup, min_range)
    return scaled


def _windows(expr: str) -> list[float]:
    found: list[float] = []

    def visit(node):
        if isinstance(node, promql_parser.MatrixSelector):
            found.append(node.range.total_seconds())
        elif isinstance(node, promql_parser.SubqueryExpr):
            found.append(node.range.total_seconds())

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def _check_scaled(original: str, scaled: str, speedup: float, min_range: float) -> None:
    expected = [parse_duration(format_duration(max(w / speedup, min_range, 0.001))) for w in _windows(original)]
    if _windows(scaled) != expected:
        raise DefinitionError(
            f"the timing overlay could not rewrite the range windows of: {original}",
            hint="report this expression; the overlay rewrites [duration] selectors",
        )


def fast_stack(stack: Stack, speedup: float, min_range: float = 4.0, min_interval: float = 0.0) -> Stack:
    """The stack with every rule duration divided by ``speedup`` (range windows at least ``min_range`` s, group
    intervals at least ``min_interval`` s: a 1m group at 360x would otherwise be evaluated 6 times a second)."""
    if speedup < 1:
        raise DefinitionError(f"speedup must be at least 1, not {speedup}")

    def fast_rule(rule):
        if isinstance(rule, RecordingRule):
            return replace(rule, expr=scale_ranges(rule.text, speedup, min_range))
        if isinstance(rule, Alert):
            condition = rule.condition.with_signals(lambda signal: scale_ranges(signal, speedup, min_range))
            # no `for` (a Watchdog) stays none: it fires on the first evaluation at any speed
            for_ = scale_duration(rule.for_, speedup) if parse_duration(rule.for_ or "0s") else rule.for_
            return replace(rule, for_=for_, condition=condition)
        return rule

    groups = tuple(
        RuleGroup(
            g.name,
            scale_duration(g.interval, speedup, min_interval),
            tuple(fast_rule(r) for r in g.rules),
            origin=g.origin,
        )
        for g in stack.groups
    )
    return replace(stack, groups=groups, scrape_interval=scale_duration(stack.scrape_interval, speedup))


def signal_windows(expr: str, stack: Stack, _depth: int = 0) -> list[float]:
    """Range windows (seconds) an expression depends on, through the recording rules it reads."""
    from monitoring.promql.parse import parse, selector_name, selectors

    windows = _windows(expr)
    records = {rule.record: rule for rule in stack.recording_rules()}
    for selector in selectors(parse(expr)):
        rule = records.get(selector_name(selector) or "")
        if rule is not None and _depth < 20:
            windows += signal_windows(rule.text, stack, _depth + 1)
    return windows


def settle_seconds(stack: Stack) -> float:
    """Longest time any alert can take from a change of its inputs to firing: ``for`` plus its windows."""
    longest = 0.0
    for alert in stack.alerts():
        windows = signal_windows(str(getattr(alert.condition, "signal", alert.expr)), stack)
        longest = max(longest, alert.for_seconds + max(windows, default=0.0))
    return longest + max((parse_duration(g.interval) for g in stack.groups), default=0.0)


# --- Alertmanager ----------------------------------------------------------------------------------

_TIMINGS = ("group_wait", "group_interval", "repeat_interval")
_CALENDAR = ("mute_time_intervals", "active_time_intervals")


def alertmanager_overlay(
    config: dict, sink_url: str, secrets_dir, speedup: float, drop_time_intervals: bool = True
) -> tuple[dict, dict[str, str]]:
    """Test-only Alertmanager config from the rendered one: same routes, receivers and inhibitions, but

    - group_wait/group_interval/repeat_interval divided by ``speedup`` (the root gets Alertmanager's
      defaults, scaled, when it sets none);
    - mute/active time intervals dropped (unless ``drop_time_intervals`` is false): whether a test run
      falls on a maintenance window must not decide its outcome (the routing tests cover which routes
      carry them);
    - every Slack, PagerDuty and webhook integration delivers to ``sink_url``/<kind>/<receiver>, with
      credentials in files under ``secrets_dir``, exactly as production reads them.

    Returns the config and the secret files to write ({file name under secrets_dir: contents}).
    """
    import copy

    from monitoring.alertmanager.routing import DEFAULT_TIMINGS

    config = copy.deepcopy(config)
    root = config["route"]
    for key in _TIMINGS:
        root.setdefault(key, DEFAULT_TIMINGS[key])
    _scale_route(root, speedup, drop_time_intervals)
    secrets: dict[str, str] = {}
    for receiver in config.get("receivers", []):
        _redirect(receiver, sink_url.rstrip("/"), str(secrets_dir), secrets)
    return config, secrets


def _scale_route(node: dict, speedup: float, drop_time_intervals: bool) -> None:
    for key in _TIMINGS:
        if key in node:
            node[key] = scale_duration(node[key], speedup)
    for key in _CALENDAR if drop_time_intervals else ():
        node.pop(key, None)
    for child in node.get("routes", ()):
        _scale_route(child, speedup, drop_time_intervals)


def _redirect(receiver: dict, sink: str, secrets_dir: str, secrets: dict[str, str]) -> None:
    name = receiver["name"]
    for kind in [k for k in receiver if k.endswith("_configs")]:
        for index, integration in enumerate(receiver[kind]):
            stem = f"{name}-{kind.removesuffix('_configs')}-{index}"
            if kind == "slack_configs":
                integration.pop("api_url", None)
                secrets[f"{stem}.url"] = f"{sink}/slack/{name}"
                integration["api_url_file"] = f"{secrets_dir}/{stem}.url"
            elif kind == "pagerduty_configs":
                for key in ("routing_key", "service_key", "service_key_file"):
                    integration.pop(key, None)
                secrets[f"{stem}.key"] = routing_key(name, index)
                integration["routing_key_file"] = f"{secrets_dir}/{stem}.key"
                integration["url"] = f"{sink}/pagerduty/{name}"
            elif kind == "webhook_configs":
                integration.pop("url_file", None)
                integration["url"] = f"{sink}/webhook/{name}"
            else:
                raise DefinitionError(
                    f"receiver {name!r}: the end-to-end overlay cannot redirect {kind}",
                    hint="the end-to-end test supports Slack, PagerDuty and webhook receivers",
                )
            _redirect_credentials(integration.get("http_config"), stem, secrets_dir, secrets)


def _redirect_credentials(http_config, stem: str, secrets_dir: str, secrets: dict[str, str], path: str = "") -> None:
    """Credential files of an integration's http_config (``authorization.credentials_file``, a basic_auth
    ``password_file``, ``bearer_token_file``) point at test files holding ``credential(stem)``, which Alertmanager
    reads as in production and the sink sees in the request. The production paths (/etc/alertmanager/secrets/...)
    are not on this machine, and a file Alertmanager cannot read fails the delivery."""
    if not isinstance(http_config, dict):
        return
    http_config.pop("tls_config", None)  # the sink speaks plain HTTP on loopback
    for key, value in list(http_config.items()):
        if isinstance(value, dict):
            _redirect_credentials(value, stem, secrets_dir, secrets, f"{path}{key}-")
        elif key.endswith("_file"):
            file_name = f"{stem}-{path}{key.removesuffix('_file')}.secret"
            secrets[file_name] = credential(stem)
            http_config[key] = f"{secrets_dir}/{file_name}"


def credential(stem: str) -> str:
    """The test-only credential of an integration (stem ``<receiver>-<kind>-<index>``), checked where it arrives."""
    return f"e2e-{stem}-credential"


def routing_key(receiver: str, index: int = 0) -> str:
    """The test-only PagerDuty routing key of a receiver (checked in every PagerDuty payload)."""
    return f"e2e-{receiver}-{index}"
