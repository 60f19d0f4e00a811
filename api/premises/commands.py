"""The premises register (`flask --app wsgi premises-import`)."""

from __future__ import annotations

import click

from api.commandline import read_text, refused
from api.errors import DomainError
from api.events.service import Actor


@click.command("premises-import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
def premises_import(csv_file: str):
    """Import the premises register (CSV: code,kind,address[,community,lat,lon,coord_system,occupants,
    street_code]; coord_system wgs84 (default), gcj02 or bd09), all or nothing."""
    from api.premises.service import import_premises

    try:
        count = import_premises(read_text(csv_file), Actor.system())
    except DomainError as exc:
        raise refused(exc) from exc
    click.echo(f"{count} premises imported")


COMMANDS = (premises_import,)
