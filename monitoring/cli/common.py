"""What every command shares: exit codes, the user-error wrapper, the common options."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from monitoring.errors import DefinitionError

EXIT_FAILED, EXIT_USER_ERROR = 1, 2


def user_errors(func):
    """Turn a DefinitionError into a clear message and exit code 2: never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DefinitionError as exc:
            click.echo(f"error: {exc.format()}", err=True)
            click.echo("nothing was written.", err=True)
            sys.exit(EXIT_USER_ERROR)

    return wrapper


def path_option(*declarations: str, envvar: str, help: str):
    """An optional path, also read from ``envvar``."""
    return click.option(*declarations, type=click.Path(path_type=Path), default=None, envvar=envvar, help=help)


definitions_option = path_option(
    "--definitions",
    "-d",
    envvar="MONITORING_DEFINITIONS",
    help="Folder (or file) of definitions. Default: the package's monitoring/definitions/.",
)


def out_option(help: str = "Output folder for the generated artifacts.", default: Path = Path("generated")):
    return click.option(
        "--out",
        "-o",
        type=click.Path(path_type=Path, file_okay=False),
        default=default,
        show_default=True,
        help=help,
    )


policies_option = click.option(
    "--policies",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    envvar="MONITORING_POLICIES",
    help="Folder of policies (notifications.yaml: Alertmanager routing). Default: ./policies if it has one.",
)


def warn_about_sizes(files: dict[str, bytes]) -> None:
    """Kubernetes manifests that deploy only with server-side apply (see README, 'Deploying with GitOps')."""
    from monitoring.render.kubernetes import size_warnings

    for warning in size_warnings(files):
        click.echo(f"warning: {warning}", err=True)
