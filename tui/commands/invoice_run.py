"""``kortisto invoice-run --date D [--dry-run]``: bill what falls due by D.

A batch command for cron. It bills every subscription period that starts
on or before D and is not billed yet, with the rules of
:mod:`store.billing`, and prints a summary: invoices, sums per delivery
method, surcharges. ``--dry-run`` prints the same summary and writes
nothing. A progress bar shows on standard error only when it is a
terminal, so cron mails stay clean.

D is written ``d.m.yyyy`` (``1.7.2027``) or ``yyyy-mm-dd``. The exit status
is 0 when the run was made, 1 when it failed (whole batches already billed
stay billed, and a new run bills the rest) and 2 when the date is not
valid.
"""

from __future__ import annotations

import datetime as dt
import sys

from store.clock import Clock
from store.db import open_database
from store.errors import KortistoError, brief
from store.invoicing import RunSummary, run_invoicing
from store.models import InvoiceDelivery
from store.validation import describe, validate_date
from tui.commands.progress import progress_bar
from tui.formatting import date as format_date
from tui.formatting import money
from tui.i18n import N_, _

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

_METHODS = {
    InvoiceDelivery.PAPER: N_("paper"),
    InvoiceDelivery.EMAIL: N_("email"),
    InvoiceDelivery.EINVOICE: N_("e-invoice"),
}


def parse_run_date(text: str) -> dt.date:
    """The run date from ``d.m.yyyy`` or ``yyyy-mm-dd``.

    Raises:
        KortistoError: it is neither, or no such day exists.
    """
    value = text.strip()
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    found = validate_date(value, "date", required=True)
    assert found is not None
    return found


#: How far past today a run may bill; invoices go out ahead of their periods.
MAX_DAYS_AHEAD = 62


async def run_invoice_run(
    url: str | None, date: str, dry_run: bool, *, clock: Clock | None = None
) -> int:
    """Run the invoice run for ``date`` on the register at ``url``.

    Returns the exit status (see the module's description).
    """
    clock = clock or Clock()
    try:
        on = parse_run_date(date)
    except KortistoError as error:
        _complain(
            _("--date {value}: {reason}").format(
                value=date, reason=describe(error.message, error.values, _)
            )
        )
        return EXIT_USAGE
    latest = clock.today() + dt.timedelta(days=MAX_DAYS_AHEAD)
    if on > latest:
        # A mistyped year would bill years of periods ahead at once.
        _complain(
            _(
                "--date {value}: an invoice run can bill at most {days} days ahead, "
                "up to {latest}"
            ).format(value=date, days=MAX_DAYS_AHEAD, latest=format_date(latest))
        )
        return EXIT_USAGE

    try:
        database = await open_database(url)
    except Exception as error:
        _complain(_("cannot open the register: {error}").format(error=brief(error)))
        return EXIT_FAILED
    try:
        with progress_bar(_("Billing payers")) as progress:
            summary = await run_invoicing(
                database, clock, on, dry_run=dry_run, progress=progress
            )
    except KortistoError as error:
        _complain(describe(error.message, error.values, _))
        return EXIT_FAILED
    except Exception as error:
        _complain(_("the invoice run failed: {error}").format(error=brief(error)))
        return EXIT_FAILED
    finally:
        await database.close()

    print_summary(summary)
    return EXIT_OK


def print_summary(summary: RunSummary) -> None:
    """Print what the run billed, or would bill."""
    print(_("Invoice run for {date}").format(date=format_date(summary.on)))
    if summary.dry_run:
        print(_("Dry run: nothing was written."))
    print(_("Invoice date: {date}").format(date=format_date(summary.invoice_date)))
    print(_("Invoices: {count}").format(count=summary.invoices))
    print(_("Subscriptions billed: {count}").format(count=summary.subscriptions))
    print(_("Total: {amount}").format(amount=money(summary.total)))
    for method, label in _METHODS.items():
        found = summary.by_delivery.get(method)
        if found is None:
            continue
        print(
            _("  {method}: {count} invoices, {amount}").format(
                method=_(label), count=found.invoices, amount=money(found.total)
            )
        )
    print(
        _("Surcharges: {count}, {amount}").format(
            count=summary.surcharges, amount=money(summary.surcharge_total)
        )
    )
    print(_("For direct payment: {count}").format(count=summary.direct_payment))
    if summary.first_number is not None:
        print(
            _("Invoice numbers: {first}-{last}").format(
                first=summary.first_number, last=summary.last_number
            )
        )


def _complain(message: str) -> None:
    print(f"kortisto invoice-run: {message}", file=sys.stderr)
