"""Kubernetes resources for prometheus-operator and Grafana, from the rendered rule files and dashboards.

Pure: the plain files' dicts and the deploy policy's ``kubernetes`` settings in, manifests out. A
PrometheusRule's ``spec.groups`` is the plain rule file's ``groups`` object itself, and a dashboard ConfigMap
holds the plain dashboard file's bytes, so what promtool and the dashboard schema checked is what deploys.
"""

from __future__ import annotations

import re

from monitoring.errors import DefinitionError
from monitoring.pipeline.serialize import GENERATED_HEADER, yaml_bytes

RULES_API = "monitoring.coreos.com/v1"
DASHBOARD_API = "grafana.integreatly.org/v1beta1"
KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"
SIDECAR_LABEL, FOLDER_ANNOTATION, FOLDER = "grafana_dashboard", "grafana_folder", "Generated"

# prometheus-operator packs rule files into ConfigMaps of at most half a Secret's size (512 KiB) and
# cannot place a larger PrometheusRule (prometheus-operator #6478).
PROMETHEUS_RULE_LIMIT = 512 * 1024
# A ConfigMap holds at most 1 MiB. Client-side `kubectl apply` also copies the object into the
# kubectl.kubernetes.io/last-applied-configuration annotation, limited to 256 KiB.
CONFIGMAP_LIMIT = 1024 * 1024
CLIENT_SIDE_APPLY_LIMIT = 256 * 1024


def k8s_name(name: str) -> str:
    """A Kubernetes object name from one of ours: stack names and uids may hold '_' and capitals."""
    return re.sub(r"[^a-z0-9.-]", "-", name.lower()).strip("-.")


def metadata(settings: dict, section: str, name: str, labels: dict | None = None, annotations=None) -> dict:
    """Namespace and labels: the section's own over the target's (``namespace``, ``labels``)."""
    own = settings.get(section) or {}
    out = {
        "name": name,
        "namespace": own.get("namespace") or settings["namespace"],
        "labels": {**settings.get("labels", {}), **own.get("labels", {}), **(labels or {})},
    }
    if not out["labels"]:
        del out["labels"]
    if annotations:
        out["annotations"] = annotations
    return out


def render_prometheus_rule(stack_name: str, rules: dict, settings: dict) -> dict:
    """A PrometheusRule whose spec.groups is the plain rule file's groups (the same object)."""
    return {
        "apiVersion": RULES_API,
        "kind": "PrometheusRule",
        "metadata": metadata(settings, "prometheus_rules", k8s_name(stack_name)),
        "spec": {"groups": rules["groups"]},
    }


def dashboard_configmap_name(uid: str) -> str:
    return k8s_name(f"grafana-dashboard-{uid}")


def render_dashboard_configmap(uid: str, dashboard_json: str, settings: dict) -> dict:
    """The Grafana sidecar's ConfigMap; ``dashboard_json`` is the plain dashboard file's text."""
    grafana = settings.get("grafana") or {}
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(
            settings,
            "grafana",
            dashboard_configmap_name(uid),
            labels={grafana.get("sidecar_label", SIDECAR_LABEL): "1"},
            annotations={grafana.get("folder_annotation", FOLDER_ANNOTATION): grafana.get("folder", FOLDER)},
        ),
        "data": {f"{uid}.json": dashboard_json},
    }


def render_grafana_dashboard(uid: str, dashboard_json: str, settings: dict) -> dict | None:
    """grafana-operator's GrafanaDashboard (when ``grafana.operator`` is set): the JSON inline or by ConfigMap."""
    grafana = settings.get("grafana") or {}
    operator = grafana.get("operator")
    if not operator:
        return None
    spec = {
        "instanceSelector": {"matchLabels": dict(operator["instance_selector"])},
        "folder": grafana.get("folder", FOLDER),
    }
    if operator.get("embed_json"):
        spec["json"] = dashboard_json
    else:
        spec["configMapRef"] = {"name": dashboard_configmap_name(uid), "key": f"{uid}.json"}
    return {
        "apiVersion": DASHBOARD_API,
        "kind": "GrafanaDashboard",
        "metadata": metadata(settings, "grafana", dashboard_configmap_name(uid)),
        "spec": spec,
    }


def check_prometheus_rule_size(stack, size: int) -> None:
    if size > PROMETHEUS_RULE_LIMIT:
        raise DefinitionError(
            f"stack {stack.name!r}: its PrometheusRule is {size / 1024:.0f} KiB, above prometheus-operator's "
            f"{PROMETHEUS_RULE_LIMIT // 1024} KiB limit per rule file",
            stack.origin,
            "split the stack's rule groups over several stacks (each becomes its own PrometheusRule)",
        )


def check_configmap_size(dashboard, size: int) -> None:
    if size > CONFIGMAP_LIMIT:
        raise DefinitionError(
            f"dashboard {dashboard.uid!r}: its ConfigMap is {size / 1024:.0f} KiB, above Kubernetes' "
            f"{CONFIGMAP_LIMIT // 1024} KiB limit",
            dashboard.origin,
            "split the dashboard into several dashboards (rows per dashboard)",
        )


def size_warnings(files: dict[str, bytes], folder: str = "kubernetes/grafana/") -> list[str]:
    """A ConfigMap above 256 KiB deploys only with server-side apply (client-side apply's annotation)."""
    return [
        f"{name}: {len(data) / 1024:.0f} KiB, above the {CLIENT_SIDE_APPLY_LIMIT // 1024} KiB that client-side "
        "`kubectl apply` can record; apply it server-side (Argo CD: ServerSideApply=true; Flux applies "
        "server-side; kubectl apply --server-side)"
        for name, data in sorted(files.items())
        if name.startswith(folder) and len(data) > CLIENT_SIDE_APPLY_LIMIT
    ]


def render_kustomization(resources: list[str]) -> dict:
    """Every resource by path, no generators: object names stay exactly as generated (no hash suffixes)."""
    return {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization", "resources": sorted(resources)}


# The Alertmanager Secret.
# The Secret prometheus-operator's Alertmanager CR reads: ``alertmanager.yaml`` plus the ``*.tmpl`` keys.
#
# Derived from the rendered Alertmanager config (the same dict as generated/alertmanager/alertmanager.yml).
# The operator mounts the Secret's keys at /etc/alertmanager/config/, so templates are referenced there; the
# Secrets in the CR's ``spec.secrets`` mount at /etc/alertmanager/secrets/<secret>/<key>, so every credential
# file the config names is moved to where the deploy policy says its Secret and key are. No credential value
# is ever written: only where to read it.

CONFIG_DIR = "/etc/alertmanager/config"
SECRETS_DIR = "/etc/alertmanager/secrets"
CONFIG_KEY = "alertmanager.yaml"


def secret_config(config: dict, policy) -> dict:
    """The config with templates at the mount path and credential files at their Secret mounts."""
    settings = policy.target("kubernetes")["alertmanager"]
    credentials = settings.get("credentials", {})

    def moved(node, path):
        if isinstance(node, dict):
            return {
                key: _file(value, path + (key,)) if key.endswith("_file") else moved(value, path + (key,))
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [moved(item, path + (i,)) for i, item in enumerate(node)]
        return node

    def _file(value, path):
        if value not in credentials:
            raise policy.error(
                ("kubernetes", "alertmanager", "credentials")
                if "credentials" in settings
                else ("kubernetes", "alertmanager"),
                f"the Alertmanager config reads {value} ({'.'.join(map(str, path))}), which no credentials entry maps "
                "to a Secret",
                f"add `{value}: {{secret_name: <Secret in the Alertmanager CR's spec.secrets>, key: <its key>}}`",
            )
        where = credentials[value]
        return f"{SECRETS_DIR}/{where['secret_name']}/{where['key']}"

    out = moved(config, ())
    out["templates"] = [f"{CONFIG_DIR}/*.tmpl"]
    return out


def render_alertmanager_secret(config: dict, templates: dict[str, str], policy) -> dict:
    """``templates``: file name -> text, as in generated/alertmanager/templates/."""
    settings = policy.target("kubernetes")
    data = {CONFIG_KEY: yaml_bytes(secret_config(config, policy), GENERATED_HEADER).decode()}
    data.update(templates)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": metadata(settings, "alertmanager", settings["alertmanager"]["secret_name"]),
        "stringData": data,
    }
