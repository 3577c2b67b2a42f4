""" "Text reminder" shortcuts, added through the extension points of the invoice page and the
customer page (invoicing and scheduling never import this app)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from accounts.capabilities import INTEGRATIONS_MANAGE
from crm.customer_page import CustomerSection
from invoicing.models import Invoice
from scheduling.models import Appointment

from . import selectors

SMS_TAB = "integrations:provider"


def _sms_url(**query: Any) -> str:
    tab = reverse(SMS_TAB, args=[selectors.KEY])
    return f"{tab}?{urlencode(query)}#sms-compose" if query else tab


def invoice_panel_context(request, invoice: Invoice) -> dict[str, Any] | None:
    membership = getattr(request, "membership", None)
    if invoice.kind != Invoice.Kind.SALES or invoice.status in (
        Invoice.Status.DRAFT,
        Invoice.Status.VOID,
        Invoice.Status.PAID,
    ):
        return None
    if not (membership and membership.can(INTEGRATIONS_MANAGE)):
        return None
    if selectors.active_connection(organisation=invoice.organisation) is None:
        return None
    return {"text_url": _sms_url(template="invoice", invoice=invoice.pk)}


def reminders_context(customer, membership) -> dict[str, Any]:
    if not membership.can(INTEGRATIONS_MANAGE) or (
        selectors.active_connection(organisation=customer.organisation) is None
    ):
        return {"appointments": [], "connected": False, "tab_url": _sms_url()}
    upcoming = (
        Appointment.objects.for_org(customer.organisation)
        .filter(customer=customer, start__gte=timezone.now())
        .exclude(status=Appointment.Status.CANCELLED)
        .order_by("start")[:5]
    )
    return {
        "appointments": [(a, _sms_url(template="appointment", appointment=a.pk)) for a in upcoming],
        "zone": customer.organisation.timezone,
        "connected": True,
    }


REMINDER_SECTION = CustomerSection(
    key="sms_reminders",
    title="Text reminders",
    template="twilio_sms/_customer_section.html",
    context=reminders_context,
    order=45,
    capability=INTEGRATIONS_MANAGE,
)
