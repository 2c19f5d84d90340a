"""The one clock of the register.

Rules ask the clock for today's business date (Europe/Helsinki) and for the
moment to stamp events with; tests set a fixed clock instead of patching
``date.today()``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

#: Business dates are Finnish dates.
BUSINESS_ZONE = ZoneInfo("Europe/Helsinki")


class Clock:
    """The real clock."""

    def now(self) -> dt.datetime:
        """The current moment, in UTC."""
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        """Today's business date in Helsinki."""
        return self.now().astimezone(BUSINESS_ZONE).date()


class FixedClock(Clock):
    """A clock that shows one moment until it is moved."""

    def __init__(self, moment: dt.datetime) -> None:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=BUSINESS_ZONE)
        self.moment = moment.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        """The set moment."""
        return self.moment

    def advance(self, delta: dt.timedelta) -> None:
        """Move the clock on by ``delta``."""
        self.moment += delta
