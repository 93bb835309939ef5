"""Write the rendered tree atomically, and read a tree on disk back safely to compare it.

OUT is only ever a generated tree: the writer refuses a folder that is the current directory, a
repository root, the definitions or policies folder (or holds one), or that holds files `generate`
never writes (``README.md`` with the generated header marks a tree as ours). The tree is staged in a
sibling folder and swapped in with one ``renameat2(RENAME_EXCHANGE)`` on Linux, so OUT never goes
missing; elsewhere a two-step swap that the next run repairs. Runs on the same OUT serialise on a
lock file beside it, and each run first removes what a killed run left (``.<out>.new-*``/``.old-*``).
"""

from __future__ import annotations

import difflib
import errno
import os
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from monitoring.errors import DefinitionError

MARKER_FILE = "README.md"
MARKER = b"# generated/\n"  # the first line of the README every `generate` writes
OUTPUT_SUFFIXES = (".json", ".yml", ".yaml", ".md", ".tmpl")  # every kind of file `generate` writes
MAX_READ_BYTES = 64 * 1024 * 1024  # one file under OUT, as `check` reads it


def safe_relpath(name: str) -> str:
    """Reject any output name that could leave the output folder."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in name:
        raise DefinitionError(f"output path {name!r} would escape the output folder")
    return str(path)


# --- where OUT may be -------------------------------------------------------------------------------


def output_folder(out: Path, protected: tuple = (), explicit: bool = True) -> Path:
    try:
        return _output_folder(Path(out), protected, explicit)
    except OSError as exc:  # e.g. a name too long for the file system
        raise _os_error(exc, str(out)) from None


def _output_folder(out: Path, protected: tuple, explicit: bool) -> Path:
    """The real folder to write or compare: refuses an OUT that could be anything but a generated tree.

    ``protected``: folders OUT must neither be nor contain (definitions, policies). A symbolic link as OUT
    is followed only when the user named it (``explicit``) and it resolves to a folder.
    """
    out = Path(out)
    if out.is_symlink():
        if not out.exists():
            raise DefinitionError("the output folder is a dangling symbolic link", str(out), "remove it or fix it")
        if not explicit:
            raise DefinitionError(
                "the output folder is a symbolic link", str(out), "pass it with -o if you mean to write there"
            )
    real = out.resolve()
    here = Path.cwd().resolve()
    if real == here or real in here.parents:
        raise DefinitionError(
            "the output folder is the current directory (or holds it)", str(out), "pass -o generated or another folder"
        )
    for folder in protected:
        if folder is None:
            continue
        folder = Path(folder).resolve()
        if real == folder or real in folder.parents:
            raise DefinitionError(
                f"the output folder is or holds {folder}, an input folder: it would be replaced",
                str(out),
                "write the generated files to a folder of their own, e.g. -o generated",
            )
    if real.exists() and not real.is_dir():
        raise DefinitionError("the output path exists and is not a folder", str(out))
    if (real / ".git").exists():
        raise DefinitionError("the output folder is a repository root", str(out), "pass -o generated")
    return real


def refuse_unless_generated(real: Path, shown: str) -> None:
    """An existing, non-empty OUT must be a generated tree: our marker, regular files of our kinds only."""
    if not real.exists() or not any(real.iterdir()):
        return
    marker = real / MARKER_FILE
    if marker.is_symlink() or not marker.is_file() or not _starts_with(marker, MARKER):
        raise DefinitionError(
            f"exists and is not a generated tree (no {MARKER_FILE} written by `monitoring generate`)",
            shown,
            "pass -o with a new folder, or the generated/ folder itself",
        )
    for path, kind in _entries(real):
        name = path.relative_to(real).as_posix()
        hidden = path.name.startswith(".")
        if (kind == "dir" and not hidden) or (kind == "file" and not hidden and name.endswith(OUTPUT_SUFFIXES)):
            continue
        what = {"file": "a file `generate` never writes", "dir": "a folder `generate` never writes"}.get(kind, kind)
        raise DefinitionError(
            f"not a generated tree: it holds {name}, {what}",
            shown,
            "pass -o with a new folder, or move that out of it",
        )


def _starts_with(path: Path, prefix: bytes) -> bool:
    try:
        with open(path, "rb") as stream:
            return stream.read(len(prefix)) == prefix
    except OSError:
        return False


def _entries(root: Path):
    """(path, kind) of everything below root, without following symbolic links."""
    pending = [root]
    while pending:
        folder = pending.pop()
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                path = Path(entry.path)
                mode = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISLNK(mode):
                    yield path, "a symbolic link (never followed)"
                elif stat.S_ISDIR(mode):
                    yield path, "dir"
                    pending.append(path)
                elif stat.S_ISREG(mode):
                    yield path, "file"
                else:
                    yield path, "not a regular file (a FIFO, socket or device)"


# --- writing --------------------------------------------------------------------------------------


def write_tree(out_dir: Path, files: dict[str, bytes], protected: tuple = (), explicit: bool = True) -> None:
    """Stage everything in a sibling folder, then swap it in: on any error, out_dir is untouched.

    OS errors (a full disk, a read-only file system, a name too long) are one-line DefinitionErrors.
    """
    shown = str(out_dir)
    real = output_folder(Path(out_dir), protected, explicit)
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        with _Lock(real):
            _remove_leftovers(real)
            refuse_unless_generated(real, shown)
            staging = Path(tempfile.mkdtemp(prefix=f".{real.name}.new-", dir=real.parent))
            try:
                for name, data in sorted(files.items()):
                    target = staging / safe_relpath(name)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
                _swap(staging, real)
            finally:
                shutil.rmtree(staging, ignore_errors=True)  # after a swap: the previous tree
    except OSError as exc:
        raise _os_error(exc, shown) from None


def _os_error(exc: OSError, shown: str) -> DefinitionError:
    hints = {
        errno.ENOSPC: "the disk is full: free some space and run again",
        errno.EDQUOT: "the disk quota is exceeded: free some space and run again",
        errno.EROFS: "the file system is read-only: pass -o with a writable folder",
        errno.EACCES: "no permission to write there: pass -o with a folder you can write",
        errno.EPERM: "no permission to write there: pass -o with a folder you can write",
        errno.ENAMETOOLONG: "a file name is too long: shorten the stack name or the dashboard title",
    }
    reason = exc.strerror or str(exc)
    return DefinitionError(
        f"cannot write the output: {reason}; nothing was changed",
        shown,
        hints.get(exc.errno, "fix the problem and run again"),
    )


def _swap(staging: Path, out_dir: Path) -> None:
    """Put staging at out_dir; the previous tree (if any) ends up at staging."""
    if not out_dir.exists():
        os.rename(staging, out_dir)
        os.mkdir(staging)  # the caller removes it
        return
    if _exchange(staging, out_dir):
        return
    backup = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.rmdir(backup)
    os.rename(out_dir, backup)  # a crash from here to the next rename: the next run puts backup back
    try:
        os.rename(staging, out_dir)
    except BaseException:
        os.rename(backup, out_dir)
        raise
    os.rename(backup, staging)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:  # glibc before 2.28
        return False
    renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # a file system without it
        return False
    raise OSError(code, os.strerror(code), str(b))


def _remove_leftovers(real: Path) -> None:
    """What killed runs left beside OUT; first put back a tree a two-step swap had moved away."""
    leftovers = sorted(real.parent.glob(f".{real.name}.old-*")) + sorted(real.parent.glob(f".{real.name}.new-*"))
    if not real.exists():
        backups = [p for p in leftovers if ".old-" in p.name and p.is_dir() and not p.is_symlink()]
        if backups:
            os.rename(backups[0], real)
            leftovers.remove(backups[0])
    for path in leftovers:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)


class _Lock:
    """An exclusive flock on ``.<out>.lock`` beside OUT, removed on release (no leftover once runs end).

    A waiter may win the lock on a file its holder has just removed: it checks that the file it
    locked is still the one at the path, and tries again otherwise.
    """

    def __init__(self, real: Path):
        self.path = real.parent / f".{real.name}.lock"
        self.fd = -1

    def __enter__(self):
        import fcntl

        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                    self.fd = fd
                    return self
            except FileNotFoundError:
                pass
            os.close(fd)

    def __exit__(self, *_):
        try:
            os.unlink(self.path)
        finally:
            os.close(self.fd)


# --- reading back and comparing ---------------------------------------------------------------------


def read_tree(out_dir: Path) -> tuple[dict[str, bytes], list[DefinitionError]]:
    """Every regular file under out_dir, never following a symbolic link, and what is wrong in it.

    Symbolic links, FIFOs, devices and oversized files are problems (never read): a tree that a pull
    request can change must not make `check` print a file from elsewhere, or hang.
    """
    out_dir = Path(out_dir)
    files: dict[str, bytes] = {}
    problems: list[DefinitionError] = []
    if not out_dir.is_dir():
        return files, problems
    for path, kind in _entries(out_dir):
        name = path.relative_to(out_dir).as_posix()
        if kind == "dir":
            continue
        shown = f"{out_dir}/{name}"
        if kind != "file":
            problems.append(DefinitionError(f"{kind}: generated trees hold regular files only", shown))
            continue
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as stream:
                if os.fstat(stream.fileno()).st_size > MAX_READ_BYTES:
                    problems.append(DefinitionError(f"larger than {MAX_READ_BYTES // 2**20} MB: not read", shown))
                    continue
                files[name] = stream.read()
        except OSError as exc:
            problems.append(DefinitionError(f"cannot read: {exc.strerror}", shown))
    return files, problems


@dataclass
class Comparison:
    stale: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    diffs: dict[str, str] = field(default_factory=dict)  # stale file -> its unified diff

    @property
    def clean(self) -> bool:
        return not (self.stale or self.missing or self.unexpected)

    @property
    def diff(self) -> str:
        return "".join(self.diffs[name] for name in sorted(self.diffs))


def compare_tree(out_dir: Path, files: dict[str, bytes], on_disk: dict[str, bytes] | None = None) -> Comparison:
    """What differs between the rendered files and out_dir (read only; nothing is written).

    ``on_disk``: the tree as read_tree read it (read here when not given).
    """
    out_dir = Path(out_dir)
    if on_disk is None:
        on_disk, _ = read_tree(out_dir)
    result = Comparison()
    for name in sorted(files):
        if name not in on_disk:
            result.missing.append(name)
            continue
        current = on_disk[name]
        if current != files[name]:
            result.stale.append(name)
            result.diffs[name] = "".join(
                difflib.unified_diff(
                    current.decode(errors="replace").splitlines(keepends=True),
                    files[name].decode(errors="replace").splitlines(keepends=True),
                    fromfile=f"{out_dir.name}/{name} (on disk)",
                    tofile=f"{out_dir.name}/{name} (regenerated)",
                )
            )
    result.unexpected = sorted(set(on_disk) - set(files))
    return result
