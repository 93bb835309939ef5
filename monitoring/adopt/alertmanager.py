"""alertmanager.yml -> policies/notifications.yaml: receivers, route tree, inhibitions, time intervals, intents.

- Names become policy names (lower-case, '-' and '_'); the renames are listed.
- Inline credentials become ``*_file`` references under /etc/alertmanager/secrets/, listed as secrets to place.
- ``match``/``match_re`` and ``source_match``/``target_match`` become matchers; routes get a name and a
  description generated from their matchers.
- The catch-all (the root's receiver) may not be used by a route in a policy: when the source does, the
  root gets its own copy of that receiver, ``<name>-unrouted``.
- Intents are derived from today's tree, one per route (most specific first), naming the receivers Alertmanager
  0.25's evaluation gives for alerts carrying that route's matchers.
- Receiver kinds the policy format lacks (email, Opsgenie, ...) are left out of the receiver and listed.
"""

from __future__ import annotations

import base64
import re
import tempfile
from collections.abc import Callable
from copy import deepcopy
from pathlib import Path

import yaml

from monitoring.adopt.pysource import unique
from monitoring.adopt.rules import Imported
from monitoring.alertmanager.matchers import Matcher, MatcherError, parse_matcher
from monitoring.alertmanager.routing import receivers_for, route_from_config
from monitoring.errors import DefinitionError, Location
from monitoring.pipeline.yamlfile import parse_documents, parse_yaml, read_text

SECRETS_DIR = "/etc/alertmanager/secrets"
MATCH_ALL = 'alertname=~".*"'
_PAGERDUTY_KEYS = {"url", "client", "client_url", "description", "severity", "class", "component", "group",
                   "details", "send_resolved"}  # fmt: skip
_SLACK_KEYS = {"channel", "send_resolved", "username", "color", "title", "title_link", "pretext", "text", "footer",
               "fallback", "icon_emoji", "icon_url", "link_names", "short_fields", "mrkdwn_in"}  # fmt: skip
_WEBHOOK_KEYS = {"url", "send_resolved", "max_alerts"}
_ROUTE_KEYS = ("group_by", "group_wait", "group_interval", "repeat_interval")
_SUPPORTED = ("pagerduty_configs", "slack_configs", "webhook_configs")

# amtool check-config: (config file) -> None when accepted, else its message (handed in by the CLI)
ConfigCheck = Callable[[Path], "str | None"]


def read_config(path: Path, display: str, check: ConfigCheck | None) -> dict:
    """The Alertmanager config (also from a Kubernetes Secret wrapping one); amtool's word on it when given."""
    text = read_text(path, display)
    documents = parse_documents(text, display)  # the bounded loader: file:line errors
    data = documents[0].data if documents else None
    if isinstance(data, dict) and data.get("kind") == "Secret":
        text = _from_secret(data, display)
        data = parse_yaml(text, display).data
    if not isinstance(data, dict) or "route" not in data:
        raise DefinitionError(
            "not an Alertmanager config: no `route`", Location(display, 1), "give the alertmanager.yml you deploy"
        )
    if check is not None:
        with tempfile.TemporaryDirectory() as folder:
            config = Path(folder) / "alertmanager.yml"
            config.write_text(text)
            problem = check(config)
        if problem:
            problem = problem.replace(str(config), display)
            line = re.search(r"line (\d+)", problem)
            raise DefinitionError(
                f"amtool rejects the config: {problem}",
                Location(display, int(line.group(1)) if line else 1),
                "import the config Alertmanager runs today; amtool check-config must accept it",
            )
    return data


def _from_secret(data: dict, display: str) -> str:
    for key in ("alertmanager.yaml", "alertmanager.yml"):
        if isinstance((data.get("stringData") or {}).get(key), str):
            return data["stringData"][key]
        if isinstance((data.get("data") or {}).get(key), str):
            return base64.b64decode(data["data"][key]).decode()
    raise DefinitionError("a Secret without alertmanager.yaml in stringData or data", Location(display, 1))


def import_alertmanager_config(path: Path, check: ConfigCheck | None = None) -> Imported:
    config = read_config(path, str(path), check)
    return PolicyWriter(config, str(path)).write()


class PolicyWriter:
    def __init__(self, config: dict, display: str):
        self.config, self.display = config, display
        self.notes: list[str] = []
        self.secrets: list[str] = []
        self.names: dict[str, str] = {}  # source receiver name -> policy name
        self.taken: set[str] = set()
        self.renamed_catch_all: tuple[str, str] | None = None

    def write(self) -> Imported:
        config = self.config
        for receiver in config.get("receivers") or []:
            self.names[receiver["name"]] = self._name(receiver["name"])
        root = config["route"]
        catch_all = self.names[root["receiver"]]
        receivers = [self._receiver(r) for r in config.get("receivers") or []]
        if self._used_below(root, root["receiver"]) or not root.get("routes"):  # (without routes, one is added)
            original = deepcopy(next(r for r in receivers if r["name"] == catch_all))
            copy = {
                "name": self._name(f"{catch_all}-unrouted"),
                "description": f"Catch-all: alerts no route matched (a copy of {catch_all}).",
                **{k: v for k, v in original.items() if k != "name"},
            }
            receivers.append(copy)
            self.notes.append(f"catch-all: routes use {catch_all!r}, so the root has its own copy {copy['name']!r}")
            self.renamed_catch_all = (copy["name"], root["receiver"])
            catch_all = copy["name"]
        self.route_names: set[str] = set()
        policy: dict = {"receivers": receivers, "route": self._root(root, catch_all)}
        inhibitions = [self._inhibition(n, rule) for n, rule in enumerate(config.get("inhibit_rules") or [], 1)]
        if inhibitions:
            policy["inhibitions"] = inhibitions
        intervals = (config.get("time_intervals") or []) + (config.get("mute_time_intervals") or [])
        if intervals:
            policy["time_intervals"] = [self._interval(t) for t in intervals]
        policy["intents"] = self._intents(policy)
        for key in sorted(
            set(config) - {"route", "receivers", "inhibit_rules", "time_intervals", "mute_time_intervals"}
        ):
            self.notes.append(f"`{key}` is not carried over (the generated config sets its own)")
        counts = {
            "receivers": len(receivers),
            "routes": sum(1 for _ in _walk(policy["route"])) - 1,
            "inhibitions": len(inhibitions),
            "intents": len(policy["intents"]),
            "secrets to place": len(self.secrets),
        }
        receivers_from = {new: old for old, new in self.names.items()}
        if self.renamed_catch_all:
            receivers_from[self.renamed_catch_all[0]] = self.renamed_catch_all[1]
        text = self._header() + _dump(policy)
        return Imported("notifications", text, self.notes + self.secrets, counts, receivers_from)

    # --- names ---------------------------------------------------------------------------------------
    def _name(self, text: str) -> str:
        name = re.sub(r"[^a-z0-9_-]+", "-", str(text).lower()).strip("-_") or "receiver"
        if not name[0].isalnum():
            name = "r-" + name
        candidate, n = name, 2
        while candidate in self.taken:
            candidate, n = f"{name}-{n}", n + 1
        self.taken.add(candidate)
        if candidate != text:
            self.notes.append(f"{text!r} is named {candidate!r}")
        return candidate

    # --- receivers -----------------------------------------------------------------------------------
    def _receiver(self, source: dict) -> dict:
        name = self.names[source["name"]]
        out: dict = {"name": name}
        for kind in sorted(k for k in source if k.endswith("_configs") and k not in _SUPPORTED):
            self.notes.append(f"receiver {name!r}: {kind} are not in the policy format; add them by hand")
        for n, item in enumerate(source.get("pagerduty_configs") or [], 1):
            entry = {k: v for k, v in item.items() if k in _PAGERDUTY_KEYS}
            for key in ("routing_key", "service_key"):
                if key in item or f"{key}_file" in item:
                    entry[f"{key}_file"] = item.get(f"{key}_file") or self._secret(
                        name, f"pagerduty-{key.replace('_', '-')}", n
                    )
            self._http(entry, item, name)
            out.setdefault("pagerduty_configs", []).append(entry)
        for n, item in enumerate(source.get("slack_configs") or [], 1):
            entry = {k: v for k, v in item.items() if k in _SLACK_KEYS}
            entry["api_url_file"] = item.get("api_url_file") or self._secret(name, "slack-api-url", n)
            if "channel" not in entry:
                entry["channel"] = "#alerts"
                self.notes.append(f"receiver {name!r}: Slack config without a channel: #alerts assumed, set yours")
            self._http(entry, item, name)
            out.setdefault("slack_configs", []).append(entry)
        for item in source.get("webhook_configs") or []:
            entry = {k: v for k, v in item.items() if k in _WEBHOOK_KEYS}
            self._http(entry, item, name)
            out.setdefault("webhook_configs", []).append(entry)
        return out

    def _secret(self, receiver: str, what: str, n: int) -> str:
        path = f"{SECRETS_DIR}/{receiver}-{what}" + (f"-{n}" if n > 1 else "")
        self.secrets.append(f"secret to place: {path} ({what.replace('-', ' ')} of receiver {receiver!r})")
        return path

    def _http(self, entry: dict, item: dict, receiver: str) -> None:
        http = item.get("http_config")
        if not isinstance(http, dict):
            return
        out: dict = {}
        if "basic_auth" in http:
            auth = http["basic_auth"] or {}
            out["basic_auth"] = {"username": str(auth.get("username", ""))}
            out["basic_auth"]["password_file"] = auth.get("password_file") or self._secret(receiver, "password", 1)
        if "authorization" in http or "bearer_token" in http or "bearer_token_file" in http:
            auth = http.get("authorization") or {}
            file = auth.get("credentials_file") or http.get("bearer_token_file")
            out["authorization"] = {"type": auth.get("type", "Bearer")}
            out["authorization"]["credentials_file"] = file or self._secret(receiver, "credentials", 1)
        for key in ("proxy_url", "follow_redirects", "tls_config"):
            if key in http:
                out[key] = http[key]
        if out:
            entry["http_config"] = out

    # --- routes --------------------------------------------------------------------------------------
    def _used_below(self, node: dict, receiver: str) -> bool:
        return any(r.get("receiver") == receiver or self._used_below(r, receiver) for r in node.get("routes") or [])

    def _root(self, node: dict, catch_all: str) -> dict:
        out: dict = {"receiver": catch_all}
        out.update({k: node[k] for k in _ROUTE_KEYS if k in node})
        routes = [self._route(r) for r in node.get("routes") or []]
        if not routes:  # a policy's root has routes: one that takes every alert to the old root's receiver
            receiver = self.names[node["receiver"]]
            routes = [self._route({"matchers": [MATCH_ALL], "receiver": node["receiver"]})]
            self.notes.append(f"the tree had no routes: route {routes[0]['name']!r} sends every alert to {receiver!r}")
        out["routes"] = routes
        return out

    def _route(self, node: dict) -> dict:
        matchers = _matchers(node, "") or [MATCH_ALL]
        name = _route_name(matchers, self.route_names)
        receiver = self.names.get(node.get("receiver", ""), "")
        out: dict = {
            "name": name,
            "description": f"Alerts with {', '.join(matchers)} go to {receiver or 'the parent route`s receiver'}."
            if matchers != [MATCH_ALL]
            else f"Every alert goes to {receiver or 'the parent route`s receiver'}.",
            "matchers": matchers,
        }
        if receiver:
            out["receiver"] = receiver
        if node.get("continue"):
            out["continue"] = True
        out.update({k: node[k] for k in _ROUTE_KEYS if k in node})
        for key in ("mute_time_intervals", "active_time_intervals"):
            if node.get(key):
                out[key] = [_interval_name(n) for n in node[key]]
        children = [self._route(child) for child in node.get("routes") or []]
        if children:
            out["routes"] = children
        return out

    def _inhibition(self, n: int, rule: dict) -> dict:
        source, target = _matchers(rule, "source_") or [MATCH_ALL], _matchers(rule, "target_") or [MATCH_ALL]
        out = {
            "name": f"inhibition-{n}",
            "description": f"While an alert with {', '.join(source)} fires, alerts with {', '.join(target)} "
            + (f"and the same {', '.join(rule['equal'])} " if rule.get("equal") else "")
            + "are silenced.",
            "source_matchers": source,
            "target_matchers": target,
        }
        if rule.get("equal"):
            out["equal"] = list(rule["equal"])
        return out

    def _interval(self, item: dict) -> dict:
        return {"name": _interval_name(item["name"]), "time_intervals": item.get("time_intervals") or []}

    def _intents(self, policy: dict) -> list[dict]:
        """One intent per route, most specific first: its path's matchers, the receivers the tree gives. A route
        that continues also gets one for alerts that match a later sibling too (both receivers), before its own."""
        tree = route_from_config(policy["route"])
        catch_all = policy["route"]["receiver"]
        intents, names, seen = [], set(), set()
        for title, path in _candidates(policy["route"]):
            matchers = list(dict.fromkeys(m for route in path for m in route["matchers"] if m != MATCH_ALL))
            matchers = matchers or [MATCH_ALL]
            if tuple(matchers) in seen:
                continue
            seen.add(tuple(matchers))
            labels = _example(matchers)
            if labels is None:
                self.notes.append(f"route {title!r}: no intent (no label set found matching its path)")
                continue
            receivers = [r for r in dict.fromkeys(receivers_for(tree, labels)) if r != catch_all]
            if not receivers:
                continue
            intents.append(
                {
                    "name": _route_name(["to", title], names),
                    "description": f"Today's tree: alerts through {title!r} reach {', '.join(receivers)}.",
                    "matchers": matchers,
                    "receivers": receivers,
                }
            )
        if not intents:
            raise DefinitionError(
                "no route of the tree reaches a receiver other than the catch-all", Location(self.display, 1)
            )
        return intents

    def _header(self) -> str:
        secrets = "".join(f"#   {s.removeprefix('secret to place: ')}\n" for s in self.secrets)
        return (
            "# yaml-language-server: $schema=schemas/notifications.schema.json\n#\n"
            f"# Imported by `monitoring import alertmanager` from\n#   {self.display}\n"
            "# Review the generated route names, descriptions and intents: the intents state what today's tree\n"
            "# does, so the routing tests pass; edit them to say what must happen.\n"
            + (f"#\n# Secrets to place (Alertmanager reads them from these files):\n{secrets}" if secrets else "")
            + "\n"
        )


def _matchers(node: dict, prefix: str) -> list[str]:
    """Every matcher of a route or one side of an inhibit rule, normalised to name="value"."""
    found: list[Matcher] = []
    for key, op in ((f"{prefix}match", "="), (f"{prefix}match_re", "=~")):
        for name, value in (node.get(key) or {}).items():
            found.append(Matcher(str(name), op, str(value)))
    for text in node.get(f"{prefix}matchers") or []:
        try:
            found.append(parse_matcher(text))
        except MatcherError as exc:
            raise DefinitionError(str(exc), hint="amtool accepted it; please report this matcher") from None
    return [str(m) for m in found]


def _route_name(matchers: list[str], taken: set[str]) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", " ".join(matchers).lower()).strip("-")[:50].strip("-") or "route"
    return unique(words, taken)


def _interval_name(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", str(text).lower()).strip("-_") or "interval"


def _walk(route: dict):
    yield route
    for child in route.get("routes") or []:
        yield from _walk(child)


def _candidates(root: dict) -> list[tuple[str, list[dict]]]:
    """(title, routes whose matchers an alert carries) for every route below the root, children before their
    parent; before a route that continues, its combinations with each later sibling's routes."""
    found: list[tuple[str, list[dict]]] = []

    def subtree(route: dict, above: list[dict]) -> list[list[dict]]:
        paths = [p for child in route.get("routes") or [] for p in subtree(child, above + [route])]
        return paths + [above + [route]]

    def visit(routes: list[dict], above: list[dict]) -> None:
        for i, route in enumerate(routes):
            visit(route.get("routes") or [], above + [route])
            if route.get("continue"):
                for sibling in routes[i + 1 :]:
                    for path in subtree(sibling, []):
                        found.append((f"{route['name']} and {path[-1]['name']}", above + [route] + path))
            found.append((route["name"], above + [route]))

    visit(root.get("routes") or [], [])
    return found


def _example(matchers: list[str]) -> dict[str, str] | None:
    """A label set every matcher accepts (alertname set), or None when the simple candidates fail."""
    parsed = [parse_matcher(m) for m in matchers]
    labels = {"alertname": "Imported"}
    for m in parsed:
        if m.op == "=":
            labels[m.name] = m.value
        elif m.op == "=~":
            options = re.sub(r"[\^\$\(\)]", "", m.value).split("|")
            labels[m.name] = next((o for o in options if m.matches({m.name: o})), options[0])
    return labels if all(m.matches(labels) for m in parsed) else None


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:  # a policy reads top to bottom: no &anchors or *aliases
        return True


def _dump(policy: dict) -> str:
    return yaml.dump(policy, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110, default_flow_style=None)
