"""`monitoring testgen` over real rule files: every corpus file `promtool check rules` accepts -> generated
promtool tests -> `promtool test rules` on them. Prints alerts and recording rules with passing generated
tests / total, by file family, and the reasons for the rest (issue 13's corpus figures, the README's).

The whole corpus takes about 4 minutes on 2 cores; TESTGEN_CORPUS=subset runs a fixed subset for a quick local
look (SUBSET_PER_FAMILY files of each family, every k-th by sorted path, files up to SUBSET_MAX_BYTES)."""

import math
import os
import re
import subprocess
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from monitoring.adopt.rule_tests import generated_tests
from monitoring.verify.tools import find_tool

BUDGET_SECONDS, BUDGET_BYTES = 240, 3 << 30
SUBSET_PER_FAMILY, SUBSET_MAX_BYTES = 3, 25_000  # the large mixin files alone take minutes each
WHOLE_FLOORS = (1188, 227)  # alerts, recording rules passing on the whole corpus, as measured (of 1317 and 229)
SUBSET_FLOORS = (88, 46)  # the same on the subset (of 106 and 47)
_FAILED_ALERT = re.compile(r"^\s+alertname: (.*), time: ", re.M)
_FAILED_RECORD = re.compile(r'^\s+expr: "(.*)", time: ', re.M)


def _accepted(promtool: str, rules: Path) -> list[Path]:
    """Corpus files promtool 2.42 accepts as rule files (test files, manifests and broken fixtures are not)."""
    candidates = sorted(p for p in rules.rglob("*") if p.is_file())

    def accepts(path: Path) -> bool:
        return subprocess.run([promtool, "check", "rules", str(path)], capture_output=True).returncode == 0

    with ThreadPoolExecutor(2) as pool:
        return [p for p, ok in zip(candidates, pool.map(accepts, candidates)) if ok]


def _subset(files: list[Path], rules: Path) -> list[Path]:
    """Deterministic: per family, every k-th file (sorted by path) up to SUBSET_MAX_BYTES, SUBSET_PER_FAMILY at most."""
    families: dict[str, list[Path]] = defaultdict(list)
    for path in files:
        if path.stat().st_size <= SUBSET_MAX_BYTES:
            families[path.relative_to(rules).parts[0]].append(path)
    chosen = []
    for family in sorted(families):
        members = families[family]
        step = max(1, math.ceil(len(members) / SUBSET_PER_FAMILY))
        chosen += members[::step][:SUBSET_PER_FAMILY]
    return chosen


def test_generated_tests_pass_on_the_corpus(shared, tmp_path, capsys):
    started = time.perf_counter()
    promtool = find_tool("promtool")
    rules = shared / "corpora" / "rules"
    accepted = _accepted(promtool, rules)
    whole = os.environ.get("TESTGEN_CORPUS") != "subset"
    files = accepted if whole else _subset(accepted, rules)
    checked = time.perf_counter()
    out = tmp_path / "out"
    out.mkdir()
    folders = [out / f"{n:03d}" for n in range(len(files))]  # one per file: test file names may repeat
    with ThreadPoolExecutor(2) as pool:  # each file in a forked process with a time and memory budget
        outcomes = list(pool.map(_budgeted, files, folders))
    results = []
    for folder, (written, result) in zip(folders, outcomes):
        folder.mkdir()
        for name, data in written.items():
            (folder / name).write_bytes(data)
        test = next((n for n in written if n.endswith(".test.yml")), "")
        results.append((f"{folder.name}/{test}" if test else "", result))
    generated = time.perf_counter()

    def promtool_test(name: str) -> str | None:
        if not name:
            return None
        run = subprocess.run([promtool, "test", "rules", str(out / name)], capture_output=True, text=True)
        return None if run.returncode == 0 else run.stdout + run.stderr

    with ThreadPoolExecutor(2) as pool:
        failures = list(pool.map(promtool_test, [name for name, _ in results]))
    tested = time.perf_counter()
    totals: dict[str, Counter] = defaultdict(Counter)
    reasons: Counter = Counter()
    listed: list[str] = []
    for path, (_name, result), output in zip(files, results, failures):
        family = path.relative_to(rules).parts[0]
        totals[family].update(alerts=result.alerts, records=result.records)
        for u in result.untested:
            reasons[(u.kind, u.category)] += 1
            listed.append(str(u))
        failed = {"alert": set(), "record": set()}
        if output is not None:
            failed = {"alert": set(_FAILED_ALERT.findall(output)), "record": set(_FAILED_RECORD.findall(output))}
            if not failed["alert"] | failed["record"]:  # the whole file failed
                listed.append(f"{path}: promtool: {output.strip()[-300:]}")
                failed = {kind: {n for k, n in result.names() if k == kind} for kind in failed}
        untested = Counter((u.kind, u.name) for u in result.untested)
        for kind, rule_name in result.names():
            if untested[kind, rule_name]:
                untested[kind, rule_name] -= 1
                continue
            if rule_name in failed[kind]:
                reasons[(kind, "promtool: the generated test fails")] += 1
                listed.append(f"{path}: {kind} {rule_name}: promtool: the generated test fails")
            else:
                totals[family]["alerts passing" if kind == "alert" else "records passing"] += 1
    all_ = sum(totals.values(), Counter())
    with capsys.disabled():
        print(
            f"\ntestgen over {len(files)} rule files promtool accepts"
            + ("" if whole else f" (a SUBSET of the {len(accepted)}; without TESTGEN_CORPUS=subset, every file)")
            + f" ({tested - started:.0f} s: promtool check "
            f"rules {checked - started:.0f} s, generation {generated - checked:.0f} s, promtool test rules "
            f"{tested - generated:.0f} s)"
        )
        print(f"  {'family':32} {'alerts tested':>20} {'recording rules tested':>24}")
        for family in sorted(totals) + ["all"]:
            c = all_ if family == "all" else totals[family]
            print(
                f"  {family:32} {_ratio(c['alerts passing'], c['alerts']):>20} "
                f"{_ratio(c['records passing'], c['records']):>24}"
            )
        print("  not tested, by reason:")
        for (kind, category), count in reasons.most_common():
            print(f"    {count:5d}  {kind:6}  {category}")
        for line in listed:
            print(f"    {line[:400]}")
    # Issue 13's target is 90% of alerts and 95% of recording rules; these floors (the README's figures) keep
    # what works from regressing.
    alerts_floor, records_floor = WHOLE_FLOORS if whole else SUBSET_FLOORS
    assert all_["alerts passing"] >= alerts_floor, "fewer alerts with passing generated tests than measured"
    assert all_["records passing"] >= records_floor, "fewer recording rules with passing generated tests than measured"


def _budgeted(path: Path, out: Path):
    """generated_tests for one file in a forked process: at most BUDGET_SECONDS and BUDGET_BYTES of memory; past
    them every rule of the file counts as not tested (a generator limit, listed)."""
    import multiprocessing
    import pickle
    import resource

    from monitoring.adopt.rule_files import read_rule_file
    from monitoring.adopt.rule_tests import FileTests, Untested
    from monitoring.errors import Location

    reader, writer = multiprocessing.Pipe(duplex=False)

    def child():
        resource.setrlimit(resource.RLIMIT_AS, (BUDGET_BYTES, BUDGET_BYTES))
        try:
            written, results = generated_tests([path], out)
            writer.send_bytes(pickle.dumps((written, results[0][1])))
        except MemoryError:
            raise
        except Exception as error:  # a generator bug, not a budget: said as such so it is never mistaken for one
            writer.send_bytes(pickle.dumps(f"{type(error).__name__}: {error}"[:300]))

    process = multiprocessing.get_context("fork").Process(target=child, daemon=True)
    process.start()
    writer.close()
    category, why = "over the CI budget", f"generation over its budget ({BUDGET_SECONDS} s, {BUDGET_BYTES >> 30} GiB)"
    if reader.poll(BUDGET_SECONDS):
        try:
            outcome = pickle.loads(reader.recv_bytes())
            if not isinstance(outcome, str):
                return outcome
            category, why = "generator error", f"the generator failed on this file: {outcome}"
        except EOFError:
            pass
    process.kill()
    process.join()
    rules = [r for g in read_rule_file(path, str(path)) for r in g.rules]
    untested = [Untested(r.kind, r.name, Location(str(path), r.line), category, why) for r in rules]
    return {}, FileTests(
        path,
        None,
        alerts=sum(r.kind == "alert" for r in rules),
        records=sum(r.kind == "record" for r in rules),
        untested=untested,
        rule_names=[(r.kind, r.name) for r in rules],
    )


def _ratio(done: int, total: int) -> str:
    return f"{done}/{total} ({100 * done / total:.1f}%)" if total else "-"
