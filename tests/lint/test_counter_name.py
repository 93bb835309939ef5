"""counter-name: in rule files, _total used without rate/increase, and rate over gauge-named series."""

import pytest
from lintkit import RecordingRule, lint_stack, lint_text, rule_file


@pytest.mark.parametrize(
    "expr, how",
    [
        ("http_errors_total > 100", "compared with '>'"),
        ("sum by (job) (http_requests_total)", "aggregated with sum()"),
        ("sum(errors_total) / sum(requests_total) > 0.1", "aggregated with sum()"),
        ("max_over_time(http_errors_total[1h]) > 5", "compared with '>'"),
    ],
)
def test_raw_counter_compared_or_aggregated(tmp_path, expr, how):
    findings = lint_text(tmp_path, rule_file(expr), "counter-name")
    assert findings and all(how in f.message and f.severity == "warning" for f in findings)


@pytest.mark.parametrize(
    "expr",
    [
        "increase(http_errors_total[1h]) > 100",
        "sum by (job) (rate(http_requests_total[5m]))",
        "count(sum by (instance, cpu) (node_cpu_seconds_total))",
        "absent(http_requests_total)",
        "(restarts_total - restarts_total offset 10m) >= 1",
        "up == 0 and on (job) http_requests_total",
        "http_requests_total",
        "resets(http_requests_total[1h]) > 0",
    ],
)
def test_counters_used_as_counters(tmp_path, expr):
    assert lint_text(tmp_path, rule_file(expr), "counter-name") == []


@pytest.mark.parametrize("name", ["up", "node_hwmon_temp_celsius", "build_info", "cache_hit_ratio"])
def test_rate_over_a_gauge_name(tmp_path, name):
    [finding] = lint_text(tmp_path, rule_file(f"rate({name}[5m])"), "counter-name")
    assert "named like a gauge" in finding.message


@pytest.mark.parametrize("name", ["x_total", "x_count", "x_sum", "x_bucket", "node_vmstat_pgmajfault", "a:b:c"])
def test_rate_over_other_names(tmp_path, name):
    assert lint_text(tmp_path, rule_file(f"rate({name}[5m])"), "counter-name") == []


def test_not_run_with_the_catalog():
    rule = RecordingRule("model_name:svc_requests:sum", "sum by (model_name) (svc_requests_total)")
    assert lint_stack("counter-name", rule) == []
