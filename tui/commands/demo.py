"""``kortisto demo``: make a demo register and open the app on it.

Without ``--db`` the demo register is ``demo.db`` in the user's data
directory, apart from the real register. It is built when missing, and
built anew with ``--fresh`` or ``--customers N``. A new one is built under
a temporary name and put in place only when complete, so an interrupted
build never leaves a half-made register to be opened next time.

With ``--db URL`` the demo goes into that register if it has no
customers; a register with customers is opened as it is, and never
emptied: ``--fresh`` and ``--customers`` are refused for it.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from store.clock import Clock
from store.db import Database, data_dir, open_database, sqlite_url
from store.demo import DemoSummary, build_demo, customer_count
from store.errors import N_, KortistoError, brief
from tui.commands.progress import progress_bar
from tui.i18n import _

#: Customers in a demo register unless ``--customers`` says otherwise.
DEFAULT_CUSTOMERS = 2_000
#: The demo register's file name in the user's data directory.
DEMO_FILE = "demo.db"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130

_SQLITE_SIDE_FILES = ("-wal", "-shm")


def run_demo(url: str | None, customers: int | None, fresh: bool) -> int:
    """Make the demo register when needed, then run the app on it.

    Args:
        url: the register to fill; ``None`` for the demo file.
        customers: how many customers to make; ``None`` for the default.
        fresh: make the demo register anew even when it exists.

    Returns:
        The exit status: the app's, or non-zero when the build failed.
    """
    count = DEFAULT_CUSTOMERS if customers is None else customers
    rebuild = fresh or customers is not None
    try:
        if url is None:
            path = data_dir() / DEMO_FILE
            if rebuild or not path.exists():
                _report(asyncio.run(_build_file(path, count)), path)
            url = sqlite_url(path)
        else:
            summary = asyncio.run(_build_into(url, count, rebuild))
            if summary is not None:
                _report(summary, None)
    except KortistoError as error:
        _complain(_(error.message).format(**error.values))
        return EXIT_FAILED
    except KeyboardInterrupt:
        _complain(_("interrupted; the demo register was not made"))
        return EXIT_INTERRUPTED
    except Exception as error:
        _complain(
            _("could not make the demo register: {error}").format(error=brief(error))
        )
        return EXIT_FAILED

    from tui.app import run_app

    return run_app(url)


async def _build_file(path: Path, customers: int) -> DemoSummary:
    """Build the demo file anew beside ``path``, then put it in its place."""
    building = path.with_name(f"{path.stem}-building{path.suffix}")
    _remove_sqlite_files(building)
    try:
        database = await open_database(sqlite_url(building))
        try:
            summary = await _build(database, customers)
        finally:
            await database.close()
        _remove_sqlite_files(path)
        for suffix in ("", *_SQLITE_SIDE_FILES):
            part = Path(f"{building}{suffix}")
            if part.exists():
                part.replace(f"{path}{suffix}")
    except BaseException:
        _remove_sqlite_files(building)
        raise
    return summary


async def _build_into(url: str, customers: int, rebuild: bool) -> DemoSummary | None:
    """Fill the register at ``url`` if empty; ``None`` when it is kept."""
    database = await open_database(url)
    try:
        existing = await customer_count(database)
        if existing and rebuild:
            raise KortistoError(
                N_(
                    "The register already has {count} customers; --fresh and"
                    " --customers make only the demo register anew, never a"
                    " register named with --db."
                ),
                count=existing,
            )
        if existing:
            return None
        return await _build(database, customers)
    finally:
        await database.close()


async def _build(database: Database, customers: int) -> DemoSummary:
    with progress_bar(_("Making demo customers")) as progress:
        return await build_demo(database, customers, Clock(), progress=progress)


def _report(summary: DemoSummary, path: Path | None) -> None:
    line = _(
        "Demo register: {customers} customers, {subscriptions} subscriptions,"
        " {invoices} invoices in {seconds:.1f} s ({rate:.0f} customers/s)"
    ).format(
        customers=summary.customers,
        subscriptions=summary.subscriptions,
        invoices=summary.invoices,
        seconds=summary.seconds,
        rate=summary.customers_per_second,
    )
    if path is not None:
        line = f"{line}: {path}"
    print(line)


def _remove_sqlite_files(path: Path) -> None:
    # The write-ahead log and its index belong to the file: a new file
    # beside an old log would read the old log's pages as its own.
    for suffix in ("", *_SQLITE_SIDE_FILES):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _complain(message: str) -> None:
    print(f"kortisto demo: {message}", file=sys.stderr)
