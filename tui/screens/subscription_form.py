"""A subscription as a form: add one, change it, end, remove or continue it.

The form opens over the card. Adding offers the products on sale, the
terms of the chosen product's price list on the start date with their
prices, and the payer the register would choose (the subscriber's other
payer when that is a customer, else the subscriber); F2 picks another.
An own price replaces the list price only with a reason, which is kept.

Changing keeps the product; the start and the term change only while
nothing has been invoiced. A save that another operator's newer save
would overwrite is refused with who and when: the operator's values stay
in the form, the newer saved ones are shown under them, and saving again
keeps the operator's.

Ending or removing an invoiced subscription never loses money silently:
when invoices bill days after the new end, the operator sees the amount
and chooses to credit it or keep it, or leaves everything as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Footer, Input, Select, Static

from store.billing import term_period
from store.cards import ProductChoice, products_on_sale
from store.clock import BUSINESS_ZONE
from store.dates import parse_date
from store.errors import KortistoError
from store.invoicing import ChangedMeanwhile
from store.pricing import PriceView, Term, prices_on
from store.search import CustomerSearch
from store.subscriptions import (
    MAX_COPIES,
    DecisionNeeded,
    EndResult,
    InvoicedPart,
    SubscriptionDetail,
    SubscriptionError,
    Undelivered,
    add_subscription,
    change_subscription,
    continue_subscription,
    default_payer_number,
    end_subscription,
    get_subscription,
    remove_subscription,
)
from store.timeline import timeline_year
from store.validation import FieldError
from tui.formatting import date, money
from tui.i18n import N_, _, translate_bindings
from tui.messages import error_text
from tui.screens.confirm import ConfirmScreen
from tui.screens.pick_customer import PickCustomerScreen
from tui.widgets.form_field import FormField, field_id

if TYPE_CHECKING:
    from tui.app import KortistoApp


def _app(node: Widget) -> KortistoApp:
    from tui.app import KortistoApp

    assert isinstance(node.app, KortistoApp)
    return node.app


def term_text(term: Term) -> str:
    """The term in words, in the language in use."""
    return _(term.message).format(months=term.months)


def period_text(starts_on: dt.date, ends_on: dt.date | None) -> str:
    """``1.1.2027–31.12.2027``, or ``1.1.2027–`` for one without an end."""
    return f"{date(starts_on)}–{date(ends_on)}"


def _euros(value: Decimal) -> str:
    """A price as the operator types it back: ``12,50``."""
    return f"{value:.2f}".replace(".", ",")


def _same_price(typed: str, price: Decimal | None) -> bool:
    """Whether the typed price is ``price`` (``299``, ``299,00``, ``299.00``)."""
    if price is None:
        return False
    try:
        return Decimal(typed.replace(",", ".").replace(" ", "")) == price
    except ArithmeticError:
        return False


async def customer_name(node: Widget, number: int) -> str:
    """The name of customer ``number`` as the lists show it; empty if none."""
    rows = await CustomerSearch(str(number)).next_page(_app(node).database, limit=1)
    return rows[0].name if rows and rows[0].number == number else ""


async def _last_change(
    node: Widget, subscriber_number: int, number: int
) -> tuple[str | None, dt.datetime | None]:
    """Who saved subscription ``number`` last, and when, from the timeline."""
    # TODO: ChangedMeanwhile carries no saver; the timeline's newest event
    # of the subscription is the best word on who it was. Events are kept
    # on the subscriber's card with the subscription's number in the summary.
    year = await timeline_year(_app(node).database, subscriber_number)
    prefix = f"Subscription {number}:"
    for event in reversed(year.events):
        if event.kind.startswith("subscription") and event.summary.startswith(prefix):
            return event.operator, event.occurred_at
    return None, None


def stale_message(who: str | None, when: dt.datetime | None) -> str:
    """The refusal of a save that another operator's save would overwrite."""
    shown = when.astimezone(BUSINESS_ZONE).strftime("%d.%m.%Y %H:%M") if when else ""
    if who:
        return _("{who} changed this at {when}; your changes were not saved.").format(
            who=who, when=shown
        )
    return _("Someone changed this at {when}; your changes were not saved.").format(
        when=shown
    )


# -- Ending and removing ------------------------------------------------------


@dataclass(frozen=True)
class EndChoice:
    """What the operator asked for: an end date, or removal."""

    ends_on: dt.date | None = None
    remove: bool = False
    typed: str = ""
    """The end date as typed, to show again when the register refuses it."""


class EndSubscriptionScreen(ModalScreen[EndChoice | None]):
    """Ask for the last day of delivery, or whether to remove it all."""

    DEFAULT_CSS = """
    EndSubscriptionScreen {
        align: center middle;
    }
    EndSubscriptionScreen > Vertical {
        width: 70;
        height: auto;
        padding: 0 1;
        border: thick $warning;
        background: $panel;
    }
    EndSubscriptionScreen .modal--title {
        text-style: bold;
    }
    EndSubscriptionScreen .modal--text {
        padding: 0 0 1 0;
    }
    EndSubscriptionScreen Input {
        width: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "end", N_("End"), id="end_subscription.end", priority=True),
        Binding("f8", "remove", N_("Remove"), id="end_subscription.remove"),
        Binding("escape", "cancel", N_("Cancel"), id="end_subscription.cancel"),
    ]

    def __init__(
        self,
        detail: SubscriptionDetail,
        today: dt.date,
        *,
        typed: str | None = None,
        error: str | None = None,
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.detail = detail
        self.today = today
        self.typed = typed
        self.error = error

    def _default_end(self) -> dt.date:
        end = max(self.today, self.detail.starts_on)
        if self.detail.ends_on is not None and self.detail.ends_on < end:
            end = self.detail.ends_on
        return end

    def compose(self) -> ComposeResult:
        d = self.detail
        runs = _("Runs {period}.").format(period=period_text(d.starts_on, d.ends_on))
        if d.billed_until is not None:
            runs += " " + _("Invoiced until {date}.").format(date=date(d.billed_until))
        with Vertical():
            yield Static(
                _("End subscription {number}: {product}").format(
                    number=d.number, product=d.product_name
                ),
                classes="modal--title",
            )
            yield Static(runs, classes="modal--text")
            value = self.typed if self.typed is not None else date(self._default_end())
            yield FormField(
                "ends_on",
                _("Last day"),
                Input(value=value, placeholder=_("e.g. 1.7.2027"), compact=True),
            )
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        if self.error:
            self.query_one(FormField).show_error(self.error)
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_end()

    def action_end(self) -> None:
        typed = self.query_one(Input).value
        try:
            ends_on = parse_date(typed, "ends_on", today=self.today)
        except FieldError as error:
            self.query_one(FormField).show_error(error_text(error))
            return
        self.dismiss(EndChoice(ends_on=ends_on, typed=typed))

    def action_remove(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(EndChoice(remove=True))

        self.app.push_screen(
            ConfirmScreen(
                _(
                    "Remove subscription {number}? One never invoiced is deleted; "
                    "an invoiced one ends before today and is hidden."
                ).format(number=self.detail.number)
            ),
            answered,
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


class UndeliveredScreen(ModalScreen[Undelivered | None]):
    """Credit or keep what was invoiced for days after the new end."""

    DEFAULT_CSS = """
    UndeliveredScreen {
        align: center middle;
    }
    UndeliveredScreen > Vertical {
        width: 66;
        height: auto;
        padding: 1 2;
        border: thick $warning;
        background: $panel;
    }
    UndeliveredScreen .undelivered--amount {
        text-style: bold;
        padding: 0 0 1 0;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "answer('credit')", N_("Credit"), id="undelivered.credit"),
        Binding("h", "answer('credit')", N_("Credit"), show=False),
        Binding("k", "answer('keep')", N_("Keep"), id="undelivered.keep"),
        Binding("s", "answer('keep')", N_("Keep"), show=False),
        Binding("escape", "answer('')", N_("Cancel"), id="undelivered.cancel"),
    ]

    def __init__(self, part: InvoicedPart) -> None:
        super().__init__()
        translate_bindings(self)
        self.part = part

    def compose(self) -> ComposeResult:
        part = self.part
        with Vertical():
            yield Static(
                _(
                    "{amount} has been invoiced for {start}–{end}, after the end."
                ).format(
                    amount=money(part.amount),
                    start=date(part.start),
                    end=date(part.end),
                ),
                classes="undelivered--amount",
            )
            yield Static(
                _("Invoices: {numbers}.").format(
                    numbers=", ".join(str(n) for n in part.invoice_numbers)
                )
            )
            yield Static(
                _(
                    "Credit it: a credit invoice gives it back. Keep it: the "
                    "invoices stand as they are. Cancel: nothing changes."
                )
            )
        yield Footer(show_command_palette=False)

    def action_answer(self, answer: str) -> None:
        self.dismiss(Undelivered(answer) if answer else None)


def _end_summary(number: int, choice: EndChoice, result: EndResult) -> str:
    if result.subscription is None:
        text = _("Subscription {number} was removed.").format(number=number)
    elif choice.remove:
        text = _("Subscription {number} was removed; it ended on {date}.").format(
            number=number, date=date(result.subscription.ends_on)
        )
    else:
        text = _("Subscription {number} ends on {date}.").format(
            number=number, date=date(result.subscription.ends_on)
        )
    if result.credit_invoice_numbers:
        text += " " + _("Credit invoice made: {numbers}.").format(
            numbers=", ".join(str(n) for n in result.credit_invoice_numbers)
        )
    if result.kept:
        text += " " + _("{amount} invoiced after the end was kept.").format(
            amount=money(result.kept)
        )
    return text


class EndFlow:
    """Ending or removing one subscription, from the panel or the form.

    Each step is a modal answered through a callback and each write a
    worker of ``host``, so nothing waits on the operator inside a worker.
    """

    def __init__(
        self,
        host: Widget,
        detail: SubscriptionDetail,
        on_done: Callable[[], None],
    ) -> None:
        self.host = host
        self.detail = detail
        self.on_done = on_done
        self.choice = EndChoice()

    def start(self, *, typed: str | None = None, error: str | None = None) -> None:
        """Ask for the end; ``typed`` and ``error`` when asking again."""
        today = _app(self.host).clock.today()
        self.host.app.push_screen(
            EndSubscriptionScreen(self.detail, today, typed=typed, error=error),
            self._chosen,
        )

    def _chosen(self, choice: EndChoice | None) -> None:
        if choice is None:
            return
        self.choice = choice
        self._write(None)

    def _decided(self, decision: Undelivered | None) -> None:
        if decision is None:
            self.host.notify(_("Nothing was changed."))
            return
        self._write(decision)

    def _write(self, decision: Undelivered | None) -> None:
        self.host.run_worker(
            self._apply(decision),
            group="subscription-end",
            exclusive=True,
            exit_on_error=False,
        )

    async def _apply(self, decision: Undelivered | None) -> None:
        kortisto = _app(self.host)
        operator_id = kortisto.operator.id if kortisto.operator else None
        number = self.detail.number
        try:
            if self.choice.remove:
                result = await remove_subscription(
                    kortisto.database,
                    kortisto.clock,
                    number,
                    operator_id=operator_id,
                    expected_version=self.detail.version,
                    decision=decision,
                )
            else:
                assert self.choice.ends_on is not None
                result = await end_subscription(
                    kortisto.database,
                    kortisto.clock,
                    number,
                    self.choice.ends_on,
                    operator_id=operator_id,
                    expected_version=self.detail.version,
                    decision=decision,
                )
        except DecisionNeeded as needed:
            self.host.app.push_screen(UndeliveredScreen(needed.part), self._decided)
            return
        except (FieldError, SubscriptionError) as refused:
            if self.choice.remove:
                self.host.notify(error_text(refused), severity="error", timeout=10)
            else:
                self.start(typed=self.choice.typed, error=error_text(refused))
            return
        except ChangedMeanwhile:
            who, when = await _last_change(
                self.host, self.detail.subscriber_number, number
            )
            self.host.notify(stale_message(who, when), severity="error", timeout=15)
            return
        except KortistoError as error:
            self.host.notify(error_text(error), severity="error", timeout=10)
            return
        self.host.notify(_end_summary(number, self.choice, result), timeout=10)
        self.on_done()


# -- Continuing ---------------------------------------------------------------


class ContinueFlow:
    """Continuing a subscription with a new period of the same data."""

    def __init__(
        self, host: Widget, number: int, on_done: Callable[[int], None]
    ) -> None:
        self.host = host
        self.number = number
        self.on_done = on_done

    def start(self) -> None:
        """Read the subscription, then ask."""
        self.host.run_worker(
            self._ask(), group="subscription-continue", exit_on_error=False
        )

    async def _ask(self) -> None:
        try:
            detail = await get_subscription(_app(self.host).database, self.number)
        except KortistoError as error:
            self.host.notify(error_text(error), severity="error")
            return
        if detail.ends_on is None:
            self.host.notify(
                _("Subscription {number} runs until further notice.").format(
                    number=detail.number
                ),
                severity="error",
            )
            return
        if detail.continued_by_number is not None:
            self.host.notify(
                _("Subscription {number} has been continued as {following}.").format(
                    number=detail.number, following=detail.continued_by_number
                ),
                severity="error",
            )
            return
        starts_on = detail.ends_on + dt.timedelta(days=1)
        period = (
            period_text(starts_on, None)
            if detail.term.continuous
            else period_text(starts_on, term_period(starts_on, detail.term.months).end)
        )
        question = _(
            "Continue subscription {number} ({product}) with a new period "
            "{period}: {term}, copies: {copies}, the same subscriber and payer, "
            "at the price list's price on {start}?"
        ).format(
            number=detail.number,
            product=detail.product_name,
            period=period,
            term=term_text(detail.term),
            copies=detail.copies,
            start=date(starts_on),
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.host.run_worker(
                    self._continue(),
                    group="subscription-continue",
                    exit_on_error=False,
                )

        self.host.app.push_screen(ConfirmScreen(question), answered)

    async def _continue(self) -> None:
        kortisto = _app(self.host)
        try:
            made = await continue_subscription(
                kortisto.database,
                kortisto.clock,
                self.number,
                operator_id=kortisto.operator.id if kortisto.operator else None,
            )
        except KortistoError as error:
            self.host.notify(error_text(error), severity="error", timeout=10)
            return
        self.host.notify(
            _("Subscription {number} continues as {new} from {start}.").format(
                number=self.number, new=made.number, start=date(made.starts_on)
            )
        )
        self.on_done(made.number)


# -- The form -----------------------------------------------------------------


@dataclass(frozen=True)
class _Values:
    """The form as typed."""

    product_code: str | None
    starts_on: str
    term: Term | None
    copies: str
    unit_price: str
    reason: str
    payer_number: int | None
    subscriber_number: int | None


def _select_value(widget: Select[Any]) -> Any:
    value = widget.value
    return None if value is Select.NULL else value


class SubscriptionFormScreen(ModalScreen[int | None]):
    """Add a subscription for ``customer_number``, or change ``number``.

    Dismisses with the number of the subscription written (the new one
    when it was continued), or ``None`` when nothing was written.
    """

    DEFAULT_CSS = """
    SubscriptionFormScreen {
        align: center middle;
    }
    SubscriptionFormScreen > Vertical {
        width: 78;
        height: auto;
        max-height: 22;
        padding: 0 1;
        border: thick $accent;
        background: $panel;
    }
    SubscriptionFormScreen .modal--title {
        text-style: bold;
    }
    SubscriptionFormScreen .subscription--info {
        color: $text-muted;
        display: none;
    }
    SubscriptionFormScreen Input, SubscriptionFormScreen Select {
        width: 1fr;
    }
    SubscriptionFormScreen FormField Static.read-only {
        width: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), id="subscription.save", priority=True),
        Binding("escape", "leave", N_("Cancel"), id="subscription.cancel"),
        Binding("f2", "pick_payer", N_("Pick payer"), id="subscription.pick_payer"),
        Binding(
            "f3",
            "pick_subscriber",
            N_("Pick subscriber"),
            id="subscription.pick_subscriber",
        ),
        Binding("f5", "continue", N_("Continue"), id="subscription.continue"),
        Binding("f8", "end", N_("End/remove"), id="subscription.end"),
    ]

    def __init__(self, customer_number: int, number: int | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.customer_number = customer_number
        self.number = number
        self.detail: SubscriptionDetail | None = None
        self.products: list[ProductChoice] = []
        self.offers: list[PriceView] = []
        self.subscriber_number: int | None = None
        self.payer_number: int | None = None
        self.payer_picked = False
        self.initial: _Values | None = None
        self._saving = False

    @property
    def adding(self) -> bool:
        """Whether this form adds a new subscription."""
        return self.number is None

    @property
    def kortisto(self) -> KortistoApp:
        return _app(self)

    def compose(self) -> ComposeResult:
        title = (
            _("New subscription")
            if self.adding
            else _("Subscription {number}").format(number=self.number)
        )
        product: Static | Select[str]
        if self.adding:
            product = Select([], allow_blank=True, prompt="–", compact=True)
        else:
            product = Static("", classes="read-only")
        with Vertical():
            yield Static(title, classes="modal--title", id="subscription-title")
            yield FormField(
                "subscriber_number",
                _("Subscriber"),
                Static("", classes="read-only"),
            )
            yield FormField("payer_number", _("Payer"), Static("", classes="read-only"))
            yield FormField("product_code", _("Product"), product)
            yield FormField(
                "starts_on",
                _("Starts on"),
                Input(placeholder=_("e.g. 1.7.2027"), compact=True),
            )
            yield FormField(
                "term",
                _("Term"),
                Select[Term]([], allow_blank=True, prompt="–", compact=True),
            )
            yield FormField("copies", _("Copies"), Input("1", compact=True))
            yield FormField("list_price", _("List price"), Static("–"))
            yield FormField(
                "unit_price",
                _("Own price"),
                Input(placeholder=_("empty: the list price"), compact=True),
            )
            yield FormField(
                "price_override_reason",
                _("Reason for the price"),
                Input(compact=True),
            )
            yield Static("", classes="subscription--info", id="subscription-info")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.load()

    # Loading.

    def _widget(self, name: str) -> Any:
        return self.query_one(f"#{field_id(name)}")

    def _field(self, name: str) -> FormField | None:
        found = self.query(f"#field-{field_id(name)}")
        return found.first(FormField) if found else None

    @work(exclusive=True, group="subscription-load", exit_on_error=False)
    async def load(self) -> None:
        """Read the products, the subscription or the default payer."""
        database = self.kortisto.database
        try:
            self.products = await products_on_sale(database)
            if self.number is not None:
                self.detail = await get_subscription(database, self.number)
            else:
                self.payer_number = await default_payer_number(
                    database, self.customer_number
                )
        except KortistoError as error:
            self.notify(error_text(error), severity="error")
            self.dismiss(None)
            return
        if self.detail is None:
            self.subscriber_number = self.customer_number
            await self._show_customers()
            select: Select[str] = self._widget("product_code")
            select.set_options((f"{p.name} ({p.code})", p.code) for p in self.products)
            if len(self.products) == 1:
                select.value = self.products[0].code
            self._widget("starts_on").value = date(self.kortisto.clock.today())
            select.focus()
        else:
            self._fill(self.detail)
            self._widget("copies").focus()
        await self._load_terms()
        self.initial = self.collect()

    def _fill(self, d: SubscriptionDetail) -> None:
        self.subscriber_number = d.subscriber_number
        self.payer_number = d.payer_number
        self._widget("subscriber_number").update(
            f"{d.subscriber_number} {d.subscriber_name}"
        )
        self._widget("payer_number").update(f"{d.payer_number} {d.payer_name}")
        self._widget("product_code").update(f"{d.product_name} ({d.product_code})")
        self._widget("starts_on").value = date(d.starts_on)
        self._widget("copies").value = str(d.copies)
        if d.price_overridden:
            self._widget("unit_price").value = _euros(d.unit_price)
            self._widget("price_override_reason").value = d.price_override_reason
        invoiced = d.billed_until is not None
        self._widget("starts_on").disabled = invoiced
        self._widget("term").disabled = invoiced
        info = [_("Runs {period}.").format(period=period_text(d.starts_on, d.ends_on))]
        if invoiced:
            info.append(
                _("Invoiced until {date}: the start and term stay.").format(
                    date=date(d.billed_until)
                )
            )
        if d.continued_from_number is not None:
            info.append(_("Continues {number}.").format(number=d.continued_from_number))
        if d.continued_by_number is not None:
            info.append(
                _("Continued as {number}.").format(number=d.continued_by_number)
            )
        shown = self.query_one("#subscription-info", Static)
        shown.update(" ".join(info))
        shown.display = True

    async def _show_customers(self) -> None:
        for name, number in (
            ("subscriber_number", self.subscriber_number),
            ("payer_number", self.payer_number),
        ):
            if number is not None:
                shown = f"{number} {await customer_name(self, number)}"
                self._widget(name).update(shown.strip())

    def _product_code(self) -> str | None:
        if self.detail is not None:
            return self.detail.product_code
        return _select_value(self._widget("product_code"))

    def _start(self) -> dt.date | None:
        try:
            return parse_date(
                self._widget("starts_on").value,
                "starts_on",
                today=self.kortisto.clock.today(),
            )
        except FieldError:
            return None

    async def _load_terms(self) -> None:
        code, start = self._product_code(), self._start()
        if code is None or start is None:
            self.offers = []
        else:
            try:
                self.offers = await prices_on(self.kortisto.database, code, start)
            except KortistoError:
                self.offers = []
        select: Select[Term] = self._widget("term")
        wanted = _select_value(select)
        if wanted is None and self.detail is not None:
            wanted = self.detail.term
        options = [
            (f"{term_text(o.term)} · {money(o.price)}", o.term) for o in self.offers
        ]
        offered = {o.term for o in self.offers}
        if self.detail is not None and self.detail.term not in offered:
            options.append((term_text(self.detail.term), self.detail.term))
            offered.add(self.detail.term)
        select.set_options(options)
        if wanted in offered:
            select.value = wanted
        elif self.adding and self.offers:
            select.value = self.offers[0].term
        self._show_list_price()

    @work(exclusive=True, group="subscription-terms", exit_on_error=False)
    async def reload_terms(self) -> None:
        """Offer the terms of the product's price list on the start date."""
        await self._load_terms()

    def _list_price(self) -> Decimal | None:
        term = _select_value(self._widget("term"))
        for offer in self.offers:
            if offer.term == term:
                return offer.price
        return None

    def _show_list_price(self) -> None:
        price = self._list_price()
        if _select_value(self._widget("term")) is None:
            text = "–"
        elif price is None:
            text = _("not on the price list")
        else:
            text = _("{price} per copy").format(price=money(price))
        self._widget("list_price").update(text)

    @on(Select.Changed, "#f-product_code")
    def product_changed(self) -> None:
        self.reload_terms()

    @on(Input.Changed, "#f-starts_on")
    def start_changed(self) -> None:
        if self.initial is not None and self._start() is not None:
            self.reload_terms()

    @on(Select.Changed, "#f-term")
    def term_changed(self) -> None:
        self._show_list_price()

    # Reading and checking.

    def collect(self) -> _Values:
        """The values as the operator has typed them."""
        return _Values(
            product_code=self._product_code(),
            starts_on=self._widget("starts_on").value.strip(),
            term=_select_value(self._widget("term")),
            copies=self._widget("copies").value.strip(),
            unit_price=self._widget("unit_price").value.strip(),
            reason=self._widget("price_override_reason").value.strip(),
            payer_number=self.payer_number,
            subscriber_number=self.subscriber_number,
        )

    @property
    def changed(self) -> bool:
        """Whether anything differs from what the form opened with."""
        return self.initial is not None and self.collect() != self.initial

    def _check(self, values: _Values) -> tuple[dict[str, KortistoError], Any]:
        """Errors by field, and the parsed start, term and copies."""
        errors: dict[str, KortistoError] = {}
        if values.product_code is None:
            errors["product_code"] = FieldError("product_code", N_("choose a product"))
        starts_on = None
        try:
            starts_on = parse_date(
                values.starts_on, "starts_on", today=self.kortisto.clock.today()
            )
        except FieldError as error:
            errors["starts_on"] = error
        if values.term is None:
            errors["term"] = FieldError("term", N_("choose a term"))
        copies = None
        try:
            copies = int(values.copies)
        except ValueError:
            errors["copies"] = FieldError(
                "copies", N_("copies are 1 to {most}"), most=MAX_COPIES
            )
        if (
            values.unit_price
            and not values.reason
            and not _same_price(values.unit_price, self._list_price())
        ):
            errors["price_override_reason"] = FieldError(
                "price_override_reason",
                N_("say why the price differs from the price list"),
            )
        return errors, (starts_on, values.term, copies)

    def _mark(self, errors: dict[str, KortistoError]) -> None:
        for field in self.query(FormField):
            error = errors.get(field.field_name)
            field.show_error(error_text(error) if error else None)
        placed = [name for name in errors if self._field(name) is not None]
        if placed:
            field = self._field(placed[0])
            assert field is not None
            if field.widget.focusable:
                field.widget.focus()
        for name, error in errors.items():
            if name not in placed:
                self.notify(error_text(error), severity="error", timeout=10)

    # Saving.

    def action_save(self) -> None:
        if self.initial is None or self._saving:
            return
        values = self.collect()
        errors, parsed = self._check(values)
        if errors:
            self._mark(errors)
            return
        self._mark({})
        self._saving = True
        self.save(values, *parsed)

    @work(exclusive=True, group="subscription-save", exit_on_error=False)
    async def save(
        self, values: _Values, starts_on: dt.date, term: Term, copies: int
    ) -> None:
        """Write the subscription, or show why the register refused it."""
        kortisto = self.kortisto
        operator_id = kortisto.operator.id if kortisto.operator else None
        try:
            if self.detail is None:
                assert values.product_code is not None
                assert values.subscriber_number is not None
                saved = await add_subscription(
                    kortisto.database,
                    kortisto.clock,
                    operator_id=operator_id,
                    subscriber_number=values.subscriber_number,
                    product_code=values.product_code,
                    starts_on=starts_on,
                    term=term,
                    copies=copies,
                    payer_number=values.payer_number,
                    unit_price=values.unit_price or None,
                    price_reason=values.reason,
                )
                message = _("Added subscription {number}.")
            else:
                saved = await self._change(values, starts_on, term, copies)
                message = _("Saved subscription {number}.")
        except FieldError as error:
            self._mark({error.field: error})
            return
        except ChangedMeanwhile:
            await self._stale(values)
            return
        except KortistoError as error:
            self.notify(error_text(error), severity="error", timeout=10)
            return
        finally:
            self._saving = False
        self.notify(message.format(number=saved.number))
        self.dismiss(saved.number)

    async def _change(
        self, values: _Values, starts_on: dt.date, term: Term, copies: int
    ) -> SubscriptionDetail:
        d = self.detail
        assert d is not None
        kortisto = self.kortisto
        changes: dict[str, Any] = {}
        if values.payer_number != d.payer_number:
            changes["payer_number"] = values.payer_number
        if copies != d.copies:
            changes["copies"] = copies
        if d.billed_until is None:
            if starts_on != d.starts_on:
                changes["starts_on"] = starts_on
            if term != d.term:
                changes["term"] = term
        own = (
            (_euros(d.unit_price), d.price_override_reason)
            if d.price_overridden
            else ("", "")
        )
        if (values.unit_price, values.reason) != own:
            if values.unit_price:
                changes["unit_price"] = values.unit_price
                changes["price_reason"] = values.reason
            else:
                # Back to the price list: its price, which needs no reason.
                listed = self._list_price()
                changes["unit_price"] = listed
                changes["price_reason"] = ""
        return await change_subscription(
            kortisto.database,
            kortisto.clock,
            d.number,
            operator_id=kortisto.operator.id if kortisto.operator else None,
            expected_version=d.version,
            **changes,
        )

    async def _stale(self, mine: _Values) -> None:
        assert self.detail is not None
        newer = await get_subscription(self.kortisto.database, self.detail.number)
        who, when = await _last_change(self, newer.subscriber_number, newer.number)
        own_price = _euros(newer.unit_price) if newer.price_overridden else ""
        # Each field: what was saved meanwhile, and whether it differs.
        compared = {
            "payer_number": (
                f"{newer.payer_number} {newer.payer_name}",
                newer.payer_number != mine.payer_number,
            ),
            "copies": (str(newer.copies), str(newer.copies) != mine.copies),
            "starts_on": (
                date(newer.starts_on),
                date(newer.starts_on) != mine.starts_on,
            ),
            "term": (term_text(newer.term), newer.term != mine.term),
            "unit_price": (own_price, own_price != mine.unit_price),
            "price_override_reason": (
                newer.price_override_reason,
                newer.price_override_reason != mine.reason,
            ),
        }
        for name, (value, differs) in compared.items():
            field = self._field(name)
            if field is not None:
                hint = _("Saved meanwhile") + ": " + (value or "–")
                field.show_hint(hint if differs else None)
        # The next save is measured against what was saved meanwhile.
        self.detail = newer
        self.notify(stale_message(who, when), severity="error", timeout=15)
        self.notify(
            _(
                "Your values are kept; the newer saved ones are shown under them. "
                "Save again to keep yours."
            ),
            timeout=15,
        )

    # Other actions.

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
            if number is not None:
                self.payer_number = number
                self.payer_picked = True
                self._refresh_customers()

        self.app.push_screen(PickCustomerScreen(), picked)

    def action_pick_subscriber(self) -> None:
        def picked(number: int | None) -> None:
            if number is not None:
                self.subscriber_number = number
                self._refresh_customers(default_payer=not self.payer_picked)

        self.app.push_screen(PickCustomerScreen(), picked)

    @work(exclusive=True, group="subscription-customers", exit_on_error=False)
    async def _refresh_customers(self, default_payer: bool = False) -> None:
        if default_payer and self.subscriber_number is not None:
            self.payer_number = await default_payer_number(
                self.kortisto.database, self.subscriber_number
            )
        await self._show_customers()

    def action_continue(self) -> None:
        if self.detail is not None:
            ContinueFlow(self, self.detail.number, self.dismiss).start()

    def action_end(self) -> None:
        if self.detail is not None:
            detail = self.detail
            EndFlow(self, detail, lambda: self.dismiss(detail.number)).start()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pick_subscriber":
            return self.adding
        if action in ("continue", "end"):
            return not self.adding
        return True
