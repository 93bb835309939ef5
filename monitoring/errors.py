"""User-facing errors: always name the definition and say what to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Location:
    """Where something was written: a file, and the line and column when known (0 = unknown).

    Carried as a value by definition errors, policy errors, lint findings and secrets findings; turned into
    text (``file:line`` or ``file:line:column``) only where a message is printed.
    """

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}" if self.column else f"{self.file}:{self.line}"

    @classmethod
    def parse(cls, text: str) -> Location:
        """The inverse of str(): for positions that arrive as text (a traceback, a tool's message)."""
        file, line, column = text, 0, 0
        head, _, tail = text.rpartition(":")
        if head and tail.isdigit():
            file, line = head, int(tail)
            head2, _, tail2 = head.rpartition(":")
            if head2 and tail2.isdigit():
                file, line, column = head2, int(tail2), int(tail)
        return cls(file, line, column)


def location_of(where: Location | str | None) -> Location | None:
    """A Location from either form; None for nowhere."""
    if not where:
        return None
    return where if isinstance(where, Location) else Location.parse(where)


class DefinitionError(Exception):
    """A mistake in a user's definitions or policies (exit code 2, nothing written)."""

    def __init__(self, message: str, where: Location | str | None = None, hint: str = ""):
        self.message = message
        self.location = location_of(where)
        self.hint = hint
        super().__init__(self.format())

    @property
    def where(self) -> str:
        return str(self.location) if self.location else ""

    def format(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class DefinitionErrors(DefinitionError):
    """Several definition errors, reported together so one run shows them all."""

    def __init__(self, errors: list[DefinitionError]):
        self.errors = errors
        Exception.__init__(self, self.format())

    def format(self) -> str:
        return "\n".join(e.format() for e in self.errors)
