"""The body of one panel of the customer card.

A panel shows its part of a loaded :class:`~store.cards.CustomerCard`. A
panel that changes the register (a holiday, a subscription, an invoice)
posts :class:`CardPanel.Changed`, and the card reloads every panel. Keys
that act on a panel are the panel's own bindings, so the footer offers
them while the operator is in that panel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from store.cards import CustomerCard
from tui.i18n import _

if TYPE_CHECKING:
    from tui.app import KortistoApp


class CardPanel(Vertical):
    """A panel's body; subclasses fill it from the card in :meth:`show`."""

    DEFAULT_CSS = """
    CardPanel {
        height: auto;
    }
    """

    class Changed(Message):
        """The panel changed the customer in the register."""

    def __init__(self, panel_id: str) -> None:
        super().__init__(id=f"panel-body-{panel_id}")
        self.panel_id = panel_id
        self.card: CustomerCard | None = None

    @property
    def kortisto(self) -> KortistoApp:
        """The app, with its register, operator and clock."""
        from tui.app import KortistoApp

        assert isinstance(self.app, KortistoApp)
        return self.app

    def show(self, card: CustomerCard) -> None:
        """Show ``card``'s part of this panel."""
        self.card = card


class RenderedPanel(CardPanel):
    """A read-only panel: one block of text drawn from the card."""

    def __init__(
        self, panel_id: str, render: Callable[[CustomerCard], RenderableType]
    ) -> None:
        super().__init__(panel_id)
        self.render_card = render

    def compose(self) -> ComposeResult:
        yield Static(_("Loading…"), id=f"body-{self.panel_id}")

    def show(self, card: CustomerCard) -> None:
        super().show(card)
        self.query_one(f"#body-{self.panel_id}", Static).update(self.render_card(card))
