"""Editing the card with the keyboard, through the real app, on a SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from textual.widgets import Checkbox, Input, Select, SelectionList

from store.clock import FixedClock
from store.customers import add_customer
from store.db import open_database, sqlite_url
from store.models import Customer, Event
from store.operators import add_operator, sign_in
from store.settings import ListKind, add_entry
from tui.app import KortistoApp
from tui.i18n import set_language
from tui.screens.customer_card import CustomerCardScreen
from tui.screens.customer_form import CustomerFormScreen
from tui.widgets.form_field import FormField, field_id

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield


@pytest.fixture
async def register(sqlite_path: Path, clock: FixedClock) -> Path:
    database = await open_database(sqlite_url(sqlite_path))
    admin = await sign_in(database, "anna", clock)
    await add_operator(
        database, "myyja", clock, name="Mikko Myyjä", is_salesperson=True
    )
    for name in ("Kunta", "Yhdistys", "Opiskelija"):
        await add_entry(database, admin, ListKind.GROUPS, name)
    await add_customer(
        database,
        clock,
        customer_type="company",
        company="Maksaja Oy",
        business_id="4095597-9",
        street="Maksutie 1",
        postal_code="00100",
        post_town="Helsinki",
    )
    await add_customer(
        database,
        clock,
        last_name="Virtanen",
        first_name="Aino",
        street="Virtakatu 1",
        postal_code="34800",
        post_town="Virrat",
    )
    await database.close()
    return sqlite_path


def make_app(path: Path, clock: FixedClock, login: str = "anna") -> KortistoApp:
    return KortistoApp(sqlite_url(path), login=login, clock=clock)


async def settle(app: KortistoApp, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def focus(app, pilot, name: str):
    widget = app.screen.query_one(f"#{field_id(name)}")
    for ancestor in widget.ancestors:
        if hasattr(ancestor, "collapsed"):
            ancestor.collapsed = False
    await pilot.pause()
    widget.focus()
    await pilot.pause()
    return widget


async def type_into(app, pilot, name: str, text: str) -> None:
    widget = await focus(app, pilot, name)
    assert isinstance(widget, Input)
    await pilot.press("ctrl+a", "ctrl+k") if widget.value else None
    widget.value = ""
    await pilot.press(*text)


async def choose(app, pilot, name: str, label: str) -> None:
    """Open a select with Enter, move to ``label`` with the arrows, Enter."""
    widget = await focus(app, pilot, name)
    assert isinstance(widget, Select)
    await pilot.press("enter")
    await pilot.pause()
    for _ in range(20):
        overlay = widget.query_one("SelectOverlay")
        highlighted = overlay.highlighted
        if (
            highlighted is not None
            and str(overlay.get_option_at_index(highlighted).prompt) == label
        ):
            break
        await pilot.press("down")
    await pilot.press("enter")
    await pilot.pause()
    assert widget.selection is not None


async def tick(app, pilot, name: str, labels: list[str] | None = None) -> None:
    widget = await focus(app, pilot, name)
    if isinstance(widget, Checkbox):
        await pilot.press("space")
        return
    assert isinstance(widget, SelectionList)
    for index in range(widget.option_count):
        widget.highlighted = index
        if str(widget.get_option_at_index(index).prompt) in (labels or []):
            await pilot.press("space")


async def test_new_company_with_einvoice_payer_consents_and_groups(
    register, clock
) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerFormScreen)

        await choose(app, pilot, "customer_type", "Company")
        await type_into(app, pilot, "company", "Järvisen Kone Oy")
        await type_into(app, pilot, "business_id", " 0737546-2 ")
        await type_into(app, pilot, "street", "Teollisuuskatu 5")
        await type_into(app, pilot, "postal_code", "33100")
        await type_into(app, pilot, "post_town", "Tampere")
        await type_into(app, pilot, "phone", "040-1234567")
        await type_into(app, pilot, "email", "laskut@example.com")
        await choose(app, pilot, "invoice_delivery", "E-invoice")
        await type_into(app, pilot, "einvoice_address", "003707375462")
        await type_into(app, pilot, "einvoice_operator", "NDEAFIHH")
        await choose(app, pilot, "salesperson_id", "Mikko Myyjä")
        await tick(app, pilot, "has_payer")
        await type_into(app, pilot, "payer.payer_customer_number", "100001")
        await choose(app, pilot, "consents.email.status", "Allowed")
        await choose(app, pilot, "consents.email.source", "Puhelu")
        await type_into(app, pilot, "consents.email.given_on", "1.12.")
        await choose(app, pilot, "consents.sms.status", "Denied")
        await choose(app, pilot, "consents.sms.source", "Verkkolomake")
        await type_into(app, pilot, "consents.sms.given_on", "2.12.2026")
        await tick(app, pilot, "group_ids", ["Kunta", "Yhdistys"])

        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerCardScreen), [
            (f.field_name, str(f.query_one(".form-field--error").render()))
            for f in app.query(FormField)
            if f.has_error
        ]
        number = app.screen.number
        assert number == 100003

    database = await open_database(sqlite_url(register))
    async with database.read() as session:
        customer = await session.scalar(
            select(Customer).where(Customer.number == number)
        )
        events = (
            await session.scalars(select(Event).where(Event.customer_id == customer.id))
        ).all()
    await database.close()
    assert customer.company == "Järvisen Kone Oy"
    assert customer.business_id == "0737546-2"
    assert customer.phone_normalized == "+358401234567"
    [created] = [e for e in events if e.kind == "created"]
    assert created.operator_id is not None
    changes = created.changes
    assert changes["company"][1] == "Järvisen Kone Oy"
    assert changes["salesperson"][1] == "Mikko Myyjä"
    assert changes["groups"][1] == ["Kunta", "Yhdistys"]
    assert changes["payer.customer_number"][1] == "100001"
    assert changes["consents.email"][1].startswith("allowed (Puhelu 1.12.2026")
    assert changes["consents.sms"][1].startswith("denied (Verkkolomake 2.12.2026")


async def test_wrong_fields_are_marked_and_nothing_is_saved(register, clock) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(*"virtanen", "enter")
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        await type_into(app, pilot, "postal_code", "3480")
        await type_into(app, pilot, "email", "aino@@example")
        await type_into(app, pilot, "discount_percent", "150")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerFormScreen)
        wrong = {f.field_name for f in app.screen.query(FormField) if f.has_error}
        assert wrong == {"postal_code", "email", "discount_percent"}
        message = str(
            app.screen.query_one(
                f"#field-{field_id('postal_code')} .form-field--error"
            ).render()
        )
        assert "five digits" in message
        # What the operator typed is still there.
        assert app.screen.query_one(f"#{field_id('email')}").value == "aino@@example"

    database = await open_database(sqlite_url(register))
    async with database.read() as session:
        customer = await session.scalar(
            select(Customer).where(Customer.number == 100002)
        )
    await database.close()
    assert (customer.postal_code, customer.version) == ("34800", 1)


async def test_leaving_a_field_checks_it(register, clock) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        await type_into(app, pilot, "business_id", "1234567-8")
        await pilot.press("tab")
        await settle(app, pilot)
        field = app.screen.query_one(f"#field-{field_id('business_id')}", FormField)
        assert field.has_error


async def test_tab_moves_through_the_fields_in_reading_order(register, clock) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        await focus(app, pilot, "last_name")
        order = []
        for _ in range(4):
            await pilot.press("tab")
            order.append(app.focused.id)
        assert order == [
            field_id("first_name"),
            field_id("company"),
            field_id("business_id"),
            field_id("street"),
        ]


async def test_leaving_with_changes_asks_first(register, clock) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        await type_into(app, pilot, "post_town", "Espoo")
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen.__class__.__name__ == "ConfirmScreen"
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerFormScreen)
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerCardScreen)


async def test_second_operators_stale_save_is_refused(register, clock) -> None:
    database = await open_database(sqlite_url(register))
    await add_operator(database, "ville", clock, name="Ville Virkkunen")
    await database.close()

    first = make_app(register, clock, "anna")
    second = make_app(register, clock, "ville")
    async with first.run_test(size=SIZE) as one, second.run_test(size=SIZE) as two:
        for app, pilot in ((first, one), (second, two)):
            await settle(app, pilot)
            await pilot.press(*"virtanen", "enter")
            await settle(app, pilot)
            await pilot.press("e")
            await settle(app, pilot)

        await type_into(second, two, "post_town", "Ruovesi")
        await type_into(second, two, "phone", "040 765 4321")
        await two.press("ctrl+s")
        await settle(second, two)
        assert isinstance(second.screen, CustomerCardScreen)

        await type_into(first, one, "street", "Uusikatu 9")
        await one.press("ctrl+s")
        await settle(first, one)
        assert isinstance(first.screen, CustomerFormScreen)
        assert first.screen.stale
        shown = [n.message for n in first._notifications]
        assert any("Ville Virkkunen" in m for m in shown)
        assert first.screen.query_one(f"#{field_id('street')}").value == "Uusikatu 9"

        await type_into(first, one, "post_town", "Orivesi")
        await one.press("ctrl+r")
        await settle(first, one)
        screen = first.screen
        # Both changed the post town: the first operator's value stays, the
        # newer one is shown under it. The second operator's phone, which the
        # first did not touch, comes in as it is.
        assert screen.query_one(f"#{field_id('post_town')}").value == "Orivesi"
        hint = screen.query_one(f"#field-{field_id('post_town')} .form-field--hint")
        assert "Ruovesi" in str(hint.render())
        assert screen.query_one(f"#{field_id('phone')}").value == "040 765 4321"
        assert screen.query_one(f"#{field_id('street')}").value == "Uusikatu 9"
        await one.press("ctrl+s")
        await settle(first, one)
        assert isinstance(first.screen, CustomerCardScreen)

    database = await open_database(sqlite_url(register))
    async with database.read() as session:
        customer = await session.scalar(
            select(Customer).where(Customer.number == 100002)
        )
    await database.close()
    assert (customer.street, customer.post_town, customer.phone, customer.version) == (
        "Uusikatu 9",
        "Orivesi",
        "040 765 4321",
        3,
    )
