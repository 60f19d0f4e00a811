"""The district's divisions and unit grids (`flask --app wsgi load-divisions | grids-import`)."""

from __future__ import annotations

import json

import click

from api.commandline import read_text


@click.command("load-divisions")
def load_divisions():
    """Load the official district/street/town divisions (idempotent)."""
    from api.organisation.service import load_divisions as run

    click.echo(f"{run()} divisions loaded")


@click.command("grids-import")
@click.argument("geojson_file", type=click.Path(exists=True, dir_okay=False))
def grids_import(geojson_file: str):
    """Import unit grids from a GeoJSON FeatureCollection (properties.code = 15-digit grid code)."""
    from api.organisation.grids import GridImportError, import_geojson

    try:
        count = import_geojson(json.loads(read_text(geojson_file)))
    except (GridImportError, json.JSONDecodeError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{count} grids imported")


COMMANDS = (load_divisions, grids_import)
