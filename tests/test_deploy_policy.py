"""Bad deploy policies (policies/deploy.yaml): a message naming file:line and key, exit code 2, nothing written."""

import shutil

import pytest
from conftest import ROOT, tree

from monitoring.render import estate
from monitoring.verify import gitops

DEPLOY = (ROOT / "policies" / "deploy.yaml").read_text()

# case: (text in the A/B deploy policy, its replacement, expected message, line marker in the new text)
CASES = {
    "unknown target": (
        "  thanos:  ",
        "  thanoss:  ",
        "targets.thanoss: unknown key 'thanoss'",
        "thanoss:",
    ),
    "unknown key in a target": (
        "    namespace_prefix: ml-\n",
        "    namespace_prefx: ml-\n",
        "targets.mimir.namespace_prefx: unknown key 'namespace_prefx'",
        "namespace_prefx",
    ),
    "bad namespace": (
        "    namespace: monitoring\n",
        "    namespace: Monitoring_NS\n",
        "targets.kubernetes.namespace: 'Monitoring_NS' is not valid: a Kubernetes name (DNS-1123 label)",
        "namespace: Monitoring_NS",
    ),
    "namespace too long": (
        "    namespace: monitoring\n",
        f"    namespace: {'m' * 64}\n",
        "targets.kubernetes.namespace: 'mmmm",
        "namespace: mmm",
    ),
    "bad label value": (
        "release: kube-prometheus-stack",
        "release: kube prometheus stack",
        "targets.kubernetes.prometheus_rules.labels.release: 'kube prometheus stack' is not valid: a Kubernetes label",
        "release: kube prometheus stack",
    ),
    "bad label key": (
        "app.kubernetes.io/managed-by: monitoring-as-code",
        "app.kubernetes.io/managed by: monitoring-as-code",
        "targets.kubernetes.labels.app.kubernetes.io/managed by: 'app.kubernetes.io/managed by' is not valid: "
        "a Kubernetes label key",
        "managed by:",
    ),
    "bad Secret name": (
        "secret_name: alertmanager-main",
        "secret_name: Alertmanager_Main",
        "targets.kubernetes.alertmanager.secret_name: 'Alertmanager_Main' is not valid: a Kubernetes object name",
        "secret_name: Alertmanager_Main",
    ),
    "bad partial response strategy": (
        "ab_test.alerts: abort",
        "ab_test.alerts: ignore",
        "targets.thanos.partial_response_strategy.ab_test.alerts: 'ignore' is not valid: warn or abort",
        "ab_test.alerts: ignore",
    ),
    "rules per group above the tenant's limit": (
        "rules_per_group: 20",
        "rules_per_group: 5",
        "targets.mimir.limits.rules_per_group: rule group 'ab_test.recording' (monitoring/definitions/ab_test.py:",
        "rules_per_group: 5",
    ),
    "groups per namespace above the tenant's limit": (
        "groups_per_namespace: 70",
        "groups_per_namespace: 1",
        "targets.mimir.limits.groups_per_namespace: namespace 'ml-ab-test' (stack 'ab-test', "
        "monitoring/definitions/ab_test.py:",
        "groups_per_namespace: 1",
    ),
    "a group no definition has": (
        "ab_test.recording: warn",
        "ab_test.recordings: warn",
        "targets.thanos.partial_response_strategy.ab_test.recordings: no rule group is named 'ab_test.recordings'",
        "ab_test.recordings: warn",
    ),
    "a credential file no Secret holds": (
        "        /etc/alertmanager/secrets/pagerduty-routing-key: {secret_name: alertmanager-credentials, "
        "key: pagerduty-routing-key}\n",
        "",
        "targets.kubernetes.alertmanager.credentials: the Alertmanager config reads "
        "/etc/alertmanager/secrets/pagerduty-routing-key (receivers.0.pagerduty_configs.0.routing_key_file)",
        "credentials:",
    ),
    "Mimir's Alertmanager": (
        "  thanos:  ",
        "  mimir_alertmanager: {}\n  thanos:  ",
        "targets.mimir_alertmanager: Mimir's Alertmanager reads its configuration from its API, with credentials "
        "inline",
        "mimir_alertmanager",
    ),
    "a literal credential": (
        "      folder: Generated\n",
        "      folder: Generated\n      token: abcdefgh12345678\n",
        "targets.kubernetes.grafana.token: holds a literal credential in 'token'",
        "token: abcdefgh",
    ),
}


def line_of(text, needle):
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def write_policies(folder, deploy_text):
    shutil.copytree(ROOT / "policies", folder)
    (folder / "deploy.yaml").write_text(deploy_text)
    return folder


@pytest.mark.parametrize("case", CASES)
def test_bad_deploy_policy(case, cli, tmp_path):
    old, new, message, marker = CASES[case]
    assert DEPLOY.count(old) == 1, "the A/B deploy policy changed: update this case"
    text = DEPLOY.replace(old, new)
    policies = write_policies(tmp_path / "policies", text)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous output")
    result = cli(["generate", "--policies", policies, "--out", out])
    assert result.exit_code == 2, result.output
    assert f"{policies}/deploy.yaml:{line_of(text, marker)}: {message}" in result.output
    assert "Traceback" not in result.output
    assert tree(out) == {"keep.txt": b"previous output"}
    if case == "a literal credential":
        assert "abcdefgh12345678" not in result.output


def test_check_reports_a_bad_deploy_policy_the_same_way(cli, tmp_path):
    policies = write_policies(
        tmp_path / "policies", DEPLOY.replace("groups_per_namespace: 70", "groups_per_namespace: 1")
    )
    result = cli(["check", "--policies", policies, "--out", ROOT / "generated"])
    assert result.exit_code == 2
    assert f"{policies}/deploy.yaml:{line_of(DEPLOY, 'groups_per_namespace')}: " in result.output


def test_without_a_deploy_policy_only_the_plain_files_are_written(cli, tmp_path):
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    (policies / "deploy.yaml").unlink()
    out = tmp_path / "out"
    assert cli(["generate", "--policies", policies, "--out", out]).exit_code == 0
    assert sorted({name.split("/")[0] for name in tree(out)}) == ["README.md", "alertmanager", "grafana", "prometheus"]
    assert "kubernetes/" not in (out / "README.md").read_text()
    plain = {name: data for name, data in tree(ROOT / "generated").items() if name in tree(out)}
    assert {name: data for name, data in tree(out).items() if name != "README.md"} == {
        name: data for name, data in plain.items() if name != "README.md"
    }
    suite = gitops.run(estate.load(), out, policies=policies)  # `monitoring test --policies`: nothing to check
    assert suite.ok and not suite.rows and "no deploy.yaml" in suite.summary


def test_a_target_switched_off_is_not_written(cli, tmp_path):
    text = DEPLOY[: DEPLOY.index("  mimir:")]  # kubernetes only
    out = tmp_path / "out"
    assert cli(["generate", "--policies", write_policies(tmp_path / "policies", text), "--out", out]).exit_code == 0
    names = tree(out)
    assert any(name.startswith("kubernetes/") for name in names)
    assert not any(name.startswith(("mimir/", "thanos/")) for name in names)
    readme = (out / "README.md").read_text()
    assert "`kubernetes/kustomization.yaml`" in readme and "mimir/" not in readme


def test_a_missing_group_hint_stays_one_short_line_on_an_estate():
    """Per-group settings naming no group: the near names if any, else the first ten of hundreds and a count."""
    from monitoring.pipeline.deploy import _groups_hint

    groups = {f"svc{n:04}.{kind}" for n in range(1, 101) for kind in ("alerts", "recording")}
    assert _groups_hint("svc0042.alert", groups) == "did you mean 'svc0042.alerts'?"
    hint = _groups_hint("payments.alerts", groups)
    assert hint.startswith("rule groups are: svc0001.alerts, svc0001.recording, ") and hint.endswith(" and 190 more")
    assert _groups_hint("payments.alerts", set()) == "the definitions have no rule groups"
