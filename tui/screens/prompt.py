"""A small modal form: a few labelled text fields, saved with Ctrl+S.

The caller checks the values; when the register refuses them it opens the
prompt again with the operator's values and the reason, so nothing typed
is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from tui.i18n import N_, translate_bindings
from tui.widgets.form_field import FormField, field_id


@dataclass(frozen=True)
class PromptField:
    """One field of a prompt."""

    name: str
    label: str
    value: str = ""


class PromptScreen(ModalScreen[dict[str, str] | None]):
    """Ask for ``fields``; dismisses with their values, or ``None``."""

    DEFAULT_CSS = """
    PromptScreen {
        align: center middle;
    }
    PromptScreen > Vertical {
        width: 76;
        height: auto;
        max-height: 20;
        padding: 0 1;
        border: thick $accent;
        background: $panel;
    }
    PromptScreen .prompt--title {
        text-style: bold;
        padding: 0 0 1 0;
    }
    PromptScreen .prompt--error {
        color: $text-error;
        padding: 1 0 0 0;
    }
    PromptScreen Input {
        width: 1fr;
    }
    """

    BINDINGS = [
        Binding("ctrl+s", "submit", N_("Save"), id="prompt.save", priority=True),
        Binding("escape", "cancel", N_("Cancel"), id="prompt.cancel"),
    ]

    def __init__(
        self,
        title: str,
        fields: list[PromptField],
        *,
        error: str | None = None,
        error_field: str | None = None,
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.title_text = title
        self.fields = fields
        self.error = error
        self.error_field = error_field

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="prompt--title")
            for spec in self.fields:
                yield FormField(
                    spec.name, spec.label, Input(value=spec.value, compact=True)
                )
            if self.error:
                yield Static(self.error, classes="prompt--error")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        target = self.error_field or self.fields[0].name
        if self.error_field:
            self.query_one(f"#field-{field_id(target)}", FormField).show_error(
                self.error
            )
        self.query_one(f"#{field_id(target)}", Input).focus()

    def on_input_submitted(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        self.dismiss(
            {
                spec.name: self.query_one(f"#{field_id(spec.name)}", Input).value
                for spec in self.fields
            }
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
