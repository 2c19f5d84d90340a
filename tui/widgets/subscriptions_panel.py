"""The card's Subscriptions panel: the customer's current and future ones.

A row lists one subscription this customer subscribes or pays. Future ones
say so under their period; where this customer only pays, the payer
column says so. Enter opens the row's subscription (its subscriber, payer
and product alike) to change it; the panel's own keys add one, continue
the highlighted one with a new period, or end or remove it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from store.cards import CustomerCard, SubscriptionView
from store.errors import KortistoError
from store.subscriptions import get_subscription
from tui.i18n import N_, _, translate_bindings
from tui.messages import error_text
from tui.screens.subscription_form import (
    ContinueFlow,
    EndFlow,
    SubscriptionFormScreen,
    period_text,
)
from tui.widgets.card_panel import CardPanel
from tui.widgets.row_table import RowTable, fit

#: Column widths; with the table's cell padding they fit an 80-column card.
_COLUMNS = (
    (N_("No."), 7),
    (N_("Product"), 13),
    (N_("Subscriber"), 14),
    (N_("Payer"), 11),
    (N_("Period"), 21),
)


class SubscriptionsPanel(CardPanel):
    """The subscriptions of the card, with keys to add, continue and end."""

    DEFAULT_CSS = """
    SubscriptionsPanel {
        padding: 0 0 1 0;
    }
    SubscriptionsPanel .panel--empty {
        text-style: italic;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", N_("Add"), id="subscriptions.add"),
        Binding("j", "continue", N_("Continue"), id="subscriptions.continue"),
        Binding("p", "end", N_("End/remove"), id="subscriptions.end"),
    ]

    def __init__(self) -> None:
        super().__init__("subscriptions")
        translate_bindings(self)
        self._cursor_key: str | None = None
        self._shown_number: int | None = None

    def compose(self) -> ComposeResult:
        yield RowTable(id="subscriptions-table")
        yield Static(_("Loading…"), id="body-subscriptions", classes="panel--empty")

    def on_mount(self) -> None:
        table = self.query_one(RowTable)
        for heading, width in _COLUMNS:
            table.add_column(_(heading), width=width)

    def show(self, card: CustomerCard) -> None:
        super().show(card)
        empty = self.query_one("#body-subscriptions", Static)
        empty.update(_("No current or future subscriptions."))
        empty.display = not card.subscriptions
        table = self.query_one(RowTable)
        # The card screen is reused: only the same customer keeps the cursor.
        same = card.customer.number == self._shown_number
        self._shown_number = card.customer.number
        keep = self._cursor_key or (table.highlighted_key if same else None)
        table.clear()
        for row in card.subscriptions:
            table.add_row(*self._cells(row), key=str(row.number), height=None)
        table.move_to_key(keep)
        self._cursor_key = None
        self.refresh_bindings()

    def _cells(self, row: SubscriptionView) -> list[str | Text]:
        if row.payer_only:
            payer = Text(fit(_("payer only"), 11), style="italic")
        elif row.payer_number != row.subscriber_number:
            payer = Text(fit(row.payer_name, 11))
        else:
            payer = Text("")
        period = Text(period_text(row.starts_on, row.ends_on))
        if row.future:
            period.append("\n" + _("future"), style="italic")
        return [
            str(row.number),
            fit(row.product, 13),
            fit(row.subscriber_name, 14),
            payer,
            period,
        ]

    # Acting on the panel.

    def _highlighted(self) -> int | None:
        key = self.query_one(RowTable).highlighted_key
        return int(key) if key is not None else None

    def _changed(self, number: int | None = None) -> None:
        """Tell the card to reload, keeping the cursor on ``number``."""
        self._cursor_key = str(number) if number is not None else None
        self.post_message(self.Changed())

    def _form_closed(self, number: int | None) -> None:
        if number is not None:
            self._changed(number)

    @on(DataTable.RowSelected)
    def open_row(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self.card is not None and event.row_key.value is not None:
            self.app.push_screen(
                SubscriptionFormScreen(
                    self.card.customer.number, int(event.row_key.value)
                ),
                self._form_closed,
            )

    def action_add(self) -> None:
        if self.card is not None:
            self.app.push_screen(
                SubscriptionFormScreen(self.card.customer.number), self._form_closed
            )

    def action_continue(self) -> None:
        number = self._highlighted()
        if number is not None:
            ContinueFlow(self, number, self._changed).start()

    def action_end(self) -> None:
        number = self._highlighted()
        if number is not None:
            self.run_worker(
                self._end(number), group="subscription-end", exit_on_error=False
            )

    async def _end(self, number: int) -> None:
        try:
            detail = await get_subscription(self.kortisto.database, number)
        except KortistoError as error:
            self.notify(error_text(error), severity="error")
            return
        EndFlow(self, detail, lambda: self._changed(number)).start()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("continue", "end"):
            return self.card is not None and bool(self.card.subscriptions)
        return True
