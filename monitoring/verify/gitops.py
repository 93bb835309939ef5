"""`monitoring test` suite: the GitOps outputs (generated/kubernetes/, mimir/, thanos/), checked offline.

What promtool and amtool proved of the plain files carries over only if the derived files hold the same
thing, so that is checked here, not assumed:
- every Kubernetes resource against its schema (kubernetes_schemas.py), names, sizes, unique names;
- PrometheusRule ``spec.groups`` == the plain rule file's ``groups``; dashboard ConfigMaps (and embedded
  GrafanaDashboards) hold the plain dashboard file's text; configMapRefs resolve;
- the Alertmanager Secret: its config differs from alertmanager.yml only in template and credential paths;
  ``amtool check-config`` passes with its templates at the operator's mount path (a private mount namespace
  lays them over /etc); every routing test of routing-tests.json routes the same with it; credential files
  sit where an Alertmanager CR's ``spec.secrets`` mounts them;
- kustomization.yaml lists exactly the resources;
- Mimir and Thanos files: ``promtool check rules`` on a copy without the fields promtool does not know
  (``namespace``, ``source_tenants``, ``partial_response_strategy``), groups equal to the plain files',
  the deploy policy's limits, and its per-group settings naming groups that exist.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import yaml

from monitoring.errors import DefinitionError
from monitoring.render.kubernetes import CONFIGMAP_LIMIT, PROMETHEUS_RULE_LIMIT
from monitoring.verify.alertmanager_secret import secret_checks
from monitoring.verify.kubernetes_schemas import name_problems, schema_problems
from monitoring.verify.report import SuiteResult
from monitoring.verify.shard import ALL, Shard
from monitoring.verify.tools import find_tool

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
COLUMNS = ("file", "check", "result")


class _Report:
    def __init__(self, result: SuiteResult):
        self.result = result

    def check(self, file: str, what: str, problems: list[str]) -> None:
        self.result.rows.append((file, what, "FAIL" if problems else "pass"))
        self.result.problems += [f"{file}: {what}: {problem}" for problem in problems]


def run(stacks, out_dir: Path, *, cache=None, shard: Shard = ALL, policies=None) -> SuiteResult:
    """``policies``: the folder whose deploy.yaml is checked (None: ./policies; `monitoring test --policies`)."""
    out = Path(out_dir)
    result = SuiteResult("GitOps outputs (Kubernetes and CRD schemas, promtool, amtool)", COLUMNS)
    if not shard.first:
        result.summary = f"shard {shard}: the GitOps suite (estate-wide files) runs in shard 1/{shard.count}"
        return result
    report = _Report(result)
    try:
        policy = _deploy_policy(policies)
    except DefinitionError as error:
        policy = None
        report.check("policies/deploy.yaml", "loads", [error.format()])
    if policy is not None and policy.document is not None:  # no deploy.yaml: no settings to check
        report.check(_policy_name(policy), "per-group settings name existing groups", _group_problems(policy, stacks))
    _kubernetes(out, report)
    _rulers(out, report, policy)
    if not result.rows:  # a deploy.yaml, even one without targets, has its group check's row
        result.summary = "no deploy.yaml in the policies folder: no GitOps targets to check"
    else:
        passed = sum(row[-1] == "pass" for row in result.rows)
        result.summary = f"{passed}/{len(result.rows)} checks pass"
    result.ok = not result.problems
    return result


def _deploy_policy(policies):
    from monitoring.pipeline.deploy import load_deploy_policy

    return load_deploy_policy(policies)


def _policy_name(policy) -> str:
    return policy.document.file if policy.document else "policies/deploy.yaml"


def _group_problems(policy, stacks) -> list[str]:
    from monitoring.pipeline.deploy import check_against_stacks

    try:
        check_against_stacks(policy, stacks)
    except DefinitionError as error:
        return [error.format()]
    return []


def _load(path: Path):
    return yaml.load(path.read_bytes(), Loader=_Loader)


# Kubernetes ------------------------------------------------------------------------------------------------


def _kubernetes(out: Path, report: _Report) -> None:
    folder = out / "kubernetes"
    if not folder.is_dir():
        return
    resources: dict[str, dict] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            name = path.relative_to(out).as_posix()
            resources[name] = _load(path)
            report.check(name, "schema", schema_problems(resources[name]))
    kustomization = resources.pop("kubernetes/kustomization.yaml", None)
    if kustomization is None:
        report.check("kubernetes/kustomization.yaml", "exists", ["missing (run `monitoring generate`)"])
    else:
        report.check(
            "kubernetes/kustomization.yaml", "lists every resource", _listing_problems(kustomization, resources)
        )
    identities = Counter(
        (r.get("kind"), r.get("metadata", {}).get("namespace"), r.get("metadata", {}).get("name"))
        for r in resources.values()
    )
    for name, resource in resources.items():
        size = (out / name).stat().st_size
        problems = name_problems(resource)
        key = (resource.get("kind"), resource["metadata"].get("namespace"), resource["metadata"].get("name"))
        if identities[key] > 1:
            problems.append(f"another file also defines {key[0]} {key[1]}/{key[2]}")
        report.check(name, "names (DNS-1123, labels, keys; unique)", problems)
        kind = resource.get("kind")
        if kind == "PrometheusRule":
            report.check(name, f"size {size / 1024:.1f} KiB <= 512 KiB", _size(size, PROMETHEUS_RULE_LIMIT))
            report.check(name, "spec.groups == the plain rule file", _same_groups(out, name, resource))
        elif kind == "ConfigMap":
            report.check(name, f"size {size / 1024:.1f} KiB <= 1 MiB", _size(size, CONFIGMAP_LIMIT))
            report.check(name, "data == the plain dashboard files", _same_dashboards(out, resource.get("data", {})))
        elif kind == "GrafanaDashboard":
            report.check(name, "dashboard resolves to the plain file", _dashboard_source(out, resource, resources))
        elif kind == "Secret":
            for what, problems in secret_checks(out, resource):
                report.check(name, what, problems)


def _size(size: int, limit: int) -> list[str]:
    return [f"{size} bytes, above {limit}"] if size > limit else []


def _listing_problems(kustomization: dict, resources: dict) -> list[str]:
    listed = ["kubernetes/" + item for item in kustomization.get("resources", [])]
    problems = [f"lists {item}, which does not exist" for item in listed if item not in resources]
    problems += [f"{name} is not listed" for name in resources if name not in listed]
    return problems


def _same_groups(out: Path, name: str, resource: dict) -> list[str]:
    plain = out / "prometheus/rules" / (Path(name).stem + ".rules.yml")
    if not plain.is_file():
        return [f"{plain.relative_to(out)} is missing"]
    if _load(plain)["groups"] != resource["spec"]["groups"]:
        return [f"spec.groups differs from {plain.relative_to(out)}"]
    return []


def _same_dashboards(out: Path, data: dict) -> list[str]:
    problems = []
    for key, text in data.items():
        plain = out / "grafana/dashboards" / key
        if not plain.is_file():
            problems.append(f"{key}: grafana/dashboards/{key} is missing")
        elif plain.read_text() != text:
            problems.append(f"{key} differs from grafana/dashboards/{key}")
    return problems


def _dashboard_source(out: Path, resource: dict, resources: dict) -> list[str]:
    spec = resource.get("spec", {})
    if "json" in spec:
        matches = [p for p in (out / "grafana/dashboards").glob("*.json") if p.read_text() == spec["json"]]
        return [] if matches else ["spec.json is none of the plain dashboard files"]
    ref, namespace = spec.get("configMapRef", {}), resource["metadata"].get("namespace")
    for other in resources.values():
        meta = other.get("metadata", {})
        if other.get("kind") == "ConfigMap" and (meta.get("namespace"), meta.get("name")) == (
            namespace,
            ref.get("name"),
        ):
            return (
                []
                if ref.get("key") in other.get("data", {})
                else [f"ConfigMap {ref.get('name')} has no key {ref.get('key')}"]
            )
    return [f"no ConfigMap {namespace}/{ref.get('name')} among the resources"]


# Scaled-out rulers ------------------------------------------------------------------------------------------


def _rulers(out: Path, report: _Report, policy) -> None:
    mimir = policy.target("mimir") if policy else None
    for path in sorted((out / "mimir/rules").glob("*")) if (out / "mimir/rules").is_dir() else []:
        name = path.relative_to(out).as_posix()
        document = _load(path)
        namespace = document.get("namespace")
        problems = [] if isinstance(namespace, str) and namespace else ["no namespace"]
        if mimir is None:
            problems.append("policies/deploy.yaml has no mimir target (stale: run `monitoring generate`)")
        groups = [{k: v for k, v in g.items() if k != "source_tenants"} for g in document.get("groups", [])]
        report.check(name, "promtool check rules (without namespace, source_tenants)", _promtool({"groups": groups}))
        stack = namespace[len(mimir.get("namespace_prefix", "")) :] if mimir and namespace else ""
        report.check(name, "groups == the plain rule file", _plain_groups(out, stack, groups) + problems)
        report.check(name, "tenant limits", _limit_problems(document, (mimir or {}).get("limits", {})))
    for path in sorted((out / "thanos/rules").glob("*")) if (out / "thanos/rules").is_dir() else []:
        name = path.relative_to(out).as_posix()
        groups = _load(path).get("groups", [])
        strategies = [g["partial_response_strategy"] for g in groups if "partial_response_strategy" in g]
        bad = [
            f"partial_response_strategy {s!r} is not warn or abort" for s in strategies if s not in ("warn", "abort")
        ]
        plain = [{k: v for k, v in g.items() if k != "partial_response_strategy"} for g in groups]
        report.check(name, "promtool check rules (without partial_response_strategy)", _promtool({"groups": plain}))
        report.check(
            name, "groups == the plain rule file", _plain_groups(out, path.name[: -len(".rules.yml")], plain) + bad
        )


def _plain_groups(out: Path, stack: str, groups: list) -> list[str]:
    plain = out / "prometheus/rules" / f"{stack}.rules.yml"
    if not plain.is_file():
        return [f"prometheus/rules/{stack}.rules.yml is missing"]
    return [] if _load(plain)["groups"] == groups else [f"groups differ from prometheus/rules/{stack}.rules.yml"]


def _limit_problems(document: dict, limits: dict) -> list[str]:
    problems = []
    most = limits.get("rules_per_group")
    for group in document.get("groups", []):
        if most is not None and len(group.get("rules", [])) > most:
            problems.append(f"group {group['name']!r} has {len(group['rules'])} rules, above {most}")
    most = limits.get("groups_per_namespace")
    if most is not None and len(document.get("groups", [])) > most:
        problems.append(f"{len(document['groups'])} groups, above {most}")
    return problems


def _promtool(document: dict) -> list[str]:
    from monitoring.pipeline.serialize import yaml_bytes

    with tempfile.NamedTemporaryFile(suffix=".yml", prefix="gitops-rules-") as copy:
        copy.write(yaml_bytes(document))
        copy.flush()
        run = subprocess.run([find_tool("promtool"), "check", "rules", copy.name], capture_output=True, text=True)
    return [] if run.returncode == 0 else [(run.stdout + run.stderr).strip()]
