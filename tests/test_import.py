"""`monitoring import rules`: rule files -> definitions files that load, lint clean, are formatted, and render
every rule back as it was written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from monitoring.adopt.roundtrip import compare_rules
from monitoring.adopt.rule_files import read_rule_file
from monitoring.cli.main import main
from monitoring.model import COUNTER, GAUGE, HISTOGRAM, Alert, RawCondition, RecordingRule, Stack, raw
from monitoring.pipeline.discovery import load_stacks
from monitoring.pipeline.validate import validate
from monitoring.promql.catalog import infer_catalog
from monitoring.render.prometheus import render_rules
from monitoring.verify.tools import find_tool

FIXTURES = Path(__file__).parent / "fixtures" / "import"
RUFF = Path(sys.executable).parent / "ruff"


@pytest.fixture
def imported(tmp_path) -> Path:
    out = tmp_path / "definitions"
    result = CliRunner().invoke(main, ["import", "rules", str(FIXTURES / "api.rules.yml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_every_rule_comes_back_as_written(imported):
    stacks = load_stacks(imported)
    validate(stacks)
    preserved, total, problems = compare_rules(
        read_rule_file(FIXTURES / "api.rules.yml", "api"), render_rules(stacks[0])
    )
    assert problems == []
    assert (preserved, total) == (6, 6)


def test_the_definitions_reference_objects_and_thresholds(imported):
    source = (imported / "api.py").read_text()
    assert source.startswith(f'"""Imported by `monitoring import rules` from\n{FIXTURES / "api.rules.yml"}\n')
    assert "rate({HTTP_REQUESTS_TOTAL}" in source  # metrics referenced by object
    assert "/ {JOB_HTTP_REQUESTS_RATE5M}" in source  # and recording rules too
    assert 'above(JOB_HTTP_ERRORS_RATIO5M, HIGH_ERROR_RATIO_T["firing"])' in source
    assert 'Condition(JOB_HTTP_LATENCY_SECONDS_P99, ">=", SLOW_REQUESTS_T["firing"])' in source
    assert 'equal_to(f\'{UP}{{job="api"}}\', API_DOWN_T["firing"])' in source  # == is a condition too


def test_the_definitions_are_formatted_and_lint_clean(imported):
    assert (
        subprocess.run([RUFF, "format", "--isolated", "--line-length", "120", "--check", str(imported)]).returncode == 0
    )
    assert (
        subprocess.run(
            [RUFF, "check", "--isolated", "--line-length", "120", "--select", "E,F,W,I", str(imported)]
        ).returncode
        == 0
    )
    result = CliRunner().invoke(main, ["lint", "-d", str(imported)])
    assert result.exit_code == 0, result.output


def test_an_imported_estate_generates_with_passing_tests_for_every_rule(imported, tmp_path):
    """The import infers the catalog `monitoring testgen` tests with (a ratio's `status="error"` gets a value
    no matcher names, so not every series is an error) and turns `up == 0` into a condition, not raw(): the
    imported definitions generate, and promtool passes their tests."""
    policies = tmp_path / "policies"
    args = ["import", "alertmanager", str(FIXTURES / "alertmanager.yml"), "-o", str(policies)]
    assert CliRunner().invoke(main, args).exit_code == 0
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["generate", "-d", str(imported), "-o", str(out), "--policies", str(policies)])
    assert result.exit_code == 0, result.output
    tests = out / "prometheus/tests/api.test.yml"
    promtool = find_tool("promtool")
    assert subprocess.run([promtool, "test", "rules", str(tests)], capture_output=True).returncode == 0
    asserted = {
        t["alertname"] for g in yaml.safe_load(tests.read_text())["tests"] for t in g.get("alert_rule_test", [])
    }
    assert asserted == {"HighErrorRatio", "SlowRequests", "ApiDown"}


def test_a_raw_condition_is_driven_as_monitoring_testgen_drives_a_rule_files_alert(tmp_path):
    """raw() (what the import keeps) is read as the condition it is, or, with no comparison, tested as firing for
    the series it returns; `{{ $labels }}` prints the result series' labels, `__name__` included (up == 0 keeps
    it). Where it is neither, the error says why and asks for Scenarios."""
    from monitoring.errors import DefinitionError
    from monitoring.model import Label, Metric, RuleGroup
    from monitoring.render.promtool_tests import render_rule_tests

    up = Metric("up", GAUGE, "Scrape target up.", labels=(Label("job", ("api",)),), external=True)
    kw = {"summary": "s", "description": "LABELS = {{ $labels }}"}
    alerts = (
        Alert("ApiDown", raw(f'{up}{{job="api"}} == 0 and {up}{{job="api"}} < 2'), "1m", "critical", **kw),
        Alert("ApiSeen", raw(f'max by (job) ({up}{{job="api"}})'), "1m", "warning", **kw),
    )
    stack = Stack("s", metrics=(up,), groups=(RuleGroup("g", "1m", alerts),))
    tests = _tests_promtool_passes(stack, tmp_path)
    fired = [a for g in tests["tests"] for t in g["alert_rule_test"] for a in t["exp_alerts"]]
    assert any("__name__:up" in a["exp_annotations"]["description"] for a in fired)  # up == 0 keeps the name
    odd = Alert("Odd", raw(f"{up} == 0 or absent({up})"), "1m", "critical", summary="s", description="d")
    stack = Stack("s", metrics=(up,), groups=(RuleGroup("g", "1m", (odd,)),))
    with pytest.raises(DefinitionError, match="Odd: the test generator cannot drive this raw condition"):
        render_rule_tests(stack, "s.rules.yml")


@pytest.mark.parametrize(
    "name, message",
    [
        ("not-rules.yml", "not-rules.yml:1: not a Prometheus rule file"),
        ("bad-promql.yml", "bad-promql.yml:5: PromQL syntax error at column 22"),
    ],
)
def test_bad_input_is_located_and_nothing_is_written(tmp_path, name, message):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["import", "rules", str(FIXTURES / "api.rules.yml"), str(FIXTURES / name), "-o", str(out)]
    )
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_existing_files_are_not_replaced_without_force(imported):
    args = ["import", "rules", str(FIXTURES / "api.rules.yml"), "-o", str(imported)]
    assert CliRunner().invoke(main, args).exit_code == 2
    assert CliRunner().invoke(main, args + ["--force"]).exit_code == 0


def test_catalog_types_labels_and_values_from_expressions():
    metrics = {
        m.name: m
        for m in infer_catalog(
            [
                'histogram_quantile(0.9, sum by (le) (rate(req_seconds_bucket{le="0.5", job="api"}[5m])))',
                "sum by (instance) (rate(node_cpu{mode='idle'}[5m])) / on (instance) machine_cpus",
                "rate(errors_total[5m]) > 0 and x:recorded:rate5m",
            ],
            recorded=["x:recorded:rate5m"],
        )
    }
    assert sorted(metrics) == ["errors_total", "machine_cpus", "node_cpu", "req_seconds"]
    assert metrics["req_seconds"].type is HISTOGRAM and metrics["req_seconds"].buckets == (0.5,)
    assert metrics["node_cpu"].type is COUNTER  # no _total, but read by rate()
    assert metrics["machine_cpus"].type is GAUGE and metrics["machine_cpus"].label_names == ("instance",)
    assert metrics["node_cpu"].label("mode").values == ("idle",)
    assert metrics["req_seconds"].label_names == ("job",)  # le is the histogram's own


def test_a_raw_condition_renders_its_expression_as_is():
    alert = Alert("Down", raw('up{job="api"} == 0'), "1m", "critical", summary="s", description="d")
    assert isinstance(alert.condition, RawCondition)
    rendered = render_rules(Stack("s", metrics=(), groups=()))
    assert rendered == {"groups": []}
    from monitoring.model import RuleGroup

    stack = Stack("s", metrics=(), groups=(RuleGroup("g", "1m", (alert,)),))
    assert render_rules(stack)["groups"][0]["rules"][0]["expr"] == 'up{job="api"} == 0'


def test_a_dashboard_comes_back_with_its_queries_units_and_thresholds(tmp_path):
    from monitoring.adopt.dashboards import read_dashboard
    from monitoring.adopt.roundtrip import compare_dashboard
    from monitoring.pipeline.schema import schema_errors
    from monitoring.render.grafana import render_dashboards

    source = FIXTURES / "service.json"
    out = tmp_path / "definitions"
    result = CliRunner().invoke(main, ["import", "dashboards", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "approximated: panel 'Latency heatmap': kind 'heatmap', kept as a RawPanel" in result.output
    stacks = load_stacks(out)
    validate(stacks)
    (rendered,) = render_dashboards(stacks[0]).values()
    assert compare_dashboard(read_dashboard(source, "s"), rendered) == (3, 3, [])
    heatmap = next(p for p in rendered["panels"] if p["type"] == "heatmap")
    # The project's schema (schemaVersion 42, no legacy keys) knows the model's kinds only: the raw panel is the
    # one exception, and it keeps only keys of Grafana's current Panel (the strict schema is checked in ci_checks)
    position = rendered["panels"].index(heatmap)
    assert [e.split(":")[0] for e in schema_errors(rendered)] == [f"panels/{position}"]
    assert set(heatmap) == {"type", "title", "datasource", "targets", "id", "gridPos"}
    assert heatmap["targets"][0]["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    variable = next(v for v in rendered["templating"]["list"] if v["name"] == "job")
    assert variable["query"] == "label_values(up, job)" and "current" not in variable
    assert subprocess.run([RUFF, "format", "--isolated", "--line-length", "120", "--check", str(out)]).returncode == 0
    assert CliRunner().invoke(main, ["lint", "-d", str(out)]).exit_code == 0


def test_a_dashboard_that_is_not_json_is_located(tmp_path):
    args = ["import", "dashboards", str(FIXTURES / "not-json.json"), "-o", str(tmp_path / "out")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "not-json.json:4:1: not JSON" in result.output
    assert not (tmp_path / "out").exists()


def test_an_alertmanager_config_routes_the_same_without_credentials(tmp_path):
    import yaml

    from monitoring.adopt.routes_compare import compare_routing, intent_problems, label_sets
    from monitoring.alertmanager.policy import load_notification_policy
    from monitoring.alertmanager.routing import route_from_config
    from monitoring.render.alertmanager import render_config
    from monitoring.verify.routing_tests import amtool_receivers
    from monitoring.verify.tools import find_tool

    source = FIXTURES / "alertmanager.yml"
    policies = tmp_path / "policies"
    result = CliRunner().invoke(main, ["import", "alertmanager", str(source), "-o", str(policies)])
    assert result.exit_code == 0, result.output
    assert "secret to place: /etc/alertmanager/secrets/oncall-pager-pagerduty-routing-key" in result.output
    text = (policies / "notifications.yaml").read_text()
    assert "0123456789abcdef" not in text and "hooks.slack.com" not in text
    policy = load_notification_policy(policies)  # schema, references and the secrets guard
    assert policy.data["inhibitions"][0]["target_matchers"] == ['severity=~"warning|info"']
    generated = tmp_path / "alertmanager.yml"
    generated.write_text(yaml.safe_dump(render_config(policy.data)))
    amtool = find_tool("amtool")
    sets = label_sets(route_from_config(yaml.safe_load(source.read_text())["route"]))
    assert len(sets) >= 12
    renamed = {"team-slack": "Team-Slack", "team-slack-unrouted": "Team-Slack"}
    receivers_of = lambda config, labels: amtool_receivers(amtool, config, labels)
    assert compare_routing(receivers_of, source, generated, renamed, sets) == []
    # the intents say what the tree does, continue included: critical api alerts reach both receivers
    assert intent_problems(policy, sets) == (8, [])
    assert {
        "matchers": ['severity="critical"', 'service=~"^(api|web)$"'],
        "receivers": ["oncall-pager", "team-slack"],
    }.items() <= policy.data["intents"][0].items()


def test_an_alertmanager_config_amtool_rejects_is_not_imported(tmp_path):
    out = tmp_path / "policies"
    result = CliRunner().invoke(
        main, ["import", "alertmanager", str(FIXTURES / "alertmanager-bad.yml"), "-o", str(out)]
    )
    assert result.exit_code == 2
    assert "alertmanager-bad.yml:1: amtool rejects the config" in result.output
    assert 'undefined receiver "nobody"' in result.output
    assert not out.exists()


def test_lint_takes_an_exporters_labels_as_seen_not_as_all():
    """An external metric declares the labels the queries showed: lint may not conclude a label is impossible
    (or always there) from them, nor flag a histogram_quantile whose join adds a gauge's labels."""
    from monitoring.lint import lint_stacks, load_config
    from monitoring.model import RuleGroup

    inferred = infer_catalog(
        [
            "histogram_quantile(0.99, sum by (instance, le) (rate(pleg_seconds_bucket[5m]))"
            " * on (instance) group_left (node) node_name{job='kubelet'})"
        ]
    )
    rule = RecordingRule(
        "node_quantile:pleg_seconds:p99",
        "histogram_quantile(0.99, sum by (instance, le) (rate(pleg_seconds_bucket[5m]))"
        " * on (instance) group_left (node) node_name{job='kubelet'})",
        imported=True,
    )
    alert = Alert(
        "SlowPleg",
        raw(f"{rule} > 1"),
        "5m",
        "warning",
        summary="PLEG is slow on {{ $labels.node }}",
        description="{{ $labels.node }}",
        annotations={"runbook_url": "https://runbooks.example.com/slow-pleg"},
    )
    stack = Stack("kubelet", metrics=tuple(inferred), groups=(RuleGroup("kubelet", "1m", (rule, alert)),))
    findings = lint_stacks([stack], render_rules, load_config(None), ())
    assert [f.check for f in findings if f.severity == "error"] == []


def test_series_in_selectors_become_references_and_nothing_else():
    from monitoring.adopt.pysource import Ref
    from monitoring.adopt.references import joined, split_references

    names = {"up": "UP", "job:up:sum": "JOB_UP_SUM", "x_bucket": "X.bucket"}
    text = (
        'sum by (up) (up{job="up"}) / on (up) group_left (up) job:up:sum  # up\n'
        '+ rate(x_bucket[$__rate_interval]) + $up + label_replace(up, "up", "$1", "job", "(.*)") + up2'
    )
    pieces = split_references(text, names)
    assert joined(pieces, {code: name for name, code in names.items()}) == text
    assert [p.code for p in pieces if isinstance(p, Ref)] == ["UP", "JOB_UP_SUM", "X.bucket", "UP"]


@pytest.mark.parametrize(
    "text",
    [
        'a"b',
        "a'b",
        'a"b\'c"',
        "back\\slash",
        "{braces}",
        "multi\nline\n",
        'ends in "',
        "tab\there",
        "é ☃",
        'two\nlines "',
        'three """ quotes\n!',
    ],
)
def test_string_literals_evaluate_to_their_text(text):
    from monitoring.adopt.pysource import Ref, fstring, string

    assert eval(string(text)) == text
    assert eval(fstring(["(", Ref("NAME"), ")" + text]), {"NAME": "up"}) == "(up)" + text


def test_a_prometheusrule_manifest_is_read_from_spec_groups(tmp_path):
    source = FIXTURES / "k8s-rules.yaml"
    out = tmp_path / "definitions"
    result = CliRunner().invoke(main, ["import", "rules", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "above(f'sum by (queue) ({QUEUE_DEPTH}{{queue=\"jobs\"}})'" in (out / "k8s_rules.py").read_text()
    stacks = load_stacks(out)
    validate(stacks)
    assert compare_rules(read_rule_file(source, "k8s"), render_rules(stacks[0])) == (1, 1, [])
    assert CliRunner().invoke(main, ["lint", "-d", str(out)]).exit_code == 0


def test_a_dashboard_from_the_http_api_is_unwrapped(tmp_path):
    import json

    exported = json.loads((FIXTURES / "service.json").read_text())
    wrapped = tmp_path / "from-api.json"
    wrapped.write_text(json.dumps({"dashboard": exported, "meta": {"slug": "service-overview"}}))
    out = tmp_path / "definitions"
    result = CliRunner().invoke(main, ["import", "dashboards", str(wrapped), "-o", str(out)])
    assert result.exit_code == 0, result.output
    (stack,) = load_stacks(out)
    assert stack.name == "from-api-dashboard"
    assert [p.title for p in stack.dashboards[0].panels()] == ["Requests", "Error ratio", "Latency heatmap"]


def test_a_group_without_interval_and_an_alert_without_for_keep_none(tmp_path):
    text = "groups:\n  - name: bare\n    rules:\n      - alert: Down\n        expr: up == 0\n"
    stack, source, _ = _imported(tmp_path, "bare.yml", text)
    (group,) = render_rules(stack)["groups"]
    assert "interval" not in group and "for" not in group["rules"][0]  # Prometheus' defaults, as in the source
    assert compare_rules(read_rule_file(source, "bare"), render_rules(stack)) == (1, 1, [])


def test_alerts_sharing_a_name_each_expect_the_others_alerts_too(tmp_path):
    """promtool checks every alert of a name at once (a warning and a critical `DiskFull` in one rule file):
    each generated case also expects what its sibling does on the same inputs."""
    from monitoring.model import Label, Metric, RuleGroup

    free = Metric("disk_free_ratio", GAUGE, "Free disk.", labels=(Label("job", ("db",)),), external=True)
    alerts = tuple(
        Alert("DiskFull", raw(f"{free} < {level}"), "5m", severity, summary="s", description="d", imported=True)
        for level, severity in ((0.2, "warning"), (0.05, "critical"))
    )
    stack = Stack("s", metrics=(free,), groups=(RuleGroup("g", "1m", alerts),))
    tests = _tests_promtool_passes(stack, tmp_path)
    both = [t for g in tests["tests"] for t in g["alert_rule_test"] if len(t["exp_alerts"]) == 2]
    assert both, "the critical's fires case expects the warning firing beside it"


def _tests_promtool_passes(stack: Stack, tmp_path: Path) -> dict:
    """The stack's generated tests, written beside its rules and run by the real promtool, which must pass."""
    from monitoring.pipeline.serialize import yaml_bytes
    from monitoring.render.promtool_tests import render_rule_tests

    tests = render_rule_tests(stack, "s.rules.yml")
    (tmp_path / "s.rules.yml").write_bytes(yaml_bytes(render_rules(stack)))
    (tmp_path / "s.test.yml").write_bytes(yaml_bytes(tests))
    run = subprocess.run([find_tool("promtool"), "test", "rules", str(tmp_path / "s.test.yml")], capture_output=True)
    assert run.returncode == 0, run.stdout.decode()
    return tests


def test_an_alert_without_for_generates_whatever_its_shape(tmp_path):
    """An imported alert keeps no `for` when its source sets none: a constant alert (a dead man's switch) and an
    alert sharing its name with another read it as 0 (they raised "'' is not a Prometheus duration", unlocated)."""
    stack, _, _ = _imported(
        tmp_path,
        "bare.yml",
        "groups:\n  - name: bare\n    rules:\n"
        "      - alert: Watchdog\n        expr: vector(1)\n"
        "      - alert: DiskFull\n        expr: disk_free_ratio < 0.2\n        labels: {severity: warning}\n"
        "      - alert: DiskFull\n        expr: disk_free_ratio < 0.05\n        labels: {severity: critical}\n",
    )
    tests = _tests_promtool_passes(stack, tmp_path)
    asserted = {t["alertname"] for g in tests["tests"] for t in g["alert_rule_test"]}
    assert asserted == {"Watchdog", "DiskFull"}


def _two_files_with_undrivable_alerts(tmp_path: Path) -> tuple[list[Path], Path]:
    """Two rule files, each with two alerts the generator cannot drive and one it can; a policies folder."""
    odd = "expr: up == 0 or absent(up)"  # neither one condition nor a plain series: NotDrivable
    for name in ("a", "b"):
        (tmp_path / f"{name}.yml").write_text(
            "groups:\n  - name: g\n    rules:\n"
            f"      - alert: {name.upper()}1\n        {odd}\n        labels: {{service: api}}\n"
            f"      - alert: {name.upper()}2\n        {odd}\n        labels: {{service: api}}\n"
            f"      - alert: {name.upper()}Fine\n        expr: up == 0\n        labels: {{service: api}}\n"
        )
    policies = tmp_path / "policies"
    args = ["import", "alertmanager", str(FIXTURES / "alertmanager.yml"), "-o", str(policies)]
    assert CliRunner().invoke(main, args).exit_code == 0
    return [tmp_path / "a.yml", tmp_path / "b.yml"], policies


def test_every_alert_the_generator_refuses_is_reported_in_one_run(tmp_path, monkeypatch):
    """Definitions with undrivable alerts in two files (imported without marking them untested): `generate`
    names all of them, each at its file:line, exit 2, nothing written; the same over forked workers."""
    from monitoring.adopt.rules import import_rule_files

    files, policies = _two_files_with_undrivable_alerts(tmp_path)
    definitions, out = tmp_path / "definitions", tmp_path / "generated"
    definitions.mkdir()
    for name, item in import_rule_files(files, untested=False).items():
        (definitions / name).write_text(item.source)
    for workers in ("1", "2"):
        monkeypatch.setenv("MONITORING_WORKERS", workers)
        monkeypatch.setattr("monitoring.pipeline.workers.MIN_STACKS_PER_WORKER", 1)
        run = CliRunner().invoke(
            main, ["generate", "-d", str(definitions), "-o", str(out), "--policies", str(policies)]
        )
        assert run.exit_code == 2, run.output
        refused = [line for line in run.output.splitlines() if "cannot drive this raw condition" in line]
        assert [line.split(": alert ")[1].split(":")[0] for line in refused] == ["A1", "A2", "B1", "B2"]
        assert all(line.removeprefix("error: ").startswith(f"{definitions}/") for line in refused), refused
        assert "Traceback" not in run.output and not out.exists()


def test_imported_alerts_read_the_catalog_as_monitoring_testgen_does(tmp_path):
    """The definitions keep the catalog's real types (a `_total` counter, a summary), and generation reads it as
    `monitoring testgen` does (monitoring/testgen/catalog_for_tests.py): a counter no rule rates moves as a gauge
    (only a restart brings uptime down), a summary read through `_sum`/`_count` is two counters. Both refused
    ("never crosses", "returns no series") before."""
    stack, _, _ = _imported(
        tmp_path,
        "shapes.yml",
        "groups:\n  - name: shapes\n    rules:\n"
        "      - alert: ApacheRestart\n        expr: apache_uptime_seconds_total / 60 < 1\n"
        "      - alert: QueueLagHigh\n"
        "        expr: rate(queue_lag_seconds_sum[5m]) / rate(queue_lag_seconds_count[5m]) > 0.5\n        for: 5m\n",
    )
    assert {m.name: m.type.name for m in stack.metrics} == {
        "apache_uptime_seconds_total": "COUNTER",
        "queue_lag_seconds": "SUMMARY",
    }
    tests = _tests_promtool_passes(stack, tmp_path)
    fired = {t["alertname"] for g in tests["tests"] for t in g["alert_rule_test"] if t["exp_alerts"]}
    assert fired == {"ApacheRestart", "QueueLagHigh"}


def test_the_import_marks_what_generate_cannot_test_and_monitoring_test_lists_it(tmp_path):
    """`import rules` generates each file's tests as `generate` would and marks the alerts it refuses
    `untested="reason"` (printed): the imported estate generates at once, its other alerts tested; `generate`
    notes the declared gaps and `monitoring test` passes, listing each with its reason at file:line."""
    files, policies = _two_files_with_undrivable_alerts(tmp_path)
    definitions, out = tmp_path / "definitions", tmp_path / "generated"
    run = CliRunner().invoke(main, ["import", "rules", *map(str, files), "-o", str(definitions)])
    assert run.exit_code == 0, run.output
    assert sum("untested: alert" in line and "cannot drive" in line for line in run.output.splitlines()) == 4
    (stack, _) = load_stacks(definitions)
    assert {a.name: bool(a.untested) for a in stack.alerts()} == {"A1": True, "A2": True, "AFine": False}
    run = CliRunner().invoke(main, ["generate", "-d", str(definitions), "-o", str(out), "--policies", str(policies)])
    assert run.exit_code == 0, run.output
    assert "note: 4 rules are declared untested" in run.output
    tested = {
        t["alertname"]
        for g in yaml.safe_load((out / "prometheus/tests/a.test.yml").read_text())["tests"]
        for t in g["alert_rule_test"]
    }
    assert tested == {"AFine"}
    args = ["test", "-d", str(definitions), "-o", str(out), "--policies", str(policies), "--no-cache"]
    run = CliRunner().invoke(main, args)
    assert run.exit_code == 0, run.output
    assert "2/6 rules covered by generated tests (33%); 4 declared untested" in run.output
    listed = [line for line in run.output.splitlines() if ": untested: " in line]
    assert len(listed) == 4 and all(".py:" in line and "cannot drive" in line for line in listed), listed


def test_recording_rules_without_a_value_on_the_healthy_dataset_get_testgens_datasets(tmp_path):
    """`up == 1` is empty on the healthy dataset (gauges mid-range) and a range over a recorded series needs the
    rule interval: such rules get the datasets `monitoring testgen` tries (testgen.recording), not a refusal."""
    stack, _, output = _imported(
        tmp_path,
        "records.yml",
        "groups:\n  - name: records\n    interval: 1m\n    rules:\n"
        "      - record: count:up1\n        expr: count without (instance) (up == 1)\n"
        "      - record: job:requests:increase1h\n        expr: sum by (job) (increase(requests_total[1h]))\n"
        "      - record: job:requests:avg30d\n        expr: avg_over_time(job:requests:increase1h[30d]) * 24\n",
    )
    assert "untested" not in output, output
    tests = _tests_promtool_passes(stack, tmp_path)
    asserted = {t["expr"].removesuffix(" * 1") for g in tests["tests"] for t in g.get("promql_expr_test", [])}
    assert asserted == {"count:up1", "job:requests:increase1h", "job:requests:avg30d"}


def _imported(tmp_path: Path, name: str, text: str) -> tuple[Stack, Path, str]:
    """``text`` written as the rule file ``name`` and imported by the CLI: its one stack, the source, the output."""
    source = tmp_path / name
    source.write_text(text)
    out = tmp_path / "definitions"
    run = CliRunner().invoke(main, ["import", "rules", str(source), "-o", str(out)])
    assert run.exit_code == 0, run.output
    (stack,) = load_stacks(out)
    return stack, source, run.output
