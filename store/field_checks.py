"""Checks the card form needs beyond those in :mod:`store.validation`.

Same contract as there: each check strips spaces, returns the value in the
form the register keeps, and raises :class:`~store.validation.FieldError`
with a plain message id otherwise.

Decisions where the sources are silent:

- A date may leave out its year (``1.7.``): operators write the current
  year that way when a caller says "the first of July". The year is the
  business year of ``today``, never guessed from whether the day has passed.
- Euro amounts and VAT percents take a comma or a point and at most two
  decimals; a trailing ``€`` or ``%`` is allowed, as operators type them.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from store.errors import N_
from store.validation import FieldError, clean_text

_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})?")
_DECIMAL = re.compile(r"\d+(?:[.,]\d+)?")
_HUNDREDTH = Decimal("0.01")
#: The largest customer number an integer column holds safely everywhere.
MAX_CUSTOMER_NUMBER = 2_147_483_647


def validate_finnish_date(value: str, field: str, today: dt.date) -> dt.date | None:
    """A date written ``1.7.2027``, ``01.07.2027``, or ``1.7.`` for this year.

    Returns ``None`` for an empty value.

    Raises:
        FieldError: the date is not in one of those forms or does not exist.
    """
    text = clean_text(value, field, max_length=20)
    if not text:
        return None
    match = _DATE.fullmatch(text)
    if match is None:
        raise FieldError(field, N_("date must be written dd.mm.yyyy"))
    day, month = int(match.group(1)), int(match.group(2))
    year = int(match.group(3)) if match.group(3) else today.year
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise FieldError(field, N_("date does not exist")) from None


def validate_customer_number(value: str, field: str) -> int | None:
    """A customer number as typed, or ``None`` for an empty value.

    Raises:
        FieldError: the value is not a positive whole number.
    """
    text = clean_text(value, field, max_length=20)
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or int(text) == 0:
        raise FieldError(field, N_("customer number must be a positive whole number"))
    number = int(text)
    if number > MAX_CUSTOMER_NUMBER:
        raise FieldError(field, N_("customer number is too large"))
    return number


def _decimal(text: str, field: str, not_a_number: str) -> Decimal:
    if not _DECIMAL.fullmatch(text):
        raise FieldError(field, not_a_number)
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise FieldError(field, not_a_number) from None


def validate_euros(value: str | Decimal, field: str) -> Decimal:
    """A euro amount of zero or more with at most two decimals.

    Raises:
        FieldError: the amount is missing, not a number, negative or has
            more than two decimals.
    """
    if isinstance(value, Decimal):
        amount = value
    else:
        text = clean_text(value, field, max_length=20).removesuffix("€").rstrip()
        if not text:
            raise FieldError(field, N_("amount is missing"))
        if text.startswith("-"):
            raise FieldError(field, N_("amount cannot be negative"))
        amount = _decimal(text, field, N_("amount must be a number of euros"))
    if not amount.is_finite():
        raise FieldError(field, N_("amount must be a number of euros"))
    if amount < 0:
        raise FieldError(field, N_("amount cannot be negative"))
    if amount >= Decimal("10000000000"):
        raise FieldError(field, N_("amount is too large"))
    rounded = amount.quantize(_HUNDREDTH)
    if rounded != amount:
        raise FieldError(field, N_("amount can have at most two decimals"))
    return rounded


def validate_vat_percent(value: str | Decimal, field: str = "vat_percent") -> Decimal:
    """A VAT percent from 0 to 100 with at most two decimals (``25,5``).

    Raises:
        FieldError: the value is missing, not a number, out of range or has
            more than two decimals.
    """
    if isinstance(value, Decimal):
        percent = value
    else:
        text = clean_text(value, field, max_length=20).removesuffix("%").rstrip()
        if not text:
            raise FieldError(field, N_("VAT percent is missing"))
        percent = _decimal(text, field, N_("VAT percent must be a number"))
    if not percent.is_finite() or not Decimal(0) <= percent <= Decimal(100):
        raise FieldError(field, N_("VAT percent must be between 0 and 100"))
    rounded = percent.quantize(_HUNDREDTH)
    if rounded != percent:
        raise FieldError(field, N_("VAT percent can have at most two decimals"))
    return rounded


def validate_months(value: str, field: str = "months") -> int:
    """A term length in whole months, 1 to 120.

    Raises:
        FieldError: the value is missing, not a whole number, or out of range.
    """
    text = clean_text(value, field, max_length=5)
    if not text:
        raise FieldError(field, N_("the number of months is missing"))
    if not text.isascii() or not text.isdigit():
        raise FieldError(field, N_("the number of months must be a whole number"))
    months = int(text)
    if not 1 <= months <= 120:
        raise FieldError(field, N_("the number of months must be between 1 and 120"))
    return months
