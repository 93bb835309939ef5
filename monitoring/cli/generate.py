"""`monitoring generate`: render everything in memory, then replace OUT atomically."""

from __future__ import annotations

import click

from monitoring.cli.common import (
    estate_options,
    guarded_output,
    note_untested,
    out_is_explicit,
    render_estate,
    user_errors,
    warn_about_sizes,
)


@click.command()
@estate_options
@user_errors
def generate(definitions, out, policies):
    """Render everything in memory, then replace OUT atomically."""
    from monitoring.pipeline.workers import collecting_rarely
    from monitoring.pipeline.writer import write_tree

    _, protected = guarded_output(out, definitions, policies)  # refused before the work, and again under the lock
    with collecting_rarely():  # one short run over a large model: see monitoring/pipeline/workers.py
        stacks, files = render_estate(definitions, policies)
        write_tree(out, files, protected, out_is_explicit())
    warn_about_sizes(files)
    note_untested(stacks)
    click.echo(f"wrote {len(files)} files to {out}/")
