"""The billing rules, one table at a time, and their combinations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from store import billing
from store.billing import (
    SUBSCRIPTION_LINE,
    SURCHARGE_LINE,
    LineDraft,
    PayerTerms,
    Period,
    Recipient,
    SubscriptionTerms,
    SurchargeSetting,
)
from store.cards import Address
from store.delivery import delivery_data, mailing_address
from store.models import (
    Customer,
    InvoiceDelivery,
    Payer,
    ProductKind,
    TemporaryAddress,
)

D = Decimal
PAPER, EMAIL, EINVOICE = (
    InvoiceDelivery.PAPER,
    InvoiceDelivery.EMAIL,
    InvoiceDelivery.EINVOICE,
)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# -- Line amounts -------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "unit", "discount", "vat", "expected"),
    [
        # quantity, unit price, discount %, VAT % -> discount, gross, vat, net
        (1, "100.00", "0", "25.5", ("0.00", "100.00", "20.32", "79.68")),
        (3, "9.99", "10", "14", ("3.00", "26.97", "3.31", "23.66")),
        # Half a cent rounds up: 1.25 * 10 % = 0.125 -> 0.13.
        (1, "1.25", "10", "14", ("0.13", "1.12", "0.14", "0.98")),
        (2, "0.05", "50", "10", ("0.05", "0.05", "0.00", "0.05")),
        (5, "39.90", "0", "0", ("0.00", "199.50", "0.00", "199.50")),
        (1, "299.00", "12.5", "14", ("37.38", "261.62", "32.13", "229.49")),
    ],
)
def test_line_amounts_are_rounded_to_the_cent_per_line(
    quantity: int, unit: str, discount: str, vat: str, expected: tuple[str, ...]
) -> None:
    line = billing.line_amounts(quantity, D(unit), D(discount), D(vat))
    assert (line.discount, line.gross, line.vat, line.net) == tuple(
        D(x) for x in expected
    )
    assert line.net + line.vat == line.gross


def test_a_negated_line_cancels_the_original_to_the_cent() -> None:
    line = billing.line_amounts(3, D("9.99"), D("10"), D("14"))
    credit = line.negated()
    assert credit.quantity == -3
    assert (line.gross + credit.gross, line.vat + credit.vat) == (D(0), D(0))
    # Rounding half away from zero is symmetric, so computing the credit
    # from a negative quantity gives the same cents.
    assert billing.line_amounts(-3, D("9.99"), D("10"), D("14")) == credit


def test_totals_are_sums_of_the_rounded_lines() -> None:
    prices = ["0.33", "1.17", "12.345", "9.99", "0.01", "100.05"]
    lines = [
        billing.ComposedLine(
            LineDraft(MANUAL, "x", 1 + i, D(p), D("14")),
            billing.line_amounts(1 + i, D(p), D("7.5"), D("14")),
        )
        for i, p in enumerate(prices)
    ]
    totals = billing.totals_of(lines)
    assert totals.gross == sum(line.amounts.gross for line in lines)
    assert totals.net + totals.vat == totals.gross
    assert totals.gross == totals.gross.quantize(D("0.01"))


MANUAL = billing.MANUAL_LINE


# -- Surcharge ----------------------------------------------------------------

S = SurchargeSetting


@pytest.mark.parametrize(
    ("delivery", "exempt", "total", "ad", "setting", "expected"),
    [
        (PAPER, False, "10.00", False, S(D("5.00")), "5.00"),
        (EMAIL, False, "10.00", False, S(D("5.00")), "0.00"),
        (EINVOICE, False, "10.00", False, S(D("5.00")), "0.00"),
        (PAPER, True, "10.00", False, S(D("5.00")), "0.00"),
        # Only invoices over the minimum total.
        (PAPER, False, "50.00", False, S(D("5.00"), D("50.00")), "0.00"),
        (PAPER, False, "50.01", False, S(D("5.00"), D("50.00")), "5.00"),
        # Only ad invoices.
        (PAPER, False, "80.00", False, S(D("5.00"), D(0), True), "0.00"),
        (PAPER, False, "80.00", True, S(D("5.00"), D(0), True), "5.00"),
        (PAPER, False, "40.00", True, S(D("5.00"), D("50.00"), True), "0.00"),
        (PAPER, True, "80.00", True, S(D("5.00"), D(0), True), "0.00"),
        # No surcharge set.
        (PAPER, False, "80.00", False, S(D("0.00")), "0.00"),
    ],
)
def test_surcharge_is_due_only_where_the_limits_allow(
    delivery: InvoiceDelivery,
    exempt: bool,
    total: str,
    ad: bool,
    setting: SurchargeSetting,
    expected: str,
) -> None:
    found = billing.surcharge_due(
        delivery=delivery,
        exempt=exempt,
        total=D(total),
        has_ad_line=ad,
        setting=setting,
    )
    assert found == D(expected)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (
            {"amount": "5.00", "minimum_total": "0.00", "only_ad_invoices": False},
            S(D("5.00"), D("0.00"), False),
        ),
        (
            {"amount": "2.5", "minimum_total": "50", "only_ad_invoices": True},
            S(D("2.50"), D("50.00"), True),
        ),
        ({"amount": "x"}, S()),
        (None, S()),
    ],
)
def test_surcharge_setting_is_read_from_its_json(
    stored: object, expected: SurchargeSetting
) -> None:
    assert billing.surcharge_setting(stored) == expected


@pytest.mark.parametrize(
    ("stored", "days"), [(14, 14), ("21", 21), (None, 14), (-3, 14), ("x", 14)]
)
def test_payment_term_is_read_from_its_json(stored: object, days: int) -> None:
    assert billing.payment_term_days(stored) == days
    assert billing.due_date(day("2026-12-03"), days) == day(
        "2026-12-03"
    ) + dt.timedelta(days=days)


# -- Composing invoices -------------------------------------------------------


def recipient(delivery: InvoiceDelivery = PAPER) -> Recipient:
    return Recipient("Virtanen Liisa", "Katu 1", "00100", "Helsinki", "FI", delivery)


def payer(
    *,
    discount: str = "0",
    consolidated: bool = False,
    exempt: bool = False,
    direct: bool = False,
    delivery: InvoiceDelivery = PAPER,
) -> PayerTerms:
    return PayerTerms(
        customer_id=1,
        customer_number=100001,
        discount_percent=D(discount),
        consolidated=consolidated,
        surcharge_exempt=exempt,
        direct_payment=direct,
        recipient=recipient(delivery),
    )


def subscription_line(
    subscription_id: int,
    price: str,
    *,
    copies: int = 1,
    vat: str = "14",
    kind: ProductKind = ProductKind.PUBLICATION,
) -> LineDraft:
    return LineDraft(
        kind=SUBSCRIPTION_LINE,
        description="Päivälehti",
        quantity=copies,
        unit_price=D(price),
        vat_percent=D(vat),
        product_id=1,
        product_kind=kind,
        subscription_id=subscription_id,
        period=Period(day("2027-01-01"), day("2027-01-31")),
    )


LIMIT_50 = S(D("5.00"), D("50.00"))


def test_consolidated_discounted_payer_over_the_limit_gets_one_surcharged_invoice() -> (
    None
):
    lines = [
        subscription_line(1, "29.90"),
        subscription_line(2, "14.90"),
        subscription_line(3, "12.50", copies=2),
    ]
    terms = payer(discount="10", consolidated=True)
    groups = billing.group_for_invoices(
        lines, terms.consolidated, lambda d: d.subscription_id
    )
    assert len(groups) == 1
    invoice = billing.compose_invoice(groups[0], terms, LIMIT_50)
    gross = [line.amounts.gross for line in invoice.lines]
    # 29.90 - 2.99, 14.90 - 1.49, 25.00 - 2.50, then the surcharge undiscounted.
    assert gross == [D("26.91"), D("13.41"), D("22.50"), D("5.00")]
    assert invoice.lines[-1].draft.kind == SURCHARGE_LINE
    assert invoice.totals.gross == D("67.82")
    assert invoice.totals.surcharge == D("5.00")
    assert invoice.totals.net + invoice.totals.vat == invoice.totals.gross


def test_the_limit_is_on_the_discounted_total() -> None:
    # 55.00 before the discount, 49.50 after it: under the limit.
    lines = [subscription_line(1, "30.00"), subscription_line(2, "25.00")]
    invoice = billing.compose_invoice(
        lines, payer(discount="10", consolidated=True), LIMIT_50
    )
    assert invoice.totals.gross == D("49.50")
    assert invoice.totals.surcharge == D("0.00")
    assert all(line.draft.kind != SURCHARGE_LINE for line in invoice.lines)


def test_payer_without_consolidation_gets_one_invoice_per_subscription() -> None:
    lines = [
        subscription_line(1, "29.90"),
        subscription_line(2, "14.90"),
        subscription_line(1, "29.90"),
    ]
    groups = billing.group_for_invoices(lines, False, lambda d: d.subscription_id)
    assert [[d.subscription_id for d in g] for g in groups] == [[1, 1], [2]]
    invoices = [billing.compose_invoice(g, payer(), S(D("5.00"))) for g in groups]
    assert [i.totals.surcharge for i in invoices] == [D("5.00"), D("5.00")]


def test_exempt_payer_gets_no_surcharge() -> None:
    invoice = billing.compose_invoice(
        [subscription_line(1, "99.00")], payer(exempt=True), LIMIT_50
    )
    assert invoice.totals.surcharge == D("0.00")
    assert invoice.totals.gross == D("99.00")


def test_ad_only_surcharge_skips_subscription_invoices() -> None:
    ad_only = S(D("5.00"), D("0.00"), True)
    paper = billing.compose_invoice([subscription_line(1, "99.00")], payer(), ad_only)
    ad = billing.compose_invoice(
        [subscription_line(1, "99.00", vat="25.5", kind=ProductKind.AD)],
        payer(),
        ad_only,
    )
    assert paper.totals.surcharge == D("0.00")
    assert ad.totals.surcharge == D("5.00")
    # The surcharge takes the VAT of the supply it comes with.
    assert ad.lines[-1].amounts.vat_percent == D("25.5")
    assert ad.lines[-1].amounts.vat == D("1.02")


def test_email_payer_or_an_email_invoice_gets_no_surcharge() -> None:
    by_payer = billing.compose_invoice(
        [subscription_line(1, "99.00")], payer(delivery=EMAIL), S(D("5.00"))
    )
    by_invoice = billing.compose_invoice(
        [subscription_line(1, "99.00")], payer(), S(D("5.00")), delivery=EMAIL
    )
    assert by_payer.totals.surcharge == by_invoice.totals.surcharge == D("0.00")
    assert by_invoice.delivery == EMAIL


def test_direct_payment_payers_invoices_are_marked() -> None:
    invoice = billing.compose_invoice(
        [subscription_line(1, "10.00")], payer(direct=True), S(D("5.00"))
    )
    assert invoice.direct_payment


def test_surcharge_vat_follows_the_largest_line() -> None:
    lines = [
        subscription_line(1, "10.00", vat="25.5"),
        subscription_line(2, "60.00", vat="14"),
    ]
    invoice = billing.compose_invoice(lines, payer(discount="10"), LIMIT_50)
    surcharge = invoice.lines[-1].amounts
    assert (surcharge.vat_percent, surcharge.gross, surcharge.discount) == (
        D("14"),
        D("5.00"),
        D("0.00"),
    )


# -- Periods ------------------------------------------------------------------


def terms(
    starts: str,
    *,
    ends: str | None = None,
    months: int = 12,
    continuous: bool = False,
    billed: str | None = None,
    price: str = "120.00",
) -> SubscriptionTerms:
    return SubscriptionTerms(
        starts_on=day(starts),
        ends_on=day(ends) if ends else None,
        term_months=months,
        continuous=continuous,
        billed_until=day(billed) if billed else None,
        unit_price=D(price),
        copies=1,
    )


def periods(found: list[billing.DuePeriod]) -> list[tuple[str, str, str]]:
    return [
        (p.period.start.isoformat(), p.period.end.isoformat(), str(p.unit_price))
        for p in found
    ]


@pytest.mark.parametrize(
    ("subscription", "on", "expected"),
    [
        # A fixed term is billed whole when it starts.
        (
            terms("2027-01-01", ends="2027-12-31"),
            "2027-01-01",
            [("2027-01-01", "2027-12-31", "120.00")],
        ),
        (terms("2027-01-02", ends="2028-01-01"), "2027-01-01", []),
        (terms("2027-01-01", ends="2027-12-31", billed="2027-12-31"), "2027-06-01", []),
        # An end moved later by a suspension is not billed again.
        (terms("2027-01-01", ends="2028-01-14", billed="2027-12-31"), "2028-01-10", []),
        # Ended early before it was billed: its days only.
        (
            terms("2027-01-01", ends="2027-06-30"),
            "2027-01-01",
            [("2027-01-01", "2027-06-30", "59.51")],
        ),
        # Continuous monthly, three months behind.
        (
            terms("2027-01-15", months=1, continuous=True, price="30.00"),
            "2027-03-20",
            [
                ("2027-01-15", "2027-02-14", "30.00"),
                ("2027-02-15", "2027-03-14", "30.00"),
                ("2027-03-15", "2027-04-14", "30.00"),
            ],
        ),
        (
            terms(
                "2027-01-15",
                months=1,
                continuous=True,
                billed="2027-04-14",
                price="30.00",
            ),
            "2027-04-14",
            [],
        ),
        # Ended in the middle of a period: the last one is cut short.
        (
            terms(
                "2027-01-01",
                ends="2027-02-14",
                months=1,
                continuous=True,
                billed="2027-01-31",
                price="28.00",
            ),
            "2027-03-01",
            [("2027-02-01", "2027-02-14", "14.00")],
        ),
        # Quarterly from the 31st: the periods never drift.
        (
            terms("2027-01-31", months=3, continuous=True, price="90.00"),
            "2027-05-01",
            [
                ("2027-01-31", "2027-04-29", "90.00"),
                ("2027-04-30", "2027-07-30", "90.00"),
            ],
        ),
        # Billed part way into a period (as an upgrade leaves older
        # subscriptions): the rest of that period, prorated.
        (
            terms(
                "2027-01-01",
                months=1,
                continuous=True,
                billed="2027-01-15",
                price="31.00",
            ),
            "2027-01-20",
            [("2027-01-16", "2027-01-31", "16.00")],
        ),
    ],
)
def test_due_periods(
    subscription: SubscriptionTerms, on: str, expected: list[tuple[str, str, str]]
) -> None:
    assert periods(billing.due_periods(subscription, day(on))) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2027-01-31", 1, "2027-02-28"),
        ("2028-01-31", 1, "2028-02-29"),
        ("2027-11-15", 3, "2028-02-15"),
        ("2027-03-31", -1, "2027-02-28"),
    ],
)
def test_add_months_keeps_to_the_months_end(
    start: str, months: int, expected: str
) -> None:
    assert billing.add_months(day(start), months) == day(expected)


def test_undelivered_part_after_a_new_end() -> None:
    period = Period(day("2027-01-01"), day("2027-12-31"))
    assert billing.undelivered(period, day("2027-06-30")) == Period(
        day("2027-07-01"), day("2027-12-31")
    )
    assert billing.undelivered(period, day("2027-12-31")) is None


# -- The invoice address ------------------------------------------------------


def customer(**fields: object) -> Customer:
    values: dict[str, object] = {
        "id": 1,
        "number": 100001,
        "last_name": "Virtanen",
        "first_name": "Liisa",
        "company": "",
        "street": "Kotikatu 1",
        "postal_code": "00100",
        "post_town": "Helsinki",
        "country": "FI",
        "invoice_delivery": PAPER,
        "einvoice_address": "",
        "einvoice_operator": "",
    }
    values.update(fields)
    return Customer(**values)


def temporary(
    all_mail: bool, starts: str = "2027-06-01", ends: str = "2027-08-31"
) -> TemporaryAddress:
    return TemporaryAddress(
        id=1,
        customer_id=1,
        street="Mökkitie 5",
        postal_code="41800",
        post_town="Korpilahti",
        country="FI",
        starts_on=day(starts),
        ends_on=day(ends),
        all_mail=all_mail,
    )


def mail(person: Customer, addresses: list[TemporaryAddress], on: str) -> Address:
    return mailing_address(
        delivery_data(person, temporary_addresses=addresses), day(on)
    )


@pytest.mark.parametrize(
    ("addresses", "on", "street"),
    [
        ([], "2027-07-01", "Kotikatu 1"),
        ([temporary(all_mail=True)], "2027-07-01", "Mökkitie 5"),
        ([temporary(all_mail=False)], "2027-07-01", "Kotikatu 1"),
        ([temporary(all_mail=True)], "2027-09-01", "Kotikatu 1"),
    ],
)
def test_invoice_goes_to_the_temporary_address_only_when_it_takes_all_mail(
    addresses: list[TemporaryAddress], on: str, street: str
) -> None:
    payer = customer()
    found = billing.invoice_recipient(payer, None, None, mail(payer, addresses, on))
    assert found.street == street
    assert found.name == "Virtanen Liisa"


def test_typed_in_other_payer_gets_the_invoice_its_own_way() -> None:
    other = Payer(
        customer_id=1,
        payer_customer_id=None,
        name="Oy Maksaja Ab",
        street="Laskutie 2",
        postal_code="33100",
        post_town="Tampere",
        country="FI",
        einvoice_address="003712345678",
        einvoice_operator="003721291126",
        invoice_delivery=EINVOICE,
    )
    payer = customer()
    found = billing.invoice_recipient(
        payer, other, None, mail(payer, [temporary(all_mail=True)], "2027-07-01")
    )
    assert (found.name, found.street, found.delivery, found.einvoice_address) == (
        "Oy Maksaja Ab",
        "Laskutie 2",
        EINVOICE,
        "003712345678",
    )


def test_other_payer_customer_gets_it_as_their_own_card_says() -> None:
    mother = customer(
        id=2,
        number=100002,
        first_name="Aino",
        street="Äidintie 3",
        invoice_delivery=EMAIL,
    )
    other = Payer(
        customer_id=1,
        payer_customer_id=2,
        name="",
        street="",
        postal_code="",
        post_town="",
        country="FI",
        einvoice_address="",
        einvoice_operator="",
        invoice_delivery=PAPER,
    )
    at_home = billing.invoice_recipient(
        customer(), other, mother, mail(mother, [], "2027-07-01")
    )
    away = billing.invoice_recipient(
        customer(),
        other,
        mother,
        mail(mother, [temporary(all_mail=True)], "2027-07-01"),
    )
    assert (at_home.name, at_home.street, at_home.delivery) == (
        "Virtanen Aino",
        "Äidintie 3",
        EMAIL,
    )
    assert away.street == "Mökkitie 5"
