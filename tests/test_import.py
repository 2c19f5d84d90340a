"""Importing a register export: all or nothing, skipping, and the command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import sqlite3
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from store.clock import FixedClock
from store.db import Database, sqlite_url
from store.importing import (
    CONSENT_SOURCE,
    REASON_COLUMN,
    ImportFileError,
    ImportResult,
    ImportStage,
    check_export,
    import_customers,
    read_export,
    rejected_file_path,
)
from store.models import (
    Consent,
    ConsentStatus,
    Customer,
    CustomerGroup,
    CustomerTypeOption,
    Event,
    Group,
    InvoiceDelivery,
    SearchTerm,
)
from tui.cli import main
from tui.i18n import language, set_language

DATA = Path(__file__).parent / "data"
SAMPLES = ["asiakkaat-utf8", "asiakkaat-cp1252"]
HEADER = (
    "Asiakasnro;Asiakastyyppi;Sukunimi;Etunimi;Yritys;Y-tunnus;Lähiosoite;"
    "Postinumero;Postitoimipaikka;Maa;Puhelin;Sähköposti;Laskun toimitustapa;"
    "Verkkolaskuosoite;Välittäjätunnus;Alennus %;Koontilasku;Suoramaksu;"
    "Ei laskutuslisää;Varhaisjakelun esto;Estolista;Markkinointi sähköposti;"
    "Markkinointi tekstiviesti;Markkinointi puhelin;Asiakasryhmä;Lisätiedot;Luotu"
)
TODAY = dt.date(2026, 12, 3)


def sample(tmp_path: Path, name: str) -> Path:
    """A writable copy of a sample export, so its rejected file lands in tmp."""
    copy = tmp_path / f"{name}.csv"
    shutil.copyfile(DATA / f"{name}.csv", copy)
    return copy


def expected(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.expected.json").read_text(encoding="utf-8"))


def export_file(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    """An export of ``rows`` in UTF-8 with CRLF line ends."""
    path = tmp_path / "vienti.csv"
    path.write_bytes("\r\n".join([header, *rows, ""]).encode("utf-8"))
    return path


def row(number: str = "300001", **changes: str) -> str:
    """One valid private customer's row, with ``changes`` by column name."""
    fields = dict.fromkeys(HEADER.split(";"), "")
    fields.update(
        {
            "Asiakasnro": number,
            "Asiakastyyppi": "Yksityinen",
            "Sukunimi": "Mäkinen",
            "Etunimi": "Teemu",
            "Lähiosoite": "Nervanderinbulevardi 287",
            "Postinumero": "17421",
            "Postitoimipaikka": "Vöyri",
            "Maa": "FI",
            "Puhelin": "045-2494032",
            "Luotu": "10.07.2022",
        }
    )
    fields.update(changes)
    return ";".join(fields.values())


def invalid(result: ImportResult) -> list[dict[str, Any]]:
    return [
        {
            "row": r.row,
            "line": r.line,
            "customer_number": r.customer_number,
            "reason": r.describe(),
        }
        for r in result.rejected
    ]


async def counts(database: Database) -> dict[str, int]:
    models = (Customer, Consent, Group, CustomerGroup, Event, SearchTerm)
    async with database.read() as session:
        return {
            model.__tablename__: await session.scalar(
                select(func.count()).select_from(model)
            )
            for model in models
        }


async def customer(database: Database, number: int) -> Customer:
    async with database.read() as session:
        found = await session.scalar(select(Customer).where(Customer.number == number))
    assert found is not None
    return found


def utc(moment: dt.datetime) -> dt.datetime:
    # SQLite hands moments back without their zone; they are stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def first_rejected(result: ImportResult) -> set[int]:
    return {r.row for r in result.rejected}


async def reasons_of(path: Path) -> list[str]:
    export = read_export(path)
    _, rejected = await check_export(export, TODAY)
    return [r.describe() for r in rejected]


# The samples.


@pytest.mark.parametrize("name", SAMPLES)
async def test_sample_refused_rows_match_the_expected_json(
    database: Database, clock: FixedClock, tmp_path: Path, name: str
) -> None:
    want = expected(name)

    result = await import_customers(database, sample(tmp_path, name), clock=clock)

    assert result.rows_read == want["rows"]
    assert result.rows_read - len(result.rejected) == want["valid_rows"]
    assert invalid(result) == want["invalid"]
    assert result.encoding == want["encoding"]


@pytest.mark.parametrize("name", SAMPLES)
async def test_one_invalid_row_imports_nothing(
    database: Database, clock: FixedClock, tmp_path: Path, name: str
) -> None:
    path = sample(tmp_path, name)

    result = await import_customers(database, path, clock=clock)

    assert result.refused
    assert result.imported == 0
    assert result.rejected_path is None
    assert not rejected_file_path(path).exists()
    assert set((await counts(database)).values()) == {0}


@pytest.mark.parametrize(("name", "imported"), [(SAMPLES[0], 293), (SAMPLES[1], 53)])
async def test_skip_invalid_imports_the_valid_rows(
    database: Database, clock: FixedClock, tmp_path: Path, name: str, imported: int
) -> None:
    result = await import_customers(
        database, sample(tmp_path, name), clock=clock, skip_invalid=True
    )

    assert not result.refused
    assert result.imported == imported
    assert len(result.rejected) == len(expected(name)["invalid"])
    found = await counts(database)
    assert found["customers"] == imported
    assert found["events"] == imported


@pytest.mark.parametrize("name", SAMPLES)
async def test_rejected_rows_are_written_beside_the_export_with_reasons(
    database: Database, clock: FixedClock, tmp_path: Path, name: str
) -> None:
    path = sample(tmp_path, name)
    want = expected(name)

    result = await import_customers(database, path, clock=clock, skip_invalid=True)

    assert result.rejected_path == tmp_path / f"{name}.rejected.csv"
    raw = result.rejected_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (want["encoding"] == "utf-8-sig")
    assert raw.count(b"\r\n") >= len(want["invalid"]) + 1
    again = read_export_rows(result.rejected_path, want["encoding"])
    original = read_export_rows(path, want["encoding"])
    assert again[0] == [*original[0], REASON_COLUMN]
    by_number = {fields[0]: fields for fields in original[1:]}
    assert [fields[-1] for fields in again[1:]] == [
        entry["reason"] for entry in want["invalid"]
    ]
    for fields, entry in zip(again[1:], want["invalid"], strict=True):
        assert fields[0] == entry["customer_number"]
        if entry["reason"] != "customer number repeats an earlier row":
            assert fields[:-1] == by_number[entry["customer_number"]]


def read_export_rows(path: Path, encoding: str) -> list[list[str]]:
    text = path.read_bytes().decode(encoding)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


async def test_rejected_file_imports_as_it_is_once_fixed(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    path = sample(tmp_path, "asiakkaat-cp1252")
    first = await import_customers(database, path, clock=clock, skip_invalid=True)
    assert first.rejected_path is not None
    text = first.rejected_path.read_bytes().decode("cp1252")
    first.rejected_path.write_bytes(
        text.replace(";Asiakas?;", ";Yksityinen;").encode("cp1252")
    )

    fixed = await import_customers(
        database, first.rejected_path, clock=clock, skip_invalid=True
    )

    assert fixed.imported == 1
    assert (await customer(database, 200031)).customer_type == "private"
    assert fixed.rejected_path == tmp_path / "asiakkaat-cp1252.rejected.rejected.csv"
    again = read_export_rows(fixed.rejected_path, "cp1252")
    assert again[0].count(REASON_COLUMN) == 1
    assert [fields[-1] for fields in again[1:]] == [
        "email address is not valid",
        "discount must be between 0 and 100",
        "postal code must have five digits",
        "date does not exist",
        "business ID check digit is wrong",
        "customer number is already in the register",
    ]


async def test_second_import_refuses_every_row_and_changes_nothing(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    path = sample(tmp_path, "asiakkaat-utf8")
    first = await import_customers(database, path, clock=clock, skip_invalid=True)
    before = await counts(database)
    imported_rows = {
        r.row for r in read_export(path).rows if r.row not in first_rejected(first)
    }

    again = await import_customers(database, path, clock=clock)
    skipping = await import_customers(database, path, clock=clock, skip_invalid=True)

    for result in (again, skipping):
        assert result.imported == 0
        assert len(result.rejected) == result.rows_read == 300
        present = {
            r.row
            for r in result.rejected
            if r.reason == "customer number is already in the register"
        }
        assert present == imported_rows
    assert again.refused
    assert await counts(database) == before


# What an imported customer holds.


async def test_imported_customer_has_the_rows_fields(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    await import_customers(
        database, sample(tmp_path, "asiakkaat-utf8"), clock=clock, skip_invalid=True
    )

    private = await customer(database, 100004)
    assert (private.customer_type, private.last_name, private.first_name) == (
        "private",
        "Tuominen",
        "Jukka",
    )
    assert (private.street, private.postal_code, private.post_town) == (
        "Kuhankeittäjänkuja 19",
        "45145",
        "Pyhtää",
    )
    assert (private.phone, private.phone_normalized) == ("045-2494032", "+358452494032")
    assert private.invoice_delivery == InvoiceDelivery.EMAIL
    assert private.discount_percent == Decimal("5.00")
    assert private.early_delivery_blocked
    assert not private.delivery_blocked
    assert private.notes == "Ovikoodi; kysy jakelusta"
    assert private.created_on == dt.date(2007, 12, 9)
    assert utc(private.updated_at) == clock.now()
    assert private.updated_by_id is None
    assert private.sort_name == "tuominen jukka"

    company = await customer(database, 100007)
    assert (company.customer_type, company.company, company.business_id) == (
        "company",
        "Hakala Tmi",
        "4095597-9",
    )
    assert company.invoice_delivery == InvoiceDelivery.EINVOICE
    assert (company.einvoice_address, company.einvoice_operator) == (
        "003740955979",
        "OKOYFIHH",
    )
    assert (await customer(database, 100029)).customer_type == "ad_customer"
    assert (await customer(database, 100014)).discount_percent == Decimal("12.50")


async def test_notes_keep_their_line_breaks(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    await import_customers(
        database, sample(tmp_path, "asiakkaat-utf8"), clock=clock, skip_invalid=True
    )

    assert (await customer(database, 100008)).notes == "Vaihtoi osoitetta\nkeväällä"


async def test_windows_1252_file_keeps_finnish_letters(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    await import_customers(
        database, sample(tmp_path, "asiakkaat-cp1252"), clock=clock, skip_invalid=True
    )

    found = await customer(database, 200001)
    assert (found.last_name, found.post_town) == ("Nurminen", "Reisjärvi")
    assert (await customer(database, 200004)).last_name == "Mäki"


async def test_consents_are_kept_per_channel_as_given_on_the_creation_date(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    await import_customers(
        database, sample(tmp_path, "asiakkaat-utf8"), clock=clock, skip_invalid=True
    )

    async def consents_of(number: int) -> dict[str, ConsentStatus]:
        found = await customer(database, number)
        async with database.read() as session:
            rows = (
                await session.scalars(
                    select(Consent).where(Consent.customer_id == found.id)
                )
            ).all()
        for consent in rows:
            assert consent.source == CONSENT_SOURCE
            assert consent.given_on == found.created_on
            assert utc(consent.recorded_at) == clock.now()
        return {c.channel: c.status for c in rows}

    assert await consents_of(100001) == {
        "email": ConsentStatus.ALLOWED,
        "sms": ConsentStatus.ALLOWED,
        "phone": ConsentStatus.ALLOWED,
    }
    assert await consents_of(100003) == {
        "email": ConsentStatus.DENIED,
        "sms": ConsentStatus.DENIED,
    }
    # Left empty: not asked, so no answer is recorded.
    assert await consents_of(100004) == {
        "sms": ConsentStatus.ALLOWED,
        "phone": ConsentStatus.ALLOWED,
    }


async def test_missing_groups_are_created_and_existing_ones_reused(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    async with database.write() as session:
        session.add(Group(name="kunta"))

    result = await import_customers(
        database, sample(tmp_path, "asiakkaat-utf8"), clock=clock, skip_invalid=True
    )

    assert sorted(result.groups_created) == [
        "Eläkeläinen",
        "Kestotilaaja",
        "Opiskelija",
        "Yhdistys",
    ]
    async with database.read() as session:
        names = set((await session.scalars(select(Group.name))).all())
        links = (
            await session.execute(
                select(Customer.number, Group.name)
                .join(CustomerGroup, CustomerGroup.customer_id == Customer.id)
                .join(Group, Group.id == CustomerGroup.group_id)
            )
        ).all()
    assert names == {"kunta", *result.groups_created}
    by_number = dict(links)
    assert by_number[100003] == "Eläkeläinen"
    assert by_number[100002] == "Opiskelija"
    assert 100001 not in by_number
    refused = {r.row for r in result.rejected}
    grouped = [
        r
        for r in read_export(DATA / "asiakkaat-utf8.csv").rows
        if r.row not in refused and r.fields[24]
    ]
    assert len(links) == len(grouped)
    kunta = [r for r in grouped if r.fields[24] == "Kunta"]
    assert kunta
    assert all(by_number[int(r.fields[0])] == "kunta" for r in kunta)


async def test_each_customer_gets_an_imported_event_and_search_terms(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    await import_customers(
        database, sample(tmp_path, "asiakkaat-utf8"), clock=clock, skip_invalid=True
    )

    found = await customer(database, 100001)
    async with database.read() as session:
        events = (
            await session.scalars(select(Event).where(Event.customer_id == found.id))
        ).all()
        terms = set(
            (
                await session.scalars(
                    select(SearchTerm.term).where(SearchTerm.customer_id == found.id)
                )
            ).all()
        )
    assert [(e.kind, e.operator_id) for e in events] == [("imported", None)]
    assert "asiakkaat-utf8.csv" in events[0].summary
    assert utc(events[0].occurred_at) == clock.now()
    assert {"makinen", "teemu", "100001", "358448879217"} <= terms


async def test_progress_is_told_rows_checked_then_written(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    seen: list[tuple[ImportStage, int, int]] = []

    await import_customers(
        database,
        sample(tmp_path, "asiakkaat-utf8"),
        clock=clock,
        skip_invalid=True,
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )

    assert seen[0] == (ImportStage.CHECKING, 300, 300)
    assert seen[-1] == (ImportStage.WRITING, 293, 293)


async def test_customer_types_of_the_settings_list_are_known(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    async with database.write() as session:
        session.add(CustomerTypeOption(code="municipal", name="Kunta-asiakas"))
        session.add(CustomerTypeOption(code="old", name="Vanha", retired=True))
    path = export_file(
        tmp_path,
        row("300001", Asiakastyyppi="kunta-asiakas"),
        row("300002", Asiakastyyppi="Vanha"),
    )

    result = await import_customers(database, path, clock=clock, skip_invalid=True)

    assert [r.describe() for r in result.rejected] == ["unknown customer type"]
    assert (await customer(database, 300001)).customer_type == "municipal"


async def test_customer_number_in_the_register_is_refused(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    first = export_file(tmp_path, row("300001"))
    await import_customers(database, first, clock=clock)
    second = export_file(tmp_path, row("300002"), row("300001", Sukunimi="Toinen"))

    result = await import_customers(database, second, clock=clock)

    assert invalid(result) == [
        {
            "row": 2,
            "line": 3,
            "customer_number": "300001",
            "reason": "customer number is already in the register",
        }
    ]
    assert (await counts(database))["customers"] == 1
    assert (await customer(database, 300001)).last_name == "Mäkinen"


# The format.


def test_header_names_are_found_whatever_their_spaces_case_and_order(
    tmp_path: Path,
) -> None:
    path = export_file(
        tmp_path,
        "Mäkinen; 300001 ;yksityinen;17421",
        header=" Sukunimi ;ASIAKASNRO;  Asiakastyyppi;Postinumero  ",
    )

    export = read_export(path)

    assert export.header == ("Sukunimi", "ASIAKASNRO", "Asiakastyyppi", "Postinumero")
    assert dict(export.columns) == {
        "last_name": 0,
        "number": 1,
        "customer_type": 2,
        "postal_code": 3,
    }


async def test_columns_left_out_are_empty_and_a_missing_date_is_today(
    tmp_path: Path,
) -> None:
    path = export_file(
        tmp_path,
        "300001;Yksityinen;Mäkinen",
        header="Asiakasnro;Asiakastyyppi;Sukunimi",
    )

    records, rejected = await check_export(read_export(path), TODAY)

    assert rejected == []
    assert records[0].values["created_on"] == TODAY
    assert records[0].values["country"] == "FI"
    assert records[0].values["invoice_delivery"] == InvoiceDelivery.PAPER
    assert records[0].consents == {}


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (HEADER + ";Syntymäpäivä", "unknown columns in the header: Syntymäpäivä"),
        ("Asiakastyyppi;Sukunimi", 'the header has no column "Asiakasnro"'),
        ("Asiakasnro;Asiakastyyppi;Asiakasnro", 'column "Asiakasnro" appears twice'),
        ("Asiakasnro;;Asiakastyyppi", "column 2 of the header has no name"),
    ],
)
def test_header_that_is_not_an_exports_refuses_the_file(
    tmp_path: Path, header: str, message: str
) -> None:
    path = export_file(tmp_path, header=header)

    with pytest.raises(ImportFileError) as caught:
        read_export(path)

    assert str(caught.value) == message


def test_unreadable_files_are_refused_whole(tmp_path: Path) -> None:
    empty = tmp_path / "tyhja.csv"
    empty.write_bytes(b"")
    binary = tmp_path / "kuva.csv"
    binary.write_bytes(b"\x81\x8d\x8f\x90\x9d")
    unclosed = export_file(tmp_path, row("300001"), '300002;Yksityinen;"Mäki')

    messages = []
    for path in (tmp_path / "puuttuu.csv", empty, binary, unclosed, tmp_path):
        with pytest.raises(ImportFileError) as caught:
            read_export(path)
        messages.append(str(caught.value))

    assert (
        messages[0]
        == f"cannot read {tmp_path / 'puuttuu.csv'}: No such file or directory"
    )
    assert messages[1] == f"{empty} is empty"
    assert messages[2] == f"{binary} is neither UTF-8 nor Windows-1252 text"
    assert messages[3] == "line 3: a quoted field does not end"
    assert messages[4].startswith(f"cannot read {tmp_path}: ")


def test_encoding_is_found_from_the_bytes(tmp_path: Path) -> None:
    text = "\r\n".join([HEADER, row("300001"), ""])
    found = {}
    for encoding in ("utf-8-sig", "utf-8", "cp1252"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        export = read_export(path)
        found[encoding] = (export.encoding, export.header[6], export.rows[0].fields[2])

    assert found == {
        "utf-8-sig": ("utf-8-sig", "Lähiosoite", "Mäkinen"),
        "utf-8": ("utf-8", "Lähiosoite", "Mäkinen"),
        "cp1252": ("cp1252", "Lähiosoite", "Mäkinen"),
    }


def test_rows_count_from_the_header_and_lines_count_quoted_line_breaks(
    tmp_path: Path,
) -> None:
    path = export_file(
        tmp_path,
        row("300001", Lisätiedot='"yksi\r\nkaksi\r\nkolme"'),
        "",
        ";;;",
        row("300002", Lisätiedot='"a;b"'),
        row("300003"),
    )

    export = read_export(path)

    assert [(r.row, r.line) for r in export.rows] == [(1, 2), (2, 7), (3, 8)]
    assert export.rows[0].fields[25] == "yksi\r\nkaksi\r\nkolme"
    assert export.rows[1].fields[25] == "a;b"


async def test_quoted_line_breaks_are_kept_as_line_feeds(tmp_path: Path) -> None:
    path = export_file(tmp_path, row(Lisätiedot='"  yksi\r\nkaksi  "'))

    records, _ = await check_export(read_export(path), TODAY)

    assert records[0].values["notes"] == "yksi\nkaksi"


async def test_values_are_stripped_and_composed(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "Mäkinen")
    path = export_file(
        tmp_path, row(" 300001 ", Sukunimi=f"  {decomposed} ", Puhelin=" 040 717 1851 ")
    )

    records, _ = await check_export(read_export(path), TODAY)

    assert records[0].number == 300001
    assert records[0].values["last_name"] == "Mäkinen"
    assert records[0].values["phone"] == "040 717 1851"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"Asiakasnro": ""}, "customer number is missing"),
        ({"Asiakasnro": "A-300001"}, "customer number must be a positive whole number"),
        ({"Asiakasnro": "0"}, "customer number must be a positive whole number"),
        ({"Asiakasnro": "99999999999"}, "customer number is too large"),
        ({"Asiakastyyppi": ""}, "customer type is missing"),
        ({"Asiakastyyppi": "Asiakas?"}, "unknown customer type"),
        ({"Sukunimi": "M" * 101}, "last name is too long: at most 100 characters"),
        ({"Y-tunnus": "1234567-8"}, "business ID check digit is wrong"),
        ({"Postinumero": "0010"}, "postal code must have five digits"),
        ({"Maa": "Suomi"}, "country must be a two-letter code such as FI"),
        ({"Puhelin": "040 123"}, "phone number is not valid"),
        ({"Sähköposti": "matti.meikalainen@"}, "email address is not valid"),
        ({"Laskun toimitustapa": "Kirjekyyhky"}, "unknown invoice delivery method"),
        ({"Alennus %": "150"}, "discount must be between 0 and 100"),
        ({"Alennus %": "12,345"}, "discount can have at most two decimals"),
        ({"Koontilasku": "Kyllä"}, "consolidated invoice must be K or E"),
        ({"Markkinointi puhelin": "Ehkä"}, "phone marketing must be Lupa or Kielto"),
        (
            {"Asiakasryhmä": "R" * 101},
            "customer group is too long: at most 100 characters",
        ),
        ({"Luotu": "31.02.2020"}, "date does not exist"),
        ({"Luotu": "2020-02-03"}, "date must be written dd.mm.yyyy"),
        ({"Luotu": "04.12.2026"}, "creation date is in the future"),
        (
            {"Sukunimi": "", "Etunimi": ""},
            "the customer has no name and no company name",
        ),
        (
            {"Asiakastyyppi": "Yritys", "Y-tunnus": "4095597-9"},
            "a company customer needs a company name",
        ),
        (
            {"Laskun toimitustapa": "Verkkolasku", "Välittäjätunnus": "NDEAFIHH"},
            "e-invoicing needs an e-invoice address and an intermediator ID",
        ),
        (
            {"Lisätiedot": "x" * 20_001},
            "additional info is too long: at most 20000 characters",
        ),
    ],
)
async def test_row_reasons_are_plain(
    tmp_path: Path, changes: dict[str, str], reason: str
) -> None:
    path = export_file(tmp_path, row(**changes))

    assert await reasons_of(path) == [reason]


async def test_row_with_a_different_number_of_fields_is_refused(tmp_path: Path) -> None:
    path = export_file(tmp_path, row("300001") + ";extra", "300002;Yksityinen")

    export = read_export(path)
    _, rejected = await check_export(export, TODAY)

    assert [(r.customer_number, r.describe()) for r in rejected] == [
        ("300001", "the row has a different number of fields than the header"),
        ("300002", "the row has a different number of fields than the header"),
    ]


async def test_repeated_number_refuses_the_later_row_only(tmp_path: Path) -> None:
    path = export_file(tmp_path, row("300001"), row("300002"), row("0300001"))

    records, rejected = await check_export(read_export(path), TODAY)

    assert [r.number for r in records] == [300001, 300002]
    assert [(r.row, r.describe()) for r in rejected] == [
        (3, "customer number repeats an earlier row")
    ]


async def test_reasons_in_the_rejected_file_use_the_translation(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    catalog = {"unknown customer type": "tuntematon asiakastyyppi"}
    path = export_file(tmp_path, row("300001"), row("300002", Asiakastyyppi="?"))

    result = await import_customers(
        database,
        path,
        clock=clock,
        skip_invalid=True,
        translate=lambda m: catalog.get(m, m),
    )

    assert result.rejected_path is not None
    lines = result.rejected_path.read_bytes().decode("utf-8").split("\r\n")
    assert lines[0].endswith(";Luotu;Hylkäyksen syy")
    assert lines[1].endswith(";10.07.2022;tuntematon asiakastyyppi")


# The command.


@pytest.fixture
def english() -> Iterator[None]:
    previous = language()
    yield
    set_language(previous)


def register_count(path: Path, table: str = "customers") -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_command_lists_bad_rows_and_imports_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], english: None
) -> None:
    register = tmp_path / "register.db"
    path = sample(tmp_path, "asiakkaat-utf8")

    status = main(["--lang", "en", "import", str(path), "--db", sqlite_url(register)])

    out = capsys.readouterr().out.splitlines()
    assert status == 1
    assert out[:7] == [
        f"line {e['line']}: customer {e['customer_number']}: {e['reason']}"
        for e in expected("asiakkaat-utf8")["invalid"]
    ]
    assert out[0] == "line 40: customer 100035: unknown customer type"
    assert "Rows read: 300" in out
    assert "Imported: 0" in out
    assert "Rejected: 7" in out
    assert register_count(register) == 0


def test_command_with_skip_invalid_imports_and_names_the_rejected_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], english: None
) -> None:
    register = tmp_path / "register.db"
    path = sample(tmp_path, "asiakkaat-cp1252")

    status = main(
        [
            "--lang",
            "en",
            "import",
            str(path),
            "--db",
            sqlite_url(register),
            "--skip-invalid",
        ]
    )

    out = capsys.readouterr().out.splitlines()
    assert status == 0
    assert "Imported: 53" in out
    assert "Rejected: 7" in out
    assert (
        f"Rejected rows written to: {tmp_path / 'asiakkaat-cp1252.rejected.csv'}" in out
    )
    assert register_count(register) == 53


def test_command_second_import_refuses_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], english: None
) -> None:
    register = tmp_path / "register.db"
    path = sample(tmp_path, "asiakkaat-cp1252")
    arguments = ["--lang", "en", "import", str(path), "--db", sqlite_url(register)]
    assert main([*arguments, "--skip-invalid"]) == 0
    capsys.readouterr()

    status = main(arguments)

    out = capsys.readouterr().out.splitlines()
    assert status == 1
    assert "line 2: customer 200001: customer number is already in the register" in out
    assert "Rejected: 60" in out
    assert register_count(register) == 53
    assert register_count(register, "events") == 53


def test_command_exits_2_for_an_unreadable_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], english: None
) -> None:
    register = tmp_path / "register.db"
    missing = tmp_path / "puuttuu.csv"

    status = main(
        ["--lang", "en", "import", str(missing), "--db", sqlite_url(register)]
    )

    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert captured.err == (
        f"kortisto import: cannot read {missing}: No such file or directory\n"
    )
    assert not register.exists()


def test_command_exits_1_when_the_register_cannot_be_opened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], english: None
) -> None:
    path = sample(tmp_path, "asiakkaat-cp1252")

    status = main(["--lang", "en", "import", str(path), "--db", "nosuchdb://x"])

    assert status == 1
    assert capsys.readouterr().err.startswith(
        "kortisto import: cannot open the register: "
    )
