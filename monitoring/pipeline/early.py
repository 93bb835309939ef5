"""Rendering stacks while later definitions still load, shared out one stack at a time.

Importing a large estate's definitions takes seconds on one core (Python compiles every file), and a
pool forked only once everything has loaded leaves the other cores idle meanwhile. Here a worker is
forked as soon as 1/16 of the definitions files have loaded, and another whenever the last one has
claimed every stack it has seen load (a worker only knows the stacks loaded before its fork). Once
all have loaded, one worker per core but one is forked, and this process joins in after its own work
(validation, the Alertmanager files). Every renderer claims the next stack from one shared counter,
so all finish within a stack of each other. Results
come back through a pipe per worker and are used only once everything has loaded and validated, so
errors are those of the sequential run. Below two workers (small estates, MONITORING_WORKERS=1, not
Linux) nothing is forked and ``results`` renders in this process.
"""

from __future__ import annotations

import gc
import os
import pickle
from collections.abc import Callable, Sequence

from monitoring.errors import DefinitionError
from monitoring.pipeline.batch import _Failure, worker_count
from monitoring.pipeline.processes import die_with_parent

EARLY_FRACTION = 16  # fork the first worker once 1/16 of the files have loaded
_MISSING = object()


class EarlyWorkers:
    """``function(item)`` for items as they load; ``loaded`` hears of each source's items."""

    def __init__(self, function: Callable):
        self.function = function
        self.items: list = []
        self.workers = 0  # decided when the first source has loaded
        self._children: list[tuple[int, int]] = []  # (pid, pipe to read)
        self._next = self._lock = None  # shared claim counter, made before the first fork
        self._known = 0  # items the last worker forked knows of

    def loaded(self, items: Sequence, done: int, total: int) -> None:
        """``items`` have loaded, ``done`` of ``total`` sources (definitions files) so far."""
        if not self.workers:
            self.workers = worker_count(total)
        self.items.extend(items)
        if self.workers < 2 or done == total:
            return
        if not self._children:
            if done * EARLY_FRACTION >= total:
                self._fork()
        elif self._next.value >= self._known:  # the early worker has claimed all it knows: another one
            self._fork()

    def all_loaded(self) -> None:
        """Fork the workers that render the rest with this process: one per core, this one counting."""
        if self.workers > 1:
            for _ in range(self.workers - 1):
                self._fork()

    def results(self, order: Sequence) -> list:
        """``[function(item) for item in order]``; ``order`` holds the loaded items, in any order.

        This process renders unclaimed items too. The first DefinitionError in ``order`` is raised, as
        the sequential map would raise it.
        """
        if self.workers < 2:
            return [self.function(item) for item in order]
        outcomes = dict(self._run(len(self.items)))
        while self._children:
            pid, pipe = self._children.pop(0)
            outcomes.update(_receive(pid, pipe))
        position = {id(item): index for index, item in enumerate(self.items)}
        results = []
        for item in order:
            outcome = outcomes.get(position[id(item)], _MISSING)
            if outcome is _MISSING:  # its renderer stopped at an error: does this one fail too?
                outcome = self.function(item)
            elif isinstance(outcome, _Failure):
                raise outcome.error()
            results.append(outcome)
        return results

    def stop(self) -> None:
        """Kill and reap the workers still running (after an error here)."""
        for pid, pipe in self._children:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
            os.close(pipe)
            os.waitpid(pid, 0)
        self._children.clear()

    def _fork(self) -> None:
        if self._next is None:
            import multiprocessing

            context = multiprocessing.get_context("fork")
            self._next, self._lock = context.RawValue("q", 0), context.Lock()
        self._known = len(self.items)
        gc.freeze()  # what has loaded stays out of the worker's collections, so its pages are not copied
        read, write = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the caller's code
            status = 1
            try:
                die_with_parent(parent)
                os.close(read)
                try:
                    outcomes = self._run(len(self.items))
                except BaseException:  # a bug, not a user error: raised by the parent with this traceback
                    import traceback

                    outcomes = RuntimeError(f"a rendering worker failed:\n{traceback.format_exc()}")
                _send(write, outcomes)
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        self._children.append((pid, read))

    def _run(self, known: int) -> list[tuple[int, object]]:
        """(index, outcome) of each item claimed among the first ``known``, up to the first error."""
        outcomes = []
        while (index := self._claim(known)) is not None:
            try:
                outcomes.append((index, self.function(self.items[index])))
            except DefinitionError as exc:
                outcomes.append((index, _Failure.of(exc)))
                break  # like a sequential map, stop at the first error
        return outcomes

    def _claim(self, known: int) -> int | None:
        with self._lock:
            index = self._next.value
            if index >= known:
                return None
            self._next.value = index + 1
        return index


def _send(pipe: int, outcomes) -> None:
    try:
        data = pickle.dumps(outcomes, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        import traceback

        data = pickle.dumps(RuntimeError(f"a rendering worker could not send its results:\n{traceback.format_exc()}"))
    with os.fdopen(pipe, "wb") as stream:
        stream.write(data)


def _receive(pid: int, pipe: int) -> list[tuple[int, object]]:
    with os.fdopen(pipe, "rb") as stream:
        data = stream.read()
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or not data:
        raise RuntimeError(f"a rendering worker (pid {pid}) ended with status {code} and no results")
    outcomes = pickle.loads(data)
    if isinstance(outcomes, BaseException):
        raise outcomes
    return outcomes
