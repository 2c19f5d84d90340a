"""Recording temporary addresses, suspensions and address changes.

The clock stands at 3.12.2026; each test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from store.clock import FixedClock
from store.customers import add_customer
from store.dates import format_date, parse_date
from store.db import Database
from store.delivery import DeliveryReason, effective_state
from store.errors import NotFound
from store.holidays import (
    ADDRESS_CHANGE_APPLIED,
    SUBSCRIPTION_EXTENDED,
    SUBSCRIPTION_EXTENSION_CHANGED,
    SUBSCRIPTION_EXTENSION_TAKEN_BACK,
    AddressChangeApplied,
    AddressChangeInput,
    ChangedMeanwhile,
    PeriodOverlap,
    RecordIsHistory,
    SuspensionInput,
    TemporaryAddressInput,
    add_address_change,
    add_suspension,
    add_temporary_address,
    cancel_address_change,
    edit_address_change,
    edit_suspension,
    edit_temporary_address,
    remove_suspension,
    remove_temporary_address,
    suspension_days,
)
from store.models import (
    AddressChange,
    Customer,
    Event,
    Product,
    ProductKind,
    Subscription,
    Suspension,
    SuspensionExtension,
)
from store.operators import add_operator
from store.search import CustomerSearch
from store.validation import FieldError

D = dt.date
TODAY = D(2026, 12, 3)


async def make_customer(database: Database, clock: FixedClock, number: int) -> int:
    customer = await add_customer(
        database,
        clock,
        number=number,
        last_name="Virtanen",
        first_name="Maija",
        street="Mannerheimintie 5 A 1",
        postal_code="00100",
        post_town="Helsinki",
    )
    return customer.number


async def make_products(database: Database) -> tuple[int, int]:
    async with database.write() as session:
        paper = Product(
            code="HS", name="Sanomat", kind=ProductKind.PUBLICATION, vat_percent=10
        )
        ad = Product(code="ILM", name="Ilmoitus", kind=ProductKind.AD, vat_percent=24)
        session.add_all([paper, ad])
        await session.flush()
        return paper.id, ad.id


async def subscribe(
    database: Database,
    number: int,
    customer_number: int,
    product_id: int,
    starts_on: dt.date,
    ends_on: dt.date | None,
    **more: object,
) -> None:
    async with database.write() as session:
        customer_id = await session.scalar(
            select(Customer.id).where(Customer.number == customer_number)
        )
        session.add(
            Subscription(
                number=number,
                product_id=product_id,
                subscriber_id=customer_id,
                payer_id=customer_id,
                starts_on=starts_on,
                ends_on=ends_on,
                copies=1,
                unit_price=Decimal("120.00"),
                **more,
            )
        )


async def ends(database: Database) -> dict[int, dt.date | None]:
    async with database.read() as session:
        rows = await session.execute(select(Subscription.number, Subscription.ends_on))
        return {number: ends_on for number, ends_on in rows}


async def events(database: Database, *kinds: str) -> list[Event]:
    async with database.read() as session:
        query = select(Event).order_by(Event.id)
        if kinds:
            query = query.where(Event.kind.in_(kinds))
        return list((await session.scalars(query)).all())


EXTENSION_KINDS = (
    SUBSCRIPTION_EXTENDED,
    SUBSCRIPTION_EXTENSION_CHANGED,
    SUBSCRIPTION_EXTENSION_TAKEN_BACK,
)


@pytest.fixture
async def subscriber(database: Database, clock: FixedClock) -> int:
    """Customer 100001 with periods a suspension in January 2027 may touch.

    1: fixed term over the suspension (extended); 2: continuous; 3: an ad
    product; 4: ends before the suspension; 5: starts after it; 6: another
    customer's; 7: continuous, cancelled to end over it; 8: removed.
    """
    number = await make_customer(database, clock, 100001)
    other = await make_customer(database, clock, 100002)
    paper, ad = await make_products(database)
    await subscribe(database, 1, number, paper, D(2026, 2, 1), D(2027, 1, 31))
    await subscribe(database, 2, number, paper, D(2026, 1, 1), None)
    await subscribe(database, 3, number, ad, D(2026, 1, 1), D(2027, 1, 31))
    await subscribe(database, 4, number, paper, D(2026, 1, 1), D(2026, 12, 31))
    await subscribe(database, 5, number, paper, D(2027, 2, 1), D(2027, 12, 31))
    await subscribe(database, 6, other, paper, D(2026, 1, 1), D(2027, 1, 31))
    await subscribe(
        database, 7, number, paper, D(2026, 1, 1), D(2027, 1, 31), continuous=True
    )
    await subscribe(
        database,
        8,
        number,
        paper,
        D(2026, 1, 1),
        D(2027, 1, 31),
        removed_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )
    return number


BEFORE = {
    1: D(2027, 1, 31),
    2: None,
    3: D(2027, 1, 31),
    4: D(2026, 12, 31),
    5: D(2027, 12, 31),
    6: D(2027, 1, 31),
    7: D(2027, 1, 31),
    8: D(2027, 1, 31),
}
HOLIDAY = SuspensionInput("1.1.2027", "14.1.2027", continue_subscriptions=True)


# Continue subscriptions.


async def test_suspension_extends_each_active_period_once(
    database: Database, clock: FixedClock, subscriber: int
) -> None:
    saved = await add_suspension(database, clock, subscriber, HOLIDAY)

    assert await ends(database) == {**BEFORE, 1: D(2027, 2, 14)}
    assert [(e.subscription_number, e.days) for e in saved.extensions] == [(1, 14)]
    [event] = await events(database, *EXTENSION_KINDS)
    assert event.kind == SUBSCRIPTION_EXTENDED
    assert event.changes["ends_on"] == ["2027-01-31", "2027-02-14"]
    assert event.changes["subscription"] == [1, 1]


async def test_saving_again_never_extends_twice(
    database: Database, clock: FixedClock, subscriber: int
) -> None:
    saved = await add_suspension(database, clock, subscriber, HOLIDAY)
    for _ in range(3):
        again = await edit_suspension(
            database, clock, saved.suspension.id, HOLIDAY, expected=saved.suspension
        )
        assert again.extensions == ()

    assert (await ends(database))[1] == D(2027, 2, 14)
    assert len(await events(database, *EXTENSION_KINDS)) == 1
    with pytest.raises(PeriodOverlap):
        await add_suspension(database, clock, subscriber, HOLIDAY)
    assert (await ends(database))[1] == D(2027, 2, 14)


async def test_editing_the_dates_moves_the_end_by_the_difference(
    database: Database, clock: FixedClock, subscriber: int
) -> None:
    saved = await add_suspension(database, clock, subscriber, HOLIDAY)

    shorter = SuspensionInput("1.1.2027", "10.1.2027", continue_subscriptions=True)
    edited = await edit_suspension(database, clock, saved.suspension.id, shorter)
    assert (await ends(database))[1] == D(2027, 2, 10)
    assert [(e.old_ends_on, e.new_ends_on) for e in edited.extensions] == [
        (D(2027, 2, 14), D(2027, 2, 10))
    ]

    longer = SuspensionInput("20.1.2027", "9.2.2027", continue_subscriptions=True)
    await edit_suspension(database, clock, saved.suspension.id, longer)
    # Period 5 starts on 1.2., inside the suspension now.
    assert await ends(database) == {
        **BEFORE,
        1: D(2027, 1, 31) + dt.timedelta(days=21),
        5: D(2027, 12, 31) + dt.timedelta(days=21),
    }
    moves = [
        (e.changes["subscription"][0], e.kind)
        for e in await events(database, *EXTENSION_KINDS)
    ]
    assert moves == [
        (1, SUBSCRIPTION_EXTENDED),
        (1, SUBSCRIPTION_EXTENSION_CHANGED),
        (1, SUBSCRIPTION_EXTENSION_CHANGED),
        (5, SUBSCRIPTION_EXTENDED),
    ]


async def test_moving_the_suspension_off_a_period_takes_its_days_back(
    database: Database, clock: FixedClock, subscriber: int
) -> None:
    saved = await add_suspension(database, clock, subscriber, HOLIDAY)
    # Into March: period 1 ended on 31.1. (before its extension), 5 runs.
    march = SuspensionInput("1.3.2027", "7.3.2027", continue_subscriptions=True)
    await edit_suspension(database, clock, saved.suspension.id, march)
    assert await ends(database) == {**BEFORE, 5: D(2028, 1, 7)}


async def test_turning_continue_off_and_removing_take_the_extension_back(
    database: Database, clock: FixedClock, subscriber: int
) -> None:
    saved = await add_suspension(database, clock, subscriber, HOLIDAY)
    off = SuspensionInput("1.1.2027", "14.1.2027", continue_subscriptions=False)
    await edit_suspension(database, clock, saved.suspension.id, off)
    assert await ends(database) == BEFORE

    await edit_suspension(database, clock, saved.suspension.id, HOLIDAY)
    assert (await ends(database))[1] == D(2027, 2, 14)
    taken_back = await remove_suspension(database, clock, saved.suspension.id)
    assert [(e.subscription_number, e.days) for e in taken_back] == [(1, 0)]
    assert await ends(database) == BEFORE
    async with database.read() as session:
        assert await session.scalar(select(func.count(SuspensionExtension.days))) == 0
        assert await session.scalar(select(func.count(Suspension.id))) == 0
    kinds = [e.kind for e in await events(database, *EXTENSION_KINDS)]
    assert kinds == [
        SUBSCRIPTION_EXTENDED,
        SUBSCRIPTION_EXTENSION_TAKEN_BACK,
        SUBSCRIPTION_EXTENDED,
        SUBSCRIPTION_EXTENSION_TAKEN_BACK,
    ]


async def test_two_suspensions_extend_separately_and_are_taken_back_separately(
    database: Database, clock: FixedClock, subscriber: int
) -> None:
    first = await add_suspension(database, clock, subscriber, HOLIDAY)
    second = await add_suspension(
        database,
        clock,
        subscriber,
        SuspensionInput("20.1.2027", "22.1.2027", continue_subscriptions=True),
    )
    assert (await ends(database))[1] == D(2027, 2, 17)
    await remove_suspension(database, clock, first.suspension.id)
    assert (await ends(database))[1] == D(2027, 2, 3)
    await remove_suspension(database, clock, second.suspension.id)
    assert (await ends(database))[1] == D(2027, 1, 31)


async def test_a_suspension_without_continue_moves_nothing(
    database: Database, clock: FixedClock, subscriber: int
) -> None:
    saved = await add_suspension(
        database, clock, subscriber, SuspensionInput(D(2027, 1, 1), D(2027, 1, 14))
    )
    assert saved.extensions == ()
    assert await ends(database) == BEFORE


def test_a_suspension_lasts_both_its_days() -> None:
    assert suspension_days(D(2027, 7, 1), D(2027, 7, 14)) == 14
    assert suspension_days(D(2028, 2, 28), D(2028, 3, 1)) == 3
    assert suspension_days(D(2027, 12, 31), D(2027, 12, 31)) == 1


# Refusals.


async def test_overlapping_suspensions_are_refused_and_adjacent_ones_kept(
    database: Database, clock: FixedClock, subscriber: int
) -> None:
    await add_suspension(database, clock, subscriber, HOLIDAY)
    for starts, ends_ in [
        ("14.1.2027", "20.1.2027"),
        ("20.12.2026", "1.1.2027"),
        ("5.1.2027", "6.1.2027"),
        ("1.12.2026", "31.1.2027"),
    ]:
        with pytest.raises(PeriodOverlap) as caught:
            await add_suspension(
                database, clock, subscriber, SuspensionInput(starts, ends_)
            )
        assert caught.value.field == "starts_on"
        assert str(caught.value) == (
            "the dates overlap the suspension 01.01.2027–14.01.2027"
        )
    await add_suspension(
        database, clock, subscriber, SuspensionInput("15.1.2027", "16.1.2027")
    )
    await add_suspension(
        database, clock, subscriber, SuspensionInput("3.12.2026", "31.12.2026")
    )


async def test_overlapping_temporary_addresses_are_refused(
    database: Database, clock: FixedClock
) -> None:
    number = await make_customer(database, clock, 100001)
    cottage = TemporaryAddressInput(
        "Mökkitie 3", "41800", "Korpilahti", "1.6.2027", "31.8.2027"
    )
    await add_temporary_address(database, clock, number, cottage)
    overlapping = TemporaryAddressInput(
        "Kauppakatu 2", "40100", "Jyväskylä", "31.8.2027", "5.9.2027"
    )
    with pytest.raises(PeriodOverlap) as caught:
        await add_temporary_address(database, clock, number, overlapping)
    assert str(caught.value) == (
        "the dates overlap the temporary address 01.06.2027–31.08.2027"
    )
    # A suspension inside a temporary address is another matter.
    await add_suspension(
        database, clock, number, SuspensionInput("1.7.2027", "5.7.2027")
    )


async def test_editing_a_record_to_overlap_another_is_refused(
    database: Database, clock: FixedClock
) -> None:
    number = await make_customer(database, clock, 100001)
    first = await add_temporary_address(
        database,
        clock,
        number,
        TemporaryAddressInput(
            "Mökkitie 3", "41800", "Korpilahti", "1.6.2027", "30.6.2027"
        ),
    )
    second = await add_temporary_address(
        database,
        clock,
        number,
        TemporaryAddressInput(
            "Mökkitie 3", "41800", "Korpilahti", "1.7.2027", "31.7.2027"
        ),
    )
    moved = TemporaryAddressInput(
        "Mökkitie 3", "41800", "Korpilahti", "25.6.2027", "31.7.2027"
    )
    with pytest.raises(PeriodOverlap):
        await edit_temporary_address(database, clock, second.id, moved)
    # Its own old dates are no obstacle.
    longer = TemporaryAddressInput(
        "Mökkitie 3", "41800", "Korpilahti", "1.6.2027", "5.7.2027"
    )
    with pytest.raises(PeriodOverlap):
        await edit_temporary_address(database, clock, first.id, longer)
    shorter = TemporaryAddressInput(
        "Mökkitie 3", "41800", "Korpilahti", "2.6.2027", "29.6.2027"
    )
    edited = await edit_temporary_address(database, clock, first.id, shorter)
    assert (edited.starts_on, edited.ends_on) == (D(2027, 6, 2), D(2027, 6, 29))


@pytest.mark.parametrize(
    ("starts", "ends_", "field", "message"),
    [
        ("14.1.2027", "1.1.2027", "ends_on", "end date is before the start date"),
        ("1.11.2026", "2.12.2026", "ends_on", "end date has already passed"),
        ("31.2.2027", "1.3.2027", "starts_on", "date does not exist"),
        ("1.1.2027", "29.2.2027", "ends_on", "date does not exist"),
        ("1.1.2027", "", "ends_on", "date is missing"),
        ("tomorrow", "1.3.2027", "starts_on", "date must be written dd.mm.yyyy"),
        ("1.1.27", "1.3.2027", "starts_on", "date must be written dd.mm.yyyy"),
        ("32.1.", "1.3.2027", "starts_on", "date does not exist"),
    ],
)
async def test_bad_dates_are_refused_with_the_field_and_a_plain_reason(
    database: Database,
    clock: FixedClock,
    starts: str,
    ends_: str,
    field: str,
    message: str,
) -> None:
    number = await make_customer(database, clock, 100001)
    with pytest.raises(FieldError) as caught:
        await add_suspension(database, clock, number, SuspensionInput(starts, ends_))
    assert (caught.value.field, str(caught.value)) == (field, message)
    with pytest.raises(FieldError) as caught:
        await add_temporary_address(
            database,
            clock,
            number,
            TemporaryAddressInput("Mökkitie 3", "41800", "Korpilahti", starts, ends_),
        )
    assert (caught.value.field, str(caught.value)) == (field, message)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1.7.2027", D(2027, 7, 1)),
        ("01.07.2027", D(2027, 7, 1)),
        (" 1.7. ", D(2026, 7, 1)),
        ("1.7", D(2026, 7, 1)),
        ("29.2.2028", D(2028, 2, 29)),
        ("31.12.2026", D(2026, 12, 31)),
    ],
)
def test_dates_are_read_the_finnish_way(typed: str, expected: dt.date) -> None:
    assert parse_date(typed, "starts_on", today=TODAY) == expected


def test_day_and_month_fall_in_the_year_of_today() -> None:
    assert parse_date("29.2.", "starts_on", today=D(2028, 1, 5)) == D(2028, 2, 29)
    with pytest.raises(FieldError, match="date does not exist"):
        parse_date("29.2.", "starts_on", today=D(2027, 1, 5))
    assert format_date(D(2028, 2, 29)) == "29.02.2028"


@pytest.mark.parametrize(
    ("street", "postal_code", "post_town", "field"),
    [
        ("", "41800", "Korpilahti", "street"),
        ("Mökkitie 3", "", "Korpilahti", "postal_code"),
        ("Mökkitie 3", "4180", "Korpilahti", "postal_code"),
        ("Mökkitie 3", "41800", " ", "post_town"),
    ],
)
async def test_an_address_missing_a_part_is_refused(
    database: Database,
    clock: FixedClock,
    street: str,
    postal_code: str,
    post_town: str,
    field: str,
) -> None:
    number = await make_customer(database, clock, 100001)
    with pytest.raises(FieldError) as caught:
        await add_temporary_address(
            database,
            clock,
            number,
            TemporaryAddressInput(
                street, postal_code, post_town, "1.6.2027", "2.6.2027"
            ),
        )
    assert caught.value.field == field
    with pytest.raises(FieldError) as caught:
        await add_address_change(
            database,
            clock,
            number,
            AddressChangeInput(street, postal_code, post_town, "1.6.2027"),
        )
    assert caught.value.field == field


async def test_ended_records_are_history_and_started_ones_are_not_removed(
    database: Database, clock: FixedClock, subscriber: int
) -> None:
    started = await add_suspension(
        database, clock, subscriber, SuspensionInput("1.12.2026", "10.12.2026")
    )
    with pytest.raises(RecordIsHistory):
        await remove_suspension(database, clock, started.suspension.id)
    # It may be shortened to end today at the earliest.
    await edit_suspension(
        database, clock, started.suspension.id, SuspensionInput("1.12.2026", "3.12.")
    )
    clock.advance(dt.timedelta(days=1))
    with pytest.raises(RecordIsHistory):
        await edit_suspension(
            database,
            clock,
            started.suspension.id,
            SuspensionInput("1.12.2026", "31.12.2026"),
        )
    with pytest.raises(RecordIsHistory):
        await remove_suspension(database, clock, started.suspension.id)


async def test_missing_records_and_customers_are_not_found(
    database: Database, clock: FixedClock
) -> None:
    with pytest.raises(NotFound):
        await add_suspension(database, clock, 999999, HOLIDAY)
    with pytest.raises(NotFound):
        await edit_suspension(database, clock, 12345, HOLIDAY)
    with pytest.raises(NotFound):
        await remove_temporary_address(database, clock, 12345)


async def test_a_save_over_another_operators_newer_save_is_refused(
    database: Database, clock: FixedClock
) -> None:
    anna = await add_operator(database, "anna", clock, name="Anna Operaattori")
    bertta = await add_operator(database, "bertta", clock, name="Bertta")
    number = await make_customer(database, clock, 100001)
    loaded = await add_temporary_address(
        database,
        clock,
        number,
        TemporaryAddressInput(
            "Mökkitie 3", "41800", "Korpilahti", "1.6.2027", "30.6.2027"
        ),
        operator_id=anna.id,
    )
    clock.advance(dt.timedelta(minutes=5))
    await edit_temporary_address(
        database,
        clock,
        loaded.id,
        TemporaryAddressInput(
            "Mökkitie 5", "41800", "Korpilahti", "1.6.2027", "30.6.2027"
        ),
        operator_id=anna.id,
        expected=loaded,
    )
    with pytest.raises(ChangedMeanwhile) as caught:
        await edit_temporary_address(
            database,
            clock,
            loaded.id,
            TemporaryAddressInput(
                "Mökkitie 7", "41800", "Korpilahti", "1.6.2027", "30.6.2027"
            ),
            operator_id=bertta.id,
            expected=loaded,
        )
    assert caught.value.values == {
        "who": "Anna Operaattori",
        "when": "03.12.2026 09:35",
    }
    with pytest.raises(ChangedMeanwhile):
        await remove_temporary_address(
            database, clock, loaded.id, operator_id=bertta.id, expected=loaded
        )


# Events.


async def test_each_save_is_an_event_with_the_operator_and_old_and_new_values(
    database: Database, clock: FixedClock
) -> None:
    anna = await add_operator(database, "anna", clock)
    number = await make_customer(database, clock, 100001)
    values = TemporaryAddressInput(
        "Mökkitie 3", "41800", "Korpilahti", "1.6.2027", "30.6.2027", all_mail=True
    )
    row = await add_temporary_address(
        database, clock, number, values, operator_id=anna.id
    )
    await edit_temporary_address(
        database,
        clock,
        row.id,
        TemporaryAddressInput(
            "Mökkitie 3", "41800", "Korpilahti", "1.6.2027", "2.7.2027"
        ),
        operator_id=anna.id,
    )
    await remove_temporary_address(database, clock, row.id, operator_id=anna.id)

    added, changed, removed = await events(
        database,
        "temporary_address_added",
        "temporary_address_changed",
        "temporary_address_removed",
    )
    assert {e.operator_id for e in (added, changed, removed)} == {anna.id}
    assert added.changes["street"] == [None, "Mökkitie 3"]
    assert added.changes["ends_on"] == [None, "2027-06-30"]
    assert changed.changes == {
        "temporary_address": [row.id, row.id],
        "ends_on": ["2027-06-30", "2027-07-02"],
        "all_mail": [True, False],
    }
    assert removed.changes["post_town"] == ["Korpilahti", None]
    assert removed.summary == "01.06.2027–02.07.2027"


# Address changes.


async def test_an_address_change_for_today_applies_on_save(
    database: Database, clock: FixedClock
) -> None:
    number = await make_customer(database, clock, 100001)
    change = await add_address_change(
        database,
        clock,
        number,
        AddressChangeInput("Hämeentie 10", "00530", "Helsinki", "3.12."),
    )
    assert change.applied_on == TODAY
    async with database.read() as session:
        customer = await session.scalar(
            select(Customer).where(Customer.number == number)
        )
    assert (customer.street, customer.postal_code) == ("Hämeentie 10", "00530")
    assert customer.notes_log == "Osoitemuutos päivitetty 03.12.2026"
    found = await CustomerSearch("hämeentie").next_page(database)
    assert [row.number for row in found] == [number]
    assert await CustomerSearch("mannerheimintie").next_page(database) == []
    [applied] = await events(database, ADDRESS_CHANGE_APPLIED)
    assert applied.changes["street"] == ["Mannerheimintie 5 A 1", "Hämeentie 10"]

    with pytest.raises(AddressChangeApplied):
        await edit_address_change(
            database,
            clock,
            change.id,
            AddressChangeInput("Hämeentie 12", "00530", "Helsinki", "1.1.2027"),
        )
    with pytest.raises(AddressChangeApplied):
        await cancel_address_change(database, clock, change.id)


async def test_a_past_date_applies_at_once_with_todays_date_in_the_log(
    database: Database, clock: FixedClock
) -> None:
    number = await make_customer(database, clock, 100001)
    change = await add_address_change(
        database,
        clock,
        number,
        AddressChangeInput("Hämeentie 10", "00530", "Helsinki", "1.11.2026"),
    )
    assert change.applied_on == TODAY
    async with database.read() as session:
        log = await session.scalar(
            select(Customer.notes_log).where(Customer.number == number)
        )
    assert log == "Osoitemuutos päivitetty 03.12.2026"


async def test_a_future_address_change_waits_and_can_be_edited_or_cancelled(
    database: Database, clock: FixedClock
) -> None:
    number = await make_customer(database, clock, 100001)
    change = await add_address_change(
        database,
        clock,
        number,
        AddressChangeInput("Hämeentie 10", "00530", "Helsinki", "1.1.2027"),
    )
    assert change.applied_on is None
    state = await effective_state(database, number, D(2027, 1, 1))
    assert state.address.street == "Hämeentie 10"
    state = await effective_state(database, number, D(2026, 12, 31))
    assert state.address.street == "Mannerheimintie 5 A 1"

    with pytest.raises(PeriodOverlap) as caught:
        await add_address_change(
            database,
            clock,
            number,
            AddressChangeInput("Kaivokatu 1", "00100", "Helsinki", "1.1.2027"),
        )
    assert caught.value.field == "effective_on"

    edited = await edit_address_change(
        database,
        clock,
        change.id,
        AddressChangeInput("Hämeentie 12", "00530", "Helsinki", "15.1.2027"),
        expected=change,
    )
    assert (edited.street, edited.effective_on) == ("Hämeentie 12", D(2027, 1, 15))
    await cancel_address_change(database, clock, change.id)
    async with database.read() as session:
        assert await session.scalar(select(func.count(AddressChange.id))) == 0
        customer = await session.scalar(
            select(Customer).where(Customer.number == number)
        )
    assert customer.street == "Mannerheimintie 5 A 1"
    assert customer.notes_log == ""
    kinds = [e.kind for e in await events(database) if "address_change" in e.kind]
    assert kinds == [
        "address_change_added",
        "address_change_changed",
        "address_change_cancelled",
    ]


async def test_editing_a_pending_change_to_today_applies_it(
    database: Database, clock: FixedClock
) -> None:
    number = await make_customer(database, clock, 100001)
    change = await add_address_change(
        database,
        clock,
        number,
        AddressChangeInput("Hämeentie 10", "00530", "Helsinki", "1.1.2027"),
    )
    edited = await edit_address_change(
        database,
        clock,
        change.id,
        AddressChangeInput("Hämeentie 10", "00530", "Helsinki", "3.12.2026"),
    )
    assert edited.applied_on == TODAY


async def test_the_effective_state_follows_the_records(
    database: Database, clock: FixedClock, subscriber: int
) -> None:
    await add_suspension(database, clock, subscriber, HOLIDAY)
    state = await effective_state(database, subscriber, D(2027, 1, 5))
    assert state.reason == DeliveryReason.SUSPENDED
    assert state.describe() == "Not delivered: suspended until 14.01.2027"
    state = await effective_state(database, subscriber, TODAY)
    assert state.describe() == (
        "Delivered to Mannerheimintie 5 A 1, 00100 Helsinki by post:"
        " no bundle covers postal code 00100"
    )
    with pytest.raises(NotFound):
        await effective_state(database, 999999, TODAY)
