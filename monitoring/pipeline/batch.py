"""Running the pipeline over a large estate: rare garbage collection, and stacks over all cores.

Linting one stack needs nothing from the others and is mostly pure Python, so a large estate is
mapped over forked worker processes, a few small chunks of the stacks each (rendering, which can
also start before every stack has loaded, uses monitoring/pipeline/early.py with the same worker count).
Workers are forked rather than spawned: they inherit the loaded stacks (definitions may hold
lambdas, which cannot be pickled) and send back plain results (bytes). Results are returned in input
order, so the output is byte-identical to a sequential run. ``MONITORING_WORKERS=1`` turns it off;
small estates (fewer than MIN_STACKS_PER_WORKER stacks per worker) never fork.
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
_task: tuple[Callable, Sequence] | None = None  # what forked workers run, inherited from the parent
_depth = 0  # collecting_rarely nesting


@contextmanager
def collecting_rarely():
    """Collect garbage rarely while a batch runs; restore the collector afterwards.

    A run builds millions of short-lived objects around a model that stays alive throughout, and every
    full collection would traverse that model again for nothing (it took a third of `generate` on 100
    services). Objects alive on entry are frozen out of collection (which also keeps forked workers from
    copying their pages), and young objects are collected every 100,000 allocations instead of 700.
    """
    global _depth
    if _depth:  # nested (a command around load and render_all): freeze what is new; the outermost restores
        gc.freeze()
        yield
        return
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        gc.set_threshold(*threshold)
        gc.unfreeze()


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


def map_in_order(function: Callable, items: Sequence) -> list:
    """``[function(item) for item in items]``, over forked workers when there are enough items and cores.

    The first DefinitionError in input order is raised, as a sequential run would raise it.
    (Rendering stacks uses monitoring/pipeline/early.py, which also starts before every stack has loaded.)
    """
    workers = worker_count(len(items))
    if workers < 2:
        return [function(item) for item in items]
    import multiprocessing

    global _task
    _task = (function, items)
    chunks = _chunks(len(items), workers * 16)  # many small chunks: workers finish within a chunk of each other
    try:
        from monitoring.pipeline.processes import die_with_parent

        with multiprocessing.get_context("fork").Pool(workers, die_with_parent, (os.getpid(),)) as pool:
            outcomes = pool.map(_run_chunk, chunks, chunksize=1)
    finally:
        _task = None
    results = []
    for outcome in outcomes:
        if isinstance(outcome, _Failure):
            raise outcome.error()
        results.extend(outcome)
    return results


def _chunks(count: int, pieces: int) -> list[range]:
    size, extra = divmod(count, pieces)
    bounds, start = [], 0
    for index in range(min(pieces, count)):
        end = start + size + (1 if index < extra else 0)
        bounds.append(range(start, end))
        start = end
    return bounds


def _run_chunk(indexes: range):
    function, items = _task
    results = []
    for index in indexes:
        try:
            results.append(function(items[index]))
        except DefinitionError as exc:
            return _Failure.of(exc)
    return results


class _Failure:
    """A DefinitionError from a worker, as plain fields (DefinitionErrors cannot be pickled as is)."""

    def __init__(self, parts: list[tuple[str, str, str]], several: bool):
        self.parts, self.several = parts, several

    @classmethod
    def of(cls, exc: DefinitionError) -> _Failure:
        errors = exc.errors if isinstance(exc, DefinitionErrors) else [exc]
        return cls([(e.message, e.where, e.hint) for e in errors], isinstance(exc, DefinitionErrors))

    def error(self) -> DefinitionError:
        errors = [DefinitionError(*part) for part in self.parts]
        return DefinitionErrors(errors) if self.several else errors[0]
