"""How a merged test group is named: after all its cases, so a reader of the file finds each one.

Each alert once with the condition all its cases share (every case's name ends with it), its cases after it,
and a fires case and its too short case on the same values said once::

    ALERT (> 1050 for 10m): fires and too short (at 1291.5; margin 44.6) · safe side (at 1050, ...) | OTHER ...

promtool prints a failing group's name above each failed assertion; ``monitoring test`` cuts it to the failed
alert's part (monitoring.verify.rule_tests). A module of its own: ``monitoring test`` reads it without loading the
generator.
"""

from __future__ import annotations

SEPARATOR = " | "  # between the alerts (or other subjects) of a merged group's name
JOINER = " · "  # between the cases of one alert
BOTH = "fires and too short "  # a fires case and its too short case, on the same values


def merged_name(names: list[str]) -> str:
    """One name for the cases ``names`` ("ALERT: title" each): every alert once, its titles after it."""
    titles: dict[str, list[str]] = {}
    for name in names:
        subject, colon, title = name.partition(": ")
        titles.setdefault(subject if colon else name, []).append(title)
    return SEPARATOR.join(_part(subject, said) if any(said) else subject for subject, said in titles.items())


def _part(subject: str, titles: list[str]) -> str:
    """``subject`` and its cases' titles, the condition they all end with said once after the subject."""
    titles = _said_once(titles)
    shared = _condition(titles[0])
    if len(titles) > 1 and " " not in subject and shared and all(_condition(t) == shared for t in titles):
        subject, titles = f"{subject} ({shared})", [t.removesuffix(f"; {shared})") + ")" for t in titles]
    return f"{subject}: {JOINER.join(titles)}"


def _condition(title: str) -> str | None:
    """What a case's title ends with: ``fires (at 2; margin 1; > 1 for 5m)`` -> ``> 1 for 5m``."""
    return title[title.rindex("; ") + 2 : -1] if title.endswith(")") and "; " in title else None


def _said_once(titles: list[str]) -> list[str]:
    """``fires (X)`` and ``too short (X)``, the same X (one timeline, two eval times), as one title."""
    out = list(titles)
    for title in titles:
        values = title.removeprefix("too short ")
        if values != title and values.startswith("(") and f"fires {values}" in out:
            out[out.index(f"fires {values}")] = BOTH + values
            out.remove(title)
    return out


def case_names(group: dict) -> list[str]:
    """The names of the generated cases a (possibly merged) test group holds."""
    names = []
    for chunk in group["name"].split(SEPARATOR):
        subject, colon, titles = chunk.partition(": ")
        if not colon:
            names.append(chunk)
            continue
        said = titles.split(JOINER)
        alert, hoisted, shared = subject.partition(" (")
        if hoisted and " " not in alert and shared.endswith(")"):  # the condition every title ends with
            subject, said = alert, [f"{title[:-1]}; {shared}" for title in said]
        for title in said:
            if title.startswith(BOTH):
                names += [f"{subject}: fires {title[len(BOTH) :]}", f"{subject}: too short {title[len(BOTH) :]}"]
            else:
                names.append(f"{subject}: {title}")
    return names


def alert_part(name: str, alert: str) -> str | None:
    """The part of a (merged) group's name about ``alert``'s cases."""
    return next((c for c in name.split(SEPARATOR) if c.partition(": ")[0].partition(" (")[0] == alert), None)
