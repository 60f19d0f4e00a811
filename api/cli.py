"""Flask CLI commands (`flask --app wsgi <command>`).

Each domain owns its commands in its own `commands.py` (a tuple `COMMANDS` of click commands and groups), gathered
here as the blueprints are in api/blueprints.py; only this module imports them (.importlinter). What belongs to no
one domain stays here: the schema, the demo, the outbox, and the calendar import (it recomputes cases' deadlines).
Every command runs as one unit of work.
"""

from __future__ import annotations

import click
from flask import Flask, current_app


def COMMANDS():  # noqa: N802 - a constant-like accessor, imported lazily as BLUEPRINTS is
    from api.assets import commands as assets
    from api.classification import commands as classification
    from api.fees import commands as fees
    from api.gas import commands as gas
    from api.identity import commands as identity
    from api.organisation import commands as organisation
    from api.premises import commands as premises
    from api.reports import commands as reports

    return (*ALL_DOMAINS, *organisation.COMMANDS, *identity.COMMANDS, *reports.COMMANDS, *assets.COMMANDS,
            *classification.COMMANDS, *premises.COMMANDS, *fees.COMMANDS, *gas.COMMANDS)


@click.command("db-upgrade")
def db_upgrade():
    """Apply Alembic migrations to DATABASE_URL."""
    from api.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("database at head")


@click.command("seed-demo")
@click.option("--password", required=True, help="password for every demo staff account")
def seed_demo(password: str):
    """Load divisions and demo organisation/staff (refused in production)."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("demo data is never seeded in production")
    from api.seed import seed_demo as run

    click.echo(f"created: {', '.join(run(password)) or 'nothing (already seeded)'}")


@click.command("calendar-import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", required=True, help="where the data comes from (the notice)")
def calendar_import(csv_file: str, source: str):
    """Import a year of holidays and 调休 workdays (CSV date,kind,name)."""
    from api.calendar.service import CalendarDataError, import_years
    from api.cases.deadlines import recompute_provisional_deadlines
    from api.commandline import read_text

    try:
        years = import_years(read_text(csv_file), source)
    except CalendarDataError as exc:
        raise click.ClickException(str(exc)) from exc
    recomputed = recompute_provisional_deadlines()
    click.echo(f"imported {', '.join(map(str, years))}; {recomputed} provisional deadlines recomputed")


@click.command("outbox-sweep")
def outbox_sweep():
    """Hand pending outbox jobs to RQ now."""
    from api.outbox.service import sweep

    click.echo(f"{sweep(older_than_s=0)} jobs handed over")


ALL_DOMAINS = (db_upgrade, seed_demo, calendar_import, outbox_sweep)


def register(app: Flask) -> None:
    for command in COMMANDS():
        app.cli.add_command(command)
    _in_units_of_work(app.cli)


def _in_units_of_work(group: click.Group) -> None:
    """Each command is one unit of work: committed when it finishes, rolled back when it fails."""
    from api.db import unit_of_work

    for command in group.commands.values():
        if isinstance(command, click.Group):
            _in_units_of_work(command)
        elif command.callback is not None and not getattr(command.callback, "_unit_of_work", False):
            command.callback = unit_of_work()(command.callback)
            command.callback._unit_of_work = True
