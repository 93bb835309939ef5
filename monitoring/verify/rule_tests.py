"""`monitoring test` suite: promtool check rules + test rules over the generated files, and the coverage gate."""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from monitoring.model import Stack
from monitoring.verify.report import SuiteResult
from monitoring.verify.tools import find_tool

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def run(stacks: list[Stack], out_dir: Path) -> SuiteResult:
    promtool = find_tool("promtool")
    out_dir = Path(out_dir)
    result = SuiteResult(
        "Prometheus rules (promtool 'check rules' and 'test rules')", ("rule", "kind", "tests", "result")
    )
    jobs = []
    for stack in stacks:
        rule_file = out_dir / "prometheus" / "rules" / f"{stack.name}.rules.yml"
        test_file = out_dir / "prometheus" / "tests" / f"{stack.name}.test.yml"
        for path in (rule_file, test_file):
            if not path.exists():
                result.ok = False
                result.problems.append(f"missing: {path} (run `monitoring generate`)")
        if rule_file.exists() and test_file.exists():
            jobs.append((stack, rule_file, test_file))
    # Each test file loads only its own rule file, so files are independent: run them over all cores.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        outcomes = list(pool.map(lambda job: _run_stack(promtool, *job), jobs))
    covered = total = 0
    for rows, problems in outcomes:
        result.rows.extend(rows)
        result.problems.extend(problems)
        for row in rows:
            total += 1
            covered += row[2] != "0"
            if row[3] != "pass":
                result.ok = False
    if any(problems for _, problems in outcomes):
        result.ok = False
    result.summary = f"{covered}/{total} rules covered by generated tests ({_percent(covered, total)})"
    if covered < total:
        result.ok = False
        result.problems.append("every alerting and recording rule needs at least one test")
    return result


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def _run_stack(promtool: str, stack: Stack, rule_file: Path, test_file: Path):
    problems = []
    check = subprocess.run([promtool, "check", "rules", str(rule_file)], capture_output=True, text=True)
    if check.returncode != 0:
        problems.append(f"promtool check rules {rule_file}:\n{check.stdout}{check.stderr}")
    test = subprocess.run([promtool, "test", "rules", str(test_file)], capture_output=True, text=True)
    output = test.stdout + test.stderr
    if test.returncode != 0:
        problems.append(f"promtool test rules {test_file}:\n{output}")
    counts = _test_counts(yaml.load(test_file.read_bytes(), Loader=_Loader))
    rows = []
    for group in stack.groups:
        for rule in group.rules:
            name = getattr(rule, "record", None) or rule.name
            kind = "recording" if hasattr(rule, "record") else "alerting"
            n = counts.get(name, 0)
            failed = check.returncode != 0 or (test.returncode != 0 and _mentions(output, name, kind))
            rows.append((name, kind, str(n), "FAIL" if failed else ("pass" if n else "UNTESTED")))
    if test.returncode != 0 and all(r[3] == "pass" for r in rows):
        rows = [(n, k, c, "FAIL") for n, k, c, _ in rows]  # a failure we cannot attribute fails them all
    return rows, problems


def _test_counts(document) -> dict[str, int]:
    counts: dict[str, int] = {}
    for group in (document or {}).get("tests", []):
        for test in group.get("alert_rule_test", []):
            counts[test["alertname"]] = counts.get(test["alertname"], 0) + 1
        for test in group.get("promql_expr_test", []):
            counts[test["expr"]] = counts.get(test["expr"], 0) + 1
    return counts


def _mentions(output: str, name: str, kind: str) -> bool:
    if kind == "alerting":
        return f"alertname: {name}," in output
    return f'expr: "{name}"' in output
