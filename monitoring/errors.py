"""User-facing errors: always name the definition and say what to do."""

from __future__ import annotations


class DefinitionError(Exception):
    """A mistake in a user's definitions or policies (exit code 2, nothing written)."""

    def __init__(self, message: str, where: str = "", hint: str = ""):
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.format())

    def format(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
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
