"""The model: small frozen dataclasses that definitions build and renderers read."""

from monitoring.model.conditions import (
    Absent,
    Band,
    Compound,
    Condition,
    above,
    absent,
    at_least,
    at_most,
    below,
    both,
    equal_to,
    not_equal_to,
    outside,
    unless,
)
from monitoring.model.dashboard import Dashboard, LabelVariable, Link, RawVariable, Row
from monitoring.model.metric import Label, Metric, MetricType
from monitoring.model.panel import Gauge, Panel, PieChart, Query, RawPanel, Stat, Table, Text, TimeSeries
from monitoring.model.rules import Alert, RawCondition, RecordingRule, RuleGroup, Scenario, raw
from monitoring.model.stack import Stack
from monitoring.model.synthetic import Absence, CounterRate, CounterReset, Flapping, GaugeValue, Ramp, Stale
from monitoring.model.threshold import Level, Step, Threshold

COUNTER, GAUGE, HISTOGRAM, SUMMARY = (MetricType.COUNTER, MetricType.GAUGE, MetricType.HISTOGRAM, MetricType.SUMMARY)

__all__ = [
    "Absence",
    "Absent",
    "Alert",
    "Band",
    "Compound",
    "CounterReset",
    "Flapping",
    "Ramp",
    "Stale",
    "COUNTER",
    "Condition",
    "CounterRate",
    "GaugeValue",
    "Dashboard",
    "GAUGE",
    "Gauge",
    "HISTOGRAM",
    "Label",
    "LabelVariable",
    "Level",
    "Link",
    "Metric",
    "MetricType",
    "Panel",
    "PieChart",
    "Query",
    "RawCondition",
    "RawPanel",
    "RawVariable",
    "RecordingRule",
    "Row",
    "RuleGroup",
    "SUMMARY",
    "Scenario",
    "Stack",
    "Stat",
    "Step",
    "Table",
    "Text",
    "Threshold",
    "TimeSeries",
    "above",
    "absent",
    "at_least",
    "at_most",
    "below",
    "both",
    "equal_to",
    "not_equal_to",
    "outside",
    "raw",
    "unless",
]
