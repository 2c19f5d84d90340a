"""The card's Invoices panel: what this customer has been invoiced.

The rows are the customer's invoices as payer, newest first, credit
invoices among them with the invoice they credit. Enter opens the
highlighted invoice; the panel's own key adds a draft.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from store.cards import CustomerCard
from store.invoicing import InvoiceRow
from tui.formatting import INVOICE_STATUSES, date, label, money
from tui.i18n import N_, _, translate_bindings
from tui.screens.invoice_screen import AddInvoiceScreen, InvoiceScreen
from tui.widgets.card_panel import CardPanel
from tui.widgets.row_table import RowTable, fit

#: Column widths; with the table's cell padding they fit an 80-column card.
_COLUMNS = (
    (N_("No."), 8),
    (N_("Date"), 10),
    (N_("Due"), 10),
    (N_("Total"), 13),
    (N_("Status"), 22),
)


class InvoicesPanel(CardPanel):
    """The invoices of the card, with a key to add one."""

    DEFAULT_CSS = """
    InvoicesPanel {
        padding: 0 0 1 0;
    }
    InvoicesPanel .panel--empty {
        text-style: italic;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "add", N_("Add invoice"), id="invoices.add"),
    ]

    def __init__(self) -> None:
        super().__init__("invoices")
        translate_bindings(self)
        self.rows: list[InvoiceRow] = []
        self._cursor_key: str | None = None
        self._shown_number: int | None = None

    def compose(self) -> ComposeResult:
        yield RowTable(id="invoices-table")
        yield Static(_("Loading…"), id="body-invoices", classes="panel--empty")

    def on_mount(self) -> None:
        table = self.query_one(RowTable)
        for heading, width in _COLUMNS:
            table.add_column(_(heading), width=width)

    def show(self, card: CustomerCard) -> None:
        super().show(card)
        rows = card.invoices
        customer_number = card.customer.number
        self.rows = rows
        empty = self.query_one("#body-invoices", Static)
        empty.update(_("No invoices."))
        empty.display = not rows
        table = self.query_one(RowTable)
        # The card screen is reused: only the same customer keeps the cursor.
        same = customer_number == self._shown_number
        self._shown_number = customer_number
        keep = self._cursor_key or (table.highlighted_key if same else None)
        table.clear()
        for row in rows:
            table.add_row(*self._cells(row), key=str(row.number))
        table.move_to_key(keep)
        self._cursor_key = None
        self.refresh_bindings()

    def _cells(self, row: InvoiceRow) -> list[str | Text]:
        status = label(INVOICE_STATUSES, row.status)
        if row.credit_of_number is not None:
            status = _("credits {number}").format(number=row.credit_of_number)
        return [
            str(row.number),
            date(row.invoice_date),
            date(row.due_date),
            Text(money(row.total), justify="right"),
            fit(status, 22),
        ]

    def _changed(self, number: int | None = None) -> None:
        """Tell the card to reload, keeping the cursor on ``number``."""
        self._cursor_key = str(number) if number is not None else None
        self.post_message(self.Changed())

    def _open(self, number: int) -> None:
        def closed(changed: bool | None) -> None:
            if changed:
                self._changed(number)

        self.app.push_screen(InvoiceScreen(number), closed)

    @on(DataTable.RowSelected)
    def open_row(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self._open(int(event.row_key.value))

    def action_add(self) -> None:
        card = self.card
        if card is None:
            return
        number = card.customer.number
        paid = [s for s in card.subscriptions if s.payer_number == number]

        def made(invoice_number: int | None) -> None:
            if invoice_number is None:
                return

            def closed(_changed: bool | None) -> None:
                self._changed(invoice_number)

            self.app.push_screen(InvoiceScreen(invoice_number), closed)

        self.app.push_screen(
            AddInvoiceScreen(number, card.customer.display_name, paid), made
        )
