"""The customer list: pre-formatted lines over pages fetched on demand.

Only the lines on screen are drawn, each from a row already fetched; the
list never holds every customer. When the cursor comes near the last
fetched row the list asks for more with :class:`CustomerList.MoreWanted`,
and the screen's worker adds the next page.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from store.search import CustomerRow
from tui.i18n import N_, _, translate_bindings

#: Ask for more rows when the cursor is this close to the last one.
FETCH_AHEAD = 20


@dataclass(frozen=True)
class Columns:
    """Where each column starts and how wide it is, for one list width."""

    number: int
    name: int
    street: int
    postal_code: int
    post_town: int

    @classmethod
    def for_width(cls, width: int) -> Columns:
        """Share ``width`` between the columns; names get the most."""
        number, postal_code, gaps = 7, 8, 4
        rest = max(width - number - postal_code - gaps, 12)
        name = rest * 2 // 5
        street = rest * 7 // 20
        return cls(number, name, street, postal_code, rest - name - street)

    def line(self, values: tuple[str, str, str, str, str]) -> str:
        """One line of the list with each value cut to its column."""
        widths = (self.number, self.name, self.street, self.postal_code)
        cells = [_fit(v, w) for v, w in zip(values, widths, strict=False)]
        cells.append(_fit(values[4], self.post_town))
        return " ".join(cells)


def _fit(text: str, width: int) -> str:
    if len(text) > width:
        return text[: max(width - 1, 0)] + "…"
    return text.ljust(width)


class CustomerList(Widget, can_focus=True):
    """The rows of one search, with a cursor; Enter opens the row's card."""

    DEFAULT_CSS = """
    CustomerList {
        height: 1fr;
    }
    CustomerList > .customer-list--header {
        text-style: bold;
        color: $text-muted;
    }
    CustomerList > .customer-list--cursor {
        background: $block-cursor-blurred-background;
    }
    CustomerList:focus > .customer-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    CustomerList > .customer-list--blocked {
        color: $text-error;
    }
    """

    COMPONENT_CLASSES = {
        "customer-list--header",
        "customer-list--cursor",
        "customer-list--blocked",
    }

    BINDINGS = [
        Binding("enter", "open", N_("Open card"), id="list.open"),
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "first", show=False),
        Binding("end", "last", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)
    """Index of the highlighted row."""

    class Selected(Message):
        """The operator chose a row to open."""

        def __init__(self, row: CustomerRow) -> None:
            super().__init__()
            self.row = row

    class MoreWanted(Message):
        """The cursor is near the last fetched row of an unfinished search."""

    class LeftAtTop(Message):
        """The operator pressed up on the first row."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self.rows: list[CustomerRow] = []
        self.exhausted = True
        self.top = 0
        self._asked = False

    # The rows.

    def set_rows(self, rows: list[CustomerRow], exhausted: bool) -> None:
        """Show the first page of a new search, cursor on its first row."""
        self.rows = list(rows)
        self.exhausted = exhausted
        self.top = 0
        self._asked = False
        self.cursor = 0

    def add_rows(self, rows: list[CustomerRow], exhausted: bool) -> None:
        """Append the next page of the same search."""
        self.rows.extend(rows)
        self.exhausted = exhausted
        self._asked = False
        self.refresh()

    @property
    def highlighted(self) -> CustomerRow | None:
        """The row under the cursor, if there is one."""
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor]
        return None

    # Drawing.

    @property
    def _visible_rows(self) -> int:
        return max(self.size.height - 1, 1)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return container.height

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        columns = Columns.for_width(width)
        if y == 0:
            header = columns.line(
                (_("No."), _("Name"), _("Street address"), _("Postcode"), _("Town"))
            )
            style = self.get_component_rich_style("customer-list--header")
            return Strip([Segment(header.ljust(width)[:width], style)], width)
        index = self.top + y - 1
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        row = self.rows[index]
        text = columns.line(
            (
                str(row.number),
                row.name if not row.company else f"{row.name} ({row.company})",
                row.street,
                row.postal_code,
                row.post_town,
            )
        ).ljust(width)[:width]
        style: Style = self.rich_style
        if row.delivery_blocked:
            style += self.get_component_rich_style("customer-list--blocked")
        if index == self.cursor:
            style += self.get_component_rich_style("customer-list--cursor")
        return Strip([Segment(text, style)], width)

    def watch_cursor(self, cursor: int) -> None:
        if cursor < self.top:
            self.top = cursor
        elif cursor >= self.top + self._visible_rows:
            self.top = cursor - self._visible_rows + 1
        self.refresh()
        self._ask_for_more()

    def on_resize(self) -> None:
        self.cursor = self.cursor

    def _ask_for_more(self) -> None:
        near_end = self.cursor + FETCH_AHEAD >= len(self.rows)
        if near_end and not self.exhausted and not self._asked:
            self._asked = True
            self.post_message(self.MoreWanted())

    # Keys and the mouse.

    def _move_to(self, index: int) -> None:
        if self.rows:
            self.cursor = max(0, min(index, len(self.rows) - 1))

    def action_cursor(self, step: int) -> None:
        if step < 0 and self.cursor == 0:
            self.post_message(self.LeftAtTop())
            return
        self._move_to(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * self._visible_rows)

    def action_first(self) -> None:
        self._move_to(0)

    def action_last(self) -> None:
        self._move_to(len(self.rows) - 1)

    def action_open(self) -> None:
        row = self.highlighted
        if row is not None:
            self.post_message(self.Selected(row))

    def on_click(self, event: events.Click) -> None:
        index = self.top + event.y - 1
        if event.y == 0 or index >= len(self.rows):
            return
        self.cursor = index
        # The number column is the card's link, as in the seed's list.
        if event.x < Columns.for_width(self.size.width).number:
            self.action_open()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._move_to(self.cursor + 3)
        event.stop()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._move_to(self.cursor - 3)
        event.stop()
