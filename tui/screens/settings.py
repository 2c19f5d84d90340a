"""The settings screen, for admins: the lists the card chooses from.

Sections on the left, the chosen section's entries on the right. A value in
use cannot be deleted, only retired: it stays on the cards that have it and
is no longer offered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from store import pricing, settings
from store.dates import parse_date
from store.errors import KortistoError
from store.field_checks import validate_months
from store.settings import ListKind, Surcharge
from tui.formatting import PRODUCT_KINDS, date, label, money, percent, yes_no
from tui.i18n import N_, _, translate_bindings
from tui.messages import error_text
from tui.screens.confirm import ConfirmScreen
from tui.screens.prompt import PromptField, PromptScreen

if TYPE_CHECKING:
    from tui.app import KortistoApp

#: The sections: id, title, the list kind behind it (None: its own kind).
SECTIONS: list[tuple[str, str, ListKind | None]] = [
    ("customer_types", N_("Customer types"), ListKind.CUSTOMER_TYPES),
    ("roles", N_("Roles"), ListKind.ROLES),
    ("groups", N_("Groups"), ListKind.GROUPS),
    ("consent_channels", N_("Consent channels"), ListKind.CONSENT_CHANNELS),
    ("consent_sources", N_("Consent sources"), ListKind.CONSENT_SOURCES),
    ("bundles", N_("Bundles"), ListKind.BUNDLES),
    ("products", N_("Products"), None),
    ("salespeople", N_("Salespeople"), None),
    ("surcharge", N_("Surcharge"), None),
]
#: Lists whose entries have a code the admin types.
CODED = {ListKind.CUSTOMER_TYPES, ListKind.CONSENT_CHANNELS, ListKind.BUNDLES}


class SettingsScreen(Screen[None]):
    """Keep the settings' lists, products, salespeople and the surcharge."""

    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="settings.back"),
        Binding("a", "add", N_("Add"), id="settings.add"),
        Binding("r", "change", N_("Change"), id="settings.change"),
        Binding("x", "retire", N_("Retire/restore"), id="settings.retire"),
        Binding("d", "delete", N_("Delete"), id="settings.delete"),
        Binding("p", "postal_codes", N_("Postcodes"), id="settings.postal_codes"),
        Binding("s", "toggle_seller", N_("Sells/not"), id="settings.seller"),
        Binding("h", "prices", N_("Prices"), id="settings.prices"),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.section = SECTIONS[0][0]
        self.items: list[Any] = []

    @property
    def kortisto(self) -> KortistoApp:
        from tui.app import KortistoApp

        assert isinstance(self.app, KortistoApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Static(_("Settings"), id="title")
        with Horizontal():
            yield OptionList(
                *[Option(_(title), id=key) for key, title, _kind in SECTIONS],
                id="sections",
            )
            yield OptionList(id="entries")
        yield Static("", id="settings-help")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#sections", OptionList).focus()
        self.reload()

    @on(OptionList.OptionHighlighted, "#sections")
    def section_chosen(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id != self.section:
            self.section = event.option.id
            self.reload()
            self.refresh_bindings()

    @on(OptionList.OptionSelected, "#sections")
    def section_entered(self) -> None:
        self.query_one("#entries", OptionList).focus()

    @property
    def kind(self) -> ListKind | None:
        return next(kind for key, _t, kind in SECTIONS if key == self.section)

    # Reading.

    @work(exclusive=True, group="settings", exit_on_error=False)
    async def reload(self) -> None:
        """Show the entries of the chosen section."""
        database, operator = self.kortisto.database, self.kortisto.operator
        assert operator is not None
        try:
            lines = await self._lines(database, operator)
        except KortistoError as error:
            self.notify(error_text(error), severity="error")
            return
        entries = self.query_one("#entries", OptionList)
        highlighted = entries.highlighted
        entries.clear_options()
        entries.add_options(lines or [Option(_("No entries yet."), disabled=True)])
        if lines:
            entries.highlighted = min(highlighted or 0, len(lines) - 1)

    async def _lines(self, database: Any, operator: Any) -> list[Option]:
        retired = " (" + _("retired") + ")"
        if self.section == "products":
            self.items = await settings.list_products(database, operator)
            return [
                Option(
                    f"{p.code}  {p.name}  {label(PRODUCT_KINDS, p.kind)}  "
                    + _("VAT")
                    + f" {percent(p.vat_percent)}"
                    + (retired if p.retired else "")
                )
                for p in self.items
            ]
        if self.section == "salespeople":
            self.items = await settings.list_salespeople(database, operator)
            return [
                Option(
                    (
                        f"{s.name} ({s.login})  "
                        + _("sells")
                        + f": {yes_no(s.is_salesperson)}"
                    )
                    + ("" if s.active else (" (" + _("inactive") + ")"))
                )
                for s in self.items
            ]
        if self.section == "surcharge":
            surcharge = await settings.get_surcharge(database)
            self.items = [surcharge]
            only_ads = _("only ad invoices") if surcharge.only_ad_invoices else _("all")
            return [
                Option(
                    _("Amount")
                    + f": {money(surcharge.amount)}  ·  "
                    + _("Minimum total")
                    + f": {money(surcharge.minimum_total)}  ·  "
                    + _("Invoices")
                    + f": {only_ads}"
                )
            ]
        kind = self.kind
        assert kind is not None
        self.items = await settings.list_entries(database, operator, kind)
        return [
            Option(
                (f"{e.code}  " if e.code and kind in CODED else "")
                + e.name
                + (retired if e.retired else "")
                + (("  (" + _("built in") + ")") if e.built_in else "")
            )
            for e in self.items
        ]

    @property
    def current(self) -> Any | None:
        index = self.query_one("#entries", OptionList).highlighted
        if index is None or index >= len(self.items):
            return None
        return self.items[index]

    # Writing: each action asks, calls the store, and asks again on refusal.

    def _ask(
        self,
        title: str,
        fields: list[PromptField],
        write: Callable[[dict[str, str]], Awaitable[object]],
        error: KortistoError | None = None,
    ) -> None:
        def answered(values: dict[str, str] | None) -> None:
            if values is not None:
                self._write(title, fields, values, write)

        wrong = getattr(error, "field", None)
        prompt = PromptScreen(
            title,
            fields,
            error=error_text(error) if error else None,
            error_field=wrong if any(f.name == wrong for f in fields) else None,
        )
        self.app.push_screen(prompt, answered)

    @work(group="settings-write", exit_on_error=False)
    async def _write(
        self,
        title: str,
        fields: list[PromptField],
        values: dict[str, str],
        write: Callable[[dict[str, str]], Awaitable[object]],
    ) -> None:
        try:
            await write(values)
        except KortistoError as error:
            kept = [PromptField(f.name, f.label, values[f.name]) for f in fields]
            self._ask(title, kept, write, error=error)
            return
        self.notify(_("Saved."))
        self.reload()

    @work(group="settings-write", exit_on_error=False)
    async def _run(self, action: Callable[[], Awaitable[object]]) -> None:
        try:
            await action()
        except KortistoError as error:
            self.notify(error_text(error), severity="error", timeout=8)
            return
        self.reload()

    def action_add(self) -> None:
        database, operator = self.kortisto.database, self.kortisto.operator
        kind = self.kind
        if self.section == "products":
            self._ask(
                _("New product"),
                self._product_fields(),
                lambda v: settings.add_product(
                    database,
                    operator,  # type: ignore[arg-type]
                    code=v["code"],
                    name=v["name"],
                    kind=v["kind"],
                    vat_percent=v["vat"].replace(",", "."),
                ),
            )
        elif kind is not None:
            fields = [PromptField("name", _("Name"))]
            if kind is ListKind.BUNDLES:
                fields.insert(0, PromptField("code", _("Code")))
            self._ask(
                _("New entry"),
                fields,
                lambda v: settings.add_entry(
                    database,
                    operator,  # type: ignore[arg-type]
                    kind,
                    v["name"],
                    code=v.get("code", ""),
                ),
            )

    def _product_fields(self, product: Any | None = None) -> list[PromptField]:
        return [
            PromptField("code", _("Code"), product.code if product else ""),
            PromptField("name", _("Name"), product.name if product else ""),
            PromptField(
                "kind",
                _("Kind (publication/ad)"),
                product.kind.value if product else "publication",
            ),
            PromptField(
                "vat",
                _("VAT %"),
                str(product.vat_percent).replace(".", ",") if product else "14,00",
            ),
        ]

    def action_change(self) -> None:
        database, operator = self.kortisto.database, self.kortisto.operator
        current, kind = self.current, self.kind
        if current is None:
            return
        if self.section == "products":
            self._ask(
                _("Change product"),
                self._product_fields(current),
                lambda v: settings.change_product(
                    database,
                    operator,  # type: ignore[arg-type]
                    current.id,
                    code=v["code"],
                    name=v["name"],
                    kind=v["kind"],
                    vat_percent=v["vat"].replace(",", "."),
                ),
            )
        elif self.section == "surcharge":
            self._ask(
                _("Paper-invoice surcharge"),
                [
                    PromptField("amount", _("Amount €"), _euros(current.amount)),
                    PromptField(
                        "minimum", _("Minimum total €"), _euros(current.minimum_total)
                    ),
                    PromptField(
                        "only_ads",
                        _("Only ad invoices (K/E)"),
                        "K" if current.only_ad_invoices else "E",
                    ),
                ],
                lambda v: settings.set_surcharge(
                    database,
                    operator,  # type: ignore[arg-type]
                    Surcharge(
                        amount=_decimal(v["amount"]),
                        minimum_total=_decimal(v["minimum"]),
                        only_ad_invoices=v["only_ads"].strip().upper() in ("K", "Y"),
                    ),
                ),
            )
        elif kind is not None:
            fields = [PromptField("name", _("Name"), current.name)]
            if kind is ListKind.BUNDLES:
                fields.insert(0, PromptField("code", _("Code"), current.code))
            self._ask(
                _("Change entry"),
                fields,
                lambda v: settings.rename_entry(
                    database,
                    operator,  # type: ignore[arg-type]
                    kind,
                    current.key,
                    v["name"],
                    code=v.get("code"),
                ),
            )

    def action_retire(self) -> None:
        database, operator = self.kortisto.database, self.kortisto.operator
        current, kind = self.current, self.kind
        if current is None or operator is None:
            return
        if self.section == "products":
            self._run(
                lambda: settings.retire_product(
                    database, operator, current.id, not current.retired
                )
            )
        elif kind is not None:
            change = (
                settings.unretire_entry if current.retired else settings.retire_entry
            )
            self._run(lambda: change(database, operator, kind, current.key))

    def action_delete(self) -> None:
        database, operator = self.kortisto.database, self.kortisto.operator
        current, kind = self.current, self.kind
        if current is None or operator is None:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            if self.section == "products":
                self._run(
                    lambda: settings.delete_product(database, operator, current.id)
                )
            elif kind is not None:
                self._run(
                    lambda: settings.delete_entry(database, operator, kind, current.key)
                )

        self.app.push_screen(
            ConfirmScreen(_("Delete {name}?").format(name=current.name)), answered
        )

    @work(group="settings-write", exit_on_error=False)
    async def action_postal_codes(self) -> None:
        """Edit the postal codes the highlighted bundle covers."""
        database, operator = self.kortisto.database, self.kortisto.operator
        current = self.current
        if self.kind is not ListKind.BUNDLES or current is None or operator is None:
            return
        codes = await settings.bundle_postal_codes(database, operator, current.key)
        self._ask(
            _("Postcodes of bundle {name}").format(name=current.name),
            [PromptField("codes", _("Postcodes"), " ".join(codes))],
            lambda v: settings.set_bundle_postal_codes(
                database, operator, current.key, v["codes"].replace(",", " ").split()
            ),
        )

    @work(group="settings-write", exit_on_error=False)
    async def action_prices(self) -> None:
        """Show the highlighted product's price list and put a price on it."""
        database, operator = self.kortisto.database, self.kortisto.operator
        product = self.current
        if self.section != "products" or product is None or operator is None:
            return
        prices = await pricing.price_list(database, product.code)
        listed = "\n".join(
            "  "
            + _("{term}: {price} from {date}").format(
                term=_(p.term.message).format(months=p.term.months),
                price=money(p.price),
                date=date(p.valid_from),
            )
            for p in prices
        ) or "  " + _("No prices yet.")
        clock = self.kortisto.clock

        async def write(values: dict[str, str]) -> object:
            months = validate_months(values["months"])
            continuous = values["continuous"].strip().upper() in ("K", "Y")
            valid_from = parse_date(
                values["valid_from"], "valid_from", today=clock.today()
            )
            return await pricing.set_price(
                database,
                clock,
                product.code,
                pricing.Term(months, continuous=continuous),
                values["price"].strip().replace(",", ".").removesuffix("€").strip(),
                valid_from,
                operator_id=operator.id,
            )

        self._ask(
            _("Prices of {name}").format(name=product.name) + "\n" + listed,
            [
                PromptField("months", _("Months"), "12"),
                PromptField("continuous", _("Continuous (K/E)"), "E"),
                PromptField("price", _("Price €")),
                PromptField("valid_from", _("Valid from"), date(clock.today())),
            ],
            write,
        )

    def action_toggle_seller(self) -> None:
        database, operator = self.kortisto.database, self.kortisto.operator
        current = self.current
        if self.section != "salespeople" or current is None or operator is None:
            return
        self._run(
            lambda: settings.set_salesperson(
                database, operator, current.operator_id, not current.is_salesperson
            )
        )

    def action_back(self) -> None:
        self.dismiss()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        lists = self.kind is not None
        allowed = {
            "add": lists or self.section == "products",
            "change": self.section != "salespeople",
            "retire": lists or self.section == "products",
            "delete": lists or self.section == "products",
            "postal_codes": self.kind is ListKind.BUNDLES,
            "toggle_seller": self.section == "salespeople",
            "prices": self.section == "products",
        }
        return allowed.get(action, True)


def _euros(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _decimal(text: str) -> Decimal:
    """Euros as typed; a value that is no number is left for the store to refuse."""
    cleaned = text.strip().replace(" ", "").replace(",", ".").removesuffix("€")
    try:
        return Decimal(cleaned)
    except ArithmeticError:
        return Decimal("NaN")
