"""Importing a customer register export (CSV) into the register.

The export is what publishers' older systems write from a spreadsheet:
``;`` between fields, CRLF line ends, a header of Finnish column names,
quoted fields that may hold ``;`` and line breaks, ``K``/``E`` booleans,
decimal commas and ``Lupa``/``Kielto`` consents. The encoding is UTF-8
(with or without a byte-order mark) or Windows-1252, found from the bytes.

An import is all or nothing: every row is checked before anything is
written, and one invalid row stops the whole import unless the caller asks
to skip invalid rows. Then the valid rows are written and the rejected ones
go to a file beside the export, in the same format and encoding with a
reason column added, so they can be fixed and that file imported as it is.

Decisions where the format is silent:

- Columns are found by name, in any order, ignoring case and stray spaces.
  A column the importer does not know refuses the file (it could be a
  misspelt one whose data would be lost); a column left out is empty.
  Only the customer number and the customer type must be there.
- A row of nothing but empty fields is skipped and not counted.
- A customer without a creation date (``Luotu``) was created on the day of
  the import; a creation date in the future is refused.
- Group names are matched to the register's groups ignoring case; a name
  the register does not have becomes a new group.
- Customer types are the built-in ones by their Finnish names, and any type
  of the settings list in use, by its name or code.
- Each consent is recorded as given on the creation date, with the
  settings list's import source ``Tuonti``.
- A row is reported with its first problem, in column order, so the reason
  reads as one plain sentence; fixing it may reveal the next.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import datetime as dt
import enum
import io
import logging
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from store import validation
from store.clock import Clock
from store.db import Database
from store.errors import N_, KortistoError
from store.indexing import refresh_sort_name, reindex_customers
from store.models import (
    Consent,
    ConsentChannel,
    ConsentStatus,
    Customer,
    CustomerGroup,
    CustomerType,
    CustomerTypeOption,
    Event,
    Group,
    InvoiceDelivery,
)
from store.validation import FieldError, clean_text

log = logging.getLogger(__name__)

#: Rows written between flushes; also how often progress is reported.
BATCH_SIZE = 1000
#: The source recorded on consents that came from an import: the name of
#: the built-in import source in the consent-source settings list.
CONSENT_SOURCE = "Tuonti"
#: The kind of the event each imported customer gets.
EVENT_KIND = "imported"

#: Export column names in lower case and the field each one fills.
COLUMNS: dict[str, str] = {
    "asiakasnro": "number",
    "asiakastyyppi": "customer_type",
    "sukunimi": "last_name",
    "etunimi": "first_name",
    "yritys": "company",
    "y-tunnus": "business_id",
    "lähiosoite": "street",
    "postinumero": "postal_code",
    "postitoimipaikka": "post_town",
    "maa": "country",
    "puhelin": "phone",
    "sähköposti": "email",
    "laskun toimitustapa": "invoice_delivery",
    "verkkolaskuosoite": "einvoice_address",
    "välittäjätunnus": "einvoice_operator",
    "alennus %": "discount_percent",
    "koontilasku": "consolidated_invoice",
    "suoramaksu": "direct_payment",
    "ei laskutuslisää": "surcharge_exempt",
    "varhaisjakelun esto": "early_delivery_blocked",
    "estolista": "delivery_blocked",
    "markkinointi sähköposti": "consent_email",
    "markkinointi tekstiviesti": "consent_sms",
    "markkinointi puhelin": "consent_phone",
    "asiakasryhmä": "group",
    "lisätiedot": "notes",
    "luotu": "created_on",
    "hylkäyksen syy": "reason",
}
#: The column a rejected-rows file adds: why the row was refused. The
#: importer passes over it, so a fixed file imports as it is.
REASON_COLUMN = "Hylkäyksen syy"
#: Columns without which a row cannot become a customer.
REQUIRED_COLUMNS = ("number", "customer_type")

#: The export's names of the built-in customer types, and their codes.
BUILT_IN_CUSTOMER_TYPES: dict[str, str] = {
    "yksityinen": CustomerType.PRIVATE.value,
    "yritys": CustomerType.COMPANY.value,
    "ilmoitusasiakas": CustomerType.AD_CUSTOMER.value,
}
_INVOICE_DELIVERIES = {
    "": InvoiceDelivery.PAPER,
    "paperi": InvoiceDelivery.PAPER,
    "sähköposti": InvoiceDelivery.EMAIL,
    "verkkolasku": InvoiceDelivery.EINVOICE,
}
_BOOLEANS = {"": False, "e": False, "k": True}
_CONSENTS = {"lupa": ConsentStatus.ALLOWED, "kielto": ConsentStatus.DENIED}
_FLAGS = (
    "consolidated_invoice",
    "direct_payment",
    "surcharge_exempt",
    "early_delivery_blocked",
    "delivery_blocked",
)
_CONSENT_CHANNELS = {
    "consent_email": ConsentChannel.EMAIL,
    "consent_sms": ConsentChannel.SMS,
    "consent_phone": ConsentChannel.PHONE,
}
#: The largest customer number the ``INTEGER`` column holds on PostgreSQL.
_MAX_CUSTOMER_NUMBER = 2**31 - 1
_MAX_GROUP_NAME = 100
# A number query per this many customer numbers stays under every
# database's limit on bound parameters.
_NUMBERS_PER_QUERY = 1000
# Checking is plain Python work; handing the event loop back this often
# keeps an app that runs the import in a worker responsive.
_ROWS_PER_YIELD = 250


def _same(message: str) -> str:
    return message


class ImportFileError(KortistoError):
    """The export cannot be read at all: no row of it is checked."""


class ImportStage(enum.StrEnum):
    """The two passes of an import, for progress reports."""

    CHECKING = "checking"
    WRITING = "writing"


#: Called with the stage, the rows done in it and the rows it has in all.
ProgressCallback = Callable[[ImportStage, int, int], None]


@dataclass(frozen=True)
class ExportRow:
    """One data row of an export, as read."""

    row: int
    """The data-row number, from 1 after the header."""
    line: int
    """The physical line the row starts on; the header is line 1."""
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Export:
    """An export file read and split into rows, not yet checked."""

    path: Path
    encoding: str
    """``utf-8-sig`` (with a byte-order mark), ``utf-8`` or ``cp1252``."""
    header: tuple[str, ...]
    """The column names as the file has them, stray spaces removed."""
    columns: Mapping[str, int]
    """Each known field's position in a row."""
    rows: tuple[ExportRow, ...]


@dataclass(frozen=True)
class InvalidRow:
    """A row that cannot be imported, and why."""

    row: int
    line: int
    customer_number: str
    """The customer number as the row has it (it may be the problem)."""
    reason: str
    """An English gettext message id."""
    values: Mapping[str, Any] = field(default_factory=dict)
    """Values to fill into the reason after translating it."""
    field_name: str | None = None
    """The field at fault, when it is one field."""

    def describe(self, translate: Callable[[str], str] = _same) -> str:
        """The reason in the language of ``translate``."""
        return validation.describe(self.reason, self.values, translate)


@dataclass(frozen=True)
class CustomerRecord:
    """A row checked and turned into what the register keeps."""

    row: int
    line: int
    number: int
    values: Mapping[str, Any]
    """Column values of the new ``Customer``."""
    consents: Mapping[ConsentChannel, ConsentStatus]
    group: str


@dataclass(frozen=True)
class ImportResult:
    """What an import read, wrote and refused."""

    path: Path
    encoding: str
    rows_read: int
    imported: int
    rejected: tuple[InvalidRow, ...]
    rejected_path: Path | None
    """The file the rejected rows were written to, if any were."""
    skip_invalid: bool
    groups_created: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        """Whether invalid rows stopped the import, so nothing was written."""
        return bool(self.rejected) and not self.skip_invalid


def rejected_file_path(path: Path) -> Path:
    """Where the rejected rows of the export at ``path`` are written."""
    return path.with_name(f"{path.stem}.rejected{path.suffix or '.csv'}")


def read_export(path: Path) -> Export:
    """Read the export at ``path``: find its encoding, split it into rows.

    Raises:
        ImportFileError: the file cannot be read, is not UTF-8 or
            Windows-1252 text, is not valid CSV, or its header is not an
            export's header.
    """
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportFileError(
            N_("cannot read {path}: {error}"),
            path=str(path),
            error=error.strerror or str(error),
        ) from None
    text, encoding = _decode(raw, path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", strict=True)
    try:
        header_fields = next(reader)
    except StopIteration:
        raise ImportFileError(N_("{path} is empty"), path=str(path)) from None
    except csv.Error as error:
        raise _csv_error(error, 1) from None
    header = tuple(name.strip() for name in header_fields)
    columns = _columns(header)
    rows = tuple(_rows(reader))
    log.info("read %d rows (%s)", len(rows), encoding)
    return Export(path, encoding, header, columns, rows)


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    else:
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
        try:
            return raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    raise ImportFileError(
        N_("{path} is neither UTF-8 nor Windows-1252 text"), path=str(path)
    )


def _csv_error(error: csv.Error, line: int) -> ImportFileError:
    if "unexpected end of data" in str(error):
        return ImportFileError(
            N_("line {line}: a quoted field does not end"), line=line
        )
    return ImportFileError(
        N_("line {line}: the file is not valid CSV ({problem})"),
        line=line,
        problem=str(error),
    )


def _header_key(name: str) -> str:
    return " ".join(clean_text(name, "header", max_length=200).split()).casefold()


def _columns(header: Sequence[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    unknown: list[str] = []
    for position, name in enumerate(header):
        if not name:
            raise ImportFileError(
                N_("column {position} of the header has no name"),
                position=position + 1,
            )
        try:
            key = COLUMNS.get(_header_key(name))
        except FieldError:
            key = None
        if key is None:
            unknown.append(name)
        elif key in columns:
            raise ImportFileError(N_('column "{name}" appears twice'), name=name)
        else:
            columns[key] = position
    if unknown:
        raise ImportFileError(
            N_("unknown columns in the header: {names}"), names=", ".join(unknown)
        )
    for key in REQUIRED_COLUMNS:
        if key not in columns:
            wanted = next(name for name, k in COLUMNS.items() if k == key)
            raise ImportFileError(
                N_('the header has no column "{name}"'), name=wanted.capitalize()
            )
    return columns


def _rows(reader: Any) -> Iterator[ExportRow]:
    number = 0
    while True:
        # The reader counts physical lines, so a quoted line break inside a
        # row moves the next row's line on while its row number moves by one.
        line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _csv_error(error, line) from None
        if not any(f.strip() for f in fields):
            continue
        number += 1
        yield ExportRow(number, line, tuple(fields))


class _RowChecker:
    """Checks rows one by one, remembering the customer numbers seen."""

    def __init__(
        self, export: Export, today: dt.date, customer_types: Mapping[str, str]
    ) -> None:
        self.export = export
        self.today = today
        self.customer_types = customer_types
        self.seen: set[int] = set()

    def value(self, row: ExportRow, key: str) -> str:
        position = self.export.columns.get(key)
        if position is None or position >= len(row.fields):
            return ""
        return row.fields[position]

    def check(self, row: ExportRow) -> CustomerRecord | InvalidRow:
        number_text = self.value(row, "number").strip()[:40]
        try:
            if len(row.fields) != len(self.export.header):
                raise FieldError(
                    "",
                    N_("the row has a different number of fields than the header"),
                )
            number = self.customer_number(number_text)
            values, consents, group = self.fields(row)
        except FieldError as error:
            return InvalidRow(
                row.row,
                row.line,
                number_text,
                error.message,
                error.values,
                error.field or None,
            )
        values["number"] = number
        return CustomerRecord(row.row, row.line, number, values, consents, group)

    def customer_number(self, text: str) -> int:
        if not text:
            raise validation.missing("number")
        if not text.isascii() or not text.isdigit() or int(text) == 0:
            raise FieldError(
                "number", N_("customer number must be a positive whole number")
            )
        number = int(text)
        if number > _MAX_CUSTOMER_NUMBER:
            raise FieldError("number", N_("customer number is too large"))
        if number in self.seen:
            raise FieldError("number", N_("customer number repeats an earlier row"))
        self.seen.add(number)
        return number

    def fields(
        self, row: ExportRow
    ) -> tuple[dict[str, Any], dict[ConsentChannel, ConsentStatus], str]:
        def get(key: str) -> str:
            return self.value(row, key)

        values: dict[str, Any] = {}
        type_text = get("customer_type").strip()
        if not type_text:
            raise validation.missing("customer_type")
        kind = self.customer_types.get(_key(type_text))
        if kind is None:
            raise FieldError("customer_type", N_("unknown customer type"))
        values["customer_type"] = kind
        for key in ("last_name", "first_name", "company"):
            values[key] = clean_text(get(key), key)
        values["business_id"] = validation.validate_business_id(get("business_id"))
        values["street"] = clean_text(get("street"), "street")
        # The postal code's form depends on the country, a later column.
        country = validation.validate_country(get("country"))
        values["postal_code"] = validation.validate_postal_code(
            get("postal_code"), country
        )
        values["post_town"] = clean_text(get("post_town"), "post_town")
        values["country"] = country
        phone = validation.validate_phone(get("phone"), region=_phone_region(country))
        values["phone"] = phone.display
        values["phone_normalized"] = phone.e164
        values["email"] = validation.validate_email(get("email"))
        values["invoice_delivery"] = _choice(
            get("invoice_delivery"),
            "invoice_delivery",
            _INVOICE_DELIVERIES,
            N_("unknown invoice delivery method"),
        )
        values["einvoice_address"] = validation.validate_einvoice_address(
            get("einvoice_address")
        )
        values["einvoice_operator"] = validation.validate_einvoice_operator(
            get("einvoice_operator")
        )
        values["discount_percent"] = validation.validate_discount_percent(
            get("discount_percent")
        )
        for key in _FLAGS:
            values[key] = _choice(
                get(key), key, _BOOLEANS, N_("{label} must be K or E")
            )
        consents: dict[ConsentChannel, ConsentStatus] = {}
        for key, channel in _CONSENT_CHANNELS.items():
            text = clean_text(get(key), key, max_length=20)
            if text:
                consents[channel] = _choice(
                    text, key, _CONSENTS, N_("{label} must be Lupa or Kielto")
                )
        group = clean_text(get("group"), "group", max_length=_MAX_GROUP_NAME)
        values["notes"] = clean_text(
            get("notes"),
            "notes",
            max_length=validation.MAX_NOTES_LENGTH,
            multiline=True,
        )
        values["created_on"] = self.created_on(get("created_on"))
        _check_together(values)
        return values, consents, group

    def created_on(self, text: str) -> dt.date:
        created = validation.validate_date(text, "created_on")
        if created is None:
            return self.today
        if created > self.today:
            raise FieldError("created_on", N_("creation date is in the future"))
        return created


def _key(text: str) -> str:
    # Choices and group names match whatever the case, but ``ä`` stays
    # apart from ``a``: "Äänestäjät" and "Aanestajat" are not one group.
    return unicodedata.normalize("NFC", text).casefold()


def _phone_region(country: str) -> str:
    # A number without a country code belongs to the customer's country
    # when phonenumbers knows it; Finnish otherwise.
    return country if country in phonenumbers.SUPPORTED_REGIONS else "FI"


def _choice(text: str, key: str, choices: Mapping[str, Any], message: str) -> Any:
    cleaned = _key(clean_text(text, key, max_length=40))
    if cleaned not in choices:
        raise FieldError(key, message, label=validation.label(key))
    return choices[cleaned]


def _check_together(values: Mapping[str, Any]) -> None:
    if not (values["last_name"] or values["first_name"] or values["company"]):
        raise FieldError(
            "last_name", N_("the customer has no name and no company name")
        )
    if values["customer_type"] == CustomerType.COMPANY and not values["company"]:
        raise FieldError("company", N_("a company customer needs a company name"))
    if values["invoice_delivery"] == InvoiceDelivery.EINVOICE and not (
        values["einvoice_address"] and values["einvoice_operator"]
    ):
        raise FieldError(
            "einvoice_address",
            N_("e-invoicing needs an e-invoice address and an intermediator ID"),
        )


async def import_customers(
    database: Database,
    path: Path,
    *,
    clock: Clock,
    skip_invalid: bool = False,
    progress: ProgressCallback | None = None,
    translate: Callable[[str], str] = _same,
) -> ImportResult:
    """Read, check and import the export at ``path``.

    Args:
        database: the register to import into.
        path: the export file.
        clock: stamps the customers, consents and events; its date stands in
            for a missing creation date.
        skip_invalid: import the valid rows even when some are invalid, and
            write the invalid ones to :func:`rejected_file_path`.
        progress: told how many rows are checked, then written.
        translate: words the reasons in the rejected file (the UI passes its
            gettext; by default they stay English).

    Raises:
        ImportFileError: the file cannot be read as an export.
    """
    export = read_export(path)
    return await import_export(
        database,
        export,
        clock=clock,
        skip_invalid=skip_invalid,
        progress=progress,
        translate=translate,
    )


async def import_export(
    database: Database,
    export: Export,
    *,
    clock: Clock,
    skip_invalid: bool = False,
    progress: ProgressCallback | None = None,
    translate: Callable[[str], str] = _same,
) -> ImportResult:
    """Check every row of ``export``, then write it in one transaction.

    See :func:`import_customers` for the arguments. Nothing is written when
    a row is invalid, unless ``skip_invalid`` is set.
    """
    # TODO: the whole export and every checked row stay in memory until the
    # write ends (about 4 kB a row: 400 MB for 100,000 rows); a register of
    # a million rows would want the rows checked, then read again to write.
    report = progress or _no_progress
    async with database.read() as session:
        customer_types = await customer_type_names(session)
    records, rejected = await check_export(
        export, clock.today(), report, customer_types=customer_types
    )
    written = 0
    created: tuple[str, ...] = ()
    rejected_path: Path | None = None

    # TODO: on SQLite the whole import holds the write lock, so operators'
    # saves wait (and fail after the busy timeout) while a large file is
    # written; writing in several transactions would give up all-or-nothing.
    async with database.write() as session:
        present = await _numbers_in_register(session, [r.number for r in records])
        if present:
            rejected.extend(_already_present(records, present))
            rejected.sort(key=lambda r: r.row)
            records = [r for r in records if r.number not in present]
        if rejected and skip_invalid:
            rejected_path = write_rejected(export, rejected, translate)
        if not rejected or skip_invalid:
            written, created = await _write(session, export, records, clock, report)

    if rejected and not skip_invalid:
        log.info(
            "import refused: %d of %d rows invalid", len(rejected), len(export.rows)
        )
    else:
        log.info(
            "imported %d customers, rejected %d rows, created %d groups",
            written,
            len(rejected),
            len(created),
        )
    return ImportResult(
        path=export.path,
        encoding=export.encoding,
        rows_read=len(export.rows),
        imported=written,
        rejected=tuple(rejected),
        rejected_path=rejected_path,
        skip_invalid=skip_invalid,
        groups_created=created,
    )


def _no_progress(stage: ImportStage, done: int, total: int) -> None:
    pass


async def check_export(
    export: Export,
    today: dt.date,
    progress: ProgressCallback = _no_progress,
    *,
    customer_types: Mapping[str, str] | None = None,
) -> tuple[list[CustomerRecord], list[InvalidRow]]:
    """Check every row of ``export`` on its own and against the rows before it.

    ``customer_types`` maps each customer type name in lower case to its code;
    by default only the built-in types are known. Whether a customer number
    is already in the register is not checked here; that needs the
    database (see :func:`import_export`).
    """
    checker = _RowChecker(export, today, customer_types or BUILT_IN_CUSTOMER_TYPES)
    records: list[CustomerRecord] = []
    rejected: list[InvalidRow] = []
    total = len(export.rows)
    for done, row in enumerate(export.rows, start=1):
        result = checker.check(row)
        if isinstance(result, InvalidRow):
            rejected.append(result)
        else:
            records.append(result)
        if done % _ROWS_PER_YIELD == 0:
            await asyncio.sleep(0)
        if done % BATCH_SIZE == 0:
            progress(ImportStage.CHECKING, done, total)
    progress(ImportStage.CHECKING, total, total)
    log.info(
        "checked %d rows: %d valid, %d invalid", total, len(records), len(rejected)
    )
    return records, rejected


async def customer_type_names(session: AsyncSession) -> dict[str, str]:
    """Customer type names and codes (in lower case) an export may use.

    Every type of the settings list that is in use, by its name or its
    code; a register whose list is empty knows the built-in types.
    """
    options = (
        await session.execute(
            select(
                CustomerTypeOption.code,
                CustomerTypeOption.name,
                CustomerTypeOption.retired,
            )
        )
    ).all()
    if not options:
        return dict(BUILT_IN_CUSTOMER_TYPES)
    names: dict[str, str] = {}
    for code, name, retired in options:
        if not retired:
            names.setdefault(_key(code), code)
            names[_key(name)] = code
    return names


async def _numbers_in_register(session: AsyncSession, numbers: list[int]) -> set[int]:
    present: set[int] = set()
    for start in range(0, len(numbers), _NUMBERS_PER_QUERY):
        chunk = numbers[start : start + _NUMBERS_PER_QUERY]
        found = await session.scalars(
            select(Customer.number).where(Customer.number.in_(chunk))
        )
        present.update(found)
    return present


def _already_present(
    records: Iterable[CustomerRecord], present: set[int]
) -> Iterator[InvalidRow]:
    for record in records:
        if record.number in present:
            yield InvalidRow(
                record.row,
                record.line,
                str(record.number),
                N_("customer number is already in the register"),
                field_name="number",
            )


async def _write(
    session: AsyncSession,
    export: Export,
    records: list[CustomerRecord],
    clock: Clock,
    progress: ProgressCallback,
) -> tuple[int, tuple[str, ...]]:
    group_ids, created = await _group_ids(session, (r.group for r in records))
    now = clock.now()
    summary = f"Imported from {export.path.name}"[:500]
    written = 0
    for start in range(0, len(records), BATCH_SIZE):
        batch = records[start : start + BATCH_SIZE]
        customers = await _insert_customers(session, batch, now)
        await reindex_customers(session, customers)
        pairs = list(zip(batch, customers, strict=True))
        await _insert(
            session,
            Consent,
            [
                {
                    "customer_id": customer.id,
                    "channel": channel.value,
                    "status": status,
                    "source": CONSENT_SOURCE,
                    "given_on": customer.created_on,
                    "recorded_at": now,
                }
                for record, customer in pairs
                for channel, status in record.consents.items()
            ],
        )
        await _insert(
            session,
            CustomerGroup,
            [
                {"customer_id": customer.id, "group_id": group_ids[_key(record.group)]}
                for record, customer in pairs
                if record.group
            ],
        )
        await _insert(
            session,
            Event,
            [
                {
                    "customer_id": customer.id,
                    "operator_id": None,
                    "occurred_at": now,
                    "kind": EVENT_KIND,
                    "summary": summary,
                    "changes": {},
                }
                for customer in customers
            ],
        )
        written += len(batch)
        progress(ImportStage.WRITING, written, len(records))
    if not records:
        progress(ImportStage.WRITING, 0, 0)
    return written, created


async def _insert_customers(
    session: AsyncSession, batch: Sequence[CustomerRecord], now: dt.datetime
) -> list[Customer]:
    """Insert one batch of customers; returns them with their ids.

    The rows go in as one plain multi-row insert and the ids are read back
    by customer number: on SQLite that is several times faster than the
    unit of work's ``INSERT ... RETURNING``. The returned customers are not
    in the session; they only carry the values the search terms are made
    from, so memory stays flat however long the file is.
    """
    customers = [Customer(**r.values, updated_at=now, version=1) for r in batch]
    for customer in customers:
        refresh_sort_name(customer)
    await _insert(
        session,
        Customer,
        [
            {**r.values, "sort_name": c.sort_name, "updated_at": now, "version": 1}
            for r, c in zip(batch, customers, strict=True)
        ],
    )
    numbers = [r.number for r in batch]
    found = await session.execute(
        select(Customer.number, Customer.id).where(Customer.number.in_(numbers))
    )
    ids = {number: id_ for number, id_ in found}
    for customer in customers:
        customer.id = ids[customer.number]
    return customers


async def _insert(
    session: AsyncSession, model: type[Any], rows: list[dict[str, Any]]
) -> None:
    # A Core insert of the table: the ORM's bulk insert of the same rows
    # costs about three times as long.
    if rows:
        await session.execute(insert(model.__table__), rows)


async def _group_ids(
    session: AsyncSession, names: Iterable[str]
) -> tuple[dict[str, int], tuple[str, ...]]:
    """Ids of the groups named, by name in lower case; missing groups are created."""
    ids = {
        _key(name): id_
        for id_, name in await session.execute(select(Group.id, Group.name))
    }
    new: dict[str, Group] = {}
    for name in names:
        key = _key(name)
        if name and key not in ids and key not in new:
            new[key] = Group(name=name)
    if new:
        session.add_all(new.values())
        await session.flush()
        ids.update({key: group.id for key, group in new.items()})
    return ids, tuple(group.name for group in new.values())


def write_rejected(
    export: Export,
    rejected: Sequence[InvalidRow],
    translate: Callable[[str], str] = _same,
) -> Path:
    """Write the rejected rows beside the export, each with its reason.

    The file has the export's format and encoding and a last column
    :data:`REASON_COLUMN`, which the importer passes over, so the rows can
    be fixed in the same spreadsheet and the file imported as it is. A
    rejected file imported again keeps its one reason column, with the new
    reasons.
    """
    path = rejected_file_path(export.path)
    by_row = {row.row: row for row in export.rows}
    width = len(export.header)
    reason_at = export.columns.get("reason")
    header = list(export.header)
    if reason_at is None:
        header.append(REASON_COLUMN)
    with path.open("w", encoding=export.encoding, errors="replace", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        for invalid in rejected:
            fields = list(by_row[invalid.row].fields)
            fields.extend([""] * (width - len(fields)))
            reason = invalid.describe(translate)
            if reason_at is None:
                fields.append(reason)
            else:
                fields[reason_at] = reason
            writer.writerow(fields)
    log.info("wrote %d rejected rows", len(rejected))
    return path
