"""Search as you type: what matches, in which order, and what is only text."""

from __future__ import annotations

import pytest

from store.customers import add_customer
from store.db import Database
from store.search import CustomerSearch


async def names(database: Database, query: str, limit: int = 50) -> list[str]:
    rows = await CustomerSearch(query).next_page(database, limit)
    return [row.name for row in rows]


@pytest.fixture
async def register(database: Database, clock) -> Database:
    people = [
        dict(
            number=100001,
            last_name="Mäkinen",
            first_name="Teemu",
            street="Nervanderinbulevardi 287",
            postal_code="17421",
            post_town="Vöyri",
            phone="+358 44 8879217",
            email="pvartiainen@example.net",
        ),
        dict(
            number=100002,
            last_name="Makinen",
            first_name="Anna",
            street="Kuusitie 3",
            postal_code="00100",
            post_town="Helsinki",
            phone="045-2494032",
        ),
        dict(
            number=100003,
            last_name="O'Brien",
            first_name="Sean",
            street="Mäkikatu 1",
            postal_code="33100",
            post_town="Tampere",
        ),
        dict(
            number=100004,
            customer_type="company",
            company="Virta AND Oy",
            business_id="4095597-9",
            street="Teollisuustie 5",
            postal_code="33100",
            post_town="TAMPERE",
        ),
        dict(
            number=200001,
            last_name="Äijälä",
            first_name="Liisa",
            street="Ahotie 100001",
            postal_code="90100",
            post_town="Oulu",
        ),
    ]
    for person in people:
        await add_customer(database, clock, **person)
    return database


async def test_empty_query_lists_every_customer_by_number(register) -> None:
    rows = await CustomerSearch("").next_page(register)
    assert [r.number for r in rows] == [100001, 100002, 100003, 100004, 200001]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mak", ["O'Brien Sean", "Makinen Anna", "Mäkinen Teemu"]),
        ("MÄK", ["O'Brien Sean", "Mäkinen Teemu", "Makinen Anna"]),
        ("teemu mäk", ["Mäkinen Teemu"]),
        ("nervanderin", ["Mäkinen Teemu"]),
        ("vöy", ["Mäkinen Teemu"]),
        ("voyri", ["Mäkinen Teemu"]),
        ("pvartiainen@exa", ["Mäkinen Teemu"]),
        ("0448879217", ["Mäkinen Teemu"]),
        ("044 887", ["Mäkinen Teemu"]),
        ("+358 45 249", ["Makinen Anna"]),
        ("045-2494032", ["Makinen Anna"]),
        ("4095597-9", ["Virta AND Oy"]),
        ("33100", ["O'Brien Sean", "Virta AND Oy"]),
        ("tampere", ["O'Brien Sean", "Virta AND Oy"]),
        ("o'brien", ["O'Brien Sean"]),
        ("obrien", ["O'Brien Sean"]),
        ("aija", ["Äijälä Liisa"]),
    ],
)
async def test_query_finds_by_each_field(register, query, expected) -> None:
    assert await names(register, query) == expected


async def test_exact_customer_number_ranks_first(register) -> None:
    rows = await CustomerSearch("100001").next_page(register)
    assert [r.number for r in rows] == [100001, 200001]


@pytest.mark.parametrize(
    "query", ['"', "*", "%", "_", "-", "'", "AND", "OR NOT", "a%b_", "')--", "\\"]
)
async def test_query_syntax_is_only_text(register, query) -> None:
    found = await names(register, query)
    if query == "AND":
        assert found == ["Virta AND Oy"]
    else:
        assert found == []


async def test_pages_continue_without_repeats(database: Database, clock) -> None:
    for index in range(23):
        await add_customer(
            database,
            clock,
            last_name="Virtanen",
            first_name=f"Etu{index:02}",
            street="Virtakatu 1",
            post_town="Virrat",
        )
    search = CustomerSearch("virta")
    seen: list[int] = []
    while page := await search.next_page(database, 5):
        seen.extend(r.number for r in page)
    assert len(seen) == len(set(seen)) == 23
    assert search.exhausted
