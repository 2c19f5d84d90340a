"""Adding, changing, ending, removing and continuing subscriptions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from billing_helpers import (
    admin,
    customer,
    newspaper,
    other_payer,
    price_list,
    product,
)
from sqlalchemy import select

from store.clock import FixedClock
from store.db import Database
from store.invoicing import (
    ChangedMeanwhile,
    add_invoice,
    invoice_detail,
    invoices_of,
    run_invoicing,
)
from store.models import Event, InvoiceStatus
from store.pricing import (
    MONTHLY,
    SIX_MONTHS,
    TWELVE_MONTHS,
    Term,
    prices_on,
    set_price,
)
from store.pricing import (
    price_list as read_price_list,
)
from store.subscriptions import (
    DecisionNeeded,
    SubscriptionError,
    Undelivered,
    add_subscription,
    change_subscription,
    continue_subscription,
    default_payer_number,
    end_subscription,
    get_subscription,
    remove_subscription,
    subscriptions_of,
)
from store.validation import FieldError

D = Decimal
JAN_1 = dt.date(2027, 1, 1)


async def events(database: Database, customer_id: int, kind: str) -> list[Event]:
    async with database.read() as session:
        return list(
            (
                await session.scalars(
                    select(Event)
                    .where(Event.customer_id == customer_id, Event.kind == kind)
                    .order_by(Event.id)
                )
            ).all()
        )


async def test_price_comes_from_the_list_in_force_on_the_start_date(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await newspaper(database, clock, anna)
    await set_price(
        database, clock, "PL", TWELVE_MONTHS, D("319.00"), JAN_1, operator_id=anna
    )
    liisa = await customer(database, clock)

    before = await add_subscription(
        database,
        clock,
        operator_id=anna,
        subscriber_number=liisa.number,
        product_code="PL",
        starts_on=dt.date(2026, 12, 31),
        term=TWELVE_MONTHS,
    )
    after = await add_subscription(
        database,
        clock,
        operator_id=anna,
        subscriber_number=liisa.number,
        product_code="PL",
        starts_on=JAN_1,
        term=TWELVE_MONTHS,
    )

    assert (before.unit_price, after.unit_price) == (D("299.00"), D("319.00"))
    assert after.ends_on == dt.date(2027, 12, 31)
    assert not after.price_overridden
    offered = await prices_on(database, "PL", JAN_1)
    assert [(p.term, p.price) for p in offered] == [
        (TWELVE_MONTHS, D("319.00")),
        (SIX_MONTHS, D("159.00")),
        (MONTHLY, D("29.90")),
    ]
    assert len(await read_price_list(database, "PL")) == 4


async def test_a_price_change_never_changes_an_existing_subscription(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await newspaper(database, clock, anna)
    liisa = await customer(database, clock)
    made = await add_subscription(
        database,
        clock,
        operator_id=anna,
        subscriber_number=liisa.number,
        product_code="PL",
        starts_on=JAN_1,
        term=TWELVE_MONTHS,
    )

    await set_price(
        database,
        clock,
        "PL",
        TWELVE_MONTHS,
        D("399.00"),
        dt.date(2020, 1, 1),
        operator_id=anna,
    )

    assert (await get_subscription(database, made.number)).unit_price == D("299.00")


async def test_override_needs_a_reason_which_is_kept(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await newspaper(database, clock, anna)
    liisa = await customer(database, clock)
    with pytest.raises(FieldError) as refused:
        await add_subscription(
            database,
            clock,
            operator_id=anna,
            subscriber_number=liisa.number,
            product_code="PL",
            starts_on=JAN_1,
            term=TWELVE_MONTHS,
            unit_price="199,00",
        )
    assert refused.value.field == "price_override_reason"

    made = await add_subscription(
        database,
        clock,
        operator_id=anna,
        subscriber_number=liisa.number,
        product_code="PL",
        starts_on=JAN_1,
        term=TWELVE_MONTHS,
        unit_price="199,00",
        price_reason="Kampanja K27",
    )

    assert (made.unit_price, made.list_price) == (D("199.00"), D("299.00"))
    assert made.price_override_reason == "Kampanja K27"
    (added,) = await events(database, liisa.id, "subscription_added")
    assert added.operator_id == anna
    assert added.changes["unit_price"] == [None, "199.00"]
    assert added.changes["price_override_reason"] == [None, "Kampanja K27"]


async def test_a_term_without_a_price_needs_one_typed(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await newspaper(database, clock, anna)
    liisa = await customer(database, clock)
    with pytest.raises(FieldError) as refused:
        await add_subscription(
            database,
            clock,
            operator_id=anna,
            subscriber_number=liisa.number,
            product_code="PL",
            starts_on=JAN_1,
            term=Term(3),
        )
    assert refused.value.field == "unit_price"


async def test_payer_defaults_to_the_other_payer_customer_else_the_subscriber(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await newspaper(database, clock, anna)
    mother = await customer(database, clock, first_name="Aino")
    child = await customer(database, clock, first_name="Eino")
    typed = await customer(database, clock, first_name="Pekka")
    await other_payer(database, child.id, mother.id)
    await other_payer(database, typed.id, None, name="Oy Firma Ab", street="Tie 1")

    assert await default_payer_number(database, child.number) == mother.number
    assert await default_payer_number(database, typed.number) == typed.number
    made = await add_subscription(
        database,
        clock,
        operator_id=anna,
        subscriber_number=child.number,
        product_code="PL",
        starts_on=JAN_1,
        term=MONTHLY,
    )
    assert (made.payer_number, made.ends_on, made.term) == (
        mother.number,
        None,
        MONTHLY,
    )

    rows = await subscriptions_of(database, mother.number, clock)
    assert [(r.number, r.payer_only, r.future) for r in rows] == [
        (made.number, True, True)
    ]


async def test_continue_starts_the_day_after_the_old_end_with_the_same_data(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await newspaper(database, clock, anna)
    liisa = await customer(database, clock)
    old = await add_subscription(
        database,
        clock,
        operator_id=anna,
        subscriber_number=liisa.number,
        product_code="PL",
        starts_on=dt.date(2026, 7, 1),
        term=SIX_MONTHS,
        copies=2,
        unit_price="100.00",
        price_reason="Tutustumistarjous",
    )
    await set_price(
        database, clock, "PL", SIX_MONTHS, D("169.00"), JAN_1, operator_id=anna
    )

    new = await continue_subscription(database, clock, old.number, operator_id=anna)

    assert new.starts_on == dt.date(2027, 1, 1) == old.ends_on + dt.timedelta(days=1)
    assert new.ends_on == dt.date(2027, 6, 30)
    assert (new.product_code, new.subscriber_number, new.payer_number) == (
        old.product_code,
        old.subscriber_number,
        old.payer_number,
    )
    assert (new.copies, new.term) == (2, SIX_MONTHS)
    # The new period takes the price list of its own start, not the override.
    assert (new.unit_price, new.price_override_reason) == (D("169.00"), "")
    assert new.continued_from_number == old.number
    assert (
        await get_subscription(database, old.number)
    ).continued_by_number == new.number
    with pytest.raises(SubscriptionError):
        await continue_subscription(database, clock, old.number, operator_id=anna)
    (continued,) = await events(database, liisa.id, "subscription_continued")
    assert continued.changes["continued_from"] == [None, old.number]


async def test_a_continuous_subscription_cannot_be_continued(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await newspaper(database, clock, anna)
    liisa = await customer(database, clock)
    made = await add_subscription(
        database,
        clock,
        operator_id=anna,
        subscriber_number=liisa.number,
        product_code="PL",
        starts_on=JAN_1,
        term=MONTHLY,
    )
    with pytest.raises(SubscriptionError):
        await continue_subscription(database, clock, made.number, operator_id=anna)


async def test_change_records_old_and_new_and_refuses_a_stale_save(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await newspaper(database, clock, anna)
    liisa = await customer(database, clock)
    mother = await customer(database, clock, first_name="Aino")
    made = await add_subscription(
        database,
        clock,
        operator_id=anna,
        subscriber_number=liisa.number,
        product_code="PL",
        starts_on=JAN_1,
        term=TWELVE_MONTHS,
    )

    changed = await change_subscription(
        database,
        clock,
        made.number,
        operator_id=anna,
        expected_version=made.version,
        copies=3,
        payer_number=mother.number,
    )

    assert (changed.copies, changed.payer_number) == (3, mother.number)
    (event,) = await events(database, liisa.id, "subscription_changed")
    assert event.changes == {"copies": [1, 3], "payer": [liisa.number, mother.number]}
    with pytest.raises(ChangedMeanwhile):
        await change_subscription(
            database,
            clock,
            made.number,
            operator_id=anna,
            expected_version=made.version,
            copies=4,
        )


async def test_start_and_term_change_only_before_billing(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await newspaper(database, clock, anna)
    liisa = await customer(database, clock)
    made = await add_subscription(
        database,
        clock,
        operator_id=anna,
        subscriber_number=liisa.number,
        product_code="PL",
        starts_on=JAN_1,
        term=TWELVE_MONTHS,
    )
    moved = await change_subscription(
        database,
        clock,
        made.number,
        operator_id=anna,
        expected_version=made.version,
        term=SIX_MONTHS,
    )
    assert (moved.ends_on, moved.unit_price) == (dt.date(2027, 6, 30), D("159.00"))

    await run_invoicing(database, clock, JAN_1, dry_run=False)

    with pytest.raises(SubscriptionError):
        await change_subscription(
            database,
            clock,
            made.number,
            operator_id=anna,
            expected_version=moved.version,
            starts_on=dt.date(2027, 2, 1),
        )


async def test_removing_one_never_invoiced_deletes_it(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await newspaper(database, clock, anna)
    liisa = await customer(database, clock)
    made = await add_subscription(
        database,
        clock,
        operator_id=anna,
        subscriber_number=liisa.number,
        product_code="PL",
        starts_on=JAN_1,
        term=TWELVE_MONTHS,
    )

    result = await remove_subscription(database, clock, made.number, operator_id=anna)

    assert result.subscription is None
    assert await subscriptions_of(database, liisa.number, clock) == []
    (removed,) = await events(database, liisa.id, "subscription_removed")
    assert removed.changes["subscription"] == [made.number, None]


async def invoiced_year(database: Database, clock: FixedClock) -> tuple[int, int, int]:
    """A 12-month subscription from 1.1.2027, invoiced; (operator, customer, number)."""
    anna = await admin(database, clock)
    await newspaper(database, clock, anna)
    liisa = await customer(database, clock, invoice_delivery="email")
    made = await add_subscription(
        database,
        clock,
        operator_id=anna,
        subscriber_number=liisa.number,
        product_code="PL",
        starts_on=JAN_1,
        term=TWELVE_MONTHS,
    )
    summary = await run_invoicing(database, clock, JAN_1, dry_run=False)
    assert summary.invoices == 1
    return anna, liisa.number, made.number


async def test_ending_an_invoiced_subscription_asks_and_changes_nothing(
    database: Database, clock: FixedClock
) -> None:
    anna, liisa, number = await invoiced_year(database, clock)

    with pytest.raises(DecisionNeeded) as asked:
        await end_subscription(
            database, clock, number, dt.date(2027, 6, 30), operator_id=anna
        )

    part = asked.value.part
    assert (part.start, part.end) == (dt.date(2027, 7, 1), dt.date(2027, 12, 31))
    # 184 of 365 days of 299.00.
    assert part.amount == D("150.73")
    assert (await get_subscription(database, number)).ends_on == dt.date(2027, 12, 31)
    assert len(await invoices_of(database, liisa)) == 1


async def test_ending_with_credit_credits_the_undelivered_part(
    database: Database, clock: FixedClock
) -> None:
    anna, liisa, number = await invoiced_year(database, clock)
    (original,) = await invoices_of(database, liisa)
    before = await invoice_detail(database, original.number)

    result = await end_subscription(
        database,
        clock,
        number,
        dt.date(2027, 6, 30),
        operator_id=anna,
        decision=Undelivered.CREDIT,
    )

    (credit_number,) = result.credit_invoice_numbers
    credit = await invoice_detail(database, credit_number)
    assert credit.credit_of_number == original.number
    assert credit.total == D("-150.73")
    (line,) = credit.lines
    assert (line.period_start, line.period_end, line.quantity) == (
        dt.date(2027, 7, 1),
        dt.date(2027, 12, 31),
        -1,
    )
    after = await invoice_detail(database, original.number)
    assert after.lines == before.lines
    assert after.total == before.total
    # Part of it still stands, so the original is not credited in full.
    assert after.status == InvoiceStatus.SENT
    assert after.credit_numbers == [credit_number]
    ended = result.subscription
    assert ended is not None
    assert (ended.ends_on, ended.billed_until) == (dt.date(2027, 6, 30),) * 2
    # Nothing more is billed for the ended days.
    assert (
        await run_invoicing(database, clock, dt.date(2028, 1, 1), dry_run=False)
    ).invoices == 0


async def test_ending_with_keep_leaves_the_invoices_and_says_so(
    database: Database, clock: FixedClock
) -> None:
    anna, liisa, number = await invoiced_year(database, clock)

    result = await end_subscription(
        database,
        clock,
        number,
        dt.date(2027, 6, 30),
        operator_id=anna,
        decision=Undelivered.KEEP,
    )

    assert result.credit_invoice_numbers == []
    assert result.kept == D("150.73")
    assert len(await invoices_of(database, liisa)) == 1
    subscriber = await customer_id_of(database, liisa)
    (ended,) = await events(database, subscriber, "subscription_ended")
    assert ended.changes["kept"] == [None, "150.73"]
    assert ended.changes["ends_on"] == ["2027-12-31", "2027-06-30"]


async def customer_id_of(database: Database, number: int) -> int:
    from billing_helpers import customer_id

    return await customer_id(database, number)


async def test_removing_an_invoiced_one_before_its_start_credits_it_all(
    database: Database, clock: FixedClock
) -> None:
    anna, liisa, number = await invoiced_year(database, clock)
    (original,) = await invoices_of(database, liisa)

    with pytest.raises(DecisionNeeded):
        await remove_subscription(database, clock, number, operator_id=anna)
    result = await remove_subscription(
        database, clock, number, operator_id=anna, decision=Undelivered.CREDIT
    )

    assert result.subscription is not None and result.subscription.removed
    (credit_number,) = result.credit_invoice_numbers
    credit = await invoice_detail(database, credit_number)
    assert credit.total == -original.total
    assert (
        await invoice_detail(database, original.number)
    ).status == InvoiceStatus.CREDITED
    assert await subscriptions_of(database, liisa, clock, include_past=True) == []


async def test_a_fixed_term_cannot_be_made_longer(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await newspaper(database, clock, anna)
    liisa = await customer(database, clock)
    made = await add_subscription(
        database,
        clock,
        operator_id=anna,
        subscriber_number=liisa.number,
        product_code="PL",
        starts_on=JAN_1,
        term=SIX_MONTHS,
    )
    with pytest.raises(SubscriptionError):
        await end_subscription(
            database, clock, made.number, dt.date(2027, 12, 31), operator_id=anna
        )
    # Ending earlier, before any invoice, needs no decision.
    result = await end_subscription(
        database, clock, made.number, dt.date(2027, 3, 31), operator_id=anna
    )
    assert result.subscription is not None
    assert result.subscription.ends_on == dt.date(2027, 3, 31)


async def test_a_draft_in_the_way_stops_ending(
    database: Database, clock: FixedClock
) -> None:
    anna = await admin(database, clock)
    await newspaper(database, clock, anna)
    liisa = await customer(database, clock)
    made = await add_subscription(
        database,
        clock,
        operator_id=anna,
        subscriber_number=liisa.number,
        product_code="PL",
        starts_on=JAN_1,
        term=TWELVE_MONTHS,
    )
    await add_invoice(
        database,
        clock,
        liisa.number,
        operator_id=anna,
        subscription_numbers=[made.number],
    )
    with pytest.raises(SubscriptionError):
        await end_subscription(
            database, clock, made.number, dt.date(2027, 6, 30), operator_id=anna
        )


async def test_only_admins_change_price_lists(
    database: Database, clock: FixedClock
) -> None:
    from store.operators import add_operator
    from store.pricing import NotAllowed

    await product(database, "VKL")
    seller = await add_operator(database, "myyja", clock)
    with pytest.raises(NotAllowed):
        await price_list(database, clock, seller.id, "VKL", {MONTHLY: "8.90"})
