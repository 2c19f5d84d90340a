"""Delivery lists of a day, on the imported sample register.

Bundles and their postal codes are the settings' rows; subscriptions are
made directly, as the subscriptions screens are another issue's. The
clock stands at 3.12.2026 and the lists are for 15.12.2026.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from store.clock import FixedClock
from store.db import Database
from store.delivery import BundleRef, DeliveryReason
from store.delivery_list import (
    HEADER,
    list_file_name,
    street_sort_key,
    write_delivery_lists,
)
from store.holidays import (
    AddressChangeInput,
    SuspensionInput,
    TemporaryAddressInput,
    add_address_change,
    add_suspension,
    add_temporary_address,
    edit_suspension,
)
from store.importing import import_customers
from store.models import (
    Bundle,
    BundlePostalCode,
    Customer,
    Product,
    ProductKind,
    Subscription,
)
from store.nightly import run_nightly
from tui.commands.delivery_list import run_delivery_list
from tui.i18n import language, set_language

D = dt.date
DATA = Path(__file__).parent / "data"
ON = D(2026, 12, 15)
YEAR_START = D(2026, 1, 1)


@pytest.fixture(autouse=True)
def english() -> object:
    """The commands speak English in these tests, whatever ran before."""
    before = language()
    set_language("en")
    yield
    set_language(before)


@dataclass
class Register:
    """The sample register with its bundles and products."""

    database: Database
    bundles: dict[str, int]
    """Bundle code to id."""
    mapping: dict[str, str]
    """Postal code to bundle code, as the settings have them."""
    paper: int
    magazine: int
    ad: int


async def add_subscription(
    database: Database,
    number: int,
    customer_id: int,
    product_id: int,
    *,
    starts_on: dt.date = YEAR_START,
    ends_on: dt.date | None = None,
    copies: int = 1,
    **more: object,
) -> None:
    async with database.write() as session:
        session.add(
            Subscription(
                number=number,
                product_id=product_id,
                subscriber_id=customer_id,
                payer_id=customer_id,
                starts_on=starts_on,
                ends_on=ends_on,
                copies=copies,
                unit_price=Decimal("30.00"),
                **more,
            )
        )


@pytest.fixture
async def register(database: Database, clock: FixedClock, tmp_path: Path) -> Register:
    # A copy, so the rejected rows' file is written beside it, not in the tree.
    (tmp_path / "export").mkdir()
    export = tmp_path / "export" / "asiakkaat-utf8.csv"
    shutil.copyfile(DATA / "asiakkaat-utf8.csv", export)
    result = await import_customers(database, export, clock=clock, skip_invalid=True)
    assert result.imported == 293
    async with database.write() as session:
        bundles = [
            Bundle(code="N1", name="Keskusta"),
            Bundle(code="N2", name="Itä"),
            Bundle(code="N9", name="Lakkautettu", retired=True),
            Bundle(code="N3", name="Tyhjä"),
        ]
        session.add_all(bundles)
        products = [
            Product(code="HS", name="Sanomat", vat_percent=Decimal("10")),
            Product(code="VL", name="Viikkolehti", vat_percent=Decimal("10")),
            Product(
                code="ILM",
                name="Ilmoitus",
                kind=ProductKind.AD,
                vat_percent=Decimal("25.5"),
            ),
        ]
        session.add_all(products)
        await session.flush()
        ids = {b.code: b.id for b in bundles}
        codes = (await session.scalars(select(Customer.postal_code).distinct())).all()
        mapping: dict[str, str] = {}
        for code in codes:
            first = code[:1]
            bundle = (
                "N1"
                if first in "01"
                else "N2"
                if first in "234"
                else "N9"
                if first == "5"
                else None
            )
            if bundle:
                mapping[code] = bundle
                session.add(BundlePostalCode(postal_code=code, bundle_id=ids[bundle]))
        customers = (
            await session.scalars(select(Customer).order_by(Customer.number))
        ).all()
        for index, customer in enumerate(customers):
            session.add(
                Subscription(
                    number=500000 + index,
                    product_id=products[0].id,
                    subscriber_id=customer.id,
                    payer_id=customer.id,
                    starts_on=D(2026, 1, 1),
                    ends_on=D(2026, 12, 31) if index % 3 else None,
                    copies=2 if index % 7 == 0 else 1,
                    unit_price=Decimal("30.00"),
                )
            )
    return Register(
        database, ids, mapping, products[0].id, products[1].id, products[2].id
    )


async def customer_by_number(database: Database, number: int) -> Customer:
    async with database.read() as session:
        found = await session.scalar(select(Customer).where(Customer.number == number))
    assert found is not None
    return found


def read_list(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert tuple(rows[0]) == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


def read_lists(out: Path) -> dict[str, list[dict[str, str]]]:
    return {path.name: read_list(path) for path in sorted(out.glob("*.csv"))}


def placed(lists: dict[str, list[dict[str, str]]]) -> dict[int, str]:
    """Subscription number to the file it is on; fails on one on two files."""
    found: dict[int, str] = {}
    for name, rows in lists.items():
        for row in rows:
            number = int(row["Tilausnro"])
            assert number not in found, f"{number} on {found.get(number)} and {name}"
            found[number] = name
    return found


BUNDLE_FILE = {
    "N1": "2026-12-15-bundle-N1.csv",
    "N2": "2026-12-15-bundle-N2.csv",
    "N3": "2026-12-15-bundle-N3.csv",
}
POST_FILE = "2026-12-15-post.csv"


async def test_every_rule_on_the_sample_register(
    register: Register, clock: FixedClock, tmp_path: Path
) -> None:
    database = register.database
    async with database.read() as session:
        customers = {
            c.number: c
            for c in (
                await session.scalars(select(Customer).order_by(Customer.number))
            ).all()
        }
    plain = [
        c
        for c in customers.values()
        if not (c.delivery_blocked or c.early_delivery_blocked)
    ]
    in_n1 = [c for c in plain if register.mapping.get(c.postal_code) == "N1"]
    in_n2 = [c for c in plain if register.mapping.get(c.postal_code) == "N2"]

    # Forced into N2 from N1's area.
    forced = in_n1[0]
    async with database.write() as session:
        row = await session.get(Customer, forced.id)
        assert row is not None
        row.forced_bundle_id = register.bundles["N2"]
    # On holiday on the day.
    holiday = in_n1[1]
    await add_suspension(
        database, clock, holiday.number, SuspensionInput("10.12.2026", "20.12.2026")
    )
    # Back from holiday the day before.
    back = in_n1[2]
    await add_suspension(
        database, clock, back.number, SuspensionInput("3.12.2026", "14.12.2026")
    )
    # At a cottage no bundle covers, and in N2's area.
    cottage = in_n1[3]
    await add_temporary_address(
        database,
        clock,
        cottage.number,
        TemporaryAddressInput("Mökkitie 3", "99100", "Kittilä", "14.12.", "15.12."),
    )
    visiting = in_n1[4]
    await add_temporary_address(
        database,
        clock,
        visiting.number,
        TemporaryAddressInput(
            "Vierastie 1", in_n2[0].postal_code, "Kylä", "15.12.2026", "16.12.2026"
        ),
    )
    # Moving into N2's area on the day; the night has not run.
    moving = in_n1[5]
    await add_address_change(
        database,
        clock,
        moving.number,
        AddressChangeInput("Uusi katu 5", in_n2[1].postal_code, "Kylä", "15.12.2026"),
    )
    # Moving after the day: still at the old address.
    later = in_n1[6]
    await add_address_change(
        database,
        clock,
        later.number,
        AddressChangeInput("Uusi katu 7", in_n2[1].postal_code, "Kylä", "16.12.2026"),
    )
    # Another publication, an ad, an ended, a future and a removed period.
    extra = in_n2[2]
    await add_subscription(database, 600001, extra.id, register.magazine, copies=3)
    await add_subscription(database, 600002, extra.id, register.ad)
    await add_subscription(
        database, 600003, extra.id, register.magazine, ends_on=D(2026, 12, 14)
    )
    await add_subscription(
        database, 600004, extra.id, register.magazine, starts_on=D(2026, 12, 16)
    )
    await add_subscription(
        database,
        600005,
        extra.id,
        register.magazine,
        removed_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )

    summary = await write_delivery_lists(database, ON, tmp_path)
    lists = read_lists(tmp_path)

    assert set(lists) == {*BUNDLE_FILE.values(), POST_FILE}
    assert lists[BUNDLE_FILE["N3"]] == []
    where = placed(lists)
    subscription_of = {c.number: 500000 + i for i, c in enumerate(customers.values())}
    by_customer = {
        number: where.get(subscription)
        for number, subscription in subscription_of.items()
    }
    special = {
        forced.number: BUNDLE_FILE["N2"],
        holiday.number: None,
        back.number: BUNDLE_FILE["N1"],
        cottage.number: POST_FILE,
        visiting.number: BUNDLE_FILE["N2"],
        moving.number: BUNDLE_FILE["N2"],
        later.number: BUNDLE_FILE["N1"],
    }
    for number, customer in customers.items():
        if number in special:
            expected = special[number]
        elif customer.delivery_blocked:
            expected = None
        elif customer.early_delivery_blocked:
            expected = POST_FILE
        else:
            bundle = register.mapping.get(customer.postal_code)
            # N9 is retired: its postal codes go by post.
            expected = BUNDLE_FILE[bundle] if bundle in ("N1", "N2") else POST_FILE
        assert by_customer[number] == expected, number

    assert where[600001] == BUNDLE_FILE["N2"]
    assert {600002, 600003, 600004, 600005}.isdisjoint(where)

    rows = {int(r["Tilausnro"]): r for rs in lists.values() for r in rs}
    moved = rows[subscription_of[moving.number]]
    assert (moved["Lähiosoite"], moved["Postinumero"]) == (
        "Uusi katu 5",
        in_n2[1].postal_code,
    )
    assert rows[subscription_of[cottage.number]]["Postitoimipaikka"] == "Kittilä"
    assert rows[subscription_of[later.number]]["Lähiosoite"] == later.street
    magazine = rows[600001]
    assert (magazine["Tuote"], magazine["Tuotteen nimi"], magazine["Kappaleet"]) == (
        "VL",
        "Viikkolehti",
        "3",
    )
    assert magazine["Asiakasnro"] == str(extra.number)
    assert magazine["Nimi"] == extra.display_name

    blocked = sum(
        1 for n, c in customers.items() if c.delivery_blocked and n not in special
    )
    assert summary.not_delivered == {
        DeliveryReason.BLOCK_LIST: blocked,
        DeliveryReason.SUSPENDED: 1,
    }
    counted = {f.path.name: (f.subscriptions, f.copies) for f in summary.files}
    for name, file_rows in lists.items():
        copies = sum(int(r["Kappaleet"]) for r in file_rows)
        assert counted[name] == (len(file_rows), copies)
    assert summary.subscriptions == len(where) == len(customers) - blocked - 1 + 1


async def test_each_list_is_in_carrier_order(
    register: Register, clock: FixedClock, tmp_path: Path
) -> None:
    database = register.database
    streets = [
        "Katu 10",
        "Öljytie 1",
        "Katu 12 B 4",
        "Katu 2",
        "Ätsärintie 3",
        "Katu 12",
        "aapiskatu 1",
        "Katu 12 A 10",
        "Katu 12 A 9",
        "Åkerlundinkatu 2",
        "Zetorintie 4",
    ]
    async with database.write() as session:
        chosen = (
            await session.scalars(
                select(Customer)
                .where(Customer.delivery_blocked.is_(False))
                .where(Customer.early_delivery_blocked.is_(False))
                .order_by(Customer.number)
                .limit(len(streets))
            )
        ).all()
        for customer, street in zip(chosen, streets, strict=True):
            customer.street = street
            customer.postal_code = "00100"
        session.add(
            BundlePostalCode(postal_code="00100", bundle_id=register.bundles["N3"])
        )

    await write_delivery_lists(database, ON, tmp_path)
    rows = read_list(tmp_path / BUNDLE_FILE["N3"])
    assert [r["Lähiosoite"] for r in rows] == [
        "aapiskatu 1",
        "Katu 2",
        "Katu 10",
        "Katu 12",
        "Katu 12 A 9",
        "Katu 12 A 10",
        "Katu 12 B 4",
        "Zetorintie 4",
        "Åkerlundinkatu 2",
        "Ätsärintie 3",
        "Öljytie 1",
    ]
    for name, file_rows in read_lists(tmp_path).items():
        codes = [r["Postinumero"] for r in file_rows]
        assert codes == sorted(codes), name


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Katu 2", "Katu 10"),
        ("Katu 12", "Katu 12 B 4"),
        ("Katu 12 A 10", "Katu 12 B 4"),
        ("Katu 12 B 4", "Katu 12 B 10"),
        ("Katu 9 as. 2", "Katu 9 as. 12"),
        ("Birger Kaipiaisen tie 390", "Birger Kaipiaisen tie 1000"),
        ("Yllästunturinbulevardi 9", "Yllästunturinbulevardi 622 A 12"),
        ("Zaidanbulevardi 03", "Zaidanbulevardi 4"),
        ("Zetorintie 9", "Ämmänkatu 1"),
    ],
)
def test_house_numbers_sort_as_numbers(before: str, after: str) -> None:
    assert street_sort_key(before) < street_sort_key(after)


async def test_lists_are_replaced_and_a_failed_write_replaces_none(
    register: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = register.database
    out = tmp_path / "lists"
    await write_delivery_lists(database, ON, out)
    first = read_lists(out)
    await write_delivery_lists(database, ON, out)
    assert read_lists(out) == first
    assert sorted(p.name for p in out.iterdir()) == sorted(first)

    async with database.write() as session:
        for customer in (await session.scalars(select(Customer))).all():
            customer.delivery_blocked = True
    real_writer = csv.writer
    calls = []

    def failing_writer(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        return real_writer(*args, **kwargs)

    monkeypatch.setattr(csv, "writer", failing_writer)
    with pytest.raises(OSError, match="disk full"):
        await write_delivery_lists(database, ON, out)
    assert read_lists(out) == first
    assert sorted(p.name for p in out.iterdir()) == sorted(first)


def test_file_names_are_safe_whatever_the_bundle_code() -> None:
    assert list_file_name(ON, None) == "2026-12-15-post.csv"
    assert list_file_name(ON, BundleRef(3, "N 1/ä", "x")) == "2026-12-15-bundle-N_1.csv"
    assert list_file_name(ON, BundleRef(3, "/", "x")) == "2026-12-15-bundle-3.csv"


async def test_the_command_prints_counts_per_bundle(
    register: Register,
    clock: FixedClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "lists"
    status = await run_delivery_list(
        register.database.url, "15.12.2026", str(out), clock=clock
    )
    printed = capsys.readouterr().out
    assert status == 0
    lists = read_lists(out)
    n1 = lists[BUNDLE_FILE["N1"]]
    copies = sum(int(r["Kappaleet"]) for r in n1)
    assert f"Bundle N1 Keskusta: {len(n1)} subscriptions, {copies} copies" in printed
    assert "Bundle N3 Tyhjä: 0 subscriptions, 0 copies" in printed
    assert "Post: " in printed
    assert "Not delivered, on the block list: " in printed

    status = await run_delivery_list(register.database.url, "1.13.2026", str(out))
    assert status == 2
    assert "date does not exist" in capsys.readouterr().err

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    status = await run_delivery_list(register.database.url, "2026-12-15", str(blocker))
    assert status == 1
    assert "cannot write the delivery lists" in capsys.readouterr().err


async def test_a_holiday_and_a_move_from_the_card_to_the_lists(
    register: Register, clock: FixedClock, tmp_path: Path
) -> None:
    """The issue's "done when": a two-week holiday and a move next month."""
    database = register.database
    async with database.read() as session:
        customer = await session.scalar(
            select(Customer)
            .where(
                Customer.delivery_blocked.is_(False),
                Customer.early_delivery_blocked.is_(False),
                Customer.postal_code.in_(
                    [c for c, b in register.mapping.items() if b == "N1"]
                ),
            )
            .order_by(Customer.number)
            .limit(1)
        )
    assert customer is not None
    await add_subscription(
        database,
        700001,
        customer.id,
        register.paper,
        starts_on=D(2026, 12, 1),
        ends_on=D(2027, 5, 31),
    )
    n2_code = next(c for c, b in register.mapping.items() if b == "N2")
    holiday = SuspensionInput("21.12.2026", "3.1.2027", continue_subscriptions=True)
    saved = await add_suspension(database, clock, customer.number, holiday)
    move = AddressChangeInput("Muuttotie 8", n2_code, "Kylä", "1.1.2027")
    await add_address_change(database, clock, customer.number, move)
    # Saved again from the form, and the night run twice: still once.
    await edit_suspension(database, clock, saved.suspension.id, holiday)
    clock.advance(dt.timedelta(days=28))  # 31.12.2026
    await run_nightly(database, clock, D(2027, 1, 1))
    await run_nightly(database, clock, D(2027, 1, 1))

    async with database.read() as session:
        ends = dict(
            (
                await session.execute(
                    select(Subscription.number, Subscription.ends_on).where(
                        Subscription.subscriber_id == customer.id
                    )
                )
            ).all()
        )
    assert ends == {500000: None, 700001: D(2027, 6, 14)}

    during = await write_delivery_lists(database, D(2026, 12, 28), tmp_path / "a")
    assert during.not_delivered[DeliveryReason.SUSPENDED] == 2
    assert not any(
        int(r["Asiakasnro"]) == customer.number
        for rows in read_lists(tmp_path / "a").values()
        for r in rows
    )
    await write_delivery_lists(database, D(2027, 1, 4), tmp_path / "b")
    after = read_lists(tmp_path / "b")
    mine = [
        (name, r["Tilausnro"], r["Lähiosoite"])
        for name, rows in after.items()
        for r in rows
        if int(r["Asiakasnro"]) == customer.number
    ]
    # With the continuous subscription the register gave every customer.
    assert mine == [
        ("2027-01-04-bundle-N2.csv", "500000", "Muuttotie 8"),
        ("2027-01-04-bundle-N2.csv", "700001", "Muuttotie 8"),
    ]
