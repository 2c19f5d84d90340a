"""``kortisto operator``: who may use the register.

Operators are OS login names. Only an admin of the register may add or stop
operators; the first person to open a register without an admin becomes its
admin (see ``store.operators``).
"""

from __future__ import annotations

import getpass
import sys

from store.clock import Clock
from store.db import open_database
from store.errors import KortistoError
from store.operators import add_operator, list_operators, set_operator_active, sign_in
from tui.i18n import _, yes_no_text
from tui.messages import error_text

EXIT_OK = 0
EXIT_FAILED = 1


async def run_operator_command(
    url: str | None,
    action: str,
    login: str | None,
    *,
    name: str = "",
    admin: bool = False,
    salesperson: bool = False,
    acting_login: str | None = None,
) -> int:
    """List, add, stop or restore operators; returns the exit status."""
    clock = Clock()
    try:
        database = await open_database(url)
    except Exception as error:
        print(
            _("cannot open the register: {error}").format(error=error), file=sys.stderr
        )
        return EXIT_FAILED
    try:
        acting = await sign_in(database, acting_login or getpass.getuser(), clock)
        if action == "list":
            for operator in await list_operators(database):
                flags = [
                    _("admin") if operator.is_admin else "",
                    _("salesperson") if operator.is_salesperson else "",
                    "" if operator.active else _("stopped"),
                ]
                extra = ", ".join(f for f in flags if f)
                print(f"{operator.login:<20} {operator.name:<30} {extra}".rstrip())
            return EXIT_OK
        if not acting.is_admin:
            print(_("Only an admin can change the operators."), file=sys.stderr)
            return EXIT_FAILED
        assert login is not None
        if action == "add":
            added = await add_operator(
                database,
                login,
                clock,
                name=name,
                is_admin=admin,
                is_salesperson=salesperson,
            )
            print(
                _("Added operator {login} (admin: {admin}).").format(
                    login=added.login, admin=yes_no_text(added.is_admin)
                )
            )
        else:
            changed = await set_operator_active(
                database, acting, login, action == "restore"
            )
            message = (
                _("Operator {login} may use the register again.")
                if changed.active
                else _("Operator {login} is stopped.")
            )
            print(message.format(login=changed.login))
        return EXIT_OK
    except KortistoError as error:
        print(error_text(error), file=sys.stderr)
        return EXIT_FAILED
    finally:
        await database.close()
