"""Picking another customer by search, e.g. as a customer's other payer."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from tui.i18n import N_, _, translate_bindings
from tui.widgets.customer_finder import CustomerFinder
from tui.widgets.customer_list import CustomerList


class PickCustomerScreen(ModalScreen[int | None]):
    """Search and choose a customer; dismisses with its number or ``None``."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="pick.cancel")]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        yield Static(_("Pick a customer"), id="title")
        yield CustomerFinder(choose=True)
        yield Footer(show_command_palette=False)

    @on(CustomerList.Selected)
    def selected(self, event: CustomerList.Selected) -> None:
        event.stop()
        self.dismiss(event.row.number)

    def action_cancel(self) -> None:
        self.dismiss(None)
