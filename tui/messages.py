"""The operator's words for a refusal from the register."""

from __future__ import annotations

from store.errors import KortistoError
from tui.i18n import _


def error_text(error: KortistoError | str) -> str:
    """``error`` translated, its values filled in, as a sentence."""
    describe = getattr(error, "describe", None)
    if describe is not None:
        text = str(describe(_))
    elif isinstance(error, KortistoError):
        text = _(error.message).format(**error.values)
    else:
        text = _(error)
    return text[:1].upper() + text[1:]
