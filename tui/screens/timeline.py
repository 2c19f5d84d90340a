"""The customer's timeline (the seed's "Pikakatsaus"), one year at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from store.editing import field_label
from store.errors import KortistoError
from store.timeline import TimelineEvent, TimelineYear, timeline_year
from tui.formatting import CONSENT_CHANNELS, EVENT_KINDS, label
from tui.i18n import N_, _, translate_bindings
from tui.messages import error_text

if TYPE_CHECKING:
    from tui.app import KortistoApp

#: Changed fields shown per event before "and N more".
CHANGES_SHOWN = 6


def _value(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "–"
    return str(value)


def _field(name: str) -> str:
    """The operator's word for a changed field of the card."""
    if name.startswith("consents."):
        channel = name.removeprefix("consents.")
        return _("Marketing") + f": {label(CONSENT_CHANNELS, channel)}"
    text = _(field_label(name))
    return text[:1].upper() + text[1:]


def _event(event: TimelineEvent) -> Text:
    when = event.occurred_at.strftime("%d.%m. %H:%M")
    head = Text.assemble((when, "bold"), "  ", (label(EVENT_KINDS, event.kind), "bold"))
    if event.operator:
        head.append(f"  ·  {event.operator}", style="dim")
    lines: list[Text] = [head]
    if event.summary:
        lines.append(Text(f"    {event.summary}"))
    changes = list(event.changes.items())
    for name, change in changes[:CHANGES_SHOWN]:
        shown = _field(name)
        if isinstance(change, list) and len(change) == 2:
            old, new = change
            lines.append(Text(f"    {shown}: {_value(old)} → {_value(new)}"))
        else:
            lines.append(Text(f"    {shown}: {_value(change)}"))
    if len(changes) > CHANGES_SHOWN:
        more = _("and {count} more").format(count=len(changes) - CHANGES_SHOWN)
        lines.append(Text(f"    {more}", style="dim"))
    return Text("\n").join(lines)


class TimelineScreen(Screen[None]):
    """The events of one customer, a year at a time."""

    BINDINGS = [
        # Priority, since the scrolling view's own (hidden) arrows would hide these.
        Binding(
            "left",
            "year(-1)",
            N_("Previous year"),
            id="timeline.previous",
            priority=True,
        ),
        Binding("right", "year(1)", N_("Next year"), id="timeline.next", priority=True),
        Binding("escape", "back", N_("Back"), id="timeline.back"),
    ]

    def __init__(self, number: int) -> None:
        super().__init__()
        translate_bindings(self)
        self.number = number
        self.shown: TimelineYear | None = None

    @property
    def kortisto(self) -> KortistoApp:
        from tui.app import KortistoApp

        assert isinstance(self.app, KortistoApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Static((_("Timeline") + f" {self.number}"), id="title")
        with VerticalScroll(id="timeline"):
            yield Static(_("Loading…"), id="events")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#timeline").focus()
        self.load(None)

    @work(exclusive=True, group="timeline", exit_on_error=False)
    async def load(self, year: int | None) -> None:
        """Show ``year`` (the latest year with events when ``None``)."""
        try:
            shown = await timeline_year(self.kortisto.database, self.number, year)
        except KortistoError as error:
            self.notify(error_text(error), severity="error")
            return
        self.shown = shown
        title = _("Timeline") + f"  ·  {shown.number} {shown.name}  ·  {shown.year}"
        self.query_one("#title", Static).update(title)
        body: RenderableType = (
            Text("\n").join(_event(e) for e in shown.events)
            if shown.events
            else Text(_("No events in {year}.").format(year=shown.year), style="italic")
        )
        self.query_one("#events", Static).update(body)
        self.query_one("#timeline", VerticalScroll).scroll_home(animate=False)
        self.refresh_bindings()

    def action_year(self, step: int) -> None:
        if self.shown is not None:
            self.load(self.shown.year + step)

    def action_back(self) -> None:
        self.dismiss()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        shown = self.shown
        if action != "year" or shown is None:
            return True
        step = parameters[0] if parameters else 0
        if shown.first_year is None or shown.last_year is None:
            return False
        if step == -1:
            return shown.year > shown.first_year
        return shown.year < shown.last_year
