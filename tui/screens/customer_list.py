"""The front page: the customer list, searched as the operator types."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from store.search import PAGE_SIZE, CustomerSearch
from tui.i18n import N_, _, ngettext, translate_bindings
from tui.screens.customer_card import CustomerCardScreen
from tui.widgets.customer_list import CustomerList

if TYPE_CHECKING:
    from tui.app import KortistoApp


class CustomerListScreen(Screen[None]):
    """Search field, list of matching customers, and a line of status."""

    BINDINGS = [
        # Priority, since the search field's own Down (scroll) and Enter
        # (submit) are hidden from the footer and would hide these.
        Binding(
            "down", "enter_list", N_("To the list"), id="search.to_list", priority=True
        ),
        Binding(
            "enter",
            "open_highlighted",
            N_("Open card"),
            id="search.open",
            priority=True,
        ),
        Binding("escape", "to_search", N_("Search"), id="list.to_search"),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self._search = CustomerSearch("")

    @property
    def kortisto(self) -> KortistoApp:
        from tui.app import KortistoApp

        assert isinstance(self.app, KortistoApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="title")
        yield Input(
            placeholder=_("Search: name, address, phone, email, customer number…"),
            id="search",
        )
        yield CustomerList(id="customers")
        yield Static("", id="status")
        yield Footer()

    def _title(self) -> str:
        operator = self.kortisto.operator
        name = operator.name if operator else ""
        return f"{_('Customers')}  ·  {name}"

    def on_mount(self) -> None:
        self.query_one("#search", Input).focus()
        self.run_search("")

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        self.run_search(event.value)

    def action_open_highlighted(self) -> None:
        self.query_one(CustomerList).action_open()

    @work(exclusive=True, group="search", exit_on_error=False)
    async def run_search(self, query: str) -> None:
        """Show the first page for ``query``, cancelling an older search."""
        search = CustomerSearch(query)
        rows = await search.next_page(self.kortisto.database, PAGE_SIZE)
        self._search = search
        self.query_one(CustomerList).set_rows(rows, search.exhausted)
        self._show_status()

    @on(CustomerList.MoreWanted)
    def more_wanted(self) -> None:
        self.fetch_more(self._search)

    @work(exclusive=True, group="search-more", exit_on_error=False)
    async def fetch_more(self, search: CustomerSearch) -> None:
        """Add the next page of ``search`` if it is still the one shown."""
        rows = await search.next_page(self.kortisto.database, PAGE_SIZE)
        if search is self._search:
            self.query_one(CustomerList).add_rows(rows, search.exhausted)
            self._show_status()

    def _show_status(self) -> None:
        listing = self.query_one(CustomerList)
        count = len(listing.rows)
        if not count:
            text = _("No customers match.")
        elif listing.exhausted:
            text = ngettext("{count} customer", "{count} customers", count)
        else:
            text = _("{count}+ customers, more as you scroll")
        self.query_one("#status", Static).update(text.format(count=count))

    def action_enter_list(self) -> None:
        listing = self.query_one(CustomerList)
        if listing.rows:
            listing.focus()

    def action_to_search(self) -> None:
        self.query_one("#search", Input).focus()

    @on(CustomerList.LeftAtTop)
    def left_at_top(self) -> None:
        self.action_to_search()

    @on(CustomerList.Selected)
    def open_card(self, event: CustomerList.Selected) -> None:
        self.app.push_screen(CustomerCardScreen(event.row.number))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        focused = self.focused
        if action in ("enter_list", "open_highlighted"):
            return isinstance(focused, Input)
        if action == "to_search":
            return isinstance(focused, CustomerList)
        return True
