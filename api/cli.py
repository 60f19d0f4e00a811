"""Flask CLI commands (`flask --app wsgi <command>`)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup


def register(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Apply Alembic migrations to DATABASE_URL."""
        from api.migrate import upgrade

        upgrade(current_app.config["DATABASE_URL"])
        click.echo("database at head")

    @app.cli.command("seed-demo")
    @click.option("--password", required=True, help="password for every demo staff account")
    def seed_demo(password: str):
        """Load divisions and demo organisation/staff (refused in production)."""
        if current_app.config["ENV"] == "production":
            raise click.ClickException("demo data is never seeded in production")
        from api.seed import seed_demo as run

        click.echo(f"created: {', '.join(run(password)) or 'nothing (already seeded)'}")

    @app.cli.command("load-divisions")
    def load_divisions():
        """Load the official district/street/town divisions (idempotent)."""
        from api.organisation.service import load_divisions as run

        count = run()
        click.echo(f"{count} divisions loaded")

    @app.cli.command("calendar-import")
    @click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--source", required=True, help="where the data comes from (the notice)")
    def calendar_import(csv_file: str, source: str):
        """Import a year of holidays and 调休 workdays (CSV date,kind,name)."""
        from api.calendar.service import CalendarDataError, import_years
        from api.cases.deadlines import recompute_provisional_deadlines

        try:
            years = import_years(open(csv_file, encoding="utf-8").read(), source)
        except CalendarDataError as exc:
            raise click.ClickException(str(exc)) from exc
        recomputed = recompute_provisional_deadlines()
        click.echo(f"imported {', '.join(map(str, years))}; {recomputed} provisional deadlines recomputed")

    @app.cli.command("grids-import")
    @click.argument("geojson_file", type=click.Path(exists=True, dir_okay=False))
    def grids_import(geojson_file: str):
        """Import unit grids from a GeoJSON FeatureCollection (properties.code = 15-digit grid code)."""
        import json

        from api.organisation.grids import GridImportError, import_geojson

        try:
            count = import_geojson(json.loads(open(geojson_file, encoding="utf-8").read()))
        except (GridImportError, json.JSONDecodeError) as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"{count} grids imported")

    @app.cli.command("create-staff")
    @click.argument("username")
    @click.option("--role", "roles", multiple=True, required=True)
    @click.option("--street", default=None, help="street/town division code (scope)")
    @click.password_option()
    def create_staff(username: str, roles: tuple[str, ...], street: str | None, password: str):
        """Create a staff account."""
        from api.identity.service import create_staff as run
        from api.roles import Role

        run(username, password, {Role(r) for r in roles}, scope_division_code=street)
        click.echo(f"staff {username} created")

    @app.cli.command("staff-unlock")
    @click.argument("username")
    def staff_unlock(username: str):
        """Clear a staff account's login lockouts and back-off (after an attack has been dealt with)."""
        from api.identity.service import unlock_staff

        unlock_staff(username)
        click.echo(f"login counters cleared for {username}")

    @app.cli.command("outbox-sweep")
    def outbox_sweep():
        """Hand pending outbox jobs to RQ now."""
        from api.outbox.service import sweep

        click.echo(f"{sweep(older_than_s=0)} jobs handed over")

    @app.cli.command("purge-drafts")
    def purge_drafts():
        """Delete drafts older than DRAFT_TTL_S."""
        from api.reports.service import purge_stale_drafts

        click.echo(f"{purge_stale_drafts()} drafts purged")
    register_model_commands(app)
    register_asset_commands(app)
    register_billing_commands(app)
    register_gas_commands(app)
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


def register_asset_commands(app: Flask) -> None:
    @app.cli.command("components-import")
    @click.argument("geojson_file", type=click.Path(exists=True, dir_okay=False))
    def components_import(geojson_file: str):
        """Import or update 部件 from a GeoJSON FeatureCollection of Points (all or nothing)."""
        import json

        from api.assets.service import import_components
        from api.errors import DomainError
        from api.events.service import Actor

        with open(geojson_file, encoding="utf-8") as f:
            collection = json.load(f)
        try:
            click.echo(f"{import_components(collection, Actor.system())} components imported")
        except DomainError as exc:
            raise click.ClickException(f"{exc.code}: {exc.details}") from exc

    @app.cli.command("materials-import")
    @click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
    def materials_import(csv_file: str):
        """Set 物资 stock by depot from a CSV (depot_code,depot_name,lat,lon,material_code,material_name,unit,
        quantity)."""
        from api.assets.service import import_materials
        from api.errors import DomainError
        from api.events.service import Actor

        with open(csv_file, encoding="utf-8-sig") as f:
            text = f.read()
        try:
            click.echo(f"{import_materials(text, Actor.system())} stock rows imported")
        except DomainError as exc:
            raise click.ClickException(f"{exc.code}: {exc.details}") from exc


def register_model_commands(app: Flask) -> None:
    model = AppGroup("model", help="The intake classifier: train, evaluate, promote, list versions.")
    app.cli.add_command(model)

    @model.command("train")
    @click.option("--promote", is_flag=True, help="make the new version the one workers use")
    def model_train(promote: bool):
        """Fit the image head and text model on staff-confirmed cases; write a versioned bundle."""
        from api.classification import training
        from api.errors import DomainError

        try:
            version = training.train(promote=promote)
        except DomainError as exc:
            raise click.ClickException(f"{exc.code}: {exc.message} {exc.details}") from exc
        click.echo(f"version {version.name} ({version.status})")
        click.echo(training.report(version.metrics))

    @model.command("evaluate")
    @click.argument("name", required=False)
    def model_evaluate(name: str | None):
        """Per-category precision, recall and the confusion matrix on the held-out cases (default: promoted)."""
        from api.classification import training, versions
        from api.errors import DomainError

        try:
            if name is None:
                current = versions.promoted()
                if current is None:
                    raise click.ClickException("no promoted version: name one (flask model list)")
                name = current.name
            click.echo(f"version {name}")
            click.echo(training.report(training.evaluate_version(name)))
        except DomainError as exc:
            raise click.ClickException(f"{exc.code}: {exc.message} {exc.details}") from exc

    @model.command("promote")
    @click.argument("name")
    def model_promote(name: str):
        """Make NAME the version workers use (they pick it up before their next job)."""
        from api.classification import versions
        from api.errors import DomainError
        from api.events.service import Actor

        try:
            versions.promote(name, Actor.system())
        except DomainError as exc:
            raise click.ClickException(f"{exc.code}: {exc.message} {exc.details}") from exc
        click.echo(f"version {name} promoted")

    @model.command("list")
    def model_list():
        """Versions, newest first, with their held-out accuracy."""
        from api.classification import versions

        for v in versions.list_versions():
            summary = v.metrics.get("summary", {})
            click.echo(f"{v.name}\t{v.status}\tcombined={summary.get('combined_accuracy')}\t"
                       f"image={summary.get('image_accuracy')}\ttext={summary.get('text_accuracy')}")


def register_billing_commands(app: Flask) -> None:
    def _import(kind: str, csv_file: str) -> None:
        from api.errors import DomainError, error_body
        from api.events.service import Actor
        from api.fees.accounts import import_accounts
        from api.premises.service import import_premises

        run = import_premises if kind == "premises" else import_accounts
        try:
            count = run(open(csv_file, encoding="utf-8").read(), Actor.system())
        except DomainError as exc:  # each row's problem in the operator's language (docs/architecture.md "Languages")
            body = error_body(exc)
            raise click.ClickException(f"{exc.code}: {body['message']} {body['details']}") from exc
        click.echo(f"{count} {kind} imported")

    @app.cli.command("premises-import")
    @click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
    def premises_import(csv_file: str):
        """Import the premises register (CSV: code,kind,address[,community,lat,lon,coord_system,occupants,
        street_code]; coord_system wgs84 (default), gcj02 or bd09), all or nothing."""
        _import("premises", csv_file)

    @app.cli.command("fee-accounts-import")
    @click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
    def fee_accounts_import(csv_file: str):
        """Import fee accounts (CSV: number,premises_code,payer_kind,payer_name,basis[,phone,units,status]),
        all or nothing."""
        _import("accounts", csv_file)

    billing = AppGroup("billing", help="Sanitation fees: bill runs, reminders, reconciliation, the books.")

    @billing.command("run")
    @click.option("--period", required=True, help="the month to bill, YYYY-MM")
    def bill_run(period: str):
        """Bill every active account for a month (idempotent; resumes a run that was cut off)."""
        from datetime import date

        from api.events.service import Actor
        from api.fees.billrun import run

        try:
            first = date.fromisoformat(f"{period}-01")
        except ValueError as exc:
            raise click.ClickException("--period must be YYYY-MM") from exc
        result = run(first, Actor.system())
        click.echo(f"{period}: {result.status}, {result.bills_created} bills")

    @billing.command("remind")
    @click.option("--stage", type=click.Choice(["due", "overdue"]), required=True)
    @click.option("--street", default=None, help="only this street's bills")
    def remind(stage: str, street: str | None):
        """Queue the stage's reminders now (at most one per bill per stage)."""
        from api import timefmt
        from api.fees.reminders import remind as run

        click.echo(f"{run(stage, timefmt.today(), street_code=street)} bills reminded")

    @billing.command("reconcile")
    @click.option("--date", "day", required=True, help="the day (Beijing time), YYYY-MM-DD")
    def reconcile(day: str):
        """Compare WeChat's trade bill for a day with the ledger (a re-run replaces the day's results)."""
        from datetime import date

        from api.events.service import Actor
        from api.fees.reconcile import run

        recon = run(date.fromisoformat(day), Actor.system())
        flagged = f"; FLAGGED, WeChat's bill not read: {recon.bill_problem}" if recon.bill_problem else ""
        click.echo(f"{day}: WeChat in {recon.wechat_in_fen} out {recon.wechat_out_fen} fen; ours in "
                   f"{recon.ours_in_fen} out {recon.ours_out_fen} fen; {recon.mismatches} mismatches{flagged}")

    @billing.command("check")
    def check():
        """Prove the books balance: every bill's paid amount, and the ledger against WeChat (exit 1 if not)."""
        from api.fees.books import check as run

        books = run()
        click.echo(f"bills checked: {books.bills_checked}; problems: {len(books.bill_problems)}")
        for problem in books.bill_problems:
            click.echo(f"  bill {problem}")
        if books.rollup_checked:
            click.echo(f"arrears rollup against a recount: {len(books.rollup_problems)} groups differ")
            for problem in books.rollup_problems:
                click.echo(f"  {problem}")
        click.echo(f"ledger: in {books.ledger_in_fen} fen, out {books.ledger_out_fen} fen, net "
                   f"{books.ledger_in_fen - books.ledger_out_fen} fen")
        click.echo(f"reconciled days: {books.reconciled_days}; ledger net on them {books.ledger_net_reconciled_fen}"
                   f" fen, WeChat's bills {books.wechat_net_fen} fen")
        for problem in books.ledger_problems:
            click.echo(f"  {problem}")
        if not books.balanced:
            raise click.ClickException("the books do not balance")
        click.echo("the books balance")

    app.cli.add_command(billing)


def register_gas_commands(app: Flask) -> None:
    gas = AppGroup("gas", help="Gas-safety inspection: the gas user register, plans and assignment.")

    @gas.command("import-users")
    @click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
    def import_users(csv_file: str):
        """Import gas users (CSV: number,premises_code,user_type,supply,supplier,contact_name,phone
        [,meter_no,last_inspected_on,appliances,lat,lon,coord_system]), all or nothing."""
        from api import timefmt
        from api.errors import DomainError, error_body
        from api.events.service import Actor
        from api.gas.users import import_users as run

        try:
            count = run(open(csv_file, encoding="utf-8").read(), Actor.system(), timefmt.today())
        except DomainError as exc:  # each row's problem in the operator's language (docs/architecture.md "Languages")
            body = error_body(exc)
            raise click.ClickException(f"{exc.code}: {body['message']} {body['details']}") from exc
        click.echo(f"{count} gas users imported")

    @gas.command("plan")
    @click.option("--horizon-days", default=30, show_default=True, help="plan users due up to this many days ahead")
    @click.option("--assign/--no-assign", default=True, show_default=True, help="hand the open tasks out too")
    def plan(horizon_days: int, assign: bool):
        """Plan due gas users into visit tasks (overdue first) and assign them to the streets' inspectors."""
        from api import timefmt
        from api.events.service import Actor
        from api.gas import planning

        planned = planning.plan(timefmt.today(), horizon_days, Actor.system())
        assigned = planning.assign(Actor.system()) if assign else {}
        click.echo(f"{planned} tasks planned; assigned: {sum(assigned.values())} "
                   f"({', '.join(f'{k} {v}' for k, v in sorted(assigned.items())) or 'none'})")

    app.cli.add_command(gas)
