"""The command line that starts the Alertmanager binary found by find_tool("alertmanager").

Debian's build does not embed its default templates: it reads /usr/share/prometheus/alertmanager/
default.tmpl and refuses to load any config without it. When that file is not installed (our
binary is unpacked into .tools/, not installed), Alertmanager runs in a private mount namespace
where the unpacked package's share/ folder is overlaid on /usr/share: nothing on the machine changes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from monitoring.errors import DefinitionError
from monitoring.verify.tools import find_tool

SYSTEM_TEMPLATES = Path("/usr/share/prometheus/alertmanager/default.tmpl")


def alertmanager_argv(args: list[str]) -> list[str]:
    """[program, *args] to pass to subprocess.Popen; the process id is Alertmanager's own (exec)."""
    binary = find_tool("alertmanager")
    share = Path(binary).resolve().parent.parent / "share"  # .tools/root/usr/bin/.. -> .tools/root/usr/share
    if SYSTEM_TEMPLATES.exists() or not (share / "prometheus/alertmanager/default.tmpl").exists():
        return [binary, *args]  # installed package, or a build with embedded templates
    unshare = shutil.which("unshare")
    if unshare is None:
        raise DefinitionError(
            f"{binary} needs {SYSTEM_TEMPLATES}, which is not installed, and `unshare` "
            "(util-linux) is missing to provide it privately",
            hint="apt-get install util-linux, or install Debian's prometheus-alertmanager",
        )
    return overlaid(share, "/usr/share", [binary, *args], unshare)


def overlaid(lower: Path, folder: str, argv: list[str], unshare: str | None = None) -> list[str]:
    """``argv`` run in a private mount namespace where ``lower``'s files are laid over ``folder``.

    Nothing outside the process changes; the process id is argv's own (exec). Unprivileged users get a user
    namespace first (Linux 5.11 or later for overlayfs there).
    """
    unshare = unshare or shutil.which("unshare")
    if unshare is None:
        raise DefinitionError("`unshare` (util-linux) is missing", hint="apt-get install util-linux")
    namespaces = ["-m"] if os.geteuid() == 0 else ["-r", "-m"]  # unprivileged: a user namespace first
    script = f'mount -t overlay overlay -o "lowerdir=$0:{folder}" {folder} && exec "$@"'
    return [unshare, *namespaces, "sh", "-c", script, str(lower), *argv]
