"""The schema comes from the migrations and survives an upgrade."""

from __future__ import annotations

from sqlalchemy import text

from store.db import Database, open_database, sqlite_url


async def test_migrated_register_has_the_tables(database: Database) -> None:
    async with database.read() as session:
        count = await session.scalar(text("SELECT count(*) FROM customers"))
    assert count == 0


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(
    sqlite_database: Database,
) -> None:
    async with sqlite_database.read() as session:
        journal = await session.scalar(text("PRAGMA journal_mode"))
        foreign_keys = await session.scalar(text("PRAGMA foreign_keys"))
        timeout = await session.scalar(text("PRAGMA busy_timeout"))
    assert (journal, foreign_keys) == ("wal", 1)
    assert timeout > 0


async def test_opening_again_keeps_rows(sqlite_path) -> None:
    first = await open_database(sqlite_url(sqlite_path))
    async with first.write() as session:
        await session.execute(
            text(
                "INSERT INTO operators (login, name, is_admin, is_salesperson,"
                " active, created_at) VALUES ('a', 'A', 1, 0, 1, '2026-01-01')"
            )
        )
    await first.close()
    second = await open_database(sqlite_url(sqlite_path))
    async with second.read() as session:
        logins = (await session.scalars(text("SELECT login FROM operators"))).all()
    await second.close()
    assert logins == ["a"]
