"""`monitoring generate`: render everything in memory, then replace OUT atomically."""

from __future__ import annotations

import click

from monitoring.cli.common import (
    definitions_option,
    input_folders,
    out_is_explicit,
    out_option,
    policies_option,
    user_errors,
    warn_about_sizes,
)


@click.command()
@definitions_option
@out_option()
@policies_option
@user_errors
def generate(definitions, out, policies):
    """Render everything in memory, then replace OUT atomically."""
    from monitoring.pipeline.deploy import load_deploy_policy
    from monitoring.pipeline.workers import collecting_rarely
    from monitoring.pipeline.writer import output_folder, write_tree
    from monitoring.render.estate import load, render_all

    protected = input_folders(definitions, policies)
    output_folder(out, protected, out_is_explicit())  # refused before the work, and again under the lock
    with collecting_rarely():  # one short run over a large model: see monitoring/pipeline/workers.py
        stacks = load(definitions)
        files = render_all(stacks, policies_dir=policies, deploy=load_deploy_policy(policies))
        write_tree(out, files, protected, out_is_explicit())
    warn_about_sizes(files)
    click.echo(f"wrote {len(files)} files to {out}/")
