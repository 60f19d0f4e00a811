"""Citizens' reports (`flask --app wsgi purge-drafts`)."""

from __future__ import annotations

import click


@click.command("purge-drafts")
def purge_drafts():
    """Delete drafts older than DRAFT_TTL_S."""
    from api.reports.service import purge_stale_drafts

    click.echo(f"{purge_stale_drafts()} drafts purged")


COMMANDS = (purge_drafts,)
