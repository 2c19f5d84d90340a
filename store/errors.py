"""Errors an operator can cause, as values fit to show.

Messages are English gettext message ids marked with :func:`N_`; the user
interface translates them when it shows them. ``store`` itself never
translates, so batch output and tests read the same words.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark ``message`` for the translation catalogs without translating it."""
    return message


class KortistoError(Exception):
    """A refusal with a plain message and the values it names."""

    def __init__(self, message: str, **values: Any) -> None:
        super().__init__(message)
        self.message = message
        self.values = values

    def __str__(self) -> str:
        return self.message.format(**self.values) if self.values else self.message


class NotAnOperator(KortistoError):
    """The login is not an operator of this register."""


class NotFound(KortistoError):
    """The thing asked for is not in the register."""


def brief(error: BaseException) -> str:
    """The first line of ``error``, fit for a batch command's output.

    A database error's full text repeats the statement and its parameters,
    which are customers' data; the driver's own message is enough.
    """
    from sqlalchemy.exc import DBAPIError

    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
