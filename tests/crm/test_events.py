"""The business events invoicing's changes announce, and the payloads they carry."""

import re

import pytest
from django.db import transaction

from crm import events
from tests.factories import CustomerFactory, OrganisationFactory, make_invoice, make_payment

pytestmark = pytest.mark.django_db

EVENT_ID = re.compile(r"^evt_[0-9a-f]{32}$")
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture
def heard():
    """Every announced event, in order, as (name, payload)."""
    received = []

    def listener(sender, event, payload, **kwargs):
        received.append((event, payload))

    events.announced.connect(listener, dispatch_uid="test_heard")
    yield received
    events.announced.disconnect(dispatch_uid="test_heard")


def names(heard) -> list[str]:
    return [name for name, _payload in heard]


def test_finalising_a_sales_invoice_announces_invoice_finalised(heard):
    org = OrganisationFactory()
    customer = CustomerFactory(organisation=org, name="ACME Creative Agency", email="a@acme.test")
    invoice = make_invoice(org, customer=customer, lines=((2, "50.00", "20"),), finalise=True)

    assert names(heard) == [events.INVOICE_FINALISED]
    payload = heard[0][1]
    assert EVENT_ID.match(payload["id"])
    assert UTC_TIME.match(payload["occurred_at"])
    assert {k: v for k, v in payload.items() if k not in ("id", "occurred_at")} == {
        "type": "invoice.finalised",
        "version": 1,
        "organisation_id": org.pk,
        "data": {
            "id": invoice.pk,
            "number": invoice.number,
            "status": "unpaid",
            "reference": "",
            "currency": "GBP",
            "issue_date": invoice.issue_date.isoformat(),
            "due_date": invoice.due_date.isoformat(),
            "subtotal": "100.00",
            "tax_total": "20.00",
            "total": "120.00",
            "amount_paid": "0.00",
            "balance_due": "120.00",
            "finalised_at": payload["data"]["finalised_at"],
            "customer": {
                "id": customer.pk,
                "name": "ACME Creative Agency",
                "company_name": customer.company_name,
                "email": "a@acme.test",
            },
        },
    }
    assert UTC_TIME.match(payload["data"]["finalised_at"])


def test_a_part_payment_is_recorded_and_the_last_one_pays_the_invoice(heard):
    org = OrganisationFactory()
    invoice = make_invoice(org, lines=((1, "100.00", "20"),), finalise=True)
    heard.clear()

    first = make_payment(invoice, "20.00", reference="BACS 1")
    assert names(heard) == [events.PAYMENT_RECORDED]
    data = heard[0][1]["data"]
    assert data == {
        "id": first.pk,
        "amount": "20.00",
        "date": first.date.isoformat(),
        "method": "Bank transfer",
        "reference": "BACS 1",
        "source": "manual",
        "invoice": data["invoice"],
    }
    assert data["invoice"]["status"] == "part_paid"
    assert data["invoice"]["balance_due"] == "100.00"

    heard.clear()
    make_payment(invoice, "100.00")
    assert names(heard) == [events.PAYMENT_RECORDED, events.INVOICE_PAID]
    paid = heard[1][1]["data"]
    assert (paid["status"], paid["amount_paid"], paid["balance_due"]) == ("paid", "120.00", "0.00")


def test_a_payment_recorded_again_from_another_system_is_announced_once(heard):
    org = OrganisationFactory()
    invoice = make_invoice(org, finalise=True)
    heard.clear()
    make_payment(invoice, "120.00", source="manual", external_id="remote-1")
    make_payment(invoice, "120.00", source="manual", external_id="remote-1")
    assert names(heard) == [events.PAYMENT_RECORDED, events.INVOICE_PAID]


def test_purchase_invoices_announce_nothing(heard):
    org = OrganisationFactory()
    make_invoice(org, kind="purchase", finalise=True)
    assert heard == []


def test_every_event_is_named_once_with_a_payload_builder():
    assert sorted(events.EVENTS) == sorted(
        [
            "lead.created",
            "quote.accepted",
            "invoice.finalised",
            "invoice.paid",
            "payment.recorded",
            "appointment.booked",
            "appointment.rescheduled",
            "appointment.cancelled",
        ]
    )
    assert len({id(e.signal) for e in events.EVENTS.values()}) == len(events.EVENTS)


@pytest.mark.django_db(transaction=True)
def test_announce_outside_a_transaction_is_refused():
    org = OrganisationFactory()
    invoice = make_invoice(org)
    with pytest.raises(RuntimeError):
        events.announce(events.INVOICE_FINALISED, invoice)
    with transaction.atomic():
        assert events.announce(events.INVOICE_FINALISED, invoice)["type"] == "invoice.finalised"


def envelope(payload) -> dict:
    assert EVENT_ID.match(payload["id"])
    assert UTC_TIME.match(payload["occurred_at"])
    return {k: v for k, v in payload.items() if k not in ("id", "occurred_at")}


def test_a_new_lead_announces_lead_created_with_its_whole_payload(heard):
    from crm.models import Lead
    from crm.services.leads import LeadInput, lead_create

    org = OrganisationFactory()
    lead = lead_create(
        organisation=org,
        actor=None,
        data=LeadInput(
            name="Priya Shah",
            company="Northgate Dental",
            email="priya@northgate.example.com",
            phone="07911 123456",
            message="Radiators cold upstairs.",
        ),
        source=Lead.Source.WEB_FORM,
    )

    assert names(heard) == [events.LEAD_CREATED]
    payload = heard[0][1]
    assert envelope(payload) == {
        "type": "lead.created",
        "version": 1,
        "organisation_id": org.pk,
        "data": {
            "id": lead.pk,
            "name": "Priya Shah",
            "company": "Northgate Dental",
            "email": "priya@northgate.example.com",
            "phone": "+447911123456",
            "source": "web_form",
            "status": "new",
            "message": "Radiators cold upstairs.",
            "created_at": payload["data"]["created_at"],
        },
    }
    assert UTC_TIME.match(payload["data"]["created_at"])


def test_accepting_a_quote_announces_quote_accepted_with_its_whole_payload(heard):
    import datetime

    from crm.services.quotes import quote_mark_accepted
    from tests.factories import make_contact, make_quote

    org = OrganisationFactory()
    customer = CustomerFactory(
        organisation=org,
        name="ACME Creative Agency",
        company_name="ACME Creative Agency Ltd",
        email="studio@acme.test",
    )
    contact = make_contact(customer, name="Maya Chen", email="maya@acme.test", phone="07911 123456")
    quote = make_quote(
        org,
        customer=customer,
        contact=contact,
        issue_date=datetime.date(2026, 12, 1),
        valid_days=30,
        lines=((2, "245.00", "20"), (5, "55.00", "20")),
        status="sent",
    )
    heard.clear()

    quote = quote_mark_accepted(quote=quote, actor=None)
    quote_mark_accepted(quote=quote, actor=None)  # accepted once, announced once

    assert names(heard) == [events.QUOTE_ACCEPTED]
    payload = heard[0][1]
    assert envelope(payload) == {
        "type": "quote.accepted",
        "version": 1,
        "organisation_id": org.pk,
        "data": {
            "id": quote.pk,
            "number": "QU-0001",
            "status": "accepted",
            "currency": "GBP",
            "issue_date": "2026-12-01",
            "expiry_date": "2026-12-31",
            "subtotal": "765.00",
            "tax_total": "153.00",
            "total": "918.00",
            "accepted_at": payload["data"]["accepted_at"],
            "customer": {
                "id": customer.pk,
                "name": "ACME Creative Agency",
                "company_name": "ACME Creative Agency Ltd",
                "email": "studio@acme.test",
            },
            "contact": {
                "id": contact.pk,
                "name": "Maya Chen",
                "email": "maya@acme.test",
                "phone": "+447911123456",
            },
        },
    }
    assert UTC_TIME.match(payload["data"]["accepted_at"])


def test_an_event_listener_that_fails_takes_the_lead_with_it(heard):
    """Announced inside the transaction: a listener's error leaves no lead behind."""
    from crm.models import Lead
    from crm.services.leads import LeadInput, lead_create

    def broken(sender, **kwargs):
        raise RuntimeError("listener failed")

    events.EVENTS[events.LEAD_CREATED].signal.connect(broken, dispatch_uid="test_broken")
    try:
        with pytest.raises(RuntimeError):
            lead_create(organisation=OrganisationFactory(), actor=None, data=LeadInput("Ben"))
    finally:
        events.EVENTS[events.LEAD_CREATED].signal.disconnect(dispatch_uid="test_broken")
    assert not Lead.objects.exists()
