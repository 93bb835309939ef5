"""policies/lint.yaml: which checks run at which severity, the allowed alert severities, intervals."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from monitoring.errors import DefinitionError, DefinitionErrors
from monitoring.model.rules import parse_duration
from monitoring.pipeline.yamlfile import parse_documents, read_text

DEFAULT_PATH = Path("policies/lint.yaml")
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "policies" / "schemas" / "lint.schema.json"


@dataclass(frozen=True)
class LintConfig:
    # none: a dead man's switch (the Watchdog), as kube-prometheus labels it; it reaches a heartbeat, no human
    severities: tuple[str, ...] = ("critical", "warning", "info", "none")
    scrape_interval: float = 15.0  # seconds; for rule files
    evaluation_interval: float = 60.0  # seconds; for rule groups without an interval
    checks: dict[str, str] = field(default_factory=dict)  # name -> severity or "off"
    prometheus_version: str = "2"  # the Prometheus that loads the rules: 2.x legacy names, 3.x UTF-8 names
    max_group_interval: float = 300.0  # seconds; longer group intervals leave recorded series stale

    @property
    def utf8_names(self) -> bool:
        return int(self.prometheus_version.split(".", 1)[0]) >= 3

    def severity(self, check_module) -> str:
        return self.checks.get(check_module.NAME, check_module.SEVERITY)


def load_config(path: Path | None = None) -> LintConfig:
    """Read and validate lint.yaml. No path and no policies/lint.yaml here: the checks' defaults."""
    if path is None:
        if not DEFAULT_PATH.exists():
            return LintConfig()
        path = DEFAULT_PATH
    path = Path(path)
    documents = parse_documents(read_text(path), str(path))
    if len(documents) != 1:
        raise DefinitionError("the lint policy must be exactly one YAML document", str(path))
    document = documents[0]
    _validate(document, str(path))
    return _config(document, str(path))


def _validator():
    from monitoring.pipeline.schema import schema_validator

    return schema_validator(str(SCHEMA_PATH))


def _validate(document, display: str) -> None:
    errors = [
        DefinitionError(
            f"{'.'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}",
            f"{display}:{document.line(tuple(e.absolute_path))}",
            "see policies/schemas/lint.schema.json",
        )
        for e in _validator().iter_errors(document.data)
    ]
    if errors:
        raise errors[0] if len(errors) == 1 else DefinitionErrors(errors)


def _config(document, display: str) -> LintConfig:
    from monitoring.lint.registry import check_modules

    data = document.data
    known = {module.NAME for module in check_modules()}
    for name in data["checks"]:
        if name not in known:
            raise DefinitionError(
                f"checks: unknown check {name!r}",
                f"{display}:{document.line(('checks', name))}",
                f"known checks: {', '.join(sorted(known))}",
            )
    defaults = LintConfig()
    return LintConfig(
        severities=tuple(data["severities"]),
        scrape_interval=parse_duration(data.get("scrape_interval", "15s"), display),
        evaluation_interval=parse_duration(data.get("evaluation_interval", "1m"), display)
        if "evaluation_interval" in data
        else defaults.evaluation_interval,
        checks=dict(data["checks"]),
        prometheus_version=str(data.get("prometheus_version", defaults.prometheus_version)),
        max_group_interval=parse_duration(data["max_group_interval"], display)
        if "max_group_interval" in data
        else defaults.max_group_interval,
    )
