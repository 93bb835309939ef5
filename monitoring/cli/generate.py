"""`monitoring generate`: render everything in memory, then replace OUT atomically."""

from __future__ import annotations

import click

from monitoring.cli.common import definitions_option, out_option, policies_option, user_errors


@click.command()
@definitions_option
@out_option()
@policies_option
@user_errors
def generate(definitions, out, policies):
    """Render everything in memory, then replace OUT atomically."""
    from monitoring.pipeline.workers import collecting_rarely
    from monitoring.pipeline.writer import write_tree
    from monitoring.render.estate import load, render_all

    with collecting_rarely():  # one short run over a large model: see monitoring/pipeline/workers.py
        files = render_all(load(definitions), policies_dir=policies)
        write_tree(out, files)
    click.echo(f"wrote {len(files)} files to {out}/")
