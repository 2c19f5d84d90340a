"""Alembic environment: runs over the connection the app hands in.

``alembic`` on the command line (with ``alembic.ini``) makes a connection of
its own from ``KORTISTO_DATABASE_URL`` or the default register.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_own_connection() -> None:
    from store.db import Database

    database = Database(config.get_main_option("sqlalchemy.url") or None)
    async with database.engine.begin() as connection:
        await connection.run_sync(_run)
    await database.close()


given = config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    asyncio.run(_run_own_connection())
