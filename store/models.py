"""The register's tables as SQLAlchemy 2 typed models.

Every table is created and changed by the migrations in
``store/migrations``; nothing here calls ``create_all`` in the app.

Money is ``Numeric`` read back as ``Decimal``; business dates are plain
``Date`` values in Europe/Helsinki; moments are stored in UTC.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with constraint names the migrations can rely on."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _enum(kind: type[enum.Enum]) -> Enum:
    # Stored as the value text, checked by the application rather than by a
    # database enum type, so adding a member never needs an ALTER TYPE.
    return Enum(
        kind,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )


def _byte_ordered(length: int) -> String:
    # Prefix ranges (``term >= 'ma' AND term < 'ma' || U+10FFFF``) need plain
    # code-point order; PostgreSQL's locale collations would reorder them.
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class CustomerType(enum.StrEnum):
    """The built-in customer types."""

    PRIVATE = "private"
    COMPANY = "company"
    AD_CUSTOMER = "ad_customer"


class InvoiceDelivery(enum.StrEnum):
    """How invoices reach a payer."""

    PAPER = "paper"
    EMAIL = "email"
    EINVOICE = "einvoice"


class ConsentChannel(enum.StrEnum):
    """Marketing channels a consent is asked for."""

    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    POST = "post"


class ConsentStatus(enum.StrEnum):
    """A customer's answer for one channel."""

    ALLOWED = "allowed"
    DENIED = "denied"


class ProductKind(enum.StrEnum):
    """Publications are delivered; ad products are only invoiced."""

    PUBLICATION = "publication"
    AD = "ad"


class InvoiceStatus(enum.StrEnum):
    """Life of an invoice."""

    DRAFT = "draft"
    SENT = "sent"
    PAID = "paid"
    CREDITED = "credited"


class Operator(Base):
    """A person who uses the register; ``login`` is their OS login name."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_salesperson: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class OperatorPreference(Base):
    """One named preference of one operator, such as the open card panels."""

    __tablename__ = "operator_preferences"

    operator_id: Mapped[int] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class Bundle(Base):
    """An early-delivery carrier bundle (a route's batch of papers)."""

    __tablename__ = "bundles"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class BundlePostalCode(Base):
    """A postal code whose early delivery goes in a bundle."""

    __tablename__ = "bundle_postal_codes"

    postal_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    bundle_id: Mapped[int] = mapped_column(
        ForeignKey("bundles.id", ondelete="CASCADE"), index=True
    )


class CustomerTypeOption(Base):
    """A customer type offered on the card: the built-in ones and the settings'."""

    __tablename__ = "customer_types"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    built_in: Mapped[bool] = mapped_column(Boolean, default=False)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class ConsentChannelOption(Base):
    """A marketing channel consents are asked for."""

    __tablename__ = "consent_channels"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    built_in: Mapped[bool] = mapped_column(Boolean, default=False)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class ConsentSource(Base):
    """Where a consent answer came from (phone call, web form, ...)."""

    __tablename__ = "consent_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class Setting(Base):
    """One named register-wide setting, such as the paper-invoice surcharge."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class Group(Base):
    """A customer group from the settings list."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class Role(Base):
    """A customer role from the settings list."""

    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class CustomerGroup(Base):
    """Membership of a customer in a group."""

    __tablename__ = "customer_groups"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), primary_key=True)


class CustomerRole(Base):
    """A role a customer has."""

    __tablename__ = "customer_roles"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"), primary_key=True)


class Customer(Base):
    """The customer card's own fields.

    ``version`` counts saves; a save that starts from an older version than
    the row has is refused, so no operator overwrites another's newer save.
    """

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    customer_type: Mapped[str] = mapped_column(String(20))

    # Contact.
    last_name: Mapped[str] = mapped_column(String(100), default="")
    first_name: Mapped[str] = mapped_column(String(100), default="")
    company: Mapped[str] = mapped_column(String(200), default="")
    business_id: Mapped[str] = mapped_column(String(20), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    post_town: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="FI")
    phone: Mapped[str] = mapped_column(String(40), default="")
    phone_normalized: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    early_delivery_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    forced_bundle_id: Mapped[int | None] = mapped_column(ForeignKey("bundles.id"))

    # Billing.
    discount_percent: Mapped[Decimal] = mapped_column(
        Numeric(5, 2), default=Decimal("0")
    )
    invoice_delivery: Mapped[InvoiceDelivery] = mapped_column(
        _enum(InvoiceDelivery), default=InvoiceDelivery.PAPER
    )
    einvoice_address: Mapped[str] = mapped_column(String(40), default="")
    einvoice_operator: Mapped[str] = mapped_column(String(40), default="")
    direct_payment: Mapped[bool] = mapped_column(Boolean, default=False)
    consolidated_invoice: Mapped[bool] = mapped_column(Boolean, default=False)
    surcharge_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    salesperson_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))

    # Grouping and other.
    free_grouping: Mapped[str] = mapped_column(String(500), default="")
    delivery_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_log: Mapped[str] = mapped_column(Text, default="", server_default="")
    """Lines the system appends (``Osoitemuutos päivitetty 1.7.2027``); kept
    apart from ``notes`` so editing the notes can never remove them."""

    # The folded name the list sorts by (see ``store.text``).
    sort_name: Mapped[str] = mapped_column(_byte_ordered(300), default="")
    created_on: Mapped[dt.date] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    payer: Mapped[Payer | None] = relationship(
        back_populates="customer",
        foreign_keys="Payer.customer_id",
        uselist=False,
        lazy="raise",
    )
    forced_bundle: Mapped[Bundle | None] = relationship(lazy="raise")
    salesperson: Mapped[Operator | None] = relationship(
        foreign_keys=[salesperson_id], lazy="raise"
    )
    updated_by: Mapped[Operator | None] = relationship(
        foreign_keys=[updated_by_id], lazy="raise"
    )

    @property
    def display_name(self) -> str:
        """The name an operator reads: a person's name, else the company."""
        person = " ".join(p for p in (self.last_name, self.first_name) if p)
        return person or self.company


class Payer(Base):
    """Another payer for a customer's invoices.

    Either another customer of the register (``payer_customer_id``) or a
    payer typed in with a name, address and e-invoice details.
    """

    __tablename__ = "payers"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), unique=True
    )
    payer_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    name: Mapped[str] = mapped_column(String(200), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    post_town: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="FI")
    einvoice_address: Mapped[str] = mapped_column(String(40), default="")
    einvoice_operator: Mapped[str] = mapped_column(String(40), default="")
    invoice_delivery: Mapped[InvoiceDelivery] = mapped_column(
        _enum(InvoiceDelivery), default=InvoiceDelivery.PAPER
    )

    customer: Mapped[Customer] = relationship(
        back_populates="payer", foreign_keys=[customer_id], lazy="raise"
    )
    payer_customer: Mapped[Customer | None] = relationship(
        foreign_keys=[payer_customer_id], lazy="raise"
    )


class Consent(Base):
    """One answer about marketing on one channel.

    Rows are never updated: a new answer is a new row, so the history of a
    channel is its rows in time order and the newest is in force.
    """

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_customer_channel", "customer_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE")
    )
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[ConsentStatus] = mapped_column(_enum(ConsentStatus))
    source: Mapped[str] = mapped_column(String(100), default="")
    given_on: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SelfServiceAccount(Base):
    """The customer's self-service login. The password is kept only as a hash."""

    __tablename__ = "self_service_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), unique=True
    )
    username: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    password_set_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class TemporaryAddress(Base):
    """An address in force between two dates, inclusive."""

    __tablename__ = "temporary_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    street: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(20))
    post_town: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), default="FI")
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    all_mail: Mapped[bool] = mapped_column(Boolean, default=False)


class Suspension(Base):
    """No delivery between two dates, inclusive."""

    __tablename__ = "suspensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    extends_subscriptions: Mapped[bool] = mapped_column(Boolean, default=False)


class SuspensionExtension(Base):
    """How many days one suspension moved the end of one subscription period.

    This record is what makes "continue subscriptions" happen once: saving
    the suspension again compares with it instead of extending again,
    editing the dates moves the end by the difference, and removing the
    suspension takes exactly these days back.
    """

    __tablename__ = "suspension_extensions"

    suspension_id: Mapped[int] = mapped_column(
        ForeignKey("suspensions.id", ondelete="CASCADE"), primary_key=True
    )
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    days: Mapped[int] = mapped_column(Integer)


class AddressChange(Base):
    """A new standard address that takes effect on a future date."""

    __tablename__ = "address_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    street: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(20))
    post_town: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), default="FI")
    effective_on: Mapped[dt.date] = mapped_column(Date)
    applied_on: Mapped[dt.date | None] = mapped_column(Date)


class Product(Base):
    """A publication or an ad product."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ProductKind] = mapped_column(
        _enum(ProductKind), default=ProductKind.PUBLICATION
    )
    vat_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class Subscription(Base):
    """One subscription period of a product.

    ``ends_on`` is empty for a continuous subscription.
    """

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    copies: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    """The price of one copy for one billing period, VAT included: the whole
    term of a fixed-term subscription, one period of a continuous one."""
    term_months: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """The fixed term's length, or a continuous subscription's billing period."""
    continuous: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    list_price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    """The price list's price when the subscription was made, if it had one."""
    price_override_reason: Mapped[str] = mapped_column(
        String(500), default="", server_default=""
    )
    """Why an operator set ``unit_price`` apart from the price list."""
    billed_until: Mapped[dt.date | None] = mapped_column(Date)
    """The last day invoiced; empty until the first invoice."""
    continued_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriptions.id")
    )
    """The period this one continues."""
    removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """Set when an invoiced subscription is removed: its invoices still
    point at it, so the row stays, hidden and never billed again."""
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """Counts saves, for refusing a save made over another operator's."""

    product: Mapped[Product] = relationship(lazy="raise")
    subscriber: Mapped[Customer] = relationship(
        foreign_keys=[subscriber_id], lazy="raise"
    )
    payer: Mapped[Customer] = relationship(foreign_keys=[payer_id], lazy="raise")


class Invoice(Base):
    """An invoice to a payer."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    invoice_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    reference: Mapped[str] = mapped_column(String(30))
    delivery: Mapped[InvoiceDelivery] = mapped_column(_enum(InvoiceDelivery))
    status: Mapped[InvoiceStatus] = mapped_column(
        _enum(InvoiceStatus), default=InvoiceStatus.DRAFT
    )
    reference_rf: Mapped[str] = mapped_column(String(34), default="", server_default="")
    net_total: Mapped[Decimal] = mapped_column(
        Numeric(12, 2), default=Decimal("0"), server_default="0"
    )
    vat_total: Mapped[Decimal] = mapped_column(
        Numeric(12, 2), default=Decimal("0"), server_default="0"
    )
    surcharge: Mapped[Decimal] = mapped_column(
        Numeric(12, 2), default=Decimal("0"), server_default="0"
    )
    """The paper-invoice surcharge included in ``total``, VAT included."""
    direct_payment: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    credit_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id"), index=True
    )
    """The invoice this one credits; its own lines are the negated amounts."""
    # The address the invoice was sent to, as it was on the invoice date.
    address_name: Mapped[str] = mapped_column(
        String(200), default="", server_default=""
    )
    address_street: Mapped[str] = mapped_column(
        String(200), default="", server_default=""
    )
    address_postal_code: Mapped[str] = mapped_column(
        String(20), default="", server_default=""
    )
    address_post_town: Mapped[str] = mapped_column(
        String(100), default="", server_default=""
    )
    address_country: Mapped[str] = mapped_column(
        String(2), default="FI", server_default="FI"
    )
    einvoice_address: Mapped[str] = mapped_column(
        String(40), default="", server_default=""
    )
    einvoice_operator: Mapped[str] = mapped_column(
        String(40), default="", server_default=""
    )
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    """The operator who added it; empty for an invoice run's invoices."""
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """Counts saves of a draft, for refusing a save over another operator's."""


class InvoiceLine(Base):
    """One line of an invoice; amounts are rounded to the cent per line.

    ``gross`` is what the line costs with VAT, after ``discount``;
    ``vat`` is the VAT inside it and ``net`` the rest. A credit invoice's
    lines have a negative quantity and negative amounts.
    """

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriptions.id"), index=True
    )
    description: Mapped[str] = mapped_column(String(200), default="")
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    discount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    net: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    gross: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    credit_of_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoice_lines.id"), index=True
    )
    """On a credit invoice, the line of the credited invoice this one cancels."""


class ProductPrice(Base):
    """One price of a product's price list, in force from ``valid_from``.

    A term is a fixed term of ``term_months`` or, when ``continuous``, a
    continuous subscription billed every ``term_months``. ``price`` is one
    copy for the whole term or billing period, VAT included. Subscriptions
    and invoices copy the price they were made with, so a new price never
    changes them.
    """

    __tablename__ = "product_prices"
    __table_args__ = (
        UniqueConstraint(
            "product_id",
            "continuous",
            "term_months",
            "valid_from",
            name="uq_product_prices_term_valid_from",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    term_months: Mapped[int] = mapped_column(Integer)
    continuous: Mapped[bool] = mapped_column(Boolean)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))


class Event(Base):
    """Something that happened to a customer: the timeline and the audit trail.

    ``changes`` maps each changed field to ``[old, new]``.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_customer_time", "customer_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE")
    )
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(String(500), default="")
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SearchTerm(Base):
    """One searchable word of a customer, for search as you type.

    ``term`` is the word folded (lower case, accents removed) and
    ``exact_term`` the word in lower case with its accents, kept only when
    folding changed it, so ``a`` finds ``ä`` while ``ä`` ranks first. Both
    indexes end in the sort name, so a prefix query returns rows already in
    list order and can stop after one page.
    """

    __tablename__ = "search_terms"
    __table_args__ = (
        Index("ix_search_terms_term", "term", "sort_name", "customer_id"),
        Index(
            "ix_search_terms_exact",
            "exact_term",
            "sort_name",
            "customer_id",
            sqlite_where=text("exact_term IS NOT NULL"),
            postgresql_where=text("exact_term IS NOT NULL"),
        ),
        Index("ix_search_terms_customer", "customer_id", "term"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE")
    )
    term: Mapped[str] = mapped_column(_byte_ordered(254))
    exact_term: Mapped[str | None] = mapped_column(_byte_ordered(254))
    sort_name: Mapped[str] = mapped_column(_byte_ordered(300))
