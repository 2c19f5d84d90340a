"""The customer's timeline: their events one year at a time.

The timeline and the audit trail are the same events; this reads one
calendar year of them (in Helsinki time) with who caused each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from store.clock import BUSINESS_ZONE
from store.db import Database
from store.errors import N_, NotFound
from store.models import Customer, Event, Operator


@dataclass(frozen=True)
class TimelineEvent:
    """One event as the timeline shows it."""

    occurred_at: dt.datetime
    kind: str
    summary: str
    changes: dict[str, Any]
    operator: str | None


@dataclass(frozen=True)
class TimelineYear:
    """One year of a customer's events, and which years have any."""

    number: int
    name: str
    year: int
    events: list[TimelineEvent]
    first_year: int | None
    last_year: int | None


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, 1, 1, tzinfo=BUSINESS_ZONE).astimezone(dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=BUSINESS_ZONE).astimezone(dt.UTC)
    return start, end


async def timeline_year(
    database: Database, number: int, year: int | None = None
) -> TimelineYear:
    """The events of customer ``number`` in ``year`` (default: the latest).

    Raises:
        NotFound: no customer has that number.
    """
    async with database.read() as session:
        customer = await session.scalar(
            select(Customer).where(Customer.number == number)
        )
        if customer is None:
            raise NotFound(N_("There is no customer {number}."), number=number)
        first, last = (
            await session.execute(
                select(func.min(Event.occurred_at), func.max(Event.occurred_at)).where(
                    Event.customer_id == customer.id
                )
            )
        ).one()
        first_year = _local(first).year if first else None
        last_year = _local(last).year if last else None
        shown = year if year is not None else (last_year or dt.datetime.now().year)
        start, end = _year_bounds(shown)
        rows = await session.execute(
            select(Event, Operator.name)
            .outerjoin(Operator, Operator.id == Event.operator_id)
            .where(
                Event.customer_id == customer.id,
                Event.occurred_at >= start,
                Event.occurred_at < end,
            )
            .order_by(Event.occurred_at, Event.id)
        )
        events = [
            TimelineEvent(
                occurred_at=_local(event.occurred_at),
                kind=event.kind,
                summary=event.summary,
                changes=event.changes or {},
                operator=operator,
            )
            for event, operator in rows
        ]
    return TimelineYear(
        number=customer.number,
        name=customer.display_name,
        year=shown,
        events=events,
        first_year=first_year,
        last_year=last_year,
    )


def _local(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; they were stored in UTC.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(BUSINESS_ZONE)
