"""Generate a bench estate of N services and run `monitoring test` on it (CI runs N=10; issue 18).

The estate's thresholds differ between services and cover every variant bench/estate.py has (VARIANTS), so
a generated case that lands within an ulp of a threshold somewhere shows up here as a promtool failure.
Prints the files and rules checked and the time taken; exits with `monitoring test`'s code (1 on any failure,
the failing files named in its output).

    .venv/bin/python bench/verify_estate.py --services 10
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from estate import VARIANTS, write_estate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
_SCRIPT = Path(sys.executable).parent / "monitoring"
MONITORING = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "monitoring.cli.main"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=VARIANTS - 3, help="services in the estate (default 10)")
    parser.add_argument(
        "--no-cache", action="store_true", help="run promtool on every file, even ones that passed before (same bytes)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="monitoring-estate-") as tmp:
        definitions, policies = write_estate(Path(tmp), args.services)
        out = Path(tmp) / "generated"
        # the estate's own policies (the project's deploy.yaml names the A/B stack's groups)
        common = ["--definitions", str(definitions), "--out", str(out), "--policies", str(policies)]
        started = time.perf_counter()
        generate = subprocess.run([*MONITORING, "generate", *common], cwd=ROOT)
        if generate.returncode != 0:
            return generate.returncode
        generated = time.perf_counter() - started
        cache = ["--no-cache"] if args.no_cache else []
        test = subprocess.run([*MONITORING, "test", *common, *cache], cwd=ROOT, capture_output=True, text=True)
        tested = time.perf_counter() - started - generated
        lines = test.stdout.splitlines()
        failing = [line for line in lines if re.search(r"\bFAIL\b|UNTESTED|promtool test rules|promtool check", line)]
        coverage = next((line for line in lines if "rules covered" in line), "")
        routing = next((line for line in lines if "alert instances" in line), "")
        files = len(list((out / "prometheus" / "tests").glob("*.yml")))
        print("\n".join(failing) if test.returncode else "", end="\n" if test.returncode else "")
        print(
            f"N={args.services}: {files} promtool test files; {coverage}; {routing.split(';')[0]}; "
            f"generate {generated:.1f} s, monitoring test {tested:.1f} s: "
            + ("all suites passed" if test.returncode == 0 else "FAILED")
        )
        if test.returncode:
            print(test.stderr, file=sys.stderr)
        return test.returncode


if __name__ == "__main__":
    sys.exit(main())
