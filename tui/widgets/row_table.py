"""A small table of a card's rows, where Enter opens the highlighted one."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from tui.i18n import N_, translate_bindings


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, with an ellipsis when cut."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


class RowTable(DataTable[str | Text]):
    """A row-cursor table whose Enter is its own.

    The card binds Enter (with priority) to opening and closing panels; a
    table inside a panel claims Enter while it has the focus, so Enter
    opens the row under the cursor and the footer says so.
    """

    DEFAULT_CSS = """
    RowTable {
        height: auto;
        max-height: 12;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", N_("Open"), id="rows.open"),
    ]

    def __init__(self, **options: Any) -> None:
        options.setdefault("cursor_type", "row")
        options.setdefault("zebra_stripes", False)
        super().__init__(**options)
        translate_bindings(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select_cursor":
            return self.row_count > 0
        return True

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return key == "enter" or super().check_consume_key(key, character)

    @property
    def highlighted_key(self) -> str | None:
        """The key of the row under the cursor, or ``None`` when empty."""
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    def move_to_key(self, key: str | None) -> None:
        """Put the cursor on the row with ``key``, when there is one."""
        if key is None:
            return
        try:
            index = self.get_row_index(key)
        except RowDoesNotExist:  # the row is gone: stay where the cursor is
            return
        self.move_cursor(row=index, animate=False)
