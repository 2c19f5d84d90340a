"""Shared fixtures: real registers on a SQLite file and on PostgreSQL.

Store tests take ``database``, which runs each test on a fresh SQLite file
and on a fresh PostgreSQL database. PostgreSQL is found at
``$KORTISTO_TEST_POSTGRESQL_URL`` (default: the local server's ``postgres``
database on 127.0.0.1:5432); where none answers, those runs skip with the
reason, except under CI (``CI=true``), where a missing server fails them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from store.clock import FixedClock
from store.db import Database, open_database, sqlite_url
from store.models import Base

DATA = Path(__file__).parent / "data"
POSTGRESQL_URL = os.environ.get(
    "KORTISTO_TEST_POSTGRESQL_URL",
    "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
)


@pytest.fixture
def clock() -> FixedClock:
    """A clock stopped at a Thursday morning in Helsinki."""
    return FixedClock(dt.datetime(2026, 12, 3, 9, 30))


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A register file migrated once, for tests to start from a copy."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"

    async def migrate() -> None:
        database = await open_database(sqlite_url(path))
        await database.close()

    asyncio.run(migrate())
    return path


@pytest.fixture
def sqlite_path(tmp_path: Path, migrated_sqlite: Path) -> Path:
    """Where a test's SQLite register lives: a copy of a migrated one."""
    path = tmp_path / "kortisto.db"
    shutil.copyfile(migrated_sqlite, path)
    return path


@pytest.fixture
async def sqlite_database(sqlite_path: Path) -> AsyncIterator[Database]:
    """A new, migrated register in a SQLite file."""
    database = await open_database(sqlite_url(sqlite_path))
    yield database
    await database.close()


@asynccontextmanager
async def _postgresql_register() -> AsyncIterator[Database]:
    problem = await postgresql_problem()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL tests: {problem}")
        pytest.skip(problem)
    base, _, _ = POSTGRESQL_URL.rpartition("/")
    if not _TEST_DATABASE:
        # One database migrated once for the whole run; each test empties
        # it first, which is much faster than a database per test.
        name = f"kortisto_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        await _admin_execute(f'CREATE DATABASE "{name}"')
        _TEST_DATABASE.append(name)
    database = await open_database(f"{base}/{_TEST_DATABASE[0]}")
    tables = Base.metadata.sorted_tables
    if not _SEEDED:
        # The rows the migrations seed (customer types, channels, settings),
        # put back after each emptying so PostgreSQL starts like SQLite.
        async with database.read() as session:
            for table in tables:
                rows = (await session.execute(table.select())).mappings().all()
                if rows:
                    _SEEDED.append((table, [dict(r) for r in rows]))
    names = ", ".join(f'"{t.name}"' for t in tables)
    async with database.write() as session:
        await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        for table, rows in _SEEDED:
            await session.execute(table.insert(), rows)
            if "id" in table.c:
                await session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                        f' (SELECT max(id) FROM "{table.name}"))'
                    )
                )
    try:
        yield database
    finally:
        await database.close()


async def _admin_execute(statement: str) -> None:
    import asyncpg

    url = POSTGRESQL_URL.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(url, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _postgresql_unavailable() -> str | None:
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        return "asyncpg is not installed"
    try:
        await _admin_execute("SELECT 1")
    except Exception as error:
        return f"no PostgreSQL at {POSTGRESQL_URL}: {error}"
    return None


_POSTGRESQL_PROBLEM: list[str | None] = []
_TEST_DATABASE: list[str] = []
_SEEDED: list[tuple[Any, list[dict[str, Any]]]] = []


@pytest.fixture(scope="session", autouse=True)
def _drop_postgresql_test_database() -> Iterator[None]:
    yield
    if _TEST_DATABASE:
        statement = f'DROP DATABASE "{_TEST_DATABASE[0]}" WITH (FORCE)'
        asyncio.run(_admin_execute(statement))


async def postgresql_problem() -> str | None:
    """Why PostgreSQL tests cannot run here, or ``None`` when they can."""
    if not _POSTGRESQL_PROBLEM:
        _POSTGRESQL_PROBLEM.append(await _postgresql_unavailable())
    return _POSTGRESQL_PROBLEM[0]


@pytest.fixture
async def postgresql_database() -> AsyncIterator[Database]:
    """A new, migrated register in a database of its own on PostgreSQL."""
    async with _postgresql_register() as database:
        yield database


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(
    request: pytest.FixtureRequest, sqlite_path: Path
) -> AsyncIterator[Database]:
    """The same test on a SQLite file and on PostgreSQL."""
    if request.param == "postgresql":
        async with _postgresql_register() as register:
            yield register
        return
    register = await open_database(sqlite_url(sqlite_path))
    yield register
    await register.close()
