"""Dependencies point one way: a package may import only from the packages below it (and from itself).

The order is the README's architecture table, bottom up. A failure names the importing file, the line and the
package it reached up to: move the shared code down, or hand the higher-level function in as an argument (as
`monitoring check` hands the Prometheus renderer to lint).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "monitoring"

# Lowest first. Packages on the same rank may not import each other.
RANKS = {
    "errors": 0,
    "model": 1,
    "promql": 2,
    "pipeline": 3,
    "alertmanager": 4,
    "testgen": 4,
    "lint": 4,
    "render": 5,
    "verify": 6,
    "definitions": 6,
    "adopt": 6,
    "runtime": 7,
    "e2e": 8,
    "cli": 9,
}


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "monitoring":
        return None
    return parts[1] if len(parts) > 1 else ""  # "" is the public API (monitoring/__init__.py)


def _imports(path: Path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            if node.module == "monitoring":  # from monitoring import pipeline -> the subpackage
                for alias in node.names:
                    if alias.name in RANKS:
                        yield node.lineno, f"monitoring.{alias.name}"


def violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if len(relative.parts) == 1:
            continue  # __init__.py (the public API) and errors.py
        own = relative.parts[0]
        for line, module in _imports(path):
            target = _package_of(module)
            if target is None or target == own:
                continue
            if target == "":  # the public API: definitions files are user code
                if own != "definitions":
                    found.append(
                        f"monitoring/{relative}:{line}: imports the public API `monitoring`; "
                        f"import the module it comes from"
                    )
                continue
            if target not in RANKS:
                found.append(f"monitoring/{relative}:{line}: {module} is in no package of the table")
            elif RANKS[target] >= RANKS[own]:
                found.append(
                    f"monitoring/{relative}:{line}: {own}/ (rank {RANKS[own]}) imports {module} (rank {RANKS[target]})"
                )
    return found


def test_every_package_is_ranked():
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(RANKS) - {"errors"}, "add the new package to RANKS and to the README's table"


def test_top_level_holds_only_the_public_api():
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == ["__init__.py", "errors.py"]


def test_dependencies_point_down():
    assert violations() == []


def test_the_check_catches_an_upward_import(tmp_path, monkeypatch):
    """The test above could pass by finding nothing: plant an upward import and see it reported."""
    fake = tmp_path / "monitoring"
    (fake / "model").mkdir(parents=True)
    (fake / "model" / "bad.py").write_text("from monitoring.render.grafana import render_dashboard\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    assert violations() == ["monitoring/model/bad.py:1: model/ (rank 1) imports monitoring.render.grafana (rank 5)"]
