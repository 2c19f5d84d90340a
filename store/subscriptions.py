"""Subscriptions: add, change, end, remove and continue them.

A subscription is one period of one product for a subscriber, paid by a
payer: a fixed term (its end follows from the term) or continuous (no end
until it is ended). Its price is the price list's for the term on the
start date unless the operator sets another, which needs a reason that is
kept. Every change writes an event on the subscriber's timeline with the
operator and the old and new values.

Money is never lost without a word: ending or removing a subscription
whose invoices bill days after its new end raises :class:`DecisionNeeded`
with that invoiced but undelivered part, and the caller asks the operator
and calls again with :attr:`Undelivered.CREDIT` (a credit invoice for it)
or :attr:`Undelivered.KEEP` (the invoices stand, and the event says so).

Decisions where the seed is silent:

- The payer defaults to the subscriber's other payer when that is another
  customer of the register; otherwise the subscriber pays (a typed-in
  other payer then gets the invoices, see :mod:`store.billing`).
- Changing the payer, copies or price affects the periods not billed yet;
  invoices already made stay as they are. The start and the term can be
  changed only while nothing has been billed.
- A fixed term can be made shorter but not longer: a longer one is a
  continuation, billed as such.
- Continuing makes a new period of the same product, subscriber, payer,
  copies and term starting the day after the old one ends, priced by the
  price list on that day (an old period's override is not carried over);
  a period can be continued once.
- Removing a subscription that has never been invoiced deletes it.
  Removing an invoiced one ends it the day before today (or before its
  start, when it has not started) and hides it; its invoices still point
  at it.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from store import billing
from store.clock import Clock
from store.db import Database
from store.errors import N_, KortistoError, NotFound
from store.invoicing import (
    ChangedMeanwhile,
    credit_undelivered,
    draft_invoices_billing,
    record_event,
    undelivered_lines,
    write_retrying,
)
from store.models import (
    Customer,
    InvoiceLine,
    Payer,
    Product,
    Subscription,
)
from store.pricing import Term, price_on, validate_price, validate_term
from store.validation import FieldError, clean_text

log = logging.getLogger(__name__)

#: The number of a register's first subscription.
FIRST_SUBSCRIPTION_NUMBER = 100001
#: The most copies of one subscription.
MAX_COPIES = 999
_ONE_DAY = dt.timedelta(days=1)


class Undelivered(enum.StrEnum):
    """What to do with what was invoiced for days after a subscription ends."""

    CREDIT = "credit"
    """Credit it: a credit invoice for the undelivered part."""
    KEEP = "keep"
    """Keep it: the invoices stand as they are."""


@dataclass(frozen=True)
class InvoicedPart:
    """What invoices bill for days after a subscription's new end."""

    start: dt.date
    end: dt.date
    amount: Decimal
    """VAT included, positive: what a credit would give back."""
    invoice_numbers: tuple[int, ...]


class DecisionNeeded(KortistoError):
    """The operator must choose to credit or keep an invoiced part."""

    def __init__(self, part: InvoicedPart) -> None:
        super().__init__(
            N_(
                "{amount} EUR has been invoiced for {start} to {end}, after the "
                "subscription's end. Credit it or keep it?"
            ),
            amount=part.amount,
            start=part.start.strftime("%d.%m.%Y"),
            end=part.end.strftime("%d.%m.%Y"),
        )
        self.part = part


class SubscriptionError(KortistoError):
    """A subscription cannot be changed as asked."""


# -- Views --------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionDetail:
    """One subscription, as its form shows it."""

    number: int
    product_code: str
    product_name: str
    subscriber_number: int
    subscriber_name: str
    payer_number: int
    payer_name: str
    starts_on: dt.date
    ends_on: dt.date | None
    term: Term
    copies: int
    unit_price: Decimal
    list_price: Decimal | None
    price_override_reason: str
    billed_until: dt.date | None
    continued_from_number: int | None
    continued_by_number: int | None
    removed: bool
    version: int

    @property
    def price_overridden(self) -> bool:
        """Whether the price is the operator's rather than the price list's."""
        return bool(self.price_override_reason)


@dataclass(frozen=True)
class SubscriptionRow:
    """One line of the card's subscriptions."""

    number: int
    product_code: str
    product: str
    subscriber_number: int
    subscriber_name: str
    payer_number: int
    payer_name: str
    starts_on: dt.date
    ends_on: dt.date | None
    term: Term
    copies: int
    unit_price: Decimal
    price_overridden: bool
    billed_until: dt.date | None
    payer_only: bool
    """This customer pays but does not subscribe."""
    future: bool
    """It has not started yet."""


@dataclass(frozen=True)
class EndResult:
    """What ending or removing a subscription did."""

    subscription: SubscriptionDetail | None
    """The subscription as it is now; ``None`` when it was deleted."""
    credit_invoice_numbers: list[int] = field(default_factory=list)
    kept: Decimal = billing.ZERO
    """What was invoiced after the end and kept, VAT included."""


async def get_subscription(database: Database, number: int) -> SubscriptionDetail:
    """The subscription with ``number``.

    Raises:
        NotFound: there is none.
    """
    async with database.read() as session:
        return await _detail(session, await _subscription(session, number))


async def subscriptions_of(
    database: Database,
    customer_number: int,
    clock: Clock,
    *,
    include_past: bool = False,
) -> list[SubscriptionRow]:
    """The subscriptions a customer subscribes or pays, for the card.

    Current and future ones by default (ended ones too with
    ``include_past``), never removed ones, by start date.

    Raises:
        NotFound: there is no such customer.
    """
    today = clock.today()
    subscriber = aliased(Customer)
    payer = aliased(Customer)
    async with database.read() as session:
        customer_id = await _customer_id(session, customer_number)
        statement = (
            select(Subscription, Product, subscriber, payer)
            .join(Product, Product.id == Subscription.product_id)
            .join(subscriber, subscriber.id == Subscription.subscriber_id)
            .join(payer, payer.id == Subscription.payer_id)
            .where(
                or_(
                    Subscription.subscriber_id == customer_id,
                    Subscription.payer_id == customer_id,
                ),
                Subscription.removed_at.is_(None),
            )
            .order_by(Subscription.starts_on, Subscription.number)
        )
        if not include_past:
            statement = statement.where(
                or_(Subscription.ends_on.is_(None), Subscription.ends_on >= today)
            )
        rows = (await session.execute(statement)).all()
    return [
        SubscriptionRow(
            number=s.number,
            product_code=product.code,
            product=product.name,
            subscriber_number=by.number,
            subscriber_name=by.display_name,
            payer_number=paid_by.number,
            payer_name=paid_by.display_name,
            starts_on=s.starts_on,
            ends_on=s.ends_on,
            term=Term(s.term_months, s.continuous),
            copies=s.copies,
            unit_price=s.unit_price,
            price_overridden=bool(s.price_override_reason),
            billed_until=s.billed_until,
            payer_only=s.subscriber_id != customer_id,
            future=s.starts_on > today,
        )
        for s, product, by, paid_by in rows
    ]


async def _customer(session: AsyncSession, number: int, field_name: str) -> Customer:
    customer = await session.scalar(select(Customer).where(Customer.number == number))
    if customer is None:
        raise FieldError(field_name, N_("there is no customer {number}"), number=number)
    return customer


async def _customer_id(session: AsyncSession, number: int) -> int:
    found = await session.scalar(select(Customer.id).where(Customer.number == number))
    if found is None:
        raise NotFound(N_("There is no customer {number}."), number=number)
    return found


async def _subscription(session: AsyncSession, number: int) -> Subscription:
    found = await session.scalar(
        select(Subscription).where(Subscription.number == number)
    )
    if found is None:
        raise NotFound(N_("There is no subscription {number}."), number=number)
    return found


async def _detail(session: AsyncSession, s: Subscription) -> SubscriptionDetail:
    product = await session.get(Product, s.product_id)
    subscriber = await session.get(Customer, s.subscriber_id)
    payer = await session.get(Customer, s.payer_id)
    assert product is not None and subscriber is not None and payer is not None
    previous = None
    if s.continued_from_id is not None:
        previous = await session.scalar(
            select(Subscription.number).where(Subscription.id == s.continued_from_id)
        )
    following = await session.scalar(
        select(Subscription.number).where(
            Subscription.continued_from_id == s.id, Subscription.removed_at.is_(None)
        )
    )
    return SubscriptionDetail(
        number=s.number,
        product_code=product.code,
        product_name=product.name,
        subscriber_number=subscriber.number,
        subscriber_name=subscriber.display_name,
        payer_number=payer.number,
        payer_name=payer.display_name,
        starts_on=s.starts_on,
        ends_on=s.ends_on,
        term=Term(s.term_months, s.continuous),
        copies=s.copies,
        unit_price=s.unit_price,
        list_price=s.list_price,
        price_override_reason=s.price_override_reason,
        billed_until=s.billed_until,
        continued_from_number=previous,
        continued_by_number=following,
        removed=s.removed_at is not None,
        version=s.version,
    )


# -- Adding -------------------------------------------------------------------


async def default_payer_number(database: Database, subscriber_number: int) -> int:
    """Who pays a new subscription of ``subscriber_number`` unless told otherwise.

    Raises:
        NotFound: there is no such customer.
    """
    async with database.read() as session:
        subscriber_id = await _customer_id(session, subscriber_number)
        return await _default_payer(session, subscriber_id, subscriber_number)


async def _default_payer(
    session: AsyncSession, subscriber_id: int, subscriber_number: int
) -> int:
    other = await session.scalar(
        select(Customer.number)
        .join(Payer, Payer.payer_customer_id == Customer.id)
        .where(Payer.customer_id == subscriber_id)
    )
    return other if other is not None else subscriber_number


def _check_copies(copies: int) -> int:
    if not 1 <= copies <= MAX_COPIES:
        raise FieldError("copies", N_("copies are 1 to {most}"), most=MAX_COPIES)
    return copies


async def _price(
    session: AsyncSession,
    product: Product,
    term: Term,
    starts_on: dt.date,
    unit_price: Decimal | str | None,
    reason: str,
) -> tuple[Decimal, Decimal | None, str]:
    """The unit price, the list price, and the override's reason."""
    listed = await price_on(session, product.id, term, starts_on)
    if unit_price is None:
        if listed is None:
            raise FieldError(
                "unit_price",
                N_(
                    "the price list has no price for this term on {date}; "
                    "give the price and a reason"
                ),
                date=starts_on.strftime("%d.%m.%Y"),
            )
        return listed, listed, ""
    price = validate_price(unit_price, "unit_price")
    if price == listed:
        return price, listed, ""
    why = clean_text(reason, "price_override_reason", max_length=500)
    if not why:
        raise FieldError(
            "price_override_reason",
            N_("say why the price differs from the price list"),
        )
    return price, listed, why


def _ends_on(starts_on: dt.date, term: Term) -> dt.date | None:
    return None if term.continuous else billing.term_period(starts_on, term.months).end


async def _next_number(session: AsyncSession) -> int:
    highest = await session.scalar(select(func.max(Subscription.number)))
    return FIRST_SUBSCRIPTION_NUMBER if highest is None else highest + 1


async def add_subscription(
    database: Database,
    clock: Clock,
    *,
    operator_id: int | None,
    subscriber_number: int,
    product_code: str,
    starts_on: dt.date,
    term: Term,
    copies: int = 1,
    payer_number: int | None = None,
    unit_price: Decimal | str | None = None,
    price_reason: str = "",
) -> SubscriptionDetail:
    """Add a subscription ("add subscription" on the card).

    Args:
        database: the register.
        clock: the moment for the event.
        operator_id: who adds it.
        subscriber_number: who gets the paper.
        product_code: the product.
        starts_on: the first day.
        term: a fixed term, or continuous with its billing period.
        copies: copies of each issue.
        payer_number: who pays; by default see :func:`default_payer_number`.
        unit_price: one copy's price for the term or billing period, when
            not the price list's.
        price_reason: why ``unit_price`` differs from the price list;
            needed whenever it does.

    Raises:
        FieldError: a value is not valid (the field says which).
    """
    validate_term(term)
    _check_copies(copies)

    async def work(session: AsyncSession) -> SubscriptionDetail:
        subscriber = await _customer(session, subscriber_number, "subscriber_number")
        payer = await _customer(
            session,
            payer_number
            if payer_number is not None
            else await _default_payer(session, subscriber.id, subscriber.number),
            "payer_number",
        )
        product = await _product(session, product_code)
        price, listed, reason = await _price(
            session, product, term, starts_on, unit_price, price_reason
        )
        subscription = Subscription(
            number=await _next_number(session),
            product_id=product.id,
            subscriber_id=subscriber.id,
            payer_id=payer.id,
            starts_on=starts_on,
            ends_on=_ends_on(starts_on, term),
            copies=copies,
            unit_price=price,
            term_months=term.months,
            continuous=term.continuous,
            list_price=listed,
            price_override_reason=reason,
            version=1,
        )
        session.add(subscription)
        await session.flush()
        record_event(
            session,
            clock,
            subscriber.id,
            operator_id,
            "subscription_added",
            f"Subscription {subscription.number}: {product.name}",
            {
                name: (None, value)
                for name, value in _values(subscription, product, payer).items()
            },
        )
        return await _detail(session, subscription)

    return await write_retrying(database, work)


async def _product(session: AsyncSession, code: str) -> Product:
    product = await session.scalar(select(Product).where(Product.code == code))
    if product is None:
        raise FieldError("product_code", N_("there is no product {code}"), code=code)
    if product.retired:
        raise FieldError(
            "product_code", N_("{code} is no longer sold"), code=product.code
        )
    return product


def _values(s: Subscription, product: Product, payer: Customer) -> dict[str, Any]:
    """The values an event records of a subscription."""
    return {
        "subscription": s.number,
        "product": product.code,
        "payer": payer.number,
        "starts_on": s.starts_on,
        "ends_on": s.ends_on,
        "term_months": s.term_months,
        "continuous": s.continuous,
        "copies": s.copies,
        "unit_price": s.unit_price,
        "price_override_reason": s.price_override_reason,
    }


# -- Changing -----------------------------------------------------------------


def _check_version(s: Subscription, expected_version: int | None) -> None:
    if expected_version is not None and s.version != expected_version:
        raise ChangedMeanwhile(
            N_(
                "Subscription {number} was changed by another operator meanwhile; "
                "open it again to see the changes."
            ),
            number=s.number,
        )


def _refuse_removed(s: Subscription) -> None:
    if s.removed_at is not None:
        raise SubscriptionError(
            N_("Subscription {number} has been removed."), number=s.number
        )


async def _is_invoiced(session: AsyncSession, s: Subscription) -> bool:
    line = await session.scalar(
        select(InvoiceLine.id).where(InvoiceLine.subscription_id == s.id).limit(1)
    )
    return line is not None or s.billed_until is not None


async def change_subscription(
    database: Database,
    clock: Clock,
    number: int,
    *,
    operator_id: int | None,
    expected_version: int,
    payer_number: int | None = None,
    copies: int | None = None,
    unit_price: Decimal | str | None = None,
    price_reason: str | None = None,
    starts_on: dt.date | None = None,
    term: Term | None = None,
) -> SubscriptionDetail:
    """Change what is given; ``None`` leaves a value as it is.

    Periods already billed keep their invoices; the change applies from
    the next period on. The end is changed with :func:`end_subscription`.

    Raises:
        NotFound: there is no such subscription.
        ChangedMeanwhile: someone else saved it after ``expected_version``.
        SubscriptionError: it has been removed, or the start or term would
            change after billing.
        FieldError: a value is not valid.
    """
    if copies is not None:
        _check_copies(copies)
    if term is not None:
        validate_term(term)
    async with database.write() as session:
        s = await _subscription(session, number)
        _check_version(s, expected_version)
        _refuse_removed(s)
        product = await session.get(Product, s.product_id)
        old_payer = await session.get(Customer, s.payer_id)
        assert product is not None and old_payer is not None
        before = _values(s, product, old_payer)
        payer = old_payer
        if payer_number is not None and payer_number != old_payer.number:
            payer = await _customer(session, payer_number, "payer_number")
            s.payer_id = payer.id
        if copies is not None:
            s.copies = copies
        new_term = term or Term(s.term_months, s.continuous)
        new_start = starts_on or s.starts_on
        moved = new_start != s.starts_on or new_term != Term(
            s.term_months, s.continuous
        )
        if moved:
            if await _is_invoiced(session, s):
                raise SubscriptionError(
                    N_(
                        "Subscription {number} has been invoiced: its start and "
                        "term can no longer change. End it and add a new one."
                    ),
                    number=s.number,
                )
            s.starts_on, s.term_months, s.continuous = (
                new_start,
                new_term.months,
                new_term.continuous,
            )
            s.ends_on = _ends_on(new_start, new_term)
        if moved or unit_price is not None or price_reason is not None:
            wanted = unit_price
            if wanted is None and s.price_override_reason and not moved:
                wanted = s.unit_price
            reason = s.price_override_reason if price_reason is None else price_reason
            price, listed, why = await _price(
                session, product, new_term, new_start, wanted, reason
            )
            s.unit_price, s.price_override_reason = price, why
            if moved:
                s.list_price = listed
        after = _values(s, product, payer)
        changes = {
            name: (before[name], value)
            for name, value in after.items()
            if before[name] != value
        }
        if changes:
            s.version += 1
            record_event(
                session,
                clock,
                s.subscriber_id,
                operator_id,
                "subscription_changed",
                f"Subscription {s.number}: {product.name}",
                changes,
            )
        await session.flush()
        return await _detail(session, s)


# -- Ending, removing ---------------------------------------------------------


async def _invoiced_part(
    session: AsyncSession, s: Subscription, ends_on: dt.date
) -> tuple[InvoicedPart | None, list[Any]]:
    drafts = await draft_invoices_billing(session, s.id, ends_on)
    if drafts:
        raise SubscriptionError(
            N_(
                "Draft invoice {invoice} bills subscription {number} after that "
                "day; delete the draft first."
            ),
            invoice=drafts[0],
            number=s.number,
        )
    lines = await undelivered_lines(session, s.id, ends_on)
    if not lines:
        return None, []
    periods = [line.draft.period for line in lines if line.draft.period is not None]
    part = InvoicedPart(
        start=min(p.start for p in periods),
        end=max(p.end for p in periods),
        amount=-sum((line.credit.gross for line in lines), billing.ZERO),
        invoice_numbers=tuple(sorted({line.invoice_number for line in lines})),
    )
    return part, lines


async def invoiced_after(
    database: Database, number: int, ends_on: dt.date
) -> InvoicedPart | None:
    """What has been invoiced for the subscription after ``ends_on``.

    The form can show it before asking to credit or keep it.

    Raises:
        NotFound: there is no such subscription.
        SubscriptionError: a draft invoice bills those days.
    """
    async with database.read() as session:
        s = await _subscription(session, number)
        part, _ = await _invoiced_part(session, s, ends_on)
    return part


async def _settle(
    session: AsyncSession,
    clock: Clock,
    s: Subscription,
    ends_on: dt.date,
    decision: Undelivered | None,
    operator_id: int | None,
    changes: dict[str, tuple[Any, Any]],
) -> tuple[list[int], Decimal]:
    """Credit or keep what is invoiced after ``ends_on``, as decided."""
    part, lines = await _invoiced_part(session, s, ends_on)
    if part is None or part.amount == 0:
        return [], billing.ZERO
    if decision is None:
        raise DecisionNeeded(part)
    if decision == Undelivered.KEEP:
        changes["kept"] = (None, part.amount)
        return [], part.amount
    numbers = await credit_undelivered(
        session,
        clock,
        lines,
        operator_id=operator_id,
        reason=f"subscription {s.number} ended",
    )
    if s.billed_until is not None and s.billed_until > ends_on:
        billed_until = ends_on if ends_on >= s.starts_on else None
        changes["billed_until"] = (s.billed_until, billed_until)
        s.billed_until = billed_until
    changes["credited"] = (None, part.amount)
    changes["credit_invoices"] = (None, numbers)
    return numbers, billing.ZERO


async def end_subscription(
    database: Database,
    clock: Clock,
    number: int,
    ends_on: dt.date,
    *,
    operator_id: int | None,
    expected_version: int | None = None,
    decision: Undelivered | None = None,
) -> EndResult:
    """End the subscription on ``ends_on`` (its last day of delivery).

    Raises:
        NotFound: there is no such subscription.
        ChangedMeanwhile: someone else saved it after ``expected_version``.
        DecisionNeeded: days after ``ends_on`` have been invoiced and no
            ``decision`` was given; nothing was changed.
        SubscriptionError: it has been removed, a fixed term would get
            longer, or a draft invoice bills the days after the end.
        FieldError: ``ends_on`` is before the start.
    """

    async def work(session: AsyncSession) -> EndResult:
        s = await _subscription(session, number)
        _check_version(s, expected_version)
        _refuse_removed(s)
        if ends_on < s.starts_on:
            raise FieldError("ends_on", N_("the end is before the start"))
        if not s.continuous and s.ends_on is not None and ends_on > s.ends_on:
            raise SubscriptionError(
                N_(
                    "A fixed term cannot be made longer; continue subscription "
                    "{number} instead."
                ),
                number=s.number,
            )
        changes: dict[str, tuple[Any, Any]] = {"ends_on": (s.ends_on, ends_on)}
        numbers, kept = await _settle(
            session, clock, s, ends_on, decision, operator_id, changes
        )
        s.ends_on = ends_on
        s.version += 1
        product = await session.get(Product, s.product_id)
        assert product is not None
        record_event(
            session,
            clock,
            s.subscriber_id,
            operator_id,
            "subscription_ended",
            f"Subscription {s.number}: {product.name}",
            changes,
        )
        await session.flush()
        return EndResult(await _detail(session, s), numbers, kept)

    return await write_retrying(database, work)


async def remove_subscription(
    database: Database,
    clock: Clock,
    number: int,
    *,
    operator_id: int | None,
    expected_version: int | None = None,
    decision: Undelivered | None = None,
) -> EndResult:
    """Remove a subscription (see the module's description for how).

    Raises:
        NotFound: there is no such subscription.
        ChangedMeanwhile: someone else saved it after ``expected_version``.
        DecisionNeeded: undelivered days have been invoiced and no
            ``decision`` was given; nothing was changed.
        SubscriptionError: it has been removed already, or a draft invoice
            bills it.
    """

    async def work(session: AsyncSession) -> EndResult:
        s = await _subscription(session, number)
        _check_version(s, expected_version)
        _refuse_removed(s)
        product = await session.get(Product, s.product_id)
        payer = await session.get(Customer, s.payer_id)
        assert product is not None and payer is not None
        summary = f"Subscription {s.number}: {product.name}"
        if not await _is_invoiced(session, s):
            values = _values(s, product, payer)
            await session.execute(
                update(Subscription)
                .where(Subscription.continued_from_id == s.id)
                .values(continued_from_id=None)
            )
            await session.delete(s)
            record_event(
                session,
                clock,
                s.subscriber_id,
                operator_id,
                "subscription_removed",
                summary,
                {name: (value, None) for name, value in values.items()},
            )
            await session.flush()
            return EndResult(None)
        today = clock.today()
        ends_on = max(s.starts_on, today) - _ONE_DAY
        if s.ends_on is not None and s.ends_on < ends_on:
            ends_on = s.ends_on
        changes: dict[str, tuple[Any, Any]] = {
            "ends_on": (s.ends_on, ends_on),
            "removed": (False, True),
        }
        numbers, kept = await _settle(
            session, clock, s, ends_on, decision, operator_id, changes
        )
        s.ends_on = ends_on
        s.removed_at = clock.now()
        s.version += 1
        record_event(
            session,
            clock,
            s.subscriber_id,
            operator_id,
            "subscription_removed",
            summary,
            changes,
        )
        await session.flush()
        return EndResult(await _detail(session, s), numbers, kept)

    return await write_retrying(database, work)


# -- Continuing ---------------------------------------------------------------


async def continue_subscription(
    database: Database,
    clock: Clock,
    number: int,
    *,
    operator_id: int | None,
    term: Term | None = None,
    copies: int | None = None,
    unit_price: Decimal | str | None = None,
    price_reason: str = "",
) -> SubscriptionDetail:
    """A new period of the subscription from the day after it ends.

    Args:
        database: the register.
        clock: the moment for the event.
        number: the subscription to continue.
        operator_id: who continues it.
        term: the new period's term, when not the same.
        copies: the new period's copies, when not the same.
        unit_price: the price, when not the price list's on the new start.
        price_reason: why ``unit_price`` differs from the price list.

    Raises:
        NotFound: there is no such subscription.
        SubscriptionError: it has no end (continuous and not ended), has
            been removed, or has been continued already.
        FieldError: a value is not valid.
    """
    if term is not None:
        validate_term(term)
    if copies is not None:
        _check_copies(copies)

    async def work(session: AsyncSession) -> SubscriptionDetail:
        old = await _subscription(session, number)
        _refuse_removed(old)
        if old.ends_on is None:
            raise SubscriptionError(
                N_("Subscription {number} runs until further notice."),
                number=old.number,
            )
        following = await session.scalar(
            select(Subscription.number).where(
                Subscription.continued_from_id == old.id,
                Subscription.removed_at.is_(None),
            )
        )
        if following is not None:
            raise SubscriptionError(
                N_("Subscription {number} has been continued as {following}."),
                number=old.number,
                following=following,
            )
        product = await _product_of(session, old.product_id)
        payer = await session.get(Customer, old.payer_id)
        assert payer is not None
        new_term = term or Term(old.term_months, old.continuous)
        starts_on = old.ends_on + _ONE_DAY
        price, listed, reason = await _price(
            session, product, new_term, starts_on, unit_price, price_reason
        )
        s = Subscription(
            number=await _next_number(session),
            product_id=old.product_id,
            subscriber_id=old.subscriber_id,
            payer_id=old.payer_id,
            starts_on=starts_on,
            ends_on=_ends_on(starts_on, new_term),
            copies=copies or old.copies,
            unit_price=price,
            term_months=new_term.months,
            continuous=new_term.continuous,
            list_price=listed,
            price_override_reason=reason,
            continued_from_id=old.id,
            version=1,
        )
        session.add(s)
        await session.flush()
        changes = {
            name: (None, value) for name, value in _values(s, product, payer).items()
        }
        changes["continued_from"] = (None, old.number)
        record_event(
            session,
            clock,
            s.subscriber_id,
            operator_id,
            "subscription_continued",
            f"Subscription {s.number}: {product.name}",
            changes,
        )
        return await _detail(session, s)

    return await write_retrying(database, work)


async def _product_of(session: AsyncSession, product_id: int) -> Product:
    product = await session.get(Product, product_id)
    assert product is not None
    if product.retired:
        raise FieldError(
            "product_code", N_("{code} is no longer sold"), code=product.code
        )
    return product
