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
            from monitoring.pipeline.secrets import redact

            click.echo(f"error: {redact(exc.format())}", err=True)  # a message must never print a credential
            click.echo("nothing was written.", err=True)
            sys.exit(EXIT_USER_ERROR)

    return wrapper


def out_is_explicit() -> bool:
    """Whether the user named OUT (-o): only then is a symbolic link as OUT followed."""
    from click.core import ParameterSource

    return click.get_current_context().get_parameter_source("out") is not ParameterSource.DEFAULT


def input_folders(definitions, policies) -> tuple:
    """The folders OUT must never be or hold: the definitions (the package's own by default) and policies."""
    from monitoring.pipeline.discovery import DEFAULT_DEFINITIONS

    return (Path(definitions) if definitions else DEFAULT_DEFINITIONS, Path(policies) if policies else Path("policies"))


def guarded_output(out: Path, definitions, policies) -> tuple[Path, tuple]:
    """OUT refused before any work when it could be anything but a generated tree: (its real path, the input
    folders it must never be or hold, for the writer to check again under its lock)."""
    from monitoring.pipeline.writer import output_folder

    protected = input_folders(definitions, policies)
    return output_folder(out, protected, out_is_explicit()), protected


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


def estate_options(command):
    """--definitions, --out and --policies: what the commands that render the whole estate take."""
    return definitions_option(out_option()(policies_option(command)))


def render_estate(definitions, policies) -> tuple[list, dict[str, bytes]]:
    """Load and validate the definitions, then render every output in memory: (stacks, {path: content})."""
    from monitoring.pipeline.deploy import load_deploy_policy
    from monitoring.render.estate import load, render_all

    stacks = load(definitions)
    return stacks, render_all(stacks, policies_dir=policies, deploy=load_deploy_policy(policies))


def note_untested(stacks) -> None:
    """One line for the rules declared untested (`untested=`): a gap on purpose, never a silent one."""
    declared = [r for s in stacks for g in s.groups for r in g.rules if r.untested]
    if declared:
        click.echo(
            f"note: {len(declared)} rules are declared untested (`untested=`, no generated tests); "
            "`monitoring test` lists them with their reasons",
            err=True,
        )


def warn_about_sizes(files: dict[str, bytes]) -> None:
    """Kubernetes manifests that deploy only with server-side apply (see README, 'Deploying with GitOps')."""
    from monitoring.render.kubernetes import size_warnings

    for warning in size_warnings(files):
        click.echo(f"warning: {warning}", err=True)
