"""The customer card: a header and the seed's collapsible panels.

Which panels are open is the operator's own choice, saved in the register
and applied to every card they open. The panels are composed already open
or closed as saved, so restoring them posts no toggle and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Collapsible, Footer, Static
from textual.widgets._collapsible import CollapsibleTitle

from store.cards import CustomerCard, load_card
from store.errors import KortistoError
from tui.clipboard import copy_text
from tui.formatting import (
    CONSENT_CHANNELS,
    CONSENT_STATUSES,
    CUSTOMER_TYPES,
    INVOICE_DELIVERIES,
    card_as_text,
    date,
    label,
    percent,
    yes_no,
)
from tui.i18n import N_, _, translate_bindings
from tui.messages import error_text
from tui.widgets.card_panel import CardPanel, RenderedPanel
from tui.widgets.invoices_panel import InvoicesPanel
from tui.widgets.other_panel import OtherPanel
from tui.widgets.subscriptions_panel import SubscriptionsPanel

if TYPE_CHECKING:
    from tui.app import KortistoApp

#: The preference that holds which panels an operator keeps open.
PANELS_PREFERENCE = "card_panels"


def _fields(rows: list[tuple[str, str]]) -> RenderableType:
    shown = [(name, value) for name, value in rows if value]
    if not shown:
        return Text(_("No details."), style="italic")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in shown:
        grid.add_row(name, value)
    return grid


def _contact(card: CustomerCard) -> RenderableType:
    c = card.customer
    return _fields(
        [
            (_("Customer type"), label(CUSTOMER_TYPES, c.customer_type)),
            (_("Last name"), c.last_name),
            (_("First name"), c.first_name),
            (_("Company"), c.company),
            (_("Business ID"), c.business_id),
            (_("Address"), "\n".join(card.address.lines())),
            (_("Phone"), c.phone),
            (_("Email"), c.email),
            (
                _("Early delivery"),
                _("Blocked: always by post") if c.early_delivery_blocked else "",
            ),
            (_("Forced bundle"), card.forced_bundle or ""),
        ]
    )


def _billing(card: CustomerCard) -> RenderableType:
    c = card.customer
    payer = card.payer
    payer_text = ""
    if payer is not None:
        lines = [payer.name, *payer.address.lines()]
        if payer.customer_number is not None:
            lines[0] = f"{payer.name} ({payer.customer_number})"
        if payer.einvoice_address:
            lines.append(_("E-invoice address") + f": {payer.einvoice_address}")
        if payer.einvoice_operator:
            lines.append(_("Intermediator ID") + f": {payer.einvoice_operator}")
        lines.append(
            _("Invoice delivery")
            + f": {label(INVOICE_DELIVERIES, payer.invoice_delivery)}"
        )
        payer_text = "\n".join(lines)
    return _fields(
        [
            (_("Invoice delivery"), label(INVOICE_DELIVERIES, c.invoice_delivery)),
            (_("E-invoice address"), c.einvoice_address),
            (_("Intermediator ID"), c.einvoice_operator),
            (_("Discount"), percent(c.discount_percent) if c.discount_percent else ""),
            (_("Consolidated invoice"), yes_no(c.consolidated_invoice)),
            (_("Direct payment"), yes_no(c.direct_payment)),
            (_("No surcharge"), yes_no(c.surcharge_exempt)),
            (_("Salesperson"), card.salesperson or ""),
            (_("Other payer"), payer_text),
        ]
    )


def _marketing(card: CustomerCard) -> RenderableType:
    if not card.consents:
        return Text(_("No marketing consents asked."), style="italic")
    table = Table(box=None, padding=(0, 1), show_edge=False)
    for heading in (_("Channel"), _("Answer"), _("Source"), _("Date"), _("Earlier")):
        table.add_column(heading, style="", header_style="bold")
    for consent in card.consents:
        table.add_row(
            label(CONSENT_CHANNELS, consent.channel),
            label(CONSENT_STATUSES, consent.status),
            consent.source,
            date(consent.given_on),
            str(consent.earlier) if consent.earlier else "",
        )
    return table


def _grouping(card: CustomerCard) -> RenderableType:
    automatic = "\n".join(
        _(group.message).format(**group.values) for group in card.automatic_groups
    )
    return _fields(
        [
            (_("Roles"), ", ".join(card.roles)),
            (_("Groups"), ", ".join(card.groups)),
            (_("Free grouping"), card.customer.free_grouping),
            (_("Automatic"), automatic),
        ]
    )


def _self_service(card: CustomerCard) -> RenderableType:
    if card.self_service_username is None:
        return Text(_("No self-service login."), style="italic")
    password = _("[ENCRYPTED]") if card.self_service_has_password else _("Not set")
    return _fields(
        [(_("Username"), card.self_service_username), (_("Password"), password)]
    )


def _rendered(
    panel_id: str, render: Callable[[CustomerCard], RenderableType]
) -> Callable[[], CardPanel]:
    return lambda: RenderedPanel(panel_id, render)


#: The card's panels in the seed's order: id, title, its body, open at first.
PANELS: list[tuple[str, str, Callable[[], CardPanel], bool]] = [
    ("contact", N_("Contact details"), _rendered("contact", _contact), True),
    ("billing", N_("Billing details"), _rendered("billing", _billing), True),
    ("marketing", N_("Marketing"), _rendered("marketing", _marketing), False),
    ("grouping", N_("Grouping"), _rendered("grouping", _grouping), False),
    ("other", N_("Other details"), OtherPanel, False),
    (
        "self_service",
        N_("Self-service"),
        _rendered("self_service", _self_service),
        False,
    ),
    ("subscriptions", N_("Subscriptions"), SubscriptionsPanel, True),
    ("invoices", N_("Invoices"), InvoicesPanel, True),
]


class CustomerCardScreen(Screen[None]):
    """One customer's card, read-only."""

    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="card.back"),
        Binding("e", "edit", N_("Edit"), id="card.edit"),
        Binding("c", "copy", N_("Copy"), id="card.copy"),
        Binding("t", "timeline", N_("Timeline"), id="card.timeline"),
        # The same keys inside a panel, kept out of its footer so the
        # panel's own keys fit in 80 columns.
        Binding("e", "card_key('edit')", show=False),
        Binding("c", "card_key('copy')", show=False),
        Binding("t", "card_key('timeline')", show=False),
        Binding(
            "tab", "app.focus_next", N_("Next panel"), show=False, id="card.next_panel"
        ),
        # Priority, since the panel title's own Enter is hidden from the footer.
        Binding(
            "enter", "toggle_panel", N_("Open/close"), id="card.toggle", priority=True
        ),
    ]

    def __init__(self, number: int) -> None:
        super().__init__()
        translate_bindings(self)
        self.number = number
        self.card: CustomerCard | None = None

    def present(self, card: CustomerCard) -> None:
        """Show ``card``; the app keeps one card screen and reuses it.

        Composing the card's panels costs far more than reading a card, so
        the screen is made once and each customer is shown on it.
        """
        self.number = card.customer.number
        self.card = card
        if self.is_mounted:
            self._show(card)

    @property
    def kortisto(self) -> KortistoApp:
        from tui.app import KortistoApp

        assert isinstance(self.app, KortistoApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Static((_("Customer card") + f" {self.number}"), id="card-header")
        saved = self.kortisto.panel_state
        # Not a stop of its own for Tab: the panels' titles and rows are, and
        # the view scrolls to whichever has the focus.
        with VerticalScroll(id="panels", can_focus=False):
            for panel_id, title, body, open_at_first in PANELS:
                with Collapsible(
                    title=_(title),
                    collapsed=not saved.get(panel_id, open_at_first),
                    id=f"panel-{panel_id}",
                ):
                    yield body()
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        if self.card is None:
            self.load()
        else:
            self._show(self.card)

    @work(exclusive=True, group="card", exit_on_error=False)
    async def load(self) -> None:
        """Read the card from the register and fill the panels."""
        try:
            card = await load_card(
                self.kortisto.database, self.number, self.kortisto.clock
            )
        except KortistoError as error:
            self.notify(error_text(error), severity="error")
            self.dismiss()
            return
        self.card = card
        self._show(card)

    def _show(self, card: CustomerCard) -> None:
        c = card.customer
        kind = label(CUSTOMER_TYPES, c.customer_type)
        header = Text.assemble(
            (f"{c.number}  ", "bold"), (c.display_name, "bold"), f"  ·  {kind}"
        )
        if c.company and c.display_name != c.company:
            header.append(f"  ·  {c.company}")
        if c.delivery_blocked:
            header.append(("  ·  " + _("Block list")), style="bold red")
        self.query_one("#card-header", Static).update(header)
        for panel in self.query(CardPanel):
            panel.show(card)
        focused = self.focused
        in_a_panel = focused is not None and any(
            isinstance(a, Collapsible) for a in focused.ancestors
        )
        if not in_a_panel:
            self.query(CollapsibleTitle).first().focus()

    @on(CardPanel.Changed)
    def panel_changed(self) -> None:
        self.load()

    @on(Collapsible.Toggled)
    def panel_toggled(self, event: Collapsible.Toggled) -> None:
        panel_id = (event.collapsible.id or "").removeprefix("panel-")
        self.kortisto.save_panel_state(panel_id, not event.collapsible.collapsed)

    def action_toggle_panel(self) -> None:
        focused = self.focused
        if isinstance(focused, CollapsibleTitle) and isinstance(
            focused.parent, Collapsible
        ):
            focused.parent.collapsed = not focused.parent.collapsed

    def action_edit(self) -> None:
        from tui.screens.customer_form import CustomerFormScreen

        def saved(number: int | None) -> None:
            if number is not None:
                self.load()

        self.app.push_screen(CustomerFormScreen(self.number), saved)

    def action_timeline(self) -> None:
        from tui.screens.timeline import TimelineScreen

        self.app.push_screen(TimelineScreen(self.number))

    def action_back(self) -> None:
        self.dismiss()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        on_a_title = isinstance(self.focused, CollapsibleTitle)
        if action == "toggle_panel":
            # Elsewhere Enter belongs to the panel the operator is in.
            return on_a_title
        if action in ("edit", "copy", "timeline"):
            return on_a_title or self.focused is None
        return True

    def action_card_key(self, name: str) -> None:
        """A card key pressed inside a panel."""
        getattr(self, f"action_{name}")()

    def action_copy(self) -> None:
        if self.card is None:
            return
        copy_text(self.app, card_as_text(self.card))
        self.notify(
            _("Copied the details of customer {number} {name}.").format(
                number=self.card.customer.number, name=self.card.customer.display_name
            ),
            title=_("Copied to clipboard"),
        )
