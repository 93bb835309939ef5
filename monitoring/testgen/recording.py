"""A promql_expr_test for every recording rule, on a multi-series dataset synthesised from the catalog."""

from __future__ import annotations

import math

from monitoring.errors import DefinitionError
from monitoring.model import RecordingRule, Stack
from monitoring.model.durations import format_duration
from monitoring.model.metric import escape_label_value
from monitoring.promql.evaluator import Evaluator, Unsupported
from monitoring.testgen import synth
from monitoring.testgen.alerts import longest_range, rules_by_record

# The dataset is a steady state (constant gauges, counters at constant rates): once a window holds a few
# samples, a longer one shows nothing more, so windows are filled up to this and longer ones are read partly
# filled (still exact: the evaluator extrapolates as Prometheus does). promtool evaluates every rule of the
# file at every step up to the eval time: a full [1h] window cost 3x the rest of a bench service's file.
FILLED = 5 * 60
SETTLE_MINUTES = 2  # after the longest filled window: recording rules that read recorded series settle too


def recording_case(stack: Stack, rules: list[RecordingRule]) -> dict | None:
    if not rules:
        return None
    longest = max(longest_range(r.text, stack) for r in rules)
    minutes = math.ceil(min(longest, FILLED) / 60) + SETTLE_MINUTES
    timeline = synth.Timeline().add(minutes, synth.healthy_inputs(stack))
    evaluator = Evaluator(timeline.series(), rules_by_record(stack))
    eval_time = minutes * 60.0
    tests = []
    for rule in rules:
        try:
            result = evaluator.instant(rule.record, eval_time)
        except Unsupported as exc:
            raise DefinitionError(
                f"recording rule {rule.record}: the test generator cannot compute its expected value ({exc})",
                rule.origin,
                "keep to selectors, rate/increase/*_over_time, sum/avg/min/max/count, "
                "histogram_quantile and arithmetic",
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
        tests.append(
            {
                "expr": rule.record,
                "eval_time": format_duration(eval_time),
                "exp_samples": [{"labels": _labels_text(labels), "value": value} for labels, value in result],
            }
        )
    return {
        "name": "recording rules on a multi-series dataset synthesised from the catalog",
        "interval": format_duration(synth.INTERVAL),
        "input_series": timeline.promtool_inputs(),
        "promql_expr_test": tests,
    }


def _labels_text(labels) -> str:
    mapping = dict(labels)
    name = mapping.pop("__name__", "")
    inner = ", ".join(f'{k}="{escape_label_value(v)}"' for k, v in sorted(mapping.items()))
    return f"{name}{{{inner}}}"
