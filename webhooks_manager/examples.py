"""An example payload per event, made by the events module's own builders from sample
objects, so what the manager shows is the shape that is sent."""

import datetime
import json
from decimal import Decimal
from functools import cache
from types import SimpleNamespace as Sample

from crm import events

_AT = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
_CUSTOMER = Sample(
    pk=12,
    name="Maya Chen",
    company_name="ACME Creative Agency",
    email="maya@acme-creative.example.com",
)
_CONTACT = Sample(
    pk=31, name="Maya Chen", email="maya@acme-creative.example.com", phone="+447911123456"
)
_INVOICE = Sample(
    pk=118,
    organisation_id=1,
    number="INV-0042",
    status="paid",
    reference="Spring campaign",
    currency="GBP",
    issue_date=_AT.date(),
    due_date=_AT.date() + datetime.timedelta(days=30),
    subtotal=Decimal("950.00"),
    tax_total=Decimal("190.00"),
    total=Decimal("1140.00"),
    amount_paid=Decimal("1140.00"),
    balance_due=Decimal("0.00"),
    finalised_at=_AT,
    customer=_CUSTOMER,
)
_APPOINTMENT = Sample(
    pk=77,
    organisation_id=1,
    title="Site survey",
    status="booked",
    start=_AT,
    end=_AT + datetime.timedelta(hours=1),
    organisation=Sample(timezone="Europe/London"),
    location_type="in_person",
    address="1 High Street, London",
    meeting_url="",
    notes="",
    cancel_reason="",
    customer=_CUSTOMER,
    contact=_CONTACT,
    staff=Sample(pk=3, email="sam@example.com", get_full_name=lambda: "Sam Patel"),
)
SAMPLES = {
    events.LEAD_CREATED: Sample(
        pk=54,
        organisation_id=1,
        name="Jordan Blake",
        company="Blake Builders",
        email="jordan@blake.example.com",
        phone="+447700900123",
        source="webhook",
        status="new",
        message="Please call me about a quote.",
        created_at=_AT,
    ),
    events.QUOTE_ACCEPTED: Sample(
        pk=9,
        organisation_id=1,
        number="QU-0009",
        status="accepted",
        currency="GBP",
        issue_date=_AT.date(),
        expiry_date=_AT.date() + datetime.timedelta(days=30),
        subtotal=Decimal("500.00"),
        tax_total=Decimal("100.00"),
        total=Decimal("600.00"),
        accepted_at=_AT,
        customer=_CUSTOMER,
        contact=_CONTACT,
    ),
    events.INVOICE_FINALISED: _INVOICE,
    events.INVOICE_PAID: _INVOICE,
    events.PAYMENT_RECORDED: Sample(
        pk=201,
        organisation_id=1,
        amount=Decimal("1140.00"),
        date=_AT.date(),
        method=Sample(name="Bank transfer"),
        reference="BACS 1234",
        source="manual",
        invoice=_INVOICE,
    ),
    events.APPOINTMENT_BOOKED: _APPOINTMENT,
    events.APPOINTMENT_RESCHEDULED: _APPOINTMENT,
    events.APPOINTMENT_CANCELLED: _APPOINTMENT,
}
DETAILS = {
    events.APPOINTMENT_RESCHEDULED: {
        "previous_start": _AT - datetime.timedelta(days=1),
        "previous_end": _AT - datetime.timedelta(days=1, hours=-1),
    }
}


@cache
def example_json(name: str) -> str:
    payload = events.payload_build(name, SAMPLES[name], **DETAILS.get(name, {}))
    payload["id"] = "evt_0123456789abcdef0123456789abcdef"
    payload["occurred_at"] = "2026-03-02T09:30:00Z"
    return json.dumps(payload, indent=2)
