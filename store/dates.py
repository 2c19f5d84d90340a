"""Dates as Finnish operators type and read them.

``1.7.2027`` and ``01.07.2027`` are the first of July 2027; ``1.7.`` (or
``1.7``) is the first of July of the year of the given today, whatever
today is: a form never guesses "next year" behind the operator's back, it
shows the date it understood. Full dates are checked by
:func:`store.validation.validate_date`, so the card, the import and the
delivery forms refuse the same things with the same words.
"""

from __future__ import annotations

import datetime as dt
import re

from store.errors import N_
from store.validation import FieldError, clean_text, validate_date

_DAY_AND_MONTH = re.compile(r"(\d{1,2})\.(\d{1,2})\.?", re.ASCII)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def parse_date(
    value: str, field: str, *, today: dt.date, required: bool = True
) -> dt.date | None:
    """The date typed in ``value``: ``d.m.yyyy``, or ``d.m.`` for this year.

    Args:
        value: what the operator typed.
        field: the field's code name, for the error.
        today: the business date whose year a ``d.m.`` date falls in.
        required: refuse an empty value; otherwise it gives ``None``.

    Raises:
        FieldError: the value is missing, not a date in those forms, or a
            date that does not exist (``31.6.``, ``29.2.2027``).
    """
    text = clean_text(value, field, max_length=20)
    if not text:
        if required:
            raise FieldError(field, N_("date is missing"))
        return None
    short = _DAY_AND_MONTH.fullmatch(text)
    if short is None:
        return validate_date(text, field, required=True)
    day, month = (int(part) for part in short.groups())
    try:
        return dt.date(today.year, month, day)
    except ValueError:
        raise FieldError(field, N_("date does not exist")) from None


def format_date(value: dt.date) -> str:
    """``value`` as ``dd.mm.yyyy``, the form of the notes log and the forms."""
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def parse_command_date(value: str, field: str, *, today: dt.date) -> dt.date:
    """A date given to a batch command: ``2027-07-01`` as well as Finnish forms.

    Cron scripts write ISO dates (``date +%F``); operators type Finnish ones.

    Raises:
        FieldError: the value is neither form of a date that exists.
    """
    text = value.strip()
    if _ISO_DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise FieldError(field, N_("date does not exist")) from None
    parsed = parse_date(text, field, today=today)
    assert parsed is not None  # a required date is never None
    return parsed
