"""Editing a customer card: checks, saves, the audit trail, two operators."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from store.cards import load_card
from store.clock import FixedClock
from store.db import Database
from store.editing import (
    Choices,
    ConsentForm,
    CustomerForm,
    FieldMessage,
    FormInvalid,
    Option,
    PayerForm,
    StaleSave,
    append_note_log,
    check_field,
    check_form,
    check_payer_number,
    form_from_card,
    load_choices,
    offered,
    save_customer,
)
from store.models import (
    Bundle,
    Consent,
    Customer,
    Event,
    Group,
    Operator,
    Payer,
    Role,
    SearchTerm,
)
from store.operators import add_operator
from store.search import CustomerSearch
from store.settings import ListKind, add_entry, retire_entry
from store.validation import validate_email

TODAY = dt.date(2026, 12, 3)

CHOICES = Choices(
    customer_types=[
        Option("private", "Yksityinen"),
        Option("company", "Yritys"),
        Option("ad_customer", "Ilmoitusasiakas"),
        Option("association", "Yhdistys", retired=True),
    ],
    bundles=[Option(1, "B1 Keskusta"), Option(2, "B2 Vanha", retired=True)],
    salespeople=[Option(10, "Ville Myyjä"), Option(11, "Entinen Myyjä", retired=True)],
    roles=[Option(1, "Päättäjä"), Option(2, "Vanha rooli", retired=True)],
    groups=[Option(1, "Kuntalaiset"), Option(2, "Vanha ryhmä", retired=True)],
    consent_channels=[
        Option("email", "Sähköposti"),
        Option("sms", "Tekstiviesti"),
        Option("phone", "Puhelin"),
        Option("post", "Posti"),
        Option("fax", "Faksi", retired=True),
    ],
    consent_sources=[
        Option("Puhelu", "Puhelu"),
        Option("Verkkolomake", "Verkkolomake"),
        Option("Messut", "Messut", retired=True),
    ],
)


def person(**changes: Any) -> CustomerForm:
    """A right form of a private customer, with ``changes``."""
    form = CustomerForm(
        last_name="Mäkinen",
        first_name="Äijä",
        street="Öljytie 3 B 12",
        postal_code="00100",
        post_town="Helsinki",
    )
    return dataclasses.replace(form, **changes)


def errors_of(form: CustomerForm) -> dict[str, str]:
    return check_form(form, CHOICES, TODAY)


# -- Checking fields ----------------------------------------------------------


def test_a_right_form_has_no_errors() -> None:
    assert errors_of(person()) == {}


WRONG = [
    (
        "last_name",
        {"last_name": "x" * 101},
        "{label} is too long: at most {limit} characters",
    ),
    ("last_name", {"last_name": "Mäki\nnen"}, "{label} cannot have line breaks"),
    (
        "first_name",
        {"first_name": "Ä" * 101},
        "{label} is too long: at most {limit} characters",
    ),
    ("company", {"company": "Oy\tAb"}, "{label} has a control character"),
    (
        "street",
        {"street": "k" * 201},
        "{label} is too long: at most {limit} characters",
    ),
    (
        "post_town",
        {"post_town": "Å" * 101},
        "{label} is too long: at most {limit} characters",
    ),
    ("business_id", {"business_id": "0737546-3"}, "business ID check digit is wrong"),
    (
        "business_id",
        {"business_id": "Y-tunnus"},
        "business ID must be seven digits, a hyphen and a check digit",
    ),
    ("postal_code", {"postal_code": "0010"}, "postal code must have five digits"),
    ("postal_code", {"postal_code": "ÄÄKKÖ"}, "postal code must have five digits"),
    (
        "postal_code",
        {"country": "SE", "postal_code": "114 55 öö"},
        "postal code is not valid",
    ),
    ("country", {"country": "FIN"}, "country must be a two-letter code such as FI"),
    ("country", {"country": "Ö1"}, "country must be a two-letter code such as FI"),
    ("phone", {"phone": "123"}, "phone number is not valid"),
    ("phone", {"phone": "puhelin"}, "phone number is not valid"),
    ("email", {"email": "matti@"}, "email address is not valid"),
    ("email", {"email": "mäkinen@example.fi"}, "email address is not valid"),
    (
        "email",
        {"email": "a" * 250 + "@example.fi"},
        "{label} is too long: at most {limit} characters",
    ),
    (
        "discount_percent",
        {"discount_percent": "101"},
        "discount must be between 0 and 100",
    ),
    (
        "discount_percent",
        {"discount_percent": "-1"},
        "discount must be between 0 and 100",
    ),
    ("discount_percent", {"discount_percent": "kymmenen"}, "discount must be a number"),
    (
        "discount_percent",
        {"discount_percent": "12,345"},
        "discount can have at most two decimals",
    ),
    (
        "invoice_delivery",
        {"invoice_delivery": "fax"},
        "unknown invoice delivery method",
    ),
    (
        "einvoice_address",
        {"einvoice_address": "12345"},
        "e-invoice address must be an OVT code (0037…) or an IBAN",
    ),
    (
        "einvoice_address",
        {"einvoice_address": "FI2112345600000786"},
        "e-invoice address is not a valid IBAN",
    ),
    (
        "einvoice_operator",
        {"einvoice_operator": "Ääkkönen"},
        "intermediator ID must be an OVT code (0037…) or a BIC such as NDEAFIHH",
    ),
    ("customer_type", {"customer_type": ""}, "choose a customer type"),
    ("customer_type", {"customer_type": "vip"}, "unknown customer type"),
    (
        "customer_type",
        {"customer_type": "association"},
        "this customer type is retired; choose another",
    ),
    ("forced_bundle_id", {"forced_bundle_id": 99}, "unknown bundle"),
    (
        "forced_bundle_id",
        {"forced_bundle_id": 2},
        "this bundle is retired; choose another",
    ),
    (
        "forced_bundle_id",
        {"forced_bundle_id": 1, "early_delivery_blocked": True},
        "an early-delivery block and a forced bundle exclude each other",
    ),
    ("salesperson_id", {"salesperson_id": 99}, "unknown salesperson"),
    (
        "salesperson_id",
        {"salesperson_id": 11},
        "this operator does not sell; choose another salesperson",
    ),
    ("role_ids", {"role_ids": [1, 99]}, "unknown customer role"),
    ("role_ids", {"role_ids": [2]}, "a retired role cannot be added"),
    ("group_ids", {"group_ids": [99]}, "unknown customer group"),
    ("group_ids", {"group_ids": [1, 2]}, "a retired group cannot be added"),
    (
        "free_grouping",
        {"free_grouping": "ö" * 501},
        "{label} is too long: at most {limit} characters",
    ),
    ("free_grouping", {"free_grouping": "a\nb"}, "{label} cannot have line breaks"),
    (
        "notes",
        {"notes": "ä" * 20_001},
        "{label} is too long: at most {limit} characters",
    ),
    ("notes", {"notes": "bell\x07"}, "{label} has a control character"),
    (
        "last_name",
        {"last_name": " ", "first_name": "", "company": ""},
        "the customer has no name and no company name",
    ),
    (
        "company",
        {"customer_type": "company", "company": "  "},
        "a company customer needs a company name",
    ),
    (
        "einvoice_address",
        {"invoice_delivery": "einvoice", "einvoice_operator": "NDEAFIHH"},
        "e-invoicing needs an e-invoice address",
    ),
    (
        "einvoice_operator",
        {"invoice_delivery": "einvoice", "einvoice_address": "003707375462"},
        "e-invoicing needs an intermediator ID",
    ),
    (
        "email",
        {"invoice_delivery": "email", "email": " "},
        "invoices by email need an email address",
    ),
]


@pytest.mark.parametrize(("name", "changes", "message"), WRONG)
def test_a_wrong_value_is_refused_on_its_field(
    name: str, changes: dict[str, Any], message: str
) -> None:
    form = person(**changes)
    assert check_field(form, name, CHOICES, TODAY) == message
    assert errors_of(form)[name] == message


RIGHT = [
    ("last_name", {"last_name": "  Öhman-Äyräpää  "}),
    ("last_name", {"last_name": "x" * 100}),
    ("first_name", {"first_name": "Åsa"}),
    ("company", {"company": "Oy Ääni & Kuva Ab"}),
    ("business_id", {"business_id": " 0737546-2 "}),
    ("business_id", {"business_id": "07375462"}),
    ("postal_code", {"postal_code": " 00100 "}),
    ("postal_code", {"country": "se", "postal_code": "114 55"}),
    ("country", {"country": " fi "}),
    ("country", {"country": ""}),
    ("phone", {"phone": " 040 123 4567 "}),
    ("phone", {"phone": "+46 70 123 45 67"}),
    ("email", {"email": " matti.makinen@example.fi "}),
    ("email", {"email": "info@ääkkönen.fi"}),
    ("discount_percent", {"discount_percent": "12,5 %"}),
    ("discount_percent", {"discount_percent": "100"}),
    ("discount_percent", {"discount_percent": ""}),
    ("einvoice_address", {"einvoice_address": "fi21 1234 5600 0007 85"}),
    ("einvoice_address", {"einvoice_address": "003707375462"}),
    ("einvoice_operator", {"einvoice_operator": "ndeafihh"}),
    ("einvoice_operator", {"einvoice_operator": "003721291126"}),
    ("customer_type", {"customer_type": "ad_customer"}),
    ("forced_bundle_id", {"forced_bundle_id": 1}),
    ("salesperson_id", {"salesperson_id": 10}),
    ("role_ids", {"role_ids": [1, 1]}),
    ("group_ids", {"group_ids": [1]}),
    ("free_grouping", {"free_grouping": "Kesäasukkaat " * 30}),
    ("notes", {"notes": "Soittaa aamuisin.\nÄlä soita sunnuntaina.\tKiitos."}),
    (
        "company",
        {"customer_type": "company", "company": "Kahvila Öhö", "last_name": ""},
    ),
    ("invoice_delivery", {"invoice_delivery": "email", "email": "a@example.fi"}),
]


@pytest.mark.parametrize(("name", "changes"), RIGHT)
def test_a_right_value_passes(name: str, changes: dict[str, Any]) -> None:
    form = person(**changes)
    assert check_field(form, name, CHOICES, TODAY) is None
    assert errors_of(form) == {}


def test_a_message_with_placeholders_describes_the_field() -> None:
    message = check_field(person(last_name="x" * 101), "last_name", CHOICES, TODAY)
    assert isinstance(message, FieldMessage)
    assert message.describe() == "last name is too long: at most 100 characters"
    finnish = {
        "{label} is too long: at most {limit} characters": "{label} on liian pitkä",
        "last name": "sukunimi",
    }
    assert message.describe(lambda m: finnish.get(m, m)) == "sukunimi on liian pitkä"


def test_the_payers_fields_are_named_as_the_payers() -> None:
    form = person(payer=PayerForm(name="Maksaja Oy", street="k" * 201))
    message = check_field(form, "payer.street", CHOICES, TODAY)
    assert isinstance(message, FieldMessage)
    assert message.describe() == (
        "payer's street address is too long: at most 200 characters"
    )


PAYER_WRONG = [
    (
        "payer.name",
        PayerForm(
            street="Katu 1",
            postal_code="00100",
            post_town="Oulu",
            invoice_delivery="email",
        ),
        "the other payer needs a name or a customer number",
    ),
    (
        "payer.street",
        PayerForm(name="Maksaja", postal_code="00100", post_town="Oulu"),
        "paper invoices need the payer's address",
    ),
    (
        "payer.postal_code",
        PayerForm(name="Maksaja", street="Katu 1", postal_code="1", post_town="Oulu"),
        "postal code must have five digits",
    ),
    (
        "payer.country",
        PayerForm(name="Maksaja", country="Suomi", invoice_delivery="email"),
        "country must be a two-letter code such as FI",
    ),
    (
        "payer.payer_customer_number",
        PayerForm(payer_customer_number="10000I"),
        "customer number must be a positive whole number",
    ),
    (
        "payer.payer_customer_number",
        PayerForm(payer_customer_number="0"),
        "customer number must be a positive whole number",
    ),
    (
        "payer.einvoice_address",
        PayerForm(
            name="Maksaja Oy", invoice_delivery="einvoice", einvoice_operator="NDEAFIHH"
        ),
        "e-invoicing needs an e-invoice address",
    ),
    (
        "payer.einvoice_operator",
        PayerForm(
            payer_customer_number="100001",
            invoice_delivery="einvoice",
            einvoice_address="003707375462",
        ),
        "e-invoicing needs an intermediator ID",
    ),
    (
        "payer.einvoice_operator",
        PayerForm(payer_customer_number="100001", einvoice_operator="xyz"),
        "intermediator ID must be an OVT code (0037…) or a BIC such as NDEAFIHH",
    ),
    (
        "payer.invoice_delivery",
        PayerForm(name="Maksaja", invoice_delivery="pigeon"),
        "unknown invoice delivery method",
    ),
]


@pytest.mark.parametrize(("name", "payer", "message"), PAYER_WRONG)
def test_a_wrong_payer_is_refused_on_its_field(
    name: str, payer: PayerForm, message: str
) -> None:
    assert errors_of(person(payer=payer)).get(name) == message


@pytest.mark.parametrize(
    "payer",
    [
        PayerForm(),
        PayerForm(payer_customer_number=" 100001 "),
        PayerForm(
            name="Äänekosken kaupunki",
            street="Katu 1",
            postal_code="44100",
            post_town="Äänekoski",
        ),
        PayerForm(
            name="Maksaja Oy",
            invoice_delivery="einvoice",
            einvoice_address="003707375462",
            einvoice_operator="003721291126",
        ),
    ],
)
def test_a_right_payer_passes(payer: PayerForm) -> None:
    assert errors_of(person(payer=payer)) == {}


CONSENT_WRONG = [
    (
        "consents.email.source",
        ConsentForm("allowed", "", "1.12.2026"),
        "an answer needs its source",
    ),
    (
        "consents.email.source",
        ConsentForm("allowed", "Ovikoputus", "1.12.2026"),
        "unknown consent source",
    ),
    (
        "consents.email.source",
        ConsentForm("denied", "Messut", "1.12.2026"),
        "this consent source is retired; choose another",
    ),
    (
        "consents.email.given_on",
        ConsentForm("allowed", "Puhelu", ""),
        "an answer needs the date it was given",
    ),
    (
        "consents.email.given_on",
        ConsentForm("allowed", "Puhelu", "4.12.2026"),
        "the date cannot be in the future",
    ),
    (
        "consents.email.given_on",
        ConsentForm("allowed", "Puhelu", "31.12."),
        "the date cannot be in the future",
    ),
    (
        "consents.email.given_on",
        ConsentForm("allowed", "Puhelu", "30.2.2026"),
        "date does not exist",
    ),
    (
        "consents.email.given_on",
        ConsentForm("allowed", "Puhelu", "2026-12-01"),
        "date must be written dd.mm.yyyy",
    ),
    (
        "consents.email.given_on",
        ConsentForm("allowed", "Puhelu", "1.12"),
        "date must be written dd.mm.yyyy",
    ),
    (
        "consents.email.status",
        ConsentForm("maybe", "Puhelu", "1.12.2026"),
        "answer must be allowed, denied or not asked",
    ),
    (
        "consents.email.status",
        ConsentForm("", "Puhelu", "1.12.2026"),
        "choose allowed or denied for this answer",
    ),
]


@pytest.mark.parametrize(("name", "consent", "message"), CONSENT_WRONG)
def test_a_wrong_consent_is_refused_on_its_field(
    name: str, consent: ConsentForm, message: str
) -> None:
    assert errors_of(person(consents={"email": consent})).get(name) == message


def test_consents_on_unknown_and_retired_channels_are_refused() -> None:
    answer = ConsentForm("allowed", "Puhelu", "1.12.2026")
    errors = errors_of(person(consents={"telex": answer, "fax": answer}))
    assert errors == {
        "consents.telex.status": "unknown marketing channel",
        "consents.fax.status": "this marketing channel is retired",
    }


@pytest.mark.parametrize(
    "consent",
    [
        ConsentForm(),
        ConsentForm("allowed", " Puhelu ", " 3.12.2026 "),
        ConsentForm("denied", "Verkkolomake", "01.07.2026"),
        ConsentForm("allowed", "Puhelu", "1.7."),
    ],
)
def test_a_right_consent_passes(consent: ConsentForm) -> None:
    assert errors_of(person(consents={"sms": consent})) == {}


def test_retired_choices_the_customer_already_had_may_stay() -> None:
    had = person(
        customer_type="association",
        forced_bundle_id=2,
        salesperson_id=11,
        role_ids=[2],
        group_ids=[2],
        consents={"fax": ConsentForm("allowed", "Messut", "1.6.2020")},
    )
    form = dataclasses.replace(had, original=dataclasses.replace(had), street="Uusi 1")
    assert errors_of(form) == {}
    # The same values on a new card are refused, and so is a changed answer
    # on the retired channel.
    assert set(errors_of(had)) == {
        "customer_type",
        "forced_bundle_id",
        "salesperson_id",
        "role_ids",
        "group_ids",
        "consents.fax.status",
        "consents.fax.source",
    }
    form.consents = {"fax": ConsentForm("denied", "Puhelu", "1.12.2026")}
    assert errors_of(form) == {
        "consents.fax.status": "this marketing channel is retired"
    }


def test_an_answer_once_given_cannot_be_taken_back() -> None:
    had = person(consents={"email": ConsentForm("allowed", "Puhelu", "1.6.2026")})
    form = dataclasses.replace(had, original=dataclasses.replace(had))
    form.consents = {"email": ConsentForm()}
    assert errors_of(form) == {
        "consents.email.status": "an answer cannot be taken back; record the new answer"
    }


def test_offered_choices_leave_out_the_retired_but_keep_the_cards_own() -> None:
    assert [o.value for o in offered(CHOICES.groups)] == [1]
    assert [o.value for o in offered(CHOICES.groups, keep=[2])] == [1, 2]


# -- The register -------------------------------------------------------------


@dataclass
class Register:
    database: Database
    clock: FixedClock
    admin: Operator
    seller: Operator
    other: Operator

    async def add(self, form: CustomerForm, by: Operator | None = None) -> int:
        return await save_customer(
            self.database,
            self.clock,
            by or self.admin,
            form,
            number=None,
            expected_version=None,
        )

    async def edit(self, number: int) -> tuple[CustomerForm, int]:
        card = await load_card(self.database, number, self.clock)
        return form_from_card(card), card.customer.version

    async def save(
        self, number: int, form: CustomerForm, version: int, by: Operator | None = None
    ) -> int:
        return await save_customer(
            self.database,
            self.clock,
            by or self.admin,
            form,
            number=number,
            expected_version=version,
        )

    async def customer(self, number: int) -> Customer:
        async with self.database.read() as session:
            found = await session.scalar(
                select(Customer).where(Customer.number == number)
            )
        assert found is not None
        return found

    async def events(self, number: int) -> list[Event]:
        async with self.database.read() as session:
            return list(
                (
                    await session.scalars(
                        select(Event)
                        .join(Customer, Customer.id == Event.customer_id)
                        .where(Customer.number == number)
                        .order_by(Event.id)
                    )
                ).all()
            )


@pytest.fixture
async def register(database: Database, clock: FixedClock) -> Register:
    admin = await add_operator(
        database, "anna", clock, name="Anna Aaltonen", is_admin=True
    )
    seller = await add_operator(
        database, "ville", clock, name="Ville Myyjä", is_salesperson=True
    )
    other = await add_operator(database, "olli", clock, name="Olli Östman")
    return Register(database, clock, admin, seller, other)


async def test_load_choices_offers_the_lists_with_built_ins_first(
    register: Register,
) -> None:
    await add_entry(register.database, register.admin, ListKind.GROUPS, "Äänestäjät")
    await add_entry(register.database, register.admin, ListKind.GROUPS, "Aktiivit")
    choices = await load_choices(register.database)
    assert [o.value for o in choices.customer_types] == [
        "private",
        "company",
        "ad_customer",
    ]
    assert [o.value for o in choices.consent_channels] == [
        "email",
        "sms",
        "phone",
        "post",
    ]
    assert [o.label for o in choices.groups] == ["Aktiivit", "Äänestäjät"]
    assert "Puhelu" in [o.value for o in choices.consent_sources]
    sellers = {o.label: o.retired for o in choices.salespeople}
    assert sellers == {"Anna Aaltonen": True, "Olli Östman": True, "Ville Myyjä": False}


async def test_a_new_customer_is_saved_normalised_with_the_next_number(
    register: Register,
) -> None:
    first = await register.add(person())
    second = await register.add(
        person(
            customer_type="company",
            last_name="  Östman ",
            first_name="",
            company=" Oy Ääni Ab ",
            business_id="07375462",
            country="se",
            postal_code="114 55",
            post_town="Stockholm",
            phone=" 070 123 45 67 ",
            email=" Info@EXAMPLE.fi ",
            discount_percent="12,5",
            invoice_delivery="einvoice",
            einvoice_address="fi21 1234 5600 0007 85",
            einvoice_operator="ndeafihh",
            notes="  Ensimmäinen rivi\r\ntoinen rivi  ",
        )
    )
    assert second == first + 1
    saved = await register.customer(second)
    assert (saved.last_name, saved.company) == ("Östman", "Oy Ääni Ab")
    assert saved.business_id == "0737546-2"
    assert (saved.country, saved.postal_code) == ("SE", "114 55")
    assert (saved.phone, saved.phone_normalized) == ("070 123 45 67", "+46701234567")
    assert saved.email == validate_email("Info@EXAMPLE.fi")
    assert str(saved.discount_percent) in ("12.50", "12.5")
    assert saved.einvoice_address == "FI2112345600000785"
    assert saved.einvoice_operator == "NDEAFIHH"
    assert saved.notes == "Ensimmäinen rivi\ntoinen rivi"
    assert saved.version == 1
    assert saved.updated_by_id == register.admin.id
    assert saved.created_on == register.clock.today()
    rows = await CustomerSearch("ostman aani").next_page(register.database, 10)
    assert [row.number for row in rows] == [second]


async def test_a_wrong_form_writes_nothing(register: Register) -> None:
    with pytest.raises(FormInvalid) as refused:
        await register.add(person(email="matti@", business_id="123"))
    assert set(refused.value.errors) == {"email", "business_id"}
    async with register.database.read() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 0
        assert await session.scalar(select(func.count()).select_from(Event)) == 0


async def test_the_created_event_records_what_was_given(register: Register) -> None:
    await add_entry(register.database, register.admin, ListKind.GROUPS, "Kuntalaiset")
    choices = await load_choices(register.database)
    number = await register.add(
        person(
            phone="040 123 4567",
            salesperson_id=register.seller.id,
            group_ids=[choices.groups[0].value],
            consents={"email": ConsentForm("allowed", "Puhelu", "1.7.")},
        ),
        by=register.seller,
    )
    [event] = await register.events(number)
    assert event.kind == "created"
    assert event.operator_id == register.seller.id
    assert event.occurred_at.replace(tzinfo=dt.UTC) == register.clock.now()
    assert event.changes == {
        "customer_type": [None, "private"],
        "last_name": [None, "Mäkinen"],
        "first_name": [None, "Äijä"],
        "street": [None, "Öljytie 3 B 12"],
        "postal_code": [None, "00100"],
        "post_town": [None, "Helsinki"],
        "country": [None, "FI"],
        "phone": [None, "040 123 4567"],
        "invoice_delivery": [None, "paper"],
        "salesperson": [None, "Ville Myyjä"],
        "groups": [None, ["Kuntalaiset"]],
        "consents.email": [None, "allowed (Puhelu 1.7.2026)"],
    }


async def test_an_edit_writes_every_changed_field_and_one_event(
    register: Register,
) -> None:
    database, admin = register.database, register.admin
    old_group = await add_entry(database, admin, ListKind.GROUPS, "Kuntalaiset")
    new_group = await add_entry(database, admin, ListKind.GROUPS, "Äänestäjät")
    role = await add_entry(database, admin, ListKind.ROLES, "Päättäjä")
    bundle = await add_entry(database, admin, ListKind.BUNDLES, "Keskusta", code="B1")
    number = await register.add(person(group_ids=[int(old_group.key)]))
    form, version = await register.edit(number)
    assert form.group_ids == [old_group.key]

    register.clock.advance(dt.timedelta(hours=1))
    form.last_name = " Mäkelä "
    form.phone = "+358 40 765 4321"
    form.discount_percent = "5"
    form.direct_payment = True
    form.forced_bundle_id = int(bundle.key)
    form.salesperson_id = register.seller.id
    form.group_ids = [int(new_group.key)]
    form.role_ids = [int(role.key)]
    form.notes = "Soittaa aamuisin."
    assert await register.save(number, form, version, by=register.other) == number

    saved = await register.customer(number)
    assert saved.version == version + 1
    assert saved.updated_by_id == register.other.id
    assert saved.updated_at.replace(tzinfo=dt.UTC) == register.clock.now()
    assert saved.phone_normalized == "+358407654321"
    card = await load_card(database, number, register.clock)
    assert card.groups == ["Äänestäjät"] and card.roles == ["Päättäjä"]
    assert card.forced_bundle == "B1 Keskusta"
    _, changed = await register.events(number)
    assert changed.kind == "changed"
    assert changed.operator_id == register.other.id
    assert changed.changes == {
        "last_name": ["Mäkinen", "Mäkelä"],
        "phone": ["", "+358 40 765 4321"],
        "discount_percent": ["0.00", "5.00"],
        "direct_payment": [False, True],
        "notes": ["", "Soittaa aamuisin."],
        "forced_bundle": [None, "B1 Keskusta"],
        "salesperson": [None, "Ville Myyjä"],
        "roles": [[], ["Päättäjä"]],
        "groups": [["Kuntalaiset"], ["Äänestäjät"]],
    }
    # The search finds the new name, not the old one.
    found = await CustomerSearch("mäkelä").next_page(database, 10)
    assert [row.number for row in found] == [number]
    assert await CustomerSearch("mäkinen").next_page(database, 10) == []


async def test_saving_without_changes_writes_nothing(register: Register) -> None:
    number = await register.add(
        person(
            discount_percent="12,5",
            consents={"sms": ConsentForm("denied", "Puhelu", "1.1.2026")},
        )
    )
    form, version = await register.edit(number)
    form.last_name = "  Mäkinen "
    assert await register.save(number, form, version) == number
    assert (await register.customer(number)).version == version
    assert len(await register.events(number)) == 1


async def test_a_changed_consent_is_a_new_answer_and_the_old_one_is_kept(
    register: Register,
) -> None:
    number = await register.add(
        person(consents={"email": ConsentForm("allowed", "Puhelu", "1.2.2026")})
    )
    form, version = await register.edit(number)
    form.consents["email"] = ConsentForm("denied", "Verkkolomake", "3.12.2026")
    form.consents["sms"] = ConsentForm("allowed", "Verkkolomake", "3.12.")
    await register.save(number, form, version)

    card = await load_card(register.database, number, register.clock)
    by_channel = {c.channel: c for c in card.consents}
    assert by_channel["email"].status == "denied"
    assert by_channel["email"].earlier == 1
    assert by_channel["sms"].given_on == dt.date(2026, 12, 3)
    async with register.database.read() as session:
        rows = (
            await session.scalars(
                select(Consent).where(Consent.channel == "email").order_by(Consent.id)
            )
        ).all()
    assert [(r.status.value, r.source, r.given_on) for r in rows] == [
        ("allowed", "Puhelu", dt.date(2026, 2, 1)),
        ("denied", "Verkkolomake", dt.date(2026, 12, 3)),
    ]
    changed = (await register.events(number))[-1]
    assert changed.changes == {
        "consents.email": [
            "allowed (Puhelu 1.2.2026)",
            "denied (Verkkolomake 3.12.2026)",
        ],
        "consents.sms": [None, "allowed (Verkkolomake 3.12.2026)"],
    }


async def test_a_payer_is_created_changed_and_removed(register: Register) -> None:
    payer_number = await register.add(person(last_name="Virtanen", first_name="Ville"))
    number = await register.add(
        person(
            payer=PayerForm(
                name="Äänekosken kaupunki",
                street="Katu 1",
                postal_code="44100",
                post_town="Äänekoski",
            )
        )
    )
    card = await load_card(register.database, number, register.clock)
    assert card.payer is not None and card.payer.name == "Äänekosken kaupunki"

    form, version = await register.edit(number)
    form.payer = PayerForm(
        payer_customer_number=str(payer_number),
        invoice_delivery="einvoice",
        einvoice_address="003707375462",
        einvoice_operator="NDEAFIHH",
    )
    await register.save(number, form, version)
    card = await load_card(register.database, number, register.clock)
    assert card.payer is not None
    assert (card.payer.customer_number, card.payer.name) == (
        payer_number,
        "Virtanen Ville",
    )
    changed = (await register.events(number))[-1].changes
    assert changed["payer.customer_number"] == [None, str(payer_number)]
    assert changed["payer.name"] == ["Äänekosken kaupunki", ""]
    assert changed["payer.invoice_delivery"] == ["paper", "einvoice"]

    form, version = await register.edit(number)
    assert form.payer is not None
    assert form.payer.payer_customer_number == str(payer_number)
    form.payer = None
    await register.save(number, form, version)
    async with register.database.read() as session:
        assert await session.scalar(select(func.count()).select_from(Payer)) == 0
    removed = (await register.events(number))[-1].changes
    assert removed["payer.customer_number"] == [str(payer_number), None]
    assert removed["payer.einvoice_operator"] == ["NDEAFIHH", None]


async def test_a_payer_number_must_be_another_existing_customer(
    register: Register,
) -> None:
    number = await register.add(person())
    form, version = await register.edit(number)
    form.payer = PayerForm(payer_customer_number="999999")
    assert (
        await check_payer_number(register.database, form, number=number)
        == "there is no customer {number}"
    )
    with pytest.raises(FormInvalid) as refused:
        await register.save(number, form, version)
    assert refused.value.errors == {
        "payer.payer_customer_number": "there is no customer {number}"
    }
    form.payer = PayerForm(payer_customer_number=str(number))
    with pytest.raises(FormInvalid) as refused:
        await register.save(number, form, version)
    assert refused.value.errors == {
        "payer.payer_customer_number": "a customer cannot be their own payer"
    }
    with pytest.raises(FormInvalid):
        await register.add(person(payer=PayerForm(payer_customer_number="999999")))
    assert (await register.customer(number)).version == version
    assert len(await register.events(number)) == 1


async def test_a_retired_value_stays_on_the_card_but_is_not_given_anew(
    register: Register,
) -> None:
    database, admin = register.database, register.admin
    group = await add_entry(database, admin, ListKind.GROUPS, "Kesäasukkaat")
    number = await register.add(person(group_ids=[int(group.key)]))
    await retire_entry(database, admin, ListKind.GROUPS, group.key)

    form, version = await register.edit(number)
    # Even a form that forgot where it started may keep what the card has.
    form.original = None
    form.street = "Uusi katu 2"
    await register.save(number, form, version)
    card = await load_card(database, number, register.clock)
    assert card.groups == ["Kesäasukkaat"]

    with pytest.raises(FormInvalid) as refused:
        await register.add(person(group_ids=[int(group.key)]))
    assert refused.value.errors == {"group_ids": "a retired group cannot be added"}


async def test_the_notes_log_is_never_touched_by_the_form(register: Register) -> None:
    number = await register.add(person(notes="Vanha huomio"))
    async with register.database.write() as session:
        customer = await session.scalar(
            select(Customer).where(Customer.number == number)
        )
        assert customer is not None
        await append_note_log(session, customer, "Osoitemuutos päivitetty 1.7.2026")
        await append_note_log(session, customer, "Osoitemuutos\npäivitetty 2.7.2026")
    form, version = await register.edit(number)
    form.notes = ""
    await register.save(number, form, version)
    saved = await register.customer(number)
    assert saved.notes == ""
    assert saved.notes_log == (
        "Osoitemuutos päivitetty 1.7.2026\nOsoitemuutos päivitetty 2.7.2026"
    )
    assert "notes_log" not in (await register.events(number))[-1].changes


# -- Two operators at once ----------------------------------------------------


async def test_a_stale_save_is_refused_with_who_and_when_and_nothing_written(
    register: Register,
) -> None:
    number = await register.add(person())
    mine, version = await register.edit(number)
    theirs, _ = await register.edit(number)

    register.clock.advance(dt.timedelta(minutes=5))
    theirs.street = "Heidän katunsa 1"
    await register.save(number, theirs, version, by=register.other)
    saved_at = register.clock.now()

    register.clock.advance(dt.timedelta(minutes=5))
    mine.street = "Minun katuni 2"
    mine.email = "oma@example.fi"
    with pytest.raises(StaleSave) as refused:
        await register.save(number, mine, version)
    stale = refused.value
    assert stale.saved_by == "Olli Östman"
    assert stale.saved_at == saved_at
    assert stale.version == version + 1
    assert "Olli Östman saved this customer at" in str(stale)
    assert stale.values["saved_by"] == "Olli Östman"

    saved = await register.customer(number)
    assert (saved.street, saved.email) == ("Heidän katunsa 1", "")
    assert saved.version == version + 1
    assert [e.operator_id for e in await register.events(number)] == [
        register.admin.id,
        register.other.id,
    ]
    # Reloaded, the same change goes through.
    _, newest = await register.edit(number)
    await register.save(number, mine, newest)
    assert (await register.customer(number)).street == "Minun katuni 2"


async def test_concurrent_saves_of_one_customer_let_exactly_one_through(
    register: Register,
) -> None:
    number = await register.add(person())
    form, version = await register.edit(number)
    second = Database(register.database.url)
    try:
        forms = []
        for i in range(6):
            changed = dataclasses.replace(form, street=f"Katu {i}")
            forms.append(changed)
        results = await asyncio.gather(
            *(
                save_customer(
                    (register.database, second)[i % 2],
                    register.clock,
                    register.admin,
                    f,
                    number=number,
                    expected_version=version,
                )
                for i, f in enumerate(forms)
            ),
            return_exceptions=True,
        )
    finally:
        await second.close()
    assert sum(r == number for r in results) == 1
    assert all(isinstance(r, StaleSave) for r in results if r != number)
    assert (await register.customer(number)).version == version + 1
    assert len(await register.events(number)) == 2


async def test_many_saves_through_two_engines_at_once_all_go_through(
    register: Register,
) -> None:
    """Two processes' engines on the same register: no lock errors, no lost save.

    On SQLite both engines share one file; on PostgreSQL new customers race
    for the next number and retry.
    """
    existing = [await register.add(person(last_name=f"Vanha{i}")) for i in range(12)]
    opened = [await register.edit(n) for n in existing]
    second = Database(register.database.url)
    engines = (register.database, second)
    try:
        edits = [
            save_customer(
                engines[i % 2],
                register.clock,
                register.admin,
                dataclasses.replace(form, street=f"Muutettu {i}"),
                number=number,
                expected_version=version,
            )
            for i, (number, (form, version)) in enumerate(
                zip(existing, opened, strict=True)
            )
        ]
        additions = [
            save_customer(
                engines[i % 2],
                register.clock,
                register.seller,
                person(last_name=f"Uusi{i}"),
                number=None,
                expected_version=None,
            )
            for i in range(16)
        ]
        results = await asyncio.gather(*edits, *additions, return_exceptions=True)
    finally:
        await second.close()
    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == []
    assert results[: len(existing)] == existing
    new_numbers = results[len(existing) :]
    assert sorted(new_numbers) == list(range(existing[-1] + 1, existing[-1] + 17))
    async with register.database.read() as session:
        streets = dict(
            (await session.execute(select(Customer.number, Customer.street))).all()
        )
        events = await session.scalar(select(func.count()).select_from(Event))
        terms = await session.scalar(
            select(func.count(func.distinct(SearchTerm.customer_id)))
        )
    assert [streets[n] for n in existing] == [f"Muutettu {i}" for i in range(12)]
    assert len(streets) == 12 + 16
    assert events == 12 * 2 + 16
    assert terms == 12 + 16


# -- Reading back a card into the form ----------------------------------------


async def test_a_card_reads_back_into_the_form_it_was_saved_from(
    register: Register,
) -> None:
    database, admin = register.database, register.admin
    group = await add_entry(database, admin, ListKind.GROUPS, "Kuntalaiset")
    role = await add_entry(database, admin, ListKind.ROLES, "Päättäjä")
    typed = person(
        customer_type="company",
        company="Oy Ääni Ab",
        business_id="0737546-2",
        phone="040 123 4567",
        email="info@example.fi",
        discount_percent="12,5",
        invoice_delivery="einvoice",
        einvoice_address="003707375462",
        einvoice_operator="NDEAFIHH",
        consolidated_invoice=True,
        surcharge_exempt=True,
        salesperson_id=register.seller.id,
        payer=PayerForm(
            name="Maksaja Oy",
            street="Katu 1",
            postal_code="00100",
            post_town="Helsinki",
        ),
        consents={"post": ConsentForm("denied", "Puhelu", "1.11.2026")},
        role_ids=[int(role.key)],
        group_ids=[int(group.key)],
        free_grouping="Joulukortti",
        delivery_blocked=True,
        notes="Rivi 1\nRivi 2",
    )
    number = await register.add(typed)
    form, _ = await register.edit(number)
    assert form == typed
    assert form.original == typed


async def test_the_rows_of_a_register_stay_consistent_after_saves(
    register: Register,
) -> None:
    database, admin = register.database, register.admin
    role = await add_entry(database, admin, ListKind.ROLES, "Päättäjä")
    number = await register.add(person(role_ids=[int(role.key)]))
    form, version = await register.edit(number)
    form.role_ids = []
    await register.save(number, form, version)
    async with database.read() as session:
        assert await session.scalar(select(func.count()).select_from(Role)) == 1
        assert await session.scalar(select(func.count()).select_from(Group)) == 0
        assert await session.scalar(select(func.count()).select_from(Bundle)) == 0
    assert (await register.events(number))[-1].changes == {"roles": [["Päättäjä"], []]}


async def test_a_new_customer_takes_the_next_number_when_another_writer_took_it(
    register: Register,
) -> None:
    first = await register.add(person())
    other = Database(register.database.url)
    try:
        async with other.write() as session:
            now = register.clock.now()
            session.add(
                Customer(
                    number=first + 1,
                    customer_type="private",
                    last_name="Tuotu",
                    created_on=register.clock.today(),
                    updated_at=now,
                )
            )
            await session.flush()
            saving = asyncio.create_task(register.add(person(last_name="Odottaja")))
            # Whether or not the save reaches the number before this commit,
            # it must end with the next free one.
            await asyncio.sleep(0.3)
        number = await saving
    finally:
        await other.close()
    assert number == first + 2
    assert (await register.customer(number)).last_name == "Odottaja"
