"""Asset commands: 部件 and 物资 registers (`flask --app wsgi components-import | materials-import`)."""

from __future__ import annotations

import json

import click

from api.commandline import read_text, refused
from api.errors import DomainError
from api.events.service import Actor


@click.command("components-import")
@click.argument("geojson_file", type=click.Path(exists=True, dir_okay=False))
def components_import(geojson_file: str):
    """Import or update 部件 from a GeoJSON FeatureCollection of Points (all or nothing)."""
    from api.assets.service import import_components

    try:
        collection = json.loads(read_text(geojson_file))
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"not JSON: {exc}") from exc
    try:
        click.echo(f"{import_components(collection, Actor.system())} components imported")
    except DomainError as exc:
        raise refused(exc) from exc


@click.command("materials-import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
def materials_import(csv_file: str):
    """Set 物资 stock by depot from a CSV (depot_code,depot_name,lat,lon,material_code,material_name,unit,
    quantity)."""
    from api.assets.service import import_materials

    try:
        click.echo(f"{import_materials(read_text(csv_file, 'utf-8-sig'), Actor.system())} stock rows imported")
    except DomainError as exc:
        raise refused(exc) from exc


COMMANDS = (components_import, materials_import)
