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


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs; it is translated where it is shown."""
    return message


def translate_bindings(node: object) -> None:
    """Show ``node``'s key descriptions in the language in use.

    ``BINDINGS`` hold English message ids, fixed when the class is made;
    each screen calls this as it is created, so its footer speaks the
    language chosen at start-up.
    """
    from dataclasses import replace

    bindings = node._bindings  # type: ignore[attr-defined]
    for key, found in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [
            replace(
                b,
                description=_(b.description) if b.description else "",
                tooltip=_(b.tooltip) if b.tooltip else "",
            )
            for b in found
        ]


def yes_no_text(value: bool) -> str:
    """Yes or no in the language in use."""
    return _("Yes") if value else _("No")


def describe_key(node: object, key: str, description: str) -> None:
    """Show ``description`` for ``key`` in ``node``'s footer entry instead."""
    from dataclasses import replace

    bindings = node._bindings  # type: ignore[attr-defined]
    found = bindings.key_to_bindings.get(key, [])
    bindings.key_to_bindings[key] = [
        replace(b, description=description) if b.show else b for b in found
    ]
