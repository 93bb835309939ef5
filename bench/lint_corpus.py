"""Benchmark `monitoring lint` over every real-world rule file of the shared corpus (not a test).

Prints the wall clock of the CLI as users run it (interpreter start-up included; median and best of
--repeats runs, with the CPU time the process used, to tell a slow lint from a busy machine), then, in
process, the time spent reading and parsing the files and in each check. The goal: all corpus files in
under 2 s wall on 2 cores.

    .venv/bin/python bench/lint_corpus.py --shared /work/shared [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_SCRIPT = Path(sys.executable).parent / "monitoring"
MONITORING = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "monitoring.cli.main"]


def cli_runs(folder: Path, repeats: int) -> list[tuple[float, float]]:
    """(wall seconds, CPU seconds of the child) per run."""
    runs = []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([*MONITORING, "lint", str(folder)], cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode not in (0, 1) or "Traceback" in done.stderr:
            raise SystemExit(f"monitoring lint failed ({done.returncode}):\n{done.stderr[-2000:]}")
        runs.append((wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)))
    return runs


def in_process(folder: Path) -> tuple[float, dict[str, float], int, int]:
    """CPU seconds to read and parse the files and per check (CPU time: a busy machine does not inflate it),
    number of files and of findings."""
    from monitoring.cli.lint import expand
    from monitoring.lint import LintConfig
    from monitoring.lint.context import from_files
    from monitoring.lint.registry import check_modules

    files = expand([folder])
    start = time.process_time()
    ctx = from_files(files, LintConfig())
    read = time.process_time() - start
    per_check, findings = {}, 0
    for module in check_modules():
        if module.NEEDS_CATALOG:
            continue
        start = time.process_time()
        findings += sum(1 for _ in module.check(ctx))
        per_check[module.NAME] = time.process_time() - start
    return read, per_check, len(files), findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared/ folder")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    folder = (args.shared / "corpora" / "rules").resolve()
    if not folder.is_dir():
        raise SystemExit(f"{folder}: no corpus here (pass --shared)")
    runs = cli_runs(folder, args.repeats)
    walls = [wall for wall, _ in runs]
    read, per_check, files, findings = in_process(folder)
    print(f"monitoring lint over {files} corpus files ({os.cpu_count()} cores, {args.repeats} runs)")
    print(f"  wall clock, CLI incl. start-up: median {statistics.median(walls):.2f} s, best {min(walls):.2f} s")
    print(f"  CPU time of the CLI (user+sys): median {statistics.median(c for _, c in runs):.2f} s")
    checks = sum(per_check.values())
    print(f"in process, CPU time: read and parse {read:.3f} s, checks {checks:.3f} s, {findings} findings")
    for name, seconds in sorted(per_check.items(), key=lambda item: -item[1]):
        print(f"  {name:<20} {seconds * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
