"""Stacks render while later definitions load (monitoring/pipeline/early.py): same results and errors as in-process."""

import os
import time

import pytest

from monitoring.errors import DefinitionError
from monitoring.pipeline.batch import WORKERS_ENV
from monitoring.pipeline.early import EarlyWorkers

linux_only = pytest.mark.skipif(not os.uname().sysname == "Linux", reason="workers are forked on Linux only")


def _pid(item):
    time.sleep(0.005)  # long enough that every renderer gets some
    return item, os.getpid()


def _load(early, items):
    """Feed items as a discovery run would: one file per item."""
    for done, item in enumerate(items, 1):
        early.loaded([item], done, len(items))
    early.all_loaded()


@pytest.fixture
def workers():
    """workers(function) -> EarlyWorkers, stopped (its workers killed and reaped) after the test."""
    made = []
    yield lambda function: made.append(EarlyWorkers(function)) or made[-1]
    for early in made:
        early.stop()


@linux_only
def test_results_come_in_the_order_asked_and_every_process_renders(monkeypatch, workers):
    monkeypatch.setenv(WORKERS_ENV, "2")
    early = workers(_pid)
    items = list(range(64))
    _load(early, items)
    order = sorted(items, key=lambda i: -i)  # stacks are rendered in name order, not load order
    results = early.results(order)
    assert [item for item, _ in results] == order
    pids = {pid for _, pid in results}
    assert os.getpid() in pids and pids - {os.getpid()}  # this process joins in beside the workers


@linux_only
def test_an_early_worker_renders_only_what_had_loaded_when_it_was_forked(monkeypatch, workers):
    monkeypatch.setenv(WORKERS_ENV, "2")
    early = workers(_pid)
    for done in range(1, 5):  # 4 of 64 files (1/16): the first worker is forked here
        early.loaded([done - 1], done, 64)
    first_worker = early._children[0][0]
    for done in range(5, 65):
        early.loaded([done - 1], done, 64)
    early.all_loaded()
    results = early.results(list(range(64)))
    assert {item for item, pid in results if pid == first_worker} <= {0, 1, 2, 3}


def _fail_on_odd(item):
    if item % 2:
        raise DefinitionError(f"item {item} is odd", f"f.py:{item}", "make it even")
    return item


@pytest.mark.parametrize("count", ["1", "2"])
def test_the_first_error_in_the_order_asked_is_raised(monkeypatch, workers, count):
    if count == "2" and os.uname().sysname != "Linux":
        pytest.skip("workers are forked on Linux only")
    monkeypatch.setenv(WORKERS_ENV, count)
    early = workers(_fail_on_odd)
    _load(early, [x * 2 for x in range(30)] + [41, 43])  # two odd items, loaded last
    with pytest.raises(DefinitionError) as raised:
        early.results([0, 2, 43, 41, 4])
    assert raised.value.format() == "f.py:43: item 43 is odd\n  hint: make it even"


def _crash(item):
    if item == 20:
        raise KeyError("a bug")
    time.sleep(0.002)
    return item


@linux_only
def test_a_bug_in_a_worker_is_raised_with_its_traceback(monkeypatch, workers):
    monkeypatch.setenv(WORKERS_ENV, "2")
    early = workers(_crash)
    _load(early, list(range(40)))
    with pytest.raises((RuntimeError, KeyError)) as raised:
        early.results(list(range(40)))
    assert "a bug" in str(raised.value)


def _slow(item):
    time.sleep(30)
    return item


@linux_only
def test_stop_kills_and_reaps_the_workers(monkeypatch, workers):
    monkeypatch.setenv(WORKERS_ENV, "2")
    early = workers(_slow)
    _load(early, list(range(32)))
    pids = [pid for pid, _ in early._children]
    assert pids
    started = time.monotonic()
    early.stop()
    assert time.monotonic() - started < 10 and not early._children
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # already reaped: no zombies left behind


def test_small_estates_fork_nothing(monkeypatch, workers):
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    early = workers(_pid)
    _load(early, [1, 2, 3])
    assert not early._children and early.results([3, 1]) == [(3, os.getpid()), (1, os.getpid())]
