"""The forms of the card's Other panel: temporary address, delivery
suspension and future address change, each a modal over the card.

A form hands what was typed to the register (:mod:`store.holidays`), which
checks it. A refusal is shown under the field it names, in the register's
own words, and the form stays open with everything typed; it closes only
once saved. Dates are typed the Finnish way (``1.7.2027``, or ``1.7.`` for
this year). Leaving a date field checks it and writes out the date it
understood, so the operator sees the year before saving.

An edit form is given the record as the card loaded it; the register
refuses the save when another operator changed the record after that.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Footer, Input, Static

from store.dates import parse_date
from store.errors import KortistoError
from store.holidays import (
    AddressChangeInput,
    SuspensionInput,
    TemporaryAddressInput,
    add_address_change,
    add_suspension,
    add_temporary_address,
    edit_address_change,
    edit_suspension,
    edit_temporary_address,
)
from store.models import AddressChange, Suspension, TemporaryAddress
from store.validation import FieldError
from tui.formatting import date
from tui.i18n import N_, _, translate_bindings
from tui.messages import error_text
from tui.screens.confirm import ConfirmScreen
from tui.widgets.form_field import FormField, field_id

if TYPE_CHECKING:
    from store.holidays import ExtensionChange
    from tui.app import KortistoApp


def period_text(starts_on: dt.date, ends_on: dt.date) -> str:
    """A period as the card shows it: ``1.7.2027–14.7.2027``."""
    return f"{date(starts_on)}–{date(ends_on)}"


def address_text(row: TemporaryAddress | AddressChange) -> str:
    """A record's address on one line, the country only when not Finland."""
    text = f"{row.street}, {row.postal_code} {row.post_town}"
    return text if row.country in ("", "FI") else f"{text}, {row.country}"


def extension_lines(extensions: tuple[ExtensionChange, ...]) -> list[str]:
    """One line per subscription period whose end a suspension moved."""
    return [
        _("Subscription {number} now ends {ends_on} (was {was}).").format(
            number=change.subscription_number,
            ends_on=date(change.new_ends_on),
            was=date(change.old_ends_on),
        )
        for change in extensions
    ]


class HolidayForm(ModalScreen[str | None]):
    """The frame of the three forms: fields, save, cancel, refusals.

    Dismisses with the key of the record saved (``suspension-12``), which
    the panel highlights, or ``None`` when left without saving.
    """

    DEFAULT_CSS = """
    HolidayForm {
        align: center middle;
    }
    HolidayForm > Vertical {
        width: 76;
        height: auto;
        max-height: 22;
        padding: 0 1;
        border: thick $accent;
        background: $panel;
    }
    HolidayForm .holiday-form--title {
        text-style: bold;
        padding: 0 0 1 0;
    }
    HolidayForm .holiday-form--note {
        color: $text-muted;
    }
    HolidayForm .holiday-form--error {
        display: none;
        color: $text-error;
        padding: 1 0 0 0;
    }
    HolidayForm .holiday-form--error.-shown {
        display: block;
    }
    HolidayForm Input {
        width: 1fr;
    }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save"), id="holiday_form.save", priority=True),
        Binding("escape", "leave", N_("Cancel"), id="holiday_form.cancel"),
    ]

    #: The fields that hold a date.
    DATE_FIELDS: tuple[str, ...] = ()

    def __init__(self, customer_number: int, record: Any = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.customer_number = customer_number
        self.record = record
        """The record being edited, as the card loaded it; ``None`` for new."""
        self._saving = False
        self._initial: dict[str, object] = {}

    @property
    def kortisto(self) -> KortistoApp:
        """The app, with its register, operator and clock."""
        from tui.app import KortistoApp

        assert isinstance(self.app, KortistoApp)
        return self.app

    # What a form is made of; the three forms fill these in.

    def title_text(self) -> str:
        """The form's heading."""
        raise NotImplementedError

    def note_text(self) -> str:
        """A line of context under the heading, or nothing."""
        return ""

    def fields(self) -> list[FormField]:
        """The form's fields, in the order they are filled in."""
        raise NotImplementedError

    async def write(self) -> tuple[str, str]:
        """Save the form; the record's key and what to tell the operator.

        Raises:
            KortistoError: the register refused the values.
        """
        raise NotImplementedError

    # Building.

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text(), classes="holiday-form--title")
            note = self.note_text()
            if note:
                yield Static(note, classes="holiday-form--note")
            yield from self.fields()
            yield Static("", id="holiday-form-error", classes="holiday-form--error")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self._initial = self.values()
        self.query(Input).first().focus()

    def text_field(self, name: str, label: str, value: str = "") -> FormField:
        """A labelled text field; a date field gets a hint of the form."""
        placeholder = _("e.g. 1.7.2027") if name in self.DATE_FIELDS else ""
        widget = Input(value=value, placeholder=placeholder, compact=True)
        return FormField(name, _(label), widget)

    def check_field(self, name: str, label: str, value: bool) -> FormField:
        """A yes-or-no field."""
        return FormField(name, "", Checkbox(_(label), value=value, compact=True))

    # Reading.

    def text(self, name: str) -> str:
        """What is typed in field ``name``."""
        return self.query_one(f"#{field_id(name)}", Input).value

    def ticked(self, name: str) -> bool:
        """Whether the box of field ``name`` is ticked."""
        return self.query_one(f"#{field_id(name)}", Checkbox).value

    def values(self) -> dict[str, object]:
        """Every field's value, to tell whether anything was changed."""
        found: dict[str, object] = {}
        for field in self.query(FormField):
            widget = field.widget
            if isinstance(widget, (Input, Checkbox)):
                found[field.field_name] = widget.value
        return found

    # Checking.

    def today(self) -> dt.date:
        """The business date, whose year ``1.7.`` falls in."""
        return self.kortisto.clock.today()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        field = next(
            (a for a in event.widget.ancestors_with_self if isinstance(a, FormField)),
            None,
        )
        if field is None or field.field_name not in self.DATE_FIELDS:
            return
        widget = field.widget
        assert isinstance(widget, Input)
        if not widget.value.strip():
            field.show_error(None)
            return
        try:
            understood = parse_date(widget.value, field.field_name, today=self.today())
        except FieldError as error:
            field.show_error(error_text(error))
            return
        field.show_error(None)
        if understood is not None:
            widget.value = date(understood)

    def _field(self, name: str) -> FormField | None:
        found = self.query(f"#field-{field_id(name)}")
        return found.first(FormField) if found else None

    def show_refusal(self, error: KortistoError) -> None:
        """Show why the register refused: under the field, or at the foot."""
        for each in self.query(FormField):
            each.show_error(None)
        general = self.query_one("#holiday-form-error", Static)
        name = error.field if isinstance(error, FieldError) else None
        wrong = self._field(name) if name else None
        if wrong is not None:
            wrong.show_error(error_text(error))
            general.update("")
            general.remove_class("-shown")
            wrong.widget.focus()
            return
        general.update(error_text(error))
        general.add_class("-shown")

    # Actions.

    def action_save(self) -> None:
        if self._saving:
            return
        self._saving = True
        self.save()

    @work(exclusive=True, group="holiday-form-save", exit_on_error=False)
    async def save(self) -> None:
        """Write the form, or show why the register refused it."""
        try:
            key, message = await self.write()
        except KortistoError as error:
            # TODO: after ChangedMeanwhile the form cannot show the newer
            # values beside the operator's, as the card form does; to keep
            # theirs the operator leaves, reopens the record and types again.
            self.show_refusal(error)
            return
        finally:
            self._saving = False
        self.notify(message, timeout=8)
        self.dismiss(key)

    @property
    def changed(self) -> bool:
        """Whether the operator has typed anything since the form opened."""
        return self.is_mounted and self.values() != self._initial

    def action_leave(self) -> None:
        if self._saving:
            return
        if not self.changed:
            self.dismiss(None)
            return

        def answered(leave: bool | None) -> None:
            if leave:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(_("Leave without saving? Your changes will be lost.")),
            answered,
        )

    @property
    def operator_id(self) -> int | None:
        """Who saves, for the events."""
        operator = self.kortisto.operator
        return operator.id if operator is not None else None


class TemporaryAddressForm(HolidayForm):
    """Add or change a temporary address (Väliaikainen osoite)."""

    DATE_FIELDS = ("starts_on", "ends_on")

    def __init__(
        self, customer_number: int, record: TemporaryAddress | None = None
    ) -> None:
        super().__init__(customer_number, record)

    def title_text(self) -> str:
        if self.record is None:
            return _("New temporary address")
        return _("Temporary address")

    def note_text(self) -> str:
        return _("Papers go here between the dates, both days included.")

    def fields(self) -> list[FormField]:
        row: TemporaryAddress | None = self.record
        return [
            self.text_field("street", N_("Street address"), row.street if row else ""),
            self.text_field(
                "postal_code", N_("Postcode"), row.postal_code if row else ""
            ),
            self.text_field("post_town", N_("Post town"), row.post_town if row else ""),
            self.text_field("country", N_("Country"), row.country if row else "FI"),
            self.text_field(
                "starts_on", N_("Start date"), date(row.starts_on) if row else ""
            ),
            self.text_field(
                "ends_on", N_("End date"), date(row.ends_on) if row else ""
            ),
            self.check_field(
                "all_mail",
                N_("Applies to all mail, invoices too"),
                row.all_mail if row else False,
            ),
        ]

    async def write(self) -> tuple[str, str]:
        values = TemporaryAddressInput(
            street=self.text("street"),
            postal_code=self.text("postal_code"),
            post_town=self.text("post_town"),
            country=self.text("country"),
            starts_on=self.text("starts_on"),
            ends_on=self.text("ends_on"),
            all_mail=self.ticked("all_mail"),
        )
        database, clock = self.kortisto.database, self.kortisto.clock
        if self.record is None:
            row = await add_temporary_address(
                database,
                clock,
                self.customer_number,
                values,
                operator_id=self.operator_id,
            )
        else:
            row = await edit_temporary_address(
                database,
                clock,
                self.record.id,
                values,
                operator_id=self.operator_id,
                expected=self.record,
            )
        message = _("Saved the temporary address {period}.").format(
            period=period_text(row.starts_on, row.ends_on)
        )
        return f"temporary-{row.id}", message


class SuspensionForm(HolidayForm):
    """Add or change a delivery suspension (Jakelun keskeytys)."""

    DATE_FIELDS = ("starts_on", "ends_on")

    def __init__(self, customer_number: int, record: Suspension | None = None) -> None:
        super().__init__(customer_number, record)

    def title_text(self) -> str:
        if self.record is None:
            return _("New delivery suspension")
        return _("Delivery suspension")

    def note_text(self) -> str:
        return _(
            "No papers between the dates, both days included. Continuing moves"
            " the end of each fixed-term subscription by the days, once."
        )

    def fields(self) -> list[FormField]:
        row: Suspension | None = self.record
        return [
            self.text_field(
                "starts_on", N_("Start date"), date(row.starts_on) if row else ""
            ),
            self.text_field(
                "ends_on", N_("End date"), date(row.ends_on) if row else ""
            ),
            self.check_field(
                "continue_subscriptions",
                N_("Continue subscriptions"),
                row.extends_subscriptions if row else False,
            ),
        ]

    async def write(self) -> tuple[str, str]:
        values = SuspensionInput(
            starts_on=self.text("starts_on"),
            ends_on=self.text("ends_on"),
            continue_subscriptions=self.ticked("continue_subscriptions"),
        )
        database, clock = self.kortisto.database, self.kortisto.clock
        if self.record is None:
            saved = await add_suspension(
                database,
                clock,
                self.customer_number,
                values,
                operator_id=self.operator_id,
            )
        else:
            saved = await edit_suspension(
                database,
                clock,
                self.record.id,
                values,
                operator_id=self.operator_id,
                expected=self.record,
            )
        row = saved.suspension
        lines = [
            _("Saved the delivery suspension {period}.").format(
                period=period_text(row.starts_on, row.ends_on)
            ),
            *extension_lines(saved.extensions),
        ]
        return f"suspension-{row.id}", "\n".join(lines)


class AddressChangeForm(HolidayForm):
    """Add or change a future address change (Osoitemuutos)."""

    DATE_FIELDS = ("effective_on",)

    def __init__(
        self,
        customer_number: int,
        record: AddressChange | None = None,
        *,
        current_address: str = "",
    ) -> None:
        super().__init__(customer_number, record)
        self.current_address = current_address

    def title_text(self) -> str:
        if self.record is None:
            return _("New address change")
        return _("Address change")

    def note_text(self) -> str:
        text = _(
            "The new address replaces the standard one in the night before the"
            " date; a date of today or earlier applies it on saving."
        )
        if self.current_address:
            now = _("Standard address now: {address}").format(
                address=self.current_address
            )
            text = f"{text}\n{now}"
        return text

    def fields(self) -> list[FormField]:
        row: AddressChange | None = self.record
        return [
            self.text_field("street", N_("Street address"), row.street if row else ""),
            self.text_field(
                "postal_code", N_("Postcode"), row.postal_code if row else ""
            ),
            self.text_field("post_town", N_("Post town"), row.post_town if row else ""),
            self.text_field("country", N_("Country"), row.country if row else "FI"),
            self.text_field(
                "effective_on",
                N_("Effective date"),
                date(row.effective_on) if row else "",
            ),
        ]

    async def write(self) -> tuple[str, str]:
        values = AddressChangeInput(
            street=self.text("street"),
            postal_code=self.text("postal_code"),
            post_town=self.text("post_town"),
            country=self.text("country"),
            effective_on=self.text("effective_on"),
        )
        database, clock = self.kortisto.database, self.kortisto.clock
        if self.record is None:
            row = await add_address_change(
                database,
                clock,
                self.customer_number,
                values,
                operator_id=self.operator_id,
            )
        else:
            row = await edit_address_change(
                database,
                clock,
                self.record.id,
                values,
                operator_id=self.operator_id,
                expected=self.record,
            )
        if row.applied_on is not None:
            message = _(
                "Address change applied: {address} is the standard address now."
            ).format(address=address_text(row))
        else:
            message = _("Saved the address change for {date}.").format(
                date=date(row.effective_on)
            )
        return f"change-{row.id}", message
