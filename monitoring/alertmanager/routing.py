"""Our own evaluation of Alertmanager's route tree (the semantics of Alertmanager 0.25's dispatch/route.go).

A route matches when all its matchers match. Its children are tried in order: every matching child's
matches are collected, and the first matching child *without* ``continue`` stops the search. A route
none of whose children matched is itself the match. Receiver, group_by and the group timings are
inherited from the parent unless set; mute/active time intervals are not inherited.

The routing tests compare this with ``amtool config routes test`` on the generated config, so a
disagreement points at either our renderer or our understanding, never silently at production.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from monitoring.alertmanager.matchers import Matcher, matchers_from_config, matches_all

# Alertmanager's defaults for the root route.
DEFAULT_TIMINGS = {"group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"}


@dataclass(frozen=True)
class Route:
    receiver: str
    matchers: tuple[Matcher, ...] = ()
    continue_: bool = False
    group_by: tuple[str, ...] = ()
    group_wait: str = DEFAULT_TIMINGS["group_wait"]
    group_interval: str = DEFAULT_TIMINGS["group_interval"]
    repeat_interval: str = DEFAULT_TIMINGS["repeat_interval"]
    mute_time_intervals: tuple[str, ...] = ()
    active_time_intervals: tuple[str, ...] = ()
    routes: tuple[Route, ...] = ()
    name: str = ""  # the policy's name for the route ("" for the root and for routes read back from a config)
    is_root: bool = field(default=False, compare=False)

    def match(self, labels: dict[str, str]) -> list[Route]:
        """The routes an alert with these labels is delivered through, in tree order."""
        if not matches_all(self.matchers, labels):
            return []
        found: list[Route] = []
        for child in self.routes:
            matched = child.match(labels)
            found.extend(matched)
            if matched and not child.continue_:
                break
        return found or [self]


def route_from_config(node: dict, parent: Route | None = None) -> Route:
    """Build the tree from an Alertmanager ``route:`` mapping (as rendered, or read back from a file)."""
    inherited = parent or Route(receiver="", is_root=True)
    route = replace(
        inherited,
        receiver=node.get("receiver", inherited.receiver),
        matchers=matchers_from_config(node),
        continue_=bool(node.get("continue", False)),
        group_by=tuple(node.get("group_by", inherited.group_by)),
        group_wait=node.get("group_wait", inherited.group_wait),
        group_interval=node.get("group_interval", inherited.group_interval),
        repeat_interval=node.get("repeat_interval", inherited.repeat_interval),
        mute_time_intervals=tuple(node.get("mute_time_intervals", ())),
        active_time_intervals=tuple(node.get("active_time_intervals", ())),
        name=node.get("name", ""),
        is_root=parent is None,
        routes=(),
    )
    return replace(route, routes=tuple(route_from_config(child, route) for child in node.get("routes", ())))


def labels_read(tree: Route) -> set[str]:
    """The label names some matcher of the tree reads: routing depends on these labels and no others."""
    return {m.name for m in tree.matchers} | {name for child in tree.routes for name in labels_read(child)}


def receivers_for(tree: Route, labels: dict[str, str]) -> list[str]:
    return [route.receiver for route in tree.match(labels)]


def only_root(tree: Route, labels: dict[str, str]) -> bool:
    """True when no route below the root matched: the alert falls through to the catch-all receiver."""
    matched = tree.match(labels)
    return len(matched) == 1 and matched[0].is_root


def group_key(route: Route, labels: dict[str, str]) -> dict[str, str]:
    """The labels an alert is grouped by on a route (``...`` groups by all labels)."""
    if "..." in route.group_by:
        return dict(labels)
    return {name: labels[name] for name in route.group_by if name in labels}
