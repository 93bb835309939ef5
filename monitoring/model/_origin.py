"""Where a definition was written, so errors can point at file:line."""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field

from monitoring.errors import Location

_MODEL_DIR = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class Located:
    """The base of every model class that remembers where it was written: ``origin`` is keyword-only (so
    subclasses keep their positional fields), not compared and not shown; left empty, it is the caller's line."""

    origin: Location | str = field(default="", compare=False, repr=False, kw_only=True)

    def __post_init__(self):
        if not self.origin:
            object.__setattr__(self, "origin", caller_origin())


def caller_origin() -> Location:
    """Return the Location (path, line) of the first frame outside the model package.

    Definitions are plain constructor calls, so the first frame that is not
    model code is the definition file line the user wrote.
    """
    frame = sys._getframe(1)
    cwd = os.getcwd()
    while frame is not None:
        shown = _shown_path(frame.f_code.co_filename, cwd)
        if shown is not None:
            return Location(shown, frame.f_lineno)
        frame = frame.f_back
    return Location("<unknown>")


@functools.lru_cache(maxsize=4096)
def _shown_path(raw: str, cwd: str) -> str | None:
    """The path to show for a code file, or None to skip its frames (cached: one per object is slow)."""
    filename = os.path.abspath(raw)
    # dataclass-generated __init__ methods live in "<string>"; skip them and the model itself.
    if raw.startswith("<") or filename.startswith(_MODEL_DIR) or os.path.basename(filename) == "dataclasses.py":
        return None
    return _relative(filename)


def _relative(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel
