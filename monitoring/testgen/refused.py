"""The rules test generation refuses, raised together with each rule's reason."""

from __future__ import annotations

from monitoring.errors import DefinitionError, DefinitionErrors

UNTESTED_HINT = 'or, to leave it without tests on purpose for now, untested="the reason"'


class Untestable(DefinitionErrors):
    """Every rule refused, each with its error: ``rules`` in the errors' order. `generate` prints the errors;
    `monitoring import` marks the rules ``untested=`` with them."""

    def __init__(self, refused: list[tuple[object, DefinitionError]]):
        self.rules = [rule for rule, _ in refused]
        super().__init__([error for _, error in refused])

    def hinted(self) -> Untestable:
        """The same refusals, each hint ending with the way to declare the gap."""
        return Untestable([(rule, with_untested_hint(error)) for rule, error in zip(self.rules, self.errors)])


def bare_reason(name: str, message: str) -> str:
    """A refusal's message without the rule it starts with (``alert NAME: ``, ``recording rule NAME``)."""
    for prefix in (f"alert {name}: ", f"recording rule {name}: ", f"recording rule {name} "):
        message = message.removeprefix(prefix)
    return message


def with_untested_hint(error: DefinitionError) -> DefinitionError:
    hint = f"{error.hint}; {UNTESTED_HINT}" if error.hint else UNTESTED_HINT
    return DefinitionError(error.message, error.location, hint)
