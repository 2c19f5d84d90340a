"""Finding customers as the operator types.

A query is split into words (see :func:`store.text.query_words`); a customer
matches when each word is the start of one of its search terms. Results
come in pages, each one indexed range query that stops after the page, so
the cost of a page does not grow with the register:

1. a customer whose number is exactly the query;
2. when the query has accents (``mäki``), customers whose terms start with
   it accents and all;
3. customers whose folded terms start with the folded query (``maki``).

Within a stage rows come in the order of the matched word, then the sort
name, then the id: the order of the index, so no query sorts its matches.
A customer matched by two of its words is shown once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, exists, not_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from store.db import Database
from store.models import Customer, SearchTerm
from store.text import QueryWord, prefix_bounds, query_words

#: Rows fetched for one page of the customer list.
PAGE_SIZE = 50


@dataclass(frozen=True)
class CustomerRow:
    """One line of the customer list."""

    id: int
    number: int
    name: str
    company: str
    street: str
    postal_code: str
    post_town: str
    phone: str
    delivery_blocked: bool


_ROW_COLUMNS = (
    Customer.id,
    Customer.number,
    Customer.last_name,
    Customer.first_name,
    Customer.company,
    Customer.street,
    Customer.postal_code,
    Customer.post_town,
    Customer.phone,
    Customer.delivery_blocked,
)


def _row(values: Any) -> CustomerRow:
    person = " ".join(p for p in (values.last_name, values.first_name) if p)
    return CustomerRow(
        id=values.id,
        number=values.number,
        name=person or values.company,
        company=values.company if person else "",
        street=values.street,
        postal_code=values.postal_code,
        post_town=values.post_town,
        phone=values.phone,
        delivery_blocked=values.delivery_blocked,
    )


@dataclass
class _Stage:
    """One ordered stream of matches and where the last page ended."""

    kind: str
    after: tuple[Any, ...] | None = None
    done: bool = False


@dataclass
class CustomerSearch:
    """The pages of customers that match one query, fetched on demand.

    Keep one per query and call :meth:`next_page` as the list scrolls; a new
    query starts a new search.
    """

    query: str
    words: list[QueryWord] = field(init=False)
    _stages: list[_Stage] = field(init=False)
    _seen: set[int] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self.words = query_words(self.query)
        stages: list[_Stage] = []
        if not self.query.strip():
            stages.append(_Stage("all"))
        elif self.words:
            if len(self.words) == 1 and self.words[0].folded.isdigit():
                stages.append(_Stage("number"))
            if self._driver.has_accents:
                stages.append(_Stage("exact"))
            stages.append(_Stage("folded"))
        self._stages = stages

    @property
    def exhausted(self) -> bool:
        """Whether every match has been returned."""
        return all(stage.done for stage in self._stages)

    @property
    def _driver(self) -> QueryWord:
        # The longest word narrows the index range the most.
        return max(self.words, key=lambda w: len(w.folded))

    async def next_page(
        self, database: Database, limit: int = PAGE_SIZE
    ) -> list[CustomerRow]:
        """The next ``limit`` customers or fewer; empty once exhausted."""
        async with database.read() as session:
            return await self.next_page_in(session, limit)

    async def next_page_in(
        self, session: AsyncSession, limit: int = PAGE_SIZE
    ) -> list[CustomerRow]:
        """:meth:`next_page` within an open session."""
        found: list[CustomerRow] = []
        for stage in self._stages:
            while not stage.done and len(found) < limit:
                want = limit - len(found)
                rows = await self._fetch(session, stage, want)
                if len(rows) < want:
                    stage.done = True
                for keys, row in rows:
                    stage.after = keys
                    if row.id not in self._seen:
                        self._seen.add(row.id)
                        found.append(row)
            if len(found) >= limit:
                break
        return found

    async def _fetch(
        self, session: AsyncSession, stage: _Stage, limit: int
    ) -> list[tuple[tuple[Any, ...], CustomerRow]]:
        if stage.kind == "all":
            statement = self._all(stage, limit)
            result = await session.execute(statement)
            return [((r.number,), _row(r)) for r in result]
        if stage.kind == "number":
            stage.done = True
            number = int(self.words[0].folded)
            result = await session.execute(
                select(*_ROW_COLUMNS).where(Customer.number == number)
            )
            return [((), _row(r)) for r in result]
        statement = self._terms(stage, limit)
        result = await session.execute(statement)
        return [((r.key, r.sort_name, r.id), _row(r)) for r in result]

    def _all(self, stage: _Stage, limit: int) -> Select[*tuple[Any, ...]]:
        statement: Select[*tuple[Any, ...]] = (
            select(*_ROW_COLUMNS).order_by(Customer.number).limit(limit)
        )
        if stage.after is not None:
            statement = statement.where(Customer.number > stage.after[0])
        return statement

    def _terms(self, stage: _Stage, limit: int) -> Select[*tuple[Any, ...]]:
        driver = self._driver
        if stage.kind == "exact":
            column = SearchTerm.exact_term
            low, high = prefix_bounds(driver.exact)
        else:
            column = SearchTerm.term
            low, high = prefix_bounds(driver.folded)
        conditions = [column >= low, column < high]
        if stage.kind == "folded" and driver.has_accents:
            # Those rows came already in the exact stage.
            exact_low, exact_high = prefix_bounds(driver.exact)
            conditions.append(
                or_(
                    SearchTerm.exact_term.is_(None),
                    not_(
                        and_(
                            SearchTerm.exact_term >= exact_low,
                            SearchTerm.exact_term < exact_high,
                        )
                    ),
                )
            )
        for word in self.words:
            if word is driver:
                continue
            other = aliased(SearchTerm)
            other_low, other_high = prefix_bounds(word.folded)
            conditions.append(
                exists().where(
                    other.customer_id == SearchTerm.customer_id,
                    other.term >= other_low,
                    other.term < other_high,
                )
            )
        if stage.after is not None:
            conditions.append(
                tuple_(column, SearchTerm.sort_name, SearchTerm.customer_id)
                > tuple_(*stage.after)
            )
        statement: Select[*tuple[Any, ...]] = (
            select(column.label("key"), SearchTerm.sort_name, *_ROW_COLUMNS)
            .join(Customer, Customer.id == SearchTerm.customer_id)
            .where(*conditions)
            .order_by(column, SearchTerm.sort_name, SearchTerm.customer_id)
            .limit(limit)
        )
        return statement
