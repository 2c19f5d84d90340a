"""The customer card as a form: the pen action, and "add customer".

The form mirrors the card's panels. Each field is checked as the operator
leaves it and all of them again on save; a wrong field is marked with a
plain sentence under it and nothing is saved until every field is right.
A save that another operator's newer save would overwrite is refused with
who and when; the operator's values stay, and one key shows the newer
saved values beside them to re-apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import (
    Checkbox,
    Collapsible,
    Footer,
    Input,
    Select,
    SelectionList,
    Static,
    TextArea,
)
from textual.widgets._collapsible import CollapsibleTitle

from store.cards import load_card
from store.clock import BUSINESS_ZONE
from store.editing import (
    Choices,
    ConsentForm,
    CustomerForm,
    FormInvalid,
    PayerForm,
    StaleSave,
    check_field,
    check_form,
    form_from_card,
    load_choices,
    save_customer,
)
from store.errors import KortistoError
from tui.formatting import CONSENT_CHANNELS, CUSTOMER_TYPES, INVOICE_DELIVERIES, label
from tui.i18n import N_, _, ngettext, translate_bindings
from tui.messages import error_text
from tui.screens.confirm import ConfirmScreen
from tui.screens.pick_customer import PickCustomerScreen
from tui.widgets.form_field import FormField, field_id

if TYPE_CHECKING:
    from tui.app import KortistoApp

CONSENT_ANSWERS = [
    ("", N_("Not asked")),
    ("allowed", N_("Allowed")),
    ("denied", N_("Denied")),
]


@dataclass(frozen=True)
class _Text:
    name: str
    label: str


def _options(
    options: list[Any], current: object, names: dict[str, str] | None = None
) -> list[tuple[str, object]]:
    """Select options: the active ones, and a retired one only if in use."""
    shown = []
    for option in options:
        if option.retired and option.value != current:
            continue
        text = label(names, option.value) if names else option.label
        if option.retired:
            text = f"{text} (" + _("retired") + ")"
        shown.append((text, option.value))
    return shown


def _select_value(widget: Select[Any]) -> Any:
    value = widget.value
    return None if value is Select.NULL else value


class CustomerFormScreen(Screen[int | None]):
    """Edit one customer, or add a new one when ``number`` is ``None``.

    Dismisses with the customer's number once saved, ``None`` if left.
    """

    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save"), id="form.save", priority=True),
        Binding("escape", "leave", N_("Cancel"), id="form.cancel"),
        Binding("f2", "pick_payer", N_("Pick payer"), id="form.pick_payer"),
        Binding(
            "ctrl+r", "reload_newer", N_("Show newer"), id="form.reload", priority=True
        ),
        Binding(
            "enter", "toggle_panel", N_("Open/close"), id="form.toggle", priority=True
        ),
    ]

    def __init__(self, number: int | None) -> None:
        super().__init__()
        translate_bindings(self)
        self.number = number
        self.version: int | None = None
        self.choices: Choices | None = None
        self.initial: CustomerForm | None = None
        self.notes_log = ""
        self.automatic: list[str] = []
        self.stale = False
        self._saving = False

    @property
    def kortisto(self) -> KortistoApp:
        from tui.app import KortistoApp

        assert isinstance(self.app, KortistoApp)
        return self.app

    def compose(self) -> ComposeResult:
        title = (
            _("New customer")
            if self.number is None
            else (_("Editing customer") + f" {self.number}")
        )
        yield Static(title, id="form-header")
        yield VerticalScroll(id="form-panels")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, group="form-load", exit_on_error=False)
    async def load(self) -> None:
        """Read the choices and the card, then build the form."""
        database = self.kortisto.database
        self.choices = await load_choices(database)
        if self.number is None:
            form = CustomerForm()
        else:
            try:
                card = await load_card(database, self.number, self.kortisto.clock)
            except KortistoError as error:
                self.notify(error_text(error), severity="error")
                self.dismiss(None)
                return
            form = form_from_card(card)
            self.version = card.customer.version
            self.notes_log = card.customer.notes_log
            self.automatic = [
                _(g.message).format(**g.values) for g in card.automatic_groups
            ]
        self.initial = form
        await self._build(form)

    # Building the form.

    async def _build(self, form: CustomerForm) -> None:
        assert self.choices is not None
        panels = self.query_one("#form-panels", VerticalScroll)
        saved = self.kortisto.panel_state
        for panel_id, title, fields in self._panels(form, self.choices):
            collapsible = Collapsible(
                *fields,
                title=_(title),
                collapsed=not saved.get(panel_id, True),
                id=f"form-panel-{panel_id}",
            )
            await panels.mount(collapsible)
        self._show_payer(form.payer is not None)
        first = self.query(Input).first()
        self._expand_around(first)
        first.focus()

    def _text(self, name: str, title: str, value: str, **options: Any) -> FormField:
        return FormField(name, _(title), Input(value=value, compact=True, **options))

    def _check(self, name: str, title: str, value: bool) -> FormField:
        return FormField(name, "", Checkbox(_(title), value=value, compact=True))

    def _select(
        self, name: str, title: str, options: list[tuple[str, object]], value: object
    ) -> FormField:
        widget: Select[Any] = Select(
            options,
            value=value if value is not None else Select.NULL,
            allow_blank=True,
            prompt="–",
            compact=True,
        )
        return FormField(name, _(title), widget)

    def _panels(
        self, form: CustomerForm, choices: Choices
    ) -> list[tuple[str, str, list[Widget]]]:
        payer = form.payer or PayerForm()
        deliveries = [(_(text), code) for code, text in INVOICE_DELIVERIES.items()]
        contact: list[Widget] = [
            self._select(
                "customer_type",
                N_("Customer type"),
                _options(choices.customer_types, form.customer_type, CUSTOMER_TYPES),
                form.customer_type,
            ),
            self._text("last_name", N_("Last name"), form.last_name),
            self._text("first_name", N_("First name"), form.first_name),
            self._text("company", N_("Company"), form.company),
            self._text("business_id", N_("Business ID"), form.business_id),
            self._text("street", N_("Street address"), form.street),
            self._text("postal_code", N_("Postcode"), form.postal_code),
            self._text("post_town", N_("Post town"), form.post_town),
            self._text("country", N_("Country"), form.country),
            self._text("phone", N_("Phone"), form.phone),
            self._text("email", N_("Email"), form.email),
            self._check(
                "early_delivery_blocked",
                N_("Never by early carrier"),
                form.early_delivery_blocked,
            ),
            self._select(
                "forced_bundle_id",
                N_("Forced bundle"),
                _options(choices.bundles, form.forced_bundle_id),
                form.forced_bundle_id,
            ),
        ]
        billing: list[Widget] = [
            self._text("discount_percent", N_("Discount %"), form.discount_percent),
            self._select(
                "invoice_delivery",
                N_("Invoice delivery"),
                deliveries,
                form.invoice_delivery,
            ),
            self._text(
                "einvoice_address", N_("E-invoice address"), form.einvoice_address
            ),
            self._text(
                "einvoice_operator", N_("Intermediator ID"), form.einvoice_operator
            ),
            self._check("direct_payment", N_("Direct payment"), form.direct_payment),
            self._check(
                "consolidated_invoice",
                N_("Consolidated invoice"),
                form.consolidated_invoice,
            ),
            self._check(
                "surcharge_exempt",
                N_("No paper-invoice surcharge"),
                form.surcharge_exempt,
            ),
            self._select(
                "salesperson_id",
                N_("Salesperson"),
                _options(choices.salespeople, form.salesperson_id),
                form.salesperson_id,
            ),
            self._check("has_payer", N_("Other payer"), form.payer is not None),
            Vertical(
                self._text(
                    "payer.payer_customer_number",
                    N_("Payer's customer no."),
                    payer.payer_customer_number,
                ),
                self._text("payer.name", N_("Payer's name"), payer.name),
                self._text("payer.street", N_("Street address"), payer.street),
                self._text("payer.postal_code", N_("Postcode"), payer.postal_code),
                self._text("payer.post_town", N_("Post town"), payer.post_town),
                self._text("payer.country", N_("Country"), payer.country),
                self._text(
                    "payer.einvoice_address",
                    N_("E-invoice address"),
                    payer.einvoice_address,
                ),
                self._text(
                    "payer.einvoice_operator",
                    N_("Intermediator ID"),
                    payer.einvoice_operator,
                ),
                self._select(
                    "payer.invoice_delivery",
                    N_("Invoice delivery"),
                    deliveries,
                    payer.invoice_delivery,
                ),
                id="payer-fields",
            ),
        ]
        marketing: list[Widget] = []
        sources = [(o.label, o.label) for o in choices.consent_sources if not o.retired]
        for channel in choices.consent_channels:
            answer = form.consents.get(channel.value, ConsentForm())
            if channel.retired and not answer.status:
                continue
            name = label(CONSENT_CHANNELS, channel.value)
            if name == channel.value:
                name = channel.label
            known = {value for _text, value in sources}
            channel_sources = sources + (
                [(answer.source, answer.source)]
                if answer.source and answer.source not in known
                else []
            )
            marketing += [
                self._select(
                    f"consents.{channel.value}.status",
                    name,
                    [(_(text), code) for code, text in CONSENT_ANSWERS if code],
                    answer.status or None,
                ),
                self._select(
                    f"consents.{channel.value}.source",
                    N_("Source"),
                    channel_sources,
                    answer.source or None,
                ),
                self._text(
                    f"consents.{channel.value}.given_on",
                    N_("Date"),
                    answer.given_on,
                    placeholder=_("e.g. 1.7.2027"),
                ),
            ]
        grouping: list[Widget] = [
            FormField(
                "role_ids",
                _("Roles"),
                SelectionList[int](
                    *[
                        (o.label, o.value, o.value in form.role_ids)
                        for o in choices.roles
                        if not o.retired or o.value in form.role_ids
                    ],
                    compact=True,
                ),
            ),
            FormField(
                "group_ids",
                _("Groups"),
                SelectionList[int](
                    *[
                        (o.label, o.value, o.value in form.group_ids)
                        for o in choices.groups
                        if not o.retired or o.value in form.group_ids
                    ],
                    compact=True,
                ),
            ),
            self._text("free_grouping", N_("Free grouping"), form.free_grouping),
            Static(
                (_("Automatic") + ": ") + (", ".join(self.automatic) or "–"),
                classes="read-only",
            ),
        ]
        other: list[Widget] = [
            self._check(
                "delivery_blocked", N_("Block list: no papers"), form.delivery_blocked
            ),
            FormField(
                "notes", _("Additional info"), TextArea(form.notes, compact=True)
            ),
        ]
        if self.notes_log:
            other.append(Static(self.notes_log, classes="read-only notes-log"))
        return [
            ("contact", N_("Contact details"), contact),
            ("billing", N_("Billing details"), billing),
            ("marketing", N_("Marketing"), marketing),
            ("grouping", N_("Grouping"), grouping),
            ("other", N_("Other details"), other),
        ]

    # Reading the form.

    def _widget(self, name: str) -> Any:
        return self.query_one(f"#{field_id(name)}")

    def collect(self) -> CustomerForm:
        """The form's values as the operator has typed them."""
        assert self.choices is not None

        def text(name: str) -> str:
            return str(self._widget(name).value)

        payer = None
        if self._widget("has_payer").value:
            payer = PayerForm(
                payer_customer_number=text("payer.payer_customer_number"),
                name=text("payer.name"),
                street=text("payer.street"),
                postal_code=text("payer.postal_code"),
                post_town=text("payer.post_town"),
                country=text("payer.country"),
                einvoice_address=text("payer.einvoice_address"),
                einvoice_operator=text("payer.einvoice_operator"),
                invoice_delivery=_select_value(self._widget("payer.invoice_delivery"))
                or "paper",
            )
        consents: dict[str, ConsentForm] = {}
        for channel in self.choices.consent_channels:
            prefix = f"consents.{channel.value}"
            if not self.query(f"#{field_id(prefix + '.status')}"):
                continue
            answer = ConsentForm(
                status=_select_value(self._widget(prefix + ".status")) or "",
                source=_select_value(self._widget(prefix + ".source")) or "",
                given_on=text(prefix + ".given_on"),
            )
            if answer != ConsentForm():
                consents[channel.value] = answer
        return CustomerForm(
            customer_type=_select_value(self._widget("customer_type")) or "",
            last_name=text("last_name"),
            first_name=text("first_name"),
            company=text("company"),
            business_id=text("business_id"),
            street=text("street"),
            postal_code=text("postal_code"),
            post_town=text("post_town"),
            country=text("country"),
            phone=text("phone"),
            email=text("email"),
            early_delivery_blocked=bool(self._widget("early_delivery_blocked").value),
            forced_bundle_id=_select_value(self._widget("forced_bundle_id")),
            discount_percent=text("discount_percent"),
            invoice_delivery=_select_value(self._widget("invoice_delivery")) or "",
            einvoice_address=text("einvoice_address"),
            einvoice_operator=text("einvoice_operator"),
            direct_payment=bool(self._widget("direct_payment").value),
            consolidated_invoice=bool(self._widget("consolidated_invoice").value),
            surcharge_exempt=bool(self._widget("surcharge_exempt").value),
            salesperson_id=_select_value(self._widget("salesperson_id")),
            payer=payer,
            consents=consents,
            role_ids=list(self._widget("role_ids").selected),
            group_ids=list(self._widget("group_ids").selected),
            free_grouping=text("free_grouping"),
            delivery_blocked=bool(self._widget("delivery_blocked").value),
            notes=self._widget("notes").text,
            original=self.initial,
        )

    @property
    def changed(self) -> bool:
        """Whether the operator has changed anything since the form opened."""
        return self.initial is not None and self.collect() != self.initial

    # Checking.

    def _field(self, name: str) -> FormField | None:
        found = self.query(f"#field-{field_id(name)}")
        return found.first(FormField) if found else None

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        field = next(
            (a for a in event.widget.ancestors_with_self if isinstance(a, FormField)),
            None,
        )
        if field is None or self.choices is None or self.initial is None:
            return
        form = self.collect()
        untouched = _value_of(form, field.field_name) == _value_of(
            self.initial, field.field_name
        )
        if untouched and not field.has_error:
            # Tabbing through an empty new card is not a mistake yet.
            return
        message = check_field(
            form, field.field_name, self.choices, self.kortisto.clock.today()
        )
        field.show_error(error_text(message) if message else None)

    def _mark(self, errors: dict[str, str]) -> None:
        for field in self.query(FormField):
            message = errors.get(field.field_name)
            field.show_error(error_text(message) if message else None)
        unplaced = [name for name in errors if self._field(name) is None]
        first = next((self._field(n) for n in errors if self._field(n)), None)
        if first is not None:
            self._expand_around(first)
            first.widget.focus()
            first.scroll_visible()
        count = len(errors)
        text = ngettext(
            "Not saved: {count} field needs fixing.",
            "Not saved: {count} fields need fixing.",
            count,
        ).format(count=count)
        if unplaced:
            text += " " + " ".join(error_text(errors[n]) for n in unplaced)
        self.notify(text, severity="error", timeout=8)

    def _expand_around(self, widget: Widget) -> None:
        for ancestor in widget.ancestors:
            if isinstance(ancestor, Collapsible):
                ancestor.collapsed = False

    def _show_payer(self, shown: bool) -> None:
        self.query_one("#payer-fields").display = shown

    @on(Checkbox.Changed, "#f-has_payer")
    def payer_toggled(self, event: Checkbox.Changed) -> None:
        self._show_payer(event.value)

    # Actions.

    def action_save(self) -> None:
        if self.choices is None or self._saving:
            return
        form = self.collect()
        errors = check_form(form, self.choices, self.kortisto.clock.today())
        if errors:
            self._mark(errors)
            return
        self._saving = True
        self.save(form)

    @work(exclusive=True, group="form-save", exit_on_error=False)
    async def save(self, form: CustomerForm) -> None:
        """Write the form, or show why the register refused it."""
        operator = self.kortisto.operator
        assert operator is not None
        try:
            number = await save_customer(
                self.kortisto.database,
                self.kortisto.clock,
                operator,
                form,
                number=self.number,
                expected_version=self.version,
            )
        except FormInvalid as invalid:
            self._mark(invalid.errors)
            return
        except StaleSave as stale:
            self.stale = True
            self.refresh_bindings()
            message = _(stale.message).format(
                saved_by=stale.saved_by,
                saved_at=stale.saved_at.astimezone(BUSINESS_ZONE).strftime(
                    "%d.%m.%Y %H:%M"
                ),
            )
            self.notify(message, severity="error", timeout=15)
            return
        except KortistoError as error:
            self.notify(error_text(error), severity="error")
            return
        finally:
            self._saving = False
        self.notify(_("Saved customer {number}.").format(number=number))
        self.dismiss(number)

    @work(exclusive=True, group="form-load", exit_on_error=False)
    async def action_reload_newer(self) -> None:
        """Merge the newer save into the form, and show where both changed.

        A field the operator has not touched takes the newer saved value; a
        field both changed keeps the operator's value with the newer one
        shown under it. Saving then keeps the operator's choices and loses
        nobody's.
        """
        if self.number is None or not self.stale or self.initial is None:
            return
        card = await load_card(self.kortisto.database, self.number, self.kortisto.clock)
        newer = form_from_card(card)
        mine = self.collect()
        conflicts = 0
        for field in self.query(FormField):
            name = field.field_name
            base = _value_of(self.initial, name)
            ours, theirs = _value_of(mine, name), _value_of(newer, name)
            if theirs in (base, ours):
                field.show_hint(None)
            elif ours == base:
                self._set_value(name, theirs)
                field.show_hint(None)
            else:
                conflicts += 1
                field.show_hint(_("Saved meanwhile") + f": {_shown(theirs)}")
        self.initial = newer
        self.version = card.customer.version
        self.notes_log = card.customer.notes_log
        self.stale = False
        self.refresh_bindings()
        self.notify(
            ngettext(
                "The newer save is merged in; {count} field was changed by both "
                "of you: yours stays, theirs is shown under it. Save to keep it.",
                "The newer save is merged in; {count} fields were changed by both "
                "of you: yours stay, theirs are shown under them. Save to keep them.",
                conflicts,
            ).format(count=conflicts),
            timeout=10,
        )

    def _set_value(self, name: str, value: object) -> None:
        """Put ``value`` into the widget of field ``name``."""
        widget = self._widget(name)
        if isinstance(widget, Input):
            widget.value = "" if value is None else str(value)
        elif isinstance(widget, Checkbox):
            widget.value = bool(value)
        elif isinstance(widget, Select):
            widget.value = Select.NULL if value in (None, "") else value
        elif isinstance(widget, SelectionList):
            widget.deselect_all()
            for item in value or []:  # type: ignore[attr-defined]
                widget.select(item)
        elif isinstance(widget, TextArea):
            widget.load_text("" if value is None else str(value))

    def action_leave(self) -> None:
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

    def action_pick_payer(self) -> None:
        def picked(number: int | None) -> None:
            if number is None:
                return
            self._widget("has_payer").value = True
            self._widget("payer.payer_customer_number").value = str(number)
            self._expand_around(self._widget("payer.payer_customer_number"))

        self.app.push_screen(PickCustomerScreen(), picked)

    def action_toggle_panel(self) -> None:
        focused = self.focused
        if isinstance(focused, CollapsibleTitle) and isinstance(
            focused.parent, Collapsible
        ):
            focused.parent.collapsed = not focused.parent.collapsed

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_panel":
            return isinstance(self.focused, CollapsibleTitle)
        if action == "reload_newer":
            return self.stale
        return True


def _value_of(form: CustomerForm, name: str) -> object:
    if name == "has_payer":
        return form.payer is not None
    target: object = form
    for part in name.split("."):
        if isinstance(target, dict):
            target = target.get(part, ConsentForm())
        elif target is None:
            return None
        else:
            target = getattr(target, part, None)
    return target


def _shown(value: object) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "–"
    return str(value)
