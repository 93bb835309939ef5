"""`monitoring testgen` over real rule files: every corpus file `promtool check rules` accepts -> generated
promtool tests -> `promtool test rules` on them. Prints alerts and recording rules with passing generated
tests / total, by file family, and the reasons for the rest (issue 13's corpus figures)."""

import re
import subprocess
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from monitoring.adopt.rule_tests import file_tests, relative_ref
from monitoring.pipeline.serialize import yaml_bytes
from monitoring.verify.tools import find_tool

_FAILED_ALERT = re.compile(r"^\s+alertname: (.*), time: ", re.M)
_FAILED_RECORD = re.compile(r'^\s+expr: "(.*)", time: ', re.M)


def _accepted(promtool: str, rules: Path) -> list[Path]:
    """Corpus files promtool 2.42 accepts as rule files (test files, manifests and broken fixtures are not)."""
    candidates = sorted(p for p in rules.rglob("*") if p.is_file())

    def accepts(path: Path) -> bool:
        return subprocess.run([promtool, "check", "rules", str(path)], capture_output=True).returncode == 0

    with ThreadPoolExecutor(2) as pool:
        return [p for p, ok in zip(candidates, pool.map(accepts, candidates)) if ok]


def _family(path: Path, rules: Path) -> str:
    return path.relative_to(rules).parts[0]


def test_generated_tests_pass_on_the_corpus(shared, tmp_path, capsys):
    started = time.perf_counter()
    promtool = find_tool("promtool")
    rules = shared / "corpora" / "rules"
    files = _accepted(promtool, rules)
    totals: dict[str, Counter] = defaultdict(Counter)
    reasons: Counter = Counter()
    listed: list[str] = []
    generation = testing = 0.0
    for n, path in enumerate(files):
        family = _family(path, rules)
        t0 = time.perf_counter()
        result = file_tests(path, str(path.relative_to(shared)), relative_ref(path, tmp_path))
        generation += time.perf_counter() - t0
        totals[family].update(alerts=result.alerts, records=result.records)
        untested = {(u.kind, u.name) for u in result.untested}
        for u in result.untested:
            reasons[(u.kind, u.category)] += 1
            listed.append(str(u))
        failed_alerts: set[str] = set()
        failed_records: set[str] = set()
        if result.test is not None:
            test_file = tmp_path / f"{n:03d}.test.yml"
            test_file.write_bytes(yaml_bytes(result.test))
            t0 = time.perf_counter()
            run = subprocess.run([promtool, "test", "rules", str(test_file)], capture_output=True, text=True)
            testing += time.perf_counter() - t0
            output = run.stdout + run.stderr
            failed_alerts = set(_FAILED_ALERT.findall(output))
            failed_records = set(_FAILED_RECORD.findall(output))
            if run.returncode != 0 and not failed_alerts | failed_records:  # the whole file failed
                listed.append(f"{path.relative_to(shared)}: promtool: {output.strip()[-300:]}")
                failed_alerts = {name for kind, name in result.names() if kind == "alert"}
                failed_records = {name for kind, name in result.names() if kind == "record"}
        for kind, name in result.names():
            if (kind, name) in untested:
                continue
            failed = name in (failed_alerts if kind == "alert" else failed_records)
            if failed:
                reasons[(kind, "promtool: generated test fails")] += 1
                listed.append(f"{path.relative_to(shared)}: {kind} {name}: promtool: generated test fails")
            else:
                totals[family]["alerts passing" if kind == "alert" else "records passing"] += 1
    elapsed = time.perf_counter() - started
    all_ = sum(totals.values(), Counter())
    with capsys.disabled():
        print(
            f"\ntestgen over {len(files)} rule files promtool accepts ({elapsed:.0f} s: generation {generation:.0f} s, "
            f"promtool test rules {testing:.0f} s)"
        )
        print(f"  {'family':32} {'alerts tested':>16} {'recording rules tested':>24}")
        for family in sorted(totals) + ["all"]:
            c = all_ if family == "all" else totals[family]
            print(
                f"  {family:32} {_ratio(c['alerts passing'], c['alerts']):>16} "
                f"{_ratio(c['records passing'], c['records']):>24}"
            )
        print("  not tested, by reason:")
        for (kind, category), count in reasons.most_common():
            print(f"    {count:5d}  {kind:6}  {category}")
        for line in listed:
            print(f"    {line[:400]}")
    assert all_["alerts passing"] >= 0.9 * all_["alerts"], "fewer than 90% of the alerts have passing tests"
    assert all_["records passing"] >= 0.95 * all_["records"], "fewer than 95% of the recording rules do"


def _ratio(done: int, total: int) -> str:
    return f"{done}/{total} ({100 * done / total:.1f}%)" if total else "-"
