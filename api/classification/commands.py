"""The intake classifier's commands (`flask --app wsgi model train | evaluate | promote | list`)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from api.commandline import refused
from api.errors import DomainError
from api.events.service import Actor

model = AppGroup("model", help="The intake classifier: train, evaluate, promote, list versions.")
BY = click.option("--by", "by", metavar="USERNAME",
                  help="the staff account running this (recorded as the actor); default: the OS user, recorded by name")


def operator(by: str | None) -> tuple[int | None, str]:
    """Who runs the command: a staff account named with --by (refused when there is none), else the OS user."""
    import getpass

    import sqlalchemy as sa

    from api.db import Session
    from api.identity.models import User

    if by is None:
        return None, getpass.getuser()
    user_id = Session.scalar(sa.select(User.id).where(User.username == by, User.kind == "staff", User.is_active))
    if user_id is None:
        raise click.ClickException(f"no active staff account named {by!r}")
    return user_id, by


@model.command("train")
@click.option("--promote", is_flag=True, help="make the new version the one workers use")
@BY
def model_train(promote: bool, by: str | None):
    """Fit the image head and text model on staff-confirmed cases; write a versioned bundle."""
    from api.classification import training

    staff_id, name = operator(by)
    try:
        version = training.train(created_by=staff_id, promote=promote, operator=name)
    except DomainError as exc:
        raise refused(exc) from exc
    click.echo(f"version {version.name} ({version.status})")
    click.echo(training.report(version.metrics))


@model.command("evaluate")
@click.argument("name", required=False)
def model_evaluate(name: str | None):
    """Per-category precision, recall and the confusion matrix on the held-out cases (default: promoted)."""
    from api.classification import training, versions

    try:
        if name is None:
            current = versions.promoted()
            if current is None:
                raise click.ClickException("no promoted version: name one (flask model list)")
            name = current.name
        click.echo(f"version {name}")
        click.echo(training.report(training.evaluate_version(name)))
    except DomainError as exc:
        raise refused(exc) from exc


@model.command("promote")
@click.argument("name")
@BY
@click.option("--force", "force_reason", metavar="REASON",
              help="promote although the promotion gate refused it: why (recorded)")
def model_promote(name: str, by: str | None, force_reason: str | None):
    """Make NAME the version workers use (they pick it up before their next job); `cold-start`: none."""
    from api.classification import versions

    staff_id, who = operator(by)
    try:
        versions.promote(name, Actor("staff", staff_id) if staff_id else Actor.system(), operator=who,
                         force_reason=force_reason)
    except DomainError as exc:
        raise refused(exc) from exc
    click.echo(f"version {name} promoted")


@model.command("list")
def model_list():
    """Versions, newest first, with their held-out accuracy."""
    from api.classification import versions

    for v in versions.list_versions():
        summary = v.metrics.get("summary", {})
        click.echo(f"{v.name}\t{v.status}\tcombined={summary.get('combined_accuracy')}\t"
                   f"image={summary.get('image_accuracy')}\ttext={summary.get('text_accuracy')}")


COMMANDS = (model,)
