"""Torqueflow's own GoHighLevel client (ghl/client.py, ghl/mapping.py) against the sandbox,
in-process through WSGI: every call it makes is answered in the shape it reads."""

import datetime as dt
import json
from decimal import Decimal
from types import SimpleNamespace

import httpx
import pytest
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from ghl import mapping
from ghl.client import GhlClient
from integrations.errors import ReauthRequired, ValidationFailed
from sandbox.ghl import webhooks
from sandbox.models import GhlInvoice, ProviderEvent

BASE = "http://testserver/sandbox/ghl/api"

CUSTOMER = SimpleNamespace(
    name="Ada Lovelace",
    email="ada@example.test",
    phone="+447700900123",
    company_name="Analytical Engines Ltd",
    postcode="LS1 1AA",
)
INVOICE = SimpleNamespace(
    number="INV-0042",
    currency="GBP",
    issue_date=dt.date(2026, 11, 1),
    due_date=dt.date(2026, 11, 30),
)
LINES = [
    SimpleNamespace(
        description="Boiler service",
        unit_price=Decimal("100.00"),
        quantity=Decimal("1"),
        tax_rate=Decimal("20"),
    ),
    SimpleNamespace(
        description="Valve",
        unit_price=Decimal("12.50"),
        quantity=Decimal("2"),
        tax_rate=Decimal("0"),
    ),
]


@pytest.fixture
def http():
    """HTTP into this process's Django. Like Django's test client, it keeps the test's database
    connection open across requests (the WSGI handler would close it)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        with httpx.Client(transport=httpx.WSGITransport(app=get_wsgi_application())) as client:
            yield client
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def torqueflow(ghl, http):
    with GhlClient(access_token=ghl.tokens["access_token"], base_url=BASE, http=http) as client:
        yield client


def create_payload(ghl, contact_id: str) -> dict:
    return mapping.invoice_payload(
        INVOICE,
        lines=LINES,
        customer=CUSTOMER,
        contact_id=contact_id,
        location_id=ghl.location_id,
        business_name="Alpha Heating Ltd",
    )


def test_a_push_as_torqueflow_makes_it(ghl, torqueflow):
    location = torqueflow.location_get(ghl.location_id)
    assert (location.id, location.name) == (ghl.location_id, "Demo Plumbing & Heating (GHL)")

    contact = torqueflow.contact_upsert(
        mapping.contact_payload(CUSTOMER, location_id=ghl.location_id)
    )
    assert contact.is_new
    assert not torqueflow.contact_upsert(
        mapping.contact_payload(CUSTOMER, location_id=ghl.location_id)
    ).is_new

    create = create_payload(ghl, contact.id)
    created = torqueflow.invoice_create(create)
    assert (created.status, created.invoice_number, created.total) == (
        "draft",
        "INV-0042",
        Decimal("145.00"),  # 100 + 20% tax + 2 x 12.50
    )

    [found] = torqueflow.invoice_search(location_id=ghl.location_id, search="INV-0042")
    assert found.id == created.id and mapping.is_our_invoice(found, "INV-0042")

    create["items"][1]["qty"] = 4
    updated = torqueflow.invoice_update(created.id, mapping.invoice_update_payload(create))
    assert (updated.id, updated.total) == (created.id, Decimal("170.00"))
    assert torqueflow.invoice_get(created.id, location_id=ghl.location_id).total == Decimal("170")
    assert GhlInvoice.objects.count() == 1


def test_payment_links_as_torqueflow_sends_them(ghl, torqueflow, client):
    contact = torqueflow.contact_upsert(
        mapping.contact_payload(CUSTOMER, location_id=ghl.location_id)
    )
    create = create_payload(ghl, contact.id)
    created = torqueflow.invoice_create(create)
    user_id = ghl.tokens["userId"]

    link = torqueflow.invoice_text2pay(
        mapping.text2pay_payload(create, invoice_id=created.id, user_id=user_id)
    )
    assert link.invoice.id == created.id
    assert link.invoice_url == f"http://testserver/sandbox/ghl/pay/{created.id}/"

    sent = torqueflow.invoice_send(
        created.id,
        mapping.send_payload(location_id=ghl.location_id, user_id=user_id, channel="sms"),
    )
    assert sent.invoice.status == "sent" and sent.sms_data["to"] == ["+447700900123"]

    client.post(link.invoice_url, {"amount": "45"})
    event = ProviderEvent.objects.get(event_type="InvoicePartiallyPaid")
    payload = json.loads(webhooks.body_for(event))  # the body as delivered
    assert mapping.event_type(payload) == mapping.INVOICE_PARTIALLY_PAID
    assert mapping.event_location_id(payload) == ghl.location_id
    paid = mapping.invoice_from_ghl(payload)
    assert (paid.id, paid.amount_paid, paid.amount_due) == (
        created.id,
        Decimal("45.00"),
        Decimal("100.00"),
    )


def test_torqueflows_client_reads_the_errors(ghl, torqueflow, http):
    with pytest.raises(ValidationFailed, match="items must be an array"):
        torqueflow.invoice_create({"altId": ghl.location_id, "altType": "location"})
    with (
        GhlClient(access_token="expired", base_url=BASE, http=http) as stranger,
        pytest.raises(ReauthRequired, match="access token is invalid"),
    ):
        stranger.location_get(ghl.location_id)
