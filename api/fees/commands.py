"""Sanitation-fee commands (`flask --app wsgi fee-accounts-import`, `flask --app wsgi billing run | remind |
reconcile | check`)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from api import timefmt
from api.commandline import read_text, refused
from api.errors import DomainError
from api.events.service import Actor


@click.command("fee-accounts-import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
def fee_accounts_import(csv_file: str):
    """Import fee accounts (CSV: number,premises_code,payer_kind,payer_name,basis[,phone,units,status]),
    all or nothing."""
    from api.fees.billing.accounts import import_accounts

    try:
        count = import_accounts(read_text(csv_file), Actor.system())
    except DomainError as exc:
        raise refused(exc) from exc
    click.echo(f"{count} accounts imported")


billing = AppGroup("billing", help="Sanitation fees: bill runs, reminders, reconciliation, the books.")


@billing.command("run")
@click.option("--period", required=True, help="the month to bill, YYYY-MM")
def bill_run(period: str):
    """Bill every active account for a month (idempotent; resumes a run that was cut off)."""
    from api.fees.billing.billrun import run

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
    from api.fees.billing.reminders import remind as run

    click.echo(f"{run(stage, timefmt.today(), street_code=street)} bills reminded")


@billing.command("reconcile")
@click.option("--date", "day", required=True, help="the day (Beijing time), YYYY-MM-DD")
def reconcile(day: str):
    """Compare WeChat's trade bill for a day with the ledger (a re-run replaces the day's results)."""
    from api.fees.payments.reconcile import run

    recon = run(date.fromisoformat(day), Actor.system())
    flagged = f"; FLAGGED, WeChat's bill not read: {recon.bill_problem}" if recon.bill_problem else ""
    click.echo(f"{day}: WeChat in {recon.wechat_in_fen} out {recon.wechat_out_fen} fen; ours in "
               f"{recon.ours_in_fen} out {recon.ours_out_fen} fen; {recon.mismatches} mismatches{flagged}")


@billing.command("check")
def check():
    """Prove the books balance: every bill's paid amount, and the ledger against WeChat (exit 1 if not)."""
    from api.fees.payments.books import check as run

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


COMMANDS = (fee_accounts_import, billing)
