"""How fast the customer list answers on a large register.

Builds (once, then reuses) a SQLite demo register of ``--customers``
customers under ``benchmarks/.data`` and prints, for a set of typical
queries: the raw indexed query, the first page through the store, the next
page, opening a card, and, through the real app driven by Pilot, the time
from a keystroke to the list being painted. Also the app's start-up time
and its memory.

    python benchmarks/search_benchmark.py --customers 1000000

Figures are medians (and the worst) over ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sqlite3
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from store.cards import load_card
from store.clock import Clock
from store.db import Database, open_database, sqlite_url
from store.demo import build_demo
from store.search import CustomerSearch
from store.text import prefix_bounds, query_words

DATA = Path(__file__).parent / ".data"
QUERIES = [
    "v",
    "vi",
    "vir",
    "virtanen",
    "mäki",
    "maki",
    "virtanen helsinki",
    "katu",
    "00100",
    "040",
    "100500",
    "zzzzq",
]


async def register(customers: int) -> Path:
    """The benchmark register of ``customers`` customers, built when missing."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"register-{customers}.db"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    for stale in DATA.glob(partial.name + "*"):
        stale.unlink()
    database = await open_database(sqlite_url(partial))
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        print(f"\r  building: {done:,}/{total:,}", end="", file=sys.stderr)

    await build_demo(database, customers, Clock(), progress=progress)
    await database.close()
    print(f"\n  built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    partial.rename(path)
    return path


async def timed(action: Callable[[], Awaitable[object]], repeat: int) -> list[float]:
    """Milliseconds of each of ``repeat`` runs of ``action``."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        await action()
        runs.append((time.perf_counter() - started) * 1000)
    return runs


def raw_query_ms(path: Path, query: str, repeat: int) -> float:
    """The bare indexed range query for the query's longest word, in SQLite."""
    words = query_words(query)
    if not words:
        return float("nan")
    driver = max(words, key=lambda w: len(w.folded))
    low, high = prefix_bounds(driver.folded)
    connection = sqlite3.connect(path)
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        connection.execute(
            "SELECT term, sort_name, customer_id FROM search_terms"
            " WHERE term >= ? AND term < ? ORDER BY term, sort_name, customer_id"
            " LIMIT 50",
            (low, high),
        ).fetchall()
        runs.append((time.perf_counter() - started) * 1000)
    connection.close()
    return statistics.median(runs)


def line(name: str, runs: list[float]) -> str:
    """A printed figure: median and worst."""
    return f"  {name:<28} {statistics.median(runs):8.2f} ms   worst {max(runs):8.2f}"


async def store_figures(database: Database, path: Path, repeat: int) -> None:
    print("\nstore (first page of 50 / next page / raw index query):")
    for query in QUERIES:

        async def first(query: str = query) -> object:
            return await CustomerSearch(query).next_page(database)

        async def second(query: str = query) -> object:
            search = CustomerSearch(query)
            await search.next_page(database)
            started = time.perf_counter()
            await search.next_page(database)
            return time.perf_counter() - started

        first_runs = await timed(first, repeat)
        second_runs = [1000 * float(await second()) for _ in range(repeat)]  # type: ignore[arg-type]
        raw = raw_query_ms(path, query, repeat)
        first_ms, worst_ms = statistics.median(first_runs), max(first_runs)
        print(
            f"  {query!r:<20} first {first_ms:7.2f} ms (worst {worst_ms:7.2f})"
            f"  next {statistics.median(second_runs):7.2f} ms  raw {raw:6.2f} ms"
        )

    clock = Clock()
    numbers = [100001 + (i * 7919) % 1000 for i in range(repeat)]
    runs = []
    for number in numbers:
        started = time.perf_counter()
        await load_card(database, number, clock)
        runs.append((time.perf_counter() - started) * 1000)
    print(line("open a card (load_card)", runs))


async def app_figures(path: Path, repeat: int) -> None:
    from tui.app import KortistoApp
    from tui.i18n import set_language
    from tui.widgets.customer_list import CustomerList

    set_language("fi")
    started = time.perf_counter()
    app = KortistoApp(sqlite_url(path), login="benchmark")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        ready = (time.perf_counter() - started) * 1000
        print("\napp through Pilot at 80x24:")
        print(f"  {'start to first list':<28} {ready:8.2f} ms")

        # What Pilot itself costs for a key that does nothing, to read the
        # figures below against.
        idle: list[float] = []
        for _ in range(10):
            begin = time.perf_counter()
            await pilot.press("f12")
            await app.workers.wait_for_complete()
            await pilot.pause()
            idle.append((time.perf_counter() - begin) * 1000)
        print(line("a key that does nothing", idle))

        keystroke: list[float] = []
        for query in ("virtanen", "mäkinen", "katu 1"):
            for char in query:
                begin = time.perf_counter()
                await pilot.press(char)
                await app.workers.wait_for_complete()
                await pilot.pause()
                keystroke.append((time.perf_counter() - begin) * 1000)
            for _ in query:
                await pilot.press("backspace")
            await app.workers.wait_for_complete()
        print(line("keystroke to painted list", keystroke))

        listing = app.screen.query_one(CustomerList)
        await pilot.press("down")
        scroll: list[float] = []
        for _ in range(repeat):
            begin = time.perf_counter()
            await pilot.press("pagedown")
            await app.workers.wait_for_complete()
            await pilot.pause()
            scroll.append((time.perf_counter() - begin) * 1000)
        print(line("page down (fetching more)", scroll))
        print(f"  rows held after scrolling     {len(listing.rows):8d}")

        card: list[float] = []
        for _ in range(min(repeat, 10)):
            begin = time.perf_counter()
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            card.append((time.perf_counter() - begin) * 1000)
            await pilot.press("escape")
            await pilot.pause()
        print(line("Enter to painted card", card))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {'peak memory (RSS)':<28} {rss:8.1f} MB")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    options = parser.parse_args()

    path = await register(options.customers)
    size = sum(f.stat().st_size for f in DATA.glob(path.name + "*")) / 2**20
    print(f"register: {options.customers:,} customers, {size:,.0f} MB ({path})")
    database = await open_database(sqlite_url(path))
    await store_figures(database, path, options.repeat)
    await database.close()
    await app_figures(path, options.repeat)


if __name__ == "__main__":
    asyncio.run(main())
