"""The delivery rules over a calendar, as plain functions: no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from store.cards import Address
from store.delivery import (
    AddressChangeData,
    AddressSource,
    BundleRef,
    DeliveryData,
    DeliveryReason,
    Route,
    SuspensionData,
    TemporaryAddressData,
    delivery_state,
    effective_address,
    mailing_address,
    suspended_until,
)

D = dt.date

HOME = Address("Mannerheimintie 5 A 1", "00100", "Helsinki")
NEW_HOME = Address("Hämeentie 10", "00530", "Helsinki")
COTTAGE = Address("Mökkitie 3", "41800", "Korpilahti")
AUNT = Address("Kauppakatu 2", "40100", "Jyväskylä")
ABROAD = Address("Calle Mayor 1", "29600", "Marbella", "ES")

CENTRE = BundleRef(1, "H1", "Helsinki keskusta")
SÖRNÄINEN = BundleRef(2, "H2", "Sörnäinen")
JYVÄSKYLÄ = BundleRef(3, "J1", "Jyväskylä")
FORCED = BundleRef(4, "F9", "Reitti 9")
RETIRED = BundleRef(5, "X1", "Lakkautettu", retired=True)

BUNDLES = {"00100": CENTRE, "00530": SÖRNÄINEN, "40100": JYVÄSKYLÄ}

#: A year in the life of one subscriber: a holiday over the year change, a
#: cottage over the leap day, a move inside a suspension, and a visit to an
#: aunt inside another suspension.
CALENDAR = DeliveryData(
    customer_id=1,
    number=100001,
    name="Virtanen Maija",
    address=HOME,
    temporary_addresses=(
        TemporaryAddressData(COTTAGE, D(2028, 2, 28), D(2028, 3, 1)),
        TemporaryAddressData(AUNT, D(2028, 8, 10), D(2028, 8, 20)),
    ),
    suspensions=(
        SuspensionData(D(2027, 12, 30), D(2028, 1, 2)),
        SuspensionData(D(2028, 6, 28), D(2028, 7, 3)),
        SuspensionData(D(2028, 8, 1), D(2028, 8, 31)),
    ),
    address_changes=(AddressChangeData(NEW_HOME, D(2028, 7, 1)),),
)

BUNDLE, POST, NONE = Route.BUNDLE, Route.POST, Route.NONE


@pytest.mark.parametrize(
    ("on", "route", "bundle", "address", "until"),
    [
        # A holiday over the year change.
        (D(2027, 12, 29), BUNDLE, CENTRE, HOME, None),
        (D(2027, 12, 30), NONE, None, HOME, D(2028, 1, 2)),
        (D(2027, 12, 31), NONE, None, HOME, D(2028, 1, 2)),
        (D(2028, 1, 1), NONE, None, HOME, D(2028, 1, 2)),
        (D(2028, 1, 2), NONE, None, HOME, D(2028, 1, 2)),
        (D(2028, 1, 3), BUNDLE, CENTRE, HOME, None),
        # A cottage over the leap day; no bundle covers its postal code.
        (D(2028, 2, 27), BUNDLE, CENTRE, HOME, None),
        (D(2028, 2, 28), POST, None, COTTAGE, None),
        (D(2028, 2, 29), POST, None, COTTAGE, None),
        (D(2028, 3, 1), POST, None, COTTAGE, None),
        (D(2028, 3, 2), BUNDLE, CENTRE, HOME, None),
        # A suspension across the move on 1.7.
        (D(2028, 6, 27), BUNDLE, CENTRE, HOME, None),
        (D(2028, 6, 28), NONE, None, HOME, D(2028, 7, 3)),
        (D(2028, 6, 30), NONE, None, HOME, D(2028, 7, 3)),
        (D(2028, 7, 1), NONE, None, NEW_HOME, D(2028, 7, 3)),
        (D(2028, 7, 3), NONE, None, NEW_HOME, D(2028, 7, 3)),
        (D(2028, 7, 4), BUNDLE, SÖRNÄINEN, NEW_HOME, None),
        # A visit to an aunt inside a suspension: nothing is delivered.
        (D(2028, 7, 31), BUNDLE, SÖRNÄINEN, NEW_HOME, None),
        (D(2028, 8, 1), NONE, None, NEW_HOME, D(2028, 8, 31)),
        (D(2028, 8, 9), NONE, None, NEW_HOME, D(2028, 8, 31)),
        (D(2028, 8, 10), NONE, None, AUNT, D(2028, 8, 31)),
        (D(2028, 8, 20), NONE, None, AUNT, D(2028, 8, 31)),
        (D(2028, 8, 21), NONE, None, NEW_HOME, D(2028, 8, 31)),
        (D(2028, 8, 31), NONE, None, NEW_HOME, D(2028, 8, 31)),
        (D(2028, 9, 1), BUNDLE, SÖRNÄINEN, NEW_HOME, None),
    ],
)
def test_calendar_of_one_subscriber(
    on: dt.date,
    route: Route,
    bundle: BundleRef | None,
    address: Address,
    until: dt.date | None,
) -> None:
    state = delivery_state(CALENDAR, on, BUNDLES)
    assert (state.route, state.bundle, state.address, state.suspended_until) == (
        route,
        bundle,
        address,
        until,
    )
    assert state.delivered is (route != NONE)
    assert effective_address(CALENDAR, on) == address


@pytest.mark.parametrize(
    ("on", "source"),
    [
        (D(2028, 2, 27), AddressSource.STANDARD),
        (D(2028, 2, 29), AddressSource.TEMPORARY),
        (D(2028, 6, 30), AddressSource.STANDARD),
        (D(2028, 7, 1), AddressSource.ADDRESS_CHANGE),
        (D(2028, 8, 15), AddressSource.TEMPORARY),
    ],
)
def test_address_source_says_where_the_address_comes_from(
    on: dt.date, source: AddressSource
) -> None:
    assert delivery_state(CALENDAR, on, BUNDLES).address_source == source


def customer(**changes: object) -> DeliveryData:
    """A plain subscriber at home in the centre bundle's area."""
    data = DeliveryData(customer_id=7, number=100007, name="Koski Eero", address=HOME)
    return replace(data, **changes)  # type: ignore[arg-type]


ON = D(2027, 7, 1)


@pytest.mark.parametrize(
    ("data", "route", "reason", "bundle"),
    [
        (customer(), BUNDLE, DeliveryReason.POSTAL_CODE_BUNDLE, CENTRE),
        (customer(delivery_blocked=True), NONE, DeliveryReason.BLOCK_LIST, None),
        (
            customer(delivery_blocked=True, forced_bundle=FORCED),
            NONE,
            DeliveryReason.BLOCK_LIST,
            None,
        ),
        (
            customer(delivery_blocked=True, suspensions=(SuspensionData(ON, ON),)),
            NONE,
            DeliveryReason.BLOCK_LIST,
            None,
        ),
        (
            customer(suspensions=(SuspensionData(ON, ON),)),
            NONE,
            DeliveryReason.SUSPENDED,
            None,
        ),
        (
            customer(early_delivery_blocked=True),
            POST,
            DeliveryReason.EARLY_DELIVERY_BLOCKED,
            None,
        ),
        (
            customer(early_delivery_blocked=True, forced_bundle=FORCED),
            POST,
            DeliveryReason.EARLY_DELIVERY_BLOCKED,
            None,
        ),
        (
            customer(forced_bundle=FORCED),
            BUNDLE,
            DeliveryReason.FORCED_BUNDLE,
            FORCED,
        ),
        (
            customer(forced_bundle=RETIRED),
            BUNDLE,
            DeliveryReason.POSTAL_CODE_BUNDLE,
            CENTRE,
        ),
        (
            customer(address=Address("Keskuskatu 1", "99999", "Tuntematon")),
            POST,
            DeliveryReason.POSTAL_CODE_NOT_COVERED,
            None,
        ),
        (
            customer(address=Address("Kaivokatu 1", "00120", "Helsinki")),
            POST,
            DeliveryReason.POSTAL_CODE_NOT_COVERED,
            None,
        ),
        (customer(address=ABROAD), POST, DeliveryReason.ABROAD, None),
        (
            customer(address=ABROAD, forced_bundle=FORCED),
            POST,
            DeliveryReason.ABROAD,
            None,
        ),
        (
            customer(address=Address("", "", "")),
            NONE,
            DeliveryReason.NO_ADDRESS,
            None,
        ),
        (
            customer(address=Address("Kotitie 1", "", "Helsinki")),
            NONE,
            DeliveryReason.NO_ADDRESS,
            None,
        ),
        # At a temporary address the forced bundle of home does not drive.
        (
            customer(
                forced_bundle=FORCED,
                temporary_addresses=(TemporaryAddressData(AUNT, ON, ON),),
            ),
            BUNDLE,
            DeliveryReason.POSTAL_CODE_BUNDLE,
            JYVÄSKYLÄ,
        ),
        # A forced bundle stays after a move that is due.
        (
            customer(
                forced_bundle=FORCED,
                address_changes=(AddressChangeData(NEW_HOME, ON),),
            ),
            BUNDLE,
            DeliveryReason.FORCED_BUNDLE,
            FORCED,
        ),
    ],
)
def test_each_rule(
    data: DeliveryData,
    route: Route,
    reason: DeliveryReason,
    bundle: BundleRef | None,
) -> None:
    bundles = {**BUNDLES, "00120": RETIRED}
    state = delivery_state(data, ON, bundles)
    assert (state.route, state.reason, state.bundle) == (route, reason, bundle)


def test_suspensions_day_after_day_count_as_one() -> None:
    data = customer(
        suspensions=(
            SuspensionData(D(2027, 7, 8), D(2027, 7, 14)),
            SuspensionData(D(2027, 7, 1), D(2027, 7, 7)),
            SuspensionData(D(2027, 7, 16), D(2027, 7, 20)),
        )
    )
    assert suspended_until(data, D(2027, 7, 1)) == D(2027, 7, 14)
    assert suspended_until(data, D(2027, 7, 10)) == D(2027, 7, 14)
    assert suspended_until(data, D(2027, 7, 15)) is None
    assert suspended_until(data, D(2027, 7, 16)) == D(2027, 7, 20)


def test_pending_changes_apply_in_date_order_and_applied_ones_are_history() -> None:
    third = Address("Kolmas tie 3", "00100", "Helsinki")
    data = customer(
        address_changes=(
            AddressChangeData(third, D(2027, 9, 1)),
            AddressChangeData(NEW_HOME, D(2027, 8, 1)),
            AddressChangeData(COTTAGE, D(2027, 6, 1), applied_on=D(2027, 6, 1)),
        )
    )
    assert effective_address(data, D(2027, 7, 31)) == HOME
    assert effective_address(data, D(2027, 8, 1)) == NEW_HOME
    assert effective_address(data, D(2027, 8, 31)) == NEW_HOME
    assert effective_address(data, D(2027, 9, 1)) == third


@pytest.mark.parametrize(
    ("all_mail", "on", "expected"),
    [
        (True, D(2028, 2, 27), HOME),
        (True, D(2028, 2, 28), COTTAGE),
        (True, D(2028, 2, 29), COTTAGE),
        (True, D(2028, 3, 1), COTTAGE),
        (True, D(2028, 3, 2), HOME),
        (False, D(2028, 2, 29), HOME),
    ],
)
def test_invoices_go_to_a_temporary_address_only_for_all_mail(
    all_mail: bool, on: dt.date, expected: Address
) -> None:
    data = customer(
        temporary_addresses=(
            TemporaryAddressData(COTTAGE, D(2028, 2, 28), D(2028, 3, 1), all_mail),
        )
    )
    assert mailing_address(data, on) == expected
    assert effective_address(data, on) == (
        COTTAGE if D(2028, 2, 28) <= on <= D(2028, 3, 1) else HOME
    )


def test_invoices_follow_a_move_that_is_due() -> None:
    data = customer(address_changes=(AddressChangeData(NEW_HOME, D(2027, 8, 1)),))
    assert mailing_address(data, D(2027, 7, 31)) == HOME
    assert mailing_address(data, D(2027, 8, 1)) == NEW_HOME


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (
            customer(),
            "Delivered to Mannerheimintie 5 A 1, 00100 Helsinki"
            " by bundle H1 Helsinki keskusta",
        ),
        (
            customer(forced_bundle=FORCED),
            "Delivered to Mannerheimintie 5 A 1, 00100 Helsinki"
            " by bundle F9 Reitti 9 (forced)",
        ),
        (
            customer(suspensions=(SuspensionData(D(2027, 6, 20), D(2027, 7, 5)),)),
            "Not delivered: suspended until 05.07.2027",
        ),
        (customer(delivery_blocked=True), "Not delivered: on the block list"),
        (
            customer(early_delivery_blocked=True),
            "Delivered to Mannerheimintie 5 A 1, 00100 Helsinki by post:"
            " early delivery is blocked",
        ),
        (
            customer(address=COTTAGE),
            "Delivered to Mökkitie 3, 41800 Korpilahti by post:"
            " no bundle covers postal code 41800",
        ),
        (
            customer(address=ABROAD),
            "Delivered to Calle Mayor 1, 29600 Marbella, ES by post abroad",
        ),
    ],
)
def test_the_card_reads_the_state_in_plain_words(data: DeliveryData, text: str) -> None:
    state = delivery_state(data, ON, BUNDLES)
    assert state.describe() == text
    assert state.describe(lambda message: f"fi: {message}") == f"fi: {text}"
