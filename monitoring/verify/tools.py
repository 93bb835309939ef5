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


GOGC = "400"  # promtool on a bench service's test file: ~9% less CPU than Go's default 100, 83 MB against 53


def one_core_env() -> dict[str, str]:
    """The environment for a Go tool run beside others, one per core: a single thread each (GOMAXPROCS=1)
    unless GOMAXPROCS is set. With its default (one thread per core) each short run spins and collects garbage
    on every core, and two such runs on 2 cores take about a fifth longer than with one thread each. The
    garbage collector runs less often too (GOGC=400 unless set): a test run's heap is small and short-lived,
    so a few times more of it costs tens of megabytes and saves a collection's worth of CPU again and again."""
    return {**os.environ, "GOMAXPROCS": os.environ.get("GOMAXPROCS", "1"), "GOGC": os.environ.get("GOGC", GOGC)}
