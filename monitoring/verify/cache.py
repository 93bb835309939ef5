"""What `monitoring test` already verified: one small entry per passing file, keyed by what the result depends on.

A promtool result depends only on the rule file, its test file and the promtool build, so their hashes
name the entry; an entry is written only after a pass, so a failure is always run again. Entries are a
few hundred bytes (the per-rule test counts, so a cached file needs no YAML parsing), written atomically,
and never invalid: any change to a file or a tool makes a new key. The folder is safe to delete, and CI
can persist it between runs (README, "Verification in CI").
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from functools import cache
from pathlib import Path

DEFAULT_DIR = Path(".cache/monitoring-test")
_FORMAT = b"monitoring-test-cache 1\n"  # bump when what an entry means changes


@cache
def tool_version(tool: str) -> bytes:
    """The tool's own version banner (version, revision, Go version): a new build is a new key."""
    proc = subprocess.run([tool, "--version"], capture_output=True)
    return proc.stdout + proc.stderr


class ResultCache:
    def __init__(self, folder: Path | None):
        self.folder = folder  # None: --no-cache, nothing read or written

    def key(self, *parts: bytes) -> str:
        digest = hashlib.sha256(_FORMAT)
        for part in parts:
            digest.update(len(part).to_bytes(8, "big"))  # lengths first: no two splits hash alike
            digest.update(part)
        return digest.hexdigest()

    def get(self, kind: str, key: str) -> dict | None:
        if self.folder is None:
            return None
        try:
            return json.loads((self.folder / kind / key).read_text())
        except (OSError, ValueError):
            return None  # absent, or half-written by a killed run: verify again

    def put(self, kind: str, key: str, entry: dict) -> None:
        if self.folder is None:
            return
        folder = self.folder / kind
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp") as handle:
            json.dump(entry, handle, sort_keys=True)
        os.replace(handle.name, folder / key)
