"""Answers kept for the stack being generated: the test generator asks the same questions about a stack's
expressions for every alert, and an estate's stacks come one after another, so only the latest stack's (or
its rules') answers are kept; the next one starts afresh, and memory stays bounded."""

from __future__ import annotations

import functools


def per_owner(owner: int):
    """Memoise a function of positional arguments while argument number ``owner`` (a stack, or its rules) is
    the same object as at the last call. The object is held, so its id cannot be reused meanwhile. Answers
    are shared, not copied: they must not be changed by callers."""

    def decorate(function):
        kept: list = [None, {}]

        @functools.wraps(function)
        def remembered(*args):
            if kept[0] is not args[owner]:
                kept[:] = [args[owner], {}]
            key = args[:owner] + args[owner + 1 :]
            answers = kept[1]
            if key not in answers:
                answers[key] = function(*args)
            return answers[key]

        return remembered

    return decorate
