"""One planted mistake per class of pint's offline checks, each caught by the check named; clean files give
no finding at all (every check runs)."""

import pytest
import yaml
from lintkit import lint_files

ANNOTATIONS = {"summary": "s", "runbook_url": "https://r.example.com"}


def _file(tmp_path, *rules, interval="1m", name="rules.yml"):
    path = tmp_path / name
    groups = [{"name": "g", "interval": interval, "rules": list(rules)}]
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    return path


def alert(expr, **fields):
    rule = {"alert": "A", "expr": expr, "for": "5m", "labels": {"severity": "warning"}, "annotations": ANNOTATIONS}
    rule.update(fields)
    return rule


def record(name, expr, **fields):
    return {"record": name, "expr": expr, **fields}


# pint check, the rules of a planted file, the check that must catch it
PLANTED = [
    ("yaml/parse", [record("job:x:sum", "sum by (job) (x)", oops=1)], "rule-file"),
    ("promql/syntax", [record("job:x:sum", "sum by (job) (x")], "promql-syntax"),
    (
        "alerts/template",
        [alert("up == 0", annotations={**ANNOTATIONS, "summary": "{{ $label.job }}"})],
        "template-syntax",
    ),
    (
        "alerts/template",
        [alert("sum(up) == 0", annotations={**ANNOTATIONS, "summary": "{{ $labels.job }}"})],
        "template-labels",
    ),
    ("alerts/template", [alert("up == 0", labels={"severity": "warning", "v": "{{ $value }}"})], "value-in-labels"),
    (
        "alerts/template",
        [alert("up == 0", annotations={**ANNOTATIONS, "d": "{{ $labels.job | humanize }}"})],
        "humanize",
    ),
    ("alerts/annotation", [alert("up == 0", annotations={"summary": "s"})], "alert-metadata"),
    ("rule/label", [alert("up == 0", labels={})], "alert-metadata"),
    ("alerts/for", [alert("up == 0", **{"for": "0s"})], "alert-for"),
    ("alerts/comparison", [alert("sum by (job) (rate(errors_total[5m]))")], "comparison"),
    ("alerts/comparison", [alert("up == bool 0")], "comparison"),
    ("promql/fragile", [alert("topk(3, rate(requests_total[5m])) > 10")], "fragile"),
    (
        "promql/fragile",
        [alert("sum(rate(a_total[5m])) / sum(rate(b_total[5m])) > 0.1", **{"for": "0s"})],
        "fragile",
    ),
    (
        "promql/impossible",
        [record("job:x:ratio", 'rate(x_total{s="a"}[5m]) / rate(x_total{s="b"}[5m])')],
        "vector-matching",
    ),
    ("promql/impossible", [record("job:x:sum", "sum by (job) (sum by (instance) (x))")], "impossible-label"),
    ("promql/nan", [record("job:x:ratio", "sum by (job) (rate(a_total[5m]) / rate(b_total[5m]))")], "nan"),
    ("promql/regexp", [record("job:x:rate5m", 'sum by (job) (rate(x_total{job=~"^api$"}[5m]))')], "regexp"),
    ("promql/regexp", [record("job:x:rate5m", 'sum by (job) (rate(x_total{job=~"api"}[5m]))')], "regexp"),
    ("promql/counter", [alert("errors_total > 100")], "counter-name"),
    ("promql/rate", [record("job:x:rate5m", "sum by (job) (rate(up[5m]))")], "counter-name"),
    ("promql/rate", [record("job:x:rate1m", "sum by (job) (rate(x_total[30s]))")], "range-interval"),
    ("rule/name", [record("x_rate", "sum(rate(x_total[5m]))")], "recording-rule-name"),
    (
        "rule/duplicate",
        [record("job:x:sum", "sum by (job) (x)"), record("job:x:sum", "sum by (job) (x)")],
        "duplicate-rule",
    ),
    ("rule/dependency", [alert("job:never_recorded:sum > 1")], "rule-dependency"),
    (
        "rule/dependency",
        [record("job:x:max", "max_over_time(job:x:sum[1h])"), record("job:x:sum", "sum by (job) (x)")],
        "rule-dependency",
    ),
    ("group/interval", [record("job:x:sum", "sum by (job) (x)")], "group-interval"),
    ("vector matching", [record("job:x:ratio", "sum by (job) (a) / sum by (instance) (b)")], "vector-matching"),
]

CLEAN = [
    [
        record("job:requests:rate5m", "sum by (job) (rate(requests_total[5m]))"),
        record("job:errors:rate5m", 'sum by (job) (rate(requests_total{code=~"5.."}[5m]))'),
        record("job:errors:ratio_rate5m", "job:errors:rate5m / job:requests:rate5m"),
        alert(
            "job:errors:ratio_rate5m > 0.05",
            annotations={**ANNOTATIONS, "summary": "{{ $labels.job }}: {{ $value | humanizePercentage }}"},
        ),
    ],
    [alert('up{job="api"} == 0', annotations={**ANNOTATIONS, "summary": "{{ $labels.instance }} is down"})],
    [alert('absent(up{job="api"})', **{"for": "10m"})],
    [
        record(
            "job:latency_seconds:p99_5m",
            "histogram_quantile(0.99, sum by (job, le) (rate(latency_seconds_bucket[5m])))",
        ),
        alert("job:latency_seconds:p99_5m > 0.5", labels={"severity": "critical", "team": "api"}),
    ],
    [
        record(
            "instance:cpu:ratio",
            'sum without (cpu, mode) (rate(node_cpu_seconds_total{mode!="idle"}[5m])) / on (instance) group_left '
            'count without (cpu, mode) (node_cpu_seconds_total{mode="idle"})',
        ),
        alert("instance:cpu:ratio > 0.9", **{"for": "15m"}),
        {"alert": "Watchdog", "expr": "vector(1)", "labels": {"severity": "info"}, "annotations": ANNOTATIONS},
    ],
]


@pytest.mark.parametrize("pint, rules, check", PLANTED, ids=[f"{p[0]}->{p[2]}" for p in PLANTED])
def test_planted_mistake_is_caught(tmp_path, pint, rules, check):
    interval = "10m" if pint == "group/interval" else "1m"
    found = {f.check for f in lint_files([_file(tmp_path, *rules, interval=interval)])}
    assert check in found, found


@pytest.mark.parametrize("rules", CLEAN)
def test_clean_files_have_no_findings(tmp_path, rules):
    findings = lint_files([_file(tmp_path, *rules)])
    assert [f.format() for f in findings] == []
