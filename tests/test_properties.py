"""Property-based hardening (hypothesis).

- Random valid definitions always render to outputs that pass the dashboard JSON Schema,
  `promtool check rules` and `amtool check-config`, and lint without errors.
- Random invalid definitions always give a clean error (exit 2, no traceback) and write nothing.
- Whatever a dashboard is titled, its file stays inside the output folder.
"""

from __future__ import annotations

import json
import string
import subprocess
from pathlib import Path

import pytest
from conftest import MINIMAL_STACK, SLACK_ONLY_POLICY, tree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitoring import (
    COUNTER,
    GAUGE,
    HISTOGRAM,
    Alert,
    CounterRate,
    Dashboard,
    Gauge,
    Label,
    Metric,
    Query,
    RecordingRule,
    Row,
    RuleGroup,
    Stack,
    Stat,
    Step,
    Threshold,
    TimeSeries,
    above,
    below,
)
from monitoring.lint import lint_stacks
from monitoring.pipeline.schema import schema_errors
from monitoring.pipeline.validate import validate
from monitoring.pipeline.writer import write_tree
from monitoring.render.estate import render_all
from monitoring.render.prometheus import render_rules
from monitoring.verify.tools import find_tool

PROPERTY = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)

POLICY = SLACK_ONLY_POLICY

WORDS = ("requests", "jobs", "queue", "cache", "load", "errors", "items", "temperature")
COLOURS = ("green", "yellow", "orange", "red", "dark-red", "blue", "#12AB9f")
LABELS = ("model_name", "region", "tier", "status")
label_values = st.lists(
    st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=6), min_size=1, max_size=3, unique=True
)


@st.composite
def thresholds(draw, name: str, low: float = 0.0, high: float = 100.0, values=()):
    """Steps strictly inside (low, high) on a grid of 1/64 of the range, or some of the given values."""
    if values:
        values = sorted(draw(st.sets(st.sampled_from(values), min_size=1, max_size=4)))
    else:
        grid = sorted(draw(st.sets(st.integers(1, 63), min_size=1, max_size=4)))
        values = [low + k * (high - low) / 64 for k in grid]
    colours = draw(st.lists(st.sampled_from(COLOURS), min_size=len(values) + 1, max_size=len(values) + 1))
    steps = [Step(None, colours[0], "band 0")] + [
        Step(v, c, f"band {i}") for i, (v, c) in enumerate(zip(values, colours[1:]), 1)
    ]
    return Threshold(name, steps=tuple(steps))


@st.composite
def stacks(draw, index: int = 0):
    """A small valid stack: 1-3 metrics, a recording rule per metric, an alert on each, one dashboard."""
    label = Label(draw(st.sampled_from(LABELS)), tuple(draw(label_values)))
    metrics, rules, alerts, panels = [], [], [], []
    for i, (kind, word) in enumerate(
        draw(
            st.lists(
                st.tuples(st.sampled_from((COUNTER, GAUGE, HISTOGRAM)), st.sampled_from(WORDS)), min_size=1, max_size=3
            )
        )
    ):
        base, driver = f"svc{index}_{word}{i}", None
        if kind is COUNTER:
            metric = Metric(f"{base}_total", COUNTER, f"{word} seen.", labels=(label,))
            rule = RecordingRule(f"{label}:{base}:rate5m", f"sum by ({label}) (rate({metric}[5m]))")
            threshold = draw(thresholds(f"{word} {i}", high=50))
            driver = _rate_driver(metric, label)  # tests are generated from catalog gauges/histograms only
        elif kind is GAUGE:
            metric = Metric(base, GAUGE, f"Current {word}.", labels=(label,), min=0, max=100)
            rule = RecordingRule(f"{label}:{base}:avg5m", f"avg by ({label}) (avg_over_time({metric}[5m]))")
            threshold = draw(thresholds(f"{word} {i}"))
        else:
            buckets = tuple(
                sorted(draw(st.sets(st.sampled_from((0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)), min_size=2, max_size=5)))
            )
            metric = Metric(
                f"{base}_seconds", HISTOGRAM, f"Time per {word}.", unit="seconds", labels=(label,), buckets=buckets
            )
            rule = RecordingRule(
                f"{label}:{base}_seconds:p95_5m",
                f"histogram_quantile(0.95, sum by ({label}, le) (rate({metric.bucket}[5m])))",
            )
            threshold = draw(thresholds(f"{word} {i}", values=buckets[:-1]))  # bucket bounds: exact quantiles
        panel_kind = draw(st.sampled_from((TimeSeries, Stat, Gauge)))
        panel = panel_kind(
            f"{word.title()} {i}",
            [Query(f'{rule}{{{label}=~"${label}"}}', legend=f"{{{{{label}}}}}")],
            thresholds=threshold,
        )
        step = draw(st.sampled_from(threshold.steps[1:]))
        compare = draw(st.sampled_from((above, below)))
        alerts.append(
            Alert(
                f"Svc{index}{word.title()}{i}",
                compare(rule, threshold[step.meaning]),
                draw(st.sampled_from(("1m", "5m", "10m"))),
                draw(st.sampled_from(("critical", "warning"))),
                summary=f"{word} is off.",
                description=f"{{{{ $labels.{label} }}}}: {{{{ $value }}}}",
                panel=panel,
                driver=driver,
            )
        )
        metrics.append(metric)
        rules.append(rule)
        panels.append(panel)
    title = f"{index} " + draw(st.text(min_size=1, max_size=30))  # uids (from titles) are unique
    dashboard = Dashboard(title, rows=(Row("Main", tuple(panels)),))
    return Stack(
        f"svc{index}",
        metrics=tuple(metrics),
        dashboards=(dashboard,),
        groups=(
            RuleGroup(f"svc{index}.rules", "30s", tuple(rules)),
            RuleGroup(f"svc{index}.alerts", "30s", tuple(alerts)),
        ),
        team="team",
        runbook_base_url="https://runbooks.example.com",
    )


def _rate_driver(metric, label):
    """Every series of the counter grows at the requested rate (the alert's signal is their per-label sum)."""

    def drive(value):
        return {metric.select(**{label.name: v}): CounterRate(value) for v in label.values}

    return drive


@pytest.fixture(scope="module")
def policies(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("policies")
    (folder / "notifications.yaml").write_text(POLICY)
    return folder


@PROPERTY
@given(st.integers(1, 3).flatmap(lambda n: st.tuples(*(stacks(i) for i in range(n)))))
def test_random_valid_definitions_render_to_valid_outputs(tmp_path_factory, policies, generated):
    generated = list(generated)
    validate(generated)
    assert [f for f in lint_stacks(generated, render_rules) if f.severity == "error"] == []
    files = render_all(generated, policies_dir=policies)
    out = tmp_path_factory.mktemp("out") / "generated"
    write_tree(out, files)
    for name, data in files.items():
        assert (out / name).resolve().is_relative_to(out.resolve())
        if name.startswith("grafana/dashboards/"):
            assert schema_errors(json.loads(data)) == [], name
    rule_files = sorted(str(p) for p in (out / "prometheus/rules").glob("*.yml"))
    assert len(rule_files) == len(generated)
    promtool = subprocess.run([find_tool("promtool"), "check", "rules", *rule_files], capture_output=True, text=True)
    assert promtool.returncode == 0, promtool.stdout + promtool.stderr
    amtool = subprocess.run(
        [find_tool("amtool"), "check-config", str(out / "alertmanager/alertmanager.yml")],
        capture_output=True,
        text=True,
    )
    assert amtool.returncode == 0, amtool.stdout + amtool.stderr


# --- invalid definitions -------------------------------------------------------------------------------

junk = st.text(alphabet=string.ascii_letters + string.digits + " -./:!$#{}()[]", min_size=1, max_size=8)

# Each mutation: (text in MINIMAL_STACK, strategy for the replacement). Every result is a user mistake.
MUTATIONS = {
    "metric name": ('"svc_requests_total"', junk.filter(lambda s: not s.isidentifier()).map(lambda s: f'"svc {s}"')),
    "counter without _total": ('"svc_requests_total"', st.sampled_from(WORDS).map(lambda w: f'"svc_{w}"')),
    "steps out of order": (
        'Step(0.8, "red", "overloaded")',
        st.floats(-10, 0.8).map(lambda v: f'Step(0.8, "red", "overloaded"), Step({v!r}, "blue", "x")'),
    ),
    "unknown metric": ("Query(LOAD, legend=", st.sampled_from(WORDS).map(lambda w: f'Query("svc_{w}_nope", legend=')),
    "promql syntax": (
        "rate({REQUESTS}[5m])",
        st.sampled_from(
            (
                "rate({REQUESTS}[5m]",
                "rate({REQUESTS}[5m]) +",
                "rate({REQUESTS}[5x])",
                "rate(({REQUESTS}[5m])",
                "rate({REQUESTS}{{a=}}[5m])",
            )
        ),
    ),
    "duration": ('"5m",\n', junk.filter(lambda s: not s.isdigit()).map(lambda s: f'"{s}x",\n')),
    "label name": (
        'Label("model_name"',
        st.sampled_from(("model-name", "__model", "1model", "model name", "le")).map(lambda s: f'Label("{s}"'),
    ),
    "alert name": ('"SvcOverloaded"', junk.map(lambda s: f'"svc {s}"')),
    "duplicate panel title": ('"Request rate"', st.just('"Load"')),
    "buckets": ("(0.1, 0.2, 0.5)", st.permutations((0.1, 0.2, 0.5, 0.5)).map(str)),
    "python error": (
        "STACK = Stack(",
        st.sampled_from(("1 / 0\nSTACK = Stack(", "undefined_name\nSTACK = Stack(", "STACK = Stack((")),
    ),
    "stack name": ('Stack("svc"', junk.map(lambda s: f'Stack("Svc {s}"')),
    "threshold step": ('LOAD_T["overloaded"]', st.sampled_from(WORDS).map(lambda w: f'LOAD_T["{w}"]')),
    # Wrong types, bounds and hostile values (issue 11): each a clean error at the user's line.
    "step value type": (
        'Step(0.8, "red", "overloaded")',
        st.sampled_from(('"0.8"', "True", 'float("nan")', 'float("inf")', "[0.8]")).map(
            lambda v: f'Step({v}, "red", "overloaded")'
        ),
    ),
    "string option type": (
        'runbook_base_url="https://runbooks.example.com/svc"',
        st.sampled_from(("5", "None", "b'x'", "['https://x']")).map(lambda v: f"runbook_base_url={v}"),
    ),
    "label values": ('("a", "b")', st.sampled_from(('("baseline")', '"ab"', '("a", 5)', "{'a': 1}", "42"))),
    "duration range": (
        '"5m",\n',
        st.integers(300, 10**30).map(lambda n: f'"{n}y",\n') | st.sampled_from(('"5m1h",\n', '"5m\\n",\n', '"",\n')),
    ),
    "zero interval": (
        'RuleGroup("svc.rules", "30s"',
        st.sampled_from(('"0s"', '"0"', '"0ms"', '"0m0s"')).map(lambda v: f'RuleGroup("svc.rules", {v}'),
    ),
    "trailing newline": ('"SvcOverloaded"', st.sampled_from(('"SvcOverloaded\\n"', '"SvcOverloaded\\r\\n"'))),
    "long stack name": ('Stack("svc"', st.integers(101, 400).map(lambda n: f'Stack("{"s" * n}"')),
    "exit in definitions": (
        "STACK = Stack(",
        st.sampled_from(
            ("import sys\nsys.exit(0)\nSTACK = Stack(", "raise SystemExit(3)\nSTACK = Stack(", "exit()\nSTACK = Stack(")
        ),
    ),
    "driver": (
        "panel=LOAD_PANEL),",
        st.sampled_from(("1 / 0", "exit(0)", "[]", "None", "{}['x']")).map(
            lambda body: f"panel=LOAD_PANEL, driver=lambda value: {body}),"
        ),
    ),
    "expression size": (
        "rate({REQUESTS}[5m])",
        st.integers(65, 3000).map(lambda n: "rate({REQUESTS}[5m]) + " + "(" * n + "1" + ")" * n)
        | st.integers(251, 7000).map(lambda n: "rate({REQUESTS}[5m])" + " + 1" * n),
    ),
}


@settings(PROPERTY, max_examples=200)  # ~9 examples per kind of mistake
@given(data=st.data(), mutation=st.sampled_from(sorted(MUTATIONS)))
def test_random_invalid_definitions_are_clean_errors_and_write_nothing(tmp_path_factory, cli, data, mutation):
    original, replacement = MUTATIONS[mutation]
    assert MINIMAL_STACK.count(original) >= 1, mutation
    work = tmp_path_factory.mktemp("bad")
    (work / "defs").mkdir()
    (work / "defs" / "svc.py").write_text(MINIMAL_STACK.replace(original, data.draw(replacement), 1))
    out = work / "generated"
    out.mkdir()
    (out / "keep.txt").write_text("before")
    result = cli(["generate", "-d", work / "defs", "--out", out], cwd=work)
    assert result.exit_code == 2, (mutation, result.output)
    assert "Traceback" not in result.output and "nothing was written" in result.output
    assert result.output.startswith("error: ")
    assert tree(out) == {"keep.txt": b"before"}
    assert sorted(p.name for p in work.iterdir()) == ["defs", "generated"]


def test_the_unmutated_definitions_generate(cli, tmp_path):
    """Control for the property above: without a mutation the same file generates (exit 0)."""
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "svc.py").write_text(MINIMAL_STACK)
    assert cli(["generate", "-d", tmp_path / "defs", "--out", tmp_path / "generated"], cwd=tmp_path).exit_code == 0


@PROPERTY
@given(
    title=st.text(min_size=1, max_size=40).filter(lambda t: t.strip())
    | st.sampled_from(("../../x", "..", "/etc/passwd", "a/../../b", "..\\..\\x", "~/x", "con", "\x00"))
)
def test_any_dashboard_title_stays_inside_the_output_folder(tmp_path_factory, title):
    from monitoring.render.grafana import render_dashboards

    stack = Stack("svc", metrics=(), dashboards=(Dashboard(title, rows=()),))
    [uid] = render_dashboards(stack)
    out = tmp_path_factory.mktemp("titles") / "gen"
    write_tree(out, {f"grafana/dashboards/{uid}.json": b"{}"})
    [written] = [p for p in out.rglob("*") if p.is_file()]
    assert written.resolve().parent == (out / "grafana" / "dashboards").resolve()
