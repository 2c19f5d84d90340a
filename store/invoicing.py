"""Invoices: the invoice run, the card's "add invoice", drafts and credits.

Every invoice is made by the rules of :mod:`store.billing`, whether the
run or an operator makes it. Its number is the next free one, taken inside
the write transaction that stores it: SQLite's ``BEGIN IMMEDIATE`` lets one
writer at a time take numbers, and on PostgreSQL a transaction that lost
the race to a number fails on the unique number and is run again.

Life of an invoice:

- ``draft``: made from the card; it can be edited or deleted. Deleting it
  makes the subscription periods it billed unbilled again.
- ``sent``: the run's invoices are sent when they are made, a draft when
  the operator sends it. A sent invoice is never changed or deleted, only
  credited: a credit invoice pointing to it cancels it, and the original
  then shows as ``credited`` with its own lines and totals as they were.
- ``paid``: marked paid; it can still be credited.

A credit invoice is sent when it is made. Ending a subscription early can
credit part of a line (see :mod:`store.subscriptions`); crediting the
whole invoice later credits what is left of each line.

The reference number's base is the invoice number, so every invoice has a
reference of its own; the RF form is kept beside it.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store import billing
from store.billing import (
    SUBSCRIPTION_LINE,
    SURCHARGE_LINE,
    ZERO,
    BillingSettings,
    ComposedInvoice,
    ComposedLine,
    LineAmounts,
    LineDraft,
    PayerTerms,
    Period,
    SubscriptionTerms,
)
from store.cards import InvoiceView, invoice_views
from store.clock import Clock
from store.db import Database
from store.errors import N_, KortistoError, NotFound
from store.models import (
    Customer,
    Event,
    Invoice,
    InvoiceDelivery,
    InvoiceLine,
    InvoiceStatus,
    Product,
    Subscription,
)
from store.references import finnish_reference, rf_reference
from store.validation import FieldError, clean_text

log = logging.getLogger(__name__)
T = TypeVar("T")

#: The number of a register's first invoice.
FIRST_INVOICE_NUMBER = 100001
#: How many times a write that lost a number to another writer is retried.
NUMBER_ATTEMPTS = 5
#: Paying customers billed in one write transaction of the run.
RUN_BATCH_PAYERS = 200
#: The most copies one invoice line can have.
MAX_QUANTITY = 9999
_ONE_DAY = dt.timedelta(days=1)


class InvoiceError(KortistoError):
    """An invoice cannot be made or changed as asked."""


class ChangedMeanwhile(KortistoError):
    """Another operator saved the same thing after this one was read."""


#: Progress of the run: paying customers done and their total.
ProgressCallback = Callable[[int, int], None]


# -- Writing with numbers -----------------------------------------------------


def is_number_clash(error: IntegrityError) -> bool:
    """Whether ``error`` is another writer having taken the same number."""
    text = str(error.orig)
    return any(
        name in text
        for name in (
            "uq_invoices_number",
            "uq_subscriptions_number",
            "invoices.number",
            "subscriptions.number",
        )
    )


async def write_retrying(
    database: Database, work: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """Run ``work`` in a write transaction, again when it lost a number race."""
    for attempt in range(1, NUMBER_ATTEMPTS + 1):
        try:
            async with database.write() as session:
                return await work(session)
        except IntegrityError as error:
            if attempt == NUMBER_ATTEMPTS or not is_number_clash(error):
                raise
            log.info("number taken by another writer; trying again (%d)", attempt)
    raise AssertionError("unreachable")


async def next_invoice_number(session: AsyncSession) -> int:
    """The number after the highest invoice number in use."""
    highest = await session.scalar(select(func.max(Invoice.number)))
    return FIRST_INVOICE_NUMBER if highest is None else highest + 1


# -- Events -------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """``value`` as it is kept in an event's changes."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def record_event(
    session: AsyncSession,
    clock: Clock,
    customer_id: int,
    operator_id: int | None,
    kind: str,
    summary: str,
    changes: dict[str, tuple[Any, Any]] | None = None,
) -> None:
    """Add an event to the customer's timeline and audit trail."""
    session.add(
        Event(
            customer_id=customer_id,
            operator_id=operator_id,
            occurred_at=clock.now(),
            kind=kind,
            summary=summary[:500],
            changes={
                name: [jsonable(old), jsonable(new)]
                for name, (old, new) in (changes or {}).items()
            },
        )
    )


# -- Views --------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceLineView:
    """One line of an invoice as it is shown and printed."""

    id: int
    position: int
    kind: str
    product_code: str
    description: str
    period_start: dt.date | None
    period_end: dt.date | None
    quantity: int
    unit_price: Decimal
    discount_percent: Decimal
    discount: Decimal
    vat_percent: Decimal
    vat: Decimal
    net: Decimal
    gross: Decimal
    subscription_number: int | None


@dataclass(frozen=True)
class InvoiceDetail:
    """An invoice with its lines: what opens from the number on the card."""

    number: int
    status: InvoiceStatus
    payer_number: int
    payer_name: str
    invoice_date: dt.date
    due_date: dt.date
    delivery: InvoiceDelivery
    direct_payment: bool
    reference: str
    reference_rf: str
    recipient: billing.Recipient
    lines: list[InvoiceLineView]
    net_total: Decimal
    vat_total: Decimal
    total: Decimal
    surcharge: Decimal
    credit_of_number: int | None
    credit_numbers: list[int]
    """The credit invoices that point to this one."""
    version: int

    @property
    def is_credit(self) -> bool:
        """Whether this is a credit invoice."""
        return self.credit_of_number is not None


#: One line of the card's invoice list (the card reads the same rows).
InvoiceRow = InvoiceView


async def invoice_detail(database: Database, number: int) -> InvoiceDetail:
    """The invoice with ``number`` and its lines.

    Raises:
        NotFound: there is no such invoice.
    """
    async with database.read() as session:
        invoice = await _invoice(session, number)
        return await _detail(session, invoice)


async def invoices_of(
    database: Database, customer_number: int, *, limit: int = 100
) -> list[InvoiceRow]:
    """The invoices a customer pays, newest first, credit invoices included.

    Raises:
        NotFound: there is no such customer.
    """
    async with database.read() as session:
        customer_id = await _customer_id(session, customer_number)
        return await invoice_views(session, customer_id, limit)


async def _customer_id(session: AsyncSession, number: int) -> int:
    found = await session.scalar(select(Customer.id).where(Customer.number == number))
    if found is None:
        raise NotFound(N_("There is no customer {number}."), number=number)
    return found


async def _invoice(session: AsyncSession, number: int) -> Invoice:
    invoice = await session.scalar(select(Invoice).where(Invoice.number == number))
    if invoice is None:
        raise NotFound(N_("There is no invoice {number}."), number=number)
    return invoice


async def _detail(session: AsyncSession, invoice: Invoice) -> InvoiceDetail:
    payer = await session.get(Customer, invoice.payer_id)
    assert payer is not None
    rows = (
        await session.execute(
            select(InvoiceLine, Product.code, Subscription.number)
            .outerjoin(Product, Product.id == InvoiceLine.product_id)
            .outerjoin(Subscription, Subscription.id == InvoiceLine.subscription_id)
            .where(InvoiceLine.invoice_id == invoice.id)
            .order_by(InvoiceLine.position)
        )
    ).all()
    credited_number = None
    if invoice.credit_of_id is not None:
        credited_number = await session.scalar(
            select(Invoice.number).where(Invoice.id == invoice.credit_of_id)
        )
    credits = (
        await session.scalars(
            select(Invoice.number)
            .where(Invoice.credit_of_id == invoice.id)
            .order_by(Invoice.number)
        )
    ).all()
    return InvoiceDetail(
        number=invoice.number,
        status=invoice.status,
        payer_number=payer.number,
        payer_name=payer.display_name,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        delivery=invoice.delivery,
        direct_payment=invoice.direct_payment,
        reference=invoice.reference,
        reference_rf=invoice.reference_rf,
        recipient=billing.Recipient(
            name=invoice.address_name,
            street=invoice.address_street,
            postal_code=invoice.address_postal_code,
            post_town=invoice.address_post_town,
            country=invoice.address_country,
            delivery=invoice.delivery,
            einvoice_address=invoice.einvoice_address,
            einvoice_operator=invoice.einvoice_operator,
        ),
        lines=[
            InvoiceLineView(
                id=line.id,
                position=line.position,
                kind=line.kind,
                product_code=code or "",
                description=line.description,
                period_start=line.period_start,
                period_end=line.period_end,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                discount=line.discount,
                vat_percent=line.vat_percent,
                vat=line.vat,
                net=line.net,
                gross=line.gross,
                subscription_number=subscription_number,
            )
            for line, code, subscription_number in rows
        ],
        net_total=invoice.net_total,
        vat_total=invoice.vat_total,
        total=invoice.total,
        surcharge=invoice.surcharge,
        credit_of_number=credited_number,
        credit_numbers=list(credits),
        version=invoice.version,
    )


# -- Storing ------------------------------------------------------------------


def subscription_terms(subscription: Subscription) -> SubscriptionTerms:
    """What the billing rules take of ``subscription``."""
    return SubscriptionTerms(
        starts_on=subscription.starts_on,
        ends_on=subscription.ends_on,
        term_months=subscription.term_months,
        continuous=subscription.continuous,
        billed_until=subscription.billed_until,
        unit_price=subscription.unit_price,
        copies=subscription.copies,
    )


def subscription_drafts(
    subscription: Subscription, product: Product, on: dt.date
) -> list[LineDraft]:
    """Lines for the periods of ``subscription`` that fall due by ``on``."""
    return [
        LineDraft(
            kind=SUBSCRIPTION_LINE,
            description=product.name,
            quantity=subscription.copies,
            unit_price=due.unit_price,
            vat_percent=product.vat_percent,
            product_id=product.id,
            product_kind=product.kind,
            subscription_id=subscription.id,
            period=due.period,
        )
        for due in billing.due_periods(subscription_terms(subscription), on)
    ]


def _add_lines(
    session: AsyncSession,
    invoice: Invoice,
    lines: Iterable[tuple[LineDraft, LineAmounts, int | None]],
    start: int = 1,
) -> None:
    for position, (draft, amounts, credit_of_line_id) in enumerate(lines, start):
        session.add(
            InvoiceLine(
                invoice_id=invoice.id,
                position=position,
                kind=draft.kind,
                product_id=draft.product_id,
                subscription_id=draft.subscription_id,
                description=draft.description,
                period_start=draft.period.start if draft.period else None,
                period_end=draft.period.end if draft.period else None,
                quantity=amounts.quantity,
                unit_price=amounts.unit_price,
                discount_percent=amounts.discount_percent,
                discount=amounts.discount,
                vat_percent=amounts.vat_percent,
                vat=amounts.vat,
                net=amounts.net,
                gross=amounts.gross,
                credit_of_line_id=credit_of_line_id,
            )
        )


def _set_totals(invoice: Invoice, totals: billing.Totals) -> None:
    invoice.net_total = totals.net
    invoice.vat_total = totals.vat
    invoice.total = totals.gross
    invoice.surcharge = totals.surcharge


def _set_recipient(invoice: Invoice, recipient: billing.Recipient) -> None:
    invoice.address_name = recipient.name[:200]
    invoice.address_street = recipient.street
    invoice.address_postal_code = recipient.postal_code
    invoice.address_post_town = recipient.post_town
    invoice.address_country = recipient.country
    invoice.einvoice_address = recipient.einvoice_address
    invoice.einvoice_operator = recipient.einvoice_operator


async def store_invoice(
    session: AsyncSession,
    clock: Clock,
    *,
    number: int,
    payer: PayerTerms,
    composed: ComposedInvoice,
    invoice_date: dt.date,
    settings: BillingSettings,
    status: InvoiceStatus,
    operator_id: int | None,
) -> Invoice:
    """Write an invoice the rules composed, with its lines."""
    reference = finnish_reference(number)
    invoice = Invoice(
        number=number,
        payer_id=payer.customer_id,
        invoice_date=invoice_date,
        due_date=billing.due_date(invoice_date, settings.payment_term_days),
        reference=reference,
        reference_rf=rf_reference(reference),
        delivery=composed.delivery,
        status=status,
        direct_payment=composed.direct_payment,
        created_at=clock.now(),
        created_by_id=operator_id,
        version=1,
    )
    _set_recipient(invoice, payer.recipient)
    _set_totals(invoice, composed.totals)
    session.add(invoice)
    await session.flush()
    _add_lines(session, invoice, ((c.draft, c.amounts, None) for c in composed.lines))
    return invoice


def _mark_billed(subscription: Subscription, drafts: Iterable[LineDraft]) -> None:
    ends = [d.period.end for d in drafts if d.period is not None]
    if ends:
        latest = max(ends)
        if subscription.billed_until is None or latest > subscription.billed_until:
            subscription.billed_until = latest


# -- The invoice run ----------------------------------------------------------


@dataclass
class DeliveryTotal:
    """The invoices of one delivery method in a run."""

    invoices: int = 0
    total: Decimal = ZERO


@dataclass
class RunSummary:
    """What an invoice run billed (or, in a dry run, would bill)."""

    on: dt.date
    invoice_date: dt.date
    dry_run: bool
    invoices: int = 0
    lines: int = 0
    subscriptions: int = 0
    payers: int = 0
    total: Decimal = ZERO
    by_delivery: dict[InvoiceDelivery, DeliveryTotal] = field(default_factory=dict)
    surcharges: int = 0
    surcharge_total: Decimal = ZERO
    direct_payment: int = 0
    first_number: int | None = None
    last_number: int | None = None
    _payer_ids: set[int] = field(default_factory=set, repr=False)

    def add(self, composed: ComposedInvoice, number: int | None, payer_id: int) -> None:
        """Count one invoice in."""
        self._payer_ids.add(payer_id)
        self.payers = len(self._payer_ids)
        self.invoices += 1
        self.lines += len(composed.lines)
        self.total += composed.totals.gross
        method = self.by_delivery.setdefault(composed.delivery, DeliveryTotal())
        method.invoices += 1
        method.total += composed.totals.gross
        if composed.totals.surcharge:
            self.surcharges += 1
            self.surcharge_total += composed.totals.surcharge
        if composed.direct_payment:
            self.direct_payment += 1
        if number is not None:
            if self.first_number is None:
                self.first_number = number
            self.last_number = number


@dataclass
class _Planned:
    payer: PayerTerms
    composed: ComposedInvoice
    subscriptions: list[tuple[Subscription, list[LineDraft]]]


def _candidates(on: dt.date) -> Any:
    # A coarse filter the rules then decide on: unbilled ones that have
    # started, and continuous ones billed short of ``on``.
    return and_(
        Subscription.removed_at.is_(None),
        Subscription.starts_on <= on,
        or_(
            Subscription.billed_until.is_(None),
            and_(
                Subscription.continuous,
                Subscription.billed_until < on,
                or_(
                    Subscription.ends_on.is_(None),
                    Subscription.billed_until < Subscription.ends_on,
                ),
            ),
        ),
    )


async def _plan(
    session: AsyncSession,
    database: Database,
    payer_ids: Sequence[int],
    on: dt.date,
    invoice_date: dt.date,
    settings: BillingSettings,
    *,
    lock: bool,
) -> list[_Planned]:
    statement = (
        select(Subscription, Product)
        .join(Product, Product.id == Subscription.product_id)
        .where(_candidates(on), Subscription.payer_id.in_(payer_ids))
        .order_by(Subscription.payer_id, Subscription.number)
    )
    if lock and not database.is_sqlite:
        # A second run at the same time waits here and then sees these
        # subscriptions billed, so nothing is billed twice.
        statement = statement.with_for_update(of=Subscription)
    by_payer: dict[int, list[tuple[Subscription, LineDraft]]] = {}
    for subscription, product in (await session.execute(statement)).all():
        for draft in subscription_drafts(subscription, product, on):
            by_payer.setdefault(subscription.payer_id, []).append((subscription, draft))
    terms = await billing.load_payer_terms(session, by_payer.keys(), invoice_date)
    planned: list[_Planned] = []
    for payer_id, items in by_payer.items():
        payer = terms[payer_id]
        for group in billing.group_for_invoices(
            items, payer.consolidated, key=lambda item: item[0].id
        ):
            drafts = [draft for _, draft in group]
            composed = billing.compose_invoice(drafts, payer, settings.surcharge)
            per_subscription: dict[int, tuple[Subscription, list[LineDraft]]] = {}
            for subscription, draft in group:
                per_subscription.setdefault(subscription.id, (subscription, []))[
                    1
                ].append(draft)
            planned.append(_Planned(payer, composed, list(per_subscription.values())))
    return planned


async def run_invoicing(
    database: Database,
    clock: Clock,
    on: dt.date,
    *,
    dry_run: bool,
    progress: ProgressCallback | None = None,
) -> RunSummary:
    """Bill every subscription period that falls due by ``on`` and is unbilled.

    Invoices are dated today by ``clock`` and sent. Paying customers are
    billed a batch at a time, each batch in one write transaction, so a
    run that fails part way has billed whole batches only and a new run
    bills the rest. Running again bills nothing twice.

    Args:
        database: the register.
        clock: today's date for the invoice date.
        on: bill the periods that start on or before this day.
        dry_run: count what would be billed and write nothing.
        progress: called with (paying customers done, their total).
    """
    invoice_date = clock.today()
    summary = RunSummary(on=on, invoice_date=invoice_date, dry_run=dry_run)
    async with database.read() as session:
        settings = await billing.load_billing_settings(session)
        payer_ids = list(
            (
                await session.scalars(
                    select(Subscription.payer_id)
                    .where(_candidates(on))
                    .distinct()
                    .order_by(Subscription.payer_id)
                )
            ).all()
        )
    total = len(payer_ids)
    if progress:
        progress(0, total)
    for start in range(0, total, RUN_BATCH_PAYERS):
        batch = payer_ids[start : start + RUN_BATCH_PAYERS]
        if dry_run:
            async with database.read() as session:
                for planned in await _plan(
                    session, database, batch, on, invoice_date, settings, lock=False
                ):
                    summary.add(planned.composed, None, planned.payer.customer_id)
                    summary.subscriptions += len(planned.subscriptions)
        else:
            await _bill_batch(
                database, clock, batch, on, invoice_date, settings, summary
            )
        if progress:
            progress(min(start + RUN_BATCH_PAYERS, total), total)
    log.info(
        "invoice run for %s%s: %d invoices, %s EUR, %d surcharges",
        on,
        " (dry run)" if dry_run else "",
        summary.invoices,
        summary.total,
        summary.surcharges,
    )
    return summary


async def _bill_batch(
    database: Database,
    clock: Clock,
    batch: Sequence[int],
    on: dt.date,
    invoice_date: dt.date,
    settings: BillingSettings,
    summary: RunSummary,
) -> None:
    async def work(session: AsyncSession) -> RunSummary:
        found = RunSummary(on=on, invoice_date=invoice_date, dry_run=False)
        planned = await _plan(
            session, database, batch, on, invoice_date, settings, lock=True
        )
        number = await next_invoice_number(session)
        for item in planned:
            invoice = await store_invoice(
                session,
                clock,
                number=number,
                payer=item.payer,
                composed=item.composed,
                invoice_date=invoice_date,
                settings=settings,
                status=InvoiceStatus.SENT,
                operator_id=None,
            )
            for subscription, drafts in item.subscriptions:
                _mark_billed(subscription, drafts)
            record_event(
                session,
                clock,
                item.payer.customer_id,
                None,
                "invoice_created",
                f"Invoice {invoice.number}: {invoice.total} EUR",
            )
            found.add(item.composed, number, item.payer.customer_id)
            found.subscriptions += len(item.subscriptions)
            number += 1
        await session.flush()
        return found

    found = await write_retrying(database, work)
    summary._payer_ids |= found._payer_ids
    summary.payers = len(summary._payer_ids)
    summary.invoices += found.invoices
    summary.lines += found.lines
    summary.subscriptions += found.subscriptions
    summary.total += found.total
    summary.surcharges += found.surcharges
    summary.surcharge_total += found.surcharge_total
    summary.direct_payment += found.direct_payment
    for method, counted in found.by_delivery.items():
        mine = summary.by_delivery.setdefault(method, DeliveryTotal())
        mine.invoices += counted.invoices
        mine.total += counted.total
    if found.first_number is not None:
        if summary.first_number is None:
            summary.first_number = found.first_number
        summary.last_number = found.last_number


# -- Invoices from the card ---------------------------------------------------


@dataclass(frozen=True)
class ManualLine:
    """A line an operator types on an invoice: an ad, a single copy, a fee."""

    product_code: str
    unit_price: Decimal | str
    """One unit's price, VAT included; the payer's discount comes off it."""
    quantity: int = 1
    description: str = ""
    """Shown on the invoice; the product's name when empty."""
    period_start: dt.date | None = None
    period_end: dt.date | None = None


async def _manual_drafts(
    session: AsyncSession, lines: Sequence[ManualLine]
) -> list[LineDraft]:
    from store.pricing import validate_price

    drafts: list[LineDraft] = []
    for index, line in enumerate(lines):
        prefix = f"lines.{index}."
        product = await session.scalar(
            select(Product).where(Product.code == line.product_code)
        )
        if product is None:
            raise FieldError(
                prefix + "product_code",
                N_("there is no product {code}"),
                code=line.product_code,
            )
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise FieldError(
                prefix + "quantity",
                N_("the quantity is 1 to {most}"),
                most=MAX_QUANTITY,
            )
        price = validate_price(line.unit_price, prefix + "unit_price")
        period: Period | None = None
        if line.period_start is not None or line.period_end is not None:
            start = line.period_start or line.period_end
            end = line.period_end or line.period_start
            assert start is not None and end is not None
            if end < start:
                raise FieldError(
                    prefix + "period_end", N_("the period ends before it starts")
                )
            period = Period(start, end)
        description = clean_text(
            line.description, prefix + "description", max_length=200
        )
        drafts.append(
            LineDraft(
                kind=billing.MANUAL_LINE,
                description=description or product.name,
                quantity=line.quantity,
                unit_price=price,
                vat_percent=product.vat_percent,
                product_id=product.id,
                product_kind=product.kind,
                period=period,
            )
        )
    return drafts


async def add_invoice(
    database: Database,
    clock: Clock,
    payer_number: int,
    *,
    operator_id: int | None,
    lines: Sequence[ManualLine] = (),
    subscription_numbers: Sequence[int] = (),
    bill_until: dt.date | None = None,
    delivery: InvoiceDelivery | None = None,
    invoice_date: dt.date | None = None,
) -> InvoiceDetail:
    """Make a draft invoice for the customer ``payer_number`` ("add invoice").

    The same rules as the run apply: the payer's discount on each line,
    the surcharge where due, the invoice address and the payment term.

    Args:
        database: the register.
        clock: today's date, the default invoice date.
        payer_number: the paying customer.
        operator_id: who adds it.
        lines: typed lines.
        subscription_numbers: subscriptions whose unbilled periods to bill
            now, ahead of the run; they then count as billed.
        bill_until: bill those subscriptions' periods that start by this
            day; by default each one's next unbilled period.
        delivery: the delivery method, when not the payer's.
        invoice_date: the invoice date, when not today.

    Raises:
        NotFound: there is no such customer or subscription.
        FieldError: a line is not valid, a subscription is not this
            payer's or has nothing to bill, or there are no lines at all.
    """

    async def work(session: AsyncSession) -> InvoiceDetail:
        payer_id = await _customer_id(session, payer_number)
        settings = await billing.load_billing_settings(session)
        date = invoice_date or clock.today()
        drafts = await _manual_drafts(session, lines)
        billed: list[tuple[Subscription, list[LineDraft]]] = []
        for number in subscription_numbers:
            subscription, product = await _subscription_to_bill(
                session, number, payer_id
            )
            until = bill_until or billing.next_due_start(
                subscription_terms(subscription)
            )
            found = subscription_drafts(subscription, product, until) if until else []
            if not found:
                raise FieldError(
                    "subscription_numbers",
                    N_("subscription {number} has nothing to bill"),
                    number=number,
                )
            drafts.extend(found)
            billed.append((subscription, found))
        if not drafts:
            raise FieldError("lines", N_("an invoice needs at least one line"))
        terms = (await billing.load_payer_terms(session, [payer_id], date))[payer_id]
        composed = billing.compose_invoice(
            drafts, terms, settings.surcharge, delivery=delivery
        )
        invoice = await store_invoice(
            session,
            clock,
            number=await next_invoice_number(session),
            payer=terms,
            composed=composed,
            invoice_date=date,
            settings=settings,
            status=InvoiceStatus.DRAFT,
            operator_id=operator_id,
        )
        for subscription, found in billed:
            _mark_billed(subscription, found)
        record_event(
            session,
            clock,
            payer_id,
            operator_id,
            "invoice_added",
            f"Invoice {invoice.number}: {invoice.total} EUR",
            {"invoice": (None, invoice.number)},
        )
        await session.flush()
        return await _detail(session, invoice)

    return await write_retrying(database, work)


async def _subscription_to_bill(
    session: AsyncSession, number: int, payer_id: int
) -> tuple[Subscription, Product]:
    row = (
        await session.execute(
            select(Subscription, Product)
            .join(Product, Product.id == Subscription.product_id)
            .where(Subscription.number == number)
        )
    ).first()
    if row is None:
        raise NotFound(N_("There is no subscription {number}."), number=number)
    subscription, product = row
    if subscription.payer_id != payer_id:
        raise FieldError(
            "subscription_numbers",
            N_("subscription {number} is paid by another customer"),
            number=number,
        )
    if subscription.removed_at is not None:
        raise FieldError(
            "subscription_numbers",
            N_("subscription {number} has been removed"),
            number=number,
        )
    return subscription, product


def _require_draft(invoice: Invoice) -> None:
    if invoice.status != InvoiceStatus.DRAFT:
        raise InvoiceError(
            N_("Invoice {number} has been sent: it can only be credited."),
            number=invoice.number,
        )


def _check_version(invoice: Invoice, expected_version: int | None) -> None:
    if expected_version is not None and invoice.version != expected_version:
        raise ChangedMeanwhile(
            N_(
                "Invoice {number} was changed by another operator meanwhile; "
                "open it again to see the changes."
            ),
            number=invoice.number,
        )


async def _line_drafts(
    session: AsyncSession, invoice: Invoice
) -> list[tuple[InvoiceLine, LineDraft]]:
    rows = (
        await session.execute(
            select(InvoiceLine, Product)
            .outerjoin(Product, Product.id == InvoiceLine.product_id)
            .where(InvoiceLine.invoice_id == invoice.id)
            .order_by(InvoiceLine.position)
        )
    ).all()
    return [
        (
            line,
            LineDraft(
                kind=line.kind,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                vat_percent=line.vat_percent,
                product_id=line.product_id,
                product_kind=product.kind if product else None,
                subscription_id=line.subscription_id,
                period=Period(line.period_start, line.period_end)
                if line.period_start and line.period_end
                else None,
            ),
        )
        for line, product in rows
    ]


async def edit_invoice(
    database: Database,
    clock: Clock,
    number: int,
    *,
    operator_id: int | None,
    expected_version: int,
    lines: Sequence[ManualLine] | None = None,
    delivery: InvoiceDelivery | None = None,
    invoice_date: dt.date | None = None,
) -> InvoiceDetail:
    """Change a draft: its typed lines, delivery method or invoice date.

    The lines that bill subscriptions stay (delete the draft to undo
    them); ``lines``, when given, replaces the typed ones. The rules are
    applied again: discount, surcharge, address and due date.

    Raises:
        NotFound: there is no such invoice.
        InvoiceError: it is not a draft.
        ChangedMeanwhile: it was saved by someone else after
            ``expected_version``.
        FieldError: a line is not valid, or no line would be left.
    """
    async with database.write() as session:
        invoice = await _invoice(session, number)
        _require_draft(invoice)
        _check_version(invoice, expected_version)
        settings = await billing.load_billing_settings(session)
        existing = await _line_drafts(session, invoice)
        kept = [
            draft
            for _, draft in existing
            if draft.kind == SUBSCRIPTION_LINE
            or (lines is None and draft.kind != SURCHARGE_LINE)
        ]
        drafts = kept + (await _manual_drafts(session, lines) if lines else [])
        if not drafts:
            raise FieldError("lines", N_("an invoice needs at least one line"))
        date = invoice_date or invoice.invoice_date
        terms = (await billing.load_payer_terms(session, [invoice.payer_id], date))[
            invoice.payer_id
        ]
        composed = billing.compose_invoice(
            drafts, terms, settings.surcharge, delivery=delivery or invoice.delivery
        )
        old = (invoice.total, invoice.delivery, invoice.invoice_date)
        for line, _ in existing:
            await session.delete(line)
        await session.flush()
        _add_lines(
            session, invoice, ((c.draft, c.amounts, None) for c in composed.lines)
        )
        _set_totals(invoice, composed.totals)
        _set_recipient(invoice, terms.recipient)
        invoice.delivery = composed.delivery
        invoice.direct_payment = composed.direct_payment
        invoice.invoice_date = date
        invoice.due_date = billing.due_date(date, settings.payment_term_days)
        invoice.version += 1
        changes = {
            name: (before, after)
            for name, before, after in zip(
                ("total", "delivery", "invoice_date"),
                old,
                (invoice.total, invoice.delivery, invoice.invoice_date),
                strict=True,
            )
            if before != after
        }
        record_event(
            session,
            clock,
            invoice.payer_id,
            operator_id,
            "invoice_changed",
            f"Invoice {invoice.number}",
            changes,
        )
        await session.flush()
        return await _detail(session, invoice)


async def delete_invoice(
    database: Database,
    clock: Clock,
    number: int,
    *,
    operator_id: int | None,
    expected_version: int | None = None,
) -> None:
    """Delete a draft; the subscription periods it billed become unbilled.

    Raises:
        NotFound: there is no such invoice.
        InvoiceError: it is not a draft, or a later invoice bills the same
            subscription on from it.
        ChangedMeanwhile: it was saved by someone else after
            ``expected_version``.
    """
    async with database.write() as session:
        invoice = await _invoice(session, number)
        _require_draft(invoice)
        _check_version(invoice, expected_version)
        existing = await _line_drafts(session, invoice)
        periods: dict[int, list[Period]] = {}
        for _, draft in existing:
            if draft.subscription_id is not None and draft.period is not None:
                periods.setdefault(draft.subscription_id, []).append(draft.period)
        for subscription_id, found in periods.items():
            subscription = await session.get(Subscription, subscription_id)
            assert subscription is not None
            latest = max(p.end for p in found)
            earliest = min(p.start for p in found)
            if (
                subscription.billed_until is not None
                and subscription.billed_until > latest
            ):
                raise InvoiceError(
                    N_(
                        "Subscription {subscription} has been billed after this "
                        "invoice; delete or credit those invoices first."
                    ),
                    subscription=subscription.number,
                )
            before = earliest - _ONE_DAY
            subscription.billed_until = (
                before if before >= subscription.starts_on else None
            )
        for line, _ in existing:
            await session.delete(line)
        await session.flush()
        await session.delete(invoice)
        record_event(
            session,
            clock,
            invoice.payer_id,
            operator_id,
            "invoice_deleted",
            f"Invoice {invoice.number}: {invoice.total} EUR",
            {"invoice": (invoice.number, None)},
        )


async def send_invoice(
    database: Database,
    clock: Clock,
    number: int,
    *,
    operator_id: int | None,
    expected_version: int | None = None,
) -> InvoiceDetail:
    """Send a draft: from now on it can only be credited.

    Raises:
        NotFound: there is no such invoice.
        InvoiceError: it is not a draft.
        ChangedMeanwhile: it was saved by someone else after
            ``expected_version``.
    """
    return await _set_status(
        database,
        clock,
        number,
        InvoiceStatus.SENT,
        operator_id=operator_id,
        expected_version=expected_version,
        allowed=(InvoiceStatus.DRAFT,),
        refusal=N_("Invoice {number} has already been sent."),
    )


async def mark_paid(
    database: Database, clock: Clock, number: int, *, operator_id: int | None
) -> InvoiceDetail:
    """Mark a sent invoice paid.

    Raises:
        NotFound: there is no such invoice.
        InvoiceError: it is not a sent invoice.
    """
    return await _set_status(
        database,
        clock,
        number,
        InvoiceStatus.PAID,
        operator_id=operator_id,
        expected_version=None,
        allowed=(InvoiceStatus.SENT,),
        refusal=N_("Only a sent invoice can be marked paid."),
    )


async def _set_status(
    database: Database,
    clock: Clock,
    number: int,
    status: InvoiceStatus,
    *,
    operator_id: int | None,
    expected_version: int | None,
    allowed: tuple[InvoiceStatus, ...],
    refusal: str,
) -> InvoiceDetail:
    async with database.write() as session:
        invoice = await _invoice(session, number)
        _check_version(invoice, expected_version)
        if invoice.status not in allowed:
            raise InvoiceError(refusal, number=number)
        old = invoice.status
        invoice.status = status
        invoice.version += 1
        record_event(
            session,
            clock,
            invoice.payer_id,
            operator_id,
            f"invoice_{status.value}",
            f"Invoice {invoice.number}",
            {"status": (old, status)},
        )
        await session.flush()
        return await _detail(session, invoice)


async def set_invoice_delivery(
    database: Database,
    clock: Clock,
    number: int,
    delivery: InvoiceDelivery,
    *,
    operator_id: int | None,
    expected_version: int | None = None,
) -> InvoiceDetail:
    """Deliver this one invoice another way than the payer's default.

    A draft is composed again (the surcharge follows the method); a sent
    invoice keeps its lines and totals, only its delivery method changes.

    Raises:
        NotFound: there is no such invoice.
        InvoiceError: it is a credited invoice.
        ChangedMeanwhile: it was saved by someone else after
            ``expected_version``.
    """
    async with database.read() as session:
        invoice = await _invoice(session, number)
    if invoice.status == InvoiceStatus.DRAFT:
        return await edit_invoice(
            database,
            clock,
            number,
            operator_id=operator_id,
            expected_version=expected_version
            if expected_version is not None
            else invoice.version,
            delivery=delivery,
        )
    async with database.write() as session:
        invoice = await _invoice(session, number)
        _check_version(invoice, expected_version)
        if invoice.status == InvoiceStatus.CREDITED:
            raise InvoiceError(N_("Invoice {number} has been credited."), number=number)
        old = invoice.delivery
        invoice.delivery = delivery
        invoice.version += 1
        record_event(
            session,
            clock,
            invoice.payer_id,
            operator_id,
            "invoice_changed",
            f"Invoice {invoice.number}",
            {"delivery": (old, delivery)},
        )
        await session.flush()
        return await _detail(session, invoice)


# -- Credits ------------------------------------------------------------------


@dataclass(frozen=True)
class UndeliveredLine:
    """The part of an invoiced line after a subscription's new end."""

    invoice_id: int
    invoice_number: int
    line_id: int
    draft: LineDraft
    """The credit line: the undelivered period, the negative quantity."""
    credit: LineAmounts


async def _credited(
    session: AsyncSession, line_ids: Sequence[int]
) -> dict[int, list[InvoiceLine]]:
    found: dict[int, list[InvoiceLine]] = {}
    if not line_ids:
        return found
    for line in (
        await session.scalars(
            select(InvoiceLine).where(InvoiceLine.credit_of_line_id.in_(line_ids))
        )
    ).all():
        assert line.credit_of_line_id is not None
        found.setdefault(line.credit_of_line_id, []).append(line)
    return found


def _amounts(line: InvoiceLine) -> LineAmounts:
    return LineAmounts(
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_percent=line.discount_percent,
        vat_percent=line.vat_percent,
        discount=line.discount,
        gross=line.gross,
        vat=line.vat,
        net=line.net,
    )


def _uncredited_end(
    line: InvoiceLine, credits: Sequence[InvoiceLine]
) -> dt.date | None:
    # Credits of part of a line are always its tail, so what is left
    # uncredited ends the day before the earliest credited day.
    assert line.period_end is not None
    starts = [c.period_start for c in credits if c.period_start is not None]
    return min(starts) - _ONE_DAY if starts else line.period_end


async def draft_invoices_billing(
    session: AsyncSession, subscription_id: int, after: dt.date
) -> list[int]:
    """Numbers of the drafts that bill ``subscription_id`` for days after ``after``."""
    return list(
        (
            await session.scalars(
                select(Invoice.number)
                .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
                .where(
                    InvoiceLine.subscription_id == subscription_id,
                    InvoiceLine.period_end > after,
                    Invoice.status == InvoiceStatus.DRAFT,
                )
                .distinct()
                .order_by(Invoice.number)
            )
        ).all()
    )


async def undelivered_lines(
    session: AsyncSession, subscription_id: int, ends_on: dt.date
) -> list[UndeliveredLine]:
    """What sent invoices bill ``subscription_id`` for after ``ends_on``.

    Only the part not credited yet counts, and only invoices that were sent
    (or paid); drafts are the caller's to deal with.
    """
    rows = (
        await session.execute(
            select(InvoiceLine, Invoice.number)
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .where(
                InvoiceLine.subscription_id == subscription_id,
                InvoiceLine.kind == SUBSCRIPTION_LINE,
                InvoiceLine.period_end > ends_on,
                InvoiceLine.quantity > 0,
                Invoice.credit_of_id.is_(None),
                Invoice.status.in_((InvoiceStatus.SENT, InvoiceStatus.PAID)),
            )
            .order_by(Invoice.number, InvoiceLine.position)
        )
    ).all()
    credited = await _credited(session, [line.id for line, _ in rows])
    found: list[UndeliveredLine] = []
    for line, invoice_number in rows:
        assert line.period_start is not None and line.period_end is not None
        credits = credited.get(line.id, [])
        left = billing.remainder(_amounts(line), (_amounts(c) for c in credits))
        end = _uncredited_end(line, credits)
        if end is None or (left.gross == 0 and left.net == 0):
            continue
        start = max(line.period_start, ends_on + _ONE_DAY)
        if start > end:
            continue
        whole = Period(line.period_start, line.period_end)
        part = Period(start, end)
        if part.start == line.period_start:
            credit = left.negated()
        else:
            credit = billing.line_amounts(
                -line.quantity,
                billing.prorated_unit_price(line.unit_price, part.days, whole.days),
                line.discount_percent,
                line.vat_percent,
            )
            if abs(credit.gross) > abs(left.gross):
                credit = left.negated()
        found.append(
            UndeliveredLine(
                invoice_id=line.invoice_id,
                invoice_number=invoice_number,
                line_id=line.id,
                draft=LineDraft(
                    kind=line.kind,
                    description=line.description,
                    quantity=credit.quantity,
                    unit_price=credit.unit_price,
                    vat_percent=line.vat_percent,
                    product_id=line.product_id,
                    subscription_id=line.subscription_id,
                    period=part,
                ),
                credit=credit,
            )
        )
    return found


async def _store_credit(
    session: AsyncSession,
    clock: Clock,
    original: Invoice,
    lines: Sequence[tuple[LineDraft, LineAmounts, int]],
    *,
    operator_id: int | None,
    reason: str,
) -> Invoice:
    number = await next_invoice_number(session)
    reference = finnish_reference(number)
    today = clock.today()
    credit = Invoice(
        number=number,
        payer_id=original.payer_id,
        invoice_date=today,
        # Nothing is to be paid on a credit invoice: it is due at once.
        due_date=today,
        reference=reference,
        reference_rf=rf_reference(reference),
        delivery=original.delivery,
        status=InvoiceStatus.SENT,
        direct_payment=original.direct_payment,
        credit_of_id=original.id,
        address_name=original.address_name,
        address_street=original.address_street,
        address_postal_code=original.address_postal_code,
        address_post_town=original.address_post_town,
        address_country=original.address_country,
        einvoice_address=original.einvoice_address,
        einvoice_operator=original.einvoice_operator,
        created_at=clock.now(),
        created_by_id=operator_id,
        version=1,
    )
    composed = [ComposedLine(draft, amounts) for draft, amounts, _ in lines]
    _set_totals(credit, billing.totals_of(composed))
    session.add(credit)
    await session.flush()
    _add_lines(session, credit, lines)
    summary = (
        f"Credit invoice {number} for invoice {original.number}: {credit.total} EUR"
    )
    if reason:
        summary += f" ({reason})"
    record_event(
        session,
        clock,
        original.payer_id,
        operator_id,
        "invoice_credited",
        summary,
        {"credit_invoice": (None, number)},
    )
    await session.flush()
    return credit


async def _remaining_lines(
    session: AsyncSession, original: Invoice
) -> list[tuple[LineDraft, LineAmounts, int]]:
    """Credit lines for whatever of ``original`` is not credited yet."""
    lines = (
        await session.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == original.id)
            .order_by(InvoiceLine.position)
        )
    ).all()
    credited = await _credited(session, [line.id for line in lines])
    found: list[tuple[LineDraft, LineAmounts, int]] = []
    for line in lines:
        credits = credited.get(line.id, [])
        left = billing.remainder(_amounts(line), (_amounts(c) for c in credits))
        if left.gross == 0 and left.net == 0 and left.discount == 0:
            continue
        period = None
        if line.period_start is not None and line.period_end is not None:
            end = _uncredited_end(line, credits)
            assert end is not None
            period = Period(line.period_start, max(end, line.period_start))
        credit = left.negated()
        found.append(
            (
                LineDraft(
                    kind=line.kind,
                    description=line.description,
                    quantity=credit.quantity,
                    unit_price=credit.unit_price,
                    vat_percent=line.vat_percent,
                    product_id=line.product_id,
                    subscription_id=line.subscription_id,
                    period=period,
                ),
                credit,
                line.id,
            )
        )
    return found


async def credit_invoice(
    database: Database,
    clock: Clock,
    number: int,
    *,
    operator_id: int | None,
    reason: str = "",
) -> InvoiceDetail:
    """Credit a sent invoice in full: a credit invoice that points to it.

    The original keeps its lines and totals and shows as credited. What
    earlier partial credits already took off is not credited again.

    Returns:
        The credit invoice.

    Raises:
        NotFound: there is no such invoice.
        InvoiceError: it is a draft (delete it instead), a credit invoice,
            or already credited in full.
    """
    reason = clean_text(reason, "reason", max_length=200)

    async def work(session: AsyncSession) -> InvoiceDetail:
        original = await _invoice(session, number)
        if original.status == InvoiceStatus.DRAFT:
            raise InvoiceError(
                N_("Invoice {number} is a draft: delete it instead."), number=number
            )
        if original.credit_of_id is not None:
            raise InvoiceError(
                N_("Invoice {number} is a credit invoice."), number=number
            )
        if original.status == InvoiceStatus.CREDITED:
            raise InvoiceError(
                N_("Invoice {number} has already been credited."), number=number
            )
        lines = await _remaining_lines(session, original)
        if not lines:
            raise InvoiceError(
                N_("Nothing of invoice {number} is left to credit."), number=number
            )
        credit = await _store_credit(
            session, clock, original, lines, operator_id=operator_id, reason=reason
        )
        original.status = InvoiceStatus.CREDITED
        original.version += 1
        await session.flush()
        return await _detail(session, credit)

    return await write_retrying(database, work)


async def credit_undelivered(
    session: AsyncSession,
    clock: Clock,
    lines: Sequence[UndeliveredLine],
    *,
    operator_id: int | None,
    reason: str,
) -> list[int]:
    """Credit ``lines``, one credit invoice per invoice they are on.

    When that leaves nothing of an invoice's product lines, its surcharge
    is credited too and the invoice shows as credited.

    Returns:
        The numbers of the credit invoices.
    """
    by_invoice: dict[int, list[UndeliveredLine]] = {}
    for line in lines:
        by_invoice.setdefault(line.invoice_id, []).append(line)
    numbers: list[int] = []
    for invoice_id, found in by_invoice.items():
        original = await session.get(Invoice, invoice_id)
        assert original is not None
        credit_lines = [(u.draft, u.credit, u.line_id) for u in found]
        remaining = await _remaining_lines(session, original)
        crediting = {u.line_id: u.credit.gross for u in found}
        full = all(
            draft.kind == SURCHARGE_LINE or crediting.get(line_id) == left.gross
            for draft, left, line_id in remaining
        )
        if full:
            credit_lines += [
                item for item in remaining if item[0].kind == SURCHARGE_LINE
            ]
        credit = await _store_credit(
            session,
            clock,
            original,
            credit_lines,
            operator_id=operator_id,
            reason=reason,
        )
        if full:
            original.status = InvoiceStatus.CREDITED
            original.version += 1
        numbers.append(credit.number)
    return numbers
