"""Mutation check: do the generated promtool tests catch a rule that is subtly wrong?

For each alert of a generated rule file, small mistakes a person could make are written into a copy of
the rule file: the comparator flipped (``<`` -> ``>``) or made inclusive (``<`` -> ``<=``), the threshold
moved by +/-10%, ``for`` halved or doubled, one label matcher dropped, one ``by`` label swapped for
another label the inputs carry (in the alert's expression and in the recording rules it reads). For each
mutant two questions are answered independently:

- **does it change behaviour on the generated inputs?** Our evaluator (monitoring/promql/evaluator.py)
  replays every test group of the alert at every evaluation step, with the original and the mutated
  rules: behaviour is which alerts fire, with which labels and value, at each step (what Alertmanager
  would be sent). A mutant that changes nothing there cannot be caught by any test on these inputs
  (equivalent on them) and is not counted;
- **is it killed?** ``promtool test rules`` runs the alert's own test groups (and, when a recording rule
  was mutated, the recording rules' promql_expr_tests, in whichever groups the layout put them) against the
  mutated rule file: killed when a case fails. Running a subset of the file's groups can only miss kills, so
  the kill rate is a lower bound.

The kill rate is killed / behaviour-changing mutants. Nothing here reads the definitions: it works on
any generated rule file and its test file.

**Every recording rule** is measured too (``check_recording``), whether an alert reads it or not: one
label matcher dropped, one ``by`` label swapped, each range window halved and doubled. Behaviour there is
what the file's promql_expr_tests query (their expression at their eval time, on their group's inputs);
killed when a promql_expr_test fails.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from monitoring.model.rules import format_number, parse_duration
from monitoring.promql.evaluator import Unsupported
from monitoring.promql.parse import parse, selector_name
from monitoring.testgen.stepping import evaluation_times
from monitoring.testgen.synth import case_evaluator
from monitoring.verify.tools import one_core_env

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_COMPARISON = re.compile(
    r"^(?P<signal>.*?)\s*(?P<op>>=|<=|>|<|==|!=)\s*(?P<level>[-+]?[0-9.]+(?:e[-+]?[0-9]+)?)\s*$", re.S
)
_FLIP = {">": "<", "<": ">", ">=": "<=", "<=": ">="}
_INCLUSIVE = {">": ">=", "<": "<=", ">=": ">", "<=": "<"}
_SELECTOR = re.compile(r"\{([^{}]*)\}")
_MATCHER = re.compile(r'\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*')
_GROUPING = re.compile(r"\b(by|without)\s*\(([^()]*)\)")
_RANGE = re.compile(r"\[([0-9]+[smhdwy])\]")  # a range selector's window (not a subquery's `[5m:1m]`)


@dataclass(frozen=True)
class Mutant:
    alert: str
    what: str  # e.g. "comparator > -> >=", "threshold 0.75 -> 0.825", "HighErrorRate's recording rule ..."
    rules: dict  # the whole mutated rule file
    recording_changed: bool = False
    record: str = ""  # for check_recording: the recording rule mutated (``alert`` is then "")


@dataclass
class Outcome:
    mutant: Mutant
    changes_behaviour: bool | None  # None: the evaluator cannot evaluate the mutant (not counted)
    killed: bool
    failing_cases: list[str] = field(default_factory=list)


def mutants(rule_file: dict, test_labels: set[str]) -> list[Mutant]:
    """Every mutant of every alert in a rule file (a parsed ``groups:`` document)."""
    records = {r["record"]: (gi, ri) for gi, g in enumerate(rule_file["groups"]) for ri, r in enumerate(g["rules"])
               if "record" in r}  # fmt: skip
    found = []
    for gi, group in enumerate(rule_file["groups"]):
        for ri, rule in enumerate(group["rules"]):
            if "alert" not in rule:
                continue
            name = rule["alert"]

            def with_rule(position, **changes):
                copy = _copy(rule_file)
                target = copy["groups"][position[0]]["rules"][position[1]]
                target.update(changes)
                return copy

            for what, expr in _condition_mutants(rule["expr"]):
                found.append(Mutant(name, what, with_rule((gi, ri), expr=expr)))
            if rule.get("for") and parse_duration(rule["for"]):  # `for: 0s` (a Watchdog) has nothing to halve
                seconds = parse_duration(rule["for"])
                for factor, word in ((0.5, "halved"), (2, "doubled")):
                    new = _duration(seconds * factor)
                    found.append(
                        Mutant(name, f"for {word}: {rule['for']} -> {new}", with_rule((gi, ri), **{"for": new}))
                    )
            for what, expr in _expression_mutants(rule["expr"], test_labels):
                found.append(Mutant(name, what, with_rule((gi, ri), expr=expr)))
            for record in _records_read(rule["expr"], records):
                position = records[record]
                expr = rule_file["groups"][position[0]]["rules"][position[1]]["expr"]
                for what, mutated in _expression_mutants(expr, test_labels):
                    found.append(Mutant(name, f"in {record}: {what}", with_rule(position, expr=mutated), True))
    return found


def recording_mutants(rule_file: dict, test_labels: set[str]) -> list[Mutant]:
    """Every mutant of every recording rule: a matcher dropped, a ``by`` label swapped, a window halved or
    doubled."""
    found = []
    for gi, group in enumerate(rule_file["groups"]):
        for ri, rule in enumerate(group["rules"]):
            if "record" not in rule:
                continue
            changes = [*_expression_mutants(rule["expr"], test_labels), *_window_mutants(rule["expr"])]
            for what, expr in changes:
                copy = _copy(rule_file)
                copy["groups"][gi]["rules"][ri]["expr"] = expr
                found.append(Mutant("", f"{rule['record']}: {what}", copy, True, rule["record"]))
    return found


def _window_mutants(expr: str):
    for window in _RANGE.finditer(expr):
        seconds = parse_duration(window.group(1))
        for factor, word in ((0.5, "halved"), (2, "doubled")):
            new = _duration(seconds * factor)
            yield (
                f"window [{window.group(1)}] {word}: [{new}]",
                expr[: window.start()] + f"[{new}]" + expr[window.end() :],
            )


def _condition_mutants(expr: str):
    found = _COMPARISON.match(expr)
    if not found or found.group("op") not in _FLIP:
        return
    signal, op, level = found.group("signal"), found.group("op"), float(found.group("level"))
    yield f"comparator {op} -> {_FLIP[op]}", f"{signal} {_FLIP[op]} {found.group('level')}"
    yield f"comparator {op} -> {_INCLUSIVE[op]}", f"{signal} {_INCLUSIVE[op]} {found.group('level')}"
    for factor in (1.1, 0.9):
        moved = format_number(float(f"{level * factor:.12g}"))  # 0.055, not 0.05500000000000001
        yield f"threshold {found.group('level')} -> {moved}", f"{signal} {op} {moved}"


def _expression_mutants(expr: str, test_labels: set[str]):
    """One label matcher dropped; one ``by`` label swapped for another label the inputs carry."""
    for selector in _SELECTOR.finditer(expr):
        matchers = [m.strip() for m in _MATCHER.findall(selector.group(1))]
        for index, matcher in enumerate(matchers):
            rest = matchers[:index] + matchers[index + 1 :]
            replacement = "{" + ", ".join(rest) + "}" if rest else ""
            yield f"matcher {matcher} dropped", expr[: selector.start()] + replacement + expr[selector.end() :]
    for grouping in _GROUPING.finditer(expr):
        if grouping.group(1) != "by":
            continue
        labels = [label.strip() for label in grouping.group(2).split(",") if label.strip()]
        others = sorted(test_labels - set(labels) - {"le"})
        for index, label in enumerate(labels):
            if label == "le" or not others:
                continue
            swapped = labels[:index] + [others[0]] + labels[index + 1 :]
            new = f"by ({', '.join(swapped)})"
            yield f"by ({', '.join(labels)}) -> {new}", expr[: grouping.start()] + new + expr[grouping.end() :]


def _records_read(expr: str, records: dict) -> list[str]:
    names: list[str] = []

    def walk(node):
        name = selector_name(node) if type(node).__name__ in ("VectorSelector", "MatrixSelector") else None
        if name in records and name not in names:
            names.append(name)
        for attribute in ("expr", "lhs", "rhs", "vector_selector", "param"):
            child = getattr(node, attribute, None)
            if child is not None and not isinstance(child, (str, int, float)):
                walk(child)
        for child in getattr(node, "args", None) or ():
            walk(child)

    walk(parse(expr))
    return names


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds % 60 or seconds < 60:
        return f"{seconds}s"
    return f"{seconds // 60}m"


def _copy(document):
    return yaml.load(yaml.dump(document, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper)), Loader=_Loader)


# --- behaviour on the generated inputs ---------------------------------------------------------------
def behaviour(rule_file: dict, alert: str, group: dict, evaluation_interval: float) -> list:
    """(time, firing alerts with labels and value) at every evaluation step of one test group."""
    rule = next(r for g in rule_file["groups"] for r in g["rules"] if r.get("alert") == alert)
    evaluator = case_evaluator(group, _records(rule_file))
    end = max(parse_duration(t["eval_time"]) for t in group.get("alert_rule_test", []) or [{"eval_time": "0s"}])
    hold = parse_duration(rule.get("for", "0s"))
    static = tuple(sorted((rule.get("labels") or {}).items()))
    active: dict = {}
    timeline = []
    for t in evaluation_times(evaluation_interval, end):
        current = {
            tuple(l for l in labels if l[0] != "__name__"): value
            for labels, value in evaluator.instant(rule["expr"], t)
        }
        active = {labels: active.get(labels, t) for labels in current}
        firing = sorted((labels + static, current[labels]) for labels, since in active.items() if t - since >= hold)
        timeline.append((t, firing))
    return timeline


def check(rule_path: Path, test_path: Path, promtool: str, workers: int = 2) -> list[Outcome]:
    """Every mutant of the rule file: does it change behaviour, and does promtool on the tests catch it."""
    rule_file, tests, interval, test_labels = _load(rule_path, test_path)
    all_mutants = mutants(rule_file, test_labels)

    def groups_of(alert):
        return [_only(g, alert) for g in tests["tests"] if _asserts(g, alert)]

    def changes(mutant: Mutant) -> bool | None:
        try:
            return any(
                behaviour(rule_file, mutant.alert, g, interval) != behaviour(mutant.rules, mutant.alert, g, interval)
                for g in groups_of(mutant.alert)
            )
        except Unsupported:
            return None

    def run(mutant: Mutant) -> Outcome:
        groups = [
            _only(g, mutant.alert, mutant.recording_changed)
            for g in tests["tests"]
            if _asserts(g, mutant.alert) or (mutant.recording_changed and g.get("promql_expr_test"))
        ]
        killed, failing = _promtool(promtool, rule_path.name, mutant.rules, {**tests, "tests": groups})
        return Outcome(mutant, changes(mutant), killed, failing)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, all_mutants))


def check_recording(rule_path: Path, test_path: Path, promtool: str, workers: int = 2) -> list[Outcome]:
    """Every mutant of every recording rule: does it change what a promql_expr_test queries, and does promtool
    on the promql_expr_tests (wherever they are) catch it."""
    rule_file, tests, _, test_labels = _load(rule_path, test_path)
    groups = [_only(g, None, True) for g in tests["tests"] if g.get("promql_expr_test")]

    def changes(mutant: Mutant) -> bool | None:
        try:
            return any(queried(rule_file, g) != queried(mutant.rules, g) for g in groups)
        except Unsupported:
            return None

    def run(mutant: Mutant) -> Outcome:
        killed, failing = _promtool(promtool, rule_path.name, mutant.rules, {**tests, "tests": groups})
        return Outcome(mutant, changes(mutant), killed, failing)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, recording_mutants(rule_file, test_labels)))


def queried(rule_file: dict, group: dict) -> list:
    """What each promql_expr_test of a group queries, on the group's inputs with these rules."""
    evaluator = case_evaluator(group, _records(rule_file))
    return [evaluator.instant(t["expr"], parse_duration(t["eval_time"])) for t in group["promql_expr_test"]]


def _records(rule_file: dict) -> dict:
    """{record: (expression, labels)} of a rule file's recording rules, as the evaluator reads them."""
    return {r["record"]: (r["expr"], r.get("labels", {})) for g in rule_file["groups"] for r in g["rules"]
            if "record" in r}  # fmt: skip


def _load(rule_path: Path, test_path: Path):
    rule_file = yaml.load(rule_path.read_bytes(), Loader=_Loader)
    tests = yaml.load(test_path.read_bytes(), Loader=_Loader)
    interval = parse_duration(tests.get("evaluation_interval", "1m"))
    test_labels = {
        name
        for group in tests["tests"]
        for s in group.get("input_series", [])
        for name in re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*=", s["series"].partition("{")[2])
    }
    return rule_file, tests, interval, test_labels


def _asserts(group: dict, alert: str) -> bool:
    return any(t["alertname"] == alert for t in group.get("alert_rule_test", []))


def _only(group: dict, alert: str | None, exprs: bool = False) -> dict:
    """A test group with the alert's assertions only (and its promql_expr_tests with ``exprs``). A merged group
    (monitoring/testgen/layout.py) also holds other alerts' cases, on series this alert does not read: promtool
    and the replay then stop at the alert's own last eval time, and a kill is this alert's cases' doing, as with
    one group per case. The recording rules' promql_expr_tests may share a group with alerts' cases
    (monitoring/testgen/fold.py): kept with ``exprs``, they are what a mutated recording rule must fail."""
    kept = {k: v for k, v in group.items() if k not in ("alert_rule_test", "promql_expr_test")}
    tests = [t for t in group.get("alert_rule_test", []) if t["alertname"] == alert]
    if tests:
        kept["alert_rule_test"] = tests
    if exprs and group.get("promql_expr_test"):
        kept["promql_expr_test"] = group["promql_expr_test"]
    return kept


def _promtool(promtool: str, rule_name: str, rules: dict, tests: dict) -> tuple[bool, list[str]]:
    with tempfile.TemporaryDirectory(prefix="monitoring-mutant-") as folder:
        root = Path(folder)
        (root / "rules").mkdir()
        (root / "tests").mkdir()
        (root / "rules" / rule_name).write_text(yaml.safe_dump(rules))
        tests = {**tests, "rule_files": [f"../rules/{rule_name}"]}
        test_file = root / "tests" / "mutant.test.yml"
        test_file.write_text(yaml.safe_dump(tests))
        env = one_core_env()  # one promtool per worker
        proc = subprocess.run([promtool, "test", "rules", str(test_file)], capture_output=True, text=True, env=env)
        output = proc.stdout + proc.stderr
        if proc.returncode != 0 and "FAILED:" not in output:
            raise RuntimeError(f"promtool could not run a mutant ({rule_name}):\n{output}")
        return proc.returncode != 0, re.findall(r"name: (.*?),\n", output)


def kill_rate(outcomes: list[Outcome]) -> tuple[int, int]:
    """(killed, behaviour-changing) mutants."""
    counted = [o for o in outcomes if o.changes_behaviour]
    return sum(o.killed for o in counted), len(counted)
