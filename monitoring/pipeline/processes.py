"""What every forked worker does first: die with its parent.

A worker forked to render or lint holds a copy of the loaded model and nothing else worth keeping; if
the parent is killed (SIGKILL, the OOM killer, a CI timeout) the worker must not go on running. On
Linux the kernel delivers SIGKILL to the child when the parent thread that forked it ends
(``prctl(PR_SET_PDEATHSIG)``); elsewhere this is a no-op.
"""

from __future__ import annotations

import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int | None = None) -> None:
    """Call in the child right after ``os.fork()``; ``parent_pid`` is the forking process's pid.

    The parent may already have died between the fork and this call, in which case the child has been
    re-parented and no signal would ever come: it exits at once instead.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return  # not fatal: the worker still ends when its pipe closes
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)
