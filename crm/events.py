"""Every business event the product announces, and the payload each one carries.

A service announces an event inside the transaction that made the change:
`announce(LEAD_CREATED, lead)`. The event's own signal is sent, then `announced` (for
listeners that take every event, like outbound webhooks), each with `event` (the name),
`organisation_id`, `payload` and `obj` (the object the event is about).

The payload is what an outbound webhook sends, so its shape is a contract: an envelope
(`id`, `type`, `version`, `occurred_at`, `organisation_id`) around `data`, built by one
function per event. Add fields freely; renaming or removing one needs a new `version`.
Amounts are strings with two decimals ("114.00"), dates ISO 8601, times ISO 8601 in UTC.
"""

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

LEAD_CREATED = "lead.created"
QUOTE_ACCEPTED = "quote.accepted"
INVOICE_FINALISED = "invoice.finalised"
INVOICE_PAID = "invoice.paid"
PAYMENT_RECORDED = "payment.recorded"
APPOINTMENT_BOOKED = "appointment.booked"
APPOINTMENT_RESCHEDULED = "appointment.rescheduled"
APPOINTMENT_CANCELLED = "appointment.cancelled"

VERSION = 1

announced = Signal()


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _date(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _time(value: datetime.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _party(party) -> dict[str, Any] | None:
    if party is None:
        return None
    return {
        "id": party.pk,
        "name": party.name,
        "company_name": party.company_name,
        "email": party.email,
    }


def _contact(contact) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {
        "id": contact.pk,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
    }


def _person(user) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.email, "email": user.email}


def invoice_data(invoice) -> dict[str, Any]:
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "status": invoice.status,
        "reference": invoice.reference,
        "currency": invoice.currency,
        "issue_date": _date(invoice.issue_date),
        "due_date": _date(invoice.due_date),
        "subtotal": _money(invoice.subtotal),
        "tax_total": _money(invoice.tax_total),
        "total": _money(invoice.total),
        "amount_paid": _money(invoice.amount_paid),
        "balance_due": _money(invoice.balance_due),
        "finalised_at": _time(invoice.finalised_at),
        "customer": _party(invoice.customer),
    }


def payment_data(payment) -> dict[str, Any]:
    return {
        "id": payment.pk,
        "amount": _money(payment.amount),
        "date": _date(payment.date),
        "method": payment.method.name,
        "reference": payment.reference,
        "source": payment.source,
        "invoice": invoice_data(payment.invoice),
    }


def lead_data(lead) -> dict[str, Any]:
    return {
        "id": lead.pk,
        "name": lead.name,
        "company": lead.company,
        "email": lead.email,
        "phone": lead.phone,
        "source": lead.source,
        "status": lead.status,
        "message": lead.message,
        "created_at": _time(lead.created_at),
    }


def quote_data(quote) -> dict[str, Any]:
    return {
        "id": quote.pk,
        "number": quote.number,
        "status": quote.status,
        "currency": quote.currency,
        "issue_date": _date(quote.issue_date),
        "expiry_date": _date(quote.expiry_date),
        "subtotal": _money(quote.subtotal),
        "tax_total": _money(quote.tax_total),
        "total": _money(quote.total),
        "accepted_at": _time(quote.accepted_at),
        "customer": _party(quote.customer),
        "contact": _contact(quote.contact),
    }


def appointment_data(appointment) -> dict[str, Any]:
    return {
        "id": appointment.pk,
        "title": appointment.title,
        "status": appointment.status,
        "start": _time(appointment.start),
        "end": _time(appointment.end),
        "time_zone": appointment.organisation.timezone,
        "location_type": appointment.location_type,
        "address": appointment.address,
        "meeting_url": appointment.meeting_url,
        "notes": appointment.notes,
        "cancel_reason": appointment.cancel_reason,
        "customer": _party(appointment.customer),
        "contact": _contact(appointment.contact),
        "staff": _person(appointment.staff),
    }


def appointment_rescheduled_data(
    appointment, *, previous_start: datetime.datetime, previous_end: datetime.datetime
) -> dict[str, Any]:
    return {
        **appointment_data(appointment),
        "previous_start": _time(previous_start),
        "previous_end": _time(previous_end),
    }


@dataclass(frozen=True)
class BusinessEvent:
    name: str
    description: str
    build: Callable[..., dict[str, Any]]
    signal: Signal


def _event(name: str, description: str, build: Callable[..., dict[str, Any]]) -> BusinessEvent:
    return BusinessEvent(name=name, description=description, build=build, signal=Signal())


EVENTS: dict[str, BusinessEvent] = {
    event.name: event
    for event in (
        _event(LEAD_CREATED, "A lead was added", lead_data),
        _event(QUOTE_ACCEPTED, "A quote was accepted", quote_data),
        _event(INVOICE_FINALISED, "An invoice was finalised", invoice_data),
        _event(INVOICE_PAID, "An invoice was paid in full", invoice_data),
        _event(PAYMENT_RECORDED, "A payment was recorded against an invoice", payment_data),
        _event(APPOINTMENT_BOOKED, "An appointment was booked", appointment_data),
        _event(
            APPOINTMENT_RESCHEDULED, "An appointment was rescheduled", appointment_rescheduled_data
        ),
        _event(APPOINTMENT_CANCELLED, "An appointment was cancelled", appointment_data),
    )
}


def payload_build(name: str, obj: Any, **details: Any) -> dict[str, Any]:
    """The versioned payload of event `name` about `obj` (a new id on every call)."""
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": name,
        "version": VERSION,
        "occurred_at": _time(timezone.now()),
        "organisation_id": obj.organisation_id,
        "data": EVENTS[name].build(obj, **details),
    }


def announce(name: str, obj: Any, **details: Any) -> dict[str, Any]:
    """Send event `name` about `obj`; call inside the transaction that made the change, so
    what listeners record commits or rolls back with it. `details` go to the payload builder
    (a reschedule's previous times)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{name} must be announced inside the transaction that made it.")
    payload = payload_build(name, obj, **details)
    kwargs = {"event": name, "organisation_id": obj.organisation_id, "payload": payload, "obj": obj}
    EVENTS[name].signal.send(sender=BusinessEvent, **kwargs)
    announced.send(sender=BusinessEvent, **kwargs)
    return payload
