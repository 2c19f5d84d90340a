"""Products, prices and customers for the subscription and invoicing tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from store.clock import Clock
from store.customers import add_customer
from store.db import Database
from store.models import Customer, Payer, Product, ProductKind, Setting
from store.operators import add_operator
from store.pricing import MONTHLY, SIX_MONTHS, TWELVE_MONTHS, Term, set_price

D = Decimal


async def admin(database: Database, clock: Clock, login: str = "anna") -> int:
    """An admin operator's id."""
    operator = await add_operator(database, login, clock, name=login, is_admin=True)
    return operator.id


async def product(
    database: Database,
    code: str,
    *,
    name: str | None = None,
    kind: ProductKind = ProductKind.PUBLICATION,
    vat: str = "14.00",
) -> int:
    """A product made straight in the table (products' CRUD is the settings')."""
    async with database.write() as session:
        row = Product(
            code=code, name=name or code, kind=kind, vat_percent=D(vat), retired=False
        )
        session.add(row)
        await session.flush()
        return row.id


async def price_list(
    database: Database,
    clock: Clock,
    operator_id: int,
    code: str,
    prices: dict[Term, str],
    valid_from: dt.date = dt.date(2020, 1, 1),
) -> None:
    """Prices for ``code``'s terms from ``valid_from``."""
    for term, price in prices.items():
        await set_price(
            database, clock, code, term, D(price), valid_from, operator_id=operator_id
        )


async def newspaper(database: Database, clock: Clock, operator_id: int) -> None:
    """The daily ``PL`` with 12-month, 6-month and monthly prices."""
    await product(database, "PL", name="Päivälehti")
    await price_list(
        database,
        clock,
        operator_id,
        "PL",
        {TWELVE_MONTHS: "299.00", SIX_MONTHS: "159.00", MONTHLY: "29.90"},
    )


async def customer(database: Database, clock: Clock, **fields: Any) -> Customer:
    """A customer; ``fields`` as in :func:`store.customers.add_customer`."""
    fields.setdefault("last_name", "Virtanen")
    fields.setdefault("first_name", "Liisa")
    fields.setdefault("street", "Kotikatu 1")
    fields.setdefault("postal_code", "00100")
    fields.setdefault("post_town", "Helsinki")
    return await add_customer(database, clock, **fields)


async def other_payer(
    database: Database,
    customer_id: int,
    payer_customer_id: int | None = None,
    **fields: Any,
) -> None:
    """Give a customer another payer."""
    async with database.write() as session:
        session.add(
            Payer(
                customer_id=customer_id, payer_customer_id=payer_customer_id, **fields
            )
        )


async def set_surcharge(
    database: Database,
    amount: str = "5.00",
    minimum_total: str = "0.00",
    only_ad_invoices: bool = False,
) -> None:
    """Change the surcharge setting the migrations seeded."""
    async with database.write() as session:
        await session.execute(
            update(Setting)
            .where(Setting.key == "surcharge")
            .values(
                value={
                    "amount": amount,
                    "minimum_total": minimum_total,
                    "only_ad_invoices": only_ad_invoices,
                }
            )
        )


async def customer_id(database: Database, number: int) -> int:
    async with database.read() as session:
        found = await session.scalar(
            select(Customer.id).where(Customer.number == number)
        )
    assert found is not None
    return found
