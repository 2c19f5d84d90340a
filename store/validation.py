"""Checking and normalising the values typed into a customer card.

The importer checks every row of an export with these, and card editing
checks what the operator types with the same ones, so a value the card
refuses is refused by an import too.

Each validator strips leading and trailing spaces, returns the value in the
form the register keeps, and raises :class:`FieldError` with a plain
message when the value cannot be kept. An empty value is allowed unless
the validator is asked for a required one; a value longer than its column
is refused, never cut.

Decisions where the sources are silent:

- A phone number written without a country code is Finnish; one written
  with ``+`` or ``00`` may be from any country (customers who winter
  abroad), as long as it is a valid number there.
- An email address must not need SMTPUTF8: an address with ``ä`` before
  the ``@`` is refused, since ordinary mail servers cannot deliver to it and
  it is most often a typing slip. Internationalised domains are allowed.
- An e-invoice address is an OVT code (``0037`` + business ID digits + an
  optional extension of up to five characters) or an IBAN; the business ID
  inside an OVT code is not checked, because operators issue such codes
  for organisations whose own ID they do not embed. An intermediator ID is
  an OVT code or a BIC.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, cast

import email_validator
import phonenumbers
from sqlalchemy import String
from stdnum import bic, iban
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.fi import ytunnus

from store.errors import N_, KortistoError
from store.models import Customer

#: What operators read for each field in generic messages.
FIELD_LABELS: dict[str, str] = {
    "number": N_("customer number"),
    "customer_type": N_("customer type"),
    "last_name": N_("last name"),
    "first_name": N_("first name"),
    "company": N_("company name"),
    "business_id": N_("business ID"),
    "street": N_("street address"),
    "postal_code": N_("postal code"),
    "post_town": N_("post town"),
    "country": N_("country"),
    "phone": N_("phone number"),
    "email": N_("email address"),
    "invoice_delivery": N_("invoice delivery method"),
    "einvoice_address": N_("e-invoice address"),
    "einvoice_operator": N_("intermediator ID"),
    "discount_percent": N_("discount"),
    "consolidated_invoice": N_("consolidated invoice"),
    "direct_payment": N_("direct payment"),
    "surcharge_exempt": N_("surcharge exemption"),
    "early_delivery_blocked": N_("early delivery block"),
    "delivery_blocked": N_("block list"),
    "consent_email": N_("email marketing"),
    "consent_sms": N_("text message marketing"),
    "consent_phone": N_("phone marketing"),
    "free_grouping": N_("free grouping"),
    "notes": N_("additional info"),
    "group": N_("customer group"),
    "created_on": N_("creation date"),
}

#: The longest additional info kept; the column itself has no limit, but a
#: card holding a book would be a mistake.
MAX_NOTES_LENGTH = 20_000

_OVT = re.compile(r"0037\d{8}[0-9A-Z]{0,5}", re.ASCII)
_IBAN_START = re.compile(r"[A-Z]{2}\d{2}", re.ASCII)
_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", re.ASCII)
_DECIMAL = re.compile(r"[+-]?\d+(?:[.,]\d+)?", re.ASCII)
_COUNTRY = re.compile(r"[A-Z]{2}", re.ASCII)
_FINNISH_POSTAL_CODE = re.compile(r"\d{5}", re.ASCII)
_OTHER_POSTAL_CODE = re.compile(r"[0-9A-Z][0-9A-Z -]{0,9}", re.ASCII)
_SPACES = re.compile(r"[\s-]+")
_HUNDREDTH = Decimal("0.01")
_LINE_BREAKS = "\r\n\u2028\u2029"
# Control characters (Unicode category Cc) and the Unicode line separators;
# text that may span lines keeps its line feeds and tabs.
_CONTROL_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _same(message: str) -> str:
    return message


class FieldError(KortistoError):
    """A value that cannot be kept in ``field``, with the reason why.

    ``message`` is an English gettext message id; a ``label`` among the
    values is a message id too (the field as operators call it).
    """

    def __init__(self, field: str, message: str, **values: Any) -> None:
        super().__init__(message, **values)
        self.field = field

    def describe(self, translate: Callable[[str], str] = _same) -> str:
        """The message in the language of ``translate``, values filled in."""
        return describe(self.message, self.values, translate)


def describe(
    message: str, values: Mapping[str, Any], translate: Callable[[str], str] = _same
) -> str:
    """``message`` translated with ``translate``, its values filled in.

    A ``label`` value names a field and is translated as well.
    """
    if not values:
        return translate(message)
    filled = dict(values)
    if isinstance(filled.get("label"), str):
        filled["label"] = translate(filled["label"])
    return translate(message).format(**filled)


def label(field: str) -> str:
    """The message id operators read for ``field``."""
    return FIELD_LABELS.get(field, field)


def column_length(field: str) -> int:
    """The longest value kept in the customer column ``field``.

    A text column without a length (the additional info) keeps
    :data:`MAX_NOTES_LENGTH` characters.
    """
    column_type = Customer.__table__.c[field].type
    length = cast(String, column_type).length
    return MAX_NOTES_LENGTH if length is None else int(length)


def missing(field: str) -> FieldError:
    """The error for a required ``field`` left empty."""
    return FieldError(field, N_("{label} is missing"), label=label(field))


def clean_text(
    value: str,
    field: str,
    *,
    max_length: int | None = None,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """``value`` stripped, checked for length and for characters it may hold.

    Args:
        value: what was typed or read.
        field: the field's code name, for the error.
        max_length: the longest value kept; by default the length of the
            customer column of the same name.
        required: refuse an empty value.
        multiline: allow line breaks (kept as ``\\n``) and tabs.

    Raises:
        FieldError: the value is missing, too long or holds a line break or
            a control character where none may be.
    """
    text = value.strip()
    if not unicodedata.is_normalized("NFC", text):
        # One spelling of ``ä`` whatever the keyboard or the exporting system.
        text = unicodedata.normalize("NFC", text)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        if required:
            raise missing(field)
        return ""
    limit = column_length(field) if max_length is None else max_length
    if len(text) > limit:
        raise FieldError(
            field,
            N_("{label} is too long: at most {limit} characters"),
            label=label(field),
            limit=limit,
        )
    pattern = _CONTROL_IN_TEXT if multiline else _CONTROL_IN_LINE
    found = pattern.search(text)
    if found is not None:
        if found.group() in _LINE_BREAKS:
            raise FieldError(
                field, N_("{label} cannot have line breaks"), label=label(field)
            )
        raise FieldError(
            field, N_("{label} has a control character"), label=label(field)
        )
    return text


def validate_business_id(value: str, field: str = "business_id") -> str:
    """A Finnish business ID (Y-tunnus) in its usual form ``1234567-8``.

    Raises:
        FieldError: the ID has the wrong form or a wrong check digit.
    """
    text = clean_text(value, field)
    if not text:
        return ""
    try:
        return str(ytunnus.format(ytunnus.validate(text)))
    except InvalidChecksum:
        raise FieldError(field, N_("business ID check digit is wrong")) from None
    except ValidationError:
        raise FieldError(
            field, N_("business ID must be seven digits, a hyphen and a check digit")
        ) from None


@dataclass(frozen=True)
class Phone:
    """A phone number as typed, and the same number in E.164 form."""

    display: str
    """The number as the operator or the export wrote it, for the card."""
    e164: str
    """The normalised form (``+358401234567``), for search and for texts."""


def validate_phone(value: str, field: str = "phone", region: str = "FI") -> Phone:
    """A phone number, read as a number of ``region`` when it has no ``+``.

    An empty value gives an empty :class:`Phone`.

    Raises:
        FieldError: the number is not a valid phone number.
    """
    text = clean_text(value, field)
    if not text:
        return Phone("", "")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise FieldError(field, N_("phone number is not valid"))
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return Phone(text, e164)


def validate_email(value: str, field: str = "email") -> str:
    """An email address in its normalised form (the domain in lower case).

    The domain is not looked up: an import of 100,000 rows must not wait on
    DNS, and a customer's address is theirs to know.

    Raises:
        FieldError: the address is not a valid email address.
    """
    text = clean_text(value, field)
    if not text:
        return ""
    try:
        checked = email_validator.validate_email(
            text, check_deliverability=False, allow_smtputf8=False
        )
    except email_validator.EmailNotValidError:
        raise FieldError(field, N_("email address is not valid")) from None
    return str(checked.normalized)


def validate_country(value: str, field: str = "country") -> str:
    """A two-letter country code in upper case; empty means Finland.

    Raises:
        FieldError: the value is not two letters.
    """
    text = clean_text(value, field, max_length=40).upper()
    if not text:
        return "FI"
    if not _COUNTRY.fullmatch(text):
        raise FieldError(field, N_("country must be a two-letter code such as FI"))
    return text


def validate_postal_code(
    value: str, country: str = "FI", field: str = "postal_code"
) -> str:
    """A postal code of ``country``: five digits in Finland.

    Elsewhere only its shape is checked: letters, digits, spaces and hyphens,
    at most ten, in upper case.

    Raises:
        FieldError: the code does not fit the country's form.
    """
    text = clean_text(value, field)
    if not text:
        return ""
    if country.upper() in ("", "FI"):
        if not _FINNISH_POSTAL_CODE.fullmatch(text):
            raise FieldError(field, N_("postal code must have five digits"))
        return text
    text = text.upper()
    if not _OTHER_POSTAL_CODE.fullmatch(text):
        raise FieldError(field, N_("postal code is not valid"))
    return text


def validate_discount_percent(value: str, field: str = "discount_percent") -> Decimal:
    """A discount percent from 0 to 100, two decimals; ``12,5`` is 12.50.

    A trailing ``%`` is allowed; an empty value is no discount.

    Raises:
        FieldError: the value is not a number, is out of range or has more
            than two decimals.
    """
    text = clean_text(value, field, max_length=20).removesuffix("%").rstrip()
    if not text:
        return Decimal("0.00")
    if not _DECIMAL.fullmatch(text):
        raise FieldError(field, N_("discount must be a number"))
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise FieldError(field, N_("discount must be a number")) from None
    if not Decimal(0) <= number <= Decimal(100):
        raise FieldError(field, N_("discount must be between 0 and 100"))
    rounded = number.quantize(_HUNDREDTH)
    if rounded != number:
        raise FieldError(field, N_("discount can have at most two decimals"))
    return rounded


def validate_date(value: str, field: str, *, required: bool = False) -> dt.date | None:
    """A date written ``dd.mm.yyyy`` (``d.m.yyyy`` too) that exists.

    Returns ``None`` for an empty value that is not required.

    Raises:
        FieldError: the date is missing, not in that form, or does not exist.
    """
    text = clean_text(value, field, max_length=20, required=required)
    if not text:
        return None
    match = _DATE.fullmatch(text)
    if match is None:
        raise FieldError(field, N_("date must be written dd.mm.yyyy"))
    day, month, year = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise FieldError(field, N_("date does not exist")) from None


def validate_einvoice_address(value: str, field: str = "einvoice_address") -> str:
    """An e-invoice address: an OVT code or an IBAN, without spaces.

    Raises:
        FieldError: the value is neither, or is an IBAN with wrong check
            digits.
    """
    text = _compact(clean_text(value, field))
    if not text or _OVT.fullmatch(text):
        return text
    if _IBAN_START.match(text):
        try:
            return str(iban.validate(text))
        except ValidationError:
            raise FieldError(
                field, N_("e-invoice address is not a valid IBAN")
            ) from None
    raise FieldError(
        field, N_("e-invoice address must be an OVT code (0037…) or an IBAN")
    )


def validate_einvoice_operator(value: str, field: str = "einvoice_operator") -> str:
    """An intermediator ID: an OVT code or a BIC such as ``NDEAFIHH``.

    Raises:
        FieldError: the value is neither.
    """
    text = _compact(clean_text(value, field))
    if not text or _OVT.fullmatch(text):
        return text
    if bic.is_valid(text):
        return str(bic.compact(text))
    raise FieldError(
        field,
        N_("intermediator ID must be an OVT code (0037…) or a BIC such as NDEAFIHH"),
    )


def _compact(text: str) -> str:
    return _SPACES.sub("", text).upper()
