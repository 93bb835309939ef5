"""Benchmark a synthetic estate of N services: generate, check, lint, verify; against a floor and a baseline.

For each size N it writes N service definitions (bench/estate.py) and a notification policy into a
temporary folder, then measures in one run:
- the CLI as users run it (wall clock including interpreter start-up, peak RSS): `generate`,
  `generate` in one process, `check` with nothing changed, `check` with one service changed, `lint`;
- the same pipeline in-process and sequential, stage by stage (bench/stages.py): load, render (of which
  test generation), serialise, secrets guard, write, compare, scan;
- the floor: the final plain documents encoded with orjson and libyaml alone;
- the baseline a hand-written generator would be: grafanalib's DashboardEncoder (json.dumps, indent=2)
  and yaml.safe_dump on the same documents (encoding only: no model, no rendering, no test generation);
- `monitoring test`'s suites in-process, each with a cold cache and then a warm one (nothing changed): promtool
  (`check rules` + `test rules`) at the sizes in --verify-sizes, the amtool routing suite at every size.
It prints medians of --repeats runs and the ratios, and writes everything as JSON. It is a benchmark, not
a test, but it fails (exit 1, naming the failing files) when a run fails, the outputs are not what the pipeline
writes, or promtool or amtool fails on what it generated.

    .venv/bin/python bench/run.py --sizes 10,100,200,1000 --repeats 3     (make bench)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from estate import changed_definition, write_estate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# The console script users run (same interpreter start-up), else the module.
_SCRIPT = Path(sys.executable).parent / "monitoring"
MONITORING = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "monitoring.cli.main"]

ROWS = (  # (key, label) in table order; indented rows are parts of the sequential run
    ("generate", "generate (CLI, all cores)"),
    ("generate_1proc", "generate (CLI, 1 process)"),
    ("check", "check, nothing changed (CLI)"),
    ("check_changed", "check, one service changed (CLI)"),
    ("lint", "lint definitions (CLI)"),
    ("load", "  load: discover + validate"),
    ("render", "  render to plain dicts"),
    ("testgen", "    of which promtool test generation"),
    ("serialise", "  serialise (orjson + libyaml)"),
    ("guard", "  secrets guard"),
    ("write", "  write (atomic swap)"),
    ("compare", "  check: compare with disk"),
    ("scan_tree", "  check: secrets scan on disk"),
    ("floor", "floor: orjson + libyaml only"),
    ("floor: promtool tests", "  of which promtool tests"),
    ("baseline", "baseline: grafanalib encoder + safe_dump"),
    ("baseline: promtool tests", "  of which promtool tests"),
    ("promtool", "monitoring test: promtool, cold cache"),
    ("promtool_warm", "monitoring test: promtool, warm cache"),
    ("amtool", "monitoring test: amtool routing, cold"),
    ("amtool_warm", "monitoring test: amtool routing, warm"),
)


def timed_child(argv, env=None, expect=(0,)) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB of the largest process of its tree) of one command."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=output, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)  # wait4: the child's rusage, its waited workers included
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in expect:
            output.seek(0)
            raise SystemExit(f"{' '.join(map(str, argv))} exited {process.returncode}:\n{output.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def repeat(times: int, argv, **kwargs) -> dict:
    runs = [timed_child(argv, **kwargs) for _ in range(times)]
    return {
        "median": statistics.median(s for s, _ in runs),
        "runs": [s for s, _ in runs],
        "peak_rss_mb": max(m for _, m in runs),
    }


def measure_size(services: int, args, work: Path) -> dict:
    definitions, policies = write_estate(work, services)
    out = work / "generated"
    common = ["--definitions", definitions, "--out", out, "--policies", policies]
    result: dict = {"services": services, "cli": {}, "load_average_at_start": os.getloadavg()}
    cli = result["cli"]
    print(f"N={services}: generate", file=sys.stderr, flush=True)
    cli["generate"] = repeat(args.repeats, [*MONITORING, "generate", *common])
    cli["generate_1proc"] = repeat(args.repeats, [*MONITORING, "generate", *common], env={"MONITORING_WORKERS": "1"})
    print(f"N={services}: check", file=sys.stderr, flush=True)
    cli["check"] = repeat(args.repeats, [*MONITORING, "check", "--quiet", *common])
    changed = sorted(definitions.glob("*.py"))[services // 2]
    original = changed.read_text()
    changed_definition(changed)
    try:
        cli["check_changed"] = repeat(args.repeats, [*MONITORING, "check", *common], expect=(1,))
    finally:
        changed.write_text(original)
    cli["lint"] = repeat(args.repeats, [*MONITORING, "lint", "--definitions", definitions], expect=(0, 1))

    print(
        f"N={services}: stages, floor, baseline, "
        + ("promtool, amtool" if services in args.verify_sizes else "amtool"),
        file=sys.stderr,
        flush=True,
    )
    stages = subprocess.run(
        [
            sys.executable,
            Path(__file__).parent / "stages.py",
            "--definitions",
            definitions,
            "--policies",
            policies,
            "--work",
            work / "stages",
            "--repeats",
            str(args.repeats),
        ]
        + (["--verify"] if services in args.verify_sizes else ["--routing"]),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if stages.returncode != 0:
        raise SystemExit(f"bench/stages.py failed for N={services}:\n{stages.stderr}")
    result["stages"] = json.loads(stages.stdout)
    return result


def ab_check(args, work: Path) -> dict:
    """The default (A/B test) definitions: `check` wall clock including interpreter start-up."""
    out = work / "ab-generated"
    timed_child([*MONITORING, "generate", "--out", out])
    return repeat(max(args.repeats, 5), [*MONITORING, "check", "--quiet", "--out", out])


def median_of(result: dict, key: str):
    if key in result["cli"]:
        return result["cli"][key]["median"]
    stages = result["stages"]
    if key in stages["medians"]:
        return stages["medians"][key]
    verify = stages.get("verify", {})
    return verify[key]["seconds"] if key in verify else None


def ratios(result: dict) -> dict:
    m = lambda key: median_of(result, key)  # noqa: E731
    return {
        "generate / floor": m("generate") / m("floor"),
        "sequential generate / floor": m("sequential_generate") / m("floor"),
        "baseline / generate": m("baseline") / m("generate"),
        "check / generate": m("check") / m("generate"),
    }


def table(results: list[dict], ab: dict) -> str:
    sizes = [r["services"] for r in results]
    width = max(len(label) for _, label in ROWS) + 2
    lines = [f"{'median seconds':<{width}}" + "".join(f"{'N=' + str(n):>11}" for n in sizes)]
    for key, label in ROWS:
        values = [median_of(r, key) for r in results]
        if all(v is None for v in values):
            continue
        lines.append(f"{label:<{width}}" + "".join(f"{v:>11.3f}" if v is not None else f"{'-':>11}" for v in values))
    lines.append("")
    for name in ratios(results[0]):
        lines.append(f"{name:<{width}}" + "".join(f"{ratios(r)[name]:>10.2f}x" for r in results))
    lines.append(
        f"{'peak RSS generate (MB)':<{width}}"
        + "".join(f"{r['cli']['generate']['peak_rss_mb']:>11.0f}" for r in results)
    )
    lines.append(
        f"{'peak RSS check (MB)':<{width}}" + "".join(f"{r['cli']['check']['peak_rss_mb']:>11.0f}" for r in results)
    )
    verified = [r for r in results if "promtool" in r["stages"].get("verify", {})]
    if verified:
        lines.append(
            f"{'promtool s per service, cold':<{width}}"
            + "".join(
                f"{r['stages']['verify']['promtool']['seconds'] / r['services']:>11.3f}"
                if "promtool" in r["stages"].get("verify", {})
                else f"{'-':>11}"
                for r in results
            )
        )
    lines.append(
        f"{'promtool test KB per service':<{width}}"
        + "".join(f"{r['stages']['counts']['test_bytes'] / r['services'] / 1e3:>11.1f}" for r in results)
    )
    for r in results:  # a warm run re-runs what failed: failures are never cached
        warm = r["stages"].get("verify", {}).get("promtool_warm")
        rerun = re.search(r"(\d+) files: (\d+) run by promtool", warm["summary"]) if warm else None
        if rerun and rerun.group(2) != "0":
            lines.append(
                f"N={r['services']}: the warm promtool run re-ran {rerun.group(2)} of {rerun.group(1)} files "
                "(they failed, and failures are never cached)"
            )
    counts = results[-1]["stages"]["counts"]
    lines += [
        "",
        f"N={results[-1]['services']}: {counts['files']} files, {counts['bytes'] / 1e6:.1f} MB "
        f"({counts['test_bytes'] / 1e6:.1f} MB promtool tests), "
        f"{counts['dashboards']} dashboards, {counts['panels']} panels, {counts['recording_rules']} "
        f"recording rules, {counts['alerts']} alerts, {counts['test_groups']} promtool test groups",
        f"A/B stack: check {ab['median']:.3f} s wall including interpreter start-up "
        f"(median of {len(ab['runs'])}), peak RSS {ab['peak_rss_mb']:.0f} MB",
    ]
    return "\n".join(lines)


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        # set in some environments; without it Python caches compiled definition files between runs
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
    }


def sizes(text: str) -> list[int]:
    values = [int(part) for part in text.split(",") if part.strip()]
    if any(value < 1 for value in values):
        raise argparse.ArgumentTypeError("sizes are numbers of services, at least 1")
    return values


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=sizes, default=[10, 100, 1000], help="services per estate, e.g. 10,100,1000")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (medians are reported)")
    parser.add_argument(
        "--verify-sizes",
        type=sizes,
        default=None,
        help="sizes at which promtool/amtool run; '' for none (default: the sizes up to 200)",
    )
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    args = parser.parse_args(argv)
    if args.verify_sizes is None:
        args.verify_sizes = [n for n in args.sizes if n <= 200]  # promtool: ~2-5 s per service file
    started = time.perf_counter()
    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "repeats": args.repeats,
        "results": [],
    }
    with tempfile.TemporaryDirectory(prefix="monitoring-bench-") as tmp:
        for services in sorted(set(args.sizes) | set(args.verify_sizes)):
            report["results"].append(measure_size(services, args, Path(tmp) / f"n{services}"))
        report["ab_check"] = ab_check(args, Path(tmp))
    report["ratios"] = {r["services"]: ratios(r) for r in report["results"]}
    report["seconds"] = time.perf_counter() - started
    text = table(report["results"], report["ab_check"])
    print(text)
    report["table"] = text
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
    load = report["machine"]["load_average_at_start"]
    print(
        f"\n{report['seconds']:.0f} s in all; JSON: {args.json}"
        + (f"; load average at start {load[0]:.1f} (other work skews the figures)" if load and load[0] > 0.5 else "")
    )
    failures = verification_failures(report["results"])
    for line in failures:
        print(line, file=sys.stderr)
    return 1 if failures else 0


def verification_failures(results: list[dict]) -> list[str]:
    """'FAILED N=10 promtool: promtool test rules prometheus/tests/svc-0009.test.yml:' per failing file."""
    lines = []
    for result in results:
        for tool, outcome in result["stages"].get("verify", {}).items():
            if tool.endswith("_warm"):
                continue  # the warm run re-runs exactly what failed cold: the same failures again
            if not outcome["ok"]:
                named = outcome.get("failures") or [outcome.get("summary") or "failed"]
                lines += [f"FAILED N={result['services']} {tool}: {failure}" for failure in named]
    return lines


if __name__ == "__main__":
    sys.exit(main())
