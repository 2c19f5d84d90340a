"""``kortisto delivery-list --date D --out DIR``: the delivery lists of a day.

Writes one CSV per early-delivery bundle and one for the post into DIR
(see :mod:`store.delivery_list`) and prints, per list, its subscriptions
and copies, then how many running subscriptions get no paper and why. The
exit status is 0 when every list was written, 1 when anything failed (no
list of the day is then replaced) and 2 when the date is not valid.
"""

from __future__ import annotations

import sys
from pathlib import Path

from store.clock import Clock
from store.dates import format_date, parse_command_date
from store.db import open_database
from store.delivery import DeliveryReason
from store.delivery_list import DeliveryListSummary, write_delivery_lists
from store.errors import KortistoError, brief
from store.validation import describe
from tui.i18n import N_, _

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

#: How the summary names each reason a paper is not delivered.
REASON_LABELS: dict[DeliveryReason, str] = {
    DeliveryReason.BLOCK_LIST: N_("on the block list"),
    DeliveryReason.SUSPENDED: N_("suspended"),
    DeliveryReason.NO_ADDRESS: N_("no address"),
}


async def run_delivery_list(
    url: str | None, date: str, out: str, *, clock: Clock | None = None
) -> int:
    """Write the delivery lists of ``date`` into ``out``.

    Returns the exit status (see the module's description).
    """
    clock = clock or Clock()
    try:
        on = parse_command_date(date, "date", today=clock.today())
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
        summary = await write_delivery_lists(database, on, Path(out))
    except OSError as error:
        _complain(
            _("cannot write the delivery lists: {error}").format(error=brief(error))
        )
        return EXIT_FAILED
    except Exception as error:
        _complain(
            _("the delivery lists were not made: {error}").format(error=brief(error))
        )
        return EXIT_FAILED
    finally:
        await database.close()

    _print_summary(summary)
    return EXIT_OK


def _print_summary(summary: DeliveryListSummary) -> None:
    print(_("Delivery lists for {date}").format(date=format_date(summary.on)))
    for written in summary.files:
        if written.bundle is None:
            name = _("Post")
        else:
            name = _("Bundle {bundle}").format(bundle=written.bundle.label)
        print(
            _("{name}: {subscriptions} subscriptions, {copies} copies: {path}").format(
                name=name,
                subscriptions=written.subscriptions,
                copies=written.copies,
                path=written.path,
            )
        )
    print(
        _("In all: {subscriptions} subscriptions, {copies} copies").format(
            subscriptions=summary.subscriptions, copies=summary.copies
        )
    )
    for reason, count in sorted(summary.not_delivered.items()):
        label = _(REASON_LABELS.get(reason, reason.value))
        print(_("Not delivered, {reason}: {count}").format(reason=label, count=count))


def _complain(message: str) -> None:
    print(f"kortisto delivery-list: {message}", file=sys.stderr)
