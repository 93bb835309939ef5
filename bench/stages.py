"""One benchmark size, stage by stage, in one process (run by bench/run.py as a child; prints JSON).

The real pipeline runs in-process with one worker (MONITORING_WORKERS=1), so the stages add up to the
CPU time of a sequential `generate`. Serialisation and the secrets guard are timed by wrapping the
functions `monitoring.render.estate` calls, which also captures the plain documents it serialises: the floor
(orjson + libyaml alone) and the baseline (grafanalib's encoder + yaml.safe_dump) encode exactly those.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

os.environ["MONITORING_WORKERS"] = "1"

import orjson  # noqa: E402
import yaml  # noqa: E402

import monitoring.pipeline.secrets as secrets  # noqa: E402
import monitoring.render.estate as pipeline  # noqa: E402
import monitoring.render.promtool_tests as promtool_tests  # noqa: E402
from monitoring.pipeline.writer import compare_tree, write_tree  # noqa: E402


class Recorder:
    """Wraps what render_all calls to time serialisation, the guard and test generation, and keep documents."""

    def __init__(self):
        self.seconds = {"serialise": 0.0, "guard": 0.0, "testgen": 0.0}
        self.documents: list[tuple[str, object, str, dict]] = []  # (kind, data, header, yaml_bytes options)
        self._json, self._yaml = pipeline.json_bytes, pipeline.yaml_bytes
        self._scan, self._tests = secrets.scan_files, promtool_tests.render_rule_tests

    def install(self):
        pipeline.json_bytes, pipeline.yaml_bytes = self.json_bytes, self.yaml_bytes
        secrets.scan_files = self.timed("guard", self._scan)  # the guard scans each stack's files, then the rest
        promtool_tests.render_rule_tests = self.timed("testgen", self._tests)

    def reset(self):
        self.seconds = dict.fromkeys(self.seconds, 0.0)
        self.documents = []

    def timed(self, stage, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - started

        return wrapper

    def json_bytes(self, data):
        self.documents.append(("json", data, "", {}))
        return self.timed("serialise", self._json)(data)

    def yaml_bytes(self, data, header="", **options):
        self.documents.append(("yaml", data, header, options))
        return self.timed("serialise", self._yaml)(data, header, **options)


def content(kind, data) -> str:
    """Which output a captured document is, for the per-content split of floor and baseline."""
    if kind == "json":
        return "dashboards"
    if isinstance(data, dict) and "rule_files" in data:
        return "promtool tests"
    if isinstance(data, dict) and "groups" in data:
        return "rules"
    return "alertmanager and provisioning"


def floor(documents) -> dict[str, float]:
    """orjson and libyaml on the final plain documents, garbage collector paused: nothing but encoding."""
    seconds: dict[str, float] = {}
    gc.collect()
    gc.disable()
    try:
        for kind, data, *_ in documents:
            started = time.perf_counter()
            if kind == "json":
                orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
            else:
                yaml.dump(
                    data,
                    Dumper=yaml.CSafeDumper,
                    sort_keys=True,
                    default_flow_style=False,
                    allow_unicode=True,
                    width=1 << 30,
                )
            key = content(kind, data)
            seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - started
        return seconds
    finally:
        gc.enable()


def baseline(documents) -> dict[str, float]:
    """What a hand-written generator does with the same documents: grafanalib's encoder, yaml.safe_dump."""
    from grafanalib._gen import DashboardEncoder

    seconds: dict[str, float] = {}
    gc.collect()
    for kind, data, *_ in documents:
        started = time.perf_counter()
        if kind == "json":
            json.dumps(data, cls=DashboardEncoder, indent=2, sort_keys=True)
        else:
            yaml.safe_dump(data, sort_keys=True, allow_unicode=True)
        key = content(kind, data)
        seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - started
    return seconds


def run_pipeline(args, recorder: Recorder) -> dict[str, float]:
    """One sequential generate and check, stage by stage."""
    recorder.reset()
    times = {}
    started = time.perf_counter()
    stacks = pipeline.load(args.definitions)
    times["load"] = time.perf_counter() - started
    started = time.perf_counter()
    files = pipeline.render_all(stacks, policies_dir=args.policies)
    total = time.perf_counter() - started
    times.update(recorder.seconds)
    times["render"] = total - recorder.seconds["serialise"] - recorder.seconds["guard"]  # includes testgen
    out = args.work / "out"
    started = time.perf_counter()
    write_tree(out, files)
    times["write"] = time.perf_counter() - started
    started = time.perf_counter()
    comparison = compare_tree(out, files)
    times["compare"] = time.perf_counter() - started
    assert comparison.clean, "the tree just written differs from the rendered files"
    from monitoring.pipeline.secrets import scan_tree

    started = time.perf_counter()
    assert scan_tree(out) == []
    times["scan_tree"] = time.perf_counter() - started
    times["sequential_generate"] = sum(times[k] for k in ("load", "render", "serialise", "guard", "write"))
    return times, stacks, files


def same_bytes(documents, files) -> bool:
    """The captured documents serialise to exactly the files render_all returned (the capture is complete)."""
    from monitoring.pipeline.serialize import json_bytes, yaml_bytes

    produced = {json_bytes(d) if kind == "json" else yaml_bytes(d, h, **o) for kind, d, h, o in documents}
    return produced == {data for name, data in files.items() if name.endswith((".json", ".yml", ".yaml"))}


def verify(stacks, out: Path, suites=("promtool", "amtool")) -> dict:
    """`monitoring test`'s suites, each with a cold cache (everything runs) and then a warm one (nothing changed)."""
    import tempfile

    from monitoring.verify import routing_tests, rule_tests
    from monitoring.verify.cache import ResultCache

    modules = {"promtool": rule_tests, "amtool": routing_tests}
    results = {}
    with tempfile.TemporaryDirectory(prefix="monitoring-test-cache-") as folder:
        cache = ResultCache(Path(folder))
        for name in suites:
            for key in (name, f"{name}_warm"):  # cold first: the cache starts empty
                started = time.perf_counter()
                result = modules[name].run(stacks, out, cache=cache)
                results[key] = {
                    "seconds": time.perf_counter() - started,
                    "ok": result.ok,
                    "rows": len(result.rows),
                    "summary": result.summary,
                    "problems": result.problems[:3],
                    # one line per problem, naming the failing file relative to the output folder
                    "failures": [problem.splitlines()[0].replace(f"{out}/", "") for problem in result.problems],
                }
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--definitions", type=Path, required=True)
    parser.add_argument("--policies", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--verify", action="store_true", help="also run promtool and amtool, cold and warm cache")
    parser.add_argument("--routing", action="store_true", help="also run amtool (the routing suite), cold and warm")
    args = parser.parse_args(argv)

    recorder = Recorder()
    recorder.install()
    runs: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        times, stacks, files = run_pipeline(args, recorder)
        for name, split in (("floor", floor(recorder.documents)), ("baseline", baseline(recorder.documents))):
            times[name] = sum(split.values())
            times.update({f"{name}: {key}": seconds for key, seconds in split.items()})
        for stage, seconds in times.items():
            runs.setdefault(stage, []).append(seconds)
    assert same_bytes(recorder.documents, files), "captured documents do not match the rendered files"
    report = {
        "medians": {stage: statistics.median(values) for stage, values in runs.items()},
        "runs": runs,
        "counts": {
            "stacks": len(stacks),
            "files": len(files),
            "bytes": sum(len(b) for b in files.values()),
            "test_bytes": sum(len(b) for name, b in files.items() if name.endswith(".test.yml")),
            "dashboards": sum(len(s.dashboards) for s in stacks),
            "panels": sum(len(d.panels()) for s in stacks for d in s.dashboards),
            "recording_rules": sum(len(s.recording_rules()) for s in stacks),
            "alerts": sum(len(s.alerts()) for s in stacks),
            "test_groups": sum(
                len(yaml.load(files[name], Loader=yaml.CSafeLoader)["tests"])
                for name in files
                if name.endswith(".test.yml")
            ),
        },
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if args.verify or args.routing:
        report["verify"] = verify(stacks, args.work / "out", ("promtool", "amtool") if args.verify else ("amtool",))
        report["verify_children_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    shutil.rmtree(args.work / "out", ignore_errors=True)
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
