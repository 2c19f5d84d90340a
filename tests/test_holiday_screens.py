"""The Other panel's forms and keys, through the real app on a SQLite file.

The clock stands at Thursday 3.12.2026. The customer lives at a postcode
that bundle N1 covers and subscribes to a paper until 31.3.2027.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select
from textual.widgets import Checkbox, Input, OptionList, Static

from store.clock import FixedClock
from store.customers import add_customer
from store.db import open_database, sqlite_url
from store.holidays import (
    AddressChangeInput,
    SuspensionInput,
    add_address_change,
    add_suspension,
)
from store.models import (
    AddressChange,
    Bundle,
    BundlePostalCode,
    Customer,
    Product,
    ProductKind,
    Subscription,
    Suspension,
    TemporaryAddress,
)
from store.operators import add_operator, sign_in
from tui.app import KortistoApp
from tui.i18n import set_language
from tui.screens.customer_card import CustomerCardScreen
from tui.screens.holiday_forms import (
    AddressChangeForm,
    HolidayForm,
    SuspensionForm,
    TemporaryAddressForm,
)
from tui.screens.prompt import PromptScreen
from tui.widgets.form_field import FormField, field_id

SIZE = (80, 24)
NUMBER = 100001


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield


@pytest.fixture
async def register(sqlite_path: Path, clock: FixedClock) -> Path:
    database = await open_database(sqlite_url(sqlite_path))
    await sign_in(database, "anna", clock)
    customer = await add_customer(
        database,
        clock,
        last_name="Virtanen",
        first_name="Aino",
        street="Virtakatu 1",
        postal_code="34800",
        post_town="Virrat",
    )
    assert customer.number == NUMBER
    async with database.write() as session:
        bundle = Bundle(code="N1", name="Keskusta")
        paper = Product(
            code="HS", name="Sanomat", kind=ProductKind.PUBLICATION, vat_percent=10
        )
        session.add_all([bundle, paper])
        await session.flush()
        session.add(BundlePostalCode(postal_code="34800", bundle_id=bundle.id))
        customer_id = await session.scalar(
            select(Customer.id).where(Customer.number == NUMBER)
        )
        session.add(
            Subscription(
                number=2000001,
                product_id=paper.id,
                subscriber_id=customer_id,
                payer_id=customer_id,
                starts_on=dt.date(2026, 10, 1),
                ends_on=dt.date(2027, 3, 31),
                copies=1,
                unit_price=Decimal("120.00"),
            )
        )
    await database.close()
    return sqlite_path


def make_app(path: Path, clock: FixedClock, login: str = "anna") -> KortistoApp:
    return KortistoApp(sqlite_url(path), login=login, clock=clock)


async def settle(app: KortistoApp, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_other_panel(app: KortistoApp, pilot) -> OptionList:
    """Open the card, open its Other panel and go to its list of records."""
    await settle(app, pilot)
    await pilot.press(*str(NUMBER), "enter")
    await settle(app, pilot)
    assert isinstance(app.screen, CustomerCardScreen)
    app.screen.query_one("#panel-other").collapsed = False
    await pilot.pause()
    records = app.screen.query_one("#other-records", OptionList)
    records.focus()
    await settle(app, pilot)
    return records


async def fill(app: KortistoApp, pilot, name: str, text: str) -> None:
    widget = app.screen.query_one(f"#{field_id(name)}", Input)
    widget.focus()
    await pilot.pause()
    widget.value = ""
    await pilot.press(*text)


async def tick(app: KortistoApp, pilot, name: str) -> None:
    widget = app.screen.query_one(f"#{field_id(name)}", Checkbox)
    widget.focus()
    await pilot.pause()
    await pilot.press("space")


def value(app: KortistoApp, name: str) -> str:
    return app.screen.query_one(f"#{field_id(name)}", Input).value


def error_under(app: KortistoApp, name: str) -> str:
    field = app.screen.query_one(f"#field-{field_id(name)}", FormField)
    if not field.has_error:
        return ""
    return str(field.query_one(".form-field--error").render())


def rows(records: OptionList) -> list[str]:
    return [str(option.prompt) for option in records.options]


def state_text(app: KortistoApp) -> str:
    """The effective state as the panel shows it, on one line."""
    widget = app.screen.query_one("#other-state", Static)
    console = Console(width=76, file=io.StringIO(), record=True)
    console.print(widget.content)
    return " ".join(console.export_text().split())


def notifications(app: KortistoApp) -> str:
    return "\n".join(n.message for n in app._notifications)


async def read(path: Path, model):
    database = await open_database(sqlite_url(path))
    async with database.read() as session:
        found = list((await session.scalars(select(model))).all())
    await database.close()
    return found


async def test_two_week_suspension_continues_the_subscription(register, clock) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        records = await open_other_panel(app, pilot)
        assert "Delivered to Virtakatu 1, 34800 Virrat by bundle N1" in state_text(app)

        await pilot.press("k")
        await settle(app, pilot)
        assert isinstance(app.screen, SuspensionForm)
        await fill(app, pilot, "starts_on", "10.12.")
        await fill(app, pilot, "ends_on", "23.12.")
        await tick(app, pilot, "continue_subscriptions")
        assert value(app, "starts_on") == "10.12.2026"  # written out on leaving
        await pilot.press("ctrl+s")
        await settle(app, pilot)

        assert isinstance(app.screen, CustomerCardScreen)
        assert "Subscription 2000001 now ends 14.4.2027 (was 31.3.2027)." in (
            notifications(app)
        )
        listed = rows(records)
        assert len(listed) == 1
        assert "Delivery suspension" in listed[0]
        assert "10.12.2026–23.12.2026" in listed[0]
        assert "continue subscriptions" in listed[0]
        # The operator stays on the record after the card reloads.
        assert app.focused is records
        assert records.highlighted_option is not None
        assert records.highlighted_option.id.startswith("suspension-")

        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"15.12.", "enter")
        await settle(app, pilot)
        shown = state_text(app)
        assert "Delivery today" in shown
        assert "Delivery on 15.12.2026 Not delivered: suspended until 23.12.2026" in (
            shown
        )

    subscriptions = await read(register, Subscription)
    assert subscriptions[0].ends_on == dt.date(2027, 4, 14)
    suspensions = await read(register, Suspension)
    assert [(s.starts_on, s.ends_on, s.extends_subscriptions) for s in suspensions] == [
        (dt.date(2026, 12, 10), dt.date(2026, 12, 23), True)
    ]


async def test_bad_and_backwards_dates_are_refused_and_kept(register, clock) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_other_panel(app, pilot)
        await pilot.press("k")
        await settle(app, pilot)

        await fill(app, pilot, "starts_on", "31.6.")
        await fill(app, pilot, "ends_on", "7.7.2027")
        assert error_under(app, "starts_on") == "Date does not exist"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SuspensionForm)
        assert error_under(app, "starts_on") == "Date does not exist"
        assert value(app, "starts_on") == "31.6."
        assert value(app, "ends_on") == "7.7.2027"

        await fill(app, pilot, "starts_on", "20.12.")
        await fill(app, pilot, "ends_on", "10.12.")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SuspensionForm)
        assert error_under(app, "starts_on") == ""
        assert error_under(app, "ends_on") == "End date is before the start date"
        assert value(app, "starts_on") == "20.12.2026"
        assert value(app, "ends_on") == "10.12."  # as typed, focus never left

        await pilot.press("escape")  # something is typed: it asks first
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerCardScreen)

    assert await read(register, Suspension) == []


async def test_overlapping_suspension_is_refused_with_the_other(
    register, clock
) -> None:
    database = await open_database(sqlite_url(register))
    await add_suspension(
        database,
        clock,
        NUMBER,
        SuspensionInput(dt.date(2026, 12, 10), dt.date(2026, 12, 23)),
    )
    await database.close()

    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_other_panel(app, pilot)
        await pilot.press("k")
        await settle(app, pilot)
        await fill(app, pilot, "starts_on", "20.12.2026")
        await fill(app, pilot, "ends_on", "2.1.2027")
        await tick(app, pilot, "continue_subscriptions")
        await pilot.press("ctrl+s")
        await settle(app, pilot)

        assert isinstance(app.screen, SuspensionForm)
        assert error_under(app, "starts_on") == (
            "The dates overlap the suspension 10.12.2026–23.12.2026"
        )
        assert value(app, "starts_on") == "20.12.2026"
        assert value(app, "ends_on") == "2.1.2027"
        assert app.screen.query_one(
            f"#{field_id('continue_subscriptions')}", Checkbox
        ).value

    assert len(await read(register, Suspension)) == 1


async def test_address_change_is_edited_and_then_cancelled(register, clock) -> None:
    database = await open_database(sqlite_url(register))
    await add_address_change(
        database,
        clock,
        NUMBER,
        AddressChangeInput("Uusikatu 2", "33100", "Tampere", dt.date(2027, 1, 1)),
    )
    await database.close()

    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        records = await open_other_panel(app, pilot)
        assert "Address change" in rows(records)[0]
        assert "1.1.2027" in rows(records)[0]
        # Papers follow the change from its date, before the night applies it.
        await pilot.press("d")
        await settle(app, pilot)
        await pilot.press(*"2.1.2027", "enter")
        await settle(app, pilot)
        assert "Delivered to Uusikatu 2, 33100 Tampere" in state_text(app)

        await pilot.press("f2")
        await settle(app, pilot)
        assert isinstance(app.screen, AddressChangeForm)
        assert value(app, "street") == "Uusikatu 2"
        assert value(app, "effective_on") == "1.1.2027"
        await fill(app, pilot, "street", "Uusikatu 4 B 6")
        await fill(app, pilot, "effective_on", "15.1.2027")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerCardScreen)
        assert "15.1.2027" in rows(records)[0]
        assert "Uusikatu 4 B 6" in rows(records)[0]
        changes = await read(register, AddressChange)
        assert [(c.street, c.effective_on) for c in changes] == [
            ("Uusikatu 4 B 6", dt.date(2027, 1, 15))
        ]

        await pilot.press("x")
        await settle(app, pilot)
        await pilot.press("n")  # not after all
        await settle(app, pilot)
        assert len(await read(register, AddressChange)) == 1

        await pilot.press("x")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert "Cancelled the address change for 15.1.2027." in notifications(app)
        assert rows(records) == [
            "No temporary addresses, suspensions or address changes."
        ]
        assert app.focused is records

    assert await read(register, AddressChange) == []
    customer = (await read(register, Customer))[0]
    assert customer.street == "Virtakatu 1"


async def test_state_on_a_chosen_date_follows_a_temporary_address(
    register, clock
) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        records = await open_other_panel(app, pilot)
        await pilot.press("v")
        await settle(app, pilot)
        assert isinstance(app.screen, TemporaryAddressForm)
        await fill(app, pilot, "street", "Mökkitie 4")
        await fill(app, pilot, "postal_code", "41800")
        await fill(app, pilot, "post_town", "Korpilahti")
        await fill(app, pilot, "starts_on", "20.12.")
        await fill(app, pilot, "ends_on", "6.1.2027")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerCardScreen)
        assert "Mökkitie 4, 41800 Korpilahti" in rows(records)[0]

        await pilot.press("d")
        await settle(app, pilot)
        await pilot.press(*"1.1.", "enter")  # 1.1.2026 is history already
        await settle(app, pilot)
        assert "Delivery on 1.1.2026 Delivered to Virtakatu 1" in state_text(app)

        await pilot.press("d")
        await settle(app, pilot)
        await pilot.press(*"32.12.", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, PromptScreen)  # asked again, with why
        assert value(app, "date") == "32.12."
        assert error_under(app, "date") == "Date does not exist"
        app.screen.query_one(f"#{field_id('date')}", Input).value = "24.12."
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerCardScreen)
        assert (
            "Delivery on 24.12.2026 Delivered to Mökkitie 4, 41800 Korpilahti by"
            " post: no bundle covers postal code 41800"
        ) in state_text(app)
        assert "Delivery today Delivered to Virtakatu 1" in state_text(app)

    rows_saved = await read(register, TemporaryAddress)
    assert [(t.street, t.starts_on, t.ends_on) for t in rows_saved] == [
        ("Mökkitie 4", dt.date(2026, 12, 20), dt.date(2027, 1, 6))
    ]


async def test_a_save_over_a_newer_change_names_who_made_it(register, clock) -> None:
    database = await open_database(sqlite_url(register))
    await add_operator(database, "ville", clock, name="Ville Virkkunen")
    await add_suspension(
        database,
        clock,
        NUMBER,
        SuspensionInput(dt.date(2026, 12, 10), dt.date(2026, 12, 23)),
    )
    await database.close()

    first = make_app(register, clock, "anna")
    second = make_app(register, clock, "ville")
    async with first.run_test(size=SIZE) as one, second.run_test(size=SIZE) as two:
        for app, pilot in ((first, one), (second, two)):
            await open_other_panel(app, pilot)
            await pilot.press("f2")
            await settle(app, pilot)
            assert isinstance(app.screen, SuspensionForm)

        await fill(second, two, "ends_on", "20.12.2026")
        await two.press("ctrl+s")
        await settle(second, two)
        assert isinstance(second.screen, CustomerCardScreen)

        await fill(first, one, "ends_on", "27.12.2026")
        await one.press("ctrl+s")
        await settle(first, one)
        assert isinstance(first.screen, HolidayForm)
        refusal = str(first.screen.query_one("#holiday-form-error").render())
        assert refusal.startswith("Ville Virkkunen changed this at 03.12.2026")
        assert value(first, "ends_on") == "27.12.2026"

    suspensions = await read(register, Suspension)
    assert suspensions[0].ends_on == dt.date(2026, 12, 20)


async def test_past_records_are_history(register, clock) -> None:
    database = await open_database(sqlite_url(register))
    await add_suspension(
        database,
        clock,
        NUMBER,
        SuspensionInput(dt.date(2026, 12, 4), dt.date(2026, 12, 5)),
    )
    await database.close()
    clock.advance(dt.timedelta(days=7))

    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        records = await open_other_panel(app, pilot)
        assert "history" in rows(records)[0]
        await pilot.press("f2")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerCardScreen)
        assert "This suspension has ended and is history." in notifications(app)
        await pilot.press("x")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert "This suspension has ended and is history." in notifications(app)

    assert len(await read(register, Suspension)) == 1


async def test_the_date_asked_about_is_forgotten_for_the_next_customer(
    register, clock
) -> None:
    database = await open_database(sqlite_url(register))
    await add_customer(
        database,
        clock,
        last_name="Mäkinen",
        first_name="Teemu",
        street="Kuusitie 3",
        postal_code="00100",
        post_town="Helsinki",
    )
    await database.close()

    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_other_panel(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        await pilot.press(*"24.12.", "enter")
        await settle(app, pilot)
        assert "Delivery on 24.12.2026" in state_text(app)

        await pilot.press("escape")
        await settle(app, pilot)
        app.screen.query_one("#search", Input).value = ""
        await pilot.press(*"100002", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerCardScreen)
        assert "Delivered to Kuusitie 3" in state_text(app)
        assert "Delivery on" not in state_text(app)
