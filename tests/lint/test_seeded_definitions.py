"""A seeded mistake of each kind in a copy of the A/B definitions is reported with file:line and a hint."""

import re
from pathlib import Path

import pytest

AB_TEST = Path(__file__).resolve().parents[2] / "monitoring" / "definitions" / "ab_test.py"

# check, severity, text in ab_test.py, the mistake replacing it, text on the line the finding must point at
SEEDS = [
    (
        "promql-syntax",
        "error",
        'f"sum by (model_name, status) (rate({REQUESTS}[5m]))")',
        'f"sum by (model_name, status) (rate({REQUESTS}[5m])")',
        "STATUS_RATE = RecordingRule(",
    ),
    (
        "unknown-metric",
        "error",
        'f"sum by (model_name) (rate({REQUESTS}[5m]))")',
        'f"sum by (model_name) (rate(ab_test_request_total[5m]))")',
        "REQUEST_RATE = RecordingRule(",
    ),
    (
        "counter-function",
        "error",
        "avg_over_time({ACCURACY}[15m])",
        "rate({ACCURACY}[15m])",
        "ACCURACY_15M = RecordingRule(",
    ),
    (
        "histogram-quantile",
        "error",
        'sum by (model_name, le) "',
        'sum by (model_name) "',
        "LATENCY = {q: RecordingRule(",
    ),
    (
        "impossible-label",
        "error",
        "{REQUESTS.select(status='error')}",
        "{REQUESTS}{{outcome='error'}}",
        "ERROR_RATE = RecordingRule(",
    ),
    (
        "template-syntax",
        "error",
        '"{{ $value | humanizePercentage }} of requests',
        '"{{ $value | humanisePercentage }} of requests',
        'Alert("HighErrorRate"',
    ),
    (
        "template-labels",
        "error",
        "'Kolmogorov-Smirnov drift score is",
        "'Drift for {{ $labels.model_name }} is",
        'Alert("PredictionDriftHigh"',
    ),
    (
        "vector-matching",
        "error",
        'f"{ERROR_RATE} / {REQUEST_RATE}"',
        'f"{ERROR_RATE} / {STATUS_RATE}"',
        "ERROR_RATIO = RecordingRule(",
    ),
    ("alert-metadata", "error", '"1m", "critical",', '"1m", "page",', 'Alert("HighErrorRate"'),
    ("alert-for", "warning", '"2m", "critical",', '"10s", "critical",', 'Alert("ModelCompleteFailure"'),
    (
        "threshold-range",
        "error",
        'Step(0.7, "green", "confident")',
        'Step(70, "green", "confident")',
        'Alert("ModelConfidenceLow"',
    ),
    (
        "panel-threshold",
        "warning",
        'unit="percentunit", decimals=2, thresholds=ERROR_RATIO_T)',
        'unit="percentunit", decimals=2, thresholds=LATENCY_T)',
        "ERROR_RATIO_PANEL = TimeSeries(",
    ),
    (
        "range-interval",
        "warning",
        "avg_over_time({CONFIDENCE}[5m])",
        "avg_over_time({CONFIDENCE}[30s])",
        "CONFIDENCE_5M = RecordingRule(",
    ),
    (
        "recording-rule-name",
        "warning",
        '"model_name_status:ab_test_requests:rate5m"',
        '"job:ab_test_requests:rate5m"',
        "STATUS_RATE = RecordingRule(",
    ),
]


def test_the_ab_stack_lints_clean(cli):
    result = cli(["lint", "-d", AB_TEST])
    assert result.exit_code == 0 and result.output.strip() == "no findings", result.output


@pytest.mark.parametrize("check, severity, original, mistake, anchor", SEEDS, ids=[s[0] for s in SEEDS])
def test_seeded_mistake_is_reported_at_its_line(cli, tmp_path, check, severity, original, mistake, anchor):
    source = AB_TEST.read_text()
    assert source.count(original) == 1, f"seed for {check} no longer matches ab_test.py"
    seeded = tmp_path / "ab_test.py"
    seeded.write_text(source.replace(original, mistake))
    line = next(n for n, text in enumerate(seeded.read_text().splitlines(), 1) if anchor in text)
    result = cli(["lint", "-d", seeded], cwd=tmp_path)
    assert result.exit_code == (1 if severity == "error" else 0), result.output
    found = re.findall(rf"^ab_test\.py:(\d+): {severity}: {check}: .*\n(?:    .*\n)*  hint: .+$", result.output, re.M)
    assert found, result.output
    assert str(line) in found, f"expected line {line} ({anchor}); got {found}\n{result.output}"
