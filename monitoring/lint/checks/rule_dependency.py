"""rule-dependency: a recorded series read but recorded nowhere, or recorded after (or slower than) its reader.

Why: a name with a colon is a recording rule's output (the naming convention keeps colons out of raw
metric names), so when no file linted together records it, the rule reading it sees nothing: an alert on
it never fires. Within a group, rules run in order and each sees what the earlier ones just wrote; a
recording rule that reads a series recorded further down its own group sees the previous evaluation's
value, one interval late. A recording rule reading a series recorded by a group with a different
interval sees values up to that interval old. Alerts may lag a little: only recording rules are
checked for order and interval.

Bad::

    - name: aggregations
      interval: 1m
      rules:
        - record: job:errors:ratio5m
          expr: job:errors:rate5m / job:requests:rate5m    # both recorded below, or in a 5m group
        - record: job:errors:rate5m
          expr: sum by (job) (rate(errors_total[5m]))

Good::

    - name: aggregations
      interval: 1m
      rules:
        - record: job:errors:rate5m
          expr: sum by (job) (rate(errors_total[5m]))
        - record: job:requests:rate5m
          expr: sum by (job) (rate(requests_total[5m]))
        - record: job:errors:ratio5m
          expr: job:errors:rate5m / job:requests:rate5m
"""

from __future__ import annotations

from monitoring.lint.finding import Problem
from monitoring.lint.walk import duration, name_of, selectors

NAME = "rule-dependency"
SEVERITY = "warning"
NEEDS_CATALOG = False


def check(ctx):
    recorded: dict[str, list[tuple[int, object]]] = {}
    for index, rule in enumerate(ctx.rules):
        if rule.kind == "record":
            recorded.setdefault(rule.name, []).append((index, rule))
    for index, rule in enumerate(ctx.rules):
        if rule.query is None or rule.query.ast is None:
            continue
        for name in sorted({n for n in map(name_of, selectors(rule.query.ast)) if n and ":" in n}):
            writers = recorded.get(name)
            if not writers:
                if ctx.stack is None:  # definitions: unknown-metric knows the catalog
                    yield Problem(
                        rule.where,
                        f"{_what(rule)}: reads {name!r}, which no rule in the files linted records: "
                        "the rule sees no data",
                        "lint the file that records it together with this one, or fix the name",
                    )
                continue
            if rule.kind != "record" or any(w is rule for _, w in writers):
                continue
            problem = _order(index, rule, name, writers)
            if problem:
                yield Problem(rule.where, f"{_what(rule)}: {problem[0]}", problem[1])


def _order(index, rule, name, writers):
    same_group = [(i, w) for i, w in writers if w.group_where == rule.group_where]
    if same_group:
        if all(i > index for i, _ in same_group):
            return (
                f"reads {name!r}, which is recorded later in the same group: it sees the previous "
                f"evaluation's value, {duration(rule.interval)} late",
                f"move the rule recording {name!r} above this one",
            )
        return None
    if all(w.interval != rule.interval for _, w in writers):
        writer = writers[0][1]
        return (
            f"reads {name!r}, recorded by group {writer.group!r} every {duration(writer.interval)} while this "
            f"group runs every {duration(rule.interval)}: it sees values up to {duration(writer.interval)} old",
            f"record {name!r} in this group, or give both groups the same interval",
        )
    return None


def _what(rule) -> str:
    return f"alert {rule.name}" if rule.kind == "alert" else f"recording rule {rule.name!r}"
