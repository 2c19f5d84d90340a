"""Invoices: the run, "add invoice", drafts and credits."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from billing_helpers import (
    admin,
    customer,
    newspaper,
    other_payer,
    price_list,
    product,
    set_surcharge,
)
from sqlalchemy import func, select

from store.clock import FixedClock
from store.db import Database
from store.importing import import_export, read_export
from store.invoicing import (
    InvoiceError,
    ManualLine,
    add_invoice,
    credit_invoice,
    delete_invoice,
    edit_invoice,
    invoice_detail,
    invoices_of,
    mark_paid,
    run_invoicing,
    send_invoice,
    set_invoice_delivery,
)
from store.models import (
    Customer,
    Invoice,
    InvoiceDelivery,
    InvoiceLine,
    InvoiceStatus,
    ProductKind,
    Subscription,
    TemporaryAddress,
)
from store.pricing import MONTHLY, SIX_MONTHS, TWELVE_MONTHS, Term
from store.references import is_valid_finnish, is_valid_rf
from store.subscriptions import add_subscription

D = Decimal
DATA = Path(__file__).parent / "data"
JAN_1 = dt.date(2027, 1, 1)
PAPER, EMAIL, EINVOICE = (
    InvoiceDelivery.PAPER,
    InvoiceDelivery.EMAIL,
    InvoiceDelivery.EINVOICE,
)


async def three_products(database: Database, clock: FixedClock, anna: int) -> None:
    await newspaper(database, clock, anna)
    await product(database, "VKL", name="Paikallisviikko")
    await price_list(database, clock, anna, "VKL", {TWELVE_MONTHS: "49.00"})
    await product(database, "DIGI", name="Digilehti", vat="14.00")
    await price_list(database, clock, anna, "DIGI", {MONTHLY: "14.90"})


async def subscribe(
    database: Database,
    clock: FixedClock,
    anna: int,
    subscriber: int,
    code: str,
    term: Term,
    *,
    starts_on: dt.date = JAN_1,
    copies: int = 1,
    payer: int | None = None,
) -> int:
    made = await add_subscription(
        database,
        clock,
        operator_id=anna,
        subscriber_number=subscriber,
        product_code=code,
        starts_on=starts_on,
        term=term,
        copies=copies,
        payer_number=payer,
    )
    return made.number


async def test_consolidated_payer_gets_one_paper_invoice_surcharged_over_the_limit(
    database: Database, clock: FixedClock
) -> None:
    # The "done when": 10 % discount, consolidated, three
    # subscriptions, one paper invoice, the surcharge only over the limit.
    anna = await admin(database, clock)
    await three_products(database, clock, anna)
    await set_surcharge(database, amount="5.00", minimum_total="50.00")
    payer = await customer(
        database,
        clock,
        discount_percent=D("10"),
        consolidated_invoice=True,
        invoice_delivery="paper",
    )
    for code, term in (
        ("PL", TWELVE_MONTHS),
        ("VKL", TWELVE_MONTHS),
        ("DIGI", MONTHLY),
    ):
        await subscribe(database, clock, anna, payer.number, code, term)

    summary = await run_invoicing(database, clock, JAN_1, dry_run=False)

    assert (summary.invoices, summary.subscriptions, summary.surcharges) == (1, 3, 1)
    (row,) = await invoices_of(database, payer.number)
    invoice = await invoice_detail(database, row.number)
    assert (invoice.delivery, invoice.status) == (PAPER, InvoiceStatus.SENT)
    # 299.00 - 29.90, 49.00 - 4.90, 14.90 - 1.49, and 5.00 undiscounted.
    assert [line.gross for line in invoice.lines] == [
        D("269.10"),
        D("44.10"),
        D("13.41"),
        D("5.00"),
    ]
    assert invoice.lines[-1].kind == "surcharge"
    assert invoice.total == D("331.61") == summary.total
    assert invoice.surcharge == D("5.00")
    assert invoice.net_total + invoice.vat_total == invoice.total
    assert sum(line.vat for line in invoice.lines) == invoice.vat_total
    assert is_valid_finnish(invoice.reference)
    assert is_valid_rf(invoice.reference_rf)
    assert invoice.reference_rf.endswith(invoice.reference)
    assert invoice.due_date == clock.today() + dt.timedelta(days=14)
    assert summary.by_delivery[PAPER].invoices == 1

    again = await run_invoicing(database, clock, JAN_1, dry_run=False)
    assert again.invoices == 0

    credit = await credit_invoice(
        database, clock, invoice.number, operator_id=anna, reason="Tilaus peruttu"
    )
    assert credit.credit_of_number == invoice.number
    assert credit.total == -invoice.total
    assert [line.gross for line in credit.lines] == [
        -line.gross for line in invoice.lines
    ]
    original = await invoice_detail(database, invoice.number)
    assert original.status == InvoiceStatus.CREDITED
    assert (original.lines, original.total) == (invoice.lines, invoice.total)
    assert original.credit_numbers == [credit.number]
    assert {r.number for r in await invoices_of(database, payer.number)} == {
        invoice.number,
        credit.number,
    }


async def test_consolidated_payer_under_the_limit_gets_no_surcharge(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await three_products(database, clock, anna)
    await set_surcharge(database, amount="5.00", minimum_total="50.00")
    payer = await customer(
        database, clock, discount_percent=D("10"), consolidated_invoice=True
    )
    for code in ("DIGI", "DIGI", "DIGI"):
        await subscribe(database, clock, anna, payer.number, code, MONTHLY)

    summary = await run_invoicing(database, clock, JAN_1, dry_run=False)

    # Three times 14.90 - 1.49 = 40.23, under 50.00.
    assert (summary.invoices, summary.surcharges, summary.total) == (1, 0, D("40.23"))


async def test_other_payers_get_one_invoice_per_subscription(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await three_products(database, clock, anna)
    liisa = await customer(database, clock, invoice_delivery="email")
    for code, term in (("PL", TWELVE_MONTHS), ("VKL", TWELVE_MONTHS)):
        await subscribe(database, clock, anna, liisa.number, code, term)

    summary = await run_invoicing(database, clock, JAN_1, dry_run=False)

    assert (summary.invoices, summary.surcharges) == (2, 0)
    assert summary.by_delivery[EMAIL].invoices == 2
    assert summary.by_delivery[EMAIL].total == D("348.00")


async def test_dry_run_reports_the_same_and_writes_nothing(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await three_products(database, clock, anna)
    liisa = await customer(database, clock)
    await subscribe(database, clock, anna, liisa.number, "PL", TWELVE_MONTHS)
    await subscribe(database, clock, anna, liisa.number, "DIGI", MONTHLY)

    dry = await run_invoicing(database, clock, JAN_1, dry_run=True)
    async with database.read() as session:
        assert await session.scalar(select(func.count()).select_from(Invoice)) == 0
        billed = await session.scalars(select(Subscription.billed_until))
        assert set(billed) == {None}
    real = await run_invoicing(database, clock, JAN_1, dry_run=False)

    assert dry.dry_run and not real.dry_run
    for name in ("invoices", "lines", "subscriptions", "total", "surcharges"):
        assert getattr(dry, name) == getattr(real, name), name
    assert {k: (v.invoices, v.total) for k, v in dry.by_delivery.items()} == {
        k: (v.invoices, v.total) for k, v in real.by_delivery.items()
    }


async def test_continuous_subscription_is_billed_once_per_period_across_runs(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await three_products(database, clock, anna)
    liisa = await customer(database, clock, invoice_delivery="email")
    number = await subscribe(database, clock, anna, liisa.number, "DIGI", MONTHLY)

    first = await run_invoicing(database, clock, dt.date(2027, 2, 15), dry_run=False)
    second = await run_invoicing(database, clock, dt.date(2027, 2, 28), dry_run=False)
    third = await run_invoicing(database, clock, dt.date(2027, 3, 1), dry_run=False)

    assert (first.invoices, first.lines) == (1, 2)
    assert second.invoices == 0
    assert (third.invoices, third.lines) == (1, 1)
    async with database.read() as session:
        periods = (
            await session.execute(
                select(InvoiceLine.period_start, InvoiceLine.period_end)
                .join(Subscription, Subscription.id == InvoiceLine.subscription_id)
                .where(Subscription.number == number)
                .order_by(InvoiceLine.period_start)
            )
        ).all()
    assert [tuple(p) for p in periods] == [
        (dt.date(2027, 1, 1), dt.date(2027, 1, 31)),
        (dt.date(2027, 2, 1), dt.date(2027, 2, 28)),
        (dt.date(2027, 3, 1), dt.date(2027, 3, 31)),
    ]


async def test_rules_of_the_card_reach_the_invoice(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await three_products(database, clock, anna)
    await product(database, "ILM", name="Ilmoitus", kind=ProductKind.AD, vat="25.50")
    await set_surcharge(database, amount="5.00", only_ad_invoices=True)
    exempt = await customer(database, clock, first_name="Vapaa", surcharge_exempt=True)
    direct = await customer(database, clock, first_name="Suora", direct_payment=True)
    child = await customer(database, clock, first_name="Eino")
    mother = await customer(
        database,
        clock,
        first_name="Aino",
        street="Äidintie 3",
        invoice_delivery="einvoice",
        einvoice_address="003712345678",
        einvoice_operator="003721291126",
    )
    # The other payer is a customer: her own card says how invoices reach her.
    await other_payer(database, child.id, mother.id, invoice_delivery="paper")
    firm = await customer(database, clock, first_name="Pekka")
    await other_payer(
        database,
        firm.id,
        None,
        name="Oy Firma Ab",
        street="Laskutie 2",
        postal_code="33100",
        post_town="Tampere",
        invoice_delivery="email",
    )
    async with database.write() as session:
        session.add(
            TemporaryAddress(
                customer_id=direct.id,
                street="Mökkitie 5",
                postal_code="41800",
                post_town="Korpilahti",
                starts_on=dt.date(2026, 12, 1),
                ends_on=dt.date(2026, 12, 31),
                all_mail=True,
            )
        )
    for who in (exempt, direct, child, firm):
        await subscribe(database, clock, anna, who.number, "PL", SIX_MONTHS)

    summary = await run_invoicing(database, clock, JAN_1, dry_run=False)

    # Only ad invoices get the surcharge, and none of these is one.
    assert (summary.invoices, summary.surcharges, summary.direct_payment) == (4, 0, 1)
    (firms,) = await invoices_of(database, firm.number)
    detail = await invoice_detail(database, firms.number)
    assert (detail.recipient.name, detail.recipient.post_town, detail.delivery) == (
        "Oy Firma Ab",
        "Tampere",
        EMAIL,
    )
    (direct_invoice,) = await invoices_of(database, direct.number)
    detail = await invoice_detail(database, direct_invoice.number)
    assert detail.direct_payment
    assert detail.recipient.street == "Mökkitie 5"
    (mothers,) = await invoices_of(database, mother.number)
    detail = await invoice_detail(database, mothers.number)
    assert (detail.recipient.name, detail.recipient.street) == (
        "Virtanen Aino",
        "Äidintie 3",
    )
    assert (detail.delivery, detail.recipient.einvoice_address) == (
        EINVOICE,
        "003712345678",
    )

    ad = await add_invoice(
        database,
        clock,
        exempt.number,
        operator_id=anna,
        lines=[ManualLine("ILM", "120.00", description="Ilmoitus 3.12.")],
    )
    assert ad.surcharge == D("0.00")
    ad = await add_invoice(
        database,
        clock,
        direct.number,
        operator_id=anna,
        lines=[ManualLine("ILM", "120.00")],
    )
    assert ad.surcharge == D("5.00")
    assert ad.lines[-1].vat_percent == D("25.50")


async def test_add_invoice_bills_ahead_and_the_run_does_not_bill_it_again(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await three_products(database, clock, anna)
    liisa = await customer(database, clock, discount_percent=D("5"))
    number = await subscribe(database, clock, anna, liisa.number, "PL", TWELVE_MONTHS)

    draft = await add_invoice(
        database, clock, liisa.number, operator_id=anna, subscription_numbers=[number]
    )

    assert draft.status == InvoiceStatus.DRAFT
    # The same rules as the run: 5 % off 299.00, and the paper surcharge.
    assert [line.gross for line in draft.lines] == [D("284.05"), D("5.00")]
    assert (await run_invoicing(database, clock, JAN_1, dry_run=False)).invoices == 0

    edited = await edit_invoice(
        database,
        clock,
        draft.number,
        operator_id=anna,
        expected_version=draft.version,
        lines=[ManualLine("VKL", "10.00", quantity=2, description="Irtonumerot")],
        delivery=EMAIL,
    )
    assert [line.gross for line in edited.lines] == [D("284.05"), D("19.00")]
    assert (edited.delivery, edited.surcharge) == (EMAIL, D("0.00"))

    await delete_invoice(database, clock, draft.number, operator_id=anna)
    assert await invoices_of(database, liisa.number) == []
    rerun = await run_invoicing(database, clock, JAN_1, dry_run=False)
    assert rerun.invoices == 1


async def test_a_sent_invoice_is_only_credited(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await three_products(database, clock, anna)
    liisa = await customer(database, clock)
    draft = await add_invoice(
        database,
        clock,
        liisa.number,
        operator_id=anna,
        lines=[ManualLine("VKL", "49.00")],
    )
    with pytest.raises(InvoiceError):
        await credit_invoice(database, clock, draft.number, operator_id=anna)

    sent = await send_invoice(database, clock, draft.number, operator_id=anna)

    assert sent.status == InvoiceStatus.SENT
    with pytest.raises(InvoiceError):
        await delete_invoice(database, clock, sent.number, operator_id=anna)
    with pytest.raises(InvoiceError):
        await edit_invoice(
            database,
            clock,
            sent.number,
            operator_id=anna,
            expected_version=sent.version,
            delivery=EMAIL,
        )
    moved = await set_invoice_delivery(
        database, clock, sent.number, EMAIL, operator_id=anna
    )
    assert (moved.delivery, moved.total) == (EMAIL, sent.total)
    paid = await mark_paid(database, clock, sent.number, operator_id=anna)
    credit = await credit_invoice(database, clock, paid.number, operator_id=anna)
    assert credit.total == -sent.total
    with pytest.raises(InvoiceError):
        await credit_invoice(database, clock, sent.number, operator_id=anna)
    with pytest.raises(InvoiceError):
        await credit_invoice(database, clock, credit.number, operator_id=anna)


async def test_invoice_numbers_follow_one_another(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await three_products(database, clock, anna)
    for index in range(5):
        who = await customer(database, clock, first_name=f"E{index}")
        await subscribe(database, clock, anna, who.number, "PL", TWELVE_MONTHS)

    summary = await run_invoicing(database, clock, JAN_1, dry_run=False)

    async with database.read() as session:
        numbers = list(
            (
                await session.scalars(select(Invoice.number).order_by(Invoice.number))
            ).all()
        )
    assert numbers == list(range(numbers[0], numbers[0] + 5))
    assert (summary.first_number, summary.last_number) == (numbers[0], numbers[-1])


async def test_two_runs_at_once_bill_nothing_twice(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await three_products(database, clock, anna)
    for index in range(30):
        who = await customer(database, clock, first_name=f"E{index}")
        await subscribe(database, clock, anna, who.number, "DIGI", MONTHLY)

    first, second = await asyncio.gather(
        run_invoicing(database, clock, JAN_1, dry_run=False),
        run_invoicing(database, clock, JAN_1, dry_run=False),
    )

    assert first.invoices + second.invoices == 30
    async with database.read() as session:
        lines = await session.scalar(
            select(func.count())
            .select_from(InvoiceLine)
            .where(InvoiceLine.kind == "subscription")
        )
        numbers = await session.scalar(
            select(func.count(func.distinct(Invoice.number)))
        )
    assert (lines, numbers) == (30, 30)


async def test_run_over_the_imported_sample_register(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    # A copy: skipping invalid rows writes them to a file beside the export.
    export = tmp_path / "asiakkaat-utf8.csv"
    shutil.copyfile(DATA / "asiakkaat-utf8.csv", export)
    result = await import_export(
        database,
        read_export(export),
        clock=clock,
        skip_invalid=True,
    )
    assert result.imported > 250
    anna = await admin(database, clock)
    await three_products(database, clock, anna)
    await set_surcharge(database, amount="5.00", minimum_total="50.00")
    async with database.read() as session:
        customers = list(
            (await session.scalars(select(Customer).order_by(Customer.number))).all()
        )
    codes = [("PL", TWELVE_MONTHS), ("VKL", TWELVE_MONTHS), ("DIGI", MONTHLY)]
    expected_invoices = 0
    for index, who in enumerate(customers):
        subscriptions = codes[: 1 + index % 3]
        for code, term in subscriptions:
            await subscribe(database, clock, anna, who.number, code, term)
        expected_invoices += 1 if who.consolidated_invoice else len(subscriptions)

    summary = await run_invoicing(database, clock, JAN_1, dry_run=False)

    assert summary.invoices == expected_invoices
    assert summary.subscriptions == sum(1 + i % 3 for i in range(len(customers)))
    assert sum(d.invoices for d in summary.by_delivery.values()) == summary.invoices
    assert sum(d.total for d in summary.by_delivery.values()) == summary.total
    async with database.read() as session:
        invoices = list((await session.scalars(select(Invoice))).all())
        by_invoice: dict[int, list[InvoiceLine]] = {}
        for line in (await session.scalars(select(InvoiceLine))).all():
            by_invoice.setdefault(line.invoice_id, []).append(line)
        payers = {c.id: c for c in customers}
    assert sum(i.total for i in invoices) == summary.total
    for invoice in invoices:
        lines = by_invoice[invoice.id]
        assert invoice.total == sum(line.gross for line in lines)
        assert invoice.net_total + invoice.vat_total == invoice.total
        assert is_valid_finnish(invoice.reference) and is_valid_rf(invoice.reference_rf)
        payer = payers[invoice.payer_id]
        surcharged = any(line.kind == "surcharge" for line in lines)
        before = invoice.total - invoice.surcharge
        assert surcharged == (
            invoice.delivery == PAPER
            and not payer.surcharge_exempt
            and before > D("50.00")
        )
        for line in lines:
            if line.kind != "surcharge":
                assert line.discount_percent == payer.discount_percent
    assert (await run_invoicing(database, clock, JAN_1, dry_run=False)).invoices == 0


async def test_upgrade_counts_older_subscriptions_as_billed(
    sqlite_path: Path, clock: FixedClock
) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from store.db import Database as Register
    from store.migrate import alembic_config

    config = alembic_config()
    before = ScriptDirectory.from_config(config).get_revision("0005").down_revision
    register = Register(f"sqlite+aiosqlite:///{sqlite_path.parent / 'old.db'}")

    def upgrade_to(revision: str):
        def run(connection) -> None:  # type: ignore[no-untyped-def]
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

        return run

    async with register.engine.begin() as connection:
        await connection.run_sync(upgrade_to(str(before)))
        await connection.execute(
            text(
                "INSERT INTO products (code, name, kind, vat_percent, retired) "
                "VALUES ('PL', 'Päivälehti', 'publication', 14, 0)"
            )
        )
    liisa = await customer(register, clock)
    async with register.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO subscriptions (number, product_id, subscriber_id, "
                "payer_id, starts_on, ends_on, copies, unit_price) VALUES "
                "(1, 1, :c, :c, '2025-01-01', '2025-12-31', 1, 299), "
                "(2, 1, :c, :c, '2025-06-01', NULL, 1, 29.90), "
                "(3, 1, :c, :c, '2099-01-01', '2099-06-30', 1, 159)"
            ),
            {"c": liisa.id},
        )
        await connection.run_sync(upgrade_to("head"))
    async with register.read() as session:
        rows = (
            await session.execute(
                select(
                    Subscription.number,
                    Subscription.term_months,
                    Subscription.continuous,
                    Subscription.billed_until.is_not(None),
                ).order_by(Subscription.number)
            )
        ).all()
    await register.close()
    assert [tuple(r) for r in rows] == [
        (1, 12, False, True),
        (2, 1, True, True),
        (3, 6, False, False),
    ]


async def test_invoice_run_command_prints_the_summary_and_dry_run_writes_nothing(
    sqlite_path: Path, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    from store.db import open_database, sqlite_url
    from tui.commands.invoice_run import run_invoice_run
    from tui.i18n import set_language

    set_language("en")
    url = sqlite_url(sqlite_path)
    database = await open_database(url)
    anna = await admin(database, clock)
    await three_products(database, clock, anna)
    liisa = await customer(database, clock)
    await subscribe(database, clock, anna, liisa.number, "PL", TWELVE_MONTHS)
    await database.close()

    assert await run_invoice_run(url, "1.1.2027", True, clock=clock) == 0
    dry = capsys.readouterr().out
    assert await run_invoice_run(url, "2027-01-01", False, clock=clock) == 0
    real = capsys.readouterr().out
    assert await run_invoice_run(url, "2027-01-01", False, clock=clock) == 0
    again = capsys.readouterr().out
    assert await run_invoice_run(url, "31.2.2027", False, clock=clock) == 2

    assert "Dry run: nothing was written." in dry
    assert "Invoices: 1" in dry and "Invoices: 1" in real
    assert "Total: 304,00 €" in dry and "Total: 304,00 €" in real
    assert "paper: 1 invoices, 304,00 €" in real
    assert "Surcharges: 1, 5,00 €" in real
    assert "Invoices: 0" in again
