"""The one worker mechanism: ``function(item)`` for every item over forked processes, results in input order.

Rendering (and linting) one stack needs nothing from the others and is mostly pure Python, so a large,
loaded and validated estate is mapped over forked worker processes, many small chunks of the stacks each so
the workers finish together. Workers are forked rather than spawned: they inherit the loaded stacks
(definitions may hold lambdas, which cannot be pickled) and send back plain results (bytes). They die with
their parent (a killed `generate` leaves none behind). Every item's DefinitionErrors are raised together, in
input order, as a sequential run raises them: one run shows all the mistakes of an estate.
``MONITORING_WORKERS=1`` turns forking off; small estates (fewer than MIN_STACKS_PER_WORKER stacks per worker)
and platforms other than Linux never fork.

Garbage collection: ``collecting_rarely`` is entered once per command (monitoring/cli/).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import contextmanager

from monitoring.errors import DefinitionError, DefinitionErrors

WORKERS_ENV = "MONITORING_WORKERS"
MIN_STACKS_PER_WORKER = 8  # below this, forking and sending results back costs more than it saves
CHUNKS_PER_WORKER = 16  # many small chunks: workers finish within a chunk of each other
_task: tuple[Callable, Sequence] | None = None  # what forked workers run, inherited from the parent
_rarely = False  # inside collecting_rarely


@contextmanager
def collecting_rarely():
    """Collect garbage rarely while a command runs; restore the collector afterwards.

    A run builds millions of short-lived objects around a model that stays alive throughout, and every
    full collection would traverse that model again for nothing (it took a third of `generate` on 100
    services). Objects alive on entry, and the model once loaded (``freeze``), are kept out of collection
    (which also keeps forked workers from copying their pages); young objects are collected every
    100,000 allocations instead of 700.
    """
    global _rarely
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    _rarely = True
    try:
        yield
    finally:
        _rarely = False
        gc.set_threshold(*threshold)
        gc.unfreeze()


def freeze() -> None:
    """Inside ``collecting_rarely``: keep what is alive now (the loaded model) out of later collections and
    out of workers' copies. Outside it (a library call, a test) nothing, so nothing stays frozen."""
    if _rarely:
        gc.freeze()


def worker_count(items: int) -> int:
    """Worker processes for ``items`` stacks: the usable cores, or $MONITORING_WORKERS; 1 means in-process."""
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise DefinitionError(
                f"${WORKERS_ENV} is {configured!r}",
                hint="set it to a whole number of worker processes, at least 1 (1: render in this process)",
            )
        return min(int(configured), items) if sys.platform.startswith("linux") else 1
    if not sys.platform.startswith("linux"):
        return 1  # fork is only safe to rely on here; elsewhere render in-process
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, items // MIN_STACKS_PER_WORKER))


class InOrder:
    """``[function(item) for item in items]``, started on entry, collected by ``results()``.

    With workers, they start rendering as the ``with`` block starts, so this process can do other work
    meanwhile (the Alertmanager files); in-process, ``results()`` computes everything when called. Either
    way an error raised in the block comes before the items' errors.
    """

    def __init__(self, function: Callable, items: Sequence):
        self.function, self.items = function, items
        self.workers = worker_count(len(items))
        self._pool = self._pending = None

    def __enter__(self) -> InOrder:
        if self.workers > 1:
            import multiprocessing

            global _task
            _task = (self.function, self.items)
            chunks = _chunks(len(self.items), self.workers * CHUNKS_PER_WORKER)
            self._pool = multiprocessing.get_context("fork").Pool(self.workers, initializer=die_with_parent)
            self._pending = self._pool.map_async(_run_chunk, chunks, chunksize=1)
        return self

    def results(self) -> list:
        if self._pool is None:
            outcome = _run_chunk(range(len(self.items)), (self.function, self.items))
            if isinstance(outcome, _Failure):
                raise outcome.error()
            return outcome
        results, failed = [], []
        for outcome in self._pending.get():
            if isinstance(outcome, _Failure):
                failed += outcome.parts
            else:
                results.extend(outcome)
        if failed:
            raise _Failure(failed).error()
        return results

    def __exit__(self, *exc_info) -> None:
        global _task
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
            _task = None


def map_in_order(function: Callable, items: Sequence) -> list:
    """``[function(item) for item in items]``, over forked workers when there are enough items and cores."""
    with InOrder(function, items) as mapped:
        return mapped.results()


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this (forked) process when its parent dies; elsewhere nothing to do."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl (e.g. a libc without it): workers end with their pipes
        return
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)


def _chunks(count: int, pieces: int) -> list[range]:
    size, extra = divmod(count, pieces)
    bounds, start = [], 0
    for index in range(min(pieces, count)):
        end = start + size + (1 if index < extra else 0)
        bounds.append(range(start, end))
        start = end
    return bounds


def _run_chunk(indexes: range, task: tuple[Callable, Sequence] | None = None):
    """The chunk's results, or, if any item raised DefinitionErrors, all of them (the other items still run)."""
    function, items = task or _task
    results, failed = [], []
    for index in indexes:
        try:
            results.append(function(items[index]))
        except DefinitionError as exc:
            failed += [(e.message, e.location, e.hint) for e in getattr(exc, "errors", [exc])]
    return _Failure(failed) if failed else results


class _Failure:
    """DefinitionErrors from a worker, as plain fields (DefinitionErrors cannot be pickled as is)."""

    def __init__(self, parts: list[tuple[str, object, str]]):
        self.parts = parts

    def error(self) -> DefinitionError:
        errors = [DefinitionError(*part) for part in self.parts]
        return DefinitionErrors(errors) if len(errors) > 1 else errors[0]
