"""`monitoring test` suite: promtool check rules + test rules over the generated files, and the coverage gate."""

from __future__ import annotations

import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from monitoring.model import Stack
from monitoring.testgen.case_names import SEPARATOR, alert_part
from monitoring.testgen.record_query import asserted_record, record_query
from monitoring.verify.cache import ResultCache, tool_version
from monitoring.verify.report import SuiteResult
from monitoring.verify.shard import ALL, Shard
from monitoring.verify.tools import find_tool, one_core_env

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def run(
    stacks: list[Stack], out_dir: Path, *, cache: ResultCache | None = None, shard: Shard = ALL, policies=None
) -> SuiteResult:
    """Verify the shard's files; a file whose rule file, test file and promtool hash to a pass is not run again."""
    promtool = find_tool("promtool")
    cache = cache or ResultCache(None)
    out_dir = Path(out_dir)
    result = SuiteResult(
        "Prometheus rules (promtool 'check rules' and 'test rules')", ("rule", "kind", "tests", "result")
    )
    jobs, cached, fresh = [], 0, 0
    for stack in shard.take(stacks, lambda stack: stack.name):
        rule_file = out_dir / "prometheus" / "rules" / f"{stack.name}.rules.yml"
        test_file = out_dir / "prometheus" / "tests" / f"{stack.name}.test.yml"
        for path in (rule_file, test_file):
            if not path.exists():
                result.ok = False
                result.problems.append(f"missing: {path} (run `monitoring generate`)")
        if rule_file.exists() and test_file.exists():
            jobs.append((stack, rule_file, test_file))
    version = tool_version(promtool) if cache.folder else b""
    outcomes: list = [None] * len(jobs)  # (rows, problems, from the cache) in the jobs' order
    pending: list[tuple[int, str]] = []  # (job index, cache key) of the files promtool runs
    for index, (stack, rule_file, test_file) in enumerate(jobs):
        key = cache.key(rule_file.read_bytes(), test_file.read_bytes(), version) if cache.folder else ""
        entry = cache.get("promtool", key)
        if entry is None:
            pending.append((index, key))
        else:
            outcomes[index] = (_rows(stack, entry["counts"], lambda name, kind: False), [], True)

    def verify(batch):
        return _run_batch(promtool, [jobs[index] for index, _ in batch])

    # Each test file loads only its own rule file, so files are independent: batches of them over all cores.
    workers = os.cpu_count() or 2
    batches = _batches(pending, workers)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for batch, results in zip(batches, pool.map(verify, batches)):
            for (index, key), (rows, problems, counts) in zip(batch, results):
                if not problems and all(row[3] == "pass" for row in rows):
                    cache.put("promtool", key, {"stack": jobs[index][0].name, "counts": counts})
                outcomes[index] = (rows, problems, False)
    covered = total = 0
    for rows, problems, from_cache in outcomes:
        cached += from_cache
        fresh += not from_cache
        result.rows.extend(rows)
        result.problems.extend(problems)
        for row in rows:
            total += 1
            covered += row[2] != "0"
            if row[3] not in ("pass", DECLARED):
                result.ok = False
    if any(problems for _, problems, _ in outcomes):
        result.ok = False
    declared = [(stack, rule) for stack, _, _ in jobs for rule in _rules(stack) if rule.untested]
    result.summary = f"{covered}/{total} rules covered by generated tests ({_percent(covered, total)})"
    if declared:
        result.summary += f"; {len(declared)} declared untested (no tests on purpose, listed below)"
        result.notes += [f"  {rule.origin}: {_name(rule)}: untested: {rule.untested}" for _, rule in declared]
    result.summary += f"; {len(jobs)} files: {fresh} run by promtool, {cached} passed before (cache)"
    if shard.count > 1:
        result.summary += f"; shard {shard} of {len(stacks)} stacks"
    if any(row[2] == "0" and row[3] != DECLARED for row in result.rows):
        result.ok = False
        result.problems.append(
            "every alerting and recording rule needs at least one test (or `untested=` with the reason, on purpose)"
        )
    return result


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


BATCH = 16  # files per promtool process at most: a process start and its set-up cost about a tenth of a file


def _batches(items: list, workers: int) -> list[list]:
    """``items`` in consecutive batches, at least four per worker while they are up to BATCH long (a batch that
    finishes last leaves the other cores idle)."""
    size = max(1, min(BATCH, -(-len(items) // (4 * workers))))
    return [items[start : start + size] for start in range(0, len(items), size)]


def _run_batch(promtool: str, jobs: list[tuple[Stack, Path, Path]]) -> list[tuple]:
    """(rows, problems, counts) per job: one `check rules` and one `test rules` for the whole batch; if either
    fails, each file again alone, so a failure is told with its own file's output."""
    if len(jobs) > 1:
        env = one_core_env()
        check = subprocess.run(
            [promtool, "check", "rules", *(str(rule_file) for _, rule_file, _ in jobs)], capture_output=True, env=env
        )
        if check.returncode == 0:
            tests = [str(test_file) for _, _, test_file in jobs]
            if subprocess.run([promtool, "test", "rules", *tests], capture_output=True, env=env).returncode == 0:
                return [_passed(stack, test_file) for stack, _, test_file in jobs]
    return [_run_stack(promtool, *job) for job in jobs]


def _passed(stack: Stack, test_file: Path) -> tuple:
    counts = _test_counts(yaml.load(test_file.read_bytes(), Loader=_Loader))
    return _rows(stack, counts, lambda name, kind: False), [], counts


def _run_stack(promtool: str, stack: Stack, rule_file: Path, test_file: Path):
    problems = []
    env = one_core_env()  # one promtool per core (verify's pool)
    check = subprocess.run([promtool, "check", "rules", str(rule_file)], capture_output=True, text=True, env=env)
    if check.returncode != 0:
        problems.append(f"promtool check rules {rule_file}:\n{check.stdout}{check.stderr}")
    test = subprocess.run([promtool, "test", "rules", str(test_file)], capture_output=True, text=True, env=env)
    output = test.stdout + test.stderr
    if test.returncode != 0:
        problems.append(f"promtool test rules {test_file}:\n{focused(output)}")
    try:
        counts = _test_counts(yaml.load(test_file.read_bytes(), Loader=_Loader))
    except yaml.YAMLError:
        counts = {}  # promtool has said what is wrong with the file; every rule shows as untested
    rows = _rows(
        stack,
        counts,
        lambda name, kind: check.returncode != 0 or (test.returncode != 0 and _mentions(output, name, kind)),
    )
    if test.returncode != 0 and all(r[3] == "pass" for r in rows):
        rows = [(n, k, c, "FAIL") for n, k, c, _ in rows]  # a failure we cannot attribute fails them all
    return rows, problems, counts


DECLARED = "untested (declared)"  # a rule with `untested=` and no tests: reported, not a failure


def _rules(stack: Stack) -> list:
    return [rule for group in stack.groups for rule in group.rules]


def _name(rule) -> str:
    return f"recording rule {rule.record}" if hasattr(rule, "record") else f"alert {rule.name}"


def _rows(stack: Stack, counts: dict[str, int], failed) -> list[tuple[str, str, str, str]]:
    rows = []
    for rule in _rules(stack):
        name = getattr(rule, "record", None) or rule.name
        kind = "recording" if hasattr(rule, "record") else "alerting"
        n = counts.get(name, 0)
        result = "FAIL" if failed(name, kind) else ("pass" if n else (DECLARED if rule.untested else "UNTESTED"))
        rows.append((name, kind, str(n), result))
    return rows


def _test_counts(document) -> dict[str, int]:
    counts: dict[str, int] = {}
    for group in (document or {}).get("tests", []):
        for test in group.get("alert_rule_test", []):
            counts[test["alertname"]] = counts.get(test["alertname"], 0) + 1
        for test in group.get("promql_expr_test", []):
            record = asserted_record(test["expr"])
            counts[record] = counts.get(record, 0) + 1
    return counts


_FAILED_ALERT = re.compile(r"\s*alertname: (\S+), time: ")


def focused(output: str) -> str:
    """promtool's failure output with each failing group's name cut to the failed alert's cases: a merged
    group's name lists every case it holds (3 KB on a bench service) and promtool prints it above every failed
    assertion."""
    lines = output.splitlines(keepends=True)
    for i, line in enumerate(lines[:-1]):
        indent, named, name = line.partition("name: ")
        failed = _FAILED_ALERT.match(lines[i + 1])
        if not named or indent.strip() or not failed:
            continue
        name = name.rstrip().removesuffix(",")
        part, others = alert_part(name, failed.group(1)), name.count(SEPARATOR)
        if part is not None and others:
            lines[i] = f"{indent}name: {part} (the group holds {others} other alerts' cases too),\n"
    return "".join(lines)


def _mentions(output: str, name: str, kind: str) -> bool:
    if kind == "alerting":
        return f"alertname: {name}," in output
    return f'expr: "{name}"' in output or f'expr: "{record_query(name)}"' in output
