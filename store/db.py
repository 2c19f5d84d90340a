"""The one async engine of a process, its sessions and its migrations.

SQLite (aiosqlite) is the default, a file in the user's data directory;
PostgreSQL (asyncpg) serves a call centre of many operators. On SQLite every
connection runs in WAL mode with foreign keys on and a busy timeout, and a
session opened for writing begins ``IMMEDIATE``: a deferred transaction
that reads and then writes fails at once with "database is locked" when
another process writes meanwhile, whatever the busy timeout.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

log = logging.getLogger(__name__)

#: The environment variable that names the database when ``--db`` does not.
DATABASE_URL_VARIABLE = "KORTISTO_DATABASE_URL"
#: Milliseconds a SQLite connection waits for another writer.
SQLITE_BUSY_TIMEOUT_MS = 15_000
_WRITE_OPTION = "kortisto_write"


def data_dir() -> Path:
    """The user's data directory for Kortisto (created when missing)."""
    path = Path(platformdirs.user_data_dir("kortisto", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite+aiosqlite:///{path}"


def default_url() -> str:
    """The register the operator uses when nothing else is named."""
    return sqlite_url(data_dir() / "kortisto.db")


def resolve_url(url: str | None) -> str:
    """``url`` if given, else ``$KORTISTO_DATABASE_URL``, else the default.

    Plain ``sqlite:///`` and ``postgresql://`` URLs get their async driver.
    """
    chosen = url or os.environ.get(DATABASE_URL_VARIABLE) or default_url()
    parsed = make_url(chosen)
    if parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def _install_sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, say when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(_WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


class Database:
    """An engine with a session factory for reading and one for writing."""

    def __init__(self, url: str | None = None, *, echo: bool = False) -> None:
        self.url = resolve_url(url)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.engine = create_async_engine(self.url, echo=echo)
        if self.is_sqlite:
            _install_sqlite_pragmas(self.engine)
        self._read = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write = async_sessionmaker(
            self.engine.execution_options(**{_WRITE_OPTION: True}),
            expire_on_commit=False,
        )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reading; whatever it holds stays usable after."""
        async with self._read() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session in one short write transaction, committed on success."""
        async with self._write() as session, session.begin():
            yield session

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration, keeping every row."""
        from store.migrate import upgrade_connection

        async with self._write() as session, session.begin():
            connection = await session.connection()
            await connection.run_sync(upgrade_connection)

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


async def open_database(url: str | None = None) -> Database:
    """Open the register at ``url`` with its schema up to date."""
    database = Database(url)
    await database.upgrade()
    return database
