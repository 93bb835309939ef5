"""Our own evaluation of Alertmanager's inhibit rules (the semantics of Alertmanager 0.25's inhibit/inhibit.go).

A firing alert T is muted by rule R when T matches R's target matchers and some *other* firing alert S
matches R's source matchers with the same value for every ``equal`` label (a label missing on both
sides counts as equal). When T also matches the source matchers, sources that also match the target
matchers are skipped, so an alert never silences itself or its twins.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitoring.alertmanager.matchers import Matcher, matchers_from_config, matches_all


@dataclass(frozen=True)
class InhibitRule:
    source_matchers: tuple[Matcher, ...]
    target_matchers: tuple[Matcher, ...]
    equal: tuple[str, ...] = ()
    name: str = ""

    def silences(self, source: dict[str, str], target: dict[str, str]) -> bool:
        """Whether ``source`` firing mutes ``target`` under this rule."""
        if source == target or not matches_all(self.target_matchers, target):
            return False
        if not matches_all(self.source_matchers, source):
            return False
        if any(source.get(name, "") != target.get(name, "") for name in self.equal):
            return False
        two_sided = matches_all(self.source_matchers, target)
        return not (two_sided and matches_all(self.target_matchers, source))


def rules_from_config(items: list[dict]) -> list[InhibitRule]:
    """Inhibit rules from an Alertmanager ``inhibit_rules:`` list (as rendered, or read back from a file)."""
    return [
        InhibitRule(
            matchers_from_config(item, "source_"),
            matchers_from_config(item, "target_"),
            tuple(item.get("equal", ())),
            item.get("name", ""),
        )
        for item in items
    ]


def labels_read(rules: list[InhibitRule]) -> set[str]:
    """The label names the rules' source and target matchers read."""
    return {m.name for rule in rules for m in (*rule.source_matchers, *rule.target_matchers)}


def inhibited_by(
    target: dict[str, str], firing: list[dict[str, str]], rules: list[InhibitRule]
) -> list[tuple[InhibitRule, dict[str, str]]]:
    """Every (rule, source alert) that mutes ``target`` while all of ``firing`` fire."""
    return [(rule, source) for rule in rules for source in firing if rule.silences(source, target)]
