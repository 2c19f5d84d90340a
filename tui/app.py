"""The Kortisto app: signs the operator in and opens the customer list."""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from functools import partial
from importlib.resources import files
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from store.cards import load_card
from store.clock import Clock
from store.db import Database, open_database
from store.errors import KortistoError
from store.models import Operator
from store.operators import get_preference, set_preference, sign_in
from tui.i18n import N_, _, translate_bindings
from tui.messages import error_text
from tui.screens.customer_card import PANELS_PREFERENCE, CustomerCardScreen
from tui.screens.customer_list import CustomerListScreen

STYLES = files("styles")


class KortistoApp(App[int]):
    """The register's terminal app for one operator."""

    TITLE = "Kortisto"
    CSS_PATH: ClassVar[list[str]] = [
        str(STYLES / name)
        for name in (
            "base.tcss",
            "customer_list.tcss",
            "customer_card.tcss",
            "customer_form.tcss",
        )
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", N_("Quit"), priority=True, id="app.quit"),
    ]
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        url: str | None = None,
        *,
        database: Database | None = None,
        login: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self._url = url
        self._given_database = database
        self.login = login or getpass.getuser()
        self.clock = clock or Clock()
        self.operator: Operator | None = None
        self.panel_state: dict[str, bool] = {}
        self._database: Database | None = database
        self._card_screen: CustomerCardScreen | None = None

    @property
    def database(self) -> Database:
        """The register this app works on."""
        assert self._database is not None, "the app has not opened its register"
        return self._database

    async def on_mount(self) -> None:
        try:
            if self._database is None:
                self._database = await open_database(self._url)
            self.operator = await sign_in(self.database, self.login, self.clock)
            self.panel_state = dict(
                await get_preference(
                    self.database, self.operator.id, PANELS_PREFERENCE, {}
                )
            )
        except KortistoError as error:
            self.exit(return_code=1, message=error_text(error))
            return
        except Exception as error:  # an unreachable server, a broken file
            self.exit(
                return_code=1, message=(_("Cannot open the register") + f": {error}")
            )
            return
        await self.push_screen(CustomerListScreen())

    @work(exclusive=True, group="open-card", exit_on_error=False)
    async def open_card(self, number: int) -> None:
        """Read customer ``number``'s card and show it on the card screen."""
        try:
            card = await load_card(self.database, number, self.clock)
        except KortistoError as error:
            self.notify(error_text(error), severity="error")
            return
        if self._card_screen is None:
            self._card_screen = CustomerCardScreen(number)
            self.install_screen(self._card_screen, name="card")
        self._card_screen.present(card)
        if self.screen is not self._card_screen:
            await self.push_screen(self._card_screen)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette offers every action the screen's footer shows, by name."""
        seen: set[str] = set()
        for key, (node, binding, enabled, _tooltip) in screen.active_bindings.items():
            if not (binding.show and enabled and binding.description):
                continue
            if binding.description in seen:
                continue
            seen.add(binding.description)
            display = self.get_key_display(binding)
            yield SystemCommand(
                binding.description,
                _("Key: {key}").format(key=display or key),
                partial(self.run_action, binding.action, node),
            )
        for command in super().get_system_commands(screen):
            if command.title not in seen and _(command.title) not in seen:
                yield command

    async def action_quit(self) -> None:
        """Quit, asking first when a screen holds unsaved changes."""
        unsaved = any(getattr(screen, "changed", False) for screen in self.screen_stack)
        if not unsaved:
            self.exit()
            return
        from tui.screens.confirm import ConfirmScreen

        def answered(leave: bool | None) -> None:
            if leave:
                self.exit()

        self.push_screen(
            ConfirmScreen(_("Quit without saving? Your changes will be lost.")),
            answered,
        )

    def save_panel_state(self, panel_id: str, is_open: bool) -> None:
        """Remember that the operator keeps ``panel_id`` open or closed."""
        if self.panel_state.get(panel_id) == is_open:
            return
        self.panel_state[panel_id] = is_open
        self._save_panels(dict(self.panel_state))

    @work(exclusive=True, group="preferences", exit_on_error=False)
    async def _save_panels(self, state: dict[str, bool]) -> None:
        assert self.operator is not None
        await set_preference(self.database, self.operator.id, PANELS_PREFERENCE, state)

    async def on_unmount(self) -> None:
        if self._database is not None and self._given_database is None:
            await self._database.close()


def run_app(url: str | None, **options: Any) -> int:
    """Run the app on the register at ``url``; returns the exit status."""
    app = KortistoApp(url, **options)
    app.run()
    return app.return_code or 0
