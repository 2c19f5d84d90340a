"""The register's settings, kept by admins.

The lists the card chooses from (customer types, roles, groups, consent
channels and sources, early-delivery bundles with their postal codes), the
operators who sell, the products, and the paper-invoice surcharge.

Every function that shows or changes the settings takes the acting
operator and refuses anyone who is not an active admin, checked against
the register rather than the operator object the caller holds. Only
:func:`get_surcharge` is open to all: invoicing needs it.

A value in use cannot be deleted, only retired: a retired value stays on
the cards that have it but is no longer offered for new choices. The
built-in customer types and channels can be retired but never deleted,
since the code knows them by their codes.

Decisions where the sources are silent:

- Names are unique within a list whatever their case (``Kuntalaiset`` and
  ``kuntalaiset`` are one group); ``ä`` and ``a`` stay apart.
- A new customer type or channel gets a code made from its name unless the
  admin gives one; codes never change, names may.
- Deleting a bundle removes the postal codes it covered; the codes are then
  free for another bundle.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from store import validation
from store.db import Database
from store.errors import N_, KortistoError, NotFound
from store.field_checks import validate_euros, validate_vat_percent
from store.models import (
    Bundle,
    BundlePostalCode,
    Consent,
    ConsentChannelOption,
    ConsentSource,
    Customer,
    CustomerGroup,
    CustomerRole,
    CustomerTypeOption,
    Group,
    Operator,
    Product,
    ProductKind,
    Role,
    Setting,
    Subscription,
)
from store.text import fold
from store.validation import FieldError, clean_text

log = logging.getLogger(__name__)
T = TypeVar("T")

SURCHARGE_KEY = "surcharge"
_NAME_LENGTH = 100
_CODE_LENGTH = 20


class SettingsError(KortistoError):
    """A settings change that cannot be made, with the reason."""


class NotAdmin(SettingsError):
    """The acting operator is not an admin."""

    def __init__(self) -> None:
        super().__init__(N_("only an admin can change the settings"))


class ListKind(enum.StrEnum):
    """The lists of choices the settings keep."""

    CUSTOMER_TYPES = "customer_types"
    ROLES = "roles"
    GROUPS = "groups"
    CONSENT_CHANNELS = "consent_channels"
    CONSENT_SOURCES = "consent_sources"
    BUNDLES = "bundles"


@dataclass(frozen=True)
class ListEntry:
    """One entry of a settings list.

    ``key`` is the code for customer types and channels, the id for the
    others; ``code`` is empty where the list has none (roles, groups,
    sources).
    """

    key: str | int
    name: str
    code: str = ""
    retired: bool = False
    built_in: bool = False


@dataclass(frozen=True)
class SalespersonEntry:
    """An operator, and whether they sell."""

    operator_id: int
    login: str
    name: str
    is_salesperson: bool
    active: bool


@dataclass(frozen=True)
class ProductEntry:
    """A product as the settings show it."""

    id: int
    code: str
    name: str
    kind: ProductKind
    vat_percent: Decimal
    retired: bool


@dataclass(frozen=True)
class Surcharge:
    """The paper-invoice surcharge and its limits."""

    amount: Decimal = Decimal("5.00")
    """Added to a paper invoice of a payer who is not exempt."""
    minimum_total: Decimal = Decimal("0.00")
    """Only invoices of at least this total get it; zero means all."""
    only_ad_invoices: bool = False
    """Only invoices of ad products get it."""


# -- Who may ------------------------------------------------------------------


async def _require_admin(session: AsyncSession, operator: Operator) -> None:
    # The caller's object may be hours old: ask the register.
    found = await session.get(Operator, operator.id, populate_existing=True)
    if found is None or not (found.is_admin and found.active):
        raise NotAdmin()


# -- The lists ----------------------------------------------------------------


_MODELS: dict[ListKind, Any] = {
    ListKind.CUSTOMER_TYPES: CustomerTypeOption,
    ListKind.ROLES: Role,
    ListKind.GROUPS: Group,
    ListKind.CONSENT_CHANNELS: ConsentChannelOption,
    ListKind.CONSENT_SOURCES: ConsentSource,
    ListKind.BUNDLES: Bundle,
}
_CODED = (ListKind.CUSTOMER_TYPES, ListKind.CONSENT_CHANNELS)
"""Lists keyed by a code the admin may give; the others by an id."""

_TAKEN = {
    ListKind.CUSTOMER_TYPES: N_("there is already a customer type named {name}"),
    ListKind.ROLES: N_("there is already a role named {name}"),
    ListKind.GROUPS: N_("there is already a group named {name}"),
    ListKind.CONSENT_CHANNELS: N_("there is already a channel named {name}"),
    ListKind.CONSENT_SOURCES: N_("there is already a consent source named {name}"),
    ListKind.BUNDLES: N_("there is already a bundle named {name}"),
}
_IN_USE = {
    ListKind.CUSTOMER_TYPES: N_(
        "the customer type {name} is in use (customers: {count}); retire it instead"
    ),
    ListKind.ROLES: N_(
        "the role {name} is in use (customers: {count}); retire it instead"
    ),
    ListKind.GROUPS: N_(
        "the group {name} is in use (customers: {count}); retire it instead"
    ),
    ListKind.CONSENT_CHANNELS: N_(
        "the channel {name} is in use (consent answers: {count}); retire it instead"
    ),
    ListKind.CONSENT_SOURCES: N_(
        "the consent source {name} is in use (consent answers: {count}); "
        "retire it instead"
    ),
    ListKind.BUNDLES: N_(
        "the bundle {name} is in use (customers forced into it: {count}); "
        "retire it instead"
    ),
}
_MISSING = {
    ListKind.CUSTOMER_TYPES: N_("there is no such customer type"),
    ListKind.ROLES: N_("there is no such role"),
    ListKind.GROUPS: N_("there is no such group"),
    ListKind.CONSENT_CHANNELS: N_("there is no such channel"),
    ListKind.CONSENT_SOURCES: N_("there is no such consent source"),
    ListKind.BUNDLES: N_("there is no such bundle"),
}
_CODE = re.compile(r"[a-z0-9_]+")


def _entry(kind: ListKind, row: Any) -> ListEntry:
    if kind in _CODED:
        return ListEntry(row.code, row.name, row.code, row.retired, row.built_in)
    if kind is ListKind.BUNDLES:
        return ListEntry(row.id, row.name, row.code, row.retired)
    return ListEntry(row.id, row.name, "", row.retired)


def _order(kind: ListKind) -> Any:
    model = _MODELS[kind]
    if kind in _CODED:
        return (model.built_in.desc(), model.name)
    if kind is ListKind.BUNDLES:
        return (model.code,)
    return (model.name,)


def _same_name(a: str, b: str) -> bool:
    return unicodedata.normalize("NFC", a).casefold() == (
        unicodedata.normalize("NFC", b).casefold()
    )


def _checked(run: Callable[[], T], label: str = "") -> T:
    try:
        return run()
    except FieldError as error:
        values = dict(error.values)
        if label and "label" in values:
            values["label"] = label
        raise SettingsError(error.message, **values) from None


def _clean_name(name: str) -> str:
    return _checked(
        lambda: clean_text(name, "name", max_length=_NAME_LENGTH, required=True),
        N_("name"),
    )


async def _get(session: AsyncSession, kind: ListKind, key: str | int) -> Any:
    row = await session.get(_MODELS[kind], key)
    if row is None:
        raise NotFound(_MISSING[kind])
    return row


async def _refuse_taken_name(
    session: AsyncSession, kind: ListKind, name: str, key: str | int | None
) -> None:
    model = _MODELS[kind]
    rows = (await session.scalars(select(model))).all()
    for row in rows:
        row_key = row.code if kind in _CODED else row.id
        if row_key != key and _same_name(row.name, name):
            raise SettingsError(_TAKEN[kind], name=row.name)


def _code_from(name: str) -> str:
    code = re.sub(r"[^a-z0-9]+", "_", fold(name)).strip("_")
    return code[:_CODE_LENGTH].rstrip("_") or "type"


async def _free_code(session: AsyncSession, kind: ListKind, wanted: str) -> str:
    model = _MODELS[kind]
    code, suffix = wanted, 1
    while await session.get(model, code) is not None:
        suffix += 1
        tail = f"_{suffix}"
        code = wanted[: _CODE_LENGTH - len(tail)] + tail
    return code


def _clean_code(code: str, kind: ListKind) -> str:
    if kind is ListKind.BUNDLES:
        text = _checked(
            lambda: clean_text(code, "code", max_length=_CODE_LENGTH, required=True),
            N_("code"),
        )
        return str(text).upper()
    text = str(
        _checked(lambda: clean_text(code, "code", max_length=_CODE_LENGTH), N_("code"))
    )
    if text and not _CODE.fullmatch(text):
        raise SettingsError(
            N_("a code may have only small letters a-z, digits and underscores")
        )
    return text


async def list_entries(
    database: Database, operator: Operator, kind: ListKind
) -> list[ListEntry]:
    """Every entry of the list ``kind``, retired ones included."""
    async with database.read() as session:
        await _require_admin(session, operator)
        model = _MODELS[kind]
        rows = (await session.scalars(select(model).order_by(*_order(kind)))).all()
    return [_entry(kind, row) for row in rows]


async def add_entry(
    database: Database,
    operator: Operator,
    kind: ListKind,
    name: str,
    *,
    code: str = "",
) -> ListEntry:
    """Add ``name`` to the list ``kind``.

    Args:
        database: the register.
        operator: the admin making the change.
        kind: the list.
        name: what operators read.
        code: for customer types and channels, the code kept on the cards
            (made from the name when empty); for bundles, the bundle's code,
            required.

    Raises:
        NotAdmin: the operator is not an admin.
        SettingsError: the name or code is wrong or already taken.
    """
    name = _clean_name(name)
    code = _clean_code(code, kind)
    async with database.write() as session:
        await _require_admin(session, operator)
        await _refuse_taken_name(session, kind, name, None)
        model = _MODELS[kind]
        row: Any
        if kind in _CODED:
            if code and await session.get(model, code) is not None:
                raise SettingsError(N_("the code {code} is already taken"), code=code)
            code = code or await _free_code(session, kind, _code_from(name))
            row = model(code=code, name=name, built_in=False, retired=False)
        elif kind is ListKind.BUNDLES:
            await _refuse_taken_bundle_code(session, code, None)
            row = Bundle(code=code, name=name, retired=False)
        else:
            row = model(name=name, retired=False)
        session.add(row)
        await session.flush()
        entry = _entry(kind, row)
    log.info("settings: %s added to %s by %s", entry.key, kind, operator.login)
    return entry


async def _refuse_taken_bundle_code(
    session: AsyncSession, code: str, bundle_id: int | None
) -> None:
    other = await session.scalar(select(Bundle).where(Bundle.code == code))
    if other is not None and other.id != bundle_id:
        raise SettingsError(N_("the code {code} is already taken"), code=code)


async def rename_entry(
    database: Database,
    operator: Operator,
    kind: ListKind,
    key: str | int,
    name: str,
    *,
    code: str | None = None,
) -> ListEntry:
    """Rename the entry ``key`` of ``kind``; a bundle may get a new ``code``.

    The cards show the new name at once: they keep the entry, not its name.
    Consent answers given before keep the source's name they were given
    with, as history does.

    Raises:
        NotAdmin: the operator is not an admin.
        NotFound: there is no such entry.
        SettingsError: the name or code is wrong or already taken.
    """
    name = _clean_name(name)
    new_code = None if code is None else _clean_code(code, ListKind.BUNDLES)
    async with database.write() as session:
        await _require_admin(session, operator)
        row = await _get(session, kind, key)
        await _refuse_taken_name(session, kind, name, key)
        if kind is ListKind.BUNDLES and new_code is not None:
            await _refuse_taken_bundle_code(session, new_code, row.id)
            row.code = new_code
        row.name = name
        await session.flush()
        return _entry(kind, row)


async def retire_entry(
    database: Database, operator: Operator, kind: ListKind, key: str | int
) -> None:
    """Stop offering the entry ``key``; the cards that have it keep it."""
    await _set_retired(database, operator, kind, key, True)


async def unretire_entry(
    database: Database, operator: Operator, kind: ListKind, key: str | int
) -> None:
    """Offer the retired entry ``key`` again."""
    await _set_retired(database, operator, kind, key, False)


async def _set_retired(
    database: Database,
    operator: Operator,
    kind: ListKind,
    key: str | int,
    retired: bool,
) -> None:
    async with database.write() as session:
        await _require_admin(session, operator)
        row = await _get(session, kind, key)
        row.retired = retired


async def _uses(session: AsyncSession, kind: ListKind, row: Any) -> int:
    counted: Any
    if kind is ListKind.CUSTOMER_TYPES:
        counted = select(func.count()).where(Customer.customer_type == row.code)
    elif kind is ListKind.ROLES:
        counted = select(func.count()).where(CustomerRole.role_id == row.id)
    elif kind is ListKind.GROUPS:
        counted = select(func.count()).where(CustomerGroup.group_id == row.id)
    elif kind is ListKind.CONSENT_CHANNELS:
        counted = select(func.count()).where(Consent.channel == row.code)
    elif kind is ListKind.CONSENT_SOURCES:
        counted = select(func.count()).where(Consent.source == row.name)
    else:
        counted = select(func.count()).where(Customer.forced_bundle_id == row.id)
    return int(await session.scalar(counted) or 0)


async def delete_entry(
    database: Database, operator: Operator, kind: ListKind, key: str | int
) -> None:
    """Delete the entry ``key`` of ``kind`` if nothing uses it.

    Raises:
        NotAdmin: the operator is not an admin.
        NotFound: there is no such entry.
        SettingsError: the entry is built in, or in use (retire it instead).
    """
    async with database.write() as session:
        await _require_admin(session, operator)
        row = await _get(session, kind, key)
        if kind in _CODED and row.built_in:
            raise SettingsError(
                N_("{name} is built in: it can be retired but not deleted"),
                name=row.name,
            )
        count = await _uses(session, kind, row)
        if count:
            raise SettingsError(_IN_USE[kind], name=row.name, count=count)
        await session.delete(row)
    log.info("settings: %s deleted from %s by %s", key, kind, operator.login)


# -- Bundles' postal codes ----------------------------------------------------


async def bundle_postal_codes(
    database: Database, operator: Operator, bundle_id: int
) -> list[str]:
    """The postal codes whose early delivery goes in the bundle, in order."""
    async with database.read() as session:
        await _require_admin(session, operator)
        await _get(session, ListKind.BUNDLES, bundle_id)
        codes = await session.scalars(
            select(BundlePostalCode.postal_code)
            .where(BundlePostalCode.bundle_id == bundle_id)
            .order_by(BundlePostalCode.postal_code)
        )
        return list(codes.all())


def _postal_code(code: str) -> str:
    return _checked(lambda: validation.validate_postal_code(code))


async def set_bundle_postal_codes(
    database: Database, operator: Operator, bundle_id: int, codes: Iterable[str]
) -> list[str]:
    """Make ``codes`` the Finnish postal codes the bundle covers, no others.

    A postal code belongs to at most one bundle.

    Returns:
        The codes kept, in order.

    Raises:
        NotAdmin: the operator is not an admin.
        NotFound: there is no such bundle.
        SettingsError: a code is not a postal code, or another bundle (named
            in the message) already covers it.
    """
    wanted = sorted({_postal_code(code) for code in codes} - {""})
    async with database.write() as session:
        await _require_admin(session, operator)
        bundle = await _get(session, ListKind.BUNDLES, bundle_id)
        if wanted:
            taken = await session.execute(
                select(BundlePostalCode.postal_code, Bundle.code, Bundle.name)
                .join(Bundle, Bundle.id == BundlePostalCode.bundle_id)
                .where(
                    BundlePostalCode.postal_code.in_(wanted),
                    BundlePostalCode.bundle_id != bundle_id,
                )
                .order_by(BundlePostalCode.postal_code)
            )
            clash = taken.first()
            if clash is not None:
                raise SettingsError(
                    N_("postal code {postal_code} is already in the bundle {bundle}"),
                    postal_code=clash.postal_code,
                    bundle=f"{clash.code} {clash.name}",
                )
        await session.execute(
            delete(BundlePostalCode).where(BundlePostalCode.bundle_id == bundle.id)
        )
        if wanted:
            await session.execute(
                insert(BundlePostalCode),
                [{"postal_code": c, "bundle_id": bundle.id} for c in wanted],
            )
    return wanted


# -- Salespeople --------------------------------------------------------------


async def list_salespeople(
    database: Database, operator: Operator
) -> list[SalespersonEntry]:
    """Every operator, with whether they sell."""
    async with database.read() as session:
        await _require_admin(session, operator)
        rows = (await session.scalars(select(Operator))).all()
    return sorted(
        (
            SalespersonEntry(o.id, o.login, o.name, o.is_salesperson, o.active)
            for o in rows
        ),
        key=lambda e: ((e.name or e.login).casefold(), e.login),
    )


async def set_salesperson(
    database: Database, operator: Operator, operator_id: int, is_salesperson: bool
) -> None:
    """Mark the operator ``operator_id`` as one who sells, or not.

    An operator who stops selling stays the salesperson of the customers
    who have them, and is no longer offered for new ones.
    """
    async with database.write() as session:
        await _require_admin(session, operator)
        seller = await session.get(Operator, operator_id)
        if seller is None:
            raise NotFound(N_("there is no such operator"))
        seller.is_salesperson = is_salesperson


# -- Products -----------------------------------------------------------------


def _product_entry(row: Product) -> ProductEntry:
    return ProductEntry(
        row.id,
        row.code,
        row.name,
        ProductKind(row.kind),
        Decimal(row.vat_percent).quantize(Decimal("0.01")),
        row.retired,
    )


def _product_kind(kind: ProductKind | str) -> ProductKind:
    try:
        return ProductKind(kind)
    except ValueError:
        raise SettingsError(N_("a product is a publication or an ad product")) from None


async def list_products(database: Database, operator: Operator) -> list[ProductEntry]:
    """Every product, retired ones included, by code."""
    async with database.read() as session:
        await _require_admin(session, operator)
        rows = (await session.scalars(select(Product).order_by(Product.code))).all()
    return [_product_entry(row) for row in rows]


async def add_product(
    database: Database,
    operator: Operator,
    *,
    code: str,
    name: str,
    kind: ProductKind | str,
    vat_percent: Decimal | str,
) -> ProductEntry:
    """Add a product.

    Raises:
        NotAdmin: the operator is not an admin.
        SettingsError: a value is wrong, or the code is taken.
    """
    values = _product_values(code, name, kind, vat_percent)
    async with database.write() as session:
        await _require_admin(session, operator)
        await _refuse_taken_product_code(session, values["code"], None)
        row = Product(**values, retired=False)
        session.add(row)
        await session.flush()
        return _product_entry(row)


def _product_values(
    code: str, name: str, kind: ProductKind | str, vat_percent: Decimal | str
) -> dict[str, Any]:
    return {
        "code": _clean_code(code, ListKind.BUNDLES),
        "name": _checked(
            lambda: clean_text(name, "name", max_length=200, required=True),
            N_("name"),
        ),
        "kind": _product_kind(kind),
        "vat_percent": _checked(lambda: validate_vat_percent(vat_percent)),
    }


async def _refuse_taken_product_code(
    session: AsyncSession, code: str, product_id: int | None
) -> None:
    other = await session.scalar(select(Product).where(Product.code == code))
    if other is not None and other.id != product_id:
        raise SettingsError(N_("the code {code} is already taken"), code=code)


async def change_product(
    database: Database,
    operator: Operator,
    product_id: int,
    *,
    code: str,
    name: str,
    kind: ProductKind | str,
    vat_percent: Decimal | str,
) -> ProductEntry:
    """Change a product's code, name, kind and VAT percent.

    Raises:
        NotAdmin: the operator is not an admin.
        NotFound: there is no such product.
        SettingsError: a value is wrong, or the code is taken.
    """
    values = _product_values(code, name, kind, vat_percent)
    async with database.write() as session:
        await _require_admin(session, operator)
        row = await _get_product(session, product_id)
        await _refuse_taken_product_code(session, values["code"], product_id)
        for attribute, value in values.items():
            setattr(row, attribute, value)
        await session.flush()
        return _product_entry(row)


async def _get_product(session: AsyncSession, product_id: int) -> Product:
    row = await session.get(Product, product_id)
    if row is None:
        raise NotFound(N_("there is no such product"))
    return row


async def retire_product(
    database: Database, operator: Operator, product_id: int, retired: bool = True
) -> None:
    """Stop offering the product for new subscriptions (or offer it again)."""
    async with database.write() as session:
        await _require_admin(session, operator)
        row = await _get_product(session, product_id)
        row.retired = retired


async def unretire_product(
    database: Database, operator: Operator, product_id: int
) -> None:
    """Offer the retired product again."""
    await retire_product(database, operator, product_id, retired=False)


async def delete_product(
    database: Database, operator: Operator, product_id: int
) -> None:
    """Delete a product no subscription has.

    Raises:
        NotAdmin: the operator is not an admin.
        NotFound: there is no such product.
        SettingsError: subscriptions have the product (retire it instead).
    """
    async with database.write() as session:
        await _require_admin(session, operator)
        row = await _get_product(session, product_id)
        count = await session.scalar(
            select(func.count()).where(Subscription.product_id == product_id)
        )
        if count:
            raise SettingsError(
                N_(
                    "the product {name} is in use (subscriptions: {count}); "
                    "retire it instead"
                ),
                name=row.name,
                count=count,
            )
        await session.delete(row)


# -- The surcharge ------------------------------------------------------------


async def get_surcharge(database: Database) -> Surcharge:
    """The paper-invoice surcharge in force (the default when never set)."""
    async with database.read() as session:
        value = await session.scalar(
            select(Setting.value).where(Setting.key == SURCHARGE_KEY)
        )
    if not isinstance(value, dict):
        return Surcharge()
    default = Surcharge()
    return Surcharge(
        amount=Decimal(str(value.get("amount", default.amount))),
        minimum_total=Decimal(str(value.get("minimum_total", default.minimum_total))),
        only_ad_invoices=bool(value.get("only_ad_invoices", default.only_ad_invoices)),
    )


async def set_surcharge(
    database: Database, operator: Operator, surcharge: Surcharge
) -> Surcharge:
    """Save the paper-invoice surcharge.

    Returns:
        The surcharge as kept (amounts to two decimals).

    Raises:
        NotAdmin: the operator is not an admin.
        SettingsError: an amount is negative or not in whole cents.
    """
    kept = dataclasses.replace(
        surcharge,
        amount=_checked(lambda: validate_euros(surcharge.amount, "amount")),
        minimum_total=_checked(
            lambda: validate_euros(surcharge.minimum_total, "minimum_total"),
        ),
        only_ad_invoices=bool(surcharge.only_ad_invoices),
    )
    value = {
        "amount": str(kept.amount),
        "minimum_total": str(kept.minimum_total),
        "only_ad_invoices": kept.only_ad_invoices,
    }
    async with database.write() as session:
        await _require_admin(session, operator)
        row = await session.get(Setting, SURCHARGE_KEY)
        if row is None:
            session.add(Setting(key=SURCHARGE_KEY, value=value))
        else:
            row.value = value
    log.info("settings: surcharge set by %s", operator.login)
    return kept
