"""The card's Other panel: block list, notes, and where the papers go.

Above, the block list, the additional info and the notes log the system
keeps. Then one list of the customer's temporary addresses, delivery
suspensions and address changes, past ones too (they are history: shown
dimmed, no longer changed). Under it, the effective state: where the
papers go today, and on a date the operator asks about, from the same
rules as the nightly run and the delivery lists.

The panel's keys add a record of each kind, open the highlighted one in
its form (F2; Enter too, where the card lets Enter reach the list), remove
it (cancel, for an address change) after a question, and ask for a date.
After a change the card reloads every panel, since the standard address
and subscriptions' ends may have moved too; the operator stays on the
record in this panel.
"""

from __future__ import annotations

import datetime as dt

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from store.cards import CustomerCard
from store.dates import parse_date
from store.delivery import address_line, effective_state
from store.errors import KortistoError
from store.holidays import (
    cancel_address_change,
    remove_suspension,
    remove_temporary_address,
)
from store.models import AddressChange, Suspension, TemporaryAddress
from store.validation import FieldError
from tui.formatting import date
from tui.i18n import N_, _, translate_bindings
from tui.messages import error_text
from tui.screens.confirm import ConfirmScreen
from tui.screens.holiday_forms import (
    AddressChangeForm,
    HolidayForm,
    SuspensionForm,
    TemporaryAddressForm,
    address_text,
    extension_lines,
    period_text,
)
from tui.screens.prompt import PromptField, PromptScreen
from tui.widgets.card_panel import CardPanel

Record = TemporaryAddress | Suspension | AddressChange

#: The option id of each kind of record starts with its prefix.
_PREFIXES: dict[type, str] = {
    TemporaryAddress: "temporary",
    Suspension: "suspension",
    AddressChange: "change",
}


def record_key(record: Record) -> str:
    """The record's option id in the list: ``suspension-12``."""
    return f"{_PREFIXES[type(record)]}-{record.id}"


class OtherPanel(CardPanel):
    """The Other panel's body, with its records and their keys."""

    DEFAULT_CSS = """
    OtherPanel #body-other {
        margin: 0 0 1 0;
    }
    OtherPanel #other-records {
        height: auto;
        max-height: 10;
    }
    OtherPanel #other-state {
        margin: 1 0 0 0;
    }
    """

    BINDINGS = [
        Binding("v", "add_temporary", N_("Temporary"), id="other.temporary_address"),
        Binding("k", "add_suspension", N_("Suspension"), id="other.suspension"),
        Binding("m", "add_address_change", N_("Move"), id="other.address_change"),
        Binding("f2", "open_record", N_("Open"), id="other.open"),
        Binding("x", "remove_record", N_("Remove"), id="other.remove"),
        Binding(
            "delete",
            "remove_record",
            N_("Remove"),
            show=False,
            id="other.remove_delete",
        ),
        Binding("d", "state_on", N_("Date"), id="other.state_on"),
    ]

    def __init__(self) -> None:
        super().__init__("other")
        translate_bindings(self)
        self.chosen_date: dt.date | None = None
        """The date the operator asked about, kept while the card is open."""
        self._chosen_text = ""
        self._keep: str | None = None
        """The record to highlight after the reload a save asked for."""

    def compose(self) -> ComposeResult:
        yield Static(_("Loading…"), id="body-other")
        yield OptionList(id="other-records", compact=True)
        yield Static("", id="other-state")

    # Showing the card.

    def show(self, card: CustomerCard) -> None:
        if self.card is not None and self.card.customer.id != card.customer.id:
            # The card screen is reused: another customer, another question.
            self.chosen_date = None
            self._chosen_text = ""
        super().show(card)
        summary = self.query_one("#body-other", Static)
        summary.update(self._summary(card))
        summary.display = bool(
            card.customer.delivery_blocked
            or card.customer.notes
            or card.customer.notes_log
        )
        records = self.query_one("#other-records", OptionList)
        previous = records.highlighted_option
        wanted = self._keep or (previous.id if previous is not None else None)
        records.set_options(self._options(card))
        keys = [option.id for option in records.options]
        if wanted in keys:
            records.highlighted = keys.index(wanted)
        elif not records.options[0].disabled:
            records.highlighted = 0
        self.refresh_bindings()
        self._keep = None
        self.show_states()

    def _summary(self, card: CustomerCard) -> RenderableType:
        c = card.customer
        rows = [
            (_("Block list"), _("No papers delivered") if c.delivery_blocked else ""),
            (_("Additional info"), c.notes),
            (_("Notes log"), c.notes_log),
        ]
        shown = [(name, value) for name, value in rows if value]
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for name, value in shown:
            grid.add_row(name, value)
        return grid

    def _options(self, card: CustomerCard) -> list[Option]:
        today = self.kortisto.clock.today()
        kinds = {
            TemporaryAddress: _("Temporary address"),
            Suspension: _("Delivery suspension"),
            AddressChange: _("Address change"),
        }
        width = max(len(text) for text in kinds.values()) + 2
        records: list[Record] = [
            *card.temporary_addresses,
            *card.suspensions,
            *card.address_changes,
        ]
        described = [(record, *self._describe(record, today)) for record in records]
        when_width = max((len(when) for _r, when, _d, _p in described), default=0) + 2
        options = []
        for record, when, details, past in described:
            prompt = Text.assemble(
                (kinds[type(record)].ljust(width), "bold"),
                when.ljust(when_width),
                details,
                style="dim" if past else "",
            )
            options.append(Option(prompt, id=record_key(record)))
        if not options:
            empty = _("No temporary addresses, suspensions or address changes.")
            options.append(Option(Text(empty, style="italic"), disabled=True))
        return options

    def _describe(self, record: Record, today: dt.date) -> tuple[str, str, bool]:
        """When, what, and whether the record is history."""
        if isinstance(record, AddressChange):
            details = address_text(record)
            if record.applied_on is not None:
                applied = _("applied") + " " + date(record.applied_on)
                details = f"{details} · {applied}"
            return date(record.effective_on), details, record.applied_on is not None
        past = record.ends_on < today
        notes = []
        if isinstance(record, TemporaryAddress):
            details = address_text(record)
            if record.all_mail:
                notes.append(_("all mail"))
        else:
            details = ""
            if record.extends_subscriptions:
                notes.append(_("continue subscriptions"))
        if past:
            notes.append(_("history"))
        details = " · ".join(part for part in (details, *notes) if part)
        return period_text(record.starts_on, record.ends_on), details, past

    # The effective state.

    @work(exclusive=True, group="other-state", exit_on_error=False)
    async def show_states(self) -> None:
        """Where the papers go today, and on the date asked about."""
        if self.card is None:
            return
        number = self.card.customer.number
        today = self.kortisto.clock.today()
        asked = [(_("Delivery today"), today)]
        if self.chosen_date is not None and self.chosen_date != today:
            label = _("Delivery on {date}").format(date=date(self.chosen_date))
            asked.append((label, self.chosen_date))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for label, day in asked:
            try:
                state = await effective_state(self.kortisto.database, number, day)
            except KortistoError as error:
                grid.add_row(label, Text(error_text(error), style="red"))
                continue
            text = state.describe(_)
            grid.add_row(label, Text(text, style="" if state.delivered else "red"))
        self.query_one("#other-state", Static).update(grid)

    # Keys.

    def _highlighted(self) -> Record | None:
        if self.card is None:
            return None
        option = self.query_one("#other-records", OptionList).highlighted_option
        if option is None or option.id is None:
            return None
        records: list[Record] = [
            *self.card.temporary_addresses,
            *self.card.suspensions,
            *self.card.address_changes,
        ]
        return next((r for r in records if record_key(r) == option.id), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open_record", "remove_record"):
            return self._highlighted() is not None
        return True

    @on(OptionList.OptionHighlighted, "#other-records")
    def record_highlighted(self) -> None:
        self.refresh_bindings()

    @on(OptionList.OptionSelected, "#other-records")
    def record_selected(self) -> None:
        self.action_open_record()

    def _open(self, form: HolidayForm) -> None:
        def saved(key: str | None) -> None:
            if key is not None:
                self._changed(key)

        self.app.push_screen(form, saved)

    def _changed(self, key: str | None) -> None:
        self._keep = key
        self.post_message(self.Changed())

    def _customer_number(self) -> int | None:
        return self.card.customer.number if self.card is not None else None

    def action_add_temporary(self) -> None:
        number = self._customer_number()
        if number is not None:
            self._open(TemporaryAddressForm(number))

    def action_add_suspension(self) -> None:
        number = self._customer_number()
        if number is not None:
            self._open(SuspensionForm(number))

    def action_add_address_change(self) -> None:
        number = self._customer_number()
        if number is None or self.card is None:
            return
        current = address_line(self.card.address)
        self._open(AddressChangeForm(number, current_address=current))

    def action_open_record(self) -> None:
        record = self._highlighted()
        number = self._customer_number()
        if record is None or number is None or self.card is None:
            return
        refusal = self._history(record)
        if refusal:
            self.notify(refusal, severity="warning")
            return
        if isinstance(record, TemporaryAddress):
            self._open(TemporaryAddressForm(number, record))
        elif isinstance(record, Suspension):
            self._open(SuspensionForm(number, record))
        else:
            current = address_line(self.card.address)
            self._open(AddressChangeForm(number, record, current_address=current))

    def _history(self, record: Record) -> str:
        """Why the record can no longer be changed, in the register's words."""
        today = self.kortisto.clock.today()
        if isinstance(record, AddressChange):
            if record.applied_on is None:
                return ""
            return _(
                "This address change was applied on {applied_on}; it is the"
                " standard address now."
            ).format(applied_on=date(record.applied_on))
        if record.ends_on >= today:
            return ""
        if isinstance(record, TemporaryAddress):
            return _("This temporary address has ended and is history.")
        return _("This suspension has ended and is history.")

    def action_remove_record(self) -> None:
        record = self._highlighted()
        if record is None:
            return
        if isinstance(record, TemporaryAddress):
            question = _("Remove the temporary address {period}?").format(
                period=period_text(record.starts_on, record.ends_on)
            )
        elif isinstance(record, Suspension):
            question = _("Remove the delivery suspension {period}?").format(
                period=period_text(record.starts_on, record.ends_on)
            )
        else:
            question = _("Cancel the address change for {date}?").format(
                date=date(record.effective_on)
            )

        def answered(yes: bool | None) -> None:
            if yes:
                self.take_away(record)

        self.app.push_screen(ConfirmScreen(question), answered)

    @work(exclusive=True, group="other-remove", exit_on_error=False)
    async def take_away(self, record: Record) -> None:
        """Remove ``record`` (cancel an address change), or say why not."""
        database, clock = self.kortisto.database, self.kortisto.clock
        operator = self.kortisto.operator
        operator_id = operator.id if operator is not None else None
        try:
            if isinstance(record, TemporaryAddress):
                await remove_temporary_address(
                    database,
                    clock,
                    record.id,
                    operator_id=operator_id,
                    expected=record,
                )
                message = _("Removed the temporary address {period}.").format(
                    period=period_text(record.starts_on, record.ends_on)
                )
            elif isinstance(record, Suspension):
                taken_back = await remove_suspension(
                    database,
                    clock,
                    record.id,
                    operator_id=operator_id,
                    expected=record,
                )
                lines = [
                    _("Removed the delivery suspension {period}.").format(
                        period=period_text(record.starts_on, record.ends_on)
                    ),
                    *extension_lines(taken_back),
                ]
                message = "\n".join(lines)
            else:
                await cancel_address_change(
                    database,
                    clock,
                    record.id,
                    operator_id=operator_id,
                    expected=record,
                )
                message = _("Cancelled the address change for {date}.").format(
                    date=date(record.effective_on)
                )
        except KortistoError as error:
            self.notify(error_text(error), severity="error", timeout=10)
            return
        self.notify(message, timeout=8)
        self._changed(None)

    def action_state_on(self, error: str | None = None) -> None:
        def asked(values: dict[str, str] | None) -> None:
            if values is None:
                return
            self._chosen_text = values["date"]
            try:
                chosen = parse_date(
                    values["date"],
                    "date",
                    today=self.kortisto.clock.today(),
                    required=False,
                )
            except FieldError as refusal:
                self.action_state_on(error_text(refusal))
                return
            self.chosen_date = chosen
            self._chosen_text = date(chosen) if chosen else ""
            self.show_states()

        field = PromptField("date", _("Date"), self._chosen_text)
        prompt = PromptScreen(
            _("Where do the papers go on a date?"),
            [field],
            error=error,
            error_field="date" if error else None,
        )
        self.app.push_screen(prompt, asked)
