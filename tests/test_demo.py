"""The demo register is valid, searchable and repeatable data."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import types
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from email_validator import validate_email
from sqlalchemy import func, select
from stdnum import iban
from stdnum.fi import ytunnus

import store.demo
from store.clock import FixedClock
from store.db import Database, data_dir, open_database, sqlite_url
from store.demo import DemoSummary, build_demo, customer_count, payment_reference
from store.errors import KortistoError
from store.models import (
    Bundle,
    BundlePostalCode,
    Consent,
    ConsentSource,
    Customer,
    CustomerType,
    Event,
    Invoice,
    InvoiceDelivery,
    Operator,
    Payer,
    SearchTerm,
    SelfServiceAccount,
    Subscription,
)
from store.text import sort_name
from tui.commands.demo import run_demo

CUSTOMERS = 200


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Four batches of 50, so the tests cross batch boundaries."""
    monkeypatch.setattr(store.demo, "BATCH_SIZE", 50)


@pytest.fixture
async def demo(database: Database, clock: FixedClock) -> DemoSummary:
    """A register of 200 demo customers."""
    return await build_demo(database, CUSTOMERS, clock)


async def _all(database: Database, model: Any) -> list[Any]:
    async with database.read() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


def _utc(moment: dt.datetime) -> dt.datetime:
    # SQLite gives back the stored UTC moment without its zone.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _reference_is_valid(reference: str) -> bool:
    # Written out apart from store.demo, so a wrong rule there fails here.
    digits = [int(c) for c in reference]
    *base, check = digits
    weighted = sum(d * (7, 3, 1)[i % 3] for i, d in enumerate(reversed(base)))
    return len(reference) >= 4 and (10 - weighted % 10) % 10 == check


def test_payment_reference_has_the_7_3_1_check_digit() -> None:
    assert payment_reference(123) == "1232"
    assert payment_reference(1234567) == "12345672"
    assert _reference_is_valid(payment_reference(10_000_001))


async def test_demo_makes_the_mix_of_customer_types(
    database: Database, demo: DemoSummary
) -> None:
    customers = await _all(database, Customer)
    types = Counter(c.customer_type for c in customers)

    assert len(customers) == demo.customers == CUSTOMERS
    assert [c.number for c in customers] == list(range(100_001, 100_001 + CUSTOMERS))
    assert types[CustomerType.PRIVATE] > types[CustomerType.COMPANY] > 0
    assert types[CustomerType.AD_CUSTOMER] > 0
    assert (demo.private_customers, demo.companies, demo.ad_customers) == (
        types[CustomerType.PRIVATE],
        types[CustomerType.COMPANY],
        types[CustomerType.AD_CUSTOMER],
    )


async def test_demo_contact_details_are_valid(
    database: Database, demo: DemoSummary, clock: FixedClock
) -> None:
    customers = await _all(database, Customer)

    for customer in customers:
        assert customer.display_name
        assert customer.street and customer.post_town
        assert len(customer.postal_code) == 5 and customer.postal_code.isdigit()
        assert customer.created_on < clock.today()
        if customer.customer_type == CustomerType.COMPANY:
            assert ytunnus.is_valid(customer.business_id), customer.business_id
        elif customer.business_id:
            assert customer.customer_type == CustomerType.AD_CUSTOMER
            assert ytunnus.is_valid(customer.business_id)
        if customer.phone:
            parsed = phonenumbers.parse(customer.phone, "FI")
            assert phonenumbers.is_valid_number(parsed), customer.phone
            assert phonenumbers.region_code_for_number(parsed) == "FI"
            e164 = phonenumbers.format_number(
                parsed, phonenumbers.PhoneNumberFormat.E164
            )
            assert customer.phone_normalized == e164
        if customer.email:
            validate_email(customer.email, check_deliverability=False)
            assert customer.email.rpartition("@")[2].split(".")[-2:] in (
                ["example", "com"],
                ["example", "net"],
                ["example", "org"],
            ) or customer.email.endswith(".example")
    assert len({c.phone for c in customers if c.phone}) > CUSTOMERS // 2
    # People write numbers in different ways; the demo must too.
    assert any(c.phone.startswith("+358 ") for c in customers)
    assert any("-" in c.phone for c in customers)
    assert sum(bool(c.email) for c in customers) > CUSTOMERS // 2


async def test_demo_billing_details_are_valid(
    database: Database, demo: DemoSummary
) -> None:
    customers = await _all(database, Customer)
    payers = await _all(database, Payer)

    deliveries = Counter(c.invoice_delivery for c in customers)
    assert set(deliveries) == set(InvoiceDelivery)
    for customer in customers:
        assert Decimal(0) <= customer.discount_percent <= Decimal(100)
        if customer.invoice_delivery == InvoiceDelivery.EMAIL:
            assert customer.email
        if customer.invoice_delivery != InvoiceDelivery.EINVOICE:
            assert not customer.einvoice_address
        elif customer.business_id:
            digits = customer.business_id.replace("-", "")
            assert customer.einvoice_address.startswith(f"0037{digits}")
            assert customer.einvoice_operator
        else:
            assert iban.is_valid(customer.einvoice_address)
    assert payers
    numbers = {c.id for c in customers}
    for payer in payers:
        assert payer.customer_id in numbers
        assert (payer.payer_customer_id in numbers) or payer.name
        assert payer.payer_customer_id != payer.customer_id


async def test_demo_subscriptions_and_invoices_are_numbered_and_valid(
    database: Database, demo: DemoSummary, clock: FixedClock
) -> None:
    subscriptions = await _all(database, Subscription)
    invoices = await _all(database, Invoice)
    subscribers = {s.subscriber_id for s in subscriptions}

    assert len(subscriptions) == demo.subscriptions
    assert len(invoices) == demo.invoices > 0
    numbers = [s.number for s in subscriptions]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    invoice_numbers = [i.number for i in invoices]
    assert len(set(invoice_numbers)) == len(invoice_numbers)
    assert all(_reference_is_valid(i.reference) for i in invoices)
    assert all(i.total > 0 and i.due_date > i.invoice_date for i in invoices)
    assert 0.5 < len(subscribers) / CUSTOMERS < 0.9
    today = clock.today()
    assert any(s.ends_on is None for s in subscriptions)
    assert any(s.ends_on is not None and s.ends_on < today for s in subscriptions)
    assert any(s.starts_on > today for s in subscriptions)
    assert sum(s.payer_id == s.subscriber_id for s in subscriptions) > 0.8 * len(
        subscriptions
    )


async def test_every_demo_customer_is_searchable_and_sorted(
    database: Database, demo: DemoSummary
) -> None:
    customers = await _all(database, Customer)
    async with database.read() as session:
        terms = Counter(await session.scalars(select(SearchTerm.customer_id)))
        numbers = set(
            await session.execute(select(SearchTerm.customer_id, SearchTerm.term))
        )

    assert sum(terms.values()) == demo.search_terms
    for customer in customers:
        assert terms[customer.id] > 2
        assert (customer.id, str(customer.number)) in numbers
        expected = sort_name(customer.last_name, customer.first_name, customer.company)
        assert customer.sort_name == expected != ""


async def test_demo_timelines_end_in_the_card_as_it_is(
    database: Database, demo: DemoSummary, clock: FixedClock
) -> None:
    customers = {c.id: c for c in await _all(database, Customer)}
    events = await _all(database, Event)

    assert len(events) == demo.events
    kinds = Counter(e.kind for e in events)
    assert kinds["created"] == CUSTOMERS
    assert kinds["changed"] and kinds["subscription"] and kinds["invoice"]
    moments = [_utc(e.occurred_at) for e in events]
    assert max(moments) <= clock.now()
    assert len({m.year for m in moments}) >= 5
    latest: dict[tuple[int, str], tuple[dt.datetime, Any]] = {}
    for event in events:
        if event.kind == "changed":
            assert event.changes
            for name, (old, new) in event.changes.items():
                assert old != new
                key = (event.customer_id, name)
                when = _utc(event.occurred_at)
                if key not in latest or latest[key][0] <= when:
                    latest[key] = (when, new)
    for (customer_id, name), (_, new) in latest.items():
        current = getattr(customers[customer_id], name)
        if isinstance(current, Decimal):
            assert Decimal(new) == current
        else:
            assert new == str(current), (name, new, current)


async def test_demo_data_uses_the_registers_lists(
    database: Database, demo: DemoSummary
) -> None:
    customers = await _all(database, Customer)
    consents = await _all(database, Consent)
    bundles = {b.id: b for b in await _all(database, Bundle)}
    async with database.read() as session:
        sources = set(await session.scalars(select(ConsentSource.name)))
        routes = dict(
            (code, bundle_id)
            for code, bundle_id in await session.execute(
                select(BundlePostalCode.postal_code, BundlePostalCode.bundle_id)
            )
        )

    assert consents and {c.source for c in consents} <= sources
    forced = [c for c in customers if c.forced_bundle_id is not None]
    assert forced
    for customer in forced:
        assert not bundles[customer.forced_bundle_id].retired
        assert not customer.early_delivery_blocked
        assert routes.get(customer.postal_code) != customer.forced_bundle_id
    assert set(routes.values()) <= set(bundles)
    # What the register appends goes to the log, apart from the typed notes.
    assert not any("Osoitemuutos" in c.notes for c in customers)
    logged = [c.notes_log for c in customers if c.notes_log]
    assert logged and all(
        line.startswith("Osoitemuutos päivitetty ")
        for text in logged
        for line in text.splitlines()
    )
    assert any("\n" in c.notes for c in customers)


async def test_demo_adds_a_salesperson_and_no_admin(
    database: Database, demo: DemoSummary
) -> None:
    operators = await _all(database, Operator)
    customers = await _all(database, Customer)
    accounts = await _all(database, SelfServiceAccount)

    assert [(o.login, o.is_salesperson, o.is_admin) for o in operators] == [
        ("myyja", True, False)
    ]
    sold = [c for c in customers if c.salesperson_id == operators[0].id]
    assert sold and all(c.customer_type == CustomerType.AD_CUSTOMER for c in sold)
    by_id = {c.id: c for c in customers}
    assert accounts
    for account in accounts:
        owner = by_id[account.customer_id]
        assert account.username in (str(owner.number), owner.email)
        assert account.password_hash == ""
        assert account.password_set_at is None


async def test_demo_register_takes_ordinary_saves_afterwards(
    database: Database, demo: DemoSummary, clock: FixedClock
) -> None:
    # The demo gives ids itself; a later save must not collide with them.
    async with database.write() as session:
        event = Event(
            customer_id=1, occurred_at=clock.now(), kind="changed", changes={}
        )
        session.add(event)
        await session.flush()
        assert event.id == demo.events + 1


async def test_demo_refuses_a_register_with_customers(
    database: Database, demo: DemoSummary, clock: FixedClock
) -> None:
    with pytest.raises(KortistoError, match="already has 200 customers"):
        await build_demo(database, 10, clock)

    async with database.read() as session:
        count = await session.scalar(select(func.count()).select_from(Customer))
    assert count == CUSTOMERS


async def test_demo_reports_progress_per_batch(
    sqlite_database: Database, clock: FixedClock
) -> None:
    calls: list[tuple[int, int]] = []

    await build_demo(sqlite_database, 120, clock, progress=lambda *a: calls.append(a))

    assert calls == [(0, 120), (50, 120), (100, 120), (120, 120)]


async def _dump(database: Database) -> list[Any]:
    rows: list[Any] = []
    async with database.read() as session:
        for model in (Customer, Subscription, Invoice, Event, SearchTerm, Payer):
            table = model.__table__
            result = await session.execute(select(table).order_by(table.c.id))
            rows.extend(tuple(row) for row in result)
    return rows


async def test_same_seed_gives_the_same_register(
    tmp_path: Path, clock: FixedClock
) -> None:
    dumps = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        database = await open_database(sqlite_url(tmp_path / f"{name}.db"))
        await build_demo(database, 60, clock, seed=seed)
        dumps.append(await _dump(database))
        await database.close()

    assert dumps[0] == dumps[1]
    assert dumps[0] != dumps[2]


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """The URLs the demo command opened the app on, with no app started."""
    urls: list[str] = []
    app = types.ModuleType("tui.app")
    app.run_app = lambda url, **_: urls.append(url) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tui.app", app)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return urls


async def _count_in(url: str) -> int:
    database = Database(url)
    try:
        return await customer_count(database)
    finally:
        await database.close()


def test_demo_command_builds_the_demo_file_once(opened: list[str]) -> None:
    path = data_dir() / "demo.db"

    assert run_demo(None, 30, fresh=False) == 0
    built = path.stat().st_mtime_ns
    assert run_demo(None, None, fresh=False) == 0
    assert path.stat().st_mtime_ns == built
    assert run_demo(None, 40, fresh=False) == 0

    assert opened == [sqlite_url(path)] * 3
    assert asyncio.run(_count_in(sqlite_url(path))) == 40
    assert sorted(p.name for p in path.parent.iterdir()) == ["demo.db"]


def test_demo_command_never_empties_a_named_register(
    opened: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = sqlite_url(tmp_path / "named.db")

    assert run_demo(url, 20, fresh=False) == 0
    assert run_demo(url, None, fresh=True) == 1

    assert "already has 20 customers" in capsys.readouterr().err
    assert opened == [url]
    assert asyncio.run(_count_in(url)) == 20
