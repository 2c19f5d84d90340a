"""The settings admins keep: lists, bundles, salespeople, products, surcharge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from store.cards import load_card
from store.clock import FixedClock
from store.db import Database
from store.editing import (
    ConsentForm,
    CustomerForm,
    FormInvalid,
    form_from_card,
    load_choices,
    offered,
    save_customer,
)
from store.errors import NotFound
from store.models import Customer, Operator, ProductKind, Subscription
from store.operators import add_operator
from store.settings import (
    ListKind,
    NotAdmin,
    SettingsError,
    Surcharge,
    add_entry,
    add_product,
    bundle_postal_codes,
    change_product,
    delete_entry,
    delete_product,
    get_surcharge,
    list_entries,
    list_products,
    list_salespeople,
    rename_entry,
    retire_entry,
    retire_product,
    set_bundle_postal_codes,
    set_salesperson,
    set_surcharge,
    unretire_entry,
    unretire_product,
)


@dataclass
class Admin:
    database: Database
    clock: FixedClock
    admin: Operator
    clerk: Operator

    async def customer(self, **fields: Any) -> int:
        form = CustomerForm(last_name="Mäkinen", **fields)
        return await save_customer(
            self.database,
            self.clock,
            self.admin,
            form,
            number=None,
            expected_version=None,
        )


@pytest.fixture
async def settings(database: Database, clock: FixedClock) -> Admin:
    admin = await add_operator(database, "anna", clock, name="Anna", is_admin=True)
    clerk = await add_operator(database, "olli", clock, name="Olli")
    return Admin(database, clock, admin, clerk)


async def test_a_new_register_has_the_built_in_lists_and_surcharge(
    database: Database,
) -> None:
    choices = await load_choices(database)
    assert [o.value for o in choices.customer_types] == [
        "private",
        "company",
        "ad_customer",
    ]
    assert len(choices.consent_sources) == 5
    assert await get_surcharge(database) == Surcharge(
        Decimal("5.00"), Decimal("0.00"), False
    )


def _calls(s: Admin, who: Operator) -> list[Callable[[], Awaitable[Any]]]:
    d = s.database
    return [
        lambda: list_entries(d, who, ListKind.GROUPS),
        lambda: add_entry(d, who, ListKind.GROUPS, "Uusi"),
        lambda: rename_entry(d, who, ListKind.CUSTOMER_TYPES, "private", "Yksityinen"),
        lambda: retire_entry(d, who, ListKind.CONSENT_CHANNELS, "sms"),
        lambda: unretire_entry(d, who, ListKind.CONSENT_CHANNELS, "sms"),
        lambda: delete_entry(d, who, ListKind.ROLES, 1),
        lambda: bundle_postal_codes(d, who, 1),
        lambda: set_bundle_postal_codes(d, who, 1, ["00100"]),
        lambda: list_salespeople(d, who),
        lambda: set_salesperson(d, who, who.id, True),
        lambda: list_products(d, who),
        lambda: add_product(
            d, who, code="HS", name="Sanomat", kind="publication", vat_percent="10"
        ),
        lambda: change_product(
            d, who, 1, code="HS", name="Sanomat", kind="publication", vat_percent="10"
        ),
        lambda: retire_product(d, who, 1),
        lambda: unretire_product(d, who, 1),
        lambda: delete_product(d, who, 1),
        lambda: set_surcharge(d, who, Surcharge(Decimal("3.00"))),
    ]


async def test_only_an_admin_may_see_or_change_the_settings(settings: Admin) -> None:
    for call in _calls(settings, settings.clerk):
        with pytest.raises(NotAdmin) as refused:
            await call()
        assert str(refused.value) == "only an admin can change the settings"
    assert await list_entries(settings.database, settings.admin, ListKind.GROUPS) == []
    assert (await get_surcharge(settings.database)).amount == Decimal("5.00")


async def test_an_admin_who_lost_the_right_is_refused(settings: Admin) -> None:
    async with settings.database.write() as session:
        admin = await session.get(Operator, settings.admin.id)
        assert admin is not None
        admin.is_admin = False
    # The caller still holds the object that says admin.
    assert settings.admin.is_admin
    with pytest.raises(NotAdmin):
        await add_entry(settings.database, settings.admin, ListKind.GROUPS, "Uusi")


@pytest.mark.parametrize(
    "kind", [ListKind.ROLES, ListKind.GROUPS, ListKind.CONSENT_SOURCES]
)
async def test_a_named_list_adds_renames_retires_and_deletes(
    settings: Admin, kind: ListKind
) -> None:
    d, admin = settings.database, settings.admin
    before = await list_entries(d, admin, kind)
    added = await add_entry(d, admin, kind, "  Äänekoskelaiset ")
    assert added.name == "Äänekoskelaiset" and not added.retired
    renamed = await rename_entry(d, admin, kind, added.key, "Ääneläiset")
    assert renamed.name == "Ääneläiset"
    await retire_entry(d, admin, kind, added.key)
    entries = await list_entries(d, admin, kind)
    assert next(e for e in entries if e.key == added.key).retired
    await unretire_entry(d, admin, kind, added.key)
    await delete_entry(d, admin, kind, added.key)
    assert await list_entries(d, admin, kind) == before
    with pytest.raises(NotFound):
        await delete_entry(d, admin, kind, added.key)


@pytest.mark.parametrize("kind", [ListKind.CUSTOMER_TYPES, ListKind.CONSENT_CHANNELS])
async def test_coded_lists_get_codes_from_names_and_keep_built_ins(
    settings: Admin, kind: ListKind
) -> None:
    d, admin = settings.database, settings.admin
    added = await add_entry(d, admin, kind, "Yhdistys Äänekoski")
    assert added.key == added.code == "yhdistys_aanekoski"
    again = await add_entry(d, admin, kind, "Yhdistys-äänekoski!", code="")
    assert again.code == "yhdistys_aanekoski_2"
    given = await add_entry(d, admin, kind, "Muu", code="other")
    assert given.key == "other"
    with pytest.raises(SettingsError) as refused:
        await add_entry(d, admin, kind, "Muu kaksi", code="Other Code")
    assert "small letters" in str(refused.value)

    built_in = "private" if kind is ListKind.CUSTOMER_TYPES else "email"
    with pytest.raises(SettingsError) as refused:
        await delete_entry(d, admin, kind, built_in)
    assert "can be retired but not deleted" in str(refused.value)
    await retire_entry(d, admin, kind, built_in)
    entries = {e.key: e for e in await list_entries(d, admin, kind)}
    assert entries[built_in].retired and entries[built_in].built_in
    await delete_entry(d, admin, kind, added.key)


async def test_names_are_unique_whatever_their_case(settings: Admin) -> None:
    d, admin = settings.database, settings.admin
    await add_entry(d, admin, ListKind.GROUPS, "Kuntalaiset")
    with pytest.raises(SettingsError) as refused:
        await add_entry(d, admin, ListKind.GROUPS, "KUNTALAISET")
    assert str(refused.value) == "there is already a group named Kuntalaiset"
    # ä is not a.
    await add_entry(d, admin, ListKind.GROUPS, "Äänestäjät")
    await add_entry(d, admin, ListKind.GROUPS, "Aanestajat")
    # The same name in another list is another thing.
    await add_entry(d, admin, ListKind.ROLES, "Kuntalaiset")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "{label} is missing"),
        ("   ", "{label} is missing"),
        ("x" * 101, "{label} is too long: at most {limit} characters"),
        ("Rivi\nkaksi", "{label} cannot have line breaks"),
    ],
)
async def test_a_wrong_name_is_refused(
    settings: Admin, name: str, message: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        await add_entry(settings.database, settings.admin, ListKind.ROLES, name)
    assert refused.value.message == message
    assert refused.value.values["label"] == "name"


async def test_a_value_in_use_is_not_deleted_but_may_be_retired(
    settings: Admin,
) -> None:
    d, admin = settings.database, settings.admin
    group = await add_entry(d, admin, ListKind.GROUPS, "Kesäasukkaat")
    role = await add_entry(d, admin, ListKind.ROLES, "Päättäjä")
    bundle = await add_entry(d, admin, ListKind.BUNDLES, "Keskusta", code="b1")
    kind = await add_entry(d, admin, ListKind.CUSTOMER_TYPES, "Yhdistys")
    channel = await add_entry(d, admin, ListKind.CONSENT_CHANNELS, "Uutiskirje")
    source = await add_entry(d, admin, ListKind.CONSENT_SOURCES, "Messut")
    number = await settings.customer(
        customer_type=kind.code,
        group_ids=[group.key],
        role_ids=[role.key],
        forced_bundle_id=bundle.key,
        consents={channel.code: ConsentForm("allowed", source.name, "1.12.2026")},
    )
    in_use = [
        (ListKind.GROUPS, group, "the group Kesäasukkaat is in use (customers: 1)"),
        (ListKind.ROLES, role, "the role Päättäjä is in use (customers: 1)"),
        (
            ListKind.BUNDLES,
            bundle,
            "the bundle Keskusta is in use (customers forced into it: 1)",
        ),
        (
            ListKind.CUSTOMER_TYPES,
            kind,
            "the customer type Yhdistys is in use (customers: 1)",
        ),
        (
            ListKind.CONSENT_CHANNELS,
            channel,
            "the channel Uutiskirje is in use (consent answers: 1)",
        ),
        (
            ListKind.CONSENT_SOURCES,
            source,
            "the consent source Messut is in use (consent answers: 1)",
        ),
    ]
    for list_kind, entry, message in in_use:
        with pytest.raises(SettingsError) as refused:
            await delete_entry(d, admin, list_kind, entry.key)
        assert str(refused.value) == f"{message}; retire it instead"
        await retire_entry(d, admin, list_kind, entry.key)

    # The card keeps every retired value, and saves again with them.
    card = await load_card(d, number, settings.clock)
    assert card.groups == ["Kesäasukkaat"] and card.forced_bundle == "B1 Keskusta"
    form = form_from_card(card)
    form.street = "Uusi katu 1"
    await save_customer(
        d,
        settings.clock,
        admin,
        form,
        number=number,
        expected_version=card.customer.version,
    )
    # New cards are not offered them, and may not take them.
    choices = await load_choices(d)
    assert group.key not in [o.value for o in offered(choices.groups)]
    assert [o.value for o in offered(choices.groups, keep=card.group_ids)] == [
        group.key
    ]
    with pytest.raises(FormInvalid) as refused_form:
        await settings.customer(group_ids=[group.key], customer_type=kind.code)
    assert set(refused_form.value.errors) == {"group_ids", "customer_type"}


async def test_bundles_cover_postal_codes_one_bundle_each(settings: Admin) -> None:
    d, admin = settings.database, settings.admin
    center = await add_entry(d, admin, ListKind.BUNDLES, "Keskusta", code="B1")
    north = await add_entry(d, admin, ListKind.BUNDLES, "Pohjoinen", code="B2")
    assert center.code == "B1"
    kept = await set_bundle_postal_codes(
        d, admin, int(center.key), [" 00120", "00100", "00100", ""]
    )
    assert kept == ["00100", "00120"]
    with pytest.raises(SettingsError) as refused:
        await set_bundle_postal_codes(d, admin, int(north.key), ["00500", "00120"])
    assert str(refused.value) == (
        "postal code 00120 is already in the bundle B1 Keskusta"
    )
    assert await bundle_postal_codes(d, admin, int(north.key)) == []
    with pytest.raises(SettingsError) as refused:
        await set_bundle_postal_codes(d, admin, int(north.key), ["0050"])
    assert str(refused.value) == "postal code must have five digits"

    # Once the first bundle lets a code go, another may take it.
    await set_bundle_postal_codes(d, admin, int(center.key), ["00100"])
    assert await set_bundle_postal_codes(d, admin, int(north.key), ["00120"]) == [
        "00120"
    ]
    # A deleted bundle lets its codes go.
    await delete_entry(d, admin, ListKind.BUNDLES, center.key)
    assert await set_bundle_postal_codes(d, admin, int(north.key), ["00100"]) == [
        "00100"
    ]


async def test_bundle_codes_are_unique_and_renamable(settings: Admin) -> None:
    d, admin = settings.database, settings.admin
    center = await add_entry(d, admin, ListKind.BUNDLES, "Keskusta", code="B1")
    await add_entry(d, admin, ListKind.BUNDLES, "Pohjoinen", code="B2")
    with pytest.raises(SettingsError) as refused:
        await add_entry(d, admin, ListKind.BUNDLES, "Etelä", code="b1")
    assert str(refused.value) == "the code B1 is already taken"
    with pytest.raises(SettingsError):
        await rename_entry(
            d, admin, ListKind.BUNDLES, center.key, "Keskusta", code="B2"
        )
    renamed = await rename_entry(
        d, admin, ListKind.BUNDLES, center.key, "Keskusta-Kallio", code="B10"
    )
    assert (renamed.code, renamed.name) == ("B10", "Keskusta-Kallio")
    with pytest.raises(SettingsError):
        await add_entry(d, admin, ListKind.BUNDLES, "Ilman koodia")


async def test_salespeople_are_operators_marked_to_sell(settings: Admin) -> None:
    d, admin, clerk = settings.database, settings.admin, settings.clerk
    await set_salesperson(d, admin, clerk.id, True)
    sellers = {e.login: e.is_salesperson for e in await list_salespeople(d, admin)}
    assert sellers == {"anna": False, "olli": True}
    number = await settings.customer(salesperson_id=clerk.id)

    await set_salesperson(d, admin, clerk.id, False)
    choices = await load_choices(d)
    assert next(o for o in choices.salespeople if o.value == clerk.id).retired
    # The customer keeps the salesperson; a new customer cannot have them.
    async with d.read() as session:
        kept = await session.scalar(
            select(Customer.salesperson_id).where(Customer.number == number)
        )
    assert kept == clerk.id
    with pytest.raises(FormInvalid):
        await settings.customer(salesperson_id=clerk.id)
    with pytest.raises(NotFound):
        await set_salesperson(d, admin, 9999, True)


async def test_products_are_kept_with_kind_and_vat(settings: Admin) -> None:
    d, admin = settings.database, settings.admin
    paper = await add_product(
        d, admin, code="hs", name=" Sanomat ", kind="publication", vat_percent="14"
    )
    assert (paper.code, paper.name, paper.kind) == (
        "HS",
        "Sanomat",
        ProductKind.PUBLICATION,
    )
    ad = await add_product(
        d, admin, code="ILM", name="Ilmoitus", kind=ProductKind.AD, vat_percent="25,5 %"
    )
    assert ad.vat_percent == Decimal("25.50")
    with pytest.raises(SettingsError) as refused:
        await add_product(
            d, admin, code="HS", name="Toinen", kind="ad", vat_percent="0"
        )
    assert str(refused.value) == "the code HS is already taken"
    for kind, vat, message in [
        ("radio", "10", "a product is a publication or an ad product"),
        ("ad", "101", "VAT percent must be between 0 and 100"),
        ("ad", "-1", "VAT percent must be a number"),
        ("ad", "10,555", "VAT percent can have at most two decimals"),
        ("ad", "", "VAT percent is missing"),
    ]:
        with pytest.raises(SettingsError) as refused:
            await add_product(d, admin, code="X", name="X", kind=kind, vat_percent=vat)
        assert str(refused.value) == message

    changed = await change_product(
        d, admin, ad.id, code="ILM", name="Ilmoitukset", kind="ad", vat_percent="24"
    )
    assert (changed.name, changed.vat_percent) == ("Ilmoitukset", Decimal("24.00"))
    await retire_product(d, admin, ad.id)
    retired = {p.code: p.retired for p in await list_products(d, admin)}
    assert retired == {"HS": False, "ILM": True}
    await unretire_product(d, admin, ad.id)
    await delete_product(d, admin, ad.id)
    assert [p.code for p in await list_products(d, admin)] == ["HS"]


async def test_a_product_with_subscriptions_is_not_deleted(settings: Admin) -> None:
    d, admin = settings.database, settings.admin
    paper = await add_product(
        d, admin, code="HS", name="Sanomat", kind="publication", vat_percent="14"
    )
    number = await settings.customer()
    async with d.write() as session:
        customer_id = await session.scalar(
            select(Customer.id).where(Customer.number == number)
        )
        assert customer_id is not None
        session.add(
            Subscription(
                number=1,
                product_id=paper.id,
                subscriber_id=customer_id,
                payer_id=customer_id,
                starts_on=dt.date(2026, 1, 1),
                unit_price=Decimal("29.90"),
            )
        )
    with pytest.raises(SettingsError) as refused:
        await delete_product(d, admin, paper.id)
    assert str(refused.value) == (
        "the product Sanomat is in use (subscriptions: 1); retire it instead"
    )
    await retire_product(d, admin, paper.id)
    [kept] = await list_products(d, admin)
    assert kept.retired


async def test_the_surcharge_is_set_and_read_back(settings: Admin) -> None:
    d, admin = settings.database, settings.admin
    kept = await set_surcharge(
        d, admin, Surcharge(Decimal("4.9"), Decimal("50"), only_ad_invoices=True)
    )
    assert kept == Surcharge(Decimal("4.90"), Decimal("50.00"), True)
    assert await get_surcharge(d) == kept
    await set_surcharge(d, admin, Surcharge(Decimal("0"), Decimal("0")))
    assert await get_surcharge(d) == Surcharge(Decimal("0.00"), Decimal("0.00"), False)
    for wrong, message in [
        (Surcharge(Decimal("-1")), "amount cannot be negative"),
        (Surcharge(Decimal("1.005")), "amount can have at most two decimals"),
        (Surcharge(Decimal("1"), Decimal("-0.01")), "amount cannot be negative"),
        (Surcharge(Decimal("NaN")), "amount must be a number of euros"),
    ]:
        with pytest.raises(SettingsError) as refused:
            await set_surcharge(d, admin, wrong)
        assert str(refused.value) == message
    assert (await get_surcharge(d)).amount == Decimal("0.00")
