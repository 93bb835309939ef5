"""``monitoring import``: existing rule files, dashboards and Alertmanager configs into definitions and policies.

Everything is converted in memory first; a bad input is reported as file:line, exit 2, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import click

from monitoring.cli.common import out_option, user_errors

_force = click.option("--force", is_flag=True, help="Replace files that already exist in OUT.")
_files = click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))


def _writing_command(name: str, out_help: str, out_default: str):
    """A subcommand that writes its conversions into OUT: none replaced without --force, user errors as file:line."""

    def decorate(command):
        return import_group.command(name)(out_option(out_help, Path(out_default))(_force(user_errors(command))))

    return decorate


@click.group("import")
def import_group():
    """Turn an existing estate into definitions (rules, dashboards) and policies (Alertmanager)."""


@_writing_command("rules", "Folder for the definitions files (one per rule file).", "definitions")
@_files
def import_rules(files, out, force):
    """Prometheus rule files or PrometheusRule manifests (files or folders) -> one definitions file each."""
    from monitoring.adopt.files import RULE_SUFFIXES, expand
    from monitoring.adopt.rules import import_rule_files

    imported = import_rule_files(expand(list(files), RULE_SUFFIXES))
    _write(out, imported, force)


@_writing_command("dashboards", "Folder for the definitions files (one per dashboard).", "definitions")
@_files
def import_dashboards(files, out, force):
    """Grafana dashboard JSON (exported, or the API's {dashboard: ...}) -> one definitions file each."""
    from monitoring.adopt.dashboards import import_dashboard_files
    from monitoring.adopt.files import expand

    imported = import_dashboard_files(expand(list(files), (".json",)))
    _write(out, imported, force)


@_writing_command("alertmanager", "Policies folder: notifications.yaml is written there.", "policies")
@click.argument("config", type=click.Path(path_type=Path, dir_okay=False))
def import_alertmanager(config, out, force):
    """An alertmanager.yml -> policies/notifications.yaml (credentials become *_file references)."""
    from monitoring.adopt.alertmanager import import_alertmanager_config

    imported = import_alertmanager_config(config, check=_amtool_check)
    _write(out, {"notifications.yaml": imported}, force)


def _write(out: Path, imported: dict, force: bool) -> None:
    """Write every converted file (none replaced without --force), then say what each holds and approximates."""
    from monitoring.adopt.files import write_new
    from monitoring.adopt.pysource import counted

    write_new(out, {name: item.source for name, item in imported.items()}, force)
    for name, item in imported.items():
        counts = counted(item.counts)
        click.echo(f"wrote {out / name} ({counts})")
        for note in item.notes:
            click.echo(f"  {note}" if note.startswith(("secret to place", "untested:")) else f"  approximated: {note}")


def _amtool_check(config: Path) -> str | None:
    """amtool check-config's complaint about a config, None when it accepts it."""
    import subprocess

    from monitoring.verify.tools import find_tool

    proc = subprocess.run([find_tool("amtool"), "check-config", str(config)], capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    lines = [line.strip() for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    return " ".join(line for line in lines if "FAILED" in line or line.startswith("line ")) or " ".join(lines[:3])
