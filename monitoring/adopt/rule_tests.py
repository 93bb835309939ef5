"""promtool tests for rule files teams already have (``monitoring testgen``).

A rule file (or a PrometheusRule manifest) becomes an in-memory Stack: the catalog inferred from its
expressions (monitoring.promql.catalog), its recording rules as they are, and its alerts with the condition
their expression states (monitoring.testgen.conditions_of). The generator's cases for that Stack
(monitoring.testgen) are then written against the *original* file: the test file names it in ``rule_files``,
so ``promtool test rules`` runs the rules exactly as the team wrote them.

One rule that cannot be tested never stops the others: it is listed with its reason (``Untested``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import promql_parser as pp

from monitoring.adopt.rule_files import SourceGroup, SourceRule, read_rule_file
from monitoring.errors import DefinitionError, Location
from monitoring.model import Alert, Label, Metric, RecordingRule, RuleGroup, Stack, raw
from monitoring.model.durations import format_duration, parse_duration
from monitoring.promql.catalog import infer_catalog
from monitoring.promql.parse import selector_name, selectors
from monitoring.testgen.catalog_for_tests import TARGET_LABELS, catalog_for_tests
from monitoring.testgen.labels_map import mark
from monitoring.testgen.refused import bare_reason

DEFAULT_INTERVAL = "1m"  # Prometheus' default evaluation_interval, for groups without one


@dataclass(frozen=True)
class Untested:
    """A rule without generated tests, and why."""

    kind: str  # "alert" or "record"
    name: str
    where: Location
    category: str  # a short reason, for counting
    reason: str  # the whole reason

    def __str__(self) -> str:
        return f"{self.where}: {self.kind} {self.name}: {self.reason}"


@dataclass
class FileTests:
    """The promtool test file for one rule file, and what it leaves out."""

    source: Path
    test: dict | None  # None when no rule of the file could be tested
    alerts: int = 0
    records: int = 0
    untested: list[Untested] = field(default_factory=list)
    rule_names: list[tuple[str, str]] = field(default_factory=list)  # (kind, name) of every rule, in order

    def names(self) -> list[tuple[str, str]]:
        return list(self.rule_names)

    def tested(self, kind: str) -> int:
        total = self.alerts if kind == "alert" else self.records
        return total - sum(u.kind == kind for u in self.untested)


def file_tests(path: Path, display: str, rule_file_ref: str) -> FileTests:
    """Tests for every rule of one file. ``rule_file_ref`` is how the test file names the rule file (a path
    relative to the test file). Raises DefinitionError (file:line) for a file that is not a rule file or an
    expression that does not parse."""
    groups = read_rule_file(path, display)
    return RuleFileTests(path, display, groups).build(rule_file_ref)


def manifest_groups(path: Path) -> dict | None:
    """A PrometheusRule manifest's ``spec`` as a plain rule file ({groups: [...]}); None for a rule file."""
    import yaml

    documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]
    manifests = [d for d in documents if d.get("kind") == "PrometheusRule"]
    if not manifests:
        return None
    return {"groups": [g for d in manifests for g in (d.get("spec") or {}).get("groups") or []]}


def _merged(tests: list[dict], rules: list[SourceRule], every_rule: dict, rules_read: dict, step: float) -> list:
    """The cases in fewer promtool test groups (monitoring.testgen.layout and .chain, as for generated stacks),
    unless a merged group's inputs make some rule of the file fail (promtool would fail the group): then as
    they were."""
    from monitoring.testgen.chain import chain_groups
    from monitoring.testgen.cross_check import rule_error
    from monitoring.testgen.layout import merge_groups

    alerts = [(r.name, r.expr) for r in rules if r.kind == "alert"]
    lingering = frozenset(r.name for r in rules if "keep_firing_for" in r.ignored)
    merged = chain_groups(merge_groups(tests, alerts, rules_read), alerts, rules_read, step, lingering)
    originals = {id(group) for group in tests}
    if any(rule_error(group, every_rule, rules_read) for group in merged if id(group) not in originals):
        return tests
    return merged


def relative_ref(rule_file: Path, test_dir: Path) -> str:
    return os.path.relpath(rule_file.resolve(), test_dir.resolve())


class RuleFileTests:
    def __init__(self, path: Path, display: str, groups: list[SourceGroup]):
        self.path, self.display, self.groups = path, display, groups
        self.untested: list[Untested] = []

    def skip(self, rule: SourceRule, category: str, reason: str) -> None:
        reason = bare_reason(rule.name, reason)
        self.untested.append(Untested(rule.kind, rule.name, Location(self.display, rule.line), category, reason))

    def build(self, rule_file_ref: str) -> FileTests:
        from monitoring.promql.evaluator import Unsupported
        from monitoring.testgen.alerts import NotDrivable, alert_cases, range_too_long, rules_by_record
        from monitoring.testgen.cross_check import rule_error
        from monitoring.testgen.labels_map import fill_labels_maps
        from monitoring.testgen.recording import imported_recording_cases
        from monitoring.testgen.siblings import add_siblings

        rules = [r for g in self.groups for r in g.rules]
        recorded = {r.name for r in rules if r.kind == "record"}
        expressions = [r.expr for r in rules]
        metrics = catalog_for_tests(inferred_catalog(expressions, recorded), expressions)
        model_groups, alerts, records = self._model(rules)
        stack = Stack("rules", tuple(metrics), groups=tuple(model_groups), origin=self.display)
        interval = min((parse_duration(g.interval) for g in model_groups), default=60.0)
        tests = []
        every_rule = {f"{r.kind} {r.name}": r.expr for r in rules}
        rules_read = rules_by_record(stack)
        order = {r.name: place for place, r in enumerate(_in_eval_order(self.groups)) if r.kind == "record"}
        recording = imported_recording_cases(stack, [item for _, item in records], interval, every_rule, order)
        for rule, item in records:
            problem = recording.failed.get(id(item))
            if problem is not None:
                category = "inputs make another rule fail" if "its inputs make" in problem.message else None
                self.skip(rule, category or _category(problem.message), problem.message)
        tests.extend(recording.cases)
        for rule, alert in alerts:
            too_long = range_too_long(rule.expr)  # before the siblings: no work for an alert left untested
            if too_long:
                self.skip(rule, "range too long", too_long)
                continue
            siblings = [self._alert(other, alert.origin, raw(other.expr)) for other in rules if _sibling(other, rule)]
            try:
                generated = alert_cases(alert, stack, interval)  # a raw condition, read as testgen.alerts reads it
                cases = add_siblings(generated, siblings, stack, interval)
                same_name = [(r.expr, dict(stack.alert_labels(a))) for r, a in [(rule, alert)]]
                same_name += [(s.expr, dict(stack.alert_labels(s))) for s in siblings]
                try:
                    cases = fill_labels_maps(cases, same_name, rules_read)
                except LookupError as exc:
                    self.skip(rule, "annotation template", f"{{{{ $labels }}}}: {exc}")
                    continue
                problem = next((p for p in (rule_error(c, every_rule, rules_read) for c in cases) if p), None)
                if problem:
                    self.skip(rule, "inputs make another rule fail", problem)
                    continue
                tests.extend(cases)
            except NotDrivable as exc:
                self.skip(rule, exc.category, exc.detail)
            except DefinitionError as exc:
                self.skip(rule, _category(exc.message), exc.message)
            except Unsupported as exc:
                self.skip(rule, "evaluator: unsupported", f"the evaluator cannot compute it: {exc}")
            except Exception as exc:  # noqa: BLE001 - a generator bug must not hide the other rules' tests
                self.skip(rule, "generator error", f"{type(exc).__name__}: {exc}")
        result = FileTests(
            self.path,
            None,
            alerts=sum(r.kind == "alert" for r in rules),
            records=sum(r.kind == "record" for r in rules),
            untested=sorted(self.untested, key=lambda u: u.where.line),
            rule_names=[(r.kind, r.name) for r in rules],
        )
        tests = _merged(tests, rules, every_rule, rules_read, interval)
        if tests:
            result.test = {
                "rule_files": [rule_file_ref],
                "evaluation_interval": format_duration(interval),
                "group_eval_order": _eval_order(self.groups),
                "tests": tests,
            }
        return result

    # --- the model ---------------------------------------------------------------------------------
    def _model(self, rules: list[SourceRule]):
        model_groups, alerts, records = [], [], []
        for group in self.groups:
            interval = group.interval or DEFAULT_INTERVAL
            items = []
            for rule in group.rules:
                where = Location(self.display, rule.line)
                try:
                    if rule.kind == "record":
                        item = RecordingRule(rule.name, rule.expr, labels=rule.labels, imported=True, origin=where)
                        records.append((rule, item))
                    elif any("{{" in v for v in rule.labels.values()):
                        self.skip(rule, "label template", "a label is a template (generated tests expand annotations)")
                        continue
                    else:
                        # kept as written: the generator reads it as the condition it is, a constant (a Watchdog's
                        # `vector(1)`) or an expression firing for every series it returns (testgen.alerts.raw_cases)
                        item = self._alert(rule, where, raw(rule.expr))
                        alerts.append((rule, item))
                except DefinitionError as exc:
                    self.skip(rule, _category(exc.message), exc.message)
                    continue
                items.append(item)
            model_groups.append(RuleGroup(group.name, interval, tuple(items), origin=self.display))
        return model_groups, alerts, records

    @staticmethod
    def _alert(rule: SourceRule, where: Location, condition) -> Alert:
        labels = dict(rule.labels)
        severity = labels.pop("severity", "")
        annotations = {key: mark(text) for key, text in rule.annotations.items()}
        summary, description = annotations.pop("summary", ""), annotations.pop("description", "")
        return Alert(
            rule.name,
            condition,
            rule.for_ or "0s",
            severity,
            summary,
            description,
            labels=tuple(labels.items()),
            annotations=tuple(annotations.items()),
            imported=True,
            origin=where,
        )


def inferred_catalog(expressions: list[str], recorded: set[str]) -> list[Metric]:
    """The catalog inferred from the rules' expressions, with the label values their tests need (the values
    of recorded selectors, values for `=~` matchers, one no matcher names where a ratio needs it): the same
    for `monitoring testgen` and for the definitions `monitoring import rules` writes, so what one tests the
    other generates."""
    read = [node for text in expressions for node in selectors(pp.parse(text))]
    inferred = infer_catalog(expressions, recorded=recorded)
    return with_other_values(with_regex_values(with_recorded_values(inferred, read, recorded), read), read)


def with_recorded_values(metrics: list[Metric], read: list, recorded: set[str]) -> list[Metric]:
    """A value a selector on a recorded series names (`ratio{status="200"}` over `sum by (status) (rate(x[5m]))`)
    is a value of the label on the metrics, where they know no value of it yet: otherwise every series of `x`
    has `status="status-1"` and the recorded `{status="200"}` selects nothing. ``read``: the rules' selectors."""
    labels = {lb.name: lb for m in metrics for lb in m.labels}
    extra: dict[str, set[str]] = {}
    for selector in read:
        if selector_name(selector) not in recorded:
            continue
        for matcher in selector.matchers.matchers:
            label = labels.get(matcher.name)
            if str(matcher.op) == "MatchOp.Equal" and matcher.value and label is not None and not label.values:
                extra.setdefault(matcher.name, set()).add(matcher.value)
    if not extra:
        return metrics
    rebuilt = {name: Label(name, tuple(sorted(values)), origin=labels[name].origin) for name, values in extra.items()}
    return [replace(m, labels=tuple(rebuilt.get(lb.name, lb) for lb in m.labels)) for m in metrics]


def with_regex_values(metrics: list[Metric], read: list) -> list[Metric]:
    """Label values for ``=~`` matchers: the catalog knows only values matched with ``=``, so a selector such
    as ``{device=~"sd.+|nvme.+"}`` would select no synthetic series. A label gets a short example of each regex
    none of its values matches (and keeps a value of its own, for selectors that exclude the regex).
    ``read``: the rules' vector selectors."""
    from monitoring.promql.regex_example import example

    labels = {lb.name: lb for m in metrics for lb in m.labels}
    extra: dict[str, list[str]] = {}
    for selector in read:
        for matcher in selector.matchers.matchers:
            if str(matcher.op) != "MatchOp.Re" or matcher.name not in labels:
                continue
            known = list(labels[matcher.name].values) + extra.get(matcher.name, [])
            if any(re.fullmatch(matcher.value, v) for v in known if _compiles(matcher.value)):
                continue
            value = example(matcher.value)
            if value:
                extra.setdefault(matcher.name, []).append(value)
    if not extra:
        return metrics
    rebuilt = {}
    for name, values in extra.items():
        label = labels[name]
        own = () if label.values or name in TARGET_LABELS else (f"{name}-1",)
        rebuilt[name] = Label(name, tuple(dict.fromkeys((*label.values, *own, *values))), origin=label.origin)
    return [replace(m, labels=tuple(rebuilt.get(lb.name, lb) for lb in m.labels)) for m in metrics]


def with_other_values(metrics: list[Metric], read: list) -> list[Metric]:
    """A label whose values all come from matchers gets one no matcher names (``result-1``) where the rules
    need it: otherwise every series has ``result="error"``, an error ratio
    ``sum(rate(x{result="error"}[5m])) / sum(rate(x[5m]))`` is always 1, and ``rcode!="No Error"`` selects
    nothing. Only such labels (excluded by a matcher somewhere, or pinned in one selector of a metric and free in
    another): a value more for every label would multiply the series of a file such as kubernetes-mixin's,
    whose selectors pin `job` and `namespace` everywhere, past the test generator's budget.
    ``read``: the rules' vector selectors."""
    excluded: set[str] = set()
    unequal: dict[str, set[str]] = {}  # `rcode!="No Error"`: the value excluded exists too, beside `rcode-1`
    pinned: dict[str | None, list[frozenset[str]]] = {}
    for selector in read:
        ops = [(m.name, str(m.op)) for m in selector.matchers.matchers]
        excluded |= {name for name, op in ops if op in ("MatchOp.NotEqual", "MatchOp.NotRe")}
        for m in selector.matchers.matchers:
            if str(m.op) == "MatchOp.NotEqual" and m.value:
                unequal.setdefault(m.name, set()).add(m.value)
        pinned.setdefault(selector_name(selector), []).append(frozenset(n for n, op in ops if op == "MatchOp.Equal"))
    needed = excluded.union(*(frozenset().union(*sets) - frozenset.intersection(*sets) for sets in pinned.values()))
    rebuilt: dict[str, Label] = {}
    for metric in metrics:
        for label in metric.labels:
            own = f"{label.name}-1"
            values = label.values or tuple(sorted(unequal.get(label.name, ())))
            if label.name in needed and values and own not in values and label.name not in TARGET_LABELS:
                rebuilt[label.name] = Label(label.name, (*values, own), origin=label.origin)
    if not rebuilt:
        return metrics
    return [replace(m, labels=tuple(rebuilt.get(lb.name, lb) for lb in m.labels)) for m in metrics]


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _sibling(other: SourceRule, rule: SourceRule) -> bool:
    """Another alert of the same name (promtool checks them together)."""
    return other is not rule and other.kind == "alert" and other.name == rule.name


def _in_eval_order(groups: list[SourceGroup]) -> list[SourceRule]:
    """Every rule in the order promtool evaluates them at each tick (group_eval_order, then file order)."""
    by_name = {g.name: g for g in groups}
    return [r for name in _eval_order(groups) for r in by_name[name].rules]


def _eval_order(groups: list[SourceGroup]) -> list[str]:
    """Groups that only record first, as our evaluator assumes recorded series are fresh when alerts read them
    (promtool otherwise picks a random order at each step)."""
    order = [g.name for g in groups if g.rules and all(r.kind == "record" for r in g.rules)]
    return order + [g.name for g in groups if g.name not in order]


_CATEGORIES = (
    ("annotation template uses", "annotation template"),
    ("returns nothing on the synthetic dataset", "recording rule returns nothing"),
    ("gives nan on the synthetic dataset", "recording rule gives NaN"),
    ("gives inf on the synthetic dataset", "recording rule gives Inf"),
    ("gives -inf on the synthetic dataset", "recording rule gives Inf"),
    ("cannot compute its expected value", "evaluator: unsupported"),
    ("the evaluator cannot compute", "evaluator: unsupported"),
    ("names no metric of the catalog", "absent(): no metric"),
    ("reads no metric of the catalog", "signal reads no metric"),
    ("no input puts", "search: threshold out of reach"),
    ("input search for", "search: over its budget"),
    ("never crosses", "case never crosses"),
    ("within the margin", "case too close to the threshold"),
    ("still lands within", "case too close to the threshold"),
    ("does not fire", "fires case does not fire"),
    ("fires at", "quiet case fires"),
    ("cannot report", "histogram cannot reach the value"),
    ("outside() inside both()", "band inside and/unless"),
    ("is not a Prometheus duration", "duration"),
)


def _category(message: str) -> str:
    lowered = message.lower()
    for needle, category in _CATEGORIES:
        if needle.lower() in lowered:
            return category
    return "other: " + message.split(":", 1)[-1].strip()[:60]


OUTPUT_SUFFIXES = (".test.yml", ".rules.yml")


def generated_tests(paths: list[Path], out: Path) -> tuple[dict[str, bytes], list[tuple[str, FileTests]]]:
    """({output name: bytes}, [(test file name, FileTests)]) for rule files, tests written to land in ``out``.
    A manifest's groups are copied beside its test as ``<name>.rules.yml`` (promtool reads no manifests).
    Raises the first bad input's DefinitionError: then nothing is to be written."""
    from monitoring.adopt.files import stack_name
    from monitoring.pipeline.serialize import yaml_bytes
    from monitoring.pipeline.workers import map_in_order

    taken: set[str] = set()
    plan = []
    for path in paths:
        name = stack_name(path, taken)
        copy = manifest_groups(path)
        ref = f"{name}.rules.yml" if copy is not None else relative_ref(path, out)
        plan.append((path, name, copy, ref))
    # files are independent: over forked workers on a large estate (the first bad input still wins)
    generated = map_in_order(lambda item: file_tests(item[0], str(item[0]), item[3]), plan)
    files: dict[str, bytes] = {}
    results = []
    for (path, name, copy, ref), result in zip(plan, generated):
        if result.test is not None:
            if copy is not None:
                files[ref] = yaml_bytes(copy)
            files[f"{name}.test.yml"] = yaml_bytes(result.test, header=_HEADER.format(source=path))
        results.append((f"{name}.test.yml" if result.test is not None else "", result))
    return files, results


_HEADER = "# Generated by `monitoring testgen` from {source}: promtool tests for its rules. Do not edit by hand.\n"


def check_output_folder(out: Path) -> None:
    """The folder is replaced as a whole: refuse one holding anything this command does not write."""
    if not out.exists():
        return
    if not out.is_dir():
        raise DefinitionError(f"{out} is not a folder", Location(str(out)), "give -o a folder for the test files")
    foreign = sorted(p.name for p in out.iterdir() if not p.name.endswith(OUTPUT_SUFFIXES))
    if foreign:
        raise DefinitionError(
            f"{out} holds files testgen does not write ({', '.join(foreign[:5])}); it replaces the folder as a whole",
            Location(str(out)),
            "give -o an empty folder, or one testgen wrote before",
        )
