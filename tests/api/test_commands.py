"""The `flask` commands: each domain's own, gathered by api/cli.py, each one unit of work, refusals in Chinese."""

from __future__ import annotations

import click

from api.premises.errors import ImportRejected

EXPECTED = {
    "db-upgrade", "seed-demo", "calendar-import", "outbox-sweep",  # belong to no one domain
    "load-divisions", "grids-import", "create-staff", "staff-unlock", "purge-drafts", "components-import",
    "materials-import", "premises-import", "fee-accounts-import",
    "model train", "model evaluate", "model promote", "model list",
    "billing run", "billing remind", "billing reconcile", "billing check", "gas import-users", "gas plan",
}


def _names(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found.update(_names(command, f"{prefix}{name} "))
        else:
            found[prefix + name] = command
    return found


def test_every_domain_command_is_registered_as_one_unit_of_work(app):
    commands = {name: c for name, c in _names(app.cli).items() if not name.startswith("openapi ")}
    assert set(commands) == EXPECTED
    assert all(getattr(c.callback, "_unit_of_work", False) for c in commands.values())


def test_a_refused_import_tells_the_operator_in_chinese_and_exits_1(app, db_session, tmp_path):
    bad = tmp_path / "accounts.csv"
    bad.write_text("number,premises_code,payer_kind,payer_name,basis\nA1,NOPE,household,张三,household\n",
                   encoding="utf-8")
    ran = app.test_cli_runner().invoke(args=["fee-accounts-import", str(bad)])
    assert ran.exit_code == 1
    assert ran.output.startswith(f"Error: {ImportRejected.code}: ")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in ran.output), ran.output
