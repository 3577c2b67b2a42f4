"""The SMS form's starting values: a template filled from the chosen contact, appointment
or invoice (the query of a "Text reminder" link, or the pickers on the form)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accounts.models import Organisation
from crm.models import Contact
from crm.phones import phone_display
from invoicing import extensions
from invoicing.models import Invoice
from scheduling.models import Appointment
from torqueflow.numbers import plain_int

from . import mapping
from .segments import segment_count, segment_line


@dataclass
class Compose:
    to: str = ""
    body: str = ""
    template: str = mapping.CUSTOM
    contact: Contact | None = None
    appointment: Appointment | None = None
    invoice: Invoice | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def counter(self) -> str:
        return segment_line(segment_count(self.body))


def _pay_link(request, invoice: Invoice) -> str:
    """A payment link another app offers on the invoice page (Stripe's Pay online), found
    through invoicing's detail panels, so this app never imports a payment provider."""
    for panel in extensions.detail_panels(request, invoice):
        url = panel.context.get("payment_url")
        if url:
            return str(url)
    return ""


def compose_from_query(request, organisation: Organisation, query: Any) -> Compose:
    compose = Compose(to=query.get("to", "")[:40], template=query.get("template", ""))
    appointment_id = plain_int(query.get("appointment", ""))
    invoice_id = plain_int(query.get("invoice", ""))
    contact_id = plain_int(query.get("contact", ""))
    if appointment_id:
        compose.appointment = (
            Appointment.objects.for_org(organisation)
            .select_related("contact", "customer")
            .filter(pk=appointment_id)
            .first()
        )
    if invoice_id:
        compose.invoice = (
            Invoice.objects.for_org(organisation)
            .filter(pk=invoice_id, kind=Invoice.Kind.SALES)
            .select_related("customer")
            .first()
        )
    if contact_id:
        compose.contact = Contact.objects.filter(organisation=organisation, pk=contact_id).first()
    customer = None
    if compose.appointment is not None:
        customer = compose.appointment.customer
        compose.contact = compose.contact or compose.appointment.contact
    elif compose.invoice is not None:
        customer = compose.invoice.customer
    if compose.contact is None and customer is not None:
        compose.contact = customer.contacts.exclude(phone="").order_by("-is_primary", "pk").first()
    if compose.contact is not None and not compose.to:
        compose.to = phone_display(compose.contact.phone, country=organisation.country)
    if compose.template not in mapping.TEMPLATE_KEYS:
        compose.template = (
            mapping.APPOINTMENT
            if compose.appointment
            else mapping.INVOICE
            if compose.invoice
            else mapping.CUSTOM
        )
    values: dict[str, str] = {"business": organisation.name}
    if compose.contact is not None:
        values["first_name"] = mapping.first_name(compose.contact.name)
    elif customer is not None:
        values["first_name"] = mapping.first_name(customer.name)
    if compose.appointment is not None:
        values.update(
            mapping.appointment_values(
                title=compose.appointment.title,
                start=compose.appointment.start,
                zone=organisation.timezone,
            )
        )
    if compose.invoice is not None:
        invoice = compose.invoice
        link = _pay_link(request, invoice)
        values.update(
            invoice_number=invoice.number,
            amount=mapping.amount_text(invoice.balance_due, invoice.currency),
            due_date=mapping.local_date(invoice.due_date),
            pay_link=f" Pay online: {link}" if link else "",
        )
    else:
        values["pay_link"] = ""
    typed = query.get("body")
    if typed is not None and query.get("refill") != "1":
        compose.body = typed
    else:
        compose.body = mapping.template_fill(mapping.template_get(compose.template), values)
    return compose
