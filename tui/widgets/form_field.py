"""One labelled field of a form, with room for what is wrong with it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Label, Static


def field_id(name: str) -> str:
    """The widget id of the form field ``name`` (``payer.name``, ...)."""
    return "f-" + name.replace(".", "-")


class FormField(Vertical):
    """A label, the input widget beside it, and an error line under both.

    The error line is empty, and takes no room, until :meth:`show_error`.
    A hint line (another operator's newer value, say) works the same way.
    """

    DEFAULT_CSS = """
    FormField {
        height: auto;
    }
    FormField > Horizontal {
        height: auto;
    }
    FormField .form-field--label {
        width: 22;
        padding: 0 1 0 0;
        color: $text-muted;
    }
    FormField .form-field--error {
        display: none;
        color: $text-error;
        padding: 0 0 0 22;
    }
    FormField .form-field--hint {
        display: none;
        color: $text-warning;
        padding: 0 0 0 22;
    }
    FormField.-invalid .form-field--error {
        display: block;
    }
    FormField.-hinted .form-field--hint {
        display: block;
    }
    FormField.-invalid .form-field--label {
        color: $text-error;
        text-style: bold;
    }
    """

    def __init__(self, name: str, label: str, widget: Widget) -> None:
        super().__init__(id=f"field-{field_id(name)}")
        self.field_name = name
        self.label = label
        self.widget = widget
        widget.id = field_id(name)

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.label, classes="form-field--label")
            yield self.widget
        yield Static("", classes="form-field--error")
        yield Static("", classes="form-field--hint")

    def show_error(self, message: str | None) -> None:
        """Show ``message`` under the field, or clear it with ``None``."""
        self.set_class(bool(message), "-invalid")
        self.query_one(".form-field--error", Static).update(message or "")

    @property
    def has_error(self) -> bool:
        """Whether the field is marked wrong."""
        return self.has_class("-invalid")

    def show_hint(self, message: str | None) -> None:
        """Show ``message`` as a hint under the field, or clear it."""
        self.set_class(bool(message), "-hinted")
        self.query_one(".form-field--hint", Static).update(message or "")
