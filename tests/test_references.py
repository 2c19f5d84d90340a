"""Payment references against published examples."""

from __future__ import annotations

import pytest
from stdnum import iso11649

from store.references import (
    InvalidReference,
    check_digit,
    finnish_from_rf,
    finnish_reference,
    format_finnish,
    format_rf,
    is_valid_finnish,
    is_valid_rf,
    rf_reference,
    validate_finnish,
)


@pytest.mark.parametrize(
    ("base", "reference"),
    [
        # Finance Finland's guide to the domestic reference: 123 -> 1232.
        ("123", "1232"),
        # The banks' example printed as "12 34561".
        ("123456", "1234561"),
        # A long base, printed as "1 23456 71234 56784".
        ("123456712345678", "1234567123456784"),
        # A check digit of zero: 8*7 + 1*3 + 1*1 = 60.
        ("118", "1180"),
    ],
)
def test_finnish_reference_has_the_7_3_1_check_digit(base: str, reference: str) -> None:
    assert finnish_reference(base) == reference
    assert is_valid_finnish(reference)


def test_printed_in_groups_of_five_from_the_right() -> None:
    assert format_finnish("1234561") == "12 34561"
    assert format_finnish("1234567123456784") == "1 23456 71234 56784"


def test_leading_zeros_and_spaces_are_not_part_of_the_reference() -> None:
    assert validate_finnish("00 12 34561") == "1234561"


@pytest.mark.parametrize("wrong", ["1234562", "123", "12a4561", "", "1" * 21])
def test_a_wrong_check_digit_or_length_is_refused(wrong: str) -> None:
    assert not is_valid_finnish(wrong)
    with pytest.raises(InvalidReference):
        validate_finnish(wrong)


@pytest.mark.parametrize("base", ["12", "1" * 20, "12x"])
def test_a_base_must_be_3_to_19_digits(base: str) -> None:
    with pytest.raises(InvalidReference):
        check_digit(base)


def test_check_digit_of_every_weight_position() -> None:
    # 9 8 7 6 5 4 3 2 1 from the right weighs 7 3 1 7 3 1 7 3 1:
    # 7 + 6 + 3 + 28 + 15 + 6 + 49 + 24 + 9 = 147, up to 150: check 3.
    assert check_digit("987654321") == "3"


def test_rf_form_of_the_standards_example() -> None:
    # ISO 11649's worked example: RF18 5390 0754 7034.
    assert rf_reference_digits("539007547034") == "RF18539007547034"


def rf_reference_digits(digits: str) -> str:
    # The standard's example carries no Finnish check digit, so compute the
    # RF check the way rf_reference does for a Finnish one.
    from stdnum.iso7064 import mod_97_10

    return f"RF{mod_97_10.calc_check_digits(digits + 'RF')}{digits}"


@pytest.mark.parametrize("base", ["123", "123456", "100001", "1234567890123456789"])
def test_rf_form_of_a_finnish_reference_validates(base: str) -> None:
    reference = finnish_reference(base)
    rf = rf_reference(reference)
    assert rf.startswith("RF")
    assert rf.endswith(reference)
    assert is_valid_rf(rf)
    assert iso11649.validate(rf) == rf
    assert finnish_from_rf(format_rf(rf)) == reference


def test_rf_of_the_banks_example() -> None:
    assert rf_reference("1234561") == "RF341234561"
    assert format_rf("RF341234561") == "RF34 1234 561"


def test_rf_form_needs_a_valid_finnish_reference() -> None:
    with pytest.raises(InvalidReference):
        rf_reference("1234562")
    with pytest.raises(InvalidReference):
        finnish_from_rf("RF351234561")
