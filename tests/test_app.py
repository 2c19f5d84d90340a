"""The real app through Textual's Pilot, on a real SQLite register."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from store.clock import FixedClock
from store.customers import add_customer
from store.db import open_database, sqlite_url
from store.operators import sign_in
from tui.app import KortistoApp
from tui.i18n import set_language
from tui.screens.customer_card import CustomerCardScreen
from tui.screens.customer_list import CustomerListScreen
from tui.widgets.customer_list import CustomerList

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
async def register(sqlite_path: Path, clock: FixedClock) -> Path:
    """A register file with a few customers and its first operator."""
    database = await open_database(sqlite_url(sqlite_path))
    await sign_in(database, "anna", clock)
    people = [
        ("Mäkinen", "Teemu", "Kuusitie 3", "00100", "Helsinki"),
        ("Virtanen", "Aino", "Virtakatu 1", "34800", "Virrat"),
        ("Virtanen", "Bertta", "Satamakatu 7", "33100", "Tampere"),
        ("Koskinen", "Eero", "Mäkikatu 12 B 4", "90100", "Oulu"),
    ]
    for last, first, street, code, town in people:
        await add_customer(
            database,
            clock,
            last_name=last,
            first_name=first,
            street=street,
            postal_code=code,
            post_town=town,
            phone="040 123 4567",
            email=f"{first.lower()}@example.com",
        )
    await database.close()
    return sqlite_path


def make_app(path: Path, clock: FixedClock, login: str = "anna") -> KortistoApp:
    return KortistoApp(sqlite_url(path), login=login, clock=clock)


async def settle(app: KortistoApp, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def listed(app: KortistoApp) -> list[int]:
    return [row.number for row in app.screen.query_one(CustomerList).rows]


async def test_typing_narrows_the_list_by_street(register, clock) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert listed(app) == [100001, 100002, 100003, 100004]
        await pilot.press(*"satama")
        await settle(app, pilot)
        assert listed(app) == [100003]


async def test_cursor_starts_in_the_search_field(register, clock) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.focused is app.screen.query_one("#search")


async def test_enter_opens_card_and_escape_returns_as_it_was(register, clock) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(*"virta")
        await settle(app, pilot)
        await pilot.press("down", "down", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerCardScreen)
        assert app.screen.number == 100003
        header = str(app.screen.query_one("#card-header").render())
        assert "Virtanen Bertta" in header

        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerListScreen)
        assert app.screen.query_one("#search").value == "virta"
        listing = app.screen.query_one(CustomerList)
        assert listing.highlighted.number == 100003


async def test_enter_in_search_opens_the_first_match(register, clock) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(*"100004", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerCardScreen)
        assert app.screen.number == 100004


async def test_click_on_customer_number_opens_card(register, clock) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        # Row 0 of the list is its header; row 2 is the second customer.
        await pilot.click(CustomerList, offset=(3, 2))
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerCardScreen)
        assert app.screen.number == 100002


async def test_click_beside_the_number_only_highlights(register, clock) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.click(CustomerList, offset=(30, 3))
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerListScreen)
        assert app.screen.query_one(CustomerList).highlighted.number == 100003


async def test_panel_choice_is_kept_after_restart(register, clock) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        contact = app.screen.query_one("#panel-contact")
        assert not contact.collapsed
        await pilot.press("enter")  # the first title has the focus
        await settle(app, pilot)
        assert contact.collapsed
        await pilot.press("tab", "tab", "enter")  # opens Marketing
        await settle(app, pilot)
        assert not app.screen.query_one("#panel-marketing").collapsed

    again = make_app(register, clock)
    async with again.run_test(size=SIZE) as pilot:
        await settle(again, pilot)
        await pilot.press(*"koskinen", "enter")
        await settle(again, pilot)
        assert again.screen.query_one("#panel-contact").collapsed
        assert not again.screen.query_one("#panel-marketing").collapsed
        assert not again.screen.query_one("#panel-billing").collapsed


async def test_another_operator_keeps_their_own_panels(register, clock) -> None:
    database = await open_database(sqlite_url(register))
    from store.operators import add_operator, set_preference

    first = await sign_in(database, "anna", clock)
    await set_preference(database, first.id, "card_panels", {"contact": False})
    await add_operator(database, "ville", clock)
    await database.close()

    app = make_app(register, clock, login="ville")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert not app.screen.query_one("#panel-contact").collapsed


async def test_copy_puts_tidy_details_on_the_clipboard(register, clock) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(*"mäkinen", "enter")
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
    assert app.clipboard.splitlines()[:8] == [
        "Customer number: 100001",
        "Name: Teemu Mäkinen",
        "Customer type: Private",
        "Address:",
        "  Kuusitie 3",
        "  00100 Helsinki",
        "Phone: 040 123 4567",
        "Email: teemu@example.com",
    ]
    assert "Invoice delivery: Paper" in app.clipboard


async def test_empty_panels_say_so(register, clock) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        body = str(app.screen.query_one("#body-invoices").render())
        assert "No invoices." in body


async def test_first_login_of_a_new_register_is_admin(sqlite_path, clock) -> None:
    app = make_app(sqlite_path, clock, login="first")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.operator is not None
        assert app.operator.is_admin


async def test_stranger_is_refused_with_a_message(register, clock) -> None:
    app = make_app(register, clock, login="stranger")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
    assert app.return_code == 1


async def test_finnish_is_the_default_language(register, clock) -> None:
    set_language(None)
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "Asiakkaat" in str(app.screen.query_one("#title").render())
        await pilot.press("enter")
        await settle(app, pilot)
        titles = [c.title for c in app.screen.query("Collapsible")]
    assert titles[:2] == ["Yhteystiedot", "Laskutustiedot"]


async def test_more_rows_arrive_as_the_cursor_nears_the_end(sqlite_path, clock) -> None:
    database = await open_database(sqlite_url(sqlite_path))
    await sign_in(database, "anna", clock)
    for index in range(120):
        await add_customer(
            database, clock, last_name="Virtanen", first_name=f"E{index}"
        )
    await database.close()
    app = make_app(sqlite_path, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        listing = app.screen.query_one(CustomerList)
        assert len(listing.rows) == 50
        await pilot.press("down", "pagedown", "pagedown")
        await settle(app, pilot)
        assert len(listing.rows) == 100
        await pilot.press("end")
        await settle(app, pilot)
        await pilot.press("end")
        await settle(app, pilot)
        assert len(listing.rows) == 120
        assert listing.exhausted
        assert len({r.number for r in listing.rows}) == 120
