"""The GitOps suite's checks of the Alertmanager Secret (generated/kubernetes/alertmanager/secret.yaml).

The routing and template checks of the plain config carry over only if the Secret's config is the same but
for where it reads things from; that is checked, then proved with the tools: ``amtool check-config`` with the
templates at the operator's mount path (/etc/alertmanager/config/, laid over /etc in a private mount
namespace: nothing on the machine changes) and every routing test through ``amtool config routes test``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import yaml

from monitoring.verify.tools import find_tool

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CONFIG_DIR, SECRETS_DIR = "/etc/alertmanager/config", "/etc/alertmanager/secrets"


def _load(path: Path):
    return yaml.load(path.read_bytes(), Loader=_Loader)


def secret_checks(out: Path, resource: dict) -> list[tuple[str, list[str]]]:
    """(check, problems) for the Secret ``resource``; ``out``: the generated folder with the plain files."""
    data = resource.get("stringData") or {}
    if "alertmanager.yaml" not in data:
        return [("holds alertmanager.yaml", ["no alertmanager.yaml key"])]
    config = yaml.load(data["alertmanager.yaml"], Loader=_Loader)
    plain_file = out / "alertmanager/alertmanager.yml"
    plain = _load(plain_file) if plain_file.is_file() else None
    files = _credential_files(config)
    checks = [
        ("config == alertmanager.yml but for paths", _path_only_changes(plain, config)),
        ("credential files at spec.secrets mounts", _mount_problems(files)),
    ]
    with tempfile.TemporaryDirectory(prefix="gitops-am-") as tmp:
        root = Path(tmp)
        config_dir = root / "alertmanager/config"
        config_dir.mkdir(parents=True)
        for key, text in data.items():
            (config_dir / key).write_text(text)
        for path in files:  # empty stand-ins: where the CR mounts the credential Secrets
            if path.startswith(SECRETS_DIR + "/"):
                stand_in = root / path[len("/etc/") :]
                stand_in.parent.mkdir(parents=True, exist_ok=True)
                stand_in.touch()
        checks.append((f"amtool check-config, templates at {CONFIG_DIR}", _check_config(root, config, data)))
        checks.append(("routing-tests.json routes the same", _routing(out, config_dir / "alertmanager.yaml")))
    return checks


def _credential_files(node) -> list[str]:
    if isinstance(node, dict):
        return [
            item
            for key, value in node.items()
            for item in ([value] if key.endswith("_file") and isinstance(value, str) else _credential_files(value))
        ]
    if isinstance(node, list):
        return [item for value in node for item in _credential_files(value)]
    return []


def _path_only_changes(plain, config) -> list[str]:
    if plain is None:
        return ["alertmanager/alertmanager.yml is missing"]
    mapping: dict[str, str] = {}
    problems: list[str] = []

    def compare(a, b, path):
        if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
            for key in a:
                if key.endswith("_file") and isinstance(a[key], str) and isinstance(b[key], str):
                    if mapping.setdefault(a[key], b[key]) != b[key]:
                        problems.append(f"{path}.{key}: {a[key]} is moved to two different places")
                elif path == "" and key == "templates":
                    if b[key] != [f"{CONFIG_DIR}/*.tmpl"]:
                        problems.append(f"templates: {b[key]} instead of {CONFIG_DIR}/*.tmpl")
                else:
                    compare(a[key], b[key], f"{path}.{key}")
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                compare(x, y, f"{path}[{i}]")
        elif a != b:
            problems.append(f"{path or '(root)'} differs")

    compare(plain, config, "")
    return problems


def _mount_problems(files: list[str]) -> list[str]:
    """An Alertmanager CR's spec.secrets mounts Secret <s> at /etc/alertmanager/secrets/<s>/, one file per key."""
    problems = []
    for path in files:
        parts = path[len(SECRETS_DIR) + 1 :].split("/") if path.startswith(SECRETS_DIR + "/") else []
        if len(parts) != 2 or not all(parts):
            problems.append(f"{path} is not {SECRETS_DIR}/<secret>/<key>")
    return problems


def _check_config(root: Path, config: dict, data: dict) -> list[str]:
    from monitoring.verify.alertmanager_process import overlaid

    templates = sorted(key for key in data if key.endswith(".tmpl"))
    if config.get("templates") and not templates:
        return ["the config loads templates but the Secret holds no *.tmpl key"]
    argv = overlaid(root, "/etc", [find_tool("amtool"), "check-config", f"{CONFIG_DIR}/alertmanager.yaml"])
    run = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    return [] if run.returncode == 0 else [(run.stdout + run.stderr).strip()]


def _routing(out: Path, config_file: Path) -> list[str]:
    """Every routing test, through amtool on the Secret's config: once per distinct projection onto the labels
    the route tree's and inhibit rules' matchers read (receivers depend on nothing else), in parallel."""
    from concurrent.futures import ThreadPoolExecutor

    import orjson

    from monitoring.alertmanager.inhibition import labels_read as inhibition_labels_read
    from monitoring.alertmanager.inhibition import rules_from_config
    from monitoring.alertmanager.routing import labels_read as routing_labels_read
    from monitoring.alertmanager.routing import route_from_config
    from monitoring.verify.routing_tests import amtool_receivers, projection

    tests_file = out / "alertmanager/routing-tests.json"
    if not tests_file.is_file():
        return ["alertmanager/routing-tests.json is missing"]
    cases = orjson.loads(tests_file.read_bytes()).get("routes", [])
    config = _load(config_file) or {}
    read = routing_labels_read(route_from_config(config.get("route", {}))) | inhibition_labels_read(
        rules_from_config(config.get("inhibit_rules", []))
    )
    keys = [projection(case["labels"], read) for case in cases]
    distinct = list(dict.fromkeys(keys))
    amtool = find_tool("amtool")
    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 2) * 2)) as pool:
        answered = dict(zip(distinct, pool.map(lambda key: amtool_receivers(amtool, config_file, dict(key)), distinct)))
    return [
        f"{case['alert']} {case['labels']}: amtool routes to {answered[key]}, "
        f"the routing tests expect {case['receivers']}"
        for case, key in zip(cases, keys)
        if isinstance(answered[key], str) or sorted(answered[key]) != sorted(case.get("receivers") or [])
    ]
