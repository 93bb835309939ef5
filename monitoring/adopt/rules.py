"""A Prometheus rule file -> a definitions file: catalog, recording rules, alerts and groups as one Stack."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from monitoring.adopt import pysource as py
from monitoring.adopt.condition import split_comparison
from monitoring.adopt.references import split_references
from monitoring.adopt.rule_files import SourceGroup, SourceRule, read_rule_file
from monitoring.adopt.rule_tests import inferred_catalog
from monitoring.errors import DefinitionError
from monitoring.model import Stack
from monitoring.model.metric import Label, Metric, MetricType
from monitoring.model.rules import _ALERT_RE, _RECORD_RE, parse_duration
from monitoring.testgen.refused import Untestable, bare_reason

_TYPE_CONSTANTS = {
    MetricType.COUNTER: "COUNTER",
    MetricType.GAUGE: "GAUGE",
    MetricType.HISTOGRAM: "HISTOGRAM",
    MetricType.SUMMARY: "SUMMARY",
}
_SUFFIX_ATTRIBUTE = {"_bucket": "bucket", "_count": "count", "_sum": "sum"}


@dataclass
class Imported:
    """One generated definitions file and what the import approximated."""

    stack_name: str
    source: str
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    receivers_from: dict[str, str] = field(default_factory=dict)  # Alertmanager: policy name -> source name


def import_rule_files(paths: list[Path], untested: bool = True) -> dict[str, Imported]:
    """``{definitions file name: Imported}``, one per source file; raises the first bad input's error. With
    ``untested``, the rules `generate` cannot test are marked so, with the reason (the files' tests generated
    over every core, as `generate` does)."""
    from monitoring.adopt.files import module_file, stack_name
    from monitoring.pipeline.workers import map_in_order

    taken: set[str] = set()
    sources = []
    for path in paths:
        groups = read_rule_file(path, str(path))
        sources.append((groups, str(path), stack_name(path, taken)))
    imported = [RuleFileWriter(*source).write() for source in sources]
    gaps = map_in_order(untestable, imported) if untested else [{}] * len(imported)
    result = {}
    for source, item, found in zip(sources, imported, gaps):
        item = RuleFileWriter(*source, found).write() if found else item
        result[module_file(item.stack_name)] = item
    return result


def untestable(imported: Imported) -> dict[int, str]:
    """``{rule index in file order: reason}`` for the rules `generate` cannot test: it generates the definitions'
    tests as `generate` would, marking the refused rules ``untested=`` until none is refused (every refusal comes
    in one pass; the next confirms). Empty when everything is tested."""
    import tempfile

    from monitoring.pipeline.discovery import load_stacks
    from monitoring.render.promtool_tests import render_rule_tests

    with tempfile.TemporaryDirectory(prefix="monitoring-import-") as folder:
        (Path(folder) / "imported.py").write_text(imported.source)
        try:
            (stack,) = load_stacks(folder)
        except DefinitionError:
            return {}  # the definitions do not load: `generate` says why, at file:line
    gaps: dict[int, str] = {}
    rules = [rule for group in stack.groups for rule in group.rules]
    while True:
        try:
            render_rule_tests(stack, "imported.rules.yml")
            return gaps
        except Untestable as exc:
            place = {id(rule): index for index, rule in enumerate(rules)}
            found = {place[id(rule)]: _reason(rule, error.message) for rule, error in zip(exc.rules, exc.errors)}
        except DefinitionError:
            return gaps  # not a refusal: `generate` reports it as it is
        if not found or found.keys() <= gaps.keys():
            return gaps
        gaps.update(found)
        stack, rules = _marked(stack, gaps)


def _reason(rule, message: str) -> str:
    """The generator's reason, without the rule's name it starts with, on one line and at most 300 characters."""
    text = " ".join(bare_reason(getattr(rule, "record", None) or rule.name, message).split())
    return text if len(text) <= 300 else text[:299] + "…"


def _marked(stack: Stack, gaps: dict[int, str]):
    """The stack with ``untested`` set on the rules at those indexes, and its rules in file order."""
    rules, groups, index = [], [], 0
    for group in stack.groups:
        kept = []
        for rule in group.rules:
            kept.append(replace(rule, untested=gaps[index]) if index in gaps and not rule.untested else rule)
            index += 1
        rules += kept
        groups.append(replace(group, rules=tuple(kept)))
    return replace(stack, groups=tuple(groups)), rules


class RuleFileWriter:
    def __init__(self, groups: list[SourceGroup], display: str, stack_name: str, gaps: dict[int, str] | None = None):
        self.groups, self.display, self.stack_name = groups, display, stack_name
        self.gaps = gaps or {}  # rule index in file order -> why `generate` cannot test it (untested=)
        self.index = {id(rule): place for place, rule in enumerate(r for g in groups for r in g.rules)}
        self.notes: list[str] = []
        self.taken: set[str] = {"STACK"}
        self.used: set[str] = {"Stack", "RuleGroup"}
        self.lines: list[str] = []
        self.references: dict[str, str] = {}  # series name -> Python code, once defined

    def write(self) -> Imported:
        rules = [r for g in self.groups for r in g.rules]
        recorded = {r.name for r in rules if r.kind == "record"}
        metrics = inferred_catalog([r.expr for r in rules], recorded)
        metric_names = self._catalog(metrics)
        group_items = []
        for group in self.groups:
            group_items.append(self._group(group))
        stack = py.Call(
            "Stack",
            [py.string(self.stack_name)],
            [("metrics", py.Seq(metric_names)), ("groups", py.Seq(group_items))],
        )
        self.lines += ["", "", f"STACK = {py.render(stack, 0, len('STACK = '))}"]
        counts = {
            "groups": len(self.groups),
            "recording rules": sum(r.kind == "record" for r in rules),
            "alerts": sum(r.kind == "alert" for r in rules),
            "metrics": len(metrics),
        }
        return Imported(self.stack_name, self._header(counts) + "\n".join(self.lines) + "\n", self.notes, counts)

    # --- catalog ---------------------------------------------------------------------------------------
    def _catalog(self, metrics: list[Metric]) -> list[str]:
        labels: dict[str, Label] = {}
        for metric in metrics:
            for label in metric.labels:
                labels[label.name] = label
        label_names = {}
        self.lines += ["", "# --- Labels and metric catalog, inferred from the expressions " + "-" * 40]
        for name in sorted(labels):
            code = py.constant_name(name, self.taken, "_LABEL" if name.upper() in self.taken else "")
            label_names[name] = code
            call = py.Call(
                "Label",
                [py.string(name)]
                + ([py.Seq([py.string(v) for v in labels[name].values])] if labels[name].values else []),
            )
            self.lines.append(f"{code} = {py.render(call, 0, len(code) + 3)}")
            self.used.add("Label")
        if labels:
            self.lines.append("")
        codes = []
        for metric in metrics:
            code = py.constant_name(metric.name, self.taken)
            codes.append(code)
            kwargs = []
            if metric.labels:
                kwargs.append(("labels", py.Seq([label_names[l.name] for l in metric.labels])))
            if metric.buckets:
                kwargs.append(("buckets", py.Seq([py.number(b) for b in metric.buckets])))
                if metric.buckets == (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0):
                    self.notes.append(f"histogram {metric.name}: no `le` value in the rules, default buckets assumed")
            kwargs.append(("external", "True"))
            constant = _TYPE_CONSTANTS[metric.type]
            self.used.update(("Metric", constant))
            call = py.Call("Metric", [py.string(metric.name), constant, py.string(metric.help)], kwargs)
            self.lines.append(f"{code} = {py.render(call, 0, len(code) + 3)}")
            for series in metric.series_names():
                suffix = series[len(metric.name) :]
                self.references[series] = f"{code}.{_SUFFIX_ATTRIBUTE[suffix]}" if suffix else code
        return codes

    # --- rules ---------------------------------------------------------------------------------------
    def _group(self, group: SourceGroup) -> py.Call:
        self.lines += ["", "", f"# --- Group {group.name} " + "-" * max(3, 96 - len(group.name))]
        interval = group.interval  # none stays none: Prometheus' global evaluation_interval
        for key in group.ignored:
            self.notes.append(f"group {group.name!r}: `{key}` is not carried over")
        codes = []
        for rule in group.rules:
            for key in rule.ignored:
                self.notes.append(f"{rule.kind} {rule.name}: `{key}` is not carried over (the model has no such field)")
            codes.append(self._record(rule) if rule.kind == "record" else self._alert(rule, interval))
        self.used.add("RuleGroup")
        return py.Call("RuleGroup", [py.string(group.name), py.string(interval), py.Seq(codes)])

    def _expr(self, text: str) -> str:
        return py.fstring(split_references(text, self.references))

    def _record(self, rule: SourceRule) -> str:
        code = py.constant_name(rule.name, self.taken)
        kwargs = []
        if rule.labels:
            kwargs.append(("labels", _string_dict(rule.labels)))
        kwargs.append(("imported", "True"))
        self._untested(rule, kwargs)
        if not _RECORD_RE.match(rule.name):
            self.notes.append(f"recording rule {rule.name!r}: name kept, though not level:metric:operations")
        self.used.add("RecordingRule")
        call = py.Call("RecordingRule", [py.string(rule.name), self._expr(rule.expr)], kwargs)
        self.lines.append(f"{code} = {py.render(call, 0, len(code) + 3)}")
        self.references.setdefault(rule.name, code)  # later expressions reference the object
        return code

    def _alert(self, rule: SourceRule, interval: str) -> str:
        code = py.constant_name(rule.name, self.taken)
        comparison = split_comparison(rule.expr)
        if comparison is not None:
            condition = self._threshold(rule, code, comparison)
        else:
            self.used.add("raw")
            condition = py.Call("raw", [self._expr(rule.expr)])
        labels = dict(rule.labels)
        severity = labels.pop("severity", "")
        annotations = dict(rule.annotations)
        summary, description = annotations.pop("summary", ""), annotations.pop("description", "")
        for_ = rule.for_  # none stays none
        try:
            parse_duration(for_ or "0s")
        except Exception:  # noqa: BLE001 - a duration Prometheus accepts but the model spells differently
            self.notes.append(f"alert {rule.name}: `for: {rule.for_}` is not a duration the model reads; left out")
            for_ = ""
        kwargs = [("summary", py.string(summary)), ("description", py.string(description))]
        if labels:
            kwargs.append(("labels", _string_dict(labels)))
        if annotations:
            kwargs.append(("annotations", _string_dict(annotations)))
        kwargs.append(("imported", "True"))
        self._untested(rule, kwargs)
        if not _ALERT_RE.match(rule.name):
            self.notes.append(f"alert {rule.name!r}: name kept, though not UpperCamelCase")
        self.used.add("Alert")
        call = py.Call("Alert", [py.string(rule.name), condition, py.string(for_), py.string(severity)], kwargs)
        self.lines.append(f"{code} = {py.render(call, 0, len(code) + 3)}")
        return code

    def _untested(self, rule: SourceRule, kwargs: list) -> None:
        reason = self.gaps.get(self.index[id(rule)])
        if reason:
            kwargs.append(("untested", py.string(reason)))
            self.notes.append(f"untested: {rule.kind} {rule.name}: {reason} (write Scenarios, then drop untested=)")

    def _threshold(self, rule: SourceRule, code: str, comparison) -> py.Call:
        """A two-band Threshold at the compared value and a condition on its step."""
        threshold_code = py.constant_name(rule.name, self.taken, "_T")
        value = py.number(comparison.value)
        if comparison.op.startswith(">") or comparison.op in ("==", "!="):  # the step the alert compares with
            steps, meaning = [("None", "green", "ok"), (value, "red", "firing")], "firing"
        else:
            steps, meaning = [("None", "red", "firing"), (value, "green", "ok")], "ok"
        self.used.update(("Threshold", "Step"))
        threshold = py.Call(
            "Threshold",
            [py.string(rule.name)],
            [("steps", py.Seq([py.Call("Step", [v, py.string(c), py.string(m)]) for v, c, m in steps]))],
        )
        self.lines.append(f"{threshold_code} = {py.render(threshold, 0, len(threshold_code) + 3)}")
        level = f"{threshold_code}[{py.string(meaning)}]"
        signal = self._expr(comparison.signal)
        function = {">": "above", "<": "below", "==": "equal_to", "!=": "not_equal_to"}.get(comparison.op)
        if function is not None:
            self.used.add(function)
            return py.Call(function, [signal, level])
        self.used.add("Condition")
        return py.Call("Condition", [signal, py.string(comparison.op), level])

    def _header(self, counts: dict[str, int]) -> str:
        summary = py.counted(counts)
        return (
            f'"""Imported by `monitoring import rules` from\n{self.display}\n\n'
            f"{summary}.\n\n"
            "The catalog is inferred from the expressions: review the metric types, help texts and label values.\n"
            "Alerts whose expression is not a comparison with a number keep it as a raw condition; rules marked\n"
            "untested= are those `monitoring generate` cannot test yet: give them Scenarios, then drop untested=.\n"
            '"""\n\n'
            f"{py.import_line(self.used)}\n"
        )


def _string_dict(mapping: dict[str, str]) -> py.Dict:
    return py.Dict([(py.string(k), py.string(v)) for k, v in mapping.items()])
