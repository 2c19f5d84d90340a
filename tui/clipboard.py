"""Copying text to the operator's own clipboard.

Operators work over SSH, so the copy must reach the terminal in front of
them, not the server: Textual's OSC 52 escape does that in most terminals.
pyperclip is added only where this process has a local clipboard of its
own (a desktop session, not SSH); it never raises into the app.
"""

from __future__ import annotations

import os
import sys

from textual import log
from textual.app import App


def has_local_clipboard() -> bool:
    """Whether a clipboard on this machine is the operator's own."""
    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        return False
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def copy_text(app: App[object], text: str) -> None:
    """Copy ``text`` through the terminal, and locally where that is the user's."""
    app.copy_to_clipboard(text)
    if not has_local_clipboard():
        return
    try:
        import pyperclip

        pyperclip.copy(text)
    except Exception as error:  # pyperclip raises its own kinds, or OSError
        log.warning(f"local clipboard unavailable: {error}")
