"""The admin's settings screen through the real app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import OptionList

from store.clock import FixedClock
from store.db import open_database, sqlite_url
from store.operators import add_operator, sign_in
from tui.app import KortistoApp
from tui.i18n import set_language
from tui.screens.prompt import PromptScreen
from tui.screens.settings import SettingsScreen

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield


@pytest.fixture
async def register(sqlite_path: Path, clock: FixedClock) -> Path:
    database = await open_database(sqlite_url(sqlite_path))
    await sign_in(database, "anna", clock)
    await add_operator(database, "ville", clock)
    await database.close()
    return sqlite_path


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def entries(app) -> list[str]:
    listing = app.screen.query_one("#entries", OptionList)
    return [
        str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)
    ]


async def open_section(app, pilot, title: str) -> None:
    sections = app.screen.query_one("#sections", OptionList)
    for index in range(sections.option_count):
        if str(sections.get_option_at_index(index).prompt) == title:
            sections.highlighted = index
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)


async def test_admin_adds_retires_and_restores_a_group(register, clock) -> None:
    app = KortistoApp(sqlite_url(register), login="anna", clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f9")
        await settle(app, pilot)
        assert isinstance(app.screen, SettingsScreen)
        await open_section(app, pilot, "Groups")
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"Harrastajat", "ctrl+s")
        await settle(app, pilot)
        assert entries(app) == ["Harrastajat"]
        await pilot.press("x")
        await settle(app, pilot)
        assert entries(app) == ["Harrastajat (retired)"]
        await pilot.press("x")
        await settle(app, pilot)
        assert entries(app) == ["Harrastajat"]


async def test_refused_entry_keeps_what_was_typed(register, clock) -> None:
    app = KortistoApp(sqlite_url(register), login="anna", clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f9")
        await settle(app, pilot)
        await open_section(app, pilot, "Products")
        await pilot.press("a")
        await settle(app, pilot)
        await pilot.press(*"HS", "tab", *"Sanomat", "tab")
        await pilot.press("tab", "ctrl+a", "ctrl+k", *"abc", "ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, PromptScreen)
        assert app.screen.error
        assert app.screen.fields[1].value == "Sanomat"


async def test_settings_are_for_admins_only(register, clock) -> None:
    app = KortistoApp(sqlite_url(register), login="ville", clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f9")
        await settle(app, pilot)
        assert not isinstance(app.screen, SettingsScreen)


async def test_admin_puts_a_price_on_a_product(register, clock) -> None:
    from store.pricing import price_list

    app = KortistoApp(sqlite_url(register), login="anna", clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f9")
        await settle(app, pilot)
        await open_section(app, pilot, "Products")
        await pilot.press("a")
        await settle(app, pilot)
        await pilot.press(*"PL", "tab", *"Päivälehti", "ctrl+s")
        await settle(app, pilot)
        await pilot.press("h")
        await settle(app, pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("tab", "tab", *"289,00", "ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, PromptScreen)
        await pilot.press("h")
        await settle(app, pilot)
        await pilot.press("ctrl+a", "ctrl+k", *"0", "tab", "tab", *"9", "ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, PromptScreen)
        assert "between 1 and 120" in app.screen.error

    database = await open_database(sqlite_url(register))
    prices = await price_list(database, "PL")
    await database.close()
    assert [(p.term.months, str(p.price)) for p in prices] == [(12, "289.00")]
