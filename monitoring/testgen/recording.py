"""A promql_expr_test for every recording rule, on a multi-series dataset synthesised from the catalog."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from monitoring.errors import DefinitionError
from monitoring.model import RecordingRule, Stack
from monitoring.model.durations import format_duration
from monitoring.model.metric import escape_label_value
from monitoring.model.synthetic import GaugeValue
from monitoring.promql.evaluator import Evaluator, Unsupported
from monitoring.testgen import search, synth
from monitoring.testgen.alerts import longest_range, rules_by_record
from monitoring.testgen.record_query import asserted_record, record_query
from monitoring.testgen.refused import Untestable

# The dataset is a steady state (constant gauges, counters at constant rates): once a window holds a few
# samples, a longer one shows nothing more, so windows are filled up to this and longer ones are read partly
# filled (still exact: the evaluator extrapolates as Prometheus does). promtool evaluates every rule of the
# file at every step up to the eval time: a full [1h] window cost 3x the rest of a bench service's file.
FILLED = 5 * 60
SETTLE_MINUTES = 2  # after the longest filled window: recording rules that read recorded series settle too


def eval_minutes(stack: Stack, rules: list[RecordingRule]) -> int:
    """When the rules are asserted: their windows filled (up to FILLED), plus time to settle."""
    longest = max(longest_range(r.text, stack) for r in rules)
    return math.ceil(min(longest, FILLED) / 60) + SETTLE_MINUTES


def recording_case(stack: Stack, rules: list[RecordingRule]) -> dict | None:
    if not rules:
        return None
    minutes = eval_minutes(stack, rules)
    timeline, eval_time = synth.Timeline().add(minutes, synth.healthy_inputs(stack)), minutes * 60.0
    evaluator = Evaluator(timeline.series(), rules_by_record(stack), check_order=True)
    tests, refused = [], []
    for rule in rules:  # every rule's refusal, not only the first
        try:
            tests.append(order_free_test(rule, evaluator, eval_time))
        except DefinitionError as exc:
            refused.append((rule, exc))
    if refused:
        raise Untestable(refused)
    return {
        "name": "recording rules on a multi-series dataset synthesised from the catalog",
        "interval": format_duration(synth.INTERVAL),
        "input_series": timeline.promtool_inputs(),
        "promql_expr_test": tests,
    }


def order_free_test(rule: RecordingRule, evaluator: Evaluator, eval_time: float) -> dict:
    """expected_test, refused where the value depends on the order of the series summed (``evaluator`` made
    with check_order): promtool loads series in random order and float addition is not associative."""
    evaluator.order_dependent.clear()
    test = expected_test(rule, evaluator, eval_time)
    if evaluator.order_dependent:
        raise DefinitionError(
            f"recording rule {rule.record}: its value on the synthetic dataset depends on the order "
            "of the series it sums (float addition), which promtool does not fix",
            rule.origin,
        )
    return test


def expected_test(rule: RecordingRule, evaluator: Evaluator, eval_time: float) -> dict:
    """The rule's promql_expr_test at eval_time: its exact result on the evaluator's inputs."""
    try:
        result = evaluator.instant(rule.record, eval_time)
    except Unsupported as exc:
        raise DefinitionError(
            f"recording rule {rule.record}: the test generator cannot compute its expected value ({exc})",
            rule.origin,
            "keep to selectors, rate/increase/*_over_time, sum/avg/min/max/count, histogram_quantile and arithmetic",
        ) from None
    if not result:
        raise DefinitionError(
            f"recording rule {rule.record} returns nothing on the synthetic dataset",
            rule.origin,
            "check its selectors and matchers against the catalog's labels",
        )
    for _, value in result:
        if math.isnan(value) or math.isinf(value):
            raise DefinitionError(
                f"recording rule {rule.record} gives {value} on the synthetic dataset",
                rule.origin,
                "guard divisions against zero denominators",
            )
    return test_of(rule, result, eval_time)


def test_of(rule: RecordingRule, result, eval_time: float) -> dict:
    """The promql_expr_test expecting ``result`` (the evaluator's for the record, at eval_time)."""
    return {
        "expr": record_query(rule.record),
        "eval_time": format_duration(eval_time),
        "exp_samples": [{"labels": labels_text(labels), "value": value} for labels, value in result],
    }


def labels_text(labels) -> str:
    """A sample's labels as its promtool expectation (the query ``RECORD * 1`` has no metric name)."""
    inner = ", ".join(f'{k}="{escape_label_value(v)}"' for k, v in sorted(labels) if k != "__name__")
    return f"{{{inner}}}"


# --- imported rule files: exact values for every recording rule -----------------------------------------

MAX_WINDOW = 3600.0  # seconds of input data at most before the evaluation time


@dataclass
class RecordingCases:
    """promql_expr_test groups for imported recording rules, and the rules left out with why."""

    cases: list[dict] = field(default_factory=list)
    failed: dict[int, DefinitionError] = field(default_factory=dict)  # id(rule) -> why it has no test


def imported_recording_cases(
    stack: Stack,
    rules: list[RecordingRule],
    interval: float,
    every_rule: dict[str, str],
    rule_order: dict[str, int] | None = None,
) -> RecordingCases:
    """Exact values for recording rules: no search, only inputs and our evaluator's result on them.

    Rules reading the same metrics share one test group whose inputs are those metrics alone (a rule file's
    other rules then mostly read nothing, so they cannot fail on inputs meant for another). Each family tries
    the datasets of DATASETS in turn (a many-to-one match or a `topk` join that fails on the product usually
    works on single series). A range longer than MAX_WINDOW
    reads what there is (rate() extrapolates, *_over_time() aggregate fewer samples), as promtool does: a 30d
    range written out in full would be 43,200 samples per series, every nested rule evaluated at each step.
    ``rule_order`` ({record: place in promtool's evaluation order}) lets a rule read another recorded after it
    as of the previous tick, as promtool does. A value that depends on the order of the series summed (promtool
    loads them in random order, and float addition is not associative) is not expected: one series per metric
    then.
    """
    from monitoring.testgen.cross_check import rule_error

    recorded = rules_by_record(stack)
    catalog = search.Catalog(stack.metrics, recorded, stack.name)
    families: dict[tuple[str, ...], list[RecordingRule]] = {}
    for rule in rules:  # the rule's record, not its text: every rule recording that name is read together
        read = tuple(sorted(m.name for m in search.metrics_read(catalog, rule.record)))
        families.setdefault(read, []).append(rule)
    out = RecordingCases()
    for read, members in families.items():
        metrics = [m for m in stack.metrics if m.name in read]
        pending = list(members)
        failed: dict = {}
        for rung in range(len(DATASETS)):
            if not pending:
                break
            case, failed = _family_case(stack, metrics, pending, interval, recorded, rung, rule_order)
            problem = rule_error(case, every_rule, recorded) if case else None
            if case and problem is None:
                out.cases.append(case)
                pending = [r for r in pending if id(r) in failed]
            elif case:
                failed = {id(r): _failure(r, problem) for r in pending}
        for rule in pending:  # why the last dataset tried failed
            out.failed[id(rule)] = failed[id(rule)]
    return out


def _records_read(rules, recorded: dict) -> list[str]:
    """The records the rules read, themselves included, transitively."""
    import promql_parser as pp

    from monitoring.promql.parse import parse, selector_name

    seen: dict[str, None] = {}
    pending = [r.record for r in rules]
    while pending:
        name = pending.pop()
        if name in seen or name not in recorded:
            continue
        seen[name] = None
        pp.walk(
            parse(recorded[name][0]),
            lambda node: pending.append(selector_name(node) or "") if isinstance(node, pp.VectorSelector) else None,
        )
    return list(seen)


def _failure(rule: RecordingRule, problem: str) -> DefinitionError:
    return DefinitionError(f"recording rule {rule.record}: {problem}", rule.origin, "")


DATASETS = (
    "every combination of the label values",
    "one series per selector, with the label values its matchers ask for",
    # a sum of equal values is the same in any order: for rates over windows longer than the data (inexact)
    "one series per selector, every series of a metric alike",
    # joins through label_replace (owner_name -> replicaset) match when placeholders agree; `phase == 1` needs 1
    "one series per selector, one placeholder for every other label value, gauges at 1, series alike",
)
_PLACEHOLDER = "x"


def _family_inputs(stack, metrics, rung: int, texts: list[str]) -> dict:
    inputs: dict = {}
    for metric in metrics:
        combos = synth.label_combinations(metric, stack)
        if rung:
            base = combos[0]
            if rung == 3:
                base = {k: _PLACEHOLDER if v == f"{k}-1" else v for k, v in base.items()}
            combos = list({tuple(sorted(c.items())): c for c in _selected(metric, base, texts)}.values())
        for index, labels in enumerate(combos):
            alike = rung >= 2
            shapes = synth.metric_inputs(metric, labels, 0 if alike else index, 1 if alike else len(combos))
            for key, shape in shapes.items():
                inputs[key] = GaugeValue(1.0) if rung == 3 and isinstance(shape, GaugeValue) else shape
    return inputs


def _selected(metric, base: dict, texts: list[str]) -> list[dict]:
    """One label set per selector of ``metric`` in the expressions: ``base`` with what its matchers ask for."""
    import promql_parser as pp

    from monitoring.promql.parse import parse, selector_name

    known = {lb.name: list(lb.values) for lb in metric.labels}
    names = set(metric.series_names())
    out: list[dict] = []

    def visit(node):
        if not isinstance(node, pp.VectorSelector) or selector_name(node) not in names:
            return
        labels = dict(base)
        for m in node.matchers.matchers:
            if m.name in ("__name__", "le") or m.name not in labels:
                continue
            labels[m.name] = _satisfying(str(m.op), m.value, labels[m.name], known.get(m.name, []))
        out.append(labels)

    for text in texts:
        pp.walk(parse(text), visit)
    return out or [base]


def _satisfying(op: str, wanted: str, current: str, known: list[str]) -> str:
    """A label value the matcher accepts: the current one if it does, else a known one, else an example."""
    import re

    from monitoring.promql.regex_example import example

    def accepts(value: str) -> bool:
        if op == "MatchOp.NotEqual":
            return value != wanted
        if op == "MatchOp.Equal":
            return value == wanted
        try:
            matched = re.fullmatch(wanted, value) is not None
        except re.error:
            return True
        return matched if op == "MatchOp.Re" else not matched

    for value in (current, *known):
        if accepts(value):
            return value
    if op == "MatchOp.Equal":
        return wanted
    if op == "MatchOp.Re":
        return example(wanted) or current
    return current + "-other"


def _family_case(stack, metrics, rules, interval, recorded, rung: int, rule_order):
    """(case or None, {id(rule): DefinitionError}) for rules over one dataset of ``metrics``."""
    longest = min(max(longest_range(r.text, stack) for r in rules), MAX_WINDOW)
    grain = math.lcm(int(interval), int(synth.INTERVAL)) if float(interval).is_integer() else synth.INTERVAL
    eval_time = math.ceil((longest + 600) / grain) * grain
    texts = [recorded[name][0] for name in _records_read(rules, recorded)]
    texts = [recorded[name][0] for name in _records_read(rules, recorded)]
    timeline = synth.Timeline().add(math.ceil(eval_time / synth.INTERVAL), _family_inputs(stack, metrics, rung, texts))
    evaluator = Evaluator(timeline.series(), recorded, rule_interval=interval, check_order=True, rule_order=rule_order)
    tests, failed, done = [], {}, {}
    for rule in rules:  # one test per record: it expects the series of every rule recording that name
        if rule.record not in done:
            try:
                tests.append(order_free_test(rule, evaluator, eval_time))
                done[rule.record] = None
            except DefinitionError as exc:
                done[rule.record] = exc
        if done[rule.record] is not None:
            failed[id(rule)] = done[rule.record]
    if not tests:
        return None, failed
    case = {
        "name": f"recording rules {', '.join(dict.fromkeys(asserted_record(t['expr']) for t in tests))}"[:200],
        "interval": format_duration(synth.INTERVAL),
        "input_series": timeline.promtool_inputs(),
        "promql_expr_test": tests,
    }
    return case, failed
