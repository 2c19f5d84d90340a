"""Every text the program shows has its Finnish translation, compiled."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).parent.parent
LOCALE = ROOT / "tui" / "locale"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def code_messages() -> set[str]:
    found: set[str] = set()
    for folder in ("store", "tui"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def catalog(language: str):
    with open(LOCALE / language / "LC_MESSAGES" / "kortisto.po", "rb") as po:
        return read_po(po, locale=language)


@pytest.mark.parametrize("language", ["fi"])
def test_every_message_in_the_code_is_translated(language) -> None:
    messages = catalog(language)
    untranslated = sorted(
        text
        for text in code_messages()
        if text not in messages or not messages[text].string or messages[text].fuzzy
    )
    assert untranslated == []


@pytest.mark.parametrize("language", ["fi"])
def test_translations_keep_the_placeholders(language) -> None:
    wrong = []
    for message in catalog(language):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        expected = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != expected:
                wrong.append((ids[0], string))
    assert wrong == []


@pytest.mark.parametrize("language", ["fi"])
def test_compiled_catalog_matches_its_source(language) -> None:
    with open(LOCALE / language / "LC_MESSAGES" / "kortisto.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for message in catalog(language):
        if not message.id or not message.string or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            assert (
                compiled.ngettext(message.id[0], message.id[1], 1) == message.string[0]
            )
        else:
            assert compiled.gettext(message.id) == message.string


def test_no_translated_text_hides_inside_an_f_string() -> None:
    # The extractor cannot see into f-strings on Python 3.11, so such a text
    # would silently stay English.
    hidden = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("store", "tui")
        for path in (ROOT / folder).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\{_\(|\{N_\(|\{ngettext\(", line)
    ]
    assert hidden == []
