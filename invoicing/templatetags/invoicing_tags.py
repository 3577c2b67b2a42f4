from decimal import Decimal

from django import template

from invoicing import extensions
from invoicing.money import plain as plain_decimal

register = template.Library()

AUDIT_LABELS = {
    "invoice.created": "Created",
    "invoice.updated": "Edited",
    "invoice.finalised": "Finalised",
    "invoice.voided": "Voided",
    "invoice.discarded": "Discarded",
    "payment.recorded": "Payment recorded",
    "payment.deleted": "Payment deleted",
}


@register.filter
def price(value: Decimal | None) -> str:
    """A unit price in pennies, with up to four places only when it has them: 80.00, 5.125."""
    if value is None:
        return ""
    pennies = value.quantize(Decimal("0.01"))
    if pennies == value:
        return f"{pennies}"
    return plain_decimal(value)


@register.filter
def plain(value: Decimal | None) -> str:
    return "" if value is None else plain_decimal(value)


@register.filter
def audit_label(action: str) -> str:
    """A readable history line: "invoice.finalised" → "Finalised"; an action another app
    writes, such as "ghl.payment_link_sent", → "Payment link sent"."""
    if action in AUDIT_LABELS:
        return AUDIT_LABELS[action]
    return action.rsplit(".", 1)[-1].replace("_", " ").capitalize()


@register.filter
def payment_source(key: str) -> str:
    """Who recorded a payment that came from another system: "xero" → "Xero"."""
    return extensions.payment_source_label(key)
