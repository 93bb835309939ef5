"""``monitoring import``: existing rule files, dashboards and Alertmanager configs into definitions and policies.

Everything is converted in memory first; a bad input is reported as file:line, exit 2, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import click

from monitoring.cli.common import out_option, user_errors

_force = click.option("--force", is_flag=True, help="Replace files that already exist in OUT.")


@click.group("import")
def import_group():
    """Turn an existing estate into definitions (rules, dashboards) and policies (Alertmanager)."""


@import_group.command("rules")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@out_option("Folder for the definitions files (one per rule file).", Path("definitions"))
@_force
@user_errors
def import_rules(files, out, force):
    """Prometheus rule files or PrometheusRule manifests (files or folders) -> one definitions file each."""
    from monitoring.adopt.files import RULE_SUFFIXES, expand, write_new
    from monitoring.adopt.rules import import_rule_files

    imported = import_rule_files(expand(list(files), RULE_SUFFIXES))
    write_new(out, {name: i.source for name, i in imported.items()}, force)
    _report(out, imported)


@import_group.command("dashboards")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@out_option("Folder for the definitions files (one per dashboard).", Path("definitions"))
@_force
@user_errors
def import_dashboards(files, out, force):
    """Grafana dashboard JSON (exported, or the API's {dashboard: ...}) -> one definitions file each."""
    from monitoring.adopt.dashboards import import_dashboard_files
    from monitoring.adopt.files import expand, write_new

    imported = import_dashboard_files(expand(list(files), (".json",)))
    write_new(out, {name: i.source for name, i in imported.items()}, force)
    _report(out, imported)


@import_group.command("alertmanager")
@click.argument("config", type=click.Path(path_type=Path, dir_okay=False))
@out_option("Policies folder: notifications.yaml is written there.", Path("policies"))
@_force
@user_errors
def import_alertmanager(config, out, force):
    """An alertmanager.yml -> policies/notifications.yaml (credentials become *_file references)."""
    from monitoring.adopt.alertmanager import import_alertmanager_config
    from monitoring.adopt.files import write_new

    imported = import_alertmanager_config(config, check=_amtool_check)
    write_new(out, {"notifications.yaml": imported.source}, force)
    _report(out, {"notifications.yaml": imported})


def _report(out: Path, imported: dict) -> None:
    from monitoring.adopt.pysource import counted

    for name, item in imported.items():
        counts = counted(item.counts)
        click.echo(f"wrote {out / name} ({counts})")
        for note in item.notes:
            click.echo(f"  {note}" if note.startswith("secret to place") else f"  approximated: {note}")


def _amtool_check(config: Path) -> str | None:
    """amtool check-config's complaint about a config, None when it accepts it."""
    import subprocess

    from monitoring.verify.tools import find_tool

    proc = subprocess.run([find_tool("amtool"), "check-config", str(config)], capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    lines = [line.strip() for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    return " ".join(line for line in lines if "FAILED" in line or line.startswith("line ")) or " ".join(lines[:3])
