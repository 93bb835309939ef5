"""The notification policy (policies/notifications.yaml): load, validate, and cross-check with the alerts.

Validation runs in this order, each step reporting ``file:line: key: what is wrong``:
1. secrets guard over every YAML file in the policies folder (a literal credential is never accepted);
2. the JSON Schema policies/schemas/notifications.schema.json (unknown keys, types, durations, names);
3. what a schema cannot say: matcher syntax, references to unknown receivers or time intervals,
   duplicate names, the catch-all receiver used by a route;
4. against the definitions: inhibition examples name alerts that exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from monitoring.alertmanager.inhibition import InhibitRule
from monitoring.alertmanager.matchers import Matcher, MatcherError, parse_matcher
from monitoring.alertmanager.routing import Route, route_from_config
from monitoring.errors import DefinitionError, DefinitionErrors
from monitoring.model.durations import parse_duration
from monitoring.pipeline.yamlfile import Document, load_yaml, schema_check

DURATION_KEYS = ("group_wait", "group_interval", "repeat_interval")
POLICY_FILE = "notifications.yaml"
SCHEMA_NAME = "schemas/notifications.schema.json"
# The project's own schema (policies/ beside the package); a policies folder elsewhere may carry its own copy.
_PROJECT_POLICIES = Path(__file__).resolve().parents[2] / "policies"


@dataclass(frozen=True)
class Intent:
    """Alerts matching ``matchers`` must reach exactly ``receivers`` (the first matching intent applies)."""

    name: str
    matchers: tuple[Matcher, ...]
    receivers: tuple[str, ...]
    where: str


@dataclass(frozen=True)
class InhibitionExample:
    rule: str
    source: str  # alert names
    target: str
    where: str


@dataclass(frozen=True)
class NotificationPolicy:
    file: str
    data: dict  # the policy as written (schema-valid)
    route: Route
    intents: tuple[Intent, ...]
    inhibit_rules: tuple[InhibitRule, ...]
    examples: tuple[InhibitionExample, ...]

    @property
    def catch_all(self) -> str:
        return self.route.receiver

    def intent_for(self, labels: dict[str, str]) -> Intent | None:
        return next((i for i in self.intents if all(m.matches(labels) for m in i.matchers)), None)


def schema_path(policies_dir: Path) -> Path:
    for candidate in (_PROJECT_POLICIES / SCHEMA_NAME, Path(policies_dir) / SCHEMA_NAME):
        if candidate.is_file():
            return candidate
    raise DefinitionError(f"the notification policy schema {SCHEMA_NAME} is missing", str(policies_dir))


def load_notification_policy(policies_dir: Path) -> NotificationPolicy:
    from monitoring.pipeline.secrets import raise_if_any, scan_folder

    policies_dir = Path(policies_dir)
    file = policies_dir / POLICY_FILE
    if not file.exists():  # anything else (a FIFO, a folder) is refused clearly by the loader
        raise DefinitionError(
            f"no notification policy: {file} does not exist",
            str(policies_dir),
            "write policies/notifications.yaml (see README, 'Notification policies and routing') "
            "or point --policies / $MONITORING_POLICIES at the folder that has it",
        )
    raise_if_any(scan_folder(policies_dir))
    document = load_yaml(file)
    schema_check(document, schema_path(policies_dir))
    return _build(document)


def _build(document: Document) -> NotificationPolicy:
    data, errors = document.data, []

    def matchers(path: tuple, items: list[str]) -> tuple[Matcher, ...]:
        parsed = []
        for i, text in enumerate(items):
            try:
                parsed.append(parse_matcher(text))
            except MatcherError as exc:
                errors.append(document.error(path + (i,), str(exc)))
        return tuple(parsed)

    def unique(section: str, items: list[tuple[tuple, str]]) -> set[str]:
        seen: set[str] = set()
        for path, name in items:
            if name in seen:
                errors.append(document.error(path, f"{section} name {name!r} is used twice"))
            seen.add(name)
        return seen

    receivers = unique("receiver", [(("receivers", i, "name"), r["name"]) for i, r in enumerate(data["receivers"])])
    intervals = unique(
        "time interval",
        [(("time_intervals", i, "name"), t["name"]) for i, t in enumerate(data.get("time_intervals", []))],
    )
    routes = list(_walk_routes(data["route"], ("route",)))
    for path, node in routes:  # the schema checks the shape; the range is Alertmanager's (about 292 years)
        for key in DURATION_KEYS:
            if isinstance(node.get(key), str):
                try:
                    parse_duration(node[key])
                except DefinitionError as exc:
                    errors.append(document.error(path + (key,), exc.message, exc.hint))
    unique("route", [(path + ("name",), node["name"]) for path, node in routes[1:]])
    catch_all = data["route"]["receiver"]

    def receiver_ref(path: tuple, name: str) -> None:
        if name not in receivers:
            errors.append(
                document.error(path, f"unknown receiver {name!r}", f"receivers are: {', '.join(sorted(receivers))}")
            )
        elif name == catch_all and path != ("route", "receiver"):
            errors.append(
                document.error(
                    path,
                    f"{name!r} is the catch-all receiver (route.receiver); alerts that "
                    "land there count as unrouted, so no route or intent may use it",
                    "give this route its own receiver",
                )
            )

    for path, node in routes:
        if "receiver" in node:
            receiver_ref(path + ("receiver",), node["receiver"])
        matchers(path + ("matchers",), node.get("matchers", []))
        for key in ("mute_time_intervals", "active_time_intervals"):
            for i, name in enumerate(node.get(key, [])):
                if name not in intervals:
                    errors.append(
                        document.error(
                            path + (key, i),
                            f"unknown time interval {name!r}",
                            f"time intervals are: {', '.join(sorted(intervals)) or 'none'}",
                        )
                    )

    intents = []
    unique("intent", [(("intents", i, "name"), x["name"]) for i, x in enumerate(data["intents"])])
    for i, item in enumerate(data["intents"]):
        for j, name in enumerate(item["receivers"]):
            receiver_ref(("intents", i, "receivers", j), name)
        intents.append(
            Intent(
                item["name"],
                matchers(("intents", i, "matchers"), item["matchers"]),
                tuple(item["receivers"]),
                document.where(("intents", i)),
            )
        )

    rules, examples = [], []
    unique("inhibition", [(("inhibitions", i, "name"), x["name"]) for i, x in enumerate(data.get("inhibitions", []))])
    for i, item in enumerate(data.get("inhibitions", [])):
        path = ("inhibitions", i)
        rules.append(
            InhibitRule(
                matchers(path + ("source_matchers",), item["source_matchers"]),
                matchers(path + ("target_matchers",), item["target_matchers"]),
                tuple(item.get("equal", ())),
                item["name"],
            )
        )
        examples += [
            InhibitionExample(item["name"], ex["source"], ex["target"], document.where(path + ("examples", j)))
            for j, ex in enumerate(item.get("examples", []))
        ]

    if errors:
        raise errors[0] if len(errors) == 1 else DefinitionErrors(errors)
    return NotificationPolicy(
        document.file, data, route_from_config(data["route"]), tuple(intents), tuple(rules), tuple(examples)
    )


def _walk_routes(node: dict, path: tuple):
    yield path, node
    for i, child in enumerate(node.get("routes", [])):
        yield from _walk_routes(child, path + ("routes", i))


def check_against_stacks(policy: NotificationPolicy, stacks) -> None:
    """Inhibition examples must name alerts that exist in the definitions."""
    alerts = {alert.name for stack in stacks for alert in stack.alerts()}
    errors = [
        DefinitionError(
            f"inhibition {ex.rule!r}: example names alert {name!r}, which no definition has",
            ex.where,
            f"alerts are: {', '.join(sorted(alerts))}",
        )
        for ex in policy.examples
        for name in (ex.source, ex.target)
        if name not in alerts
    ]
    if errors:
        raise errors[0] if len(errors) == 1 else DefinitionErrors(errors)
