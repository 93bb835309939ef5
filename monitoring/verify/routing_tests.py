"""`monitoring test` suite: every alert instance through the generated Alertmanager route tree.

For each alert instance listed in alertmanager/routing-tests.json three answers must agree:
the receivers the policy's intent names, ``amtool config routes test`` on the generated config, and
our own evaluation of the same config (monitoring/alertmanager/routing.py). Receivers depend only on the
labels some matcher reads, so amtool runs once per distinct projection of the instances onto those labels
(a handful, even for 40,000 instances), in parallel; our own evaluation runs on every instance. An alert
that lands only on the root (catch-all) receiver fails, and so does one that no intent covers.
Inhibition pairs are checked with our own evaluation of the generated inhibit_rules (amtool has no
inhibition tester; the pytest suite checks the same pairs against a real Alertmanager).
"""

from __future__ import annotations

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import yaml

from monitoring.alertmanager.inhibition import labels_read as inhibition_labels_read
from monitoring.alertmanager.inhibition import rules_from_config
from monitoring.alertmanager.instances import alert_instances
from monitoring.alertmanager.matchers import Matcher
from monitoring.alertmanager.routing import labels_read as routing_labels_read
from monitoring.alertmanager.routing import only_root, receivers_for, route_from_config
from monitoring.verify.cache import ResultCache, tool_version
from monitoring.verify.report import SuiteResult
from monitoring.verify.shard import ALL, Shard
from monitoring.verify.tools import find_tool, one_core_env

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
COLUMNS = ("alert", "labels", "receiver", "result")


def run(stacks, out_dir: Path, *, cache: ResultCache | None = None, shard: Shard = ALL, policies=None) -> SuiteResult:
    """Route every instance; amtool's answers (and its check-config) are cached per config, templates and build."""
    folder = Path(out_dir) / "alertmanager"
    config_file, tests_file = folder / "alertmanager.yml", folder / "routing-tests.json"
    result = SuiteResult("Alertmanager routing (amtool 'check-config' and 'config routes test')", COLUMNS)
    if not shard.first:
        result.summary = f"shard {shard}: the routing suite (one file, a few seconds) runs in shard 1/{shard.count}"
        return result
    missing = [str(p) for p in (config_file, tests_file) if not p.exists()]
    if missing:
        result.ok = False
        result.problems += [f"missing: {p} (run `monitoring generate`)" for p in missing]
        return result
    amtool = find_tool("amtool")
    cache = cache or ResultCache(None)
    config_bytes = config_file.read_bytes()
    key = ""
    if cache.folder:  # check-config reads the templates too
        templates = [path.read_bytes() for path in sorted((folder / "templates").glob("*"))]
        key = cache.key(config_bytes, *templates, tool_version(amtool))
    known = cache.get("amtool", key)  # present only once check-config has passed on exactly these files
    started = time.perf_counter()
    if known is None:
        check = subprocess.run([amtool, "check-config", str(config_file)], capture_output=True, text=True)
        if check.returncode != 0:
            result.ok = False
            result.problems.append(f"amtool check-config {config_file}:\n{check.stdout}{check.stderr}")
            return result
        known = {"answers": {}}
    check_seconds = time.perf_counter() - started

    config = yaml.load(config_bytes, Loader=_Loader)
    tests = orjson.loads(tests_file.read_bytes())
    cases = tests.get("routes", [])
    result.problems += _coverage_problems(stacks, cases)

    tree = route_from_config(config["route"])
    rules = rules_from_config(config.get("inhibit_rules", []))
    # amtool's answer depends only on the labels some matcher reads: ask it once per distinct projection.
    read = routing_labels_read(tree) | inhibition_labels_read(rules)
    keys = [projection(case["labels"], read) for case in cases]
    distinct = list(dict.fromkeys(keys))
    answered = {k: known["answers"][_text(k)] for k in distinct if _text(k) in known["answers"]}
    ask = [k for k in distinct if k not in answered]
    workers = min(8, (os.cpu_count() or 2) * 2)  # amtool calls are short and mostly process start-up
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        answered.update(zip(ask, pool.map(lambda key: amtool_receivers(amtool, config_file, dict(key)), ask)))
    amtool_seconds = time.perf_counter() - started
    good = {_text(k): answer for k, answer in answered.items() if not isinstance(answer, str)}
    if ask and len(good) > len(known["answers"]):
        cache.put("amtool", key, {"answers": {**known["answers"], **good}})

    passed = 0
    for case, key in zip(cases, keys):
        row, problem = _route_row(case, answered[key], tree)  # our own evaluation: on every instance
        result.rows.append(row)
        if problem:
            result.problems.append(problem)
        else:
            passed += 1

    pairs = tests.get("inhibitions", [])
    inhibition_ok = 0
    for pair in pairs:
        muted = any(rule.silences(pair["source"], pair["target"]) for rule in rules)
        good = muted == pair["inhibited"]
        inhibition_ok += good
        verdict = "inhibited" if muted else "not inhibited"
        equal = pair.get("equal") or sorted(pair["target"])
        result.rows.append(
            (
                f"{pair['source']['alertname']} -> {pair['target']['alertname']}",
                f"{_labels_text(pair['source'], equal)} -> {_labels_text(pair['target'], equal)}",
                f"({verdict})",
                "pass" if good else "FAIL",
            )
        )
        if not good:
            result.problems.append(
                f"inhibition {pair['rule']!r}: {_labels_text(pair['target'])} of "
                f"{pair['target']['alertname']} is {verdict} while "
                f"{pair['source']['alertname']} fires; the policy expects the opposite"
            )
    result.ok = not result.problems
    result.summary = (
        f"{passed}/{len(cases)} alert instances reach their intended receivers (amtool and own "
        f"evaluation agree); {inhibition_ok}/{len(pairs)} inhibition pairs as intended; "
        f"amtool check-config {check_seconds:.2f}s; {len(cases)} instances, {len(distinct)} distinct on the "
        f"labels routing reads ({', '.join(sorted(read)) or 'none'}): {len(ask)} asked of amtool in "
        f"{amtool_seconds:.2f}s ({workers} threads), {len(distinct) - len(ask)} answered before (cache)"
    )
    return result


def projection(labels: dict[str, str], read: set[str]) -> tuple[tuple[str, str], ...]:
    """The labels routing can see: absent ones stay absent (a matcher reads them as the empty string)."""
    return tuple(sorted((name, value) for name, value in labels.items() if name in read))


def _text(key: tuple[tuple[str, str], ...]) -> str:
    return orjson.dumps(key).decode()


def amtool_receivers(amtool: str, config_file: Path, labels: dict[str, str]) -> list[str] | str:
    """Receivers amtool resolves for a label set, in tree order; an error message string if it failed."""
    args = [str(Matcher(name, "=", value)) for name, value in sorted(labels.items())]
    proc = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={config_file}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=one_core_env(),  # one amtool per core
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        return f"amtool failed (exit {proc.returncode}): {(proc.stderr or proc.stdout).strip()}"
    return lines[-1].strip().split(",")


def _route_row(case: dict, answer, tree) -> tuple[tuple[str, ...], str]:
    labels = case["labels"]
    own = receivers_for(tree, labels)
    expected = case.get("receivers") or []
    name = f"{case['alert']} {_labels_text(labels)}"
    if isinstance(answer, str):
        problem = f"{name}: {answer}"
    elif answer != own:
        problem = f"{name}: amtool routes to {','.join(answer)} but our evaluation to {','.join(own)}"
    elif only_root(tree, labels):
        problem = (
            f"{name}: no route matches, so it lands only on the catch-all receiver {own[0]!r}; "
            "add a route for it in policies/notifications.yaml"
        )
    elif not case.get("intent"):
        problem = f"{name}: no intent in policies/notifications.yaml covers it; add one naming its receivers"
    elif sorted(own) != sorted(expected):
        problem = f"{name}: routed to {','.join(own)} but intent {case['intent']!r} says {','.join(expected)}"
    else:
        problem = ""
    receivers = ",".join(own) if not isinstance(answer, str) else "?"
    return (case["alert"], _labels_text(labels), receivers, "FAIL" if problem else "pass"), problem


def _labels_text(labels: dict[str, str], only=None) -> str:
    shown = [k for k in sorted(labels) if k != "alertname" and (only is None or k in only)]
    return " ".join(f"{k}={labels[k]}" for k in shown) or "-"


def _coverage_problems(stacks, cases: list[dict]) -> list[str]:
    """Every label set the definitions can raise must be in the tests file (else it is stale)."""
    listed = {(c["alert"], tuple(sorted(c["labels"].items()))) for c in cases}
    problems = []
    for stack in stacks:
        for alert in stack.alerts():
            for labels in alert_instances(alert, stack):
                if (alert.name, tuple(sorted(labels.items()))) not in listed:
                    problems.append(
                        f"{alert.name} {_labels_text(labels)}: not in routing-tests.json "
                        "(stale: run `monitoring generate`)"
                    )
    return problems
