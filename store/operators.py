"""Operators and their preferences.

The OS login name is the operator: each operator logs in to the server with
their own account. While a register has no admin (a new or a freshly
imported one, or a demo with only its generated salesperson), the first
login to open it becomes its first admin, who can then add the others.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from store.clock import Clock
from store.db import Database
from store.errors import N_, KortistoError, NotAnOperator
from store.models import Operator, OperatorPreference

log = logging.getLogger(__name__)


async def sign_in(database: Database, login: str, clock: Clock) -> Operator:
    """The operator for ``login``; the first login of an empty register is admin.

    Raises:
        NotAnOperator: the register has operators and ``login`` is not one.
    """
    async with database.write() as session:
        operator = await session.scalar(select(Operator).where(Operator.login == login))
        if operator is not None and operator.active:
            return operator
        admins = await session.scalar(
            select(func.count())
            .select_from(Operator)
            .where(Operator.is_admin, Operator.active)
        )
        if not admins:
            if operator is None:
                operator = Operator(login=login, name=login, created_at=clock.now())
                session.add(operator)
            operator.is_admin = True
            operator.active = True
            await session.flush()
            log.info("first admin %s signed in", login)
            return operator
    raise NotAnOperator(
        N_("{login} is not an operator of this register; ask an admin to add you."),
        login=login,
    )


async def add_operator(
    database: Database,
    login: str,
    clock: Clock,
    *,
    name: str = "",
    is_admin: bool = False,
    is_salesperson: bool = False,
) -> Operator:
    """Add an operator account for ``login``.

    Raises:
        KortistoError: ``login`` is empty or already an operator.
    """
    login = login.strip()
    if not login:
        raise KortistoError(N_("The login name is missing."))
    async with database.write() as session:
        taken = await session.scalar(select(Operator.id).where(Operator.login == login))
        if taken is not None:
            raise KortistoError(
                N_("{login} is already an operator of this register."), login=login
            )
        operator = Operator(
            login=login,
            name=name or login,
            is_admin=is_admin,
            is_salesperson=is_salesperson,
            created_at=clock.now(),
        )
        session.add(operator)
        await session.flush()
        return operator


async def get_preference(
    database: Database, operator_id: int, key: str, default: Any = None
) -> Any:
    """The operator's saved value for ``key``, or ``default``."""
    async with database.read() as session:
        value = await session.scalar(
            select(OperatorPreference.value).where(
                OperatorPreference.operator_id == operator_id,
                OperatorPreference.key == key,
            )
        )
    return default if value is None else value


async def set_preference(
    database: Database, operator_id: int, key: str, value: Any
) -> None:
    """Save the operator's value for ``key``."""
    dialect = sqlite_insert if database.is_sqlite else pg_insert
    statement = dialect(OperatorPreference).values(
        operator_id=operator_id, key=key, value=value
    )
    statement = statement.on_conflict_do_update(
        index_elements=["operator_id", "key"], set_={"value": value}
    )
    async with database.write() as session:
        await session.execute(statement)


async def list_operators(database: Database) -> list[Operator]:
    """Every operator of the register, by login."""
    async with database.read() as session:
        return list(
            (await session.scalars(select(Operator).order_by(Operator.login))).all()
        )


async def set_operator_active(
    database: Database, acting: Operator, login: str, active: bool
) -> Operator:
    """Let ``login`` use the register again, or stop them (kept for the history).

    Raises:
        NotAnOperator: ``login`` is not an operator of this register.
        KortistoError: ``acting`` would stop themselves.
    """
    async with database.write() as session:
        operator = await session.scalar(select(Operator).where(Operator.login == login))
        if operator is None:
            raise NotAnOperator(
                N_("{login} is not an operator of this register."), login=login
            )
        if operator.id == acting.id and not active:
            raise KortistoError(N_("An admin cannot stop their own account."))
        operator.active = active
        return operator
