"""Routing tests for every alert the definitions can raise (pure: stacks and policy in, data out).

Each alert instance (``monitoring.alertmanager.instances.alert_instances``: its full label set, one per model for
per-model alerts) is listed with the receivers the policy's first matching intent says it must reach.
Each inhibition example (source alert silences target alert) is expanded to every pair of their
instances: silenced exactly when the rule's ``equal`` labels agree. ``monitoring test`` checks these
against the generated config, with amtool and with our own route-tree evaluation.
"""

from __future__ import annotations

from monitoring.alertmanager.instances import alert_instances


def render_routing_tests(stacks, policy) -> dict:
    cases = []
    instances: dict[str, list[dict[str, str]]] = {}
    for stack in stacks:
        for alert in stack.alerts():
            for labels in alert_instances(alert, stack):
                intent = policy.intent_for(labels)
                instances.setdefault(alert.name, []).append(labels)
                cases.append(
                    {
                        "alert": alert.name,
                        "stack": stack.name,
                        "labels": dict(labels),
                        "intent": intent.name if intent else None,
                        "receivers": list(intent.receivers) if intent else [],
                    }
                )
    rules = {rule.name: rule for rule in policy.inhibit_rules}
    pairs = []
    for example in policy.examples:
        equal = rules[example.rule].equal
        for source in instances.get(example.source, []):
            for target in instances.get(example.target, []):
                pairs.append(
                    {
                        "rule": example.rule,
                        "equal": list(equal),
                        "source": dict(source),
                        "target": dict(target),
                        "inhibited": all(source.get(n, "") == target.get(n, "") for n in equal),
                    }
                )
    return {"config": "alertmanager.yml", "catch_all_receiver": policy.catch_all, "routes": cases, "inhibitions": pairs}
