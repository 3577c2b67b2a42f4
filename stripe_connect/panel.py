"""The Stripe panel on the invoice page (registered with invoicing.extensions): "Pay online"
and the payment link, on a finalised sales invoice with something left to pay."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from accounts.capabilities import INVOICES_MANAGE
from invoicing.models import Invoice

from . import mapping, selectors


def invoice_panel_context(request, invoice: Invoice) -> dict[str, Any] | None:
    if invoice.kind != Invoice.Kind.SALES or invoice.status not in selectors.COLLECTABLE:
        return None
    connection = selectors.active_connection(organisation=invoice.organisation)
    if connection is None:
        return None
    amount = mapping.minor_units(invoice.balance_due, invoice.currency)
    if amount <= 0:
        return None
    session = selectors.open_session(invoice=invoice, amount=amount, currency=invoice.currency)
    membership = getattr(request, "membership", None)
    return {
        "invoice": invoice,
        "session": session,
        "payment_url": session.url if session else "",
        "can_manage": bool(membership and membership.can(INVOICES_MANAGE)),
        "pay_url": reverse("stripe_connect:pay_online", args=[invoice.pk]),
        "test_mode": connection.settings.get("mode") == "test",
    }
