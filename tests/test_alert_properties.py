"""Generated alert tests pass promtool whatever the thresholds, windows and `for` (issue 18; hypothesis).

Each example is one stack with three alerts, a gauge average, a counter ratio and a histogram quantile, whose
thresholds, range windows and `for` durations are drawn (thresholds include exact binary fractions, where a
generated case can sit exactly on the threshold, and decimals, which cannot be represented); its rules and
generated tests are written out and the real promtool runs them. A generated case whose signal lands an ulp
on the wrong side of its threshold fails here. The number of examples is bounded (PROPERTY) to fit CI.
"""

from __future__ import annotations

import subprocess

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from monitoring import (
    COUNTER,
    GAUGE,
    HISTOGRAM,
    Alert,
    CounterRate,
    Label,
    Metric,
    RuleGroup,
    Stack,
    Step,
    Threshold,
    above,
    below,
)
from monitoring.errors import DefinitionError
from monitoring.pipeline.serialize import yaml_bytes
from monitoring.render.prometheus import render_rules
from monitoring.render.promtool_tests import render_rule_tests
from monitoring.verify.tools import find_tool

EXAMPLES = 12
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples every CI run: a failure is reproducible, not a coin toss
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

POOL = Label("pool", ("primary", "replica"))
SATURATION = Metric("svc_pool_saturation_ratio", GAUGE, "Pool saturation.", labels=(POOL,), min=0, max=1)
REQUESTS = Metric("svc_requests_total", COUNTER, "Requests.", labels=(POOL,))
ERRORS = Metric("svc_errors_total", COUNTER, "Failed requests.", labels=(POOL,))
LATENCY = Metric(
    "svc_latency_seconds", HISTOGRAM, "Latency.", unit="seconds", labels=(POOL,), buckets=(0.1, 0.25, 0.5, 1.0, 2.5)
)

RATIOS = st.one_of(
    st.integers(1, 63).map(lambda k: k / 64),  # exact binary fractions
    st.integers(1, 1023).map(lambda k: k / 1024),
    st.integers(1, 999).map(lambda k: k / 1000),  # decimals: never exact in binary
)
# above the first bucket (0.1): under it a quantile cannot report a healthy value below the threshold
LATENCIES = st.one_of(st.integers(3, 63).map(lambda k: 2.5 * k / 64), st.integers(11, 249).map(lambda k: k / 100))
WINDOWS = st.sampled_from(("1m", "2m", "3m", "5m", "7m", "10m"))
# rate() needs two samples in its window: at one sample a minute a 1m window often holds one, and returns
# nothing (lint's range-interval flags it); such an alert cannot fire, so the generator refuses it
RATE_WINDOWS = st.sampled_from(("2m", "3m", "5m", "7m", "10m"))
FORS = st.sampled_from(("0s", "1m", "2m", "5m", "10m"))


def _error_driver(ratio: float) -> dict:
    """Both pools serve 64 requests/s, `ratio` of them failing."""
    inputs = {}
    for pool in POOL.values:
        inputs[REQUESTS.select(pool=pool)] = CounterRate(64.0)
        inputs[ERRORS.select(pool=pool)] = CounterRate(64.0 * ratio)
    return inputs


@st.composite
def alert_stacks(draw):
    gauge_level, ratio_level, latency_level = draw(RATIOS), draw(RATIOS), draw(LATENCIES)
    gauge_window, ratio_window, latency_window = draw(WINDOWS), draw(RATE_WINDOWS), draw(RATE_WINDOWS)
    compare = draw(st.sampled_from((above, below)))
    q = draw(st.sampled_from((0.5, 0.9, 0.95, 0.99)))
    signals = {
        "gauge": f"avg by (pool) (avg_over_time({SATURATION}[{gauge_window}]))",
        "ratio": f"sum by (pool) (rate({ERRORS}[{ratio_window}])) / sum by (pool) (rate({REQUESTS}[{ratio_window}]))",
        "latency": f"histogram_quantile({q}, sum by (pool, le) (rate({LATENCY.bucket}[{latency_window}])))",
    }
    levels = {"gauge": gauge_level, "ratio": ratio_level, "latency": latency_level}
    alerts = []
    for name, signal in signals.items():
        threshold = Threshold(name, steps=(Step(None, "green", "ok"), Step(levels[name], "red", "bad")))
        alerts.append(
            Alert(
                f"Svc{name.title()}Bad",
                (compare if name == "gauge" else above)(signal, threshold["bad"]),
                draw(FORS),
                "warning",
                summary=f"{name} is off.",
                description="{{ $labels.pool }}: {{ $value }}",
                driver=_error_driver if name == "ratio" else None,
            )
        )
    stack = Stack(
        "svc",
        metrics=(SATURATION, REQUESTS, ERRORS, LATENCY),
        groups=(RuleGroup("svc.alerts", draw(st.sampled_from(("15s", "30s", "1m"))), tuple(alerts)),),
        team="team",
        runbook_base_url="https://runbooks.example.com",
    )
    return stack, {name: levels[name] for name in signals}


@PROPERTY
@given(alert_stacks())
def test_generated_alert_tests_pass_promtool(tmp_path_factory, drawn):
    stack, levels = drawn
    event(f"levels {sorted(levels.items())}")
    try:
        tests = render_rule_tests(stack, "../rules/svc.rules.yml")
    except DefinitionError as exc:  # every drawn alert can be driven: a refusal tests nothing, so it fails
        raise AssertionError(f"levels {levels}: the generator refused: {exc}") from None
    out = tmp_path_factory.mktemp("property")
    (out / "rules").mkdir()
    (out / "tests").mkdir()
    (out / "rules" / "svc.rules.yml").write_bytes(yaml_bytes(render_rules(stack)))
    (out / "tests" / "svc.test.yml").write_bytes(yaml_bytes(tests))
    run = subprocess.run(
        [find_tool("promtool"), "test", "rules", str(out / "tests" / "svc.test.yml")], capture_output=True, text=True
    )
    assert run.returncode == 0, f"levels {levels}:\n{run.stdout}{run.stderr}"
