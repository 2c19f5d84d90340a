"""Progress bars of the batch commands, on standard error when it is a terminal.

Under cron there is no terminal, so nothing but the summary is printed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

Report = Callable[[int, int], None]
"""Told how many of how many are done."""


@contextmanager
def progress_display() -> Iterator[Progress | None]:
    """A live progress display, or ``None`` when standard error is no terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as display:
        yield display


def bar(display: Progress, label: str) -> Report:
    """A bar labelled ``label`` on ``display``, and the callback that moves it."""
    task = display.add_task(label, total=None)

    def report(done: int, total: int) -> None:
        display.update(task, completed=done, total=total)

    return report


@contextmanager
def progress_bar(label: str) -> Iterator[Report | None]:
    """One bar labelled ``label``, or ``None`` when there is no terminal."""
    with progress_display() as display:
        yield None if display is None else bar(display, label)
