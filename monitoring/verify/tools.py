"""Locate promtool and amtool: $PROMTOOL/$AMTOOL, then the project's .tools/bin, then the PATH."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from monitoring.errors import DefinitionError

_LOCAL = Path(".tools/bin")


def find_tool(name: str) -> str:
    override = os.environ.get(name.upper())
    if override:
        if not os.access(override, os.X_OK):
            raise DefinitionError(f"${name.upper()} points to {override}, which is not an executable")
        return override
    local = _LOCAL / name
    if local.exists():
        return str(local.resolve())
    found = shutil.which(name)
    if found:
        return found
    raise DefinitionError(
        f"{name} not found",
        hint=f"run `make tools` (Debian's package, unpacked into .tools/) or set {name.upper()}=/path/to/{name}",
    )
