"""The servers of `monitoring demo`: the committed generated files as they are, or the fast test overlay."""

from __future__ import annotations

from pathlib import Path

import yaml

from monitoring.e2e.local_stack import LocalStack
from monitoring.e2e.overlay import alertmanager_overlay
from monitoring.errors import DefinitionError
from monitoring.pipeline.serialize import GENERATED_HEADER, yaml_bytes


def generated_servers(workdir: Path, out: Path, simulator_port: int) -> LocalStack:
    """Prometheus with OUT's rule files and Alertmanager with OUT's config, receivers redirected to the sink."""
    from monitoring.runtime.simulator import STACK

    rule_files = sorted((out / "prometheus" / "rules").glob("*.rules.yml"))
    config_file = out / "alertmanager" / "alertmanager.yml"
    if not rule_files or not config_file.is_file():
        raise DefinitionError(
            f"{out}/ has no rule files or no alertmanager/alertmanager.yml",
            hint="run `monitoring generate` first, or pass --out",
        )
    rules = {path.name: yaml.safe_load(path.read_text()) for path in rule_files}
    config = yaml.safe_load(config_file.read_text())
    templates = {
        path.relative_to(config_file.parent).as_posix(): path.read_bytes()
        for path in (config_file.parent / "templates").glob("*")
    }

    def alertmanager_files(sink_url: str, folder: Path) -> dict[str, bytes]:
        overlaid, secrets = alertmanager_overlay(
            config, sink_url, folder / "secrets", speedup=1, drop_time_intervals=False
        )
        return {
            "alertmanager.yml": yaml_bytes(overlaid, GENERATED_HEADER),
            **templates,
            **{f"secrets/{name}": text.encode() for name, text in secrets.items()},
        }

    return LocalStack(
        workdir,
        rules,
        STACK.name,
        alertmanager_files=alertmanager_files,
        scrape_interval=STACK.scrape_interval,
        evaluation_interval="30s",
        simulator_port=simulator_port,
    )


def fast_servers(workdir: Path, speedup: float, policies: Path | None, simulator_port: int) -> LocalStack:
    """The end-to-end tests' servers: rules and routing from the definitions, every duration / speedup."""
    from monitoring.e2e.run import Run, alerting_inputs
    from monitoring.runtime.simulator import STACK

    config, templates = alerting_inputs(STACK, policies)
    return Run(STACK, config, speedup).local_stack(workdir, templates, simulator_port=simulator_port)
