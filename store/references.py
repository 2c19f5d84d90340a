"""Payment references: the Finnish reference number and its RF form.

A Finnish reference number (*viitenumero*) is 3 to 19 digits of base
followed by one check digit computed with the 7-3-1 method: the base's
digits are weighted 7, 3, 1, 7, 3, 1, ... from the right, and the check
digit takes the sum up to the next multiple of ten. It is printed without
leading zeros in groups of five digits counted from the right.

The international form (ISO 11649, *RF-viite*) is ``RF``, two check digits
and the Finnish reference itself; it is printed in groups of four. The
standard's arithmetic (ISO 7064 Mod 97-10) and the RF validation come from
python-stdnum, which has no module for the Finnish check digit.

Kortisto bases an invoice's reference on the invoice number alone, so a
payment can always be matched to exactly one invoice.
"""

from __future__ import annotations

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from store.errors import N_, KortistoError

#: Digits of base a Finnish reference may have, without its check digit.
BASE_DIGITS = range(3, 20)
_WEIGHTS = (7, 3, 1)


class InvalidReference(KortistoError):
    """A text that is not a valid payment reference."""


def _compact(text: str) -> str:
    return "".join(text.split()).upper()


def check_digit(base: str | int) -> str:
    """The 7-3-1 check digit of the reference base ``base``.

    Raises:
        InvalidReference: ``base`` is not 3 to 19 digits.
    """
    digits = _compact(str(base)).lstrip("0")
    if not digits.isdigit() or len(digits) not in BASE_DIGITS:
        raise InvalidReference(
            N_("A reference base is 3 to 19 digits, not {base}."), base=str(base)
        )
    total = sum(
        int(digit) * _WEIGHTS[position % 3]
        for position, digit in enumerate(reversed(digits))
    )
    return str(-total % 10)


def finnish_reference(base: str | int) -> str:
    """The Finnish reference number of ``base``: the base and its check digit."""
    digits = _compact(str(base)).lstrip("0")
    return digits + check_digit(digits)


def is_valid_finnish(reference: str) -> bool:
    """Whether ``reference`` is a Finnish reference with a right check digit."""
    digits = _compact(reference).lstrip("0")
    if not digits.isdigit() or len(digits) - 1 not in BASE_DIGITS:
        return False
    return check_digit(digits[:-1]) == digits[-1]


def validate_finnish(reference: str) -> str:
    """``reference`` without spaces and leading zeros, if it is valid.

    Raises:
        InvalidReference: the check digit is wrong or the length is not 4-20.
    """
    if not is_valid_finnish(reference):
        raise InvalidReference(
            N_("{reference} is not a valid reference number."), reference=reference
        )
    return _compact(reference).lstrip("0")


def format_finnish(reference: str) -> str:
    """``reference`` in groups of five digits from the right, as it is printed."""
    digits = _compact(reference).lstrip("0")
    groups: list[str] = []
    while digits:
        groups.insert(0, digits[-5:])
        digits = digits[:-5]
    return " ".join(groups)


def rf_reference(reference: str) -> str:
    """The RF (ISO 11649) form of the Finnish reference ``reference``, compact.

    Raises:
        InvalidReference: ``reference`` is not a valid Finnish reference.
    """
    digits = validate_finnish(reference)
    # ISO 11649 moves "RF" and the check digits behind the reference and
    # asks for a Mod 97-10 remainder of 1; stdnum reads the letters as 27, 15.
    check = mod_97_10.calc_check_digits(digits + "RF")
    return f"RF{check}{digits}"


def is_valid_rf(reference: str) -> bool:
    """Whether ``reference`` is a valid RF creditor reference."""
    return bool(iso11649.is_valid(reference))


def format_rf(reference: str) -> str:
    """``reference`` in groups of four, as an RF reference is printed."""
    return str(iso11649.format(reference))


def finnish_from_rf(reference: str) -> str:
    """The Finnish reference inside the RF reference ``reference``.

    Raises:
        InvalidReference: ``reference`` is not a valid RF reference, or
            what it carries is not a valid Finnish reference.
    """
    if not is_valid_rf(reference):
        raise InvalidReference(
            N_("{reference} is not a valid RF reference."), reference=reference
        )
    return validate_finnish(_compact(reference)[4:])
