"""Where a definition was written, so errors can point at file:line."""
from __future__ import annotations

import os
import sys

_MODEL_DIR = os.path.dirname(os.path.abspath(__file__))


def caller_origin() -> str:
    """Return "path:line" of the first frame outside the model package.

    Definitions are plain constructor calls, so the first frame that is not
    model code is the definition file line the user wrote.
    """
    frame = sys._getframe(1)
    while frame is not None:
        raw = frame.f_code.co_filename
        filename = os.path.abspath(raw)
        # dataclass-generated __init__ methods live in "<string>"; skip them and the model itself.
        if not raw.startswith("<") and not filename.startswith(_MODEL_DIR) \
                and os.path.basename(filename) != "dataclasses.py":
            return f"{_relative(filename)}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


def _relative(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel
