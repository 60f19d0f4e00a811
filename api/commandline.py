"""What every domain's commands share (`flask --app wsgi …`; each domain's `commands.py`, gathered by api/cli.py)."""

from __future__ import annotations

import click

from api.errors import DomainError, error_body


def refused(exc: DomainError) -> click.ClickException:
    """A domain refusal as the operator reads it: its code, message and details in the operator's language
    (docs/architecture.md "Languages"); the command exits 1 with it."""
    body = error_body(exc)
    return click.ClickException(f"{exc.code}: {body['message']} {body['details']}")


def read_text(path: str, encoding: str = "utf-8") -> str:
    with open(path, encoding=encoding) as f:
        return f.read()
