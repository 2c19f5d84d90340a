"""``kortisto nightly [--date D]``: apply the address changes due for the night.

A batch command for cron, scheduled after midnight: without ``--date`` the
night is the one before the clock's today. It prints a summary on standard
output and each customer that failed on standard error; the exit status is
0 when everything due was applied, 1 when anything failed (those customers'
changes stay pending for the next run) and 2 when the date is not valid.
"""

from __future__ import annotations

import sys

from store.clock import Clock
from store.dates import format_date, parse_command_date
from store.db import open_database
from store.errors import KortistoError, brief
from store.nightly import NightlySummary, run_nightly
from store.validation import describe
from tui.i18n import _

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


async def run_nightly_command(
    url: str | None, date: str | None, *, clock: Clock | None = None
) -> int:
    """Run the night before ``date`` (default: today) on the register at ``url``.

    Returns the exit status (see the module's description).
    """
    clock = clock or Clock()
    try:
        on = (
            clock.today()
            if date is None
            else parse_command_date(date, "date", today=clock.today())
        )
    except KortistoError as error:
        _complain(
            _("--date {value}: {reason}").format(
                value=date, reason=describe(error.message, error.values, _)
            )
        )
        return EXIT_USAGE

    try:
        database = await open_database(url)
    except Exception as error:
        _complain(_("cannot open the register: {error}").format(error=brief(error)))
        return EXIT_FAILED
    try:
        summary = await run_nightly(database, clock, on)
    except KortistoError as error:
        _complain(describe(error.message, error.values, _))
        return EXIT_FAILED
    except Exception as error:
        _complain(_("the nightly run failed: {error}").format(error=brief(error)))
        return EXIT_FAILED
    finally:
        await database.close()

    _print_summary(summary)
    return EXIT_OK if summary.ok else EXIT_FAILED


def _print_summary(summary: NightlySummary) -> None:
    for failure in summary.failures:
        _complain(
            _("customer {number}: address change not applied: {error}").format(
                number=failure.customer_number, error=failure.error
            )
        )
    print(_("Nightly run for {date}").format(date=format_date(summary.on)))
    print(_("Customers with changes due: {count}").format(count=summary.customers_due))
    print(_("Address changes applied: {count}").format(count=summary.changes_applied))
    print(_("Customers updated: {count}").format(count=summary.customers_updated))
    print(_("Customers failed: {count}").format(count=len(summary.failures)))


def _complain(message: str) -> None:
    print(f"kortisto nightly: {message}", file=sys.stderr)
