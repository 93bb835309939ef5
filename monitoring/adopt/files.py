"""Which files an import reads, the names of what it writes, and writing them only once all converted."""

from __future__ import annotations

import re
from pathlib import Path

from monitoring.adopt.pysource import unique
from monitoring.errors import DefinitionError, Location

RULE_SUFFIXES = (".yml", ".yaml", ".rules")


def expand(paths: list[Path], suffixes: tuple[str, ...]) -> list[Path]:
    """Files as given, and the files with one of ``suffixes`` under each folder (sorted)."""
    found = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(suffixes)))
        elif path.is_file():
            found.append(path)
        else:
            raise DefinitionError(f"{path} does not exist", Location(str(path)), "give files or folders to import")
    return found


def stack_name(path: Path, taken: set[str]) -> str:
    """A stack name from a file name (``node-exporter.rules.yml`` -> ``node-exporter-rules``), unique."""
    stem = path.name
    for suffix in (".yml", ".yaml", ".json", ".rules"):
        stem = stem.removesuffix(suffix)
    name = re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-_") or "imported"
    if not name[0].isalpha():
        name = "imported-" + name
    return unique(name, taken)


def module_file(name: str) -> str:
    return name.replace("-", "_") + ".py"


def write_new(out: Path, files: dict[str, str], force: bool) -> None:
    """Write every file under ``out``; refuses (exit 2, nothing written) to replace one unless ``force``."""
    existing = [name for name in files if (out / name).exists()]
    if existing and not force:
        raise DefinitionError(
            f"{len(existing)} file(s) already exist: {', '.join(existing[:5])}",
            Location(str(out)),
            "import into an empty folder, or pass --force to replace them",
        )
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
