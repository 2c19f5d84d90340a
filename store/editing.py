"""Editing a customer card: the form, its checks, and the save.

The edit screen keeps a :class:`CustomerForm` of exactly what the operator
typed. :func:`check_field` checks one field as the operator leaves it,
:func:`check_form` every field and the rules between them, and
:func:`save_customer` checks again against the register itself and writes
the changes, with one event for the audit trail and the timeline.

Every message is an English message id; a :class:`FieldMessage` is a
``str`` that also carries the values its placeholders take (``{label}``,
``{limit}``), so ``message.describe(gettext)`` gives the whole sentence.

Decisions where the sources are silent:

- A customer needs a last name, a first name or a company name, and a
  company customer a company name; a business ID is not required, since
  foreign companies have none.
- Invoices by email need the customer's email address; e-invoices need an
  e-invoice address and an intermediator ID, for the customer and for a
  typed payer alike. Paper invoices to a typed payer need its address.
- A payer that is another customer is named by its customer number; its
  name and address come from its own card, so the typed ones are neither
  checked nor kept. A :class:`PayerForm` left completely untouched means
  "no other payer".
- A forced bundle and the early-delivery block contradict each other, so
  they are refused together.
- A consent answer, once given, cannot be taken back to "not asked": the
  history keeps every answer, and a new answer replaces it in force. A
  channel the form leaves out of ``consents`` keeps its answer.
- A retired choice (a customer type, bundle, salesperson, role, group,
  channel or consent source) stays on the cards that have it and may be
  saved again unchanged; it is refused as a new choice.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import logging
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, Self, TypeVar

import phonenumbers
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store import validation
from store.cards import CustomerCard
from store.clock import Clock
from store.customers import FIRST_CUSTOMER_NUMBER
from store.db import Database
from store.errors import N_, KortistoError, NotFound
from store.field_checks import validate_customer_number, validate_finnish_date
from store.indexing import refresh_sort_name, reindex_customers
from store.models import (
    Bundle,
    Consent,
    ConsentChannelOption,
    ConsentSource,
    ConsentStatus,
    Customer,
    CustomerGroup,
    CustomerRole,
    CustomerType,
    CustomerTypeOption,
    Event,
    Group,
    InvoiceDelivery,
    Operator,
    Payer,
    Role,
)
from store.validation import FieldError, clean_text

log = logging.getLogger(__name__)

#: How many times a new customer is tried with the next number when another
#: session took the number first (PostgreSQL; SQLite serialises writers).
NEW_NUMBER_ATTEMPTS = 30
# The PostgreSQL advisory lock new customers' numbers are given under.
_NEW_NUMBER_LOCK = 0x4B6F7274

T = TypeVar("T")


def _same(message: str) -> str:
    return message


class FieldMessage(str):
    """A message id for one field, carrying the values of its placeholders.

    It compares and hashes as the plain message id.
    """

    values: dict[str, Any]

    def __new__(cls, message: str, values: Mapping[str, Any] | None = None) -> Self:
        made = super().__new__(cls, message)
        made.values = dict(values or {})
        return made

    def describe(self, translate: Callable[[str], str] = _same) -> str:
        """The message translated with ``translate``, its values filled in."""
        return validation.describe(str(self), self.values, translate)


# The payer's and consents' fields share the customer's validators; these
# are the names operators read for them in messages.
_LABELS: dict[str, str] = {
    "payer.payer_customer_number": N_("payer's customer number"),
    "payer.name": N_("payer's name"),
    "payer.street": N_("payer's street address"),
    "payer.postal_code": N_("payer's postal code"),
    "payer.post_town": N_("payer's post town"),
    "payer.country": N_("payer's country"),
    "payer.einvoice_address": N_("payer's e-invoice address"),
    "payer.einvoice_operator": N_("payer's intermediator ID"),
    "forced_bundle_id": N_("forced bundle"),
    "salesperson_id": N_("salesperson"),
    "role_ids": N_("customer roles"),
    "group_ids": N_("customer groups"),
}


def field_label(name: str) -> str:
    """The message id operators read for the form field ``name``."""
    if name.startswith("consents."):
        part = name.rpartition(".")[2]
        return {
            "status": N_("consent"),
            "source": N_("consent source"),
            "given_on": N_("consent date"),
        }.get(part, N_("consent"))
    return _LABELS.get(name) or validation.label(name)


@dataclass
class PayerForm:
    """The other payer as typed: another customer, or a typed payer."""

    payer_customer_number: str = ""
    """Another customer as payer, or empty for a typed payer."""
    name: str = ""
    street: str = ""
    postal_code: str = ""
    post_town: str = ""
    country: str = "FI"
    einvoice_address: str = ""
    einvoice_operator: str = ""
    invoice_delivery: str = "paper"


@dataclass
class ConsentForm:
    """One channel's answer as typed."""

    status: str = ""
    """``""`` (not asked), ``"allowed"`` or ``"denied"``."""
    source: str = ""
    """The name of a :class:`~store.models.ConsentSource`."""
    given_on: str = ""
    """As typed, Finnish: ``1.7.2027``, ``01.07.2027``, or ``1.7.`` for this
    year."""


@dataclass
class CustomerForm:
    """Every editable value of the card as the operator typed it."""

    customer_type: str = "private"
    last_name: str = ""
    first_name: str = ""
    company: str = ""
    business_id: str = ""
    street: str = ""
    postal_code: str = ""
    post_town: str = ""
    country: str = "FI"
    phone: str = ""
    email: str = ""
    early_delivery_blocked: bool = False
    forced_bundle_id: int | None = None
    discount_percent: str = ""
    invoice_delivery: str = "paper"
    einvoice_address: str = ""
    einvoice_operator: str = ""
    direct_payment: bool = False
    consolidated_invoice: bool = False
    surcharge_exempt: bool = False
    salesperson_id: int | None = None
    payer: PayerForm | None = None
    consents: dict[str, ConsentForm] = field(default_factory=dict)
    """Channel code to answer."""
    role_ids: list[int] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)
    free_grouping: str = ""
    delivery_blocked: bool = False
    notes: str = ""
    original: CustomerForm | None = field(default=None, repr=False, compare=False)
    """The form as the card was when editing began (set by
    :func:`form_from_card`), so a retired choice the customer already had
    can be kept; ``None`` for a new customer."""


@dataclass(frozen=True)
class Option(Generic[T]):
    """One choice of a list: the value kept, what operators read, and
    whether it is retired (kept on cards, no longer offered)."""

    value: T
    label: str
    retired: bool = False


@dataclass
class Choices:
    """Every list the form chooses from, retired entries included."""

    customer_types: list[Option[str]] = field(default_factory=list)
    bundles: list[Option[int]] = field(default_factory=list)
    salespeople: list[Option[int]] = field(default_factory=list)
    """Every operator; those who do not sell or have left are retired."""
    roles: list[Option[int]] = field(default_factory=list)
    groups: list[Option[int]] = field(default_factory=list)
    consent_channels: list[Option[str]] = field(default_factory=list)
    consent_sources: list[Option[str]] = field(default_factory=list)


def offered(options: Iterable[Option[T]], keep: Iterable[T] = ()) -> list[Option[T]]:
    """The options to offer: those not retired, and ``keep`` (the card's own)."""
    kept = set(keep)
    return [o for o in options if not o.retired or o.value in kept]


class FormInvalid(KortistoError):
    """The form has wrong fields; nothing was written."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(N_("Check the marked fields; the customer was not saved."))
        self.errors: dict[str, str] = dict(errors)


class StaleSave(KortistoError):
    """Another operator saved the customer after this form was opened."""

    def __init__(self, saved_by: str, saved_at: dt.datetime, version: int) -> None:
        super().__init__(
            N_(
                "{saved_by} saved this customer at {saved_at} after you opened "
                "it. Your changes are kept on the screen; reload to see theirs."
            ),
            saved_by=saved_by,
            saved_at=saved_at,
            version=version,
        )
        self.saved_by = saved_by
        self.saved_at = saved_at
        self.version = version


# -- From the card to the form ------------------------------------------------


def _finnish_date(day: dt.date) -> str:
    return f"{day.day}.{day.month}.{day.year}"


def _discount_text(percent: Decimal) -> str:
    if not percent:
        return ""
    text = f"{percent:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def form_from_card(card: CustomerCard) -> CustomerForm:
    """The edit form of ``card``, with the card remembered as its original."""
    c = card.customer
    payer: PayerForm | None = None
    if card.payer is not None:
        p = card.payer
        payer = PayerForm(
            payer_customer_number=(
                "" if p.customer_number is None else str(p.customer_number)
            ),
            name=p.name,
            street=p.address.street,
            postal_code=p.address.postal_code,
            post_town=p.address.post_town,
            country=p.address.country,
            einvoice_address=p.einvoice_address,
            einvoice_operator=p.einvoice_operator,
            invoice_delivery=str(p.invoice_delivery.value),
        )
    form = CustomerForm(
        customer_type=c.customer_type,
        last_name=c.last_name,
        first_name=c.first_name,
        company=c.company,
        business_id=c.business_id,
        street=c.street,
        postal_code=c.postal_code,
        post_town=c.post_town,
        country=c.country,
        phone=c.phone,
        email=c.email,
        early_delivery_blocked=c.early_delivery_blocked,
        forced_bundle_id=c.forced_bundle_id,
        discount_percent=_discount_text(c.discount_percent),
        invoice_delivery=InvoiceDelivery(c.invoice_delivery).value,
        einvoice_address=c.einvoice_address,
        einvoice_operator=c.einvoice_operator,
        direct_payment=c.direct_payment,
        consolidated_invoice=c.consolidated_invoice,
        surcharge_exempt=c.surcharge_exempt,
        salesperson_id=c.salesperson_id,
        payer=payer,
        consents={
            v.channel: ConsentForm(v.status, v.source, _finnish_date(v.given_on))
            for v in card.consents
        },
        role_ids=list(card.role_ids),
        group_ids=list(card.group_ids),
        free_grouping=c.free_grouping,
        delivery_blocked=c.delivery_blocked,
        notes=c.notes,
    )
    form.original = copy.deepcopy(form)
    return form


# -- Reading the form ---------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    status: ConsentStatus
    source: str
    given_on: dt.date


@dataclass
class _Baseline:
    """What the customer had before: retired choices among it may stay."""

    customer_type: str | None = None
    forced_bundle_id: int | None = None
    salesperson_id: int | None = None
    role_ids: set[int] = field(default_factory=set)
    group_ids: set[int] = field(default_factory=set)
    consents: dict[str, _Answer] = field(default_factory=dict)


@dataclass
class _PayerValues:
    payer_customer_number: int | None
    name: str
    street: str
    postal_code: str
    post_town: str
    country: str
    einvoice_address: str
    einvoice_operator: str
    invoice_delivery: InvoiceDelivery


@dataclass
class _Values:
    """The form's values in the form the register keeps them."""

    columns: dict[str, Any] = field(default_factory=dict)
    payer: _PayerValues | None = None
    consents: dict[str, _Answer] = field(default_factory=dict)
    role_ids: list[int] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)


def _baseline_of(form: CustomerForm | None, today: dt.date) -> _Baseline:
    if form is None:
        return _Baseline()
    baseline = _Baseline(
        customer_type=form.customer_type.strip(),
        forced_bundle_id=form.forced_bundle_id,
        salesperson_id=form.salesperson_id,
        role_ids=set(form.role_ids),
        group_ids=set(form.group_ids),
    )
    for channel, answer in form.consents.items():
        try:
            status = ConsentStatus(answer.status.strip())
            given_on = validate_finnish_date(answer.given_on, "given_on", today)
        except (ValueError, FieldError):
            continue
        if given_on is not None:
            baseline.consents[channel] = _Answer(
                status, answer.source.strip(), given_on
            )
    return baseline


def _phone_region(country: str) -> str:
    # A number without a country code belongs to the customer's country
    # when phonenumbers knows it; Finnish otherwise.
    return country if country in phonenumbers.SUPPORTED_REGIONS else "FI"


def _is_untouched(payer: PayerForm) -> bool:
    return payer == PayerForm()


class _Reader:
    """Reads a form into kept values, collecting one message per field."""

    def __init__(
        self, form: CustomerForm, choices: Choices, today: dt.date, was: _Baseline
    ) -> None:
        self.form = form
        self.choices = choices
        self.today = today
        self.was = was
        self.errors: dict[str, str] = {}
        self.values = _Values()

    def fail(self, name: str, message: str, **values: Any) -> None:
        self.errors.setdefault(name, FieldMessage(message, values))

    def check(self, name: str, run: Callable[[], T], fallback: T) -> T:
        try:
            return run()
        except FieldError as error:
            values = dict(error.values)
            if "label" in values:
                # The validators name the customer's own column; say which
                # field of the form it is.
                values["label"] = field_label(name)
            self.fail(name, error.message, **values)
            return fallback

    def text(self, name: str, value: str, column: str, **options: Any) -> str:
        return self.check(name, lambda: clean_text(value, column, **options), "")

    def choice(
        self,
        name: str,
        value: T | None,
        options: list[Option[T]],
        had: bool,
        unknown: str,
        retired: str,
    ) -> T | None:
        if value is None:
            return None
        found = next((o for o in options if o.value == value), None)
        if found is None and not had:
            self.fail(name, unknown)
            return None
        if found is not None and found.retired and not had:
            self.fail(name, retired)
        return value

    def read(self) -> tuple[_Values, dict[str, str]]:
        self.contact()
        self.billing()
        self.payer()
        self.consents()
        self.grouping()
        self.other()
        self.together()
        return self.values, self.errors

    def contact(self) -> None:
        form, columns = self.form, self.values.columns
        kind = form.customer_type.strip()
        if not kind:
            self.fail("customer_type", N_("choose a customer type"))
        else:
            self.choice(
                "customer_type",
                kind,
                self.choices.customer_types,
                kind == self.was.customer_type,
                N_("unknown customer type"),
                N_("this customer type is retired; choose another"),
            )
        columns["customer_type"] = kind
        for name in ("last_name", "first_name", "company", "street", "post_town"):
            columns[name] = self.text(name, getattr(form, name), name)
        columns["business_id"] = self.check(
            "business_id", lambda: validation.validate_business_id(form.business_id), ""
        )
        country = self.check(
            "country", lambda: validation.validate_country(form.country), ""
        )
        columns["country"] = country or "FI"
        if country:
            columns["postal_code"] = self.check(
                "postal_code",
                lambda: validation.validate_postal_code(form.postal_code, country),
                "",
            )
        else:
            columns["postal_code"] = self.text(
                "postal_code", form.postal_code, "postal_code"
            )
        phone = self.check(
            "phone",
            lambda: validation.validate_phone(
                form.phone, region=_phone_region(columns["country"])
            ),
            validation.Phone("", ""),
        )
        columns["phone"] = phone.display
        columns["phone_normalized"] = phone.e164
        columns["email"] = self.check(
            "email", lambda: validation.validate_email(form.email), ""
        )
        columns["early_delivery_blocked"] = bool(form.early_delivery_blocked)
        columns["forced_bundle_id"] = self.choice(
            "forced_bundle_id",
            form.forced_bundle_id,
            self.choices.bundles,
            form.forced_bundle_id == self.was.forced_bundle_id,
            N_("unknown bundle"),
            N_("this bundle is retired; choose another"),
        )

    def billing(self) -> None:
        form, columns = self.form, self.values.columns
        columns["discount_percent"] = self.check(
            "discount_percent",
            lambda: validation.validate_discount_percent(form.discount_percent),
            Decimal("0.00"),
        )
        columns["invoice_delivery"] = self.delivery(
            "invoice_delivery", form.invoice_delivery
        )
        columns["einvoice_address"] = self.check(
            "einvoice_address",
            lambda: validation.validate_einvoice_address(form.einvoice_address),
            "",
        )
        columns["einvoice_operator"] = self.check(
            "einvoice_operator",
            lambda: validation.validate_einvoice_operator(form.einvoice_operator),
            "",
        )
        for name in ("direct_payment", "consolidated_invoice", "surcharge_exempt"):
            columns[name] = bool(getattr(form, name))
        columns["salesperson_id"] = self.choice(
            "salesperson_id",
            form.salesperson_id,
            self.choices.salespeople,
            form.salesperson_id == self.was.salesperson_id,
            N_("unknown salesperson"),
            N_("this operator does not sell; choose another salesperson"),
        )

    def other(self) -> None:
        form, columns = self.form, self.values.columns
        columns["free_grouping"] = self.text(
            "free_grouping", form.free_grouping, "free_grouping"
        )
        columns["delivery_blocked"] = bool(form.delivery_blocked)
        columns["notes"] = self.text(
            "notes",
            form.notes,
            "notes",
            max_length=validation.MAX_NOTES_LENGTH,
            multiline=True,
        )

    def delivery(self, name: str, value: str) -> InvoiceDelivery:
        try:
            return InvoiceDelivery(value.strip())
        except ValueError:
            self.fail(name, N_("unknown invoice delivery method"))
            return InvoiceDelivery.PAPER

    def payer(self) -> None:
        form = self.form.payer
        if form is None or _is_untouched(form):
            return
        number = self.check(
            "payer.payer_customer_number",
            lambda: validate_customer_number(
                form.payer_customer_number, "payer_customer_number"
            ),
            None,
        )
        numbered = number is not None or bool(form.payer_customer_number.strip())
        values = _PayerValues(
            payer_customer_number=number,
            name="",
            street="",
            postal_code="",
            post_town="",
            country="FI",
            einvoice_address=self.check(
                "payer.einvoice_address",
                lambda: validation.validate_einvoice_address(form.einvoice_address),
                "",
            ),
            einvoice_operator=self.check(
                "payer.einvoice_operator",
                lambda: validation.validate_einvoice_operator(form.einvoice_operator),
                "",
            ),
            invoice_delivery=self.delivery(
                "payer.invoice_delivery", form.invoice_delivery
            ),
        )
        if not numbered:
            self.typed_payer(form, values)
        if values.invoice_delivery is InvoiceDelivery.EINVOICE:
            self.einvoice_needs(
                "payer.", values.einvoice_address, values.einvoice_operator
            )
        self.values.payer = values

    def typed_payer(self, form: PayerForm, values: _PayerValues) -> None:
        values.name = self.text("payer.name", form.name, "company")
        values.street = self.text("payer.street", form.street, "street")
        values.post_town = self.text("payer.post_town", form.post_town, "post_town")
        country = self.check(
            "payer.country", lambda: validation.validate_country(form.country), ""
        )
        values.country = country or "FI"
        values.postal_code = (
            self.check(
                "payer.postal_code",
                lambda: validation.validate_postal_code(form.postal_code, country),
                "",
            )
            if country
            else self.text("payer.postal_code", form.postal_code, "postal_code")
        )
        if not values.name:
            self.fail(
                "payer.name", N_("the other payer needs a name or a customer number")
            )
        if values.invoice_delivery is InvoiceDelivery.PAPER:
            for name in ("street", "postal_code", "post_town"):
                if not getattr(values, name) and not getattr(form, name).strip():
                    self.fail(
                        f"payer.{name}", N_("paper invoices need the payer's address")
                    )

    def consents(self) -> None:
        channels = {o.value: o for o in self.choices.consent_channels}
        for channel, answer in self.form.consents.items():
            prefix = f"consents.{channel}."
            had = self.was.consents.get(channel)
            status_text = answer.status.strip()
            source = self.text(
                prefix + "source", answer.source, "source", max_length=100
            )
            given_on = self.date(prefix + "given_on", answer.given_on)
            if not status_text:
                if had is not None:
                    self.fail(
                        prefix + "status",
                        N_("an answer cannot be taken back; record the new answer"),
                    )
                elif source or given_on or answer.given_on.strip():
                    self.fail(
                        prefix + "status",
                        N_("choose allowed or denied for this answer"),
                    )
                continue
            try:
                status = ConsentStatus(status_text)
            except ValueError:
                self.fail(
                    prefix + "status", N_("answer must be allowed, denied or not asked")
                )
                continue
            if given_on is not None and had == _Answer(status, source, given_on):
                self.values.consents[channel] = had
                continue
            option = channels.get(channel)
            if option is None:
                self.fail(prefix + "status", N_("unknown marketing channel"))
            elif option.retired:
                self.fail(prefix + "status", N_("this marketing channel is retired"))
            self.consent_source(prefix, source, had)
            if given_on is None and prefix + "given_on" not in self.errors:
                self.fail(
                    prefix + "given_on", N_("an answer needs the date it was given")
                )
            elif given_on is not None and given_on > self.today:
                self.fail(prefix + "given_on", N_("the date cannot be in the future"))
            if given_on is not None:
                self.values.consents[channel] = _Answer(status, source, given_on)

        for channel, kept in self.was.consents.items():
            # A channel the form leaves out keeps its answer.
            self.values.consents.setdefault(channel, kept)

    def date(self, name: str, text: str) -> dt.date | None:
        return self.check(
            name, lambda: validate_finnish_date(text, "given_on", self.today), None
        )

    def consent_source(self, prefix: str, source: str, had: _Answer | None) -> None:
        if not source:
            if prefix + "source" not in self.errors:
                self.fail(prefix + "source", N_("an answer needs its source"))
            return
        self.choice(
            prefix + "source",
            source,
            self.choices.consent_sources,
            had is not None and had.source == source,
            N_("unknown consent source"),
            N_("this consent source is retired; choose another"),
        )

    def grouping(self) -> None:
        self.values.role_ids = self.members(
            "role_ids",
            self.form.role_ids,
            self.choices.roles,
            self.was.role_ids,
            N_("unknown customer role"),
            N_("a retired role cannot be added"),
        )
        self.values.group_ids = self.members(
            "group_ids",
            self.form.group_ids,
            self.choices.groups,
            self.was.group_ids,
            N_("unknown customer group"),
            N_("a retired group cannot be added"),
        )

    def members(
        self,
        name: str,
        chosen: list[int],
        options: list[Option[int]],
        had: set[int],
        unknown: str,
        retired: str,
    ) -> list[int]:
        found: list[int] = []
        for value in dict.fromkeys(chosen):
            if (
                self.choice(name, value, options, value in had, unknown, retired)
                is not None
            ):
                found.append(value)
        return sorted(found)

    def einvoice_needs(self, prefix: str, address: str, intermediator: str) -> None:
        if not address:
            self.fail(
                prefix + "einvoice_address",
                N_("e-invoicing needs an e-invoice address"),
            )
        if not intermediator:
            self.fail(
                prefix + "einvoice_operator",
                N_("e-invoicing needs an intermediator ID"),
            )

    def together(self) -> None:
        form, columns = self.form, self.values.columns
        # A name that was typed but refused already has its own message.
        names = (form.last_name, form.first_name, form.company)
        if not any(name.strip() for name in names):
            self.fail("last_name", N_("the customer has no name and no company name"))
        if (
            columns["customer_type"] == CustomerType.COMPANY
            and not form.company.strip()
        ):
            self.fail("company", N_("a company customer needs a company name"))
        delivery = columns["invoice_delivery"]
        if delivery is InvoiceDelivery.EINVOICE:
            self.einvoice_needs(
                "", columns["einvoice_address"], columns["einvoice_operator"]
            )
        elif delivery is InvoiceDelivery.EMAIL and not self.form.email.strip():
            self.fail("email", N_("invoices by email need an email address"))
        if (
            columns["early_delivery_blocked"]
            and columns["forced_bundle_id"] is not None
        ):
            self.fail(
                "forced_bundle_id",
                N_("an early-delivery block and a forced bundle exclude each other"),
            )


def _read(
    form: CustomerForm,
    choices: Choices,
    today: dt.date,
    was: _Baseline | None = None,
) -> tuple[_Values, dict[str, str]]:
    baseline = _baseline_of(form.original, today) if was is None else was
    return _Reader(form, choices, today, baseline).read()


def check_form(form: CustomerForm, choices: Choices, today: dt.date) -> dict[str, str]:
    """Every wrong field of ``form`` with the message id saying why.

    Field names are the form's own (``"business_id"``), dotted for the payer
    (``"payer.name"``) and consents (``"consents.email.given_on"``). Whether
    a payer's customer number exists is known only to the register:
    :func:`save_customer` checks it.
    """
    return _read(form, choices, today)[1]


def check_field(
    form: CustomerForm, name: str, choices: Choices, today: dt.date
) -> str | None:
    """The message id for the field ``name``, or ``None`` when it is right.

    For checking as the operator leaves a field; rules between fields are
    reported on the field that has to change (a missing company name on
    ``company``, a missing e-invoice address on ``einvoice_address``).
    """
    return check_form(form, choices, today).get(name)


# -- Choices ------------------------------------------------------------------

_BUILT_IN_ORDER = {
    **{kind.value: i for i, kind in enumerate(CustomerType)},
    **{"email": 0, "sms": 1, "phone": 2, "post": 3},
}


async def load_choices(database: Database) -> Choices:
    """Every list the edit form chooses from, retired entries marked."""
    async with database.read() as session:
        types = (await session.scalars(select(CustomerTypeOption))).all()
        channels = (await session.scalars(select(ConsentChannelOption))).all()
        bundles = (await session.scalars(select(Bundle).order_by(Bundle.code))).all()
        operators = (await session.scalars(select(Operator))).all()
        roles = (await session.scalars(select(Role).order_by(Role.name))).all()
        groups = (await session.scalars(select(Group).order_by(Group.name))).all()
        sources = (
            await session.scalars(select(ConsentSource).order_by(ConsentSource.id))
        ).all()

    def built_in_first(option: CustomerTypeOption | ConsentChannelOption) -> Any:
        return (not option.built_in, _BUILT_IN_ORDER.get(option.code, 0), option.name)

    return Choices(
        customer_types=[
            Option(t.code, t.name, t.retired) for t in sorted(types, key=built_in_first)
        ],
        bundles=[Option(b.id, f"{b.code} {b.name}", b.retired) for b in bundles],
        salespeople=[
            Option(o.id, o.name or o.login, not (o.is_salesperson and o.active))
            for o in sorted(operators, key=lambda o: (o.name or o.login).casefold())
        ],
        roles=[Option(r.id, r.name, r.retired) for r in roles],
        groups=[Option(g.id, g.name, g.retired) for g in groups],
        consent_channels=[
            Option(c.code, c.name, c.retired)
            for c in sorted(channels, key=built_in_first)
        ],
        consent_sources=[Option(s.name, s.name, s.retired) for s in sources],
    )


# -- Saving -------------------------------------------------------------------

#: Customer columns whose change alters what the customer is found by.
_SEARCHED = (
    "last_name",
    "first_name",
    "company",
    "business_id",
    "street",
    "postal_code",
    "post_town",
    "email",
    "phone",
    "country",
)
#: Customer columns recorded in events under their own name (``phone``
#: stands for ``phone_normalized`` as well; ids are recorded by name below).
_AUDITED = (
    "customer_type",
    "last_name",
    "first_name",
    "company",
    "business_id",
    "street",
    "postal_code",
    "post_town",
    "country",
    "phone",
    "email",
    "early_delivery_blocked",
    "discount_percent",
    "invoice_delivery",
    "einvoice_address",
    "einvoice_operator",
    "direct_payment",
    "consolidated_invoice",
    "surcharge_exempt",
    "free_grouping",
    "delivery_blocked",
    "notes",
)
_PAYER_FIELDS = (
    "name",
    "street",
    "postal_code",
    "post_town",
    "country",
    "einvoice_address",
    "einvoice_operator",
    "invoice_delivery",
)


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, InvoiceDelivery | ConsentStatus):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _label_of(options: list[Option[int]], value: int | None) -> str | None:
    if value is None:
        return None
    return next((o.label for o in options if o.value == value), str(value))


def _consent_text(answer: _Answer | None) -> str | None:
    if answer is None:
        return None
    given = _finnish_date(answer.given_on)
    return f"{answer.status.value} ({answer.source} {given})".replace("( ", "(")


def _audit(
    values: _Values,
    choices: Choices,
    payer_number: int | None,
    channels: Iterable[str],
) -> dict[str, Any]:
    columns = values.columns
    audited: dict[str, Any] = {name: _json(columns[name]) for name in _AUDITED}
    audited["forced_bundle"] = _label_of(choices.bundles, columns["forced_bundle_id"])
    audited["salesperson"] = _label_of(choices.salespeople, columns["salesperson_id"])
    audited["roles"] = sorted(
        _label_of(choices.roles, i) or "" for i in values.role_ids
    )
    audited["groups"] = sorted(
        _label_of(choices.groups, i) or "" for i in values.group_ids
    )
    payer = values.payer
    audited["payer.customer_number"] = (
        None if payer_number is None else str(payer_number)
    )
    for name in _PAYER_FIELDS:
        audited[f"payer.{name}"] = (
            None if payer is None else _json(getattr(payer, name))
        )
    for channel in channels:
        audited[f"consents.{channel}"] = _consent_text(values.consents.get(channel))
    return audited


def _changes(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, list[Any]]:
    if old is None:
        # A new customer: what was given, leaving out the empty fields.
        return {
            k: [None, v]
            for k, v in new.items()
            if v not in (None, "", False, [], "0.00")
        }
    return {k: [old.get(k), v] for k, v in new.items() if old.get(k) != v}


async def _stored_values(
    session: AsyncSession, customer: Customer
) -> tuple[_Values, Payer | None, int | None]:
    """The customer's values as they are in the register, to compare with."""
    values = _Values(
        columns={
            name: getattr(customer, name)
            for name in (*_AUDITED, "forced_bundle_id", "salesperson_id")
        }
    )
    values.columns["invoice_delivery"] = InvoiceDelivery(customer.invoice_delivery)
    values.columns["discount_percent"] = Decimal(customer.discount_percent)
    payer = await session.scalar(select(Payer).where(Payer.customer_id == customer.id))
    payer_number: int | None = None
    if payer is not None:
        if payer.payer_customer_id is not None:
            payer_number = await session.scalar(
                select(Customer.number).where(Customer.id == payer.payer_customer_id)
            )
        values.payer = _PayerValues(
            payer_customer_number=payer_number,
            **{name: getattr(payer, name) for name in _PAYER_FIELDS[:-1]},
            invoice_delivery=InvoiceDelivery(payer.invoice_delivery),
        )
    rows = await session.scalars(
        select(Consent)
        .where(Consent.customer_id == customer.id)
        .order_by(Consent.recorded_at, Consent.id)
    )
    for row in rows:
        # The newest answer of a channel is the one in force.
        values.consents[row.channel] = _Answer(
            ConsentStatus(row.status), row.source, row.given_on
        )
    values.role_ids = sorted(
        (
            await session.scalars(
                select(CustomerRole.role_id).where(
                    CustomerRole.customer_id == customer.id
                )
            )
        ).all()
    )
    values.group_ids = sorted(
        (
            await session.scalars(
                select(CustomerGroup.group_id).where(
                    CustomerGroup.customer_id == customer.id
                )
            )
        ).all()
    )
    return values, payer, payer_number


def _baseline_from(values: _Values) -> _Baseline:
    return _Baseline(
        customer_type=values.columns["customer_type"],
        forced_bundle_id=values.columns["forced_bundle_id"],
        salesperson_id=values.columns["salesperson_id"],
        role_ids=set(values.role_ids),
        group_ids=set(values.group_ids),
        consents=dict(values.consents),
    )


async def _saved_by(session: AsyncSession, customer: Customer) -> StaleSave:
    name = N_("the system")
    if customer.updated_by_id is not None:
        operator = await session.get(Operator, customer.updated_by_id)
        if operator is not None:
            name = operator.name or operator.login
    saved_at = customer.updated_at
    if saved_at.tzinfo is None:
        # SQLite hands back the stored UTC moment without its zone.
        saved_at = saved_at.replace(tzinfo=dt.UTC)
    return StaleSave(name, saved_at, customer.version)


async def _payer_customer_id(
    session: AsyncSession, values: _Values, own_number: int | None
) -> int | None:
    payer = values.payer
    if payer is None or payer.payer_customer_number is None:
        return None
    name = "payer.payer_customer_number"
    if payer.payer_customer_number == own_number:
        raise FormInvalid(
            {name: FieldMessage(N_("a customer cannot be their own payer"))}
        )
    found = await session.scalar(
        select(Customer.id).where(Customer.number == payer.payer_customer_number)
    )
    if found is None:
        raise FormInvalid(
            {
                name: FieldMessage(
                    N_("there is no customer {number}"),
                    {"number": payer.payer_customer_number},
                )
            }
        )
    return found


async def check_payer_number(
    database: Database, form: CustomerForm, *, number: int | None
) -> str | None:
    """The message id for the payer's customer number, or ``None`` when right.

    :func:`check_field` checks how the number is written; this also asks
    the register whether such a customer exists and is not the customer
    ``number`` itself.
    """
    payer = form.payer
    if payer is None or not payer.payer_customer_number.strip():
        return None
    try:
        wanted = validate_customer_number(
            payer.payer_customer_number, "payer_customer_number"
        )
    except FieldError as error:
        return FieldMessage(error.message, error.values)
    values = _Values(
        payer=_PayerValues(wanted, "", "", "", "", "FI", "", "", InvoiceDelivery.PAPER)
    )
    async with database.read() as session:
        try:
            await _payer_customer_id(session, values, number)
        except FormInvalid as refused:
            return refused.errors["payer.payer_customer_number"]
    return None


async def save_customer(
    database: Database,
    clock: Clock,
    operator: Operator,
    form: CustomerForm,
    *,
    number: int | None,
    expected_version: int | None,
) -> int:
    """Save ``form`` as a new customer (``number`` None) or over customer ``number``.

    A new customer gets the next free number. A change is written only when
    the customer's ``version`` is still ``expected_version`` (the one the
    form was opened from); either way exactly one event records each
    changed field with its old and new value, and nothing is written when
    nothing changed.

    Returns:
        The customer's number.

    Raises:
        FormInvalid: a field is wrong; nothing was written.
        StaleSave: another operator saved the customer after the form was
            opened; nothing was written.
        NotFound: there is no customer ``number``.
    """
    today = clock.today()
    choices = await load_choices(database)
    if number is None:
        values, errors = _read(form, choices, today, _Baseline())
        if errors:
            raise FormInvalid(errors)
        return await _save_new(database, clock, operator, values, choices)
    if expected_version is None:
        raise ValueError("a change to a customer needs the version it started from")
    async with database.write() as session:
        # FOR UPDATE makes a concurrent save of the same customer on
        # PostgreSQL wait and then see the newer version (SQLite's IMMEDIATE
        # transaction has already serialised the writers).
        customer = await session.scalar(
            select(Customer).where(Customer.number == number).with_for_update()
        )
        if customer is None:
            raise NotFound(N_("There is no customer {number}."), number=number)
        stored, payer_row, payer_number = await _stored_values(session, customer)
        # The retired choices the customer may keep are those the register
        # has on the card, whatever the form claims it started from.
        values, errors = _read(form, choices, today, _baseline_from(stored))
        if errors:
            raise FormInvalid(errors)
        if customer.version != expected_version:
            raise await _saved_by(session, customer)
        payer_id = await _payer_customer_id(session, values, number)
        channels = sorted({*stored.consents, *values.consents})
        changes = _changes(
            _audit(stored, choices, payer_number, channels),
            _audit(values, choices, _payer_number(values), channels),
        )
        if not changes:
            return number
        now = clock.now()
        searched = any(values.columns[n] != getattr(customer, n) for n in _SEARCHED)
        for name, value in values.columns.items():
            if getattr(customer, name) != value:
                setattr(customer, name, value)
        customer.updated_at = now
        customer.updated_by_id = operator.id
        if searched:
            # Before the flush, so the row is updated (and versioned) once.
            refresh_sort_name(customer)
        await _write_related(
            session, customer, values, stored, payer_row, payer_id, now
        )
        await session.flush()
        if searched:
            await reindex_customers(session, [customer])
        session.add(_event(customer, operator, now, "changed", changes))
    log.info("customer %s changed: %d fields", number, len(changes))
    return number


def _payer_number(values: _Values) -> int | None:
    return None if values.payer is None else values.payer.payer_customer_number


def _event(
    customer: Customer,
    operator: Operator,
    now: dt.datetime,
    kind: str,
    changes: dict[str, list[Any]],
) -> Event:
    return Event(
        customer_id=customer.id,
        operator_id=operator.id,
        occurred_at=now,
        kind=kind,
        summary="",
        changes=changes,
    )


async def _write_related(
    session: AsyncSession,
    customer: Customer,
    values: _Values,
    stored: _Values,
    payer_row: Payer | None,
    payer_id: int | None,
    now: dt.datetime,
) -> None:
    """Write the payer, consents, roles and groups that differ from ``stored``."""
    if values.payer is None:
        if payer_row is not None:
            await session.delete(payer_row)
    elif values.payer != stored.payer:
        if payer_row is None:
            payer_row = Payer(customer_id=customer.id)
            session.add(payer_row)
        payer_row.payer_customer_id = payer_id
        for name in _PAYER_FIELDS:
            setattr(payer_row, name, getattr(values.payer, name))
    for channel, answer in sorted(values.consents.items()):
        if stored.consents.get(channel) != answer:
            # A new row, never an update: the history keeps every answer.
            session.add(
                Consent(
                    customer_id=customer.id,
                    channel=channel,
                    status=answer.status,
                    source=answer.source,
                    given_on=answer.given_on,
                    recorded_at=now,
                )
            )
    if values.role_ids != stored.role_ids:
        await session.execute(
            delete(CustomerRole).where(CustomerRole.customer_id == customer.id)
        )
        if values.role_ids:
            await session.execute(
                insert(CustomerRole),
                [{"customer_id": customer.id, "role_id": i} for i in values.role_ids],
            )
    if values.group_ids != stored.group_ids:
        await session.execute(
            delete(CustomerGroup).where(CustomerGroup.customer_id == customer.id)
        )
        if values.group_ids:
            await session.execute(
                insert(CustomerGroup),
                [{"customer_id": customer.id, "group_id": i} for i in values.group_ids],
            )


def _number_taken(error: IntegrityError) -> bool:
    text = str(error.orig)
    return "uq_customers_number" in text or "customers.number" in text


async def _save_new(
    database: Database,
    clock: Clock,
    operator: Operator,
    values: _Values,
    choices: Choices,
) -> int:
    for attempt in range(NEW_NUMBER_ATTEMPTS):
        try:
            return await _insert_new(database, clock, operator, values, choices)
        except IntegrityError as error:
            # On PostgreSQL two sessions may read the same highest number;
            # the unique index refuses the second, which tries the next one.
            if not _number_taken(error) or attempt == NEW_NUMBER_ATTEMPTS - 1:
                raise
            log.info("customer number taken meanwhile; trying the next one")
            await asyncio.sleep(random.uniform(0, 0.01 * (attempt + 1)))
    raise AssertionError("unreachable")  # pragma: no cover


async def _insert_new(
    database: Database,
    clock: Clock,
    operator: Operator,
    values: _Values,
    choices: Choices,
) -> int:
    async with database.write() as session:
        if not database.is_sqlite:
            # New customers of this module take their numbers one at a time;
            # the retry in _save_new still covers other writers (imports).
            await session.execute(select(func.pg_advisory_xact_lock(_NEW_NUMBER_LOCK)))
        highest = await session.scalar(select(func.max(Customer.number)))
        number = FIRST_CUSTOMER_NUMBER if highest is None else highest + 1
        payer_id = await _payer_customer_id(session, values, number)
        now = clock.now()
        customer = Customer(
            number=number,
            created_on=clock.today(),
            updated_at=now,
            updated_by_id=operator.id,
            notes_log="",
            **values.columns,
        )
        refresh_sort_name(customer)
        session.add(customer)
        await session.flush()
        await _write_related(session, customer, values, _Values(), None, payer_id, now)
        await reindex_customers(session, [customer])
        changes = _changes(
            None,
            _audit(values, choices, _payer_number(values), sorted(values.consents)),
        )
        session.add(_event(customer, operator, now, "created", changes))
        await session.flush()
    log.info("customer %s created", number)
    return number


async def append_note_log(
    session: AsyncSession,
    customer: Customer,
    line: str,
    *,
    at: dt.datetime | None = None,
    by: int | None = None,
) -> None:
    """Append ``line`` to the log the system keeps below the customer's notes.

    The form never writes this log, so an operator cannot edit it away. The
    write counts as a save of the customer (its version moves on, so an
    edit form opened before is refused); give ``at`` (and the operator
    ``by``, if any) to name it as the latest save.
    """
    text = " ".join(line.split())
    if not text:
        return
    customer.notes_log = f"{customer.notes_log}\n{text}" if customer.notes_log else text
    if at is not None:
        customer.updated_at = at
        customer.updated_by_id = by
    await session.flush()
