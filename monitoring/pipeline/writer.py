"""Write the rendered tree atomically and compare it with what is on disk."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from monitoring.errors import DefinitionError


def safe_relpath(name: str) -> str:
    """Reject any output name that could leave the output folder."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in name:
        raise DefinitionError(f"output path {name!r} would escape the output folder")
    return str(path)


def write_tree(out_dir: Path, files: dict[str, bytes]) -> None:
    """Write everything into a sibling temp folder, then swap it in: on any error, out_dir is untouched."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        for name, data in sorted(files.items()):
            target = staging / safe_relpath(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.rename(staging, out_dir)
        return
    backup = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.rmdir(backup)
    os.rename(out_dir, backup)
    try:
        os.rename(staging, out_dir)
    except BaseException:
        os.rename(backup, out_dir)
        raise
    shutil.rmtree(backup, ignore_errors=True)


@dataclass
class Comparison:
    stale: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    diff: str = ""

    @property
    def clean(self) -> bool:
        return not (self.stale or self.missing or self.unexpected)


def compare_tree(out_dir: Path, files: dict[str, bytes]) -> Comparison:
    """What differs between the rendered files and out_dir (read only; nothing is written)."""
    out_dir = Path(out_dir)
    on_disk = (
        {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file()} if out_dir.exists() else set()
    )
    result = Comparison()
    diffs = []
    for name in sorted(files):
        path = out_dir / name
        if name not in on_disk:
            result.missing.append(name)
            continue
        current = path.read_bytes()
        if current != files[name]:
            result.stale.append(name)
            diffs.extend(
                difflib.unified_diff(
                    current.decode(errors="replace").splitlines(keepends=True),
                    files[name].decode(errors="replace").splitlines(keepends=True),
                    fromfile=f"{out_dir.name}/{name} (on disk)",
                    tofile=f"{out_dir.name}/{name} (regenerated)",
                )
            )
    result.unexpected = sorted(on_disk - set(files))
    result.diff = "".join(diffs)
    return result
