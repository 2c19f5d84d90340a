"""One invoice: its lines and totals, and what its status allows.

The invoice number on the card opens this screen. It shows the payer and
the address the invoice goes to, the invoice and due dates, the reference
number in its Finnish and RF forms, the delivery method (changeable for
this invoice alone), the lines and the totals.

What can be done follows the status, and each step is confirmed:

- a draft: its typed lines can be added, changed and removed (the lines
  that bill subscriptions stay; deleting the draft undoes them), and it
  can be sent or deleted;
- a sent invoice: it can be marked paid or credited; never deleted;
- a paid one: it can still be credited;
- a credited one, or a credit invoice: nothing more.

Crediting makes a credit invoice that points to the original; the
original keeps its lines and totals and shows as credited.

"Add invoice" on the card opens :class:`AddInvoiceScreen`: the
subscriptions this customer pays, whose next periods to bill now, and a
typed line; it makes a draft and opens it here.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, OptionList, Select, SelectionList, Static
from textual.widgets.option_list import Option

from store.billing import MANUAL_LINE, SURCHARGE_LINE
from store.cards import ProductChoice, SubscriptionView, products_on_sale
from store.dates import parse_date
from store.errors import KortistoError
from store.invoicing import (
    MAX_QUANTITY,
    ChangedMeanwhile,
    InvoiceDetail,
    InvoiceLineView,
    ManualLine,
    add_invoice,
    credit_invoice,
    delete_invoice,
    edit_invoice,
    invoice_detail,
    mark_paid,
    send_invoice,
    set_invoice_delivery,
)
from store.models import InvoiceDelivery, InvoiceStatus
from store.references import format_finnish, format_rf
from store.validation import FieldError
from tui.formatting import INVOICE_DELIVERIES, INVOICE_STATUSES, date, label, money
from tui.formatting import percent as percent_text
from tui.i18n import N_, _, translate_bindings
from tui.messages import error_text
from tui.screens.confirm import ConfirmScreen
from tui.screens.prompt import PromptField, PromptScreen
from tui.widgets.form_field import FormField, field_id
from tui.widgets.row_table import RowTable, fit

if TYPE_CHECKING:
    from tui.app import KortistoApp


def _app(node: Widget) -> KortistoApp:
    from tui.app import KortistoApp

    assert isinstance(node.app, KortistoApp)
    return node.app


def _operator_id(node: Widget) -> int | None:
    operator = _app(node).operator
    return operator.id if operator else None


def _select_value(widget: Select[Any]) -> Any:
    value = widget.value
    return None if value is Select.NULL else value


def _euros(value: Any) -> str:
    return f"{value:.2f}".replace(".", ",")


def typed_lines(detail: InvoiceDetail) -> list[ManualLine]:
    """The invoice's typed lines, as :func:`store.invoicing.edit_invoice` takes."""
    return [
        ManualLine(
            product_code=line.product_code,
            unit_price=line.unit_price,
            quantity=line.quantity,
            description=line.description,
            period_start=line.period_start,
            period_end=line.period_end,
        )
        for line in detail.lines
        if line.kind == MANUAL_LINE
    ]


def _line_field(name: str) -> str:
    """``lines.0.unit_price`` as the line form's field, ``unit_price``."""
    parts = name.split(".")
    return parts[-1] if len(parts) == 3 and parts[0] == "lines" else name


# -- A typed line ---------------------------------------------------------------


class LineFields(Vertical):
    """The fields of one typed line: product, text, quantity, price, period."""

    DEFAULT_CSS = """
    LineFields {
        height: auto;
    }
    LineFields Input, LineFields Select {
        width: 1fr;
    }
    """

    def __init__(
        self,
        products: list[ProductChoice],
        line: ManualLine | None = None,
        *,
        with_period: bool = True,
    ) -> None:
        super().__init__()
        self.products = products
        self.line = line
        self.with_period = with_period

    def compose(self) -> ComposeResult:
        line = self.line
        codes = {p.code for p in self.products}
        options = [(f"{p.name} ({p.code})", p.code) for p in self.products]
        if line is not None and line.product_code not in codes:
            options.append((line.product_code, line.product_code))
        yield FormField(
            "product_code",
            _("Product"),
            Select(
                options,
                value=line.product_code if line else Select.NULL,
                allow_blank=True,
                prompt="–",
                compact=True,
            ),
        )
        yield FormField(
            "description",
            _("Text on the invoice"),
            Input(
                line.description if line else "",
                placeholder=_("empty: the product's name"),
                compact=True,
            ),
        )
        yield FormField(
            "quantity",
            _("Quantity"),
            Input(str(line.quantity) if line else "1", compact=True),
        )
        yield FormField(
            "unit_price",
            _("Unit price €"),
            Input(_euros(line.unit_price) if line else "", compact=True),
        )
        if self.with_period:
            for name, title, value in (
                (
                    "period_start",
                    N_("Period from"),
                    line.period_start if line else None,
                ),
                ("period_end", N_("Period to"), line.period_end if line else None),
            ):
                yield FormField(
                    name,
                    _(title),
                    Input(date(value), placeholder=_("e.g. 1.7.2027"), compact=True),
                )

    def _widget(self, name: str) -> Any:
        return self.query_one(f"#{field_id(name)}")

    @property
    def product_code(self) -> str | None:
        """The chosen product, if any."""
        return _select_value(self._widget("product_code"))

    @property
    def blank(self) -> bool:
        """Whether nothing but the default quantity has been typed."""
        return (
            self.product_code is None
            and not self._widget("description").value.strip()
            and not self._widget("unit_price").value.strip()
        )

    def read(self, today: dt.date) -> ManualLine | dict[str, KortistoError]:
        """The line as typed, or the errors by field."""
        errors: dict[str, KortistoError] = {}
        code = self.product_code
        if code is None:
            errors["product_code"] = FieldError("product_code", N_("choose a product"))
        quantity = 0
        try:
            quantity = int(self._widget("quantity").value.strip())
        except ValueError:
            errors["quantity"] = FieldError(
                "quantity", N_("the quantity is 1 to {most}"), most=MAX_QUANTITY
            )
        price = self._widget("unit_price").value.strip()
        if not price:
            errors["unit_price"] = FieldError(
                "unit_price", N_("give the price in euros, e.g. 12,50")
            )
        period: dict[str, dt.date | None] = {"period_start": None, "period_end": None}
        if self.with_period:
            for name in period:
                try:
                    period[name] = parse_date(
                        self._widget(name).value, name, today=today, required=False
                    )
                except FieldError as error:
                    errors[name] = error
        if errors:
            return errors
        assert code is not None
        return ManualLine(
            product_code=code,
            unit_price=price,
            quantity=quantity,
            description=self._widget("description").value.strip(),
            period_start=period["period_start"],
            period_end=period["period_end"],
        )

    def mark(self, errors: dict[str, KortistoError]) -> list[str]:
        """Show ``errors`` under their fields; returns the names not here."""
        for field in self.query(FormField):
            error = errors.get(field.field_name)
            field.show_error(error_text(error) if error else None)
        fields = {field.field_name: field for field in self.query(FormField)}
        placed = [name for name in errors if name in fields]
        if placed:
            fields[placed[0]].widget.focus()
        return [name for name in errors if name not in fields]


class InvoiceLineScreen(ModalScreen[ManualLine | None]):
    """Type or change one line of a draft; dismisses with it, or ``None``."""

    DEFAULT_CSS = """
    InvoiceLineScreen {
        align: center middle;
    }
    InvoiceLineScreen > Vertical {
        width: 76;
        height: auto;
        max-height: 20;
        padding: 0 1;
        border: thick $accent;
        background: $panel;
    }
    InvoiceLineScreen .modal--title {
        text-style: bold;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), id="invoice_line.save", priority=True),
        Binding("escape", "cancel", N_("Cancel"), id="invoice_line.cancel"),
    ]

    def __init__(
        self,
        title: str,
        products: list[ProductChoice],
        line: ManualLine | None = None,
        *,
        errors: dict[str, KortistoError] | None = None,
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.title_text = title
        self.products = products
        self.line = line
        self.errors = errors or {}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="modal--title")
            yield LineFields(self.products, self.line)
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        fields = self.query_one(LineFields)
        if self.errors:
            for name in fields.mark(self.errors):
                self.notify(error_text(self.errors[name]), severity="error")
        else:
            fields.query(Select).first().focus()

    def action_save(self) -> None:
        read = self.query_one(LineFields).read(_app(self).clock.today())
        if isinstance(read, dict):
            self.query_one(LineFields).mark(read)
            return
        self.dismiss(read)

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- The delivery method --------------------------------------------------------


class DeliveryScreen(ModalScreen[InvoiceDelivery | None]):
    """Choose how this one invoice is delivered."""

    DEFAULT_CSS = """
    DeliveryScreen {
        align: center middle;
    }
    DeliveryScreen > Vertical {
        width: 40;
        height: auto;
        padding: 0 1;
        border: thick $accent;
        background: $panel;
    }
    DeliveryScreen OptionList {
        height: auto;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="delivery.cancel"),
    ]

    def __init__(self, current: InvoiceDelivery) -> None:
        super().__init__()
        translate_bindings(self)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(_("Invoice delivery"))
            yield OptionList(
                *[Option(_(text), id=code) for code, text in INVOICE_DELIVERIES.items()]
            )
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = list(INVOICE_DELIVERIES).index(self.current.value)
        options.focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(InvoiceDelivery(event.option_id))

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- The invoice ----------------------------------------------------------------


class LineTable(RowTable):
    """The invoice's lines; Enter changes a typed line of a draft."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", N_("Change"), id="invoice.change_line"),
    ]

    DEFAULT_CSS = """
    LineTable {
        max-height: 10;
    }
    """

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select_cursor":
            screen = self.screen
            return (
                self.row_count > 0
                and isinstance(screen, InvoiceScreen)
                and screen.is_draft
            )
        return True


class InvoiceScreen(Screen[bool]):
    """The invoice ``number``; dismisses with whether anything was changed."""

    DEFAULT_CSS = """
    InvoiceScreen #invoice-info {
        height: auto;
        padding: 0 1;
    }
    InvoiceScreen #invoice-lines {
        margin: 1 0 0 0;
    }
    InvoiceScreen #invoice-totals {
        height: auto;
        padding: 0 1;
        text-align: right;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Back"), id="invoice.back"),
        Binding("a", "add_line", N_("Add"), id="invoice.add_line"),
        Binding("delete", "remove_line", N_("Remove"), id="invoice.remove_line"),
        Binding("s", "send", N_("Send"), id="invoice.send"),
        Binding("d", "delete", N_("Delete draft"), id="invoice.delete"),
        Binding("m", "mark_paid", N_("Paid"), id="invoice.mark_paid"),
        Binding("h", "credit", N_("Credit"), id="invoice.credit"),
        Binding("t", "delivery", N_("Delivery"), id="invoice.delivery"),
    ]

    def __init__(self, number: int) -> None:
        super().__init__()
        translate_bindings(self)
        self.number = number
        self.detail: InvoiceDetail | None = None
        self.products: list[ProductChoice] = []
        self.changed = False

    def compose(self) -> ComposeResult:
        yield Static(_("Invoice {number}").format(number=self.number), id="title")
        yield Static(_("Loading…"), id="invoice-info")
        yield LineTable(id="invoice-lines")
        yield Static("", id="invoice-totals")
        # A draft offers seven keys: the compact footer keeps them in 80 columns.
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        table = self.query_one(LineTable)
        for heading, width in (
            (_("Line"), 25),
            (_("Qty"), 4),
            (_("Price"), 11),
            (_("Disc."), 6),
            (_("VAT %"), 6),
            (_("Total"), 12),
        ):
            table.add_column(heading, width=width)
        table.focus()
        self.load()

    @property
    def is_draft(self) -> bool:
        """Whether the invoice is a draft (so its lines can be edited)."""
        return self.detail is not None and self.detail.status == InvoiceStatus.DRAFT

    @work(exclusive=True, group="invoice-load", exit_on_error=False)
    async def load(self) -> None:
        """Read the invoice and the products its lines may have."""
        database = _app(self).database
        try:
            detail = await invoice_detail(database, self.number)
            if not self.products:
                self.products = await products_on_sale(database)
        except KortistoError as error:
            self.notify(error_text(error), severity="error")
            self.dismiss(self.changed)
            return
        self.show_detail(detail)

    def show_detail(self, detail: InvoiceDetail) -> None:
        """Fill the screen from ``detail``."""
        self.detail = detail
        status = label(INVOICE_STATUSES, detail.status)
        if detail.is_credit:
            status += ", " + _("credit invoice")
        self.query_one("#title", Static).update(
            _("Invoice {number}").format(number=detail.number) + " · " + status
        )
        self.query_one("#invoice-info", Static).update(self._info(detail))
        self._fill_lines(detail)
        self.query_one("#invoice-totals", Static).update(self._totals(detail))
        self.refresh_bindings()

    def _info(self, d: InvoiceDetail) -> Table:
        r = d.recipient
        address = ", ".join(
            part
            for part in (r.name, r.street, f"{r.postal_code} {r.post_town}".strip())
            if part
        )
        delivery = label(INVOICE_DELIVERIES, d.delivery)
        if d.delivery == InvoiceDelivery.EINVOICE and r.einvoice_address:
            delivery += f" {r.einvoice_address} {r.einvoice_operator}".rstrip()
        if d.direct_payment:
            delivery += ", " + _("direct payment")
        rows = [
            (
                _("Payer"),
                f"{d.payer_number} {d.payer_name}",
                _("Invoice date"),
                date(d.invoice_date),
            ),
            (_("Address"), address, _("Due"), date(d.due_date)),
            (
                _("Reference"),
                format_finnish(d.reference),
                "RF",
                format_rf(d.reference_rf),
            ),
            (_("Delivery"), delivery, "", ""),
        ]
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(
            style="bold", no_wrap=True, min_width=max(len(r[0]) for r in rows)
        )
        grid.add_column(ratio=1, overflow="ellipsis", no_wrap=True)
        grid.add_column(
            style="bold", no_wrap=True, min_width=max(len(r[2]) for r in rows)
        )
        grid.add_column(no_wrap=True, min_width=max(len(r[3]) for r in rows))
        for row in rows:
            grid.add_row(*row)
        links = []
        if d.credit_of_number is not None:
            links.append(
                _("Credits invoice {number}.").format(number=d.credit_of_number)
            )
        if d.credit_numbers:
            links.append(
                _("Credited by {numbers}.").format(
                    numbers=", ".join(str(n) for n in d.credit_numbers)
                )
            )
        if links:
            grid.add_row("", " ".join(links), "", "")
        return grid

    def _fill_lines(self, d: InvoiceDetail) -> None:
        table = self.query_one(LineTable)
        keep = table.highlighted_key
        table.clear()
        for line in d.lines:
            table.add_row(*self._line_cells(line), key=str(line.id), height=None)
        table.move_to_key(keep)

    def _line_cells(self, line: InvoiceLineView) -> list[str | Text]:
        text = line.description
        if line.kind == SURCHARGE_LINE and not text:
            text = _("Paper-invoice surcharge")
        cell = Text(fit(text, 25))
        if line.period_start is not None:
            period = f"{date(line.period_start)}–{date(line.period_end)}"
            cell.append("\n" + period, style="dim")
        return [
            cell,
            Text(str(line.quantity), justify="right"),
            Text(money(line.unit_price), justify="right"),
            percent_text(line.discount_percent) if line.discount_percent else "",
            percent_text(line.vat_percent),
            Text(money(line.gross), justify="right"),
        ]

    def _totals(self, d: InvoiceDetail) -> Text:
        text = Text()
        text.append(_("Net") + " " + money(d.net_total) + "   ")
        text.append(_("VAT") + " " + money(d.vat_total) + "   ")
        text.append(_("Total") + " " + money(d.total), style="bold")
        if d.surcharge:
            text.append(
                "\n"
                + _("including the surcharge {amount}").format(
                    amount=money(d.surcharge)
                )
            )
        return text

    # What the status allows.

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        d = self.detail
        if action == "back":
            return True
        if d is None:
            return False
        if action in ("add_line", "remove_line", "send", "delete"):
            return d.status == InvoiceStatus.DRAFT
        if action == "mark_paid":
            return d.status == InvoiceStatus.SENT and not d.is_credit
        if action == "credit":
            return not d.is_credit and d.status in (
                InvoiceStatus.SENT,
                InvoiceStatus.PAID,
            )
        if action == "delivery":
            return d.status != InvoiceStatus.CREDITED
        return True

    def _run(self, call: Any, done: str | None = None) -> None:
        """Run the register call ``call`` (a coroutine giving the invoice)."""
        self.run_worker(
            self._write(call, done),
            group="invoice-write",
            exclusive=True,
            exit_on_error=False,
        )

    async def _write(self, call: Any, done: str | None) -> InvoiceDetail | None:
        try:
            detail = await call
        except ChangedMeanwhile as stale:
            self.notify(error_text(stale), severity="error", timeout=10)
            self.load()
            return None
        except KortistoError as error:
            self.notify(error_text(error), severity="error", timeout=10)
            return None
        self.changed = True
        if done:
            self.notify(done)
        if isinstance(detail, InvoiceDetail) and detail.number == self.number:
            self.show_detail(detail)
        else:
            self.load()
        return detail

    def _confirm(self, question: str, then: Any) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmScreen(question), answered)

    # Lines of a draft.

    def _highlighted_line(self) -> InvoiceLineView | None:
        if self.detail is None:
            return None
        key = self.query_one(LineTable).highlighted_key
        return next((li for li in self.detail.lines if str(li.id) == key), None)

    @on(LineTable.RowSelected)
    def line_selected(self, event: LineTable.RowSelected) -> None:
        event.stop()
        line = self._highlighted_line()
        if not self.is_draft or line is None:
            return
        if line.kind != MANUAL_LINE:
            self.notify(
                _(
                    "Only typed lines can be changed; delete the draft to undo "
                    "what it bills of subscriptions."
                ),
                severity="warning",
            )
            return
        assert self.detail is not None
        index = [li.id for li in self.detail.lines if li.kind == MANUAL_LINE].index(
            line.id
        )
        self._edit_line(index, typed_lines(self.detail)[index])

    def action_add_line(self) -> None:
        if self.detail is not None:
            self._edit_line(None, None)

    def _edit_line(
        self,
        index: int | None,
        line: ManualLine | None,
        errors: dict[str, KortistoError] | None = None,
    ) -> None:
        title = (
            _("New line on invoice {number}")
            if index is None
            else _("A line of invoice {number}")
        ).format(number=self.number)

        def typed(new: ManualLine | None) -> None:
            if new is None or self.detail is None:
                return
            lines = typed_lines(self.detail)
            position = len(lines) if index is None else index
            if index is None:
                lines.append(new)
            else:
                lines[index] = new
            self.run_worker(
                self._save_lines(lines, position, index, new),
                group="invoice-write",
                exclusive=True,
                exit_on_error=False,
            )

        self.app.push_screen(
            InvoiceLineScreen(title, self.products, line, errors=errors), typed
        )

    async def _save_lines(
        self,
        lines: list[ManualLine],
        position: int,
        index: int | None,
        new: ManualLine,
    ) -> None:
        assert self.detail is not None
        app = _app(self)
        try:
            detail = await edit_invoice(
                app.database,
                app.clock,
                self.number,
                operator_id=_operator_id(self),
                expected_version=self.detail.version,
                lines=lines,
            )
        except FieldError as error:
            name = _line_field(error.field)
            if name == error.field and not name.startswith("lines"):
                self.notify(error_text(error), severity="error", timeout=10)
                return
            self._edit_line(index, new, {name: error})
            return
        except KortistoError as error:
            self.notify(error_text(error), severity="error", timeout=10)
            if isinstance(error, ChangedMeanwhile):
                self.load()
            return
        self.changed = True
        self.notify(_("Saved."))
        self.show_detail(detail)

    def action_remove_line(self) -> None:
        line = self._highlighted_line()
        if self.detail is None or line is None:
            return
        if line.kind != MANUAL_LINE:
            self.notify(
                _(
                    "Only typed lines can be changed; delete the draft to undo "
                    "what it bills of subscriptions."
                ),
                severity="warning",
            )
            return
        detail = self.detail
        index = [li.id for li in detail.lines if li.kind == MANUAL_LINE].index(line.id)
        lines = typed_lines(detail)
        del lines[index]
        app = _app(self)
        self._confirm(
            _("Remove the line {text} ({total}) from the draft?").format(
                text=line.description, total=money(line.gross)
            ),
            lambda: self._run(
                edit_invoice(
                    app.database,
                    app.clock,
                    self.number,
                    operator_id=_operator_id(self),
                    expected_version=detail.version,
                    lines=lines,
                ),
                _("Saved."),
            ),
        )

    # The invoice's life.

    def action_send(self) -> None:
        detail = self.detail
        if detail is None:
            return
        app = _app(self)
        self._confirm(
            _(
                "Send invoice {number} ({total})? After that it can only be "
                "credited, never changed or deleted."
            ).format(number=detail.number, total=money(detail.total)),
            lambda: self._run(
                send_invoice(
                    app.database,
                    app.clock,
                    detail.number,
                    operator_id=_operator_id(self),
                    expected_version=detail.version,
                ),
                _("Invoice {number} was sent.").format(number=detail.number),
            ),
        )

    def action_delete(self) -> None:
        detail = self.detail
        if detail is None:
            return
        self._confirm(
            _(
                "Delete draft invoice {number} ({total})? What it bills of "
                "subscriptions becomes unbilled again."
            ).format(number=detail.number, total=money(detail.total)),
            lambda: self.run_worker(
                self._delete(detail),
                group="invoice-write",
                exclusive=True,
                exit_on_error=False,
            ),
        )

    async def _delete(self, detail: InvoiceDetail) -> None:
        app = _app(self)
        try:
            await delete_invoice(
                app.database,
                app.clock,
                detail.number,
                operator_id=_operator_id(self),
                expected_version=detail.version,
            )
        except KortistoError as error:
            self.notify(error_text(error), severity="error", timeout=10)
            return
        self.notify(_("Invoice {number} was deleted.").format(number=detail.number))
        self.dismiss(True)

    def action_mark_paid(self) -> None:
        detail = self.detail
        if detail is None:
            return
        app = _app(self)
        self._confirm(
            _("Mark invoice {number} ({total}) paid?").format(
                number=detail.number, total=money(detail.total)
            ),
            lambda: self._run(
                mark_paid(
                    app.database,
                    app.clock,
                    detail.number,
                    operator_id=_operator_id(self),
                ),
                _("Invoice {number} was marked paid.").format(number=detail.number),
            ),
        )

    def action_credit(self) -> None:
        detail = self.detail
        if detail is None:
            return

        def answered(values: dict[str, str] | None) -> None:
            if values is not None:
                self.run_worker(
                    self._credit(detail, values["reason"]),
                    group="invoice-write",
                    exclusive=True,
                    exit_on_error=False,
                )

        self.app.push_screen(
            PromptScreen(
                _(
                    "Credit invoice {number} ({total}) in full? A credit invoice "
                    "pointing to it is made; the original stays as it is. "
                    "Ctrl+S credits it."
                ).format(number=detail.number, total=money(detail.total)),
                [PromptField("reason", _("Reason"))],
            ),
            answered,
        )

    async def _credit(self, detail: InvoiceDetail, reason: str) -> None:
        app = _app(self)
        try:
            credit = await credit_invoice(
                app.database,
                app.clock,
                detail.number,
                operator_id=_operator_id(self),
                reason=reason,
            )
        except KortistoError as error:
            self.notify(error_text(error), severity="error", timeout=10)
            return
        self.changed = True
        self.notify(
            _("Credit invoice {credit} made for invoice {number}.").format(
                credit=credit.number, number=detail.number
            )
        )
        self.load()

    def action_delivery(self) -> None:
        detail = self.detail
        if detail is None:
            return

        def chosen(delivery: InvoiceDelivery | None) -> None:
            if delivery is None or delivery == detail.delivery:
                return
            app = _app(self)
            self._run(
                set_invoice_delivery(
                    app.database,
                    app.clock,
                    detail.number,
                    delivery,
                    operator_id=_operator_id(self),
                    expected_version=detail.version,
                ),
                _("Invoice {number} goes by {delivery}.").format(
                    number=detail.number,
                    delivery=label(INVOICE_DELIVERIES, delivery).lower(),
                ),
            )

        self.app.push_screen(DeliveryScreen(detail.delivery), chosen)

    def action_back(self) -> None:
        self.dismiss(self.changed)


# -- Adding -------------------------------------------------------------------


class AddInvoiceScreen(ModalScreen[int | None]):
    """A new draft for ``payer_number``; dismisses with its number."""

    DEFAULT_CSS = """
    AddInvoiceScreen {
        align: center middle;
    }
    AddInvoiceScreen > Vertical {
        width: 78;
        height: auto;
        max-height: 22;
        padding: 0 1;
        border: thick $accent;
        background: $panel;
    }
    AddInvoiceScreen .modal--title {
        text-style: bold;
    }
    AddInvoiceScreen .modal--text {
        color: $text-muted;
    }
    AddInvoiceScreen SelectionList {
        height: auto;
        max-height: 5;
        width: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s", "save", N_("Make draft"), id="add_invoice.save", priority=True
        ),
        Binding("escape", "cancel", N_("Cancel"), id="add_invoice.cancel"),
    ]

    def __init__(
        self, payer_number: int, payer_name: str, subscriptions: list[SubscriptionView]
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.payer_number = payer_number
        self.payer_name = payer_name
        self.subscriptions = subscriptions
        self._saving = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                _("New invoice for {number} {name}").format(
                    number=self.payer_number, name=self.payer_name
                ),
                classes="modal--title",
            )
            if self.subscriptions:
                yield FormField(
                    "subscription_numbers",
                    _("Bill now"),
                    SelectionList[int](
                        *[
                            (
                                f"{s.number} {fit(s.product, 16)} "
                                f"{date(s.starts_on)}–{date(s.ends_on)}",
                                s.number,
                            )
                            for s in self.subscriptions
                        ],
                        compact=True,
                    ),
                )
            yield Static(
                _("A typed line (e.g. an ad), or leave it empty:"),
                classes="modal--text",
            )
            yield Static(_("Loading…"), id="add-invoice-loading")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, group="add-invoice-load", exit_on_error=False)
    async def load(self) -> None:
        """Read the products to offer, then show the line's fields."""
        products = await products_on_sale(_app(self).database)
        await self.query_one("#add-invoice-loading").remove()
        fields = LineFields(products, with_period=False)
        await self.query_one(Vertical).mount(fields)
        if self.subscriptions:
            self.query_one(SelectionList).focus()
        else:
            fields.query(Select).first().focus()

    def _chosen(self) -> list[int]:
        found = self.query(SelectionList)
        return list(found.first().selected) if found else []

    def action_save(self) -> None:
        found = self.query(LineFields)
        if not found or self._saving:
            return
        fields = found.first()
        lines: list[ManualLine] = []
        if not fields.blank:
            read = fields.read(_app(self).clock.today())
            if isinstance(read, dict):
                fields.mark(read)
                return
            lines.append(read)
        self._saving = True
        self.save(lines, self._chosen())

    @work(exclusive=True, group="add-invoice-save", exit_on_error=False)
    async def save(self, lines: list[ManualLine], subscriptions: list[int]) -> None:
        """Make the draft, or show why the register refused it."""
        app = _app(self)
        try:
            made = await add_invoice(
                app.database,
                app.clock,
                self.payer_number,
                operator_id=_operator_id(self),
                lines=lines,
                subscription_numbers=subscriptions,
            )
        except FieldError as error:
            name = _line_field(error.field)
            fields = self.query_one(LineFields)
            if name == "subscription_numbers" and self.subscriptions:
                fields.mark({})
                self.query_one(f"#field-{field_id(name)}", FormField).show_error(
                    error_text(error)
                )
            elif fields.mark({name: error}):
                self.notify(error_text(error), severity="error", timeout=10)
            return
        except KortistoError as error:
            self.notify(error_text(error), severity="error", timeout=10)
            return
        finally:
            self._saving = False
        self.notify(_("Draft invoice {number} made.").format(number=made.number))
        self.dismiss(made.number)

    def action_cancel(self) -> None:
        self.dismiss(None)
