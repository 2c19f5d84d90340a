"""The nightly run: due address changes, once, one customer at a time."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

import store.nightly
from store.clock import FixedClock
from store.customers import add_customer
from store.db import Database
from store.holidays import AddressChangeInput, add_address_change
from store.models import AddressChange, Customer, Event
from store.nightly import NightlyDateTooLate, run_nightly
from store.search import CustomerSearch
from tui.commands.nightly import run_nightly_command
from tui.i18n import language, set_language

D = dt.date
NEW_YEAR = D(2027, 1, 1)


@pytest.fixture(autouse=True)
def english() -> object:
    """The command speaks English in these tests, whatever ran before."""
    before = language()
    set_language("en")
    yield
    set_language(before)


async def customer_with_move(
    database: Database, clock: FixedClock, number: int, street: str, on: dt.date
) -> None:
    await add_customer(
        database,
        clock,
        number=number,
        last_name="Virtanen",
        first_name="Maija",
        street=f"Vanhatie {number - 100000}",
        postal_code="00100",
        post_town="Helsinki",
        notes_log="Tuotu vanhasta järjestelmästä",
    )
    await add_address_change(
        database,
        clock,
        number,
        AddressChangeInput(street, "00530", "Helsinki", on),
    )


async def customer(database: Database, number: int) -> Customer:
    async with database.read() as session:
        found = await session.scalar(select(Customer).where(Customer.number == number))
    assert found is not None
    return found


async def pending(database: Database) -> list[dt.date]:
    async with database.read() as session:
        return list(
            (
                await session.scalars(
                    select(AddressChange.effective_on)
                    .where(AddressChange.applied_on.is_(None))
                    .order_by(AddressChange.effective_on)
                )
            ).all()
        )


@pytest.fixture
async def moves(database: Database, clock: FixedClock) -> Database:
    """Three customers moving: on 1.1.2027, on 2.1.2027 and on 31.12.2026."""
    await customer_with_move(database, clock, 100001, "Uusitie 1", NEW_YEAR)
    await customer_with_move(database, clock, 100002, "Uusitie 2", D(2027, 1, 2))
    await customer_with_move(database, clock, 100003, "Uusitie 3", D(2026, 12, 31))
    clock.advance(dt.timedelta(days=29))  # 1.1.2027 in the morning
    return database


async def test_the_night_before_the_date_applies_what_is_due(
    moves: Database, clock: FixedClock
) -> None:
    summary = await run_nightly(moves, clock, NEW_YEAR)

    assert (summary.customers_due, summary.changes_applied, summary.ok) == (
        2,
        2,
        True,
    )
    first = await customer(moves, 100001)
    assert (first.street, first.postal_code) == ("Uusitie 1", "00530")
    assert first.notes_log == (
        "Tuotu vanhasta järjestelmästä\nOsoitemuutos päivitetty 01.01.2027"
    )
    # A night missed is caught up; the line says when it was applied.
    third = await customer(moves, 100003)
    assert third.street == "Uusitie 3"
    assert third.notes_log.endswith("Osoitemuutos päivitetty 01.01.2027")
    # Not yet due.
    second = await customer(moves, 100002)
    assert (second.street, second.notes_log) == (
        "Vanhatie 2",
        "Tuotu vanhasta järjestelmästä",
    )
    assert await pending(moves) == [D(2027, 1, 2)]
    found = await CustomerSearch("uusitie").next_page(moves)
    assert sorted(row.number for row in found) == [100001, 100003]


async def test_running_twice_changes_nothing_the_second_time(
    moves: Database, clock: FixedClock
) -> None:
    await run_nightly(moves, clock, NEW_YEAR)
    before = [await customer(moves, n) for n in (100001, 100002, 100003)]
    async with moves.read() as session:
        events_before = len((await session.scalars(select(Event.id))).all())

    again = await run_nightly(moves, clock, NEW_YEAR)

    assert (again.customers_due, again.changes_applied) == (0, 0)
    after = [await customer(moves, n) for n in (100001, 100002, 100003)]
    assert [(c.street, c.notes_log, c.version) for c in after] == [
        (c.street, c.notes_log, c.version) for c in before
    ]
    async with moves.read() as session:
        assert len((await session.scalars(select(Event.id))).all()) == events_before


async def test_each_applied_change_is_an_event_without_an_operator(
    moves: Database, clock: FixedClock
) -> None:
    await run_nightly(moves, clock, NEW_YEAR)
    first = await customer(moves, 100001)
    async with moves.read() as session:
        [event] = (
            await session.scalars(
                select(Event).where(
                    Event.customer_id == first.id,
                    Event.kind == "address_change_applied",
                )
            )
        ).all()
    assert event.operator_id is None
    assert event.changes["street"] == ["Vanhatie 1", "Uusitie 1"]
    assert event.changes["postal_code"] == ["00100", "00530"]


async def test_a_failing_customer_keeps_its_change_and_the_others_go_on(
    moves: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = store.nightly.apply_address_changes

    async def fail_for_the_first(session, clock, customer, changes, **options):
        applied = await real(session, clock, customer, changes, **options)
        if customer.number == 100001:
            # After the writes, so the rollback is what keeps them out.
            raise RuntimeError("disk full")
        return applied

    monkeypatch.setattr(store.nightly, "apply_address_changes", fail_for_the_first)
    summary = await run_nightly(moves, clock, NEW_YEAR)

    assert not summary.ok
    assert [(f.customer_number, f.error) for f in summary.failures] == [
        (100001, "disk full")
    ]
    assert (summary.customers_updated, summary.changes_applied) == (1, 1)
    first = await customer(moves, 100001)
    assert (first.street, first.notes_log) == (
        "Vanhatie 1",
        "Tuotu vanhasta järjestelmästä",
    )
    assert await CustomerSearch("uusitie").next_page(moves) != []
    assert [r.number for r in await CustomerSearch("vanhatie").next_page(moves)] == [
        100001,
        100002,
    ]
    assert (await customer(moves, 100003)).street == "Uusitie 3"

    monkeypatch.setattr(store.nightly, "apply_address_changes", real)
    again = await run_nightly(moves, clock, NEW_YEAR)
    assert (again.ok, again.changes_applied) == (True, 1)
    first = await customer(moves, 100001)
    assert first.street == "Uusitie 1"
    assert first.notes_log.count("Osoitemuutos päivitetty") == 1


async def test_a_night_that_has_not_come_is_refused(
    moves: Database, clock: FixedClock
) -> None:
    # Tonight is the night before tomorrow; later would move people early.
    summary = await run_nightly(moves, clock, D(2027, 1, 2))
    assert summary.changes_applied == 3
    with pytest.raises(NightlyDateTooLate):
        await run_nightly(moves, clock, D(2027, 1, 3))


async def test_the_command_prints_counts_and_exits_by_the_outcome(
    moves: Database,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    status = await run_nightly_command(moves.url, "1.1.2027", clock=clock)
    out = capsys.readouterr().out
    assert status == 0
    assert "Nightly run for 01.01.2027" in out
    assert "Address changes applied: 2" in out

    status = await run_nightly_command(moves.url, "2027-01-02", clock=clock)
    assert status == 0
    assert "Address changes applied: 1" in capsys.readouterr().out

    status = await run_nightly_command(moves.url, "31.2.2027", clock=clock)
    assert status == 2
    assert "date does not exist" in capsys.readouterr().err

    status = await run_nightly_command(moves.url, "5.1.2027", clock=clock)
    assert status == 1
    assert "at the latest" in capsys.readouterr().err


async def test_the_command_fails_when_a_customer_fails(
    moves: Database,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def always_fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store.nightly, "apply_address_changes", always_fail)
    status = await run_nightly_command(moves.url, None, clock=clock)
    captured = capsys.readouterr()
    assert status == 1
    assert "customer 100001: address change not applied: disk full" in captured.err
    assert "Customers failed: 2" in captured.out
