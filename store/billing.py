"""Every billing rule, as plain functions.

The invoice run, the card's "add invoice", crediting and any later
invoice output all use these, so an invoice is made the same way whoever
makes it. Nothing here writes; the loaders at the end only read the
settings and the payers' details these rules take.

Decisions where the seed is silent:

- Prices are what the customer pays, VAT included, as Finnish consumer
  prices are quoted; a line's VAT is the part of its amount that is VAT.
- Each line is rounded to the cent by itself, half up (away from zero),
  as Finnish invoices do: first the undiscounted amount, then the discount
  from it, then the VAT inside what remains. An invoice's totals are sums
  of its rounded lines, so they always add up to the cent. Negating a line
  rounds the same, so a credit invoice cancels its original exactly.
- The payer's discount percent applies to every product line, never to
  the surcharge.
- The paper-invoice surcharge goes on a paper invoice unless the payer is
  exempt, when the invoice's total before it is over the setting's minimum
  (a minimum of zero means every invoice), and, when the setting asks for
  ad invoices only, when the invoice has at least one ad product line. Its
  VAT rate is that of the invoice's largest line: a surcharge follows the
  supply it is charged with.
- A fixed term is billed once, for the whole term, when it starts; a later
  end moved by a suspension is not billed again. A continuous subscription
  is billed period by period, each period ``term_months`` long counted
  from its start; a period cut short by the subscription's end is billed
  for its days only.
- A period falls due on its first day: a run for date D bills every
  unbilled period that starts on or before D.
- The invoice goes to the payer's other payer when the payer has one,
  else to the payer. A typed-in other payer gets it at its own address by
  its own delivery method and e-invoice details; a customer of the
  register (the other payer, or the payer itself) gets it as that
  customer's card says, at its mailing address on the invoice date (the
  rule of :func:`store.delivery.mailing_address`: the temporary address
  marked for all mail, else the standard one).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.cards import Address
from store.delivery import load_delivery_data, mailing_address
from store.models import (
    Customer,
    InvoiceDelivery,
    Payer,
    ProductKind,
    Setting,
)

T = TypeVar("T")

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")
#: The settings keys the rules read.
SURCHARGE_KEY = "surcharge"
PAYMENT_TERM_KEY = "payment_term_days"
#: The payment term when the settings have none.
DEFAULT_PAYMENT_TERM_DAYS = 14
#: Kinds of invoice line.
SUBSCRIPTION_LINE = "subscription"
MANUAL_LINE = "manual"
SURCHARGE_LINE = "surcharge"
_ONE_DAY = dt.timedelta(days=1)


# -- Money --------------------------------------------------------------------


def round_cents(value: Decimal) -> Decimal:
    """``value`` rounded to the cent, half away from zero."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def vat_inside(gross: Decimal, vat_percent: Decimal) -> Decimal:
    """The VAT included in the VAT-inclusive amount ``gross``, to the cent."""
    return round_cents(gross * vat_percent / (HUNDRED + vat_percent))


@dataclass(frozen=True)
class LineAmounts:
    """A line's money, each amount rounded to the cent."""

    quantity: int
    unit_price: Decimal
    discount_percent: Decimal
    vat_percent: Decimal
    discount: Decimal
    """Taken off the undiscounted amount."""
    gross: Decimal
    """What the line costs, VAT included, after the discount."""
    vat: Decimal
    net: Decimal

    def negated(self) -> LineAmounts:
        """The same line with the opposite sign, as a credit line."""
        return LineAmounts(
            quantity=-self.quantity,
            unit_price=self.unit_price,
            discount_percent=self.discount_percent,
            vat_percent=self.vat_percent,
            discount=-self.discount,
            gross=-self.gross,
            vat=-self.vat,
            net=-self.net,
        )


def line_amounts(
    quantity: int,
    unit_price: Decimal,
    discount_percent: Decimal,
    vat_percent: Decimal,
) -> LineAmounts:
    """The rounded amounts of ``quantity`` at ``unit_price`` (VAT included)."""
    undiscounted = round_cents(unit_price * quantity)
    discount = round_cents(undiscounted * discount_percent / HUNDRED)
    gross = undiscounted - discount
    vat = vat_inside(gross, vat_percent)
    return LineAmounts(
        quantity=quantity,
        unit_price=round_cents(unit_price),
        discount_percent=discount_percent,
        vat_percent=vat_percent,
        discount=discount,
        gross=gross,
        vat=vat,
        net=gross - vat,
    )


def remainder(original: LineAmounts, credited: Iterable[LineAmounts]) -> LineAmounts:
    """What of ``original`` is left after the credit lines ``credited``."""
    left = original
    for line in credited:
        left = LineAmounts(
            quantity=left.quantity,
            unit_price=left.unit_price,
            discount_percent=left.discount_percent,
            vat_percent=left.vat_percent,
            discount=left.discount + line.discount,
            gross=left.gross + line.gross,
            vat=left.vat + line.vat,
            net=left.net + line.net,
        )
    return left


def prorated_unit_price(unit_price: Decimal, days: int, of_days: int) -> Decimal:
    """The price of ``days`` out of a period of ``of_days`` priced ``unit_price``."""
    if days >= of_days:
        return unit_price
    return round_cents(unit_price * days / of_days)


# -- Periods ------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months``, at the month's end when the day is missing."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Period:
    """Days from ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        """How many days the period has."""
        return (self.end - self.start).days + 1


def term_period(starts_on: dt.date, term_months: int) -> Period:
    """A fixed term of ``term_months`` that starts on ``starts_on``."""
    return Period(starts_on, add_months(starts_on, term_months) - _ONE_DAY)


def billing_period_of(starts_on: dt.date, term_months: int, day: dt.date) -> Period:
    """The continuous subscription's billing period that holds ``day``.

    Periods are counted from the subscription's start, so a period that
    began on the 31st ends on the day before the next one's 31st (or the
    month's last day), never drifting.
    """
    months = (day.year - starts_on.year) * 12 + day.month - starts_on.month
    index = max(0, months - months % term_months)
    while index > 0 and add_months(starts_on, index) > day:
        index -= term_months
    while add_months(starts_on, index + term_months) <= day:
        index += term_months
    start = add_months(starts_on, index)
    end = add_months(starts_on, index + term_months) - _ONE_DAY
    return Period(start, end)


@dataclass(frozen=True)
class SubscriptionTerms:
    """What billing needs to know of a subscription."""

    starts_on: dt.date
    ends_on: dt.date | None
    term_months: int
    continuous: bool
    billed_until: dt.date | None
    unit_price: Decimal
    copies: int


@dataclass(frozen=True)
class DuePeriod:
    """A period to bill, and the whole period it is part of."""

    period: Period
    full: Period
    unit_price: Decimal
    """The unit price of ``period``: prorated when it is shorter than ``full``."""


def due_periods(terms: SubscriptionTerms, on: dt.date) -> list[DuePeriod]:
    """The unbilled periods of a subscription that fall due by ``on``."""
    if terms.starts_on > on:
        return []
    if not terms.continuous:
        if terms.billed_until is not None:
            return []
        full = term_period(terms.starts_on, terms.term_months)
        end = full.end if terms.ends_on is None else min(full.end, terms.ends_on)
        if end < full.start:
            return []
        return [_due(Period(full.start, end), full, terms.unit_price)]
    found: list[DuePeriod] = []
    start = (
        terms.starts_on
        if terms.billed_until is None
        else max(terms.starts_on, terms.billed_until + _ONE_DAY)
    )
    while start <= on and (terms.ends_on is None or start <= terms.ends_on):
        full = billing_period_of(terms.starts_on, terms.term_months, start)
        end = full.end if terms.ends_on is None else min(full.end, terms.ends_on)
        found.append(_due(Period(start, end), full, terms.unit_price))
        start = end + _ONE_DAY
    return found


def _due(period: Period, full: Period, unit_price: Decimal) -> DuePeriod:
    return DuePeriod(
        period, full, prorated_unit_price(unit_price, period.days, full.days)
    )


def next_due_start(terms: SubscriptionTerms) -> dt.date | None:
    """The first day of the next unbilled period, or ``None`` when all is billed."""
    if not terms.continuous:
        return terms.starts_on if terms.billed_until is None else None
    start = (
        terms.starts_on
        if terms.billed_until is None
        else max(terms.starts_on, terms.billed_until + _ONE_DAY)
    )
    if terms.ends_on is not None and start > terms.ends_on:
        return None
    return start


def undelivered(period: Period, ends_on: dt.date) -> Period | None:
    """The part of the billed ``period`` after a subscription ends on ``ends_on``."""
    start = max(period.start, ends_on + _ONE_DAY)
    return Period(start, period.end) if start <= period.end else None


# -- Surcharge and payment term -----------------------------------------------


@dataclass(frozen=True)
class SurchargeSetting:
    """The paper-invoice surcharge and its limits, from the settings."""

    amount: Decimal = Decimal("5.00")
    minimum_total: Decimal = ZERO
    only_ad_invoices: bool = False


def surcharge_setting(value: Any) -> SurchargeSetting:
    """The surcharge setting from its stored JSON; missing keys get defaults."""
    if not isinstance(value, dict):
        return SurchargeSetting()
    default = SurchargeSetting()
    return SurchargeSetting(
        amount=_euros(value.get("amount"), default.amount),
        minimum_total=_euros(value.get("minimum_total"), default.minimum_total),
        only_ad_invoices=bool(value.get("only_ad_invoices", False)),
    )


def _euros(value: Any, default: Decimal) -> Decimal:
    if value is None:
        return default
    try:
        return round_cents(Decimal(str(value)))
    except InvalidOperation:
        return default


def payment_term_days(value: Any) -> int:
    """The payment term from its stored JSON, the default when unusable."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return DEFAULT_PAYMENT_TERM_DAYS
    try:
        days = int(value)
    except ValueError:
        return DEFAULT_PAYMENT_TERM_DAYS
    return days if days >= 0 else DEFAULT_PAYMENT_TERM_DAYS


def due_date(invoice_date: dt.date, term_days: int) -> dt.date:
    """When an invoice dated ``invoice_date`` is due."""
    return invoice_date + dt.timedelta(days=term_days)


def surcharge_due(
    *,
    delivery: InvoiceDelivery,
    exempt: bool,
    total: Decimal,
    has_ad_line: bool,
    setting: SurchargeSetting,
) -> Decimal:
    """The surcharge an invoice gets (zero for none).

    Args:
        delivery: how the invoice is delivered.
        exempt: the payer is exempt from the surcharge.
        total: the invoice's total before the surcharge, VAT included.
        has_ad_line: the invoice bills at least one ad product.
        setting: the surcharge setting.
    """
    if delivery != InvoiceDelivery.PAPER or exempt or setting.amount <= 0:
        return ZERO
    if setting.only_ad_invoices and not has_ad_line:
        return ZERO
    if setting.minimum_total > 0 and total <= setting.minimum_total:
        return ZERO
    return setting.amount


def surcharge_vat_percent(lines: Sequence[LineAmounts]) -> Decimal:
    """The VAT rate of the surcharge: that of the invoice's largest line."""
    if not lines:
        return ZERO
    return max(lines, key=lambda line: abs(line.gross)).vat_percent


@dataclass(frozen=True)
class BillingSettings:
    """The settings billing reads, read once per run or invoice."""

    surcharge: SurchargeSetting = field(default_factory=SurchargeSetting)
    payment_term_days: int = DEFAULT_PAYMENT_TERM_DAYS


# -- Payers and addresses -----------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Who an invoice is addressed to, and how it reaches them."""

    name: str
    street: str
    postal_code: str
    post_town: str
    country: str
    delivery: InvoiceDelivery
    einvoice_address: str = ""
    einvoice_operator: str = ""


@dataclass(frozen=True)
class PayerTerms:
    """The paying customer's billing details that the rules apply."""

    customer_id: int
    customer_number: int
    discount_percent: Decimal
    consolidated: bool
    surcharge_exempt: bool
    direct_payment: bool
    recipient: Recipient


def invoice_recipient(
    payer: Customer,
    other_payer: Payer | None,
    other_payer_customer: Customer | None,
    mailing: Address,
) -> Recipient:
    """Where the invoices of ``payer`` go.

    Args:
        payer: the paying customer.
        other_payer: the payer's other payer, if it has one.
        other_payer_customer: the customer ``other_payer`` points at, if any.
        mailing: the mailing address on the invoice date (see
            :func:`store.delivery.mailing_address`) of the customer who
            receives the invoice: ``other_payer_customer`` when there is
            one, else ``payer``. A typed-in other payer's own address is
            used instead.
    """
    if other_payer is not None and other_payer_customer is None:
        return Recipient(
            name=other_payer.name,
            street=other_payer.street,
            postal_code=other_payer.postal_code,
            post_town=other_payer.post_town,
            country=other_payer.country,
            delivery=other_payer.invoice_delivery,
            einvoice_address=other_payer.einvoice_address,
            einvoice_operator=other_payer.einvoice_operator,
        )
    receiver = other_payer_customer or payer
    return Recipient(
        name=receiver.display_name,
        street=mailing.street,
        postal_code=mailing.postal_code,
        post_town=mailing.post_town,
        country=mailing.country,
        delivery=receiver.invoice_delivery,
        einvoice_address=receiver.einvoice_address,
        einvoice_operator=receiver.einvoice_operator,
    )


def payer_terms(payer: Customer, recipient: Recipient) -> PayerTerms:
    """The rules' view of the paying customer ``payer``."""
    return PayerTerms(
        customer_id=payer.id,
        customer_number=payer.number,
        discount_percent=payer.discount_percent or ZERO,
        consolidated=payer.consolidated_invoice,
        surcharge_exempt=payer.surcharge_exempt,
        direct_payment=payer.direct_payment,
        recipient=recipient,
    )


# -- Composing an invoice -----------------------------------------------------


@dataclass(frozen=True)
class LineDraft:
    """A line to put on an invoice, before the payer's rules are applied."""

    kind: str
    description: str
    quantity: int
    unit_price: Decimal
    vat_percent: Decimal
    product_id: int | None = None
    product_kind: ProductKind | None = None
    subscription_id: int | None = None
    period: Period | None = None


@dataclass(frozen=True)
class ComposedLine:
    """A line with its amounts."""

    draft: LineDraft
    amounts: LineAmounts


@dataclass(frozen=True)
class Totals:
    """An invoice's totals: sums of its rounded lines."""

    net: Decimal
    vat: Decimal
    gross: Decimal
    surcharge: Decimal


@dataclass(frozen=True)
class ComposedInvoice:
    """An invoice's lines and totals, as the rules make them."""

    lines: list[ComposedLine]
    totals: Totals
    delivery: InvoiceDelivery
    direct_payment: bool


def totals_of(lines: Iterable[ComposedLine]) -> Totals:
    """The totals of ``lines``."""
    found = list(lines)
    return Totals(
        net=sum((line.amounts.net for line in found), ZERO),
        vat=sum((line.amounts.vat for line in found), ZERO),
        gross=sum((line.amounts.gross for line in found), ZERO),
        surcharge=sum(
            (line.amounts.gross for line in found if line.draft.kind == SURCHARGE_LINE),
            ZERO,
        ),
    )


def compose_invoice(
    drafts: Sequence[LineDraft],
    payer: PayerTerms,
    setting: SurchargeSetting,
    *,
    delivery: InvoiceDelivery | None = None,
) -> ComposedInvoice:
    """Apply the payer's discount and the surcharge rule to ``drafts``.

    Args:
        drafts: the product lines (a surcharge line among them is ignored:
            the rule decides it anew).
        payer: the paying customer's terms.
        setting: the surcharge setting.
        delivery: the invoice's delivery method when it differs from the
            payer's.
    """
    method = delivery or payer.recipient.delivery
    lines = [
        ComposedLine(
            draft,
            line_amounts(
                draft.quantity,
                draft.unit_price,
                payer.discount_percent,
                draft.vat_percent,
            ),
        )
        for draft in drafts
        if draft.kind != SURCHARGE_LINE
    ]
    amount = surcharge_due(
        delivery=method,
        exempt=payer.surcharge_exempt,
        total=sum((line.amounts.gross for line in lines), ZERO),
        has_ad_line=any(line.draft.product_kind == ProductKind.AD for line in lines),
        setting=setting,
    )
    if amount:
        rate = surcharge_vat_percent([line.amounts for line in lines])
        surcharge = LineDraft(
            kind=SURCHARGE_LINE,
            description="",
            quantity=1,
            unit_price=amount,
            vat_percent=rate,
        )
        lines.append(ComposedLine(surcharge, line_amounts(1, amount, ZERO, rate)))
    return ComposedInvoice(
        lines=lines,
        totals=totals_of(lines),
        delivery=method,
        direct_payment=payer.direct_payment,
    )


def group_for_invoices(
    items: Sequence[T], consolidated: bool, key: Callable[[T], Hashable]
) -> list[list[T]]:
    """Split one payer's due ``items`` into invoices.

    A consolidated-invoice payer gets one invoice for everything; others
    one per ``key`` (the subscription), in the order the items came.
    """
    if not items:
        return []
    if consolidated:
        return [list(items)]
    groups: dict[Hashable, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return list(groups.values())


# -- Loading what the rules take ----------------------------------------------


async def load_billing_settings(session: AsyncSession) -> BillingSettings:
    """The surcharge and payment term settings."""
    rows = (
        await session.execute(
            select(Setting.key, Setting.value).where(
                Setting.key.in_((SURCHARGE_KEY, PAYMENT_TERM_KEY))
            )
        )
    ).all()
    values = {row.key: row.value for row in rows}
    return BillingSettings(
        surcharge=surcharge_setting(values.get(SURCHARGE_KEY)),
        payment_term_days=payment_term_days(
            values.get(PAYMENT_TERM_KEY, DEFAULT_PAYMENT_TERM_DAYS)
        ),
    )


async def load_payer_terms(
    session: AsyncSession, customer_ids: Iterable[int], on: dt.date
) -> dict[int, PayerTerms]:
    """The terms of each paying customer in ``customer_ids`` on ``on``."""
    wanted = sorted(set(customer_ids))
    found: dict[int, PayerTerms] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        customers = {
            c.id: c
            for c in (
                await session.scalars(select(Customer).where(Customer.id.in_(chunk)))
            ).all()
        }
        others = {
            p.customer_id: p
            for p in (
                await session.scalars(select(Payer).where(Payer.customer_id.in_(chunk)))
            ).all()
        }
        other_ids = {
            p.payer_customer_id
            for p in others.values()
            if p.payer_customer_id is not None
        }
        missing = other_ids - customers.keys()
        if missing:
            for c in (
                await session.scalars(select(Customer).where(Customer.id.in_(missing)))
            ).all():
                customers[c.id] = c
        receivers = [
            customers[i] for i in sorted(set(chunk) | other_ids) if i in customers
        ]
        # The same rule as the papers' and all other mail: a temporary address
        # marked for all mail, else the standard one with changes due by then.
        mail = await load_delivery_data(session, receivers, on=on)
        for customer_id in chunk:
            payer = customers.get(customer_id)
            if payer is None:
                continue
            other = others.get(customer_id)
            other_customer = (
                customers.get(other.payer_customer_id)
                if other is not None and other.payer_customer_id is not None
                else None
            )
            receiver = other_customer.id if other_customer else customer_id
            recipient = invoice_recipient(
                payer, other, other_customer, mailing_address(mail[receiver], on)
            )
            found[customer_id] = payer_terms(payer, recipient)
    return found
