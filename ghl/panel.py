"""The GoHighLevel panel on the invoice page (registered with invoicing.extensions)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from accounts.capabilities import INVOICES_MANAGE
from integrations.models import Connection, SyncRecord
from invoicing.models import AuditLog, Invoice

from . import mapping, selectors
from .services import SENT_ACTION

STATUS_LABELS = {
    "draft": "Draft",
    "sent": "Sent",
    "payment_processing": "Payment processing",
    "paid": "Paid",
    "partially_paid": "Partially paid",
    "void": "Void",
}


def _last_sent(invoice: Invoice) -> dict[str, Any] | None:
    entry = (
        AuditLog.objects.for_org(invoice.organisation)
        .filter(object_type=Invoice._meta.label, object_id=str(invoice.pk), action=SENT_ACTION)
        .order_by("-at", "-pk")
        .first()
    )
    if entry is None:
        return None
    channel = entry.details.get("channel", "")
    return {"channel": mapping.CHANNEL_LABELS.get(channel, channel), "at": entry.at}


def panel_context(
    request, invoice: Invoice, connection: Connection, record: SyncRecord
) -> dict[str, Any]:
    customer = invoice.customer
    membership = getattr(request, "membership", None)
    status = record.remote_status
    can_email = bool(customer and customer.email)
    can_sms = bool(customer and customer.phone)
    return {
        "invoice": invoice,
        "ghl_invoice_id": record.external_id,
        "ghl_status": STATUS_LABELS.get(status, status.replace("_", " ").capitalize()),
        "note": record.badge_note,
        "last_sent": _last_sent(invoice),
        "payment_url": record.details.get("payment_url", ""),
        "can_manage": bool(membership and membership.can(INVOICES_MANAGE)),
        "can_email": can_email,
        "can_sms": can_sms,
        "default_channel": "email" if can_email else ("sms" if can_sms else ""),
        "has_user": bool(connection.settings.get("userId")),
        "live": invoice.status in selectors.COLLECTABLE,
        "refresh_url": reverse("ghl:panel", args=[invoice.pk]),
        "send_url": reverse("ghl:send_link", args=[invoice.pk]),
        "link_url": reverse("ghl:payment_link", args=[invoice.pk]),
        "push_list_url": reverse("ghl:push_list"),
    }


def invoice_panel_context(request, invoice: Invoice) -> dict[str, Any] | None:
    """Shown while GoHighLevel is connected, on a sales invoice it holds. On one it could
    take and collect but does not hold yet, an empty placeholder stands in: it fetches the
    panel when the invoice's sync line settles (Push to GHL), so no reload is needed."""
    if invoice.kind != Invoice.Kind.SALES:
        return None
    connection = selectors.active_connection(organisation=invoice.organisation)
    if connection is None:
        return None
    record = selectors.invoice_record(connection=connection, invoice=invoice)
    if record is None or not record.external_id:
        if invoice.status not in selectors.COLLECTABLE:
            return None
        return {"placeholder": True, "refresh_url": reverse("ghl:panel", args=[invoice.pk])}
    return panel_context(request, invoice, connection, record)
