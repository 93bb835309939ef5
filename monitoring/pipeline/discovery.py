"""Find and load definition files: every ``*.py`` in a folder that defines a Stack."""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback
from pathlib import Path

from monitoring.errors import DefinitionError, DefinitionErrors
from monitoring.model import Stack

DEFAULT_DEFINITIONS = Path(__file__).resolve().parents[1] / "definitions"


def load_stacks(path: str | os.PathLike | None = None) -> list[Stack]:
    """Import each definitions file and collect its Stack objects, sorted by name.

    A file may define ``STACK`` or ``STACKS``; any other module-level Stack is picked up too,
    so a definitions file needs no registration anywhere else.
    """
    root = Path(path) if path else DEFAULT_DEFINITIONS
    if not root.exists():
        raise DefinitionError(f"definitions path {root} does not exist", hint="pass --definitions DIR")
    files = [root] if root.is_file() else sorted(p for p in root.glob("*.py") if not p.name.startswith("_"))
    stacks: list[Stack] = []
    errors: list[DefinitionError] = []
    for file in files:
        try:
            found = _stacks_in(_import(file))
        except DefinitionError as exc:
            errors.append(exc)
            continue
        if not found:
            errors.append(DefinitionError("defines no Stack", _rel(file), "assign STACK = Stack(...) at module level"))
        stacks.extend(found)
    if errors:
        raise errors[0] if len(errors) == 1 else DefinitionErrors(errors)
    names = [s.name for s in stacks]
    for name in set(names):
        if names.count(name) > 1:
            where = ", ".join(str(s.origin) for s in stacks if s.name == name)
            raise DefinitionError(f"two stacks are named {name!r}", where, "stack names must be unique")
    return sorted(stacks, key=lambda s: s.name)


def _import(file: Path):
    module_name = f"monitoring_definitions_{abs(hash(str(file.resolve())))}_{file.stem}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except DefinitionError:
        raise
    except SyntaxError as exc:
        raise DefinitionError(f"syntax error: {exc.msg}", f"{_rel(Path(exc.filename or file))}:{exc.lineno}") from None
    except SystemExit as exc:  # sys.exit() in a definitions file must not end the run with "success"
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve() == file.resolve()]
        raise DefinitionError(
            f"the definitions file called sys.exit({exc.code!r})",
            f"{_rel(file)}:{frames[-1].lineno if frames else 0}",
            "a definitions file only defines objects: remove the exit",
        ) from None
    except Exception as exc:  # a user's Python mistake: point at their line, not ours
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve() == file.resolve()]
        line = frames[-1].lineno if frames else 0
        raise DefinitionError(
            f"{type(exc).__name__}: {exc}",
            f"{_rel(file)}:{line}",
            "fix the definitions file; it must import and run cleanly",
        ) from None
    finally:
        sys.modules.pop(module_name, None)
    return module


def _stacks_in(module) -> list[Stack]:
    found: list[Stack] = []
    for value in vars(module).values():
        candidates = value if isinstance(value, (list, tuple)) else (value,)
        for item in candidates:
            if isinstance(item, Stack) and all(item is not s for s in found):
                found.append(item)
    return found


def _rel(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
        return path.as_posix() if rel.startswith("..") else rel
    except ValueError:
        return str(path)
