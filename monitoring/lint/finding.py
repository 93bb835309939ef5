"""What a check reports, and how findings are printed and counted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

from monitoring.errors import Location, location_of

SEVERITIES = ("error", "warning", "info")  # "off" in lint.yaml disables a check


class Problem(NamedTuple):
    """What a check yields; the runner adds the check's name and configured severity."""

    where: Location | str
    message: str
    hint: str = ""


@dataclass(frozen=True)
class Finding:
    check: str
    severity: str
    where: Location  # text is accepted and parsed
    message: str
    hint: str = ""

    def __post_init__(self):  # checks hand over model origins (Locations) and file positions (text) alike
        object.__setattr__(self, "where", location_of(self.where) or Location(""))

    def format(self) -> str:
        text = f"{self.where}: {self.severity}: {self.check}: {self.message}"
        return text + (f"\n  hint: {self.hint}" if self.hint else "")

    def sort_key(self):
        return (self.where, self.check, self.message)


def counts_by_check(findings: list[Finding]) -> dict[tuple[str, str], int]:
    """(check, severity) -> number of findings, most frequent first."""
    return dict(Counter((f.check, f.severity) for f in findings).most_common())


def summary(findings: list[Finding]) -> str:
    """One line of totals, then one line per check."""
    if not findings:
        return "no findings"
    totals = Counter(f.severity for f in findings)
    head = f"{_plural(len(findings), 'finding')}: " + ", ".join(_plural(totals[s], s) for s in SEVERITIES if totals[s])
    width = max(len(check) for check, _ in counts_by_check(findings))
    lines = [
        f"  {check:<{width}}  {count:>5}  {severity}" for (check, severity), count in counts_by_check(findings).items()
    ]
    return "\n".join([head, *lines])


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 or word == "info" else f"{count} {word}s"
