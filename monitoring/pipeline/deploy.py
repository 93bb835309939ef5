"""The deploy policy (policies/deploy.yaml): which GitOps targets to emit, and their settings.

Checked like the notification policy, each mistake as ``file:line: key: what is wrong``: the secrets guard,
then the JSON Schema policies/schemas/deploy.schema.json (unknown targets and keys, Kubernetes names and
labels), then what a schema cannot say: a refused target here; per-group settings naming no rule group of
the definitions in check_against_stacks (called as the estate renders, and by `monitoring test`).
The renderers receive the settings as plain dicts plus the line of each key, for their own errors.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from monitoring.errors import DefinitionError, DefinitionErrors
from monitoring.pipeline.yamlfile import Document, load_yaml, schema_check

DEPLOY_FILE = "deploy.yaml"
SCHEMA_NAME = "schemas/deploy.schema.json"
_PROJECT_POLICIES = Path(__file__).resolve().parents[2] / "policies"

MIMIR_ALERTMANAGER_REFUSED = (
    "Mimir's Alertmanager reads its configuration from its API, with credentials inline and templates by bare "
    "name; the secrets guard refuses inline credentials, so this target cannot be generated"
)


@dataclass(frozen=True)
class DeployPolicy:
    """The targets to emit (absent = off); ``document`` gives the line of any key for error messages."""

    targets: dict = field(default_factory=dict)
    document: Document | None = None

    def target(self, name: str) -> dict | None:
        return self.targets.get(name)

    def error(self, path: tuple, message: str, hint: str = "") -> DefinitionError:
        if self.document is None:
            return DefinitionError(message, "", hint)
        return self.document.error(("targets",) + tuple(path), message, hint)


NO_TARGETS = DeployPolicy()


def _schema_path(policies_dir: Path) -> Path:
    for candidate in (_PROJECT_POLICIES / SCHEMA_NAME, Path(policies_dir) / SCHEMA_NAME):
        if candidate.is_file():
            return candidate
    raise DefinitionError(f"the deploy policy schema {SCHEMA_NAME} is missing", str(policies_dir))


def deploy_policy_dir(policies_dir: str | Path | None) -> Path | None:
    """The folder whose deploy.yaml applies: the one given, else ./policies; None when it has none."""
    folder = Path(policies_dir) if policies_dir is not None else Path("policies")
    return folder if (folder / DEPLOY_FILE).is_file() else None


def load_deploy_policy(policies_dir: str | Path | None) -> DeployPolicy:
    """The policy of ``policies_dir`` (or ./policies); no deploy.yaml means no targets beside the plain files."""
    from monitoring.pipeline.secrets import raise_if_any, scan_bytes

    folder = deploy_policy_dir(policies_dir)
    if folder is None:
        return NO_TARGETS
    file = folder / DEPLOY_FILE
    raise_if_any(scan_bytes(str(file), file.read_bytes()))
    document = load_yaml(file)
    schema_check(document, _schema_path(folder))
    policy = DeployPolicy(dict((document.data or {}).get("targets") or {}), document)
    if "mimir_alertmanager" in policy.targets:
        raise policy.error(
            ("mimir_alertmanager",),
            MIMIR_ALERTMANAGER_REFUSED,
            "deploy generated/alertmanager/ to Alertmanager, or the Secret in generated/kubernetes/alertmanager/",
        )
    return policy


def _groups_hint(name: str, groups: set[str], shown: int = 10) -> str:
    """The closest group name, else the first few: an estate has hundreds, and the hint is one line."""
    close = difflib.get_close_matches(name, groups, n=1, cutoff=0.85)
    if close:
        return f"did you mean {close[0]!r}?"
    if not groups:
        return "the definitions have no rule groups"
    listed = sorted(groups)
    more = f" and {len(listed) - shown} more" if len(listed) > shown else ""
    return f"rule groups are: {', '.join(listed[:shown])}{more}"


def check_against_stacks(policy: DeployPolicy, stacks) -> None:
    """Per-group settings must name rule groups that exist in the definitions."""
    groups = {group.name for stack in stacks for group in stack.groups}
    errors = []
    for target, key in (("mimir", "source_tenants"), ("thanos", "partial_response_strategy")):
        for name in (policy.target(target) or {}).get(key, {}):
            if name not in groups:
                errors.append(
                    policy.error(
                        (target, key, name),
                        f"no rule group is named {name!r}",
                        _groups_hint(name, groups),
                    )
                )
    if errors:
        raise errors[0] if len(errors) == 1 else DefinitionErrors(errors)
