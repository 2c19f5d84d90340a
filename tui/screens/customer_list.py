"""The front page: the customer list, searched as the operator types."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.i18n import N_, _, translate_bindings
from tui.widgets.customer_finder import CustomerFinder
from tui.widgets.customer_list import CustomerList

if TYPE_CHECKING:
    from tui.app import KortistoApp


class CustomerListScreen(Screen[None]):
    """Title, the customer finder, and the footer."""

    BINDINGS = [
        Binding("ctrl+n", "add_customer", N_("Add customer"), id="list.add"),
        Binding("f9", "settings", N_("Settings"), id="list.settings"),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    @property
    def kortisto(self) -> KortistoApp:
        from tui.app import KortistoApp

        assert isinstance(self.app, KortistoApp)
        return self.app

    def compose(self) -> ComposeResult:
        operator = self.kortisto.operator
        name = operator.name if operator else ""
        yield Static((_("Customers") + f"  ·  {name}"), id="title")
        yield CustomerFinder(id="finder")
        yield Footer()

    def on_screen_resume(self) -> None:
        # A card may have been changed or added meanwhile.
        if self.kortisto.operator is not None:
            self.query_one(CustomerFinder).refresh_rows()

    @on(CustomerList.Selected)
    def open_card(self, event: CustomerList.Selected) -> None:
        self.kortisto.open_card(event.row.number)

    def action_settings(self) -> None:
        from tui.screens.settings import SettingsScreen

        self.app.push_screen(SettingsScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "settings":
            operator = self.kortisto.operator
            return operator is not None and operator.is_admin
        return True

    def action_add_customer(self) -> None:
        from tui.screens.customer_form import CustomerFormScreen

        def saved(number: int | None) -> None:
            if number is not None:
                self.kortisto.open_card(number)

        self.app.push_screen(CustomerFormScreen(None), saved)
