"""Folding and splitting text for search as you type.

A search term is a word of a customer's data, lower case. Its folded form
drops accents (``ä`` becomes ``a``), so an operator who types ``makinen``
finds ``Mäkinen``; the exact form keeps them, so ``mäki`` ranks the real
Mäki above Maki. Digits are kept as digit strings: phone numbers, business
IDs and postal codes are searched by their digits whatever the punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

_WORD = re.compile(r"[^\W_]+")
_DIGITS_ONLY = re.compile(r"[\d\s\-+().]+")
_NON_DIGIT = re.compile(r"\D")

#: Longest word kept as a term; longer ones are cut, so they still match.
MAX_TERM_LENGTH = 60
#: A query of more words than this uses only the first ones.
MAX_QUERY_WORDS = 6
#: The highest code point: ``prefix + PREFIX_END`` bounds a prefix range.
PREFIX_END = "\U0010ffff"


def fold(text: str) -> str:
    """Lower-case ``text`` and take the accents off its letters."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def exact(text: str) -> str:
    """Lower-case ``text`` keeping its accents (composed form)."""
    return unicodedata.normalize("NFC", text.casefold())


def words(text: str) -> list[str]:
    """Split ``text`` into its words: runs of letters and digits."""
    return _WORD.findall(text)


def sort_name(last_name: str, first_name: str, company: str) -> str:
    """The key the customer list sorts names by."""
    person = " ".join(p for p in (last_name, first_name) if p)
    return fold(person or company)[:300]


@dataclass(frozen=True)
class Term:
    """One searchable word: folded, and exact when folding changed it."""

    term: str
    exact_term: str | None


def _term(word: str) -> Term:
    folded = fold(word)[:MAX_TERM_LENGTH]
    lowered = exact(word)[:MAX_TERM_LENGTH]
    return Term(folded, lowered if lowered != folded else None)


def phone_digits(phone: str, region: str = "FI") -> list[str]:
    """The digit strings a phone number is found by.

    Both the national form (``0401234567``) and the international one
    (``358401234567``), so the operator may type either.
    """
    digits = _NON_DIGIT.sub("", phone)
    found = [digits] if digits else []
    try:
        parsed = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return found
    national = phonenumbers.format_number(
        parsed, phonenumbers.PhoneNumberFormat.NATIONAL
    )
    international = phonenumbers.format_number(
        parsed, phonenumbers.PhoneNumberFormat.E164
    )
    for form in (_NON_DIGIT.sub("", national), international.lstrip("+")):
        if form and form not in found:
            found.append(form)
    return found


def customer_terms(
    *,
    number: int,
    last_name: str = "",
    first_name: str = "",
    company: str = "",
    business_id: str = "",
    street: str = "",
    postal_code: str = "",
    post_town: str = "",
    email: str = "",
    phone: str = "",
    country: str = "FI",
) -> set[Term]:
    """Every term a customer is found by."""
    texts = [last_name, first_name, company, street, post_town, email]
    terms = {_term(w) for text in texts for w in words(text)}
    # "O'Brien" and "Heikkinen-Testi" are also found as one word, since a
    # caller spelling the name does not say the apostrophe or the hyphen.
    for text in texts[:5]:
        for chunk in text.split():
            parts = words(chunk)
            if len(parts) > 1:
                terms.add(_term("".join(parts)))
    terms.add(Term(str(number), None))
    digit_fields = [business_id, postal_code]
    terms.update(
        Term(d, None) for d in (_NON_DIGIT.sub("", f) for f in digit_fields) if d
    )
    # A postal code with letters (abroad) is kept as its words too.
    terms.update(_term(w) for w in words(postal_code))
    if email:
        terms.add(_term(email.strip()))
    if phone:
        terms.update(Term(d, None) for d in phone_digits(phone, country or "FI"))
    return terms


@dataclass(frozen=True)
class QueryWord:
    """One word of what the operator typed, in the forms it is matched by."""

    folded: str
    exact: str
    """The word with its accents; equal to ``folded`` when it has none."""

    @property
    def has_accents(self) -> bool:
        """Whether ranking by the exact form differs from the folded one."""
        return self.exact != self.folded


def query_words(query: str) -> list[QueryWord]:
    """Split a typed query into the words to match, by prefix, all of them.

    Whatever the operator types is only text: quotes, ``*``, ``%``, ``_``
    or ``AND`` mean nothing special. A query of digits and phone
    punctuation (``045-249 40``) is one digit string.
    """
    stripped = query.strip()
    if not stripped:
        return []
    if _DIGITS_ONLY.fullmatch(stripped) and any(c.isdigit() for c in stripped):
        digits = _NON_DIGIT.sub("", stripped)[:MAX_TERM_LENGTH]
        return [QueryWord(digits, digits)]
    found: list[QueryWord] = []
    for word in words(stripped)[:MAX_QUERY_WORDS]:
        term = _term(word)
        found.append(QueryWord(term.term, term.exact_term or term.term))
    return _without_repeats(found)


def _without_repeats(items: Iterable[QueryWord]) -> list[QueryWord]:
    seen: set[QueryWord] = set()
    return [w for w in items if not (w in seen or seen.add(w))]  # type: ignore[func-returns-value]


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """The half-open range of strings that start with ``prefix``."""
    return prefix, prefix + PREFIX_END
