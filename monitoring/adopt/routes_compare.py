"""Does an imported policy route like the config it came from? amtool's answer on both, label set by label set."""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

from monitoring.alertmanager.routing import Route


def candidate_values(tree: Route) -> dict[str, set[str]]:
    """Label values worth trying: every equality value and simple regex alternative in the tree, plus a miss."""
    values: dict[str, set[str]] = {}
    stack = [tree]
    while stack:
        route = stack.pop()
        stack.extend(route.routes)
        for matcher in route.matchers:
            options = values.setdefault(matcher.name, {"", "other"})
            if matcher.op in ("=", "!="):
                options.add(matcher.value)
            else:
                options.update(re.sub(r"[\^\$\(\)]", "", matcher.value).split("|"))
    return values


def label_sets(tree: Route, limit: int = 60, seed: int = 7) -> list[dict[str, str]]:
    """Label sets worth routing: every matcher value (each regex alternative) and a miss, combined; a seeded
    sample of at most ``limit``, each with an alertname."""
    values = candidate_values(tree)
    names = sorted(values)
    combos = list(itertools.product(*(sorted(values[n]) for n in names)))
    chosen = random.Random(seed).sample(combos, min(limit, len(combos)))
    return [{n: v for n, v in zip(names, combo) if v} | {"alertname": "Imported"} for combo in chosen]


def compare_routing(receivers_of, original: Path, generated: Path, renamed: dict[str, str], sets) -> list[str]:
    """What differs, one line per label set: ``receivers_of(config, labels)`` is amtool's answer (a list of
    receiver names, or an error text); ``renamed`` maps the policy's receiver names back to the source's."""
    problems = []
    for labels in sets:
        before = receivers_of(original, labels)
        after = receivers_of(generated, labels)
        if isinstance(after, list):
            after = [renamed.get(name, name) for name in after]
        if before != after:
            problems.append(f"{labels}: {before} before, {after} after")
    return problems


def intent_problems(policy, sets) -> tuple[int, list[str]]:
    """(label sets routed past the catch-all, those whose first matching intent does not name exactly the
    receivers the tree gives): what the routing tests would report on alerts with these labels."""
    from monitoring.alertmanager.routing import receivers_for

    routed, problems = 0, []
    for labels in sets:
        receivers = receivers_for(policy.route, labels)
        if receivers == [policy.catch_all]:
            continue
        routed += 1
        intent = policy.intent_for(labels)
        if intent is None or list(intent.receivers) != receivers:
            problems.append(f"{labels}: intent {intent.name if intent else None!r}, tree {receivers}")
    return routed, problems
