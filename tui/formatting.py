"""How values read on screen and on the clipboard: Finnish dates and money,
and the names of codes, in the language in use."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from store.cards import CustomerCard
from tui.i18n import N_, _

CUSTOMER_TYPES = {
    "private": N_("Private"),
    "company": N_("Company"),
    "ad_customer": N_("Ad customer"),
}
INVOICE_DELIVERIES = {
    "paper": N_("Paper"),
    "email": N_("Email"),
    "einvoice": N_("E-invoice"),
}
CONSENT_CHANNELS = {
    "email": N_("Email"),
    "sms": N_("Text message"),
    "phone": N_("Phone"),
    "post": N_("Post"),
}
PRODUCT_KINDS = {"publication": N_("publication"), "ad": N_("ad")}
CONSENT_STATUSES = {"allowed": N_("Allowed"), "denied": N_("Denied")}
EVENT_KINDS = {
    "created": N_("Customer created"),
    "changed": N_("Card changed"),
    "imported": N_("Imported"),
    "subscription": N_("Subscription"),
    "invoice": N_("Invoice"),
    "temporary_address_added": N_("Temporary address added"),
    "temporary_address_changed": N_("Temporary address changed"),
    "temporary_address_removed": N_("Temporary address removed"),
    "suspension_added": N_("Delivery suspension added"),
    "suspension_changed": N_("Delivery suspension changed"),
    "suspension_removed": N_("Delivery suspension removed"),
    "subscription_extended": N_("Subscription extended"),
    "subscription_extension_changed": N_("Subscription extension changed"),
    "subscription_extension_taken_back": N_("Subscription extension taken back"),
    "address_change_added": N_("Address change added"),
    "address_change_changed": N_("Address change changed"),
    "address_change_cancelled": N_("Address change cancelled"),
    "address_change_applied": N_("Address change applied"),
    "subscription_added": N_("Subscription added"),
    "subscription_changed": N_("Subscription changed"),
    "subscription_continued": N_("Subscription continued"),
    "subscription_ended": N_("Subscription ended"),
    "subscription_removed": N_("Subscription removed"),
    "invoice_added": N_("Invoice added"),
    "invoice_created": N_("Invoice made"),
    "invoice_changed": N_("Invoice changed"),
    "invoice_credited": N_("Invoice credited"),
    "invoice_deleted": N_("Invoice deleted"),
}
INVOICE_STATUSES = {
    "draft": N_("Draft"),
    "sent": N_("Sent"),
    "paid": N_("Paid"),
    "credited": N_("Credited"),
}


def label(names: dict[str, str], code: object) -> str:
    """The translated name of ``code``, or the code itself when unknown."""
    text = str(getattr(code, "value", code))
    return _(names[text]) if text in names else text


def date(value: dt.date | None) -> str:
    """A date the Finnish way, ``1.7.2027``; empty for none."""
    return "" if value is None else f"{value.day}.{value.month}.{value.year}"


def money(value: Decimal) -> str:
    """Euros with a decimal comma, ``1 234,50 €``."""
    text = f"{value:,.2f}".replace(",", " ").replace(".", ",")
    return f"{text} €"


def percent(value: Decimal) -> str:
    """A percentage with a decimal comma and no needless zeros."""
    text = f"{value.normalize():f}".replace(".", ",")
    return f"{text} %"


def yes_no(value: bool) -> str:
    """Yes or no in the language in use."""
    return _("Yes") if value else _("No")


def card_as_text(card: CustomerCard) -> str:
    """The customer's details as tidy plain text for the clipboard."""
    c = card.customer
    lines = [(_("Customer number") + f": {c.number}")]
    person = " ".join(p for p in (c.first_name, c.last_name) if p)
    if person:
        lines.append(_("Name") + f": {person}")
    if c.company:
        lines.append(_("Company") + f": {c.company}")
    if c.business_id:
        lines.append(_("Business ID") + f": {c.business_id}")
    lines.append(_("Customer type") + f": {label(CUSTOMER_TYPES, c.customer_type)}")
    address = card.address.lines()
    if address:
        lines.append(_("Address") + ":")
        lines.extend(f"  {line}" for line in address)
    for extra in card.temporary_addresses:
        lines.append(
            _("Temporary address") + f" {date(extra.starts_on)}–{date(extra.ends_on)}:"
        )
        lines.append(f"  {extra.street}")
        lines.append(f"  {extra.postal_code} {extra.post_town}")
    if c.phone:
        lines.append(_("Phone") + f": {c.phone}")
    if c.email:
        lines.append(_("Email") + f": {c.email}")
    lines.append("")
    lines.append(_("Billing details") + ":")
    lines.append(
        "  "
        + _("Invoice delivery")
        + f": {label(INVOICE_DELIVERIES, c.invoice_delivery)}"
    )
    if c.einvoice_address:
        lines.append("  " + _("E-invoice address") + f": {c.einvoice_address}")
    if c.einvoice_operator:
        lines.append("  " + _("Intermediator ID") + f": {c.einvoice_operator}")
    if c.discount_percent:
        lines.append("  " + _("Discount") + f": {percent(c.discount_percent)}")
    for flag, text in (
        (c.consolidated_invoice, _("Consolidated invoice")),
        (c.direct_payment, _("Direct payment")),
        (c.surcharge_exempt, _("No paper-invoice surcharge")),
    ):
        if flag:
            lines.append(f"  {text}")
    if card.payer is not None:
        payer = card.payer
        lines.append("  " + _("Other payer") + f": {payer.name}")
        lines.extend(f"    {line}" for line in payer.address.lines())
        if payer.einvoice_address:
            lines.append(
                "    " + _("E-invoice address") + f": {payer.einvoice_address}"
            )
        if payer.einvoice_operator:
            lines.append(
                "    " + _("Intermediator ID") + f": {payer.einvoice_operator}"
            )
    return "\n".join(lines) + "\n"
