"""GitOps outputs: every target in the A/B project's generated/, derived from the plain files, and checked.

The GitOps suite of `monitoring test` must pass on what `generate` writes and fail on each kind of damage;
the size rules refuse or warn as prometheus-operator and Kubernetes would; the secrets guard sees the new files.
"""

import shutil

import pytest
import yaml
from conftest import MINIMAL_STACK, ROOT, tree

from monitoring.errors import DefinitionError
from monitoring.pipeline.deploy import load_deploy_policy
from monitoring.render import estate
from monitoring.verify import gitops

GENERATED = ROOT / "generated"
TARGET_FILES = (
    "kubernetes/prometheusrules/ab-test.yaml",
    "kubernetes/grafana/ab-test-model-comparison.yaml",
    "kubernetes/grafana/ab-test-model-comparison.grafanadashboard.yaml",
    "kubernetes/alertmanager/secret.yaml",
    "kubernetes/kustomization.yaml",
    "mimir/rules/ml-ab-test.yaml",
    "thanos/rules/ab-test.rules.yml",
)


def load(path):
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def stacks():
    return estate.load()


@pytest.fixture
def out(tmp_path):
    """A copy of the committed generated/ tree, to damage."""
    shutil.copytree(GENERATED, tmp_path / "generated")
    return tmp_path / "generated"


def test_the_ab_project_has_every_target():
    files = tree(GENERATED)
    for name in TARGET_FILES:
        assert name in files, name
    readme = files["README.md"].decode()
    for output in estate.OUTPUTS:
        if output.description:
            assert f"- `{output.path}`: {output.description}\n" in readme


def test_targets_hold_the_plain_documents():
    rule = load(GENERATED / "kubernetes/prometheusrules/ab-test.yaml")
    assert rule["spec"]["groups"] == load(GENERATED / "prometheus/rules/ab-test.rules.yml")["groups"]
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    configmap = load(GENERATED / "kubernetes/grafana/ab-test-model-comparison.yaml")
    plain = (GENERATED / "grafana/dashboards/ab-test-model-comparison.json").read_text()
    assert configmap["data"] == {"ab-test-model-comparison.json": plain}
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert configmap["metadata"]["annotations"] == {"grafana_folder": "Generated"}
    secret = load(GENERATED / "kubernetes/alertmanager/secret.yaml")
    config = yaml.safe_load(secret["stringData"]["alertmanager.yaml"])
    assert config["templates"] == ["/etc/alertmanager/config/*.tmpl"]
    assert secret["stringData"]["monitoring.tmpl"] == (GENERATED / "alertmanager/templates/monitoring.tmpl").read_text()
    assert config["receivers"][0]["pagerduty_configs"][0]["routing_key_file"] == (
        "/etc/alertmanager/secrets/alertmanager-credentials/pagerduty-routing-key"
    )
    mimir = load(GENERATED / "mimir/rules/ml-ab-test.yaml")
    assert mimir["namespace"] == "ml-ab-test" and [g["name"] for g in mimir["groups"]] == [
        "ab_test.recording",
        "ab_test.alerts",
        "ab_test.meta",
    ]
    thanos = load(GENERATED / "thanos/rules/ab-test.rules.yml")
    assert [g["partial_response_strategy"] for g in thanos["groups"]] == ["warn", "abort", "abort"]


def test_the_gitops_suite_passes_on_generated(stacks, out):
    result = gitops.run(stacks, out)
    assert result.ok, "\n".join(result.problems)
    checks = {(row[0], row[1]) for row in result.rows}
    assert (
        "kubernetes/alertmanager/secret.yaml",
        "amtool check-config, templates at /etc/alertmanager/config",
    ) in checks
    assert ("kubernetes/prometheusrules/ab-test.yaml", "spec.groups == the plain rule file") in checks
    assert len(result.rows) >= 25


def _edit(path, old, new):
    text = path.read_text()
    assert old in text, f"{path.name} changed: update this case"
    path.write_text(text.replace(old, new, 1))


# case: (file, text in it, replacement, expected problem)
DAMAGE = {
    "a rule changed in the PrometheusRule only": (
        "kubernetes/prometheusrules/ab-test.yaml",
        "rate(ab_test_requests_total[5m])",
        "rate(ab_test_requests_total[10m])",
        "spec.groups differs from prometheus/rules/ab-test.rules.yml",
    ),
    "a field the CRD does not have": (
        "kubernetes/prometheusrules/ab-test.yaml",
        "  - interval: 30s\n",
        "  - interval: 30s\n    evaluation: fast\n",
        "Additional properties are not allowed ('evaluation' was unexpected)",
    ),
    "a PrometheusRule name that is no DNS-1123 name": (
        "kubernetes/prometheusrules/ab-test.yaml",
        "  name: ab-test\n",
        "  name: AB_test\n",
        "metadata.name 'AB_test' is not a DNS-1123 subdomain",
    ),
    "a ConfigMap field Kubernetes does not have": (
        "kubernetes/grafana/ab-test-model-comparison.yaml",
        "kind: ConfigMap\n",
        "kind: ConfigMap\ndatas: {}\n",
        "'datas' was unexpected",
    ),
    "a dashboard edited in the ConfigMap": (
        "kubernetes/grafana/ab-test-model-comparison.yaml",
        '"editable": true',
        '"editable": false',
        "ab-test-model-comparison.json differs from grafana/dashboards/ab-test-model-comparison.json",
    ),
    "a GrafanaDashboard pointing nowhere": (
        "kubernetes/grafana/ab-test-model-comparison.grafanadashboard.yaml",
        "    key: ab-test-model-comparison.json\n",
        "    key: other.json\n",
        "has no key other.json",
    ),
    "a broken template in the Secret": (
        "kubernetes/alertmanager/secret.yaml",
        '{{ define "monitoring.summary" -}}',
        '{{ define "monitoring.summary" -}}{{ .Oops ',
        "amtool check-config, templates at /etc/alertmanager/config: Checking",
    ),
    "a route changed in the Secret": (
        "kubernetes/alertmanager/secret.yaml",
        "      receiver: slack-data-science\n",
        "      receiver: slack-ml-alerts\n",
        "the routing tests expect ['slack-data-science']",
    ),
    "a credential file where no Secret mounts": (
        "kubernetes/alertmanager/secret.yaml",
        "/etc/alertmanager/secrets/alertmanager-credentials/pagerduty-routing-key",
        "/etc/alertmanager/pagerduty-routing-key",
        "/etc/alertmanager/pagerduty-routing-key is not /etc/alertmanager/secrets/<secret>/<key>",
    ),
    "a resource the kustomization does not list": (
        "kubernetes/kustomization.yaml",
        "- prometheusrules/ab-test.yaml\n",
        "",
        "kubernetes/prometheusrules/ab-test.yaml is not listed",
    ),
    "a Mimir rule promtool rejects": (
        "mimir/rules/ml-ab-test.yaml",
        "rate(ab_test_requests_total[5m])",
        "rate(ab_test_requests_total[5m]",
        "promtool check rules (without namespace, source_tenants): ",
    ),
    "a Thanos strategy Thanos does not know": (
        "thanos/rules/ab-test.rules.yml",
        "partial_response_strategy: warn",
        "partial_response_strategy: ignore",
        "partial_response_strategy 'ignore' is not warn or abort",
    ),
}


@pytest.mark.parametrize("case", DAMAGE)
def test_the_gitops_suite_fails_on_damage(case, stacks, out):
    file, old, new, problem = DAMAGE[case]
    _edit(out / file, old, new)
    result = gitops.run(stacks, out)
    assert not result.ok
    assert any(p.startswith(f"{file}: ") and problem in p for p in result.problems), "\n".join(result.problems)


def test_the_suite_checks_the_policy_group_names(stacks, out, tmp_path):
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    _edit(policies / "deploy.yaml", "ab_test.alerts: abort", "ab_test.alert: abort")
    result = gitops.run(stacks, out, policies=policies)
    assert any(
        f"deploy.yaml:{_line(policies / 'deploy.yaml', 'ab_test.alert:')}: "
        "targets.thanos.partial_response_strategy.ab_test.alert: no rule group is named 'ab_test.alert'" in p
        for p in result.problems
    ), result.problems


def test_monitoring_test_takes_the_policies_folder(cli, out, tmp_path, monkeypatch):
    """`monitoring test --policies DIR` checks DIR's deploy.yaml (as `generate --policies DIR` wrote from it), and a
    group name that is nearly right is answered with the right one, not a list of every group of the estate."""
    monkeypatch.delenv("MONITORING_POLICIES", raising=False)
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    _edit(policies / "deploy.yaml", "ab_test.alerts: abort", "ab_test.alert: abort")
    result = cli(["test", "--policies", policies, "--out", out, "--cache-dir", tmp_path / "cache"])
    assert result.exit_code == 1, result.output
    assert "no rule group is named 'ab_test.alert'" in result.output
    assert "hint: did you mean 'ab_test.alerts'?" in result.output
    assert cli(["test", "--out", out, "--cache-dir", tmp_path / "cache"]).exit_code == 0  # ./policies: as written


def _line(path, needle):
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_monitoring_test_runs_the_gitops_suite():
    """(`make test` runs `monitoring test` on generated/ itself; running it here again would only add time.)"""
    from monitoring.cli.test import TEST_SUITES

    assert "monitoring.verify.gitops:run" in TEST_SUITES


# Size rules, with fixtures of our own: a Text panel of generated notes makes the dashboard as large as needed.

DEPLOY_KUBERNETES = """\
targets:
  kubernetes:
    namespace: monitoring
"""
NOTIFICATIONS = """\
receivers:
  - {name: unrouted, slack_configs: [{channel: "#unrouted", api_url_file: /etc/am/slack-url}]}
  - {name: team, slack_configs: [{channel: "#alerts", api_url_file: /etc/am/slack-url}]}
route:
  receiver: unrouted
  routes: [{name: warnings, matchers: ['severity="warning"'], receiver: team}]
intents: [{name: warnings, matchers: ['severity="warning"'], receivers: [team]}]
"""


UID = "svc-overview-61bd2a23"  # the uid of MINIMAL_STACK's dashboard


def large_dashboard(kib: int) -> str:
    """MINIMAL_STACK with a Text panel of about ``kib`` KiB of notes on its dashboard."""
    notes = f'NOTES = Text("Notes", content="\\n".join(f"- note {{i}}: " + "x" * 90 for i in range({kib * 10})))\n'
    text = MINIMAL_STACK.replace("DASHBOARD = ", notes + "DASHBOARD = ")
    return text.replace("(LOAD_PANEL, RATE_PANEL)", "(LOAD_PANEL, RATE_PANEL, NOTES)")


def sized_project(tmp_path, definitions, kib):
    folder, _ = definitions(large_dashboard(kib))
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "deploy.yaml").write_text(DEPLOY_KUBERNETES)
    (policies / "notifications.yaml").write_text(NOTIFICATIONS)
    return folder, policies


def test_a_dashboard_above_256_kib_is_written_with_a_server_side_apply_warning(cli, definitions, tmp_path):
    folder, policies = sized_project(tmp_path, definitions, kib=300)
    out = tmp_path / "out"
    result = cli(["generate", "-d", folder, "--policies", policies, "-o", out])
    assert result.exit_code == 0, result.output
    configmap = out / f"kubernetes/grafana/{UID}.yaml"
    assert 256 * 1024 < configmap.stat().st_size < 1024 * 1024
    size = configmap.stat().st_size
    assert f"warning: kubernetes/grafana/{UID}.yaml: {size / 1024:.0f} KiB" in result.output
    assert "server-side" in result.output and "ServerSideApply=true" in result.output


def test_a_dashboard_above_1_mib_is_refused(cli, definitions, tmp_path):
    folder, policies = sized_project(tmp_path, definitions, kib=1100)
    out = tmp_path / "out"
    result = cli(["generate", "-d", folder, "--policies", policies, "-o", out])
    assert result.exit_code == 2, result.output
    assert f"{folder.name}/svc.py:" in result.output and f"dashboard '{UID}': its ConfigMap is" in result.output
    assert "above Kubernetes' 1024 KiB limit" in result.output and "hint: split the dashboard" in result.output
    assert not out.exists()


def test_a_prometheus_rule_above_512_kib_is_refused(definitions, tmp_path):
    """Only the PrometheusRule output is rendered here: 600 rules would take long to generate tests for."""
    matcher = "|".join(f"model-{i:04d}" for i in range(100))
    rules = "\n".join(
        f'    RecordingRule("model_name:svc_requests_{i}:rate5m", '
        f"f'sum by (model_name) (rate({{REQUESTS}}{{{{model_name=~\"{matcher}\"}}}}[5m]))'),"
        for i in range(600)
    )
    text = MINIMAL_STACK.replace('RuleGroup("svc.rules", "30s", (\n', f'RuleGroup("svc.rules", "30s", (\n{rules}\n')
    folder, _ = definitions(text)
    (stack,) = estate.load(folder)
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "deploy.yaml").write_text(DEPLOY_KUBERNETES)
    deploy = load_deploy_policy(policies)
    (output,) = [o for o in estate.OUTPUTS if o.path == "kubernetes/prometheusrules/*.yaml"]
    with pytest.raises(DefinitionError) as raised:
        output.files(estate.StackDocuments(stack, deploy))
    message = raised.value.format()
    assert "svc.py:" in message and "stack 'svc': its PrometheusRule is" in message
    assert "above prometheus-operator's 512 KiB limit per rule file" in message and "split the stack" in message


def test_the_secrets_guard_scans_the_kubernetes_files(cli, definitions, tmp_path):
    """A credential in a dashboard is refused in the plain file and in the ConfigMap that carries it."""
    hook = "https://hooks.slack.com/services/T0000/B0000/abcdefghijklmnop"
    folder, policies = sized_project(tmp_path, definitions, kib=1)
    file = folder / "svc.py"
    file.write_text(file.read_text().replace('Text("Notes", content=', f'Text("Notes", description="{hook}", content='))
    result = cli(["generate", "-d", folder, "--policies", policies, "-o", tmp_path / "out"])
    assert result.exit_code == 2, result.output
    assert f"(rendered) grafana/dashboards/{UID}.json" in result.output
    assert f"(rendered) kubernetes/grafana/{UID}.yaml:" in result.output
    assert "abcdefghijklmnop" not in result.output and not (tmp_path / "out").exists()


def test_optional_settings_render_and_pass_the_suite(cli, stacks, tmp_path):
    """source_tenants (federated rule groups) and a GrafanaDashboard embedding the JSON, checked as the rest."""
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    limit, selector = "      groups_per_namespace: 70\n", "          dashboards: grafana\n"
    _edit(policies / "deploy.yaml", limit, limit + "    source_tenants:\n      ab_test.recording: [team-a, team-b]\n")
    _edit(policies / "deploy.yaml", selector, selector + "        embed_json: true\n")
    out = tmp_path / "out"
    assert cli(["generate", "--policies", policies, "--out", out]).exit_code == 0
    groups = load(out / "mimir/rules/ml-ab-test.yaml")["groups"]
    assert [g.get("source_tenants") for g in groups] == [["team-a", "team-b"], None, None]
    resource = load(out / "kubernetes/grafana/ab-test-model-comparison.grafanadashboard.yaml")
    assert resource["spec"]["json"] == (GENERATED / "grafana/dashboards/ab-test-model-comparison.json").read_text()
    assert "configMapRef" not in resource["spec"]
    result = gitops.run(stacks, out, policies=policies)
    assert result.ok, "\n".join(result.problems)
