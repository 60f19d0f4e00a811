"""Staff accounts (`flask --app wsgi create-staff | staff-unlock`)."""

from __future__ import annotations

import click


@click.command("create-staff")
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


@click.command("staff-unlock")
@click.argument("username")
def staff_unlock(username: str):
    """Clear a staff account's login lockouts and back-off (after an attack has been dealt with)."""
    from api.identity.service import unlock_staff

    unlock_staff(username)
    click.echo(f"login counters cleared for {username}")


COMMANDS = (create_staff, staff_unlock)
