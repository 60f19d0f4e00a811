"""Gas-safety inspection commands (`flask --app wsgi gas import-users | plan`)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from api import timefmt
from api.commandline import read_text, refused
from api.errors import DomainError
from api.events.service import Actor

gas = AppGroup("gas", help="Gas-safety inspection: the gas user register, plans and assignment.")


@gas.command("import-users")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
def import_users(csv_file: str):
    """Import gas users (CSV: number,premises_code,user_type,supply,supplier,contact_name,phone
    [,meter_no,last_inspected_on,appliances,lat,lon,coord_system]), all or nothing."""
    from api.gas.users import import_users as run

    try:
        count = run(read_text(csv_file), Actor.system(), timefmt.today())
    except DomainError as exc:
        raise refused(exc) from exc
    click.echo(f"{count} gas users imported")


@gas.command("plan")
@click.option("--horizon-days", default=30, show_default=True, help="plan users due up to this many days ahead")
@click.option("--assign/--no-assign", default=True, show_default=True, help="hand the open tasks out too")
def plan(horizon_days: int, assign: bool):
    """Plan due gas users into visit tasks (overdue first) and assign them to the streets' inspectors."""
    from api.gas import planning

    planned = planning.plan(timefmt.today(), horizon_days, Actor.system())
    assigned = planning.assign(Actor.system()) if assign else {}
    click.echo(f"{planned} tasks planned; assigned: {sum(assigned.values())} "
               f"({', '.join(f'{k} {v}' for k, v in sorted(assigned.items())) or 'none'})")


COMMANDS = (gas,)
