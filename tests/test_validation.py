"""Field validators: what the card and the importer keep, and what they refuse."""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal

import pytest

from store.models import Customer
from store.validation import (
    FIELD_LABELS,
    FieldError,
    Phone,
    clean_text,
    column_length,
    validate_business_id,
    validate_country,
    validate_date,
    validate_discount_percent,
    validate_einvoice_address,
    validate_einvoice_operator,
    validate_email,
    validate_phone,
    validate_postal_code,
)


def refusal(call, *args, **kwargs) -> FieldError:
    """The error ``call`` raises; fails the test when it raises none."""
    with pytest.raises(FieldError) as caught:
        call(*args, **kwargs)
    return caught.value


# Text.


def test_finnish_letters_are_kept_and_spaces_stripped() -> None:
    assert clean_text("  Äänekoski Åke Öhman  ", "post_town") == "Äänekoski Åke Öhman"


def test_decomposed_letters_are_composed() -> None:
    typed = unicodedata.normalize("NFD", "Mäkinen")
    assert len(typed) == 8
    assert clean_text(typed, "last_name") == "Mäkinen"


def test_value_as_long_as_its_column_is_kept() -> None:
    limit = column_length("last_name")
    assert clean_text("ä" * limit, "last_name") == "ä" * limit


def test_too_long_value_is_refused_not_cut() -> None:
    error = refusal(clean_text, "a" * 101, "last_name")
    assert error.field == "last_name"
    assert error.message == "{label} is too long: at most {limit} characters"
    assert str(error) == "last name is too long: at most 100 characters"


def test_spaces_around_do_not_count_towards_the_length() -> None:
    assert clean_text("  " + "a" * 100 + "  ", "last_name") == "a" * 100


def test_line_break_is_refused_in_a_single_line_field() -> None:
    error = refusal(clean_text, "Mäki\nnen", "last_name")
    assert str(error) == "last name cannot have line breaks"


def test_control_character_is_refused() -> None:
    error = refusal(clean_text, "Mäki\x00nen", "last_name")
    assert str(error) == "last name has a control character"
    assert str(refusal(clean_text, "Mäki\tnen", "last_name")) == (
        "last name has a control character"
    )


def test_multiline_text_keeps_line_breaks_as_line_feeds() -> None:
    text = clean_text(
        " Vaihtoi osoitetta\r\nkeväällä\rsitten\tpois ", "notes", multiline=True
    )
    assert text == "Vaihtoi osoitetta\nkeväällä\nsitten\tpois"


def test_required_text_cannot_be_only_spaces() -> None:
    error = refusal(clean_text, "   ", "last_name", required=True)
    assert str(error) == "last name is missing"
    assert clean_text("   ", "last_name") == ""


def test_message_and_label_are_translated_together() -> None:
    catalog = {
        "{label} is too long: at most {limit} characters": (
            "{label} on liian pitkä: enintään {limit} merkkiä"
        ),
        "last name": "sukunimi",
    }
    error = refusal(clean_text, "a" * 101, "last_name")
    assert error.describe(lambda m: catalog.get(m, m)) == (
        "sukunimi on liian pitkä: enintään 100 merkkiä"
    )


def test_every_customer_field_label_names_a_column_or_an_import_field() -> None:
    columns = set(Customer.__table__.c.keys())
    extra = {"group", "consent_email", "consent_sms", "consent_phone"}
    assert set(FIELD_LABELS) <= columns | extra


# Business ID.


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("4095597-9", "4095597-9"),
        ("  4095597-9  ", "4095597-9"),
        ("40955979", "4095597-9"),
        ("0737546-2", "0737546-2"),
        ("", ""),
    ],
)
def test_business_id_is_kept_in_its_usual_form(typed: str, kept: str) -> None:
    assert validate_business_id(typed) == kept


def test_business_id_with_wrong_check_digit_is_refused() -> None:
    error = refusal(validate_business_id, "1234567-8")
    assert (error.field, error.message) == (
        "business_id",
        "business ID check digit is wrong",
    )


@pytest.mark.parametrize("typed", ["abc", "123456789", "12345-6", "Y-tunnus ää"])
def test_business_id_of_wrong_shape_is_refused(typed: str) -> None:
    error = refusal(validate_business_id, typed)
    assert error.message == (
        "business ID must be seven digits, a hyphen and a check digit"
    )


def test_very_long_business_id_is_refused() -> None:
    error = refusal(validate_business_id, "4" * 500)
    assert str(error) == "business ID is too long: at most 20 characters"


# Phone.


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("045-2494032", "+358452494032"),
        ("040 717 1851", "+358407171851"),
        ("+358 44 8879217", "+358448879217"),
        ("09 279 1130", "+35892791130"),
        ("00358 40 4429382", "+358404429382"),
        ("+46 8 123 456 78", "+46812345678"),
    ],
)
def test_phone_keeps_typed_form_and_gives_e164(typed: str, e164: str) -> None:
    assert validate_phone(typed) == Phone(typed, e164)


def test_phone_is_stripped_of_spaces_around() -> None:
    assert validate_phone("  045-2494032 ") == Phone("045-2494032", "+358452494032")


def test_empty_phone_is_no_phone() -> None:
    assert validate_phone("  ") == Phone("", "")


@pytest.mark.parametrize("typed", ["040 123", "puhelin", "ääää", "+358 40 123 4567 89"])
def test_invalid_phone_is_refused(typed: str) -> None:
    error = refusal(validate_phone, typed)
    assert (error.field, str(error)) == ("phone", "phone number is not valid")


def test_very_long_phone_is_refused() -> None:
    error = refusal(validate_phone, "040" * 100)
    assert str(error) == "phone number is too long: at most 40 characters"


# Email.


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("pvartiainen@example.net", "pvartiainen@example.net"),
        ("  Matti.Meikalainen@EXAMPLE.FI ", "Matti.Meikalainen@example.fi"),
        ("matti@mäkelä.fi", "matti@mäkelä.fi"),
    ],
)
def test_email_is_kept_normalised(typed: str, kept: str) -> None:
    assert validate_email(typed) == kept


@pytest.mark.parametrize(
    "typed",
    [
        "matti.meikalainen@",
        "@example.fi",
        "matti@localhost",
        "mätti@example.fi",
        "a b@c.fi",
    ],
)
def test_invalid_email_is_refused(typed: str) -> None:
    error = refusal(validate_email, typed)
    assert (error.field, str(error)) == ("email", "email address is not valid")


def test_very_long_email_is_refused() -> None:
    error = refusal(validate_email, "a" * 250 + "@example.fi")
    assert str(error) == "email address is too long: at most 254 characters"


# Country and postal code.


@pytest.mark.parametrize(("typed", "kept"), [("fi", "FI"), (" SE ", "SE"), ("", "FI")])
def test_country_is_a_two_letter_code(typed: str, kept: str) -> None:
    assert validate_country(typed) == kept


@pytest.mark.parametrize("typed", ["Suomi", "F", "F1", "ÄÖ"])
def test_country_other_than_a_code_is_refused(typed: str) -> None:
    error = refusal(validate_country, typed)
    assert error.message == "country must be a two-letter code such as FI"


@pytest.mark.parametrize("typed", ["00100", " 99999 ", "09171"])
def test_finnish_postal_code_has_five_digits(typed: str) -> None:
    assert validate_postal_code(typed) == typed.strip()


@pytest.mark.parametrize("typed", ["04", "0010", "001000", "00 100", "ABCDE", "٠٠١٠٠"])
def test_finnish_postal_code_of_other_shape_is_refused(typed: str) -> None:
    error = refusal(validate_postal_code, typed, "FI")
    assert (error.field, str(error)) == (
        "postal_code",
        "postal code must have five digits",
    )


def test_postal_code_abroad_is_checked_for_shape_only() -> None:
    assert validate_postal_code("123 45", "SE") == "123 45"
    assert validate_postal_code("sw1a 1aa", "GB") == "SW1A 1AA"
    assert str(refusal(validate_postal_code, "!?", "SE")) == "postal code is not valid"


def test_very_long_postal_code_is_refused() -> None:
    error = refusal(validate_postal_code, "1" * 21, "SE")
    assert str(error) == "postal code is too long: at most 20 characters"


# Discount.


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("12,5", Decimal("12.50")),
        ("12.5", Decimal("12.50")),
        (" 10 ", Decimal("10.00")),
        ("0", Decimal("0.00")),
        ("100", Decimal("100.00")),
        ("100,00", Decimal("100.00")),
        ("5 %", Decimal("5.00")),
        ("", Decimal("0.00")),
    ],
)
def test_discount_percent_accepts_decimal_comma(typed: str, kept: Decimal) -> None:
    assert validate_discount_percent(typed) == kept


@pytest.mark.parametrize("typed", ["150", "-1", "100,01"])
def test_discount_out_of_range_is_refused(typed: str) -> None:
    error = refusal(validate_discount_percent, typed)
    assert (error.field, str(error)) == (
        "discount_percent",
        "discount must be between 0 and 100",
    )


@pytest.mark.parametrize("typed", ["abc", "NaN", "1e2", "12,5,0", "kymmenen"])
def test_discount_that_is_not_a_number_is_refused(typed: str) -> None:
    assert str(refusal(validate_discount_percent, typed)) == "discount must be a number"


def test_discount_with_more_than_two_decimals_is_refused() -> None:
    error = refusal(validate_discount_percent, "12,345")
    assert str(error) == "discount can have at most two decimals"


def test_very_long_discount_is_refused() -> None:
    error = refusal(validate_discount_percent, "1" * 50)
    assert str(error) == "discount is too long: at most 20 characters"


# Dates.


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("24.03.2024", dt.date(2024, 3, 24)),
        (" 1.2.2020 ", dt.date(2020, 2, 1)),
        ("29.02.2024", dt.date(2024, 2, 29)),
    ],
)
def test_date_is_read_day_month_year(typed: str, kept: dt.date) -> None:
    assert validate_date(typed, "created_on") == kept


@pytest.mark.parametrize(
    "typed", ["29.02.2023", "31.04.2020", "00.01.2020", "12.13.2020"]
)
def test_date_that_does_not_exist_is_refused(typed: str) -> None:
    error = refusal(validate_date, typed, "created_on")
    assert (error.field, str(error)) == ("created_on", "date does not exist")


@pytest.mark.parametrize("typed", ["2024-03-24", "24/03/2024", "24.03.24", "huomenna"])
def test_date_in_another_form_is_refused(typed: str) -> None:
    error = refusal(validate_date, typed, "created_on")
    assert str(error) == "date must be written dd.mm.yyyy"


def test_empty_date_is_none_unless_required() -> None:
    assert validate_date("  ", "created_on") is None
    error = refusal(validate_date, "", "created_on", required=True)
    assert str(error) == "creation date is missing"


def test_very_long_date_is_refused() -> None:
    error = refusal(validate_date, "1" * 30, "created_on")
    assert str(error) == "creation date is too long: at most 20 characters"


# E-invoice address and intermediator.


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("003712345672", "003712345672"),
        (" 003740955979 ", "003740955979"),
        ("0037 4095 5979 001", "003740955979001"),
        ("FI21 1234 5600 0007 85", "FI2112345600000785"),
        ("", ""),
    ],
)
def test_einvoice_address_is_an_ovt_code_or_an_iban(typed: str, kept: str) -> None:
    assert validate_einvoice_address(typed) == kept


def test_einvoice_address_with_wrong_iban_check_digits_is_refused() -> None:
    error = refusal(validate_einvoice_address, "FI21 1234 5600 0007 86")
    assert (error.field, str(error)) == (
        "einvoice_address",
        "e-invoice address is not a valid IBAN",
    )


@pytest.mark.parametrize(
    "typed", ["12345", "0037123", "verkkolasku@äkäs.fi", "0037123456789ABCDEF"]
)
def test_einvoice_address_of_other_shape_is_refused(typed: str) -> None:
    error = refusal(validate_einvoice_address, typed)
    assert str(error) == "e-invoice address must be an OVT code (0037…) or an IBAN"


def test_very_long_einvoice_address_is_refused() -> None:
    error = refusal(validate_einvoice_address, "0037" * 20)
    assert str(error) == "e-invoice address is too long: at most 40 characters"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("NDEAFIHH", "NDEAFIHH"),
        (" okoyfihh ", "OKOYFIHH"),
        ("HELSFIHHXXX", "HELSFIHHXXX"),
        ("003723327487", "003723327487"),
        ("", ""),
    ],
)
def test_intermediator_is_an_ovt_code_or_a_bic(typed: str, kept: str) -> None:
    assert validate_einvoice_operator(typed) == kept


@pytest.mark.parametrize("typed", ["NDEA", "NDEAFIH", "1234FIHH", "NÄEAFIHH"])
def test_intermediator_of_other_shape_is_refused(typed: str) -> None:
    error = refusal(validate_einvoice_operator, typed)
    assert error.field == "einvoice_operator"
    assert error.message == (
        "intermediator ID must be an OVT code (0037…) or a BIC such as NDEAFIHH"
    )


def test_very_long_intermediator_is_refused() -> None:
    error = refusal(validate_einvoice_operator, "N" * 41)
    assert str(error) == "intermediator ID is too long: at most 40 characters"
