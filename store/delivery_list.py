"""Delivery lists: what each early-delivery bundle and the post deliver on a day.

``write_delivery_lists(database, on, out_dir)`` writes one CSV file per
bundle in use and one for the post. A row is one subscription period of a
publication running on ``on``: the product, the copies, the subscription
number, the subscriber's number and name, and the address in effect on
``on``. Ad products are invoiced, not delivered; a removed period is kept
only for its invoices. Every decision comes from
:func:`store.delivery.delivery_state`, the rule the card shows, so a list
never disagrees with the card; pending address changes due by ``on`` are
counted whether or not the night has run.

The files are what the publisher's older systems exchange: ``;`` between
fields, CRLF line ends, UTF-8 with a byte-order mark (so a spreadsheet
shows ``ä`` right), a header of Finnish column names. Each is named
``<date>-bundle-<code>.csv`` or ``<date>-post.csv``. A bundle with nothing
to deliver still gets its file, with the header only, so a missing file
always means a failed run. The files are written under temporary names
and renamed when all are complete; writing the lists again for the same
day replaces them.

Rows are sorted the way a carrier walks: postal code, then street, then
house number in number order (``2`` before ``10``; ``12 B 4`` after
``12 A 10`` and after ``12``), then customer and subscription number.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
import re
import unicodedata
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.cards import Address
from store.db import Database
from store.delivery import (
    BundleRef,
    DeliveryReason,
    Route,
    delivery_state,
    load_bundle_refs,
    load_bundles,
    load_delivery_data,
)
from store.models import Customer, Product, ProductKind, Subscription

log = logging.getLogger(__name__)

#: The columns of every list.
HEADER = (
    "Tuote",
    "Tuotteen nimi",
    "Kappaleet",
    "Tilausnro",
    "Asiakasnro",
    "Nimi",
    "Lähiosoite",
    "Postinumero",
    "Postitoimipaikka",
    "Maa",
)
#: The encoding of the files: UTF-8 with a byte-order mark.
ENCODING = "utf-8-sig"
#: Customers read per query.
PAGE_SIZE = 1000

_UNSAFE_IN_NAME = re.compile(r"[^0-9A-Za-z_-]+")
_NUMBER_PARTS = re.compile(r"\d+|[^\W\d_]+")
# Finnish alphabetical order puts å, ä and ö after z, in that order.
_FINNISH_LAST = {"å": "\U0010fff0", "ä": "\U0010fff1", "ö": "\U0010fff2"}


@dataclass(frozen=True)
class DeliveryListFile:
    """One file written: a bundle's list or the post's."""

    path: Path
    bundle: BundleRef | None
    """The bundle; ``None`` for the postal delivery list."""
    subscriptions: int
    copies: int


@dataclass(frozen=True)
class DeliveryListSummary:
    """What the lists of one day hold."""

    on: dt.date
    files: tuple[DeliveryListFile, ...]
    not_delivered: Mapping[DeliveryReason, int]
    """Subscriptions running on the day that get no paper, by reason."""

    @property
    def subscriptions(self) -> int:
        """Subscriptions on all the lists."""
        return sum(f.subscriptions for f in self.files)

    @property
    def copies(self) -> int:
        """Copies on all the lists."""
        return sum(f.copies for f in self.files)


@dataclass(frozen=True)
class _Row:
    key: tuple[object, ...]
    cells: tuple[str, ...]
    copies: int


def street_sort_key(street: str) -> tuple[object, ...]:
    """The order a carrier walks a street address in.

    The street name comes first, in Finnish alphabetical order; then the
    house number and the rest (staircase, flat) part by part, numbers as
    numbers: ``Katu 2`` < ``Katu 10`` < ``Katu 10 A 2`` < ``Katu 10 B 1``.
    """
    words = street.split()
    split = next(
        (i for i, word in enumerate(words) if i > 0 and word[:1].isdigit()),
        len(words),
    )
    name = _finnish_order(" ".join(words[:split]))
    rest: list[tuple[int, int | str]] = []
    for part in _NUMBER_PARTS.findall(" ".join(words[split:])):
        if part.isdigit():
            rest.append((0, int(part)))
        else:
            rest.append((1, _finnish_order(part)))
    return (name, tuple(rest))


def carrier_sort_key(address: Address) -> tuple[object, ...]:
    """Postal code, then street (see :func:`street_sort_key`)."""
    return (address.postal_code, *street_sort_key(address.street))


def _finnish_order(text: str) -> str:
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text.casefold()):
        if char in _FINNISH_LAST:
            out.append(_FINNISH_LAST[char])
            continue
        decomposed = unicodedata.normalize("NFKD", char)
        out.extend(c for c in decomposed if not unicodedata.combining(c))
    return "".join(out)


def list_file_name(on: dt.date, bundle: BundleRef | None) -> str:
    """The file name of a bundle's list (or the post's, for ``None``)."""
    if bundle is None:
        return f"{on.isoformat()}-post.csv"
    code = _UNSAFE_IN_NAME.sub("_", bundle.code).strip("_") or str(bundle.id)
    return f"{on.isoformat()}-bundle-{code}.csv"


async def write_delivery_lists(
    database: Database, on: dt.date, out_dir: Path
) -> DeliveryListSummary:
    """Write the delivery lists of ``on`` into ``out_dir`` (made if missing).

    Raises:
        OSError: a file cannot be written; none of the day's lists is then
            replaced.
    """
    # TODO: every row of the day is held in memory to be sorted, a few
    # hundred bytes a subscription; lists of millions of copies would want
    # an external sort (sorted runs on disk, merged).
    lists: dict[int | None, list[_Row]] = {None: []}
    not_delivered: Counter[DeliveryReason] = Counter()
    async with database.read() as session:
        refs = await load_bundle_refs(session)
        bundles = await load_bundles(session, refs)
        active = [ref for ref in refs.values() if not ref.retired]
        for ref in active:
            lists[ref.id] = []
        async for customers, subscriptions in _pages(session, on):
            data = await load_delivery_data(session, customers, on=on, bundle_refs=refs)
            for subscription, product in subscriptions:
                customer_data = data[subscription.subscriber_id]
                state = delivery_state(customer_data, on, bundles)
                if state.route == Route.NONE:
                    not_delivered[state.reason] += 1
                    continue
                bundle_id = state.bundle.id if state.bundle is not None else None
                lists.setdefault(bundle_id, []).append(
                    _row(
                        subscription,
                        product,
                        customer_data.number,
                        customer_data.name,
                        state.address,
                    )
                )

    targets: list[tuple[BundleRef | None, list[_Row]]] = [
        (refs[bundle_id], rows) for bundle_id, rows in lists.items() if bundle_id
    ]
    targets.append((None, lists[None]))
    files = _write_files(out_dir, on, targets)
    summary = DeliveryListSummary(on, tuple(files), dict(not_delivered))
    log.info(
        "delivery lists for %s: %d files, %d subscriptions, %d copies, %d not"
        " delivered",
        on.isoformat(),
        len(files),
        summary.subscriptions,
        summary.copies,
        sum(not_delivered.values()),
    )
    return summary


async def _pages(
    session: AsyncSession, on: dt.date
) -> AsyncIterator[tuple[list[Customer], list[tuple[Subscription, Product]]]]:
    running = (
        Product.kind == ProductKind.PUBLICATION,
        Subscription.starts_on <= on,
        or_(Subscription.ends_on.is_(None), Subscription.ends_on >= on),
        Subscription.removed_at.is_(None),
    )
    last_id = 0
    while True:
        customers = list(
            (
                await session.scalars(
                    select(Customer)
                    .where(
                        Customer.id > last_id,
                        exists()
                        .where(
                            Subscription.subscriber_id == Customer.id,
                            Product.id == Subscription.product_id,
                            *running,
                        )
                        .correlate(Customer),
                    )
                    .order_by(Customer.id)
                    .limit(PAGE_SIZE)
                )
            ).all()
        )
        if not customers:
            return
        last_id = customers[-1].id
        rows = await session.execute(
            select(Subscription, Product)
            .join(Product, Product.id == Subscription.product_id)
            .where(Subscription.subscriber_id.in_([c.id for c in customers]), *running)
            .order_by(Subscription.subscriber_id, Subscription.number)
        )
        yield customers, [(s, p) for s, p in rows]


def _row(
    subscription: Subscription,
    product: Product,
    customer_number: int,
    name: str,
    address: Address,
) -> _Row:
    cells = (
        product.code,
        product.name,
        str(subscription.copies),
        str(subscription.number),
        str(customer_number),
        name,
        address.street,
        address.postal_code,
        address.post_town,
        address.country,
    )
    return _Row(
        key=(*carrier_sort_key(address), customer_number, subscription.number),
        cells=cells,
        copies=subscription.copies,
    )


def _write_files(
    out_dir: Path,
    on: dt.date,
    targets: list[tuple[BundleRef | None, list[_Row]]],
) -> list[DeliveryListFile]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, Path]] = []
    files: list[DeliveryListFile] = []
    try:
        for bundle, rows in targets:
            path = out_dir / list_file_name(on, bundle)
            temporary = path.with_name(f".{path.name}.partial")
            written.append((temporary, path))
            rows.sort(key=lambda r: r.key)
            with temporary.open("w", encoding=ENCODING, newline="") as handle:
                writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
                writer.writerow(HEADER)
                writer.writerows(r.cells for r in rows)
            files.append(
                DeliveryListFile(path, bundle, len(rows), sum(r.copies for r in rows))
            )
    except BaseException:
        for temporary, _path in written:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, path in written:
        os.replace(temporary, path)
    return files
