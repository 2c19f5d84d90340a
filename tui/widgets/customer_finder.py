"""Search field, customer list and status line: find a customer as you type.

Used by the front page and wherever a customer is picked (another payer).
Each keystroke starts a search in a worker that cancels the one before, so
the field never waits for the register.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from store.search import PAGE_SIZE, CustomerSearch
from tui.i18n import N_, _, describe_key, ngettext, translate_bindings
from tui.widgets.customer_list import CustomerList

if TYPE_CHECKING:
    from store.db import Database


class CustomerFinder(Vertical):
    """Find customers; a chosen row bubbles up as ``CustomerList.Selected``."""

    DEFAULT_CSS = """
    CustomerFinder {
        height: 1fr;
    }
    CustomerFinder > Input {
        border: tall $accent;
    }
    CustomerFinder > CustomerList {
        padding: 0 1;
    }
    CustomerFinder > #status {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    """

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

    def __init__(self, *, id: str | None = None, choose: bool = False) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self.search = CustomerSearch("")
        # Picking a customer for a form chooses it rather than opening it.
        self.choose = choose
        if choose:
            describe_key(self, "enter", _("Choose"))

    @property
    def database(self) -> Database:
        """The register the app works on."""
        return self.app.database  # type: ignore[attr-defined,no-any-return]

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder=_("Search: name, address, phone, email, customer number…"),
            id="search",
        )
        listing = CustomerList(id="customers")
        if self.choose:
            describe_key(listing, "enter", _("Choose"))
        yield listing
        yield Static("", id="status")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self.run_search("")

    @on(Input.Changed)
    def search_changed(self, event: Input.Changed) -> None:
        self.run_search(event.value)

    @work(exclusive=True, group="search", exit_on_error=False)
    async def run_search(self, query: str, keep: int | None = None) -> None:
        """Show the first page for ``query``, cancelling an older search.

        With ``keep``, the rows are read again as far as the list had them
        and the cursor stays on that customer.
        """
        search = CustomerSearch(query)
        listing = self.query_one(CustomerList)
        wanted = max(PAGE_SIZE, len(listing.rows)) if keep is not None else PAGE_SIZE
        rows = await search.next_page(self.database, wanted)
        self.search = search
        listing.set_rows(rows, search.exhausted)
        if keep is not None:
            numbers = [row.number for row in rows]
            if keep in numbers:
                listing.cursor = numbers.index(keep)
        self._show_status()

    def refresh_rows(self) -> None:
        """Read the shown rows again, e.g. after a card was changed."""
        highlighted = self.query_one(CustomerList).highlighted
        keep = highlighted.number if highlighted is not None else -1
        self.run_search(self.query_one(Input).value, keep)

    @on(CustomerList.MoreWanted)
    def more_wanted(self) -> None:
        self.fetch_more(self.search)

    @work(exclusive=True, group="search-more", exit_on_error=False)
    async def fetch_more(self, search: CustomerSearch) -> None:
        """Add the next page of ``search`` if it is still the one shown."""
        rows = await search.next_page(self.database, PAGE_SIZE)
        if search is self.search:
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

    def action_open_highlighted(self) -> None:
        self.query_one(CustomerList).action_open()

    def action_to_search(self) -> None:
        self.query_one(Input).focus()

    @on(CustomerList.LeftAtTop)
    def left_at_top(self) -> None:
        self.action_to_search()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        focused = self.screen.focused
        if action in ("enter_list", "open_highlighted"):
            return isinstance(focused, Input)
        if action == "to_search":
            return isinstance(focused, CustomerList)
        return True
