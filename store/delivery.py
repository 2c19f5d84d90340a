"""The delivery rules: where a customer's papers go on a date, and why.

The rules are plain functions of a customer's delivery data and a date, so
the card's "effective state", the nightly run and the delivery lists ask
the same questions and can never disagree. Loading the data is separate
(:func:`load_delivery_data`), and so is the bundle list of the settings
(:func:`load_bundles`).

The address in effect on a date:

1. The standard address, with every address change that is still pending
   and due by that date applied in date order. The nightly run applies due
   changes to the customer row, but a list or a card for a date must not
   wait for it: a change due by the date counts even when the night has not
   run yet. A change already applied is the standard address; for a date
   before an applied change the register no longer knows the old address,
   so such dates use the current one.
2. A temporary address whose dates (inclusive) cover the date beats the
   standard address for papers. For other mail (invoices) it counts only
   when it is marked for all mail: :func:`mailing_address`.

Whether and how papers are delivered, in this order:

1. A customer on the block list gets nothing.
2. A suspension covering the date stops delivery; "until" is its last day,
   or the last day of the suspensions that follow it day after day.
3. A customer without a street address or a postal code cannot be
   delivered to.
4. An address abroad goes by post: no bundle crosses the border.
5. The early-delivery block sends the paper by post.
6. A forced bundle beats the bundle of the postal code, at the standard
   address. At a temporary address (the summer cottage) the postal code
   decides: the home route's carrier does not drive there.
7. The bundle that covers the postal code delivers it; a postal code no
   bundle covers goes by post.

A retired bundle delivers nothing: a customer forced to one falls back to
the postal-code rule, and a postal code mapped to one goes by post.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.cards import Address
from store.dates import format_date
from store.db import Database
from store.errors import N_, NotFound
from store.models import (
    AddressChange,
    Bundle,
    BundlePostalCode,
    Customer,
    Suspension,
    TemporaryAddress,
)

#: The country whose postal codes bundles cover.
HOME_COUNTRY = "FI"
#: Customer ids per query when delivery data is loaded in bulk.
IDS_PER_QUERY = 500


@dataclass(frozen=True)
class BundleRef:
    """An early-delivery bundle as the rules need it."""

    id: int
    code: str
    name: str
    retired: bool = False

    @property
    def label(self) -> str:
        """The bundle as operators read it: code and name."""
        return f"{self.code} {self.name}".strip()


#: Postal code to the bundle that covers it, from the settings.
BundleMap = Mapping[str, BundleRef]


@dataclass(frozen=True)
class TemporaryAddressData:
    """A temporary address between two dates, inclusive."""

    address: Address
    starts_on: dt.date
    ends_on: dt.date
    all_mail: bool = False

    def covers(self, on: dt.date) -> bool:
        """Whether the address is in force on ``on``."""
        return self.starts_on <= on <= self.ends_on


@dataclass(frozen=True)
class SuspensionData:
    """No delivery between two dates, inclusive."""

    starts_on: dt.date
    ends_on: dt.date

    def covers(self, on: dt.date) -> bool:
        """Whether delivery is stopped on ``on``."""
        return self.starts_on <= on <= self.ends_on


@dataclass(frozen=True)
class AddressChangeData:
    """A new standard address from ``effective_on``; applied ones are history."""

    address: Address
    effective_on: dt.date
    applied_on: dt.date | None = None


@dataclass(frozen=True)
class DeliveryData:
    """Everything the delivery rules read about one customer."""

    customer_id: int
    number: int
    name: str
    address: Address
    """The standard address as the customer row has it."""
    delivery_blocked: bool = False
    early_delivery_blocked: bool = False
    forced_bundle: BundleRef | None = None
    temporary_addresses: tuple[TemporaryAddressData, ...] = ()
    suspensions: tuple[SuspensionData, ...] = ()
    address_changes: tuple[AddressChangeData, ...] = ()


class AddressSource(enum.StrEnum):
    """Where the address in effect on a date comes from."""

    STANDARD = "standard"
    ADDRESS_CHANGE = "address_change"
    """A pending address change due by the date (not yet applied)."""
    TEMPORARY = "temporary"


class Route(enum.StrEnum):
    """How the papers travel."""

    BUNDLE = "bundle"
    POST = "post"
    NONE = "none"
    """Not delivered at all."""


class DeliveryReason(enum.StrEnum):
    """The rule that decided the route."""

    BLOCK_LIST = "block_list"
    SUSPENDED = "suspended"
    NO_ADDRESS = "no_address"
    ABROAD = "abroad"
    EARLY_DELIVERY_BLOCKED = "early_delivery_blocked"
    FORCED_BUNDLE = "forced_bundle"
    POSTAL_CODE_BUNDLE = "postal_code_bundle"
    POSTAL_CODE_NOT_COVERED = "postal_code_not_covered"


_MESSAGES: dict[DeliveryReason, str] = {
    DeliveryReason.BLOCK_LIST: N_("Not delivered: on the block list"),
    DeliveryReason.SUSPENDED: N_("Not delivered: suspended until {until}"),
    DeliveryReason.NO_ADDRESS: N_("Not delivered: the customer has no address"),
    DeliveryReason.ABROAD: N_("Delivered to {address} by post abroad"),
    DeliveryReason.EARLY_DELIVERY_BLOCKED: N_(
        "Delivered to {address} by post: early delivery is blocked"
    ),
    DeliveryReason.FORCED_BUNDLE: N_(
        "Delivered to {address} by bundle {bundle} (forced)"
    ),
    DeliveryReason.POSTAL_CODE_BUNDLE: N_("Delivered to {address} by bundle {bundle}"),
    DeliveryReason.POSTAL_CODE_NOT_COVERED: N_(
        "Delivered to {address} by post: no bundle covers postal code {postal_code}"
    ),
}


@dataclass(frozen=True)
class EffectiveState:
    """Where a customer's papers go on one date, and why.

    ``message`` is an English gettext message id; translate it, then fill
    in ``values`` (all strings, dates already as ``dd.mm.yyyy``).
    """

    on: dt.date
    delivered: bool
    route: Route
    reason: DeliveryReason
    address: Address
    """The address in effect on ``on``, also when nothing is delivered."""
    address_source: AddressSource
    bundle: BundleRef | None = None
    """The bundle that delivers, when ``route`` is ``BUNDLE``."""
    suspended_until: dt.date | None = None
    """The last day of the suspension, when ``reason`` is ``SUSPENDED``."""
    message: str = ""
    values: dict[str, str] = field(default_factory=dict)

    def describe(self, translate: Callable[[str], str] | None = None) -> str:
        """The message in the language of ``translate`` (English by default)."""
        text = translate(self.message) if translate is not None else self.message
        return text.format(**self.values) if self.values else text


def address_line(address: Address) -> str:
    """An address on one line: ``Katu 1 A 2, 00100 Helsinki``."""
    return ", ".join(address.lines())


def standard_address(data: DeliveryData, on: dt.date) -> tuple[Address, AddressSource]:
    """The standard address on ``on``, with pending changes due by then."""
    due = [
        change
        for change in data.address_changes
        if change.applied_on is None and change.effective_on <= on
    ]
    if not due:
        return data.address, AddressSource.STANDARD
    newest = max(due, key=lambda change: change.effective_on)
    return newest.address, AddressSource.ADDRESS_CHANGE


def temporary_address_on(
    data: DeliveryData, on: dt.date
) -> TemporaryAddressData | None:
    """The temporary address in force on ``on``, if any.

    Temporary addresses never overlap (the forms refuse it); should old data
    hold overlapping ones, the one that started last wins.
    """
    covering = [t for t in data.temporary_addresses if t.covers(on)]
    return max(covering, key=lambda t: t.starts_on) if covering else None


def effective_address(data: DeliveryData, on: dt.date) -> Address:
    """The address papers go to on ``on``: temporary over standard."""
    return _address_for_papers(data, on)[0]


def mailing_address(data: DeliveryData, on: dt.date) -> Address:
    """The address other mail (invoices) goes to on ``on``.

    A temporary address counts only when it is marked for all mail;
    otherwise this is the standard address, pending changes due by ``on``
    included.
    """
    temporary = temporary_address_on(data, on)
    if temporary is not None and temporary.all_mail:
        return temporary.address
    return standard_address(data, on)[0]


def suspended_until(data: DeliveryData, on: dt.date) -> dt.date | None:
    """The last day delivery stays stopped, when it is stopped on ``on``.

    Suspensions that follow one another day after day count as one.
    """
    ordered = sorted(data.suspensions, key=lambda s: s.starts_on)
    until: dt.date | None = None
    for suspension in ordered:
        if until is None:
            if suspension.covers(on):
                until = suspension.ends_on
        elif suspension.starts_on <= until + dt.timedelta(days=1):
            until = max(until, suspension.ends_on)
        else:
            break
    return until


def delivery_state(
    data: DeliveryData, on: dt.date, bundles: BundleMap
) -> EffectiveState:
    """Whether, where and how the customer's papers go on ``on``.

    Args:
        data: the customer's delivery data.
        on: the delivery date.
        bundles: postal code to bundle, from :func:`load_bundles`.
    """
    address, source = _address_for_papers(data, on)
    state = _State(on, address, source)
    if data.delivery_blocked:
        return state.none(DeliveryReason.BLOCK_LIST)
    until = suspended_until(data, on)
    if until is not None:
        return state.none(
            DeliveryReason.SUSPENDED, until=until, values={"until": format_date(until)}
        )
    if not (address.street and address.postal_code):
        return state.none(DeliveryReason.NO_ADDRESS)
    if (address.country or HOME_COUNTRY) != HOME_COUNTRY:
        return state.post(DeliveryReason.ABROAD)
    if data.early_delivery_blocked:
        return state.post(DeliveryReason.EARLY_DELIVERY_BLOCKED)
    forced = data.forced_bundle
    if forced is not None and not forced.retired and source != AddressSource.TEMPORARY:
        return state.bundle(DeliveryReason.FORCED_BUNDLE, forced)
    postal_code = address.postal_code.replace(" ", "")
    covering = bundles.get(postal_code)
    if covering is not None and not covering.retired:
        return state.bundle(DeliveryReason.POSTAL_CODE_BUNDLE, covering)
    return state.post(
        DeliveryReason.POSTAL_CODE_NOT_COVERED, values={"postal_code": postal_code}
    )


def _address_for_papers(
    data: DeliveryData, on: dt.date
) -> tuple[Address, AddressSource]:
    temporary = temporary_address_on(data, on)
    if temporary is not None:
        return temporary.address, AddressSource.TEMPORARY
    return standard_address(data, on)


@dataclass(frozen=True)
class _State:
    on: dt.date
    address: Address
    source: AddressSource

    def _make(
        self,
        route: Route,
        reason: DeliveryReason,
        bundle: BundleRef | None = None,
        until: dt.date | None = None,
        values: dict[str, str] | None = None,
    ) -> EffectiveState:
        filled = {"address": address_line(self.address), **(values or {})}
        if bundle is not None:
            filled["bundle"] = bundle.label
        return EffectiveState(
            on=self.on,
            delivered=route != Route.NONE,
            route=route,
            reason=reason,
            address=self.address,
            address_source=self.source,
            bundle=bundle,
            suspended_until=until,
            message=_MESSAGES[reason],
            values=filled,
        )

    def none(
        self,
        reason: DeliveryReason,
        *,
        until: dt.date | None = None,
        values: dict[str, str] | None = None,
    ) -> EffectiveState:
        return self._make(Route.NONE, reason, until=until, values=values)

    def post(
        self, reason: DeliveryReason, *, values: dict[str, str] | None = None
    ) -> EffectiveState:
        return self._make(Route.POST, reason, values=values)

    def bundle(self, reason: DeliveryReason, bundle: BundleRef) -> EffectiveState:
        return self._make(Route.BUNDLE, reason, bundle=bundle)


# Building the data from the register.


def _address_of(row: Customer | TemporaryAddress | AddressChange) -> Address:
    return Address(row.street, row.postal_code, row.post_town, row.country or "FI")


def delivery_data(
    customer: Customer,
    *,
    forced_bundle: BundleRef | None = None,
    temporary_addresses: Iterable[TemporaryAddress] = (),
    suspensions: Iterable[Suspension] = (),
    address_changes: Iterable[AddressChange] = (),
) -> DeliveryData:
    """The delivery data of ``customer`` and its records, as plain values."""
    return DeliveryData(
        customer_id=customer.id,
        number=customer.number,
        name=customer.display_name,
        address=_address_of(customer),
        delivery_blocked=customer.delivery_blocked,
        early_delivery_blocked=customer.early_delivery_blocked,
        forced_bundle=forced_bundle,
        temporary_addresses=tuple(
            TemporaryAddressData(_address_of(t), t.starts_on, t.ends_on, t.all_mail)
            for t in temporary_addresses
        ),
        suspensions=tuple(SuspensionData(s.starts_on, s.ends_on) for s in suspensions),
        address_changes=tuple(
            AddressChangeData(_address_of(a), a.effective_on, a.applied_on)
            for a in address_changes
        ),
    )


def _bundle_ref(bundle: Bundle) -> BundleRef:
    return BundleRef(bundle.id, bundle.code, bundle.name, bundle.retired)


async def load_bundle_refs(session: AsyncSession) -> dict[int, BundleRef]:
    """Every bundle of the settings, retired ones too, by id."""
    rows = (await session.scalars(select(Bundle).order_by(Bundle.code))).all()
    return {row.id: _bundle_ref(row) for row in rows}


async def load_bundles(
    session: AsyncSession, refs: Mapping[int, BundleRef] | None = None
) -> dict[str, BundleRef]:
    """The postal codes of the settings and the bundle that covers each."""
    by_id = refs if refs is not None else await load_bundle_refs(session)
    rows = await session.execute(
        select(BundlePostalCode.postal_code, BundlePostalCode.bundle_id)
    )
    return {
        code.replace(" ", ""): by_id[bundle_id]
        for code, bundle_id in rows
        if bundle_id in by_id
    }


async def load_delivery_data(
    session: AsyncSession,
    customers: Collection[Customer],
    *,
    on: dt.date | None = None,
    bundle_refs: Mapping[int, BundleRef] | None = None,
) -> dict[int, DeliveryData]:
    """The delivery data of ``customers``, by customer id.

    Args:
        session: an open session.
        customers: loaded customer rows.
        on: load only the records that can matter on this date (the lists
            of a day); ``None`` loads every record (the card).
        bundle_refs: the bundles by id, when the caller has them already.
    """
    refs = bundle_refs if bundle_refs is not None else await load_bundle_refs(session)
    ids = [c.id for c in customers]
    temporary: dict[int, list[TemporaryAddress]] = {}
    suspensions: dict[int, list[Suspension]] = {}
    changes: dict[int, list[AddressChange]] = {}
    for start in range(0, len(ids), IDS_PER_QUERY):
        chunk = ids[start : start + IDS_PER_QUERY]
        temporary_query = select(TemporaryAddress).where(
            TemporaryAddress.customer_id.in_(chunk)
        )
        suspension_query = select(Suspension).where(Suspension.customer_id.in_(chunk))
        change_query = select(AddressChange).where(AddressChange.customer_id.in_(chunk))
        if on is not None:
            temporary_query = temporary_query.where(
                TemporaryAddress.starts_on <= on, TemporaryAddress.ends_on >= on
            )
            # Later suspensions are needed too: "until" follows them.
            suspension_query = suspension_query.where(Suspension.ends_on >= on)
            change_query = change_query.where(
                AddressChange.applied_on.is_(None), AddressChange.effective_on <= on
            )
        for row in (await session.scalars(temporary_query)).all():
            temporary.setdefault(row.customer_id, []).append(row)
        for suspension in (await session.scalars(suspension_query)).all():
            suspensions.setdefault(suspension.customer_id, []).append(suspension)
        for change in (await session.scalars(change_query)).all():
            changes.setdefault(change.customer_id, []).append(change)
    return {
        c.id: delivery_data(
            c,
            forced_bundle=refs.get(c.forced_bundle_id)
            if c.forced_bundle_id is not None
            else None,
            temporary_addresses=temporary.get(c.id, ()),
            suspensions=suspensions.get(c.id, ()),
            address_changes=changes.get(c.id, ()),
        )
        for c in customers
    }


async def customer_delivery_data(
    session: AsyncSession, customer_id: int
) -> DeliveryData:
    """The delivery data of one customer, every record included.

    Raises:
        NotFound: there is no such customer.
    """
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(N_("There is no such customer."))
    return (await load_delivery_data(session, [customer]))[customer.id]


async def effective_state(
    database: Database, number: int, on: dt.date
) -> EffectiveState:
    """Where the papers of customer ``number`` go on ``on``, and why.

    For the card: call it with the clock's today and with a date the
    operator picks.

    Raises:
        NotFound: no customer has that number.
    """
    async with database.read() as session:
        customer = await session.scalar(
            select(Customer).where(Customer.number == number)
        )
        if customer is None:
            raise NotFound(N_("There is no customer {number}."), number=number)
        refs = await load_bundle_refs(session)
        bundles = await load_bundles(session, refs)
        data = (await load_delivery_data(session, [customer], bundle_refs=refs))[
            customer.id
        ]
    return delivery_state(data, on, bundles)
