"""Everything the customer card shows, read in one go.

The card is loaded explicitly, query by query, into plain values: nothing
on the screen can trigger a lazy load after the session has closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from store.clock import Clock
from store.db import Database
from store.errors import N_, NotFound
from store.models import (
    AddressChange,
    Bundle,
    Consent,
    Customer,
    CustomerGroup,
    CustomerRole,
    Group,
    Invoice,
    InvoiceDelivery,
    InvoiceStatus,
    Operator,
    Payer,
    Product,
    ProductKind,
    Role,
    SelfServiceAccount,
    Subscription,
    Suspension,
    TemporaryAddress,
)

#: Invoices shown on a card, newest first.
CARD_INVOICE_LIMIT = 100


@dataclass(frozen=True)
class Address:
    """A postal address."""

    street: str
    postal_code: str
    post_town: str
    country: str = "FI"

    def lines(self) -> list[str]:
        """The address as it is written on an envelope."""
        town = " ".join(p for p in (self.postal_code, self.post_town) if p)
        found = [line for line in (self.street, town) if line]
        if self.country and self.country != "FI" and found:
            found.append(self.country)
        return found


@dataclass(frozen=True)
class PayerView:
    """The other payer as the billing panel shows it."""

    name: str
    address: Address
    einvoice_address: str
    einvoice_operator: str
    invoice_delivery: InvoiceDelivery
    customer_number: int | None


@dataclass(frozen=True)
class ConsentView:
    """The answer in force on one channel, with its earlier answers."""

    channel: str
    status: str
    source: str
    given_on: dt.date
    earlier: int


@dataclass(frozen=True)
class SubscriptionView:
    """One line of the card's subscriptions."""

    number: int
    product: str
    subscriber_number: int
    subscriber_name: str
    payer_number: int
    payer_name: str
    starts_on: dt.date
    ends_on: dt.date | None
    copies: int
    unit_price: Decimal
    payer_only: bool
    future: bool


@dataclass(frozen=True)
class InvoiceView:
    """One line of the card's invoices; a credit invoice names what it credits."""

    number: int
    invoice_date: dt.date
    due_date: dt.date
    total: Decimal
    reference: str
    delivery: InvoiceDelivery
    status: InvoiceStatus
    direct_payment: bool = False
    credit_of_number: int | None = None


@dataclass(frozen=True)
class ProductChoice:
    """A product the card's "add subscription" and "add invoice" offer."""

    code: str
    name: str
    kind: ProductKind


@dataclass(frozen=True)
class AutomaticGroup:
    """A grouping computed from the data, never typed: a message and its values."""

    message: str
    values: dict[str, str]


@dataclass
class CustomerCard:
    """The whole card of one customer."""

    customer: Customer
    payer: PayerView | None = None
    forced_bundle: str | None = None
    salesperson: str | None = None
    updated_by: str | None = None
    consents: list[ConsentView] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)
    """The ids of ``groups``, in the same order, for the edit form."""
    role_ids: list[int] = field(default_factory=list)
    """The ids of ``roles``, in the same order, for the edit form."""
    automatic_groups: list[AutomaticGroup] = field(default_factory=list)
    self_service_username: str | None = None
    self_service_has_password: bool = False
    temporary_addresses: list[TemporaryAddress] = field(default_factory=list)
    suspensions: list[Suspension] = field(default_factory=list)
    address_changes: list[AddressChange] = field(default_factory=list)
    subscriptions: list[SubscriptionView] = field(default_factory=list)
    invoices: list[InvoiceView] = field(default_factory=list)

    @property
    def address(self) -> Address:
        """The standard address."""
        c = self.customer
        return Address(c.street, c.postal_code, c.post_town, c.country)


async def load_card(database: Database, number: int, clock: Clock) -> CustomerCard:
    """The card of the customer with ``number``.

    Raises:
        NotFound: no customer has that number.
    """
    async with database.read() as session:
        customer = await session.scalar(
            select(Customer).where(Customer.number == number)
        )
        if customer is None:
            raise NotFound(N_("There is no customer {number}."), number=number)
        card = CustomerCard(customer=customer)
        today = clock.today()
        await _load_names(session, card)
        await _load_billing(session, card)
        await _load_marketing(session, card)
        await _load_grouping(session, card)
        await _load_other(session, card)
        await _load_subscriptions(session, card, today)
        await _load_invoices(session, card)
        card.automatic_groups = _automatic_groups(card, today)
    return card


async def products_on_sale(database: Database) -> list[ProductChoice]:
    """The products not retired, by name: what an operator may sell.

    Every operator may read these (the settings' product list is an
    admin's), so the card's forms can offer them.
    """
    async with database.read() as session:
        rows = (
            await session.execute(
                select(Product.code, Product.name, Product.kind)
                .where(Product.retired.is_(False))
                .order_by(Product.name, Product.code)
            )
        ).all()
    return [ProductChoice(row.code, row.name, ProductKind(row.kind)) for row in rows]


async def _load_names(session: AsyncSession, card: CustomerCard) -> None:
    c = card.customer
    if c.forced_bundle_id is not None:
        bundle = await session.get(Bundle, c.forced_bundle_id)
        card.forced_bundle = f"{bundle.code} {bundle.name}" if bundle else None
    for attribute, operator_id in (
        ("salesperson", c.salesperson_id),
        ("updated_by", c.updated_by_id),
    ):
        if operator_id is not None:
            operator = await session.get(Operator, operator_id)
            setattr(card, attribute, operator.name if operator else None)


async def _load_billing(session: AsyncSession, card: CustomerCard) -> None:
    payer = await session.scalar(
        select(Payer).where(Payer.customer_id == card.customer.id)
    )
    if payer is None:
        return
    name, address = (
        payer.name,
        Address(payer.street, payer.postal_code, payer.post_town, payer.country),
    )
    number: int | None = None
    if payer.payer_customer_id is not None:
        other = await session.get(Customer, payer.payer_customer_id)
        if other is not None:
            number = other.number
            name = other.display_name
            address = Address(
                other.street, other.postal_code, other.post_town, other.country
            )
    card.payer = PayerView(
        name=name,
        address=address,
        einvoice_address=payer.einvoice_address,
        einvoice_operator=payer.einvoice_operator,
        invoice_delivery=payer.invoice_delivery,
        customer_number=number,
    )


async def _load_marketing(session: AsyncSession, card: CustomerCard) -> None:
    rows = (
        await session.scalars(
            select(Consent)
            .where(Consent.customer_id == card.customer.id)
            .order_by(Consent.channel, Consent.recorded_at, Consent.id)
        )
    ).all()
    by_channel: dict[str, list[Consent]] = {}
    for row in rows:
        by_channel.setdefault(row.channel, []).append(row)
    for channel, answers in by_channel.items():
        newest = answers[-1]
        card.consents.append(
            ConsentView(
                channel=channel,
                status=newest.status.value,
                source=newest.source,
                given_on=newest.given_on,
                earlier=len(answers) - 1,
            )
        )


async def _load_grouping(session: AsyncSession, card: CustomerCard) -> None:
    customer_id = card.customer.id
    groups = (
        await session.execute(
            select(Group.id, Group.name)
            .join(CustomerGroup, CustomerGroup.group_id == Group.id)
            .where(CustomerGroup.customer_id == customer_id)
            .order_by(Group.name)
        )
    ).all()
    card.group_ids = [row.id for row in groups]
    card.groups = [row.name for row in groups]
    roles = (
        await session.execute(
            select(Role.id, Role.name)
            .join(CustomerRole, CustomerRole.role_id == Role.id)
            .where(CustomerRole.customer_id == customer_id)
            .order_by(Role.name)
        )
    ).all()
    card.role_ids = [row.id for row in roles]
    card.roles = [row.name for row in roles]


async def _load_other(session: AsyncSession, card: CustomerCard) -> None:
    customer_id = card.customer.id
    account = await session.scalar(
        select(SelfServiceAccount).where(SelfServiceAccount.customer_id == customer_id)
    )
    if account is not None:
        card.self_service_username = account.username
        card.self_service_has_password = bool(account.password_hash)
    card.temporary_addresses = list(
        (
            await session.scalars(
                select(TemporaryAddress)
                .where(TemporaryAddress.customer_id == customer_id)
                .order_by(TemporaryAddress.starts_on)
            )
        ).all()
    )
    card.suspensions = list(
        (
            await session.scalars(
                select(Suspension)
                .where(Suspension.customer_id == customer_id)
                .order_by(Suspension.starts_on)
            )
        ).all()
    )
    card.address_changes = list(
        (
            await session.scalars(
                select(AddressChange)
                .where(AddressChange.customer_id == customer_id)
                .order_by(AddressChange.effective_on)
            )
        ).all()
    )


async def _load_subscriptions(
    session: AsyncSession, card: CustomerCard, today: dt.date
) -> None:
    customer_id = card.customer.id
    subscriber = aliased(Customer)
    payer = aliased(Customer)
    rows = await session.execute(
        select(Subscription, Product.name, subscriber, payer)
        .join(Product, Product.id == Subscription.product_id)
        .join(subscriber, subscriber.id == Subscription.subscriber_id)
        .join(payer, payer.id == Subscription.payer_id)
        .where(
            or_(
                Subscription.subscriber_id == customer_id,
                Subscription.payer_id == customer_id,
            ),
            or_(Subscription.ends_on.is_(None), Subscription.ends_on >= today),
            Subscription.removed_at.is_(None),
        )
        .order_by(Subscription.starts_on, Subscription.number)
    )
    for subscription, product, subscribed_by, paid_by in rows:
        card.subscriptions.append(
            SubscriptionView(
                number=subscription.number,
                product=product,
                subscriber_number=subscribed_by.number,
                subscriber_name=subscribed_by.display_name,
                payer_number=paid_by.number,
                payer_name=paid_by.display_name,
                starts_on=subscription.starts_on,
                ends_on=subscription.ends_on,
                copies=subscription.copies,
                unit_price=subscription.unit_price,
                payer_only=subscription.subscriber_id != customer_id,
                future=subscription.starts_on > today,
            )
        )


async def invoice_views(
    session: AsyncSession, customer_id: int, limit: int = CARD_INVOICE_LIMIT
) -> list[InvoiceView]:
    """The invoices ``customer_id`` pays, newest first, credit invoices included."""
    original = aliased(Invoice)
    rows = await session.execute(
        select(Invoice, original.number)
        .outerjoin(original, original.id == Invoice.credit_of_id)
        .where(Invoice.payer_id == customer_id)
        .order_by(Invoice.invoice_date.desc(), Invoice.number.desc())
        .limit(limit)
    )
    return [
        InvoiceView(
            number=i.number,
            invoice_date=i.invoice_date,
            due_date=i.due_date,
            total=i.total,
            reference=i.reference,
            delivery=i.delivery,
            status=i.status,
            direct_payment=i.direct_payment,
            credit_of_number=credited,
        )
        for i, credited in rows
    ]


async def _load_invoices(session: AsyncSession, card: CustomerCard) -> None:
    card.invoices = await invoice_views(session, card.customer.id)


def _automatic_groups(card: CustomerCard, today: dt.date) -> list[AutomaticGroup]:
    products = sorted(
        {
            s.product
            for s in card.subscriptions
            if not s.payer_only and not s.future and s.starts_on <= today
        }
    )
    return [
        AutomaticGroup(N_("Valid subscription: {product}"), {"product": p})
        for p in products
    ]
