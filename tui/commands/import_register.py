"""``kortisto import FILE``: bring a register export into the register.

A batch command: one line per refused row and a summary on standard
output, problems on standard error, a progress bar only when standard
error is a terminal (cron mails stay clean). The exit status is 0 when the
import was written, 1 when invalid rows stopped it or anything else failed,
and 2 when the file cannot be read as an export.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from store.clock import Clock
from store.db import open_database
from store.errors import brief
from store.importing import (
    ImportFileError,
    ImportResult,
    ImportStage,
    ProgressCallback,
    import_export,
    read_export,
)
from store.validation import describe
from tui.commands.progress import Report, bar, progress_display
from tui.i18n import _

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNREADABLE = 2


async def run_import(
    path: str, url: str | None, skip_invalid: bool, *, clock: Clock | None = None
) -> int:
    """Import the export at ``path`` into the register at ``url``.

    Returns the exit status (see the module's description).
    """
    try:
        export = read_export(Path(path))
    except ImportFileError as error:
        _complain(describe(error.message, error.values, _))
        return EXIT_UNREADABLE

    try:
        database = await open_database(url)
    except Exception as error:
        _complain(_("cannot open the register: {error}").format(error=brief(error)))
        return EXIT_FAILED
    try:
        with _progress_bar() as progress:
            result = await import_export(
                database,
                export,
                clock=clock or Clock(),
                skip_invalid=skip_invalid,
                progress=progress,
                translate=_,
            )
    except Exception as error:
        # Whatever went wrong, the transaction was rolled back: say so
        # rather than show a traceback.
        _complain(
            _("the import failed and nothing was written: {error}").format(
                error=brief(error)
            )
        )
        return EXIT_FAILED
    finally:
        await database.close()

    _print_report(result)
    return EXIT_FAILED if result.refused else EXIT_OK


def _print_report(result: ImportResult) -> None:
    for row in result.rejected:
        reason = row.describe(_)
        if row.customer_number:
            text = _("line {line}: customer {number}: {reason}").format(
                line=row.line, number=row.customer_number, reason=reason
            )
        else:
            text = _("line {line}: {reason}").format(line=row.line, reason=reason)
        print(text)
    print(_("Rows read: {count}").format(count=result.rows_read))
    print(_("Imported: {count}").format(count=result.imported))
    print(_("Rejected: {count}").format(count=len(result.rejected)))
    if result.groups_created:
        print(
            _("New customer groups: {names}").format(
                names=", ".join(result.groups_created)
            )
        )
    if result.rejected_path is not None:
        print(_("Rejected rows written to: {path}").format(path=result.rejected_path))
    if result.refused:
        print(
            _(
                "Nothing was imported. Fix the rows above, or import the valid "
                "rows with --skip-invalid."
            )
        )


def _complain(message: str) -> None:
    print(f"kortisto import: {message}", file=sys.stderr)


@contextmanager
def _progress_bar() -> Iterator[ProgressCallback | None]:
    # One bar for checking the rows and one for writing them.
    labels = {
        ImportStage.CHECKING: _("Checking rows"),
        ImportStage.WRITING: _("Writing customers"),
    }
    with progress_display() as display:
        if display is None:
            yield None
            return
        reports: dict[ImportStage, Report] = {}

        def report(stage: ImportStage, done: int, total: int) -> None:
            if stage not in reports:
                reports[stage] = bar(display, labels[stage])
            reports[stage](done, total)

        yield report
