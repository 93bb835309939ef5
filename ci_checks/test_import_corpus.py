"""`monitoring import` on real estates: every corpus rule file promtool accepts (and the PrometheusRule
manifests) -> definitions -> load, validate, render -> each rule as it was written. Prints the figures."""

import csv
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from monitoring.adopt.roundtrip import compare_rules
from monitoring.adopt.rule_files import read_rule_file
from monitoring.adopt.rules import import_rule_files
from monitoring.lint import lint_files, lint_stacks, load_config
from monitoring.pipeline.discovery import load_stacks
from monitoring.pipeline.validate import validate
from monitoring.render.prometheus import render_rules

RUFF = Path(sys.executable).parent / "ruff"


def _importable(shared) -> list[Path]:
    """Files promtool 2.42 accepts, and the PrometheusRule manifests (promtool reads no manifests)."""
    corpora = shared / "corpora"
    with open(corpora / "results-promtool-2.42/promtool_check_rules.tsv") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [corpora / r["file"] for r in rows if r["result"] == "PASS" or r["kind"] == "CR"]


def test_rules_round_trip(shared, tmp_path, capsys):
    started = time.perf_counter()
    files = _importable(shared)
    imported = import_rule_files(files, untested=False)  # (marking untested=: the next test)
    stacks = {s.name: s for s in _loaded(tmp_path, imported)}
    preserved = total = 0
    problems = []
    for path, item in zip(files, imported.values()):
        ok, count, differences = compare_rules(read_rule_file(path, str(path)), render_rules(stacks[item.stack_name]))
        preserved, total = preserved + ok, total + count
        problems += [f"{path.relative_to(shared)}: {d}" for d in differences]
    formatted = subprocess.run([RUFF, "format", "--isolated", "--line-length", "120", "--check", str(tmp_path)])
    # Lint on the definitions (with the inferred catalog) finds what lint finds on the source files, nothing more
    config = load_config(None)
    ours = Counter((f.check, f.severity) for f in lint_stacks(list(stacks.values()), render_rules, config, ()))
    theirs = Counter((f.check, f.severity) for f in lint_files(files, config))
    with capsys.disabled():
        print(f"\nlint findings by check, imported definitions / source files: {_side_by_side(ours, theirs)}")
        print(
            f"import rules: {preserved}/{total} rules preserved from {len(files)} files "
            f"({time.perf_counter() - started:.1f} s)"
        )
        for problem in problems:
            print(f"  not preserved: {problem}")
    assert problems == [] and preserved == total > 1500
    assert formatted.returncode == 0
    assert ours - theirs == Counter(), "the import added lint findings of its own"


def test_imported_rules_generate_tests_that_pass(shared, tmp_path, capsys):
    """import (which marks `untested=` the rules `generate` cannot test) -> `generate`'s test generation -> the
    real promtool on every test file written: every imported file generates, and promtool passes every test."""
    from concurrent.futures import ThreadPoolExecutor

    from monitoring.pipeline.serialize import yaml_bytes
    from monitoring.pipeline.workers import map_in_order
    from monitoring.render.promtool_tests import render_rule_tests
    from monitoring.verify.tools import find_tool

    started = time.perf_counter()
    files = _importable(shared)
    definitions, out = tmp_path / "definitions", tmp_path / "out"
    out.mkdir()
    stacks = _loaded(definitions, import_rule_files(files))
    imported = time.perf_counter()

    def files_of(stack) -> tuple[bytes, bytes]:  # raises on any refusal: the import marked them all
        return yaml_bytes(render_rules(stack)), yaml_bytes(render_rule_tests(stack, f"{stack.name}.rules.yml"))

    for stack, (rules, tests) in zip(stacks, map_in_order(files_of, stacks)):  # over both cores, as generate
        (out / f"{stack.name}.rules.yml").write_bytes(rules)
        (out / f"{stack.name}.test.yml").write_bytes(tests)
    promtool = find_tool("promtool")

    def promtool_fails(name: str) -> str | None:
        run = subprocess.run([promtool, "test", "rules", f"{name}.test.yml"], cwd=out, capture_output=True, text=True)
        return None if run.returncode == 0 else f"{name}: {run.stdout[-2000:]}{run.stderr[-500:]}"

    with ThreadPoolExecutor(2) as pool:
        failed = [f for f in pool.map(promtool_fails, [s.name for s in stacks]) if f]
    rules = [
        (kind, r)
        for s in stacks
        for kind, rs in (("alerts", s.alerts()), ("recording rules", s.recording_rules()))
        for r in rs
    ]
    figures = {
        kind: f"{sum(1 for k, r in rules if k == kind and not r.untested)}/{sum(1 for k, _ in rules if k == kind)}"
        for kind in ("alerts", "recording rules")
    }
    formatted = subprocess.run([RUFF, "format", "--isolated", "--line-length", "120", "--check", str(definitions)])
    with capsys.disabled():
        print(
            f"\nimport -> generate: {len(stacks)}/{len(files)} files generate, {len(stacks) - len(failed)} pass "
            f"promtool; with generated tests: alerts {figures['alerts']}, recording rules {figures['recording rules']} "
            f"(the rest marked untested= with the reason); import {imported - started:.1f} s, "
            f"generate and promtool {time.perf_counter() - imported:.1f} s"
        )
        for failure in failed:
            print(f"  {failure}")
    assert failed == [] and len(stacks) == len(files)
    assert formatted.returncode == 0


def _loaded(folder: Path, imported: dict) -> list:
    """The imported definitions written into ``folder``, loaded and validated as `generate` loads them."""
    folder.mkdir(exist_ok=True)
    for name, item in imported.items():
        (folder / name).write_text(item.source)
    stacks = load_stacks(folder)
    validate(stacks)
    return stacks


def _side_by_side(ours: Counter, theirs: Counter) -> str:
    return ", ".join(f"{check} {ours[(check, sev)]}/{theirs[(check, sev)]}" for check, sev in sorted(ours | theirs))


def test_dashboards_round_trip(shared, tmp_path, capsys):
    from monitoring.adopt.dashboards import import_dashboard_files, read_dashboard
    from monitoring.adopt.roundtrip import compare_dashboard
    from monitoring.pipeline.schema import schema_errors
    from monitoring.render.grafana import render_dashboards

    started = time.perf_counter()
    files = sorted((shared / "corpora/dashboards").rglob("*.json"))
    strict = shared / "corpora/schemas/grafana-foundation-sdk/dashboard.jsonschema.json"
    imported = import_dashboard_files(files)
    stacks = {s.name: s for s in _loaded(tmp_path, imported)}
    valid = preserved = total = raw = 0
    problems = []
    for path, item in zip(files, imported.values()):
        (rendered,) = render_dashboards(stacks[item.stack_name]).values()
        errors = schema_errors(rendered, strict)
        valid += not errors
        ok, count, differences = compare_dashboard(read_dashboard(path, str(path)), rendered)
        preserved, total, raw = preserved + ok, total + count, raw + item.counts["raw panels"]
        problems += [f"{path.relative_to(shared)}: {e}" for e in errors[:3] + differences]
    formatted = subprocess.run([RUFF, "format", "--isolated", "--line-length", "120", "--check", str(tmp_path)])
    with capsys.disabled():
        print(
            f"\nimport dashboards: {valid}/{len(files)} valid against Grafana's strict schema v42; {preserved}/{total} "
            f"panels with queries, unit and thresholds preserved ({raw} kept as RawPanel) "
            f"({time.perf_counter() - started:.1f} s)"
        )
        for problem in problems:
            print(f"  not preserved: {problem[:300]}")
    assert valid == len(files) == 10
    assert total - preserved <= 1  # kube-state-metrics' "Nodes Unavailable": a step without a value, left out
    assert formatted.returncode == 0


def test_alertmanager_round_trip(shared, tmp_path, capsys):
    import yaml

    from monitoring.adopt.alertmanager import import_alertmanager_config, read_config
    from monitoring.adopt.routes_compare import compare_routing, intent_problems, label_sets
    from monitoring.alertmanager.policy import load_notification_policy
    from monitoring.alertmanager.routing import route_from_config
    from monitoring.cli.import_ import _amtool_check
    from monitoring.render.alertmanager import render_config
    from monitoring.verify.routing_tests import amtool_receivers
    from monitoring.verify.tools import find_tool

    started, amtool = time.perf_counter(), find_tool("amtool")
    agree = total = imported_count = intended = past_catch_all = 0
    rejected, problems = [], []
    for n, path in enumerate(sorted((shared / "corpora/alertmanager").rglob("*.y*ml"))):
        try:
            imported = import_alertmanager_config(path, check=_amtool_check)
        except Exception as exc:  # noqa: BLE001 - amtool rejects it: named below, and must be a located error
            assert "amtool rejects the config" in str(exc), exc
            rejected.append(path.name)
            continue
        imported_count += 1
        policies = tmp_path / f"policies-{n}"
        policies.mkdir()
        (policies / "notifications.yaml").write_text(imported.source)
        policy = load_notification_policy(policies)
        generated, original = policies / "alertmanager.yml", policies / "original.yml"
        generated.write_text(yaml.safe_dump(render_config(policy.data)))
        assert _amtool_check(generated) is None
        original.write_text(yaml.safe_dump(read_config(path, str(path), None)))  # a Secret's config, unwrapped
        sets = label_sets(route_from_config(yaml.safe_load(original.read_text())["route"]))
        receivers_of = lambda config, labels: amtool_receivers(amtool, config, labels)  # noqa: E731
        differences = compare_routing(receivers_of, original, generated, imported.receivers_from, sets)
        agree, total = agree + len(sets) - len(differences), total + len(sets)
        problems += [f"{path.name}: {d}" for d in differences]
        routed, wrong = intent_problems(policy, sets)
        intended, past_catch_all = intended + routed - len(wrong), past_catch_all + routed
        problems += [f"{path.name}: {w}" for w in wrong]
    with capsys.disabled():
        print(
            f"\nimport alertmanager: {imported_count} configs imported, {agree}/{total} label sets routed the same "
            f"by amtool on the original and the generated config; amtool rejects {len(rejected)} "
            f"({', '.join(rejected)}); the derived intents name exactly the tree's receivers for "
            f"{intended}/{past_catch_all} label sets that pass the catch-all ({time.perf_counter() - started:.1f} s)"
        )
        for problem in problems:
            print(f"  routed differently: {problem}")
    assert problems == [] and imported_count == 4 and total >= 80
