"""Recording temporary addresses, delivery suspensions and address changes.

These are the store functions behind the three forms of the card's Other
panel. Each checks what was typed, refuses with a :class:`FieldError`
naming the field (or another small :class:`KortistoError`), and on success
writes the record and an :class:`Event` on the customer with the operator
and the old and new values. Dates may be given as dates or as the text the
operator typed (``1.7.2027``, ``1.7.``; see :mod:`store.dates`).

Decisions where the seed is silent:

- Periods are inclusive: a suspension from 1.7. to 14.7. is fourteen days.
- Temporary addresses may not overlap one another, nor suspensions one
  another (two suspensions over one day would extend subscriptions twice
  for it). A temporary address inside a suspension is fine.
- A period that has ended is history: it cannot be added, edited or
  removed. One that has started cannot be removed (that would rewrite
  where papers went); the operator shortens it by changing its end date,
  which may be today at the earliest.
- "Continue subscriptions" extends each fixed-term subscription period of
  a publication that the customer subscribes to and that overlaps the
  suspension (its dates as they were before this suspension extended it).
  A continuous subscription is not a term to make up for, even once it
  has an end (it was cancelled); ad products are not delivered,
  so a suspension costs them nothing; a period that ends before the
  suspension starts, or starts after it ends, loses no papers.
- How many days each suspension added to each period is recorded
  (:class:`SuspensionExtension`). Every save brings the periods to what
  the suspension asks for now, compared with that record: saving the same
  again changes nothing, editing the dates moves the ends by the
  difference, turning "continue" off or removing the suspension takes the
  days back. Each move is an event of its own. A removed period (kept
  only for its invoices) is left as it is.
- Only that record is compared. A period whose end the subscriptions
  screen changed afterwards keeps that change, and taking an extension
  back moves that end back by the recorded days.
- An address change whose date is today or earlier is applied when it is
  saved, with the other pending changes due by today; once applied it
  cannot be edited or cancelled. Two pending changes on one date are
  refused: which one wins would be a guess.
- A cancelled address change is deleted; its event keeps what it was.
- Saving any of these records does not count as a save of the card (the
  customer's version moves only when an address change is applied), so
  an operator editing the card at the same time is not refused for it.
  Each record is checked on its own: pass the record as the form loaded it
  as ``expected``, and a save over someone else's newer change is refused
  with :class:`ChangedMeanwhile`, naming who and when.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.clock import BUSINESS_ZONE, Clock
from store.dates import format_date, parse_date
from store.db import Database
from store.editing import append_note_log
from store.errors import N_, KortistoError, NotFound
from store.indexing import reindex_customers
from store.models import (
    AddressChange,
    Customer,
    Event,
    Operator,
    Product,
    ProductKind,
    Subscription,
    Suspension,
    SuspensionExtension,
    TemporaryAddress,
)
from store.validation import (
    FieldError,
    clean_text,
    missing,
    validate_country,
    validate_postal_code,
)

log = logging.getLogger(__name__)

_RecordT = TypeVar("_RecordT", TemporaryAddress, Suspension, AddressChange)
_PeriodT = TypeVar("_PeriodT", TemporaryAddress, Suspension)

#: A date as a date, or as the operator typed it.
DateInput = dt.date | str

#: The line the notes log gets when an address change is applied; the date
#: is the day it was applied, ``dd.mm.yyyy``. Finnish in the data itself,
#: as the seed words it, whatever the interface language.
ADDRESS_CHANGE_LOG_LINE = "Osoitemuutos päivitetty {date}"

# Event kinds.
TEMPORARY_ADDRESS_ADDED = "temporary_address_added"
TEMPORARY_ADDRESS_CHANGED = "temporary_address_changed"
TEMPORARY_ADDRESS_REMOVED = "temporary_address_removed"
SUSPENSION_ADDED = "suspension_added"
SUSPENSION_CHANGED = "suspension_changed"
SUSPENSION_REMOVED = "suspension_removed"
SUBSCRIPTION_EXTENDED = "subscription_extended"
SUBSCRIPTION_EXTENSION_CHANGED = "subscription_extension_changed"
SUBSCRIPTION_EXTENSION_TAKEN_BACK = "subscription_extension_taken_back"
ADDRESS_CHANGE_ADDED = "address_change_added"
ADDRESS_CHANGE_CHANGED = "address_change_changed"
ADDRESS_CHANGE_CANCELLED = "address_change_cancelled"
ADDRESS_CHANGE_APPLIED = "address_change_applied"

# The key in ``Event.changes`` that names the record an event is about.
_TEMPORARY_KEY = "temporary_address"
_SUSPENSION_KEY = "suspension"
_CHANGE_KEY = "address_change"
_KINDS_BY_KEY = {
    _TEMPORARY_KEY: (
        TEMPORARY_ADDRESS_ADDED,
        TEMPORARY_ADDRESS_CHANGED,
        TEMPORARY_ADDRESS_REMOVED,
    ),
    _SUSPENSION_KEY: (SUSPENSION_ADDED, SUSPENSION_CHANGED, SUSPENSION_REMOVED),
    _CHANGE_KEY: (
        ADDRESS_CHANGE_ADDED,
        ADDRESS_CHANGE_CHANGED,
        ADDRESS_CHANGE_CANCELLED,
        ADDRESS_CHANGE_APPLIED,
    ),
}
# Events looked through for who changed a record last.
_EVENTS_SEARCHED = 200

_ADDRESS_FIELDS = ("street", "postal_code", "post_town", "country")
_TEMPORARY_FIELDS = (*_ADDRESS_FIELDS, "starts_on", "ends_on", "all_mail")
_SUSPENSION_FIELDS = ("starts_on", "ends_on", "extends_subscriptions")
_CHANGE_FIELDS = (*_ADDRESS_FIELDS, "effective_on", "applied_on")


# What the forms hand in, and what they get back.


@dataclass(frozen=True)
class TemporaryAddressInput:
    """A temporary address as the form has it."""

    street: str
    postal_code: str
    post_town: str
    starts_on: DateInput
    ends_on: DateInput
    country: str = "FI"
    all_mail: bool = False
    """The address applies to all mail, invoices included."""


@dataclass(frozen=True)
class SuspensionInput:
    """A delivery suspension as the form has it."""

    starts_on: DateInput
    ends_on: DateInput
    continue_subscriptions: bool = False
    """Move the end of the active fixed-term periods by the suspension's days."""


@dataclass(frozen=True)
class AddressChangeInput:
    """A future address change as the form has it."""

    street: str
    postal_code: str
    post_town: str
    effective_on: DateInput
    country: str = "FI"


@dataclass(frozen=True)
class ExtensionChange:
    """One subscription period whose end a save moved."""

    subscription_number: int
    old_ends_on: dt.date
    new_ends_on: dt.date
    days: int
    """The days the suspension adds to the period now (0 when taken back)."""


@dataclass(frozen=True)
class SuspensionSaved:
    """A suspension as saved, and the period ends the save moved."""

    suspension: Suspension
    extensions: tuple[ExtensionChange, ...] = ()


# Errors.


class PeriodOverlap(FieldError):
    """The dates overlap another record of the same kind."""


class RecordIsHistory(KortistoError):
    """The record's dates have passed (or begun), so it cannot be changed so."""


class AddressChangeApplied(KortistoError):
    """An applied address change is the standard address now, not a plan."""


class ChangedMeanwhile(KortistoError):
    """Another operator changed the record after the form loaded it.

    ``values`` hold ``who`` (a name) and ``when`` (``dd.mm.yyyy hh:mm``,
    Helsinki time).
    """


# Temporary addresses.


async def _add_period(
    session: AsyncSession,
    clock: Clock,
    customer: Customer,
    operator_id: int | None,
    row: _PeriodT,
    fields: dict[str, Any],
    kind: str,
    key: str,
) -> _PeriodT:
    """Add a dated record that may not overlap its kind, with its event."""
    await _refuse_overlap(session, type(row), customer.id, fields, None)
    session.add(row)
    await session.flush()
    _event(
        session,
        clock,
        customer,
        operator_id,
        kind,
        _period_summary(row.starts_on, row.ends_on),
        key,
        (None, row.id),
        _added(fields),
    )
    return row


async def add_temporary_address(
    database: Database,
    clock: Clock,
    customer_number: int,
    values: TemporaryAddressInput,
    *,
    operator_id: int | None = None,
) -> TemporaryAddress:
    """Add a temporary address to customer ``customer_number``.

    Raises:
        FieldError: a field is missing or not valid, the end is before the
            start or has passed.
        PeriodOverlap: another temporary address covers some of the days.
        NotFound: no customer has that number.
    """
    today = clock.today()
    fields = _temporary_fields(values, today)
    async with database.write() as session:
        customer = await _customer_by_number(session, customer_number)
        row = await _add_period(
            session,
            clock,
            customer,
            operator_id,
            TemporaryAddress(customer_id=customer.id, **fields),
            fields,
            TEMPORARY_ADDRESS_ADDED,
            _TEMPORARY_KEY,
        )
    return row


async def edit_temporary_address(
    database: Database,
    clock: Clock,
    address_id: int,
    values: TemporaryAddressInput,
    *,
    operator_id: int | None = None,
    expected: TemporaryAddress | None = None,
) -> TemporaryAddress:
    """Change temporary address ``address_id`` to ``values``.

    Raises:
        FieldError: a field is missing or not valid, the end is before the
            start or has passed.
        PeriodOverlap: another temporary address covers some of the days.
        RecordIsHistory: the address has already ended.
        ChangedMeanwhile: it changed after ``expected`` was loaded.
        NotFound: it is no longer in the register.
    """
    today = clock.today()
    fields = _temporary_fields(values, today)
    async with database.write() as session:
        row, customer = await _record_and_customer(
            session, TemporaryAddress, address_id
        )
        await _refuse_stale(session, row, expected, _TEMPORARY_FIELDS, _TEMPORARY_KEY)
        if row.ends_on < today:
            raise RecordIsHistory(
                N_("This temporary address has ended and is history.")
            )
        await _refuse_overlap(session, TemporaryAddress, customer.id, fields, row.id)
        changes = _assign(row, fields)
        if changes:
            _event(
                session,
                clock,
                customer,
                operator_id,
                TEMPORARY_ADDRESS_CHANGED,
                _period_summary(row.starts_on, row.ends_on),
                _TEMPORARY_KEY,
                (row.id, row.id),
                changes,
            )
    return row


async def remove_temporary_address(
    database: Database,
    clock: Clock,
    address_id: int,
    *,
    operator_id: int | None = None,
    expected: TemporaryAddress | None = None,
) -> None:
    """Remove temporary address ``address_id``, which must not have started.

    Raises:
        RecordIsHistory: the address has started or ended.
        ChangedMeanwhile: it changed after ``expected`` was loaded.
        NotFound: it is no longer in the register.
    """
    today = clock.today()
    async with database.write() as session:
        row, customer = await _record_and_customer(
            session, TemporaryAddress, address_id
        )
        await _refuse_stale(session, row, expected, _TEMPORARY_FIELDS, _TEMPORARY_KEY)
        _refuse_started(
            row.starts_on,
            row.ends_on,
            today,
            N_("This temporary address has ended and is history."),
            N_(
                "This temporary address is already in use; change its end date instead."
            ),
        )
        old = _values(row, _TEMPORARY_FIELDS)
        await session.delete(row)
        _event(
            session,
            clock,
            customer,
            operator_id,
            TEMPORARY_ADDRESS_REMOVED,
            _period_summary(row.starts_on, row.ends_on),
            _TEMPORARY_KEY,
            (address_id, None),
            _removed(old),
        )


# Suspensions.


async def add_suspension(
    database: Database,
    clock: Clock,
    customer_number: int,
    values: SuspensionInput,
    *,
    operator_id: int | None = None,
) -> SuspensionSaved:
    """Add a delivery suspension to customer ``customer_number``.

    With ``continue_subscriptions`` the active fixed-term periods are
    extended by the suspension's days, once.

    Raises:
        FieldError: a date is missing or not valid, the end is before the
            start or has passed.
        PeriodOverlap: another suspension covers some of the days.
        NotFound: no customer has that number.
    """
    today = clock.today()
    fields = _suspension_fields(values, today)
    async with database.write() as session:
        customer = await _customer_by_number(session, customer_number)
        row = await _add_period(
            session,
            clock,
            customer,
            operator_id,
            Suspension(customer_id=customer.id, **fields),
            fields,
            SUSPENSION_ADDED,
            _SUSPENSION_KEY,
        )
        extensions = await _reconcile_extensions(
            session, clock, customer, row, operator_id, keep=True
        )
    return SuspensionSaved(row, extensions)


async def edit_suspension(
    database: Database,
    clock: Clock,
    suspension_id: int,
    values: SuspensionInput,
    *,
    operator_id: int | None = None,
    expected: Suspension | None = None,
) -> SuspensionSaved:
    """Change suspension ``suspension_id`` and re-compute its extensions.

    Saving the same values again changes nothing; new dates move the
    extended ends by the difference in days; turning "continue
    subscriptions" off takes the extension back.

    Raises:
        FieldError: a date is missing or not valid, the end is before the
            start or has passed.
        PeriodOverlap: another suspension covers some of the days.
        RecordIsHistory: the suspension has already ended.
        ChangedMeanwhile: it changed after ``expected`` was loaded.
        NotFound: it is no longer in the register.
    """
    today = clock.today()
    fields = _suspension_fields(values, today)
    async with database.write() as session:
        row, customer = await _record_and_customer(session, Suspension, suspension_id)
        await _refuse_stale(session, row, expected, _SUSPENSION_FIELDS, _SUSPENSION_KEY)
        if row.ends_on < today:
            raise RecordIsHistory(N_("This suspension has ended and is history."))
        await _refuse_overlap(session, Suspension, customer.id, fields, row.id)
        changes = _assign(row, fields)
        if changes:
            _event(
                session,
                clock,
                customer,
                operator_id,
                SUSPENSION_CHANGED,
                _period_summary(row.starts_on, row.ends_on),
                _SUSPENSION_KEY,
                (row.id, row.id),
                changes,
            )
        extensions = await _reconcile_extensions(
            session, clock, customer, row, operator_id, keep=True
        )
    return SuspensionSaved(row, extensions)


async def remove_suspension(
    database: Database,
    clock: Clock,
    suspension_id: int,
    *,
    operator_id: int | None = None,
    expected: Suspension | None = None,
) -> tuple[ExtensionChange, ...]:
    """Remove suspension ``suspension_id`` and take its extensions back.

    Returns the period ends moved back.

    Raises:
        RecordIsHistory: the suspension has started or ended.
        ChangedMeanwhile: it changed after ``expected`` was loaded.
        NotFound: it is no longer in the register.
    """
    today = clock.today()
    async with database.write() as session:
        row, customer = await _record_and_customer(session, Suspension, suspension_id)
        await _refuse_stale(session, row, expected, _SUSPENSION_FIELDS, _SUSPENSION_KEY)
        _refuse_started(
            row.starts_on,
            row.ends_on,
            today,
            N_("This suspension has ended and is history."),
            N_("This suspension has already begun; change its end date instead."),
        )
        extensions = await _reconcile_extensions(
            session, clock, customer, row, operator_id, keep=False
        )
        # The extension records go before the suspension they name.
        await session.flush()
        old = _values(row, _SUSPENSION_FIELDS)
        await session.delete(row)
        _event(
            session,
            clock,
            customer,
            operator_id,
            SUSPENSION_REMOVED,
            _period_summary(row.starts_on, row.ends_on),
            _SUSPENSION_KEY,
            (suspension_id, None),
            _removed(old),
        )
    return extensions


def suspension_days(starts_on: dt.date, ends_on: dt.date) -> int:
    """How many days a suspension lasts, both ends included."""
    return (ends_on - starts_on).days + 1


async def _reconcile_extensions(
    session: AsyncSession,
    clock: Clock,
    customer: Customer,
    suspension: Suspension,
    operator_id: int | None,
    *,
    keep: bool,
) -> tuple[ExtensionChange, ...]:
    """Bring the periods' ends to what ``suspension`` asks for now.

    ``keep`` is false when the suspension is being removed: then every
    extension it made is taken back.
    """
    recorded = {
        row.subscription_id: row
        for row in (
            await session.scalars(
                select(SuspensionExtension).where(
                    SuspensionExtension.suspension_id == suspension.id
                )
            )
        ).all()
    }
    wanted_days = (
        suspension_days(suspension.starts_on, suspension.ends_on)
        if keep and suspension.extends_subscriptions
        else 0
    )
    rows = await session.execute(
        select(Subscription, Product.kind)
        .join(Product, Product.id == Subscription.product_id)
        .where(
            or_(
                Subscription.id.in_(list(recorded)),
                Subscription.subscriber_id == customer.id,
            ),
            Subscription.ends_on.is_not(None),
            # A removed period is kept only for its invoices: leave it be.
            Subscription.removed_at.is_(None),
        )
        .order_by(Subscription.number)
        .with_for_update(of=Subscription)
    )
    moved: list[ExtensionChange] = []
    for subscription, kind in rows:
        record = recorded.get(subscription.id)
        had = record.days if record is not None else 0
        old_end = subscription.ends_on
        assert old_end is not None  # the query asks for fixed-term periods
        own_end = old_end - dt.timedelta(days=had)
        covered = (
            kind == ProductKind.PUBLICATION
            and not subscription.continuous
            and subscription.subscriber_id == customer.id
            and subscription.starts_on <= suspension.ends_on
            and own_end >= suspension.starts_on
        )
        days = wanted_days if covered else 0
        if days == had:
            continue
        subscription.ends_on = own_end + dt.timedelta(days=days)
        if record is None:
            session.add(
                SuspensionExtension(
                    suspension_id=suspension.id,
                    subscription_id=subscription.id,
                    days=days,
                )
            )
        elif days == 0:
            await session.delete(record)
        else:
            record.days = days
        change = ExtensionChange(
            subscription.number, old_end, subscription.ends_on, days
        )
        moved.append(change)
        _extension_event(session, clock, customer, operator_id, suspension, change, had)
    if moved:
        log.info("suspension moved the end of %d subscription periods", len(moved))
    return tuple(moved)


def _extension_event(
    session: AsyncSession,
    clock: Clock,
    customer: Customer,
    operator_id: int | None,
    suspension: Suspension,
    change: ExtensionChange,
    had: int,
) -> None:
    if had == 0:
        kind = SUBSCRIPTION_EXTENDED
    elif change.days == 0:
        kind = SUBSCRIPTION_EXTENSION_TAKEN_BACK
    else:
        kind = SUBSCRIPTION_EXTENSION_CHANGED
    _event(
        session,
        clock,
        customer,
        operator_id,
        kind,
        f"{change.subscription_number}: {format_date(change.old_ends_on)}"
        f" → {format_date(change.new_ends_on)}",
        _SUSPENSION_KEY,
        (suspension.id, suspension.id),
        {
            "subscription": [change.subscription_number, change.subscription_number],
            "ends_on": [change.old_ends_on.isoformat(), change.new_ends_on.isoformat()],
            "extension_days": [had, change.days],
        },
    )


# Address changes.


async def add_address_change(
    database: Database,
    clock: Clock,
    customer_number: int,
    values: AddressChangeInput,
    *,
    operator_id: int | None = None,
) -> AddressChange:
    """Add an address change to customer ``customer_number``.

    A change whose date is today or earlier is applied at once: look at
    ``applied_on`` of the change returned.

    Raises:
        FieldError: a field is missing or not valid.
        PeriodOverlap: another pending change takes effect on that date.
        NotFound: no customer has that number.
    """
    today = clock.today()
    fields = _change_fields(values, today)
    async with database.write() as session:
        customer = await _customer_by_number(session, customer_number)
        await _refuse_same_date(session, customer.id, fields["effective_on"], None)
        row = AddressChange(customer_id=customer.id, **fields)
        session.add(row)
        await session.flush()
        _event(
            session,
            clock,
            customer,
            operator_id,
            ADDRESS_CHANGE_ADDED,
            _change_summary(row),
            _CHANGE_KEY,
            (None, row.id),
            _added(fields),
        )
        await _apply_due(session, clock, customer, today, operator_id)
    return row


async def edit_address_change(
    database: Database,
    clock: Clock,
    change_id: int,
    values: AddressChangeInput,
    *,
    operator_id: int | None = None,
    expected: AddressChange | None = None,
) -> AddressChange:
    """Change the pending address change ``change_id``.

    A new date of today or earlier applies it at once.

    Raises:
        FieldError: a field is missing or not valid.
        PeriodOverlap: another pending change takes effect on that date.
        AddressChangeApplied: the change has been applied already.
        ChangedMeanwhile: it changed after ``expected`` was loaded.
        NotFound: it is no longer in the register.
    """
    today = clock.today()
    fields = _change_fields(values, today)
    async with database.write() as session:
        row, customer = await _record_and_customer(session, AddressChange, change_id)
        # Applied meanwhile (by the nightly run) says more than "changed".
        _refuse_applied(row)
        await _refuse_stale(session, row, expected, _CHANGE_FIELDS, _CHANGE_KEY)
        await _refuse_same_date(session, customer.id, fields["effective_on"], row.id)
        changes = _assign(row, fields)
        if changes:
            _event(
                session,
                clock,
                customer,
                operator_id,
                ADDRESS_CHANGE_CHANGED,
                _change_summary(row),
                _CHANGE_KEY,
                (row.id, row.id),
                changes,
            )
        await _apply_due(session, clock, customer, today, operator_id)
    return row


async def cancel_address_change(
    database: Database,
    clock: Clock,
    change_id: int,
    *,
    operator_id: int | None = None,
    expected: AddressChange | None = None,
) -> None:
    """Cancel the pending address change ``change_id``.

    Raises:
        AddressChangeApplied: the change has been applied already.
        ChangedMeanwhile: it changed after ``expected`` was loaded.
        NotFound: it is no longer in the register.
    """
    async with database.write() as session:
        row, customer = await _record_and_customer(session, AddressChange, change_id)
        # Applied meanwhile (by the nightly run) says more than "changed".
        _refuse_applied(row)
        await _refuse_stale(session, row, expected, _CHANGE_FIELDS, _CHANGE_KEY)
        old = _values(row, _CHANGE_FIELDS)
        summary = _change_summary(row)
        await session.delete(row)
        _event(
            session,
            clock,
            customer,
            operator_id,
            ADDRESS_CHANGE_CANCELLED,
            summary,
            _CHANGE_KEY,
            (change_id, None),
            _removed(old),
        )


async def pending_changes_due(
    session: AsyncSession, customer_id: int, on: dt.date
) -> list[AddressChange]:
    """The customer's address changes not yet applied and due by ``on``."""
    return list(
        (
            await session.scalars(
                select(AddressChange)
                .where(
                    AddressChange.customer_id == customer_id,
                    AddressChange.applied_on.is_(None),
                    AddressChange.effective_on <= on,
                )
                .order_by(AddressChange.effective_on, AddressChange.id)
                .with_for_update()
            )
        ).all()
    )


async def apply_address_changes(
    session: AsyncSession,
    clock: Clock,
    customer: Customer,
    changes: Sequence[AddressChange],
    *,
    applied_on: dt.date,
    operator_id: int | None = None,
) -> int:
    """Make ``changes`` the customer's standard address, in date order.

    Each applied change gets ``applied_on``, a line in the notes log and an
    event; the search terms follow the new address. Returns how many were
    applied.
    """
    ordered = sorted(changes, key=lambda c: (c.effective_on, c.id))
    for change in ordered:
        new = {name: getattr(change, name) for name in _ADDRESS_FIELDS}
        changes_made = _assign(customer, new)
        change.applied_on = applied_on
        line = ADDRESS_CHANGE_LOG_LINE.format(date=format_date(applied_on))
        await append_note_log(session, customer, line, at=clock.now(), by=operator_id)
        changes_made["applied_on"] = [None, applied_on.isoformat()]
        changes_made["notes_log_line"] = [None, line]
        _event(
            session,
            clock,
            customer,
            operator_id,
            ADDRESS_CHANGE_APPLIED,
            _change_summary(change),
            _CHANGE_KEY,
            (change.id, change.id),
            changes_made,
        )
    if ordered:
        await reindex_customers(session, [customer])
    return len(ordered)


async def _apply_due(
    session: AsyncSession,
    clock: Clock,
    customer: Customer,
    today: dt.date,
    operator_id: int | None,
) -> None:
    await session.flush()
    due = await pending_changes_due(session, customer.id, today)
    await apply_address_changes(
        session, clock, customer, due, applied_on=today, operator_id=operator_id
    )


def _refuse_applied(row: AddressChange) -> None:
    if row.applied_on is not None:
        raise AddressChangeApplied(
            N_(
                "This address change was applied on {applied_on}; it is the"
                " standard address now."
            ),
            applied_on=format_date(row.applied_on),
        )


async def _refuse_same_date(
    session: AsyncSession, customer_id: int, on: dt.date, own_id: int | None
) -> None:
    query = select(AddressChange.id).where(
        AddressChange.customer_id == customer_id,
        AddressChange.applied_on.is_(None),
        AddressChange.effective_on == on,
    )
    if own_id is not None:
        query = query.where(AddressChange.id != own_id)
    if await session.scalar(query.limit(1)) is not None:
        raise PeriodOverlap(
            "effective_on",
            N_("another address change takes effect on {date}"),
            date=format_date(on),
        )


# Checking what was typed.


def _typed_date(value: DateInput, field: str, today: dt.date) -> dt.date:
    if isinstance(value, dt.date):
        return value
    parsed = parse_date(value, field, today=today)
    assert parsed is not None  # a required date is never None
    return parsed


def _address_fields(
    street: str, postal_code: str, post_town: str, country: str
) -> dict[str, Any]:
    street = clean_text(street, "street", required=True)
    country = validate_country(country)
    postal_code = validate_postal_code(postal_code, country)
    if not postal_code:
        raise missing("postal_code")
    post_town = clean_text(post_town, "post_town", required=True)
    return {
        "street": street,
        "postal_code": postal_code,
        "post_town": post_town,
        "country": country,
    }


def _period_fields(
    starts: DateInput, ends: DateInput, today: dt.date
) -> dict[str, dt.date]:
    starts_on = _typed_date(starts, "starts_on", today)
    ends_on = _typed_date(ends, "ends_on", today)
    if ends_on < starts_on:
        raise FieldError("ends_on", N_("end date is before the start date"))
    if ends_on < today:
        raise FieldError("ends_on", N_("end date has already passed"))
    return {"starts_on": starts_on, "ends_on": ends_on}


def _temporary_fields(values: TemporaryAddressInput, today: dt.date) -> dict[str, Any]:
    return {
        **_address_fields(
            values.street, values.postal_code, values.post_town, values.country
        ),
        **_period_fields(values.starts_on, values.ends_on, today),
        "all_mail": bool(values.all_mail),
    }


def _suspension_fields(values: SuspensionInput, today: dt.date) -> dict[str, Any]:
    return {
        **_period_fields(values.starts_on, values.ends_on, today),
        "extends_subscriptions": bool(values.continue_subscriptions),
    }


def _change_fields(values: AddressChangeInput, today: dt.date) -> dict[str, Any]:
    return {
        **_address_fields(
            values.street, values.postal_code, values.post_town, values.country
        ),
        "effective_on": _typed_date(values.effective_on, "effective_on", today),
    }


async def _refuse_overlap(
    session: AsyncSession,
    model: type[_PeriodT],
    customer_id: int,
    fields: dict[str, Any],
    own_id: int | None,
) -> None:
    query = select(model).where(
        model.customer_id == customer_id,
        model.starts_on <= fields["ends_on"],
        model.ends_on >= fields["starts_on"],
    )
    if own_id is not None:
        query = query.where(model.id != own_id)
    other = await session.scalar(query.order_by(model.starts_on).limit(1))
    if other is None:
        return
    message = (
        N_("the dates overlap the temporary address {starts_on}–{ends_on}")
        if model is TemporaryAddress
        else N_("the dates overlap the suspension {starts_on}–{ends_on}")
    )
    raise PeriodOverlap(
        "starts_on",
        message,
        starts_on=format_date(other.starts_on),
        ends_on=format_date(other.ends_on),
    )


def _refuse_started(
    starts_on: dt.date,
    ends_on: dt.date,
    today: dt.date,
    ended: str,
    started: str,
) -> None:
    if ends_on < today:
        raise RecordIsHistory(ended)
    if starts_on < today:
        raise RecordIsHistory(started)


# Loading and locking.


async def _customer_by_number(session: AsyncSession, number: int) -> Customer:
    # The customer row is locked, so two saves for one customer (two
    # operators, or a save racing the nightly run) take turns: overlap
    # checks and extensions then see each other's work.
    customer = await session.scalar(
        select(Customer).where(Customer.number == number).with_for_update()
    )
    if customer is None:
        raise NotFound(N_("There is no customer {number}."), number=number)
    return customer


async def _customer_by_id(session: AsyncSession, customer_id: int) -> Customer:
    customer = await session.scalar(
        select(Customer).where(Customer.id == customer_id).with_for_update()
    )
    if customer is None:
        raise NotFound(N_("There is no such customer."))
    return customer


async def _record_and_customer(
    session: AsyncSession, model: type[_RecordT], record_id: int
) -> tuple[_RecordT, Customer]:
    # The customer is locked before the record is read, in the same order
    # as every other save and the nightly run, so two of them wait for each
    # other instead of deadlocking; the record is then read afresh.
    customer_id = await session.scalar(
        select(model.customer_id).where(model.id == record_id)
    )
    row = None
    customer = None
    if customer_id is not None:
        customer = await _customer_by_id(session, customer_id)
        row = await session.scalar(
            select(model)
            .where(model.id == record_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    if row is None or customer is None:
        raise NotFound(
            N_("It is no longer in the register; someone may have removed it.")
        )
    return row, customer


async def _refuse_stale(
    session: AsyncSession,
    row: TemporaryAddress | Suspension | AddressChange,
    expected: TemporaryAddress | Suspension | AddressChange | None,
    names: Sequence[str],
    key: str,
) -> None:
    if expected is None or _values(row, names) == _values(expected, names):
        return
    who, when = await _last_change(session, row.customer_id, key, row.id)
    if who is None:
        raise ChangedMeanwhile(
            N_("Someone changed this at {when}; your changes were not saved."),
            when=when,
        )
    raise ChangedMeanwhile(
        N_("{who} changed this at {when}; your changes were not saved."),
        who=who,
        when=when,
    )


async def _last_change(
    session: AsyncSession, customer_id: int, key: str, record_id: int
) -> tuple[str | None, str]:
    """Who changed the record last (``None``: the system) and when."""
    events = (
        await session.scalars(
            select(Event)
            .where(Event.customer_id == customer_id, Event.kind.in_(_KINDS_BY_KEY[key]))
            .order_by(Event.occurred_at.desc(), Event.id.desc())
            .limit(_EVENTS_SEARCHED)
        )
    ).all()
    for event in events:
        if record_id in (event.changes or {}).get(key, ()):
            who: str | None = None
            if event.operator_id is not None:
                operator = await session.get(Operator, event.operator_id)
                if operator is not None:
                    who = operator.name or operator.login
            moment = event.occurred_at
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            local = moment.astimezone(BUSINESS_ZONE)
            return who, f"{format_date(local.date())} {local:%H:%M}"
    return None, "?"


# Events.


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _values(row: object, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def _assign(row: object, fields: dict[str, Any]) -> dict[str, list[Any]]:
    """Set ``fields`` on ``row``; the ``[old, new]`` of those that changed."""
    changed: dict[str, list[Any]] = {}
    for name, new in fields.items():
        old = getattr(row, name)
        if old != new:
            changed[name] = [_json(old), _json(new)]
            setattr(row, name, new)
    return changed


def _added(fields: dict[str, Any]) -> dict[str, list[Any]]:
    return {name: [None, _json(value)] for name, value in fields.items()}


def _removed(fields: dict[str, Any]) -> dict[str, list[Any]]:
    return {name: [_json(value), None] for name, value in fields.items()}


def _period_summary(starts_on: dt.date, ends_on: dt.date) -> str:
    return f"{format_date(starts_on)}–{format_date(ends_on)}"


def _change_summary(change: AddressChange) -> str:
    return (
        f"{format_date(change.effective_on)}: {change.street},"
        f" {change.postal_code} {change.post_town}"
    )


def _event(
    session: AsyncSession,
    clock: Clock,
    customer: Customer,
    operator_id: int | None,
    kind: str,
    summary: str,
    key: str,
    record: tuple[int | None, int | None],
    changes: dict[str, list[Any]],
) -> None:
    session.add(
        Event(
            customer_id=customer.id,
            operator_id=operator_id,
            occurred_at=clock.now(),
            kind=kind,
            summary=summary[:500],
            changes={key: list(record), **changes},
        )
    )
