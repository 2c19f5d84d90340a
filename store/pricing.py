"""Products' price lists.

A product has a price for each term it is sold with: fixed terms (for
example 12, 6 or 3 months) and continuous subscriptions billed every so
many months (monthly, usually). Each price is in force from a date until
the next price of the same term; the price of a subscription is the one in
force on its start date. A subscription copies its price when it is made
and an invoice copies its lines, so a new price never changes either.

Prices are VAT included, one copy for the whole term or billing period.
Only admins change price lists (products themselves are kept in
``store.settings``); everyone may read them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.billing import round_cents
from store.clock import Clock
from store.db import Database
from store.errors import N_, KortistoError, NotFound
from store.models import Operator, Product, ProductPrice
from store.validation import FieldError

log = logging.getLogger(__name__)

#: The longest term or billing period a price list takes.
MAX_TERM_MONTHS = 36
#: The highest price one copy can have for one term.
MAX_PRICE = Decimal("99999999.99")


class NotAllowed(KortistoError):
    """The operator may not change price lists."""


@dataclass(frozen=True, order=True)
class Term:
    """How long a subscription runs, or how often a continuous one is billed."""

    months: int
    continuous: bool = False

    @property
    def message(self) -> str:
        """The term in words, as a message id with ``{months}``."""
        if self.continuous:
            if self.months == 1:
                return N_("continuous, monthly")
            return N_("continuous, every {months} months")
        if self.months == 1:
            return N_("1 month")
        return N_("{months} months")


#: The terms a newspaper usually sells.
TWELVE_MONTHS = Term(12)
SIX_MONTHS = Term(6)
THREE_MONTHS = Term(3)
MONTHLY = Term(1, continuous=True)


@dataclass(frozen=True)
class PriceView:
    """One price of a price list."""

    id: int
    product_code: str
    term: Term
    valid_from: dt.date
    price: Decimal


def validate_term(term: Term, field: str = "term") -> Term:
    """``term`` if its length is whole months between 1 and 36.

    Raises:
        FieldError: it is not.
    """
    if not 1 <= term.months <= MAX_TERM_MONTHS:
        raise FieldError(
            field,
            N_("a term is 1 to {most} months"),
            most=MAX_TERM_MONTHS,
        )
    return term


def validate_price(value: Decimal | str, field: str = "price") -> Decimal:
    """``value`` as euros to the cent, zero or more.

    Raises:
        FieldError: it is not a sum of euros, or it is negative or too big.
    """
    try:
        price = (
            value
            if isinstance(value, Decimal)
            else Decimal(str(value).strip().replace(",", "."))
        )
    except InvalidOperation:
        raise FieldError(field, N_("give the price in euros, e.g. 12,50")) from None
    if not price.is_finite() or price != round_cents(price):
        raise FieldError(field, N_("give the price in euros, e.g. 12,50"))
    if price < 0 or price > MAX_PRICE:
        raise FieldError(field, N_("the price must be zero or more"))
    return round_cents(price)


async def product_by_code(session: AsyncSession, code: str) -> Product:
    """The product with ``code``.

    Raises:
        NotFound: there is none.
    """
    product = await session.scalar(select(Product).where(Product.code == code))
    if product is None:
        raise NotFound(N_("There is no product {code}."), code=code)
    return product


async def _require_admin(session: AsyncSession, operator_id: int) -> None:
    operator = await session.get(Operator, operator_id)
    if operator is None or not operator.is_admin or not operator.active:
        raise NotAllowed(N_("Only an admin may change price lists."))


async def set_price(
    database: Database,
    clock: Clock,
    product_code: str,
    term: Term,
    price: Decimal | str,
    valid_from: dt.date,
    *,
    operator_id: int,
) -> PriceView:
    """Put ``price`` on the price list for ``term`` from ``valid_from`` on.

    A price already set for the same term and date is replaced; earlier
    prices stay in force until ``valid_from``.

    Raises:
        NotAllowed: the operator is not an admin.
        NotFound: there is no such product.
        FieldError: the term or the price is not valid.
    """
    validate_term(term)
    amount = validate_price(price)
    async with database.write() as session:
        await _require_admin(session, operator_id)
        product = await product_by_code(session, product_code)
        row = await session.scalar(
            select(ProductPrice).where(
                ProductPrice.product_id == product.id,
                ProductPrice.term_months == term.months,
                ProductPrice.continuous == term.continuous,
                ProductPrice.valid_from == valid_from,
            )
        )
        if row is None:
            row = ProductPrice(
                product_id=product.id,
                term_months=term.months,
                continuous=term.continuous,
                valid_from=valid_from,
                price=amount,
                created_at=clock.now(),
                created_by_id=operator_id,
            )
            session.add(row)
        else:
            row.price = amount
            row.created_at = clock.now()
            row.created_by_id = operator_id
        await session.flush()
        log.info(
            "price of %s for %s months%s from %s set to %s",
            product.code,
            term.months,
            " continuous" if term.continuous else "",
            valid_from,
            amount,
        )
        return _view(row, product.code)


async def remove_price(database: Database, price_id: int, *, operator_id: int) -> None:
    """Take a price off the price list.

    Subscriptions made with it keep their price.

    Raises:
        NotAllowed: the operator is not an admin.
        NotFound: there is no such price.
    """
    async with database.write() as session:
        await _require_admin(session, operator_id)
        row = await session.get(ProductPrice, price_id)
        if row is None:
            raise NotFound(N_("There is no such price."))
        await session.delete(row)


async def price_list(database: Database, product_code: str) -> list[PriceView]:
    """Every price of a product, by term and then by date.

    Raises:
        NotFound: there is no such product.
    """
    async with database.read() as session:
        product = await product_by_code(session, product_code)
        rows = (
            await session.scalars(
                select(ProductPrice)
                .where(ProductPrice.product_id == product.id)
                .order_by(
                    ProductPrice.continuous,
                    ProductPrice.term_months.desc(),
                    ProductPrice.valid_from,
                )
            )
        ).all()
    return [_view(row, product.code) for row in rows]


async def price_on(
    session: AsyncSession, product_id: int, term: Term, on: dt.date
) -> Decimal | None:
    """The price of ``term`` in force on ``on``, or ``None`` when it has none."""
    price: Decimal | None = await session.scalar(
        select(ProductPrice.price)
        .where(
            ProductPrice.product_id == product_id,
            ProductPrice.term_months == term.months,
            ProductPrice.continuous == term.continuous,
            ProductPrice.valid_from <= on,
        )
        .order_by(ProductPrice.valid_from.desc())
        .limit(1)
    )
    return price


async def price_for(
    database: Database, product_code: str, term: Term, on: dt.date
) -> Decimal | None:
    """The price of ``term`` for a subscription starting on ``on``.

    Raises:
        NotFound: there is no such product.
    """
    async with database.read() as session:
        product = await product_by_code(session, product_code)
        return await price_on(session, product.id, term, on)


async def prices_on(
    database: Database, product_code: str, on: dt.date
) -> list[PriceView]:
    """The terms a product is sold with on ``on``, each with its price then.

    This is what the "add subscription" form offers.

    Raises:
        NotFound: there is no such product.
    """
    found: dict[Term, PriceView] = {}
    for view in await price_list(database, product_code):
        if view.valid_from <= on:
            found[view.term] = view
    return sorted(found.values(), key=lambda v: (v.term.continuous, -v.term.months))


def _view(row: ProductPrice, code: str) -> PriceView:
    return PriceView(
        id=row.id,
        product_code=code,
        term=Term(row.term_months, row.continuous),
        valid_from=row.valid_from,
        price=row.price,
    )
