"""Crash safety: 20 SIGKILLs at random points of `generate` each leave the old or the new tree whole.

An estate of 4 services, rendered by forked workers (MONITORING_WORKERS=2), is generated alternately from two
versions of its definitions into one OUT, and each run is killed: half at a random moment of the run,
half just after the staging folder appears (inside the write phase). After every kill OUT is exactly
one of the two complete trees, and no process of the run is left; the next complete run leaves nothing
beside OUT.
"""

from __future__ import annotations

import importlib.util
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT, tree

KILLS = 20
SERVICES = 4
WORKERS = {**os.environ, "MONITORING_WORKERS": "2"}  # forked rendering workers even for a small estate
MONITORING = [sys.executable, "-m", "monitoring.cli.main"]


def _estate():
    spec = importlib.util.spec_from_file_location("bench_estate", ROOT / "bench/estate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _generate(definitions: Path, policies: Path, out: Path, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*MONITORING, "generate", "-d", definitions, "--policies", policies, "-o", out],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=WORKERS,
        start_new_session=True,  # its own process group: we can tell whether any of its workers outlive it
    )


def _group_gone(pgid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


def test_sigkill_at_random_points_leaves_a_whole_tree(tmp_path):
    estate = _estate()
    first, policies = estate.write_estate(tmp_path / "a", SERVICES)
    second, _ = estate.write_estate(tmp_path / "b", SERVICES)
    estate.changed_definition(next(iter(sorted(second.glob("*.py")))))  # version B differs from A
    work = tmp_path / "work"
    work.mkdir()
    trees = []
    started = time.monotonic()
    for version, definitions in enumerate((first, second)):
        run = _generate(definitions, policies, tmp_path / f"expected{version}", work)
        assert run.wait() == 0
        trees.append(tree(tmp_path / f"expected{version}"))
    duration = (time.monotonic() - started) / 2
    assert trees[0] != trees[1]

    out = work / "generated"
    assert _generate(first, policies, out, work).wait() == 0
    rng = random.Random(11)
    in_write_phase = 0
    for kill in range(KILLS):
        run = _generate((second, first)[kill % 2], policies, out, work)
        if kill % 2:  # inside the write phase: as soon as the staging folder exists
            deadline = time.monotonic() + 3 * duration
            while not list(work.glob(".generated.new-*")) and run.poll() is None and time.monotonic() < deadline:
                time.sleep(0.001)
            time.sleep(rng.uniform(0, 0.03))
        else:
            time.sleep(rng.uniform(0.1, 1.1) * duration)
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        assert _group_gone(run.pid), f"kill {kill}: a worker outlived its killed parent"
        in_write_phase += bool(list(work.glob(".generated.new-*")))
        assert out.is_dir() and not out.is_symlink(), f"kill {kill}: no output tree"
        assert tree(out) in trees, f"kill {kill}: the output tree is neither the old nor the new one"

    assert _generate(first, policies, out, work).wait() == 0
    assert tree(out) == trees[0]
    assert sorted(p.name for p in work.iterdir()) == ["generated"], "leftovers beside OUT after a complete run"
    print(f"{KILLS} kills, {in_write_phase} inside the write phase: every tree whole, no leftovers after the next run")


def test_concurrent_runs_on_one_out_serialise_on_the_lock(tmp_path):
    """Four `generate`s of two versions started at once on one OUT: each waits for the lock, none fails, and
    OUT ends as exactly one of the two trees with nothing left beside it (the lock file is removed)."""
    estate = _estate()
    first, policies = estate.write_estate(tmp_path / "a", SERVICES)
    second, _ = estate.write_estate(tmp_path / "b", SERVICES)
    estate.changed_definition(next(iter(sorted(second.glob("*.py")))))
    trees = []
    for version, definitions in enumerate((first, second)):
        assert _generate(definitions, policies, tmp_path / f"expected{version}", tmp_path).wait() == 0
        trees.append(tree(tmp_path / f"expected{version}"))
    work = tmp_path / "work"
    work.mkdir()
    out = work / "generated"
    runs = [_generate((first, second)[n % 2], policies, out, work) for n in range(4)]
    assert [run.wait(timeout=120) for run in runs] == [0, 0, 0, 0]
    assert tree(out) in trees
    assert sorted(p.name for p in work.iterdir()) == ["generated"], "leftovers beside OUT after concurrent runs"
