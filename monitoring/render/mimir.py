"""Rule files for a horizontally scaled ruler: Grafana Mimir, Cortex, Grafana Cloud (`mimirtool rules sync`).

One file per namespace, ``namespace:`` + ``groups:`` as mimirtool reads them; the groups are the plain rule
file's, with ``source_tenants`` added where the deploy policy federates a group. The tenant's ruler limits
(rules per group, groups per namespace) are checked here, at generate time, rather than by a failing sync.
"""

from __future__ import annotations


def mimir_namespace(stack_name: str, settings: dict) -> str:
    return f"{settings.get('namespace_prefix', '')}{stack_name}"


def render_mimir_rules(stack, rules: dict, policy) -> dict:
    """``policy``: the DeployPolicy (settings under ``mimir``, and the lines its errors point at)."""
    settings = policy.target("mimir")
    tenants = settings.get("source_tenants", {})
    limits = settings.get("limits", {})
    namespace = mimir_namespace(stack.name, settings)
    groups = []
    for model, group in zip(stack.groups, rules["groups"]):
        most = limits.get("rules_per_group")
        if most is not None and len(group["rules"]) > most:
            raise policy.error(
                ("mimir", "limits", "rules_per_group"),
                f"rule group {group['name']!r} ({model.origin}) has {len(group['rules'])} rules, above the "
                f"tenant's limit of {most} per group",
                "split the group in the definitions, or raise the limit to the tenant's ruler_max_rules_per_rule_group",
            )
        if group["name"] in tenants:
            group = {**group, "source_tenants": list(tenants[group["name"]])}
        groups.append(group)
    most = limits.get("groups_per_namespace")
    if most is not None and len(groups) > most:
        raise policy.error(
            ("mimir", "limits", "groups_per_namespace"),
            f"namespace {namespace!r} (stack {stack.name!r}, {stack.origin}) has {len(groups)} rule groups, above "
            f"the tenant's limit of {most}",
            "split the stack, or raise the limit to the tenant's ruler_max_rule_groups_per_tenant",
        )
    return {"namespace": namespace, "groups": groups}
