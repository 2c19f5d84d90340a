"""Keeping a customer's search terms in step with the card.

Every write of a customer's searchable fields goes through
:func:`reindex_customers`, so the list finds what the card shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Customer, SearchTerm
from store.text import customer_terms, sort_name

SEARCH_TERMS = cast(Table, SearchTerm.__table__)


def refresh_sort_name(customer: Customer) -> None:
    """Set the customer's sort name from its names."""
    customer.sort_name = sort_name(
        customer.last_name, customer.first_name, customer.company
    )


def term_rows(customer: Customer) -> list[dict[str, Any]]:
    """The ``search_terms`` rows of one customer (its id must be known)."""
    terms = customer_terms(
        number=customer.number,
        last_name=customer.last_name,
        first_name=customer.first_name,
        company=customer.company,
        business_id=customer.business_id,
        street=customer.street,
        postal_code=customer.postal_code,
        post_town=customer.post_town,
        email=customer.email,
        phone=customer.phone,
        country=customer.country,
    )
    return [
        {
            "customer_id": customer.id,
            "term": t.term,
            "exact_term": t.exact_term,
            "sort_name": customer.sort_name,
        }
        for t in sorted(terms, key=lambda t: (t.term, t.exact_term or ""))
    ]


async def reindex_customers(
    session: AsyncSession, customers: Iterable[Customer]
) -> None:
    """Replace the search terms of ``customers`` (flushed, with ids)."""
    customers = list(customers)
    if not customers:
        return
    await session.execute(
        delete(SearchTerm).where(SearchTerm.customer_id.in_([c.id for c in customers]))
    )
    rows = [row for c in customers for row in term_rows(c)]
    if rows:
        # A Core insert of the table: the ORM's bulk path costs several
        # times more per row, and terms are written in the millions.
        await session.execute(insert(SEARCH_TERMS), rows)
