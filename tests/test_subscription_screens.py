"""Subscriptions and invoices from the card, with the keyboard, on a SQLite file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from billing_helpers import customer, newspaper, product
from rich.console import Console
from textual.widgets import Input, Select, Static

from store.clock import FixedClock
from store.db import Database, open_database, sqlite_url
from store.invoicing import (
    ManualLine,
    add_invoice,
    invoice_detail,
    invoices_of,
    run_invoicing,
)
from store.models import InvoiceStatus, ProductKind
from store.operators import add_operator, sign_in
from store.pricing import SIX_MONTHS, TWELVE_MONTHS
from store.references import format_finnish, format_rf
from store.subscriptions import (
    add_subscription,
    change_subscription,
    get_subscription,
    subscriptions_of,
)
from tui.app import KortistoApp
from tui.i18n import set_language
from tui.screens.confirm import ConfirmScreen
from tui.screens.customer_card import CustomerCardScreen
from tui.screens.invoice_screen import AddInvoiceScreen, InvoiceScreen
from tui.screens.prompt import PromptScreen
from tui.screens.subscription_form import (
    EndSubscriptionScreen,
    SubscriptionFormScreen,
    UndeliveredScreen,
)
from tui.widgets.form_field import FormField, field_id
from tui.widgets.row_table import RowTable

SIZE = (80, 24)
D = Decimal
JAN_1 = dt.date(2027, 1, 1)
AINO = 100001


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield


@pytest.fixture
async def register(sqlite_path: Path, clock: FixedClock) -> Path:
    """Anna (admin), the daily PL on the price list, and Aino, who pays by email."""
    database = await open_database(sqlite_url(sqlite_path))
    anna = await sign_in(database, "anna", clock)
    await newspaper(database, clock, anna.id)
    await customer(
        database,
        clock,
        last_name="Virtanen",
        first_name="Aino",
        invoice_delivery="email",
        email="aino@example.com",
    )
    await database.close()
    return sqlite_path


async def with_register(path: Path, clock: FixedClock, work) -> object:
    database = await open_database(sqlite_url(path))
    try:
        return await work(database)
    finally:
        await database.close()


async def invoiced_year(path: Path, clock: FixedClock) -> int:
    """Aino's 12 months of PL from 1.1.2027, invoiced by the run; its number."""

    async def work(database: Database) -> int:
        made = await add_subscription(
            database,
            clock,
            operator_id=None,
            subscriber_number=AINO,
            product_code="PL",
            starts_on=JAN_1,
            term=TWELVE_MONTHS,
        )
        summary = await run_invoicing(database, clock, JAN_1, dry_run=False)
        assert summary.invoices == 1
        return made.number

    number = await with_register(path, clock, work)
    assert isinstance(number, int)
    return number


def make_app(path: Path, clock: FixedClock, login: str = "anna") -> KortistoApp:
    return KortistoApp(sqlite_url(path), login=login, clock=clock)


async def settle(app: KortistoApp, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def notifications(app: KortistoApp) -> str:
    return "\n".join(n.message for n in app._notifications)


async def open_card(app: KortistoApp, pilot, number: int = AINO) -> None:
    await settle(app, pilot)
    await pilot.press(*str(number), "enter")
    await settle(app, pilot)
    assert isinstance(app.screen, CustomerCardScreen)


async def tab_to(app: KortistoApp, pilot, widget_id: str) -> RowTable:
    """Press Tab until the table ``widget_id`` has the focus, as an operator would."""
    for _ in range(30):
        if app.focused is not None and app.focused.id == widget_id:
            break
        await pilot.press("tab")
    assert app.focused is not None and app.focused.id == widget_id
    assert isinstance(app.focused, RowTable)
    return app.focused


def rows(table: RowTable) -> list[list[str]]:
    return [
        [str(cell) for cell in table.get_row_at(index)]
        for index in range(table.row_count)
    ]


async def type_into(app: KortistoApp, pilot, name: str, text: str) -> None:
    widget = app.screen.query_one(f"#{field_id(name)}", Input)
    widget.focus()
    widget.value = ""
    await pilot.press(*text)


async def choose(app: KortistoApp, pilot, name: str, prompt: str) -> None:
    """Open a select with Enter, move to ``prompt`` with the arrows, Enter."""
    widget = app.screen.query_one(f"#{field_id(name)}", Select)
    widget.focus()
    await pilot.press("enter")
    await pilot.pause()
    overlay = widget.query_one("SelectOverlay")
    for _ in range(20):
        highlighted = overlay.highlighted
        if (
            highlighted is not None
            and str(overlay.get_option_at_index(highlighted).prompt) == prompt
        ):
            break
        await pilot.press("down")
    await pilot.press("enter")
    await pilot.pause()
    assert widget.selection is not None


def shown_text(renderable) -> str:
    console = Console(width=80, record=True, file=StringIO())
    console.print(renderable)
    return console.export_text()


def error_of(app: KortistoApp, name: str) -> str:
    field = app.screen.query_one(f"#field-{field_id(name)}", FormField)
    return (
        str(field.query_one(".form-field--error").render()) if field.has_error else ""
    )


async def test_adding_a_subscription_from_the_card_with_keys(register, clock) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_card(app, pilot)
        await tab_to(app, pilot, "subscriptions-table")
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, SubscriptionFormScreen)
        # The only product on sale is chosen; the payer is the subscriber.
        assert "100001 Virtanen Aino" in str(
            app.screen.query_one(f"#{field_id('payer_number')}").render()
        )

        await type_into(app, pilot, "starts_on", "1.1.2027")
        await settle(app, pilot)
        await choose(app, pilot, "term", "6 months · 159,00 €")
        await type_into(app, pilot, "copies", "2")
        await pilot.press("ctrl+s")
        await settle(app, pilot)

        assert isinstance(app.screen, CustomerCardScreen), notifications(app)
        table = app.screen.query_one("#subscriptions-table", RowTable)
        [row] = rows(table)
        assert row[1] == "Päivälehti"
        assert row[4] == "1.1.2027–30.6.2027\nfuture"
        # The operator is back in the panel, on the new row.
        assert app.focused is table

    async def check(database: Database) -> None:
        [made] = await subscriptions_of(database, AINO, clock)
        assert (made.starts_on, made.ends_on) == (JAN_1, dt.date(2027, 6, 30))
        assert (made.term, made.copies, made.unit_price) == (SIX_MONTHS, 2, D("159.00"))
        assert made.payer_number == AINO and made.future

    await with_register(register, clock, check)


async def test_an_own_price_needs_a_reason(register, clock) -> None:
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_card(app, pilot)
        await tab_to(app, pilot, "subscriptions-table")
        await pilot.press("a")
        await settle(app, pilot)
        await type_into(app, pilot, "unit_price", "250")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SubscriptionFormScreen)
        assert "Say why the price differs" in error_of(app, "price_override_reason")

        await type_into(app, pilot, "price_override_reason", "Kampanja")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerCardScreen), notifications(app)

    async def check(database: Database) -> None:
        [made] = await subscriptions_of(database, AINO, clock)
        detail = await get_subscription(database, made.number)
        assert (detail.unit_price, detail.list_price) == (D("250.00"), D("299.00"))
        assert detail.price_override_reason == "Kampanja"

    await with_register(register, clock, check)


async def test_continuing_makes_a_new_period_from_the_day_after(
    register, clock
) -> None:
    number = await invoiced_year(register, clock)
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_card(app, pilot)
        table = await tab_to(app, pilot, "subscriptions-table")
        await pilot.press("j")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "1.1.2028–31.12.2028" in app.screen.question
        await pilot.press("y")
        await settle(app, pilot)

        assert isinstance(app.screen, CustomerCardScreen)
        periods = [row[4] for row in rows(table)]
        assert periods == ["1.1.2027–31.12.2027\nfuture", "1.1.2028–31.12.2028\nfuture"]

    async def check(database: Database) -> None:
        first, second = await subscriptions_of(database, AINO, clock)
        assert first.number == number
        following = await get_subscription(database, second.number)
        assert following.continued_from_number == number
        assert (following.term, following.copies) == (TWELVE_MONTHS, 1)

    await with_register(register, clock, check)


async def test_ending_an_invoiced_subscription_asks_and_credits(
    register, clock
) -> None:
    number = await invoiced_year(register, clock)
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_card(app, pilot)
        await tab_to(app, pilot, "subscriptions-table")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SubscriptionFormScreen)
        await pilot.press("f8")
        await settle(app, pilot)
        assert isinstance(app.screen, EndSubscriptionScreen)
        await type_into(app, pilot, "ends_on", "30.6.2027")
        await pilot.press("ctrl+s")
        await settle(app, pilot)

        assert isinstance(app.screen, UndeliveredScreen)
        asked = " ".join(str(s.render()) for s in app.screen.query("Static"))
        assert "150,73 € has been invoiced for 1.7.2027–31.12.2027" in asked
        await pilot.press("c")
        await settle(app, pilot)

        assert isinstance(app.screen, CustomerCardScreen)
        assert "Credit invoice made" in notifications(app)
        [row] = rows(app.screen.query_one("#subscriptions-table", RowTable))
        assert row[4] == "1.1.2027–30.6.2027\nfuture"
        invoices = rows(app.screen.query_one("#invoices-table", RowTable))
        assert len(invoices) == 2
        assert invoices[0][3] == "-150,73 €"

    async def check(database: Database) -> None:
        assert (await get_subscription(database, number)).ends_on == dt.date(
            2027, 6, 30
        )
        credit, original = await invoices_of(database, AINO)
        assert credit.credit_of_number == original.number
        assert credit.total == D("-150.73")
        assert original.total == D("299.00")

    await with_register(register, clock, check)


async def test_keeping_the_invoiced_part_credits_nothing(register, clock) -> None:
    await invoiced_year(register, clock)
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_card(app, pilot)
        await tab_to(app, pilot, "subscriptions-table")
        await pilot.press("p")
        await settle(app, pilot)
        await type_into(app, pilot, "ends_on", "30.6.2027")
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("k")
        await settle(app, pilot)
        assert "150,73 € invoiced after the end was kept." in notifications(app)

    async def check(database: Database) -> None:
        assert len(await invoices_of(database, AINO)) == 1

    await with_register(register, clock, check)


async def test_cancelling_the_question_changes_nothing(register, clock) -> None:
    number = await invoiced_year(register, clock)
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_card(app, pilot)
        await tab_to(app, pilot, "subscriptions-table")
        await pilot.press("p")
        await settle(app, pilot)
        await type_into(app, pilot, "ends_on", "30.6.2027")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert "Nothing was changed." in notifications(app)

    async def check(database: Database) -> None:
        detail = await get_subscription(database, number)
        assert detail.ends_on == dt.date(2027, 12, 31)
        assert len(await invoices_of(database, AINO)) == 1

    await with_register(register, clock, check)


async def test_crediting_a_sent_invoice_from_the_card(register, clock) -> None:
    await invoiced_year(register, clock)

    async def original_of(database: Database):
        [row] = await invoices_of(database, AINO)
        return await invoice_detail(database, row.number)

    before = await with_register(register, clock, original_of)
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_card(app, pilot)
        await tab_to(app, pilot, "invoices-table")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, InvoiceScreen)
        title = str(app.screen.query_one("#title").render())
        assert title == f"Invoice {before.number} · Sent"
        info = shown_text(app.screen.query_one("#invoice-info", Static).content)
        assert f"Reference {format_finnish(before.reference)}" in info
        assert format_rf(before.reference_rf) in info

        await pilot.press("h")
        await settle(app, pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"Peruttu")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, InvoiceScreen)
        title = str(app.screen.query_one("#title").render())
        assert title == f"Invoice {before.number} · Credited"
        await pilot.press("escape")
        await settle(app, pilot)

        assert isinstance(app.screen, CustomerCardScreen)
        listed = rows(app.screen.query_one("#invoices-table", RowTable))
        assert [row[3] for row in listed] == ["-299,00 €", "299,00 €"]
        assert listed[0][4] == f"credits {before.number}"
        assert listed[1][4] == "Credited"

    async def check(database: Database) -> None:
        after = await invoice_detail(database, before.number)
        assert after.status == InvoiceStatus.CREDITED
        assert (after.lines, after.total) == (before.lines, before.total)
        [credit_number] = after.credit_numbers
        credit = await invoice_detail(database, credit_number)
        assert credit.credit_of_number == before.number
        assert credit.total == -before.total

    await with_register(register, clock, check)


async def test_adding_an_invoice_from_the_card_and_sending_it(register, clock) -> None:
    async def ads(database: Database) -> None:
        await product(database, "ILM", name="Ilmoitus", kind=ProductKind.AD)

    await with_register(register, clock, ads)
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_card(app, pilot)
        await tab_to(app, pilot, "invoices-table")
        await pilot.press("l")
        await settle(app, pilot)
        assert isinstance(app.screen, AddInvoiceScreen)
        await choose(app, pilot, "product_code", "Ilmoitus (ILM)")
        await type_into(app, pilot, "description", "Ilmoitus 12.12.")
        await type_into(app, pilot, "unit_price", "120")
        await pilot.press("ctrl+s")
        await settle(app, pilot)

        assert isinstance(app.screen, InvoiceScreen), notifications(app)
        assert str(app.screen.query_one("#title").render()).endswith("· Draft")
        await pilot.press("s")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(app, pilot)
        assert str(app.screen.query_one("#title").render()).endswith("· Sent")
        await pilot.press("escape")
        await settle(app, pilot)
        [row] = rows(app.screen.query_one("#invoices-table", RowTable))
        assert (row[3], row[4]) == ("120,00 €", "Sent")


async def test_a_draft_line_is_changed_and_the_draft_deleted(register, clock) -> None:
    async def draft(database: Database) -> int:
        made = await add_invoice(
            database,
            clock,
            AINO,
            operator_id=None,
            lines=[ManualLine("PL", "10.00", description="Irtonumero")],
        )
        return made.number

    number = await with_register(register, clock, draft)
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_card(app, pilot)
        await tab_to(app, pilot, "invoices-table")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, InvoiceScreen)
        app.screen.query_one("#invoice-lines").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        await type_into(app, pilot, "quantity", "3")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, InvoiceScreen)
        assert "30,00 €" in str(app.screen.query_one("#invoice-totals").render())

        await pilot.press("d")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerCardScreen)
        assert "No invoices." in str(app.screen.query_one("#body-invoices").render())

    async def check(database: Database) -> None:
        assert await invoices_of(database, AINO) == []

    await with_register(register, clock, check)
    assert number


async def test_a_stale_save_names_who_and_keeps_the_values(register, clock) -> None:
    number = await invoiced_year(register, clock)

    async def ville(database: Database) -> int:
        operator = await add_operator(database, "ville", clock, name="Ville Virta")
        return operator.id

    ville_id = await with_register(register, clock, ville)
    app = make_app(register, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_card(app, pilot)
        await tab_to(app, pilot, "subscriptions-table")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SubscriptionFormScreen)

        async def meanwhile(database: Database) -> None:
            await change_subscription(
                database,
                clock,
                number,
                operator_id=ville_id,
                expected_version=1,
                copies=2,
            )

        await with_register(register, clock, meanwhile)
        await type_into(app, pilot, "copies", "3")
        await pilot.press("ctrl+s")
        await settle(app, pilot)

        assert isinstance(app.screen, SubscriptionFormScreen)
        assert "Ville Virta changed this at 03.12.2026 09:30" in notifications(app)
        assert app.screen.query_one(f"#{field_id('copies')}", Input).value == "3"
        field = app.screen.query_one(f"#field-{field_id('copies')}", FormField)
        assert "Saved meanwhile: 2" in str(
            field.query_one(".form-field--hint").render()
        )

        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerCardScreen)

    async def check(database: Database) -> None:
        assert (await get_subscription(database, number)).copies == 3

    await with_register(register, clock, check)
