"""The nightly run: address changes take effect in the night before their date.

``run_nightly(database, clock, on)`` is the night before ``on``: every
address change not yet applied whose date is ``on`` or earlier becomes the
customer's standard address, and the customer's notes log gets the line
``Osoitemuutos päivitetty dd.mm.yyyy`` with ``on``, the date it took effect.
Changes due on earlier dates that a missed night left pending are applied
too, so a run after an outage catches up; their line carries the date they
were actually applied.

Schedule it after midnight, so ``on`` is the calendar date the clock shows.
Whenever it runs, the card and the delivery lists already count pending
changes due by their date (see :mod:`store.delivery`), so a late night
never puts a paper at the old address.

Each customer is applied in a transaction of its own: a failure (or a
crash) leaves that customer's changes pending and the others applied, and
running again applies what is left and nothing twice. Automatic groupings
are computed whenever a card is read, so there is nothing of theirs to
recompute here; the search terms follow the new addresses.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from store.clock import Clock
from store.dates import format_date
from store.db import Database
from store.errors import N_, KortistoError
from store.holidays import apply_address_changes, pending_changes_due
from store.models import AddressChange, Customer

log = logging.getLogger(__name__)

#: How far ahead a night may be run: tonight is the night before tomorrow.
#: A date further on would apply changes before their time.
MAX_DAYS_AHEAD = 1


@dataclass(frozen=True)
class NightlyFailure:
    """A customer whose changes could not be applied, and why."""

    customer_number: int
    error: str
    """The error's first line, without the statement or its values."""


@dataclass
class NightlySummary:
    """What one nightly run did."""

    on: dt.date
    customers_due: int = 0
    """Customers that had changes due when the run began."""
    customers_updated: int = 0
    changes_applied: int = 0
    failures: list[NightlyFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every due change was applied."""
        return not self.failures


class NightlyDateTooLate(KortistoError):
    """The run was asked for a night that has not come yet."""


async def run_nightly(database: Database, clock: Clock, on: dt.date) -> NightlySummary:
    """Apply the address changes due for the night before ``on``.

    Raises:
        NightlyDateTooLate: ``on`` is after tomorrow.
    """
    latest = clock.today() + dt.timedelta(days=MAX_DAYS_AHEAD)
    if on > latest:
        raise NightlyDateTooLate(
            N_(
                "The nightly run can be made for {latest} at the latest, not for"
                " {on}: it would apply address changes before their date."
            ),
            latest=format_date(latest),
            on=format_date(on),
        )

    summary = NightlySummary(on=on)
    async with database.read() as session:
        due = (
            await session.execute(
                select(Customer.id, Customer.number)
                .where(
                    Customer.id.in_(
                        select(AddressChange.customer_id).where(
                            AddressChange.applied_on.is_(None),
                            AddressChange.effective_on <= on,
                        )
                    )
                )
                .order_by(Customer.number)
            )
        ).all()
    summary.customers_due = len(due)

    for customer_id, number in due:
        try:
            applied = await _apply_customer(database, clock, customer_id, on)
        except Exception as error:
            # One customer's trouble must not keep the others at their old
            # addresses; its changes stay pending for the next run.
            summary.failures.append(NightlyFailure(number, _brief(error)))
            log.warning("nightly: a customer failed: %s", type(error).__name__)
            continue
        if applied:
            summary.customers_updated += 1
            summary.changes_applied += applied

    log.info(
        "nightly for %s: %d address changes applied for %d customers, %d failed",
        on.isoformat(),
        summary.changes_applied,
        summary.customers_updated,
        len(summary.failures),
    )
    return summary


async def _apply_customer(
    database: Database, clock: Clock, customer_id: int, on: dt.date
) -> int:
    async with database.write() as session:
        customer = await session.scalar(
            select(Customer).where(Customer.id == customer_id).with_for_update()
        )
        if customer is None:
            return 0
        # Read again under the lock: an operator (or another run) may have
        # applied or cancelled them since the list was made.
        changes = await pending_changes_due(session, customer_id, on)
        return await apply_address_changes(
            session, clock, customer, changes, applied_on=on, operator_id=None
        )


def _brief(error: BaseException) -> str:
    # A database error's text repeats the statement and its parameters,
    # which are customers' data; the driver's own message is enough.
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
