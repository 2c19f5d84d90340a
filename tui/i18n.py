"""The language the interface and the commands speak.

Finnish by default, in the seed user guide's own words; ``--lang en`` or
``KORTISTO_LANG=en`` switches to English. Message ids in the code are
English, and each other language is one catalog under ``tui/locale``, so
adding Swedish is a catalog, not a code change.
"""

from __future__ import annotations

import gettext
import os
from importlib.resources import files

DOMAIN = "kortisto"
LANGUAGE_VARIABLE = "KORTISTO_LANG"
DEFAULT_LANGUAGE = "fi"
LOCALE_DIR = str(files("tui") / "locale")

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def available_languages() -> list[str]:
    """English and every language with a compiled catalog."""
    found = ["en"]
    locale = files("tui") / "locale"
    for entry in sorted(locale.iterdir(), key=lambda e: e.name):
        if (entry / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file():
            found.append(entry.name)
    return found


def set_language(language: str | None = None) -> str:
    """Switch to ``language`` (else ``$KORTISTO_LANG``, else Finnish).

    Returns the language in use. An unknown language raises ``ValueError``.
    """
    global _translations, _language
    chosen = (language or os.environ.get(LANGUAGE_VARIABLE) or DEFAULT_LANGUAGE).lower()
    if chosen == "en":
        _translations = gettext.NullTranslations()
    elif chosen in available_languages():
        _translations = gettext.translation(DOMAIN, LOCALE_DIR, languages=[chosen])
    else:
        raise ValueError(chosen)
    _language = chosen
    return chosen


def language() -> str:
    """The language in use."""
    return _language


def _(message: str) -> str:
    """``message`` in the language in use."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for ``count`` in the language in use."""
    return _translations.ngettext(singular, plural, count)
