"""Results of a verification suite run by `monitoring test`, printed as a table."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SuiteResult:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    ok: bool = True
    problems: list[str] = field(default_factory=list)  # details shown under the table when not ok
    summary: str = ""  # one line of figures, e.g. "20/20 rules covered"
    notes: list[str] = field(default_factory=list)  # shown under the summary whether or not ok (declared gaps)


def format_table(result: SuiteResult) -> str:
    rows = [tuple(str(c) for c in result.columns)] + [tuple(str(c) for c in row) for row in result.rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(result.columns))]
    line = lambda row: "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()  # noqa: E731
    out = [f"== {result.title}", line(rows[0]), line(tuple("-" * w for w in widths))]
    out += [line(row) for row in rows[1:]]
    if result.summary:
        out.append(result.summary)
    out += result.notes + result.problems
    return "\n".join(out)
