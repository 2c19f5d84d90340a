"""The timeline, a year at a time, in the store and through the app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from store.clock import FixedClock
from store.customers import add_customer
from store.db import Database, open_database, sqlite_url
from store.models import Event
from store.operators import sign_in
from store.timeline import timeline_year
from tui.app import KortistoApp
from tui.i18n import set_language
from tui.screens.timeline import TimelineScreen


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield


async def test_events_are_read_one_year_at_a_time(database: Database) -> None:
    clock = FixedClock(dt.datetime(2024, 12, 31, 23, 30))  # Helsinki time
    admin = await sign_in(database, "anna", clock)
    await add_customer(database, clock, operator_id=admin.id, last_name="Aalto")
    clock.advance(dt.timedelta(hours=1))  # New Year in Helsinki
    await add_customer(database, clock, number=100001 + 1, last_name="Berg")

    first = await timeline_year(database, 100001)
    assert (first.year, first.first_year, first.last_year) == (2024, 2024, 2024)
    assert [e.kind for e in first.events] == ["created"]
    assert first.events[0].operator == "anna"
    assert first.events[0].occurred_at.hour == 23
    empty = await timeline_year(database, 100001, 2025)
    assert empty.events == []


async def test_timeline_screen_moves_between_years(sqlite_path, clock) -> None:
    database = await open_database(sqlite_url(sqlite_path))
    await sign_in(database, "anna", clock)
    old = FixedClock(dt.datetime(2023, 5, 1, 12, 0))
    customer = await add_customer(database, old, last_name="Aalto")
    async with database.write() as session:
        session.add(
            Event(
                customer_id=customer.id,
                occurred_at=dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.UTC),
                kind="changed",
                changes={"street": ["Vanha 1", "Uusi 2"]},
            )
        )
    await database.close()

    app = KortistoApp(sqlite_url(sqlite_path), login="anna", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.press("t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, TimelineScreen)
        assert app.screen.shown.year == 2025
        assert "Vanha 1 → Uusi 2" in str(app.screen.query_one("#events").render())
        await pilot.press("right")  # no later year has events
        await app.workers.wait_for_complete()
        assert app.screen.shown.year == 2025
        for year in (2024, 2023, 2023):
            await pilot.press("left")
            await app.workers.wait_for_complete()
            assert app.screen.shown.year == year
