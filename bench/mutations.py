"""Mutation check: the kill rate of the generated promtool tests (see monitoring/verify/mutation.py).

    .venv/bin/python bench/mutations.py                       the A/B stack (generated/)
    .venv/bin/python bench/mutations.py --bench-service 1     also service 1 of the bench estate
    .venv/bin/python bench/mutations.py --out DIR --stack S   any generated folder and stack

Prints every mutant that changes behaviour on the generated inputs but survives, then the kill rates: the
alerts' (their condition, `for`, matchers and `by` labels, and the recording rules they read) and every
recording rule's (a matcher dropped, a `by` label swapped, a window halved or doubled; killed when a
promql_expr_test fails).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from monitoring.verify.mutation import check, check_recording, kill_rate  # noqa: E402
from monitoring.verify.tools import find_tool  # noqa: E402


def report(label: str, out: Path, stack: str) -> tuple[int, int]:
    rules = out / "prometheus" / "rules" / f"{stack}.rules.yml"
    tests = out / "prometheus" / "tests" / f"{stack}.test.yml"
    started = time.perf_counter()
    outcomes = check(rules, tests, find_tool("promtool"))
    killed, counted = _print(f"{label} alerts", outcomes, lambda o: o.mutant.alert, started)
    started = time.perf_counter()
    _print(
        f"{label} recording rules",
        check_recording(rules, tests, find_tool("promtool")),
        lambda o: o.mutant.record,
        started,
    )
    return killed, counted


def _print(label: str, outcomes, rule_of, started: float) -> tuple[int, int]:
    killed, counted = kill_rate(outcomes)
    equivalent = sum(o.changes_behaviour is False for o in outcomes)
    unknown = sum(o.changes_behaviour is None for o in outcomes)
    for o in outcomes:
        if o.changes_behaviour and not o.killed:
            print(f"  survived: {rule_of(o) or o.mutant.alert}: {o.mutant.what}")
    print(
        f"{label}: {len(outcomes)} mutants of {len({rule_of(o) for o in outcomes})} rules; "
        f"{counted} change behaviour on the generated inputs, {killed} killed by promtool: kill rate "
        f"{100 * killed / counted if counted else 0:.1f}%; {equivalent} equivalent on the inputs"
        + (f", {unknown} the evaluator cannot judge" if unknown else "")
        + f"; {sum(o.killed for o in outcomes)} of all {len(outcomes)} killed"
        + f" ({time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    return killed, counted


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "generated")
    parser.add_argument("--stack", default="ab-test")
    parser.add_argument("--bench-service", type=int, default=0, help="also this service of the bench estate")
    args = parser.parse_args(argv)
    report(f"{args.stack}", args.out, args.stack)
    if args.bench_service:
        from estate import service_name, write_estate

        with tempfile.TemporaryDirectory(prefix="monitoring-mutations-") as tmp:
            definitions, policies = write_estate(Path(tmp), args.bench_service)
            for extra in sorted(definitions.glob("*.py"))[:-1]:
                extra.unlink()  # only the one service
            out = Path(tmp) / "generated"
            monitoring = Path(sys.executable).parent / "monitoring"
            subprocess.run(
                [monitoring, "generate", "-d", definitions, "-o", out, "--policies", policies],
                check=True,
                capture_output=True,
            )
            name = service_name(args.bench_service)
            report(f"bench {name}", out, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
