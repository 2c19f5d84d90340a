"""Creating customers in the register."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from store.clock import Clock
from store.db import Database
from store.indexing import refresh_sort_name, reindex_customers
from store.models import Customer, CustomerType, Event

#: The first number of a register's customers.
FIRST_CUSTOMER_NUMBER = 100001


async def next_customer_number(database: Database) -> int:
    """The number after the highest one in use."""
    async with database.read() as session:
        highest = await session.scalar(select(func.max(Customer.number)))
    return FIRST_CUSTOMER_NUMBER if highest is None else highest + 1


async def add_customer(
    database: Database,
    clock: Clock,
    *,
    operator_id: int | None = None,
    number: int | None = None,
    customer_type: str = CustomerType.PRIVATE,
    **fields: Any,
) -> Customer:
    """Add a customer with ``fields``, its search terms and a "created" event."""
    async with database.write() as session:
        if number is None:
            highest = await session.scalar(select(func.max(Customer.number)))
            number = FIRST_CUSTOMER_NUMBER if highest is None else highest + 1
        now = clock.now()
        customer = Customer(
            number=number,
            customer_type=customer_type,
            created_on=fields.pop("created_on", clock.today()),
            updated_at=now,
            updated_by_id=operator_id,
            **fields,
        )
        refresh_sort_name(customer)
        session.add(customer)
        await session.flush()
        await reindex_customers(session, [customer])
        session.add(
            Event(
                customer_id=customer.id,
                operator_id=operator_id,
                occurred_at=now,
                kind="created",
                summary="",
                changes={},
            )
        )
    return customer
