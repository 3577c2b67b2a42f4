"""Pushing invoices through the hub's sync engine: contact upsert, create, then update of
the same GHL invoice (never a second create), a lost answer looked up before re-creating,
and auto-push on finalise."""

import datetime
import json
from decimal import Decimal

import httpx
import pytest
import respx
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from ghl.push import CREATE_PENDING
from integrations import registry
from integrations.models import Connection, SyncRecord
from integrations.services.connections import connection_test
from integrations.services.sync import sync_now, sync_push_due
from invoicing.models import Customer, Invoice
from invoicing.services.invoices import InvoiceInput, LineInput, invoice_finalise, invoice_update
from tests.factories import make_invoice

from .conftest import API, CONTACT_ID, GHL_INVOICE_ID, LOCATION_ID, fixture

pytestmark = pytest.mark.django_db


def invoice_record(connection, invoice) -> SyncRecord:
    return SyncRecord.objects.get(
        connection=connection,
        object_type=ContentType.objects.get_for_model(Invoice),
        object_id=invoice.pk,
    )


def contact_record(connection, customer) -> SyncRecord:
    return SyncRecord.objects.get(
        connection=connection,
        object_type=ContentType.objects.get_for_model(Customer),
        object_id=customer.pk,
    )


def make_due(record: SyncRecord) -> None:
    SyncRecord.objects.filter(pk=record.pk).update(next_attempt_at=None)


@pytest.fixture
def ghl_api():
    with respx.mock(base_url=API, assert_all_called=False) as mock:
        mock.post("/contacts/upsert", name="upsert").mock(
            return_value=httpx.Response(200, json=fixture("contact_upsert_new.json"))
        )
        mock.post("/invoices/", name="create").mock(
            return_value=httpx.Response(200, json=fixture("invoice_created.json"))
        )
        mock.put(f"/invoices/{GHL_INVOICE_ID}", name="update").mock(
            return_value=httpx.Response(200, json=fixture("invoice_updated.json"))
        )
        mock.get("/invoices/", name="search").mock(
            return_value=httpx.Response(200, json=fixture("invoice_list_empty.json"))
        )
        yield mock


def push(connection, invoice, actor=None):
    sync_now(connection=connection, obj=invoice, actor=actor)
    return sync_push_due(connection_id=connection.pk)


def test_first_push_upserts_the_contact_and_creates_the_invoice(
    connection, invoice, customer, owner, ghl_api
):
    summary = push(connection, invoice, owner)

    assert summary.pushed == 1
    upsert = json.loads(ghl_api["upsert"].calls.last.request.content)
    assert upsert == {
        "locationId": LOCATION_ID,
        "name": "Ada Lovelace",
        "email": "ada@example.test",
        "phone": "+447700900123",
        "companyName": "Analytical Engines Ltd",
        "postalCode": "LS1 1AA",
    }
    body = json.loads(ghl_api["create"].calls.last.request.content)
    assert body["altId"] == LOCATION_ID
    assert body["altType"] == "location"
    assert body["invoiceNumber"] == invoice.number == "INV-0001"
    assert body["businessDetails"] == {"name": "Alpha Heating Ltd"}
    assert body["contactDetails"]["id"] == CONTACT_ID
    assert body["items"][0]["amount"] == 100
    assert body["items"][0]["taxes"][0]["rate"] == 20
    assert body["liveMode"] is True

    record = invoice_record(connection, invoice)
    assert record.state == SyncRecord.State.SYNCED
    assert record.external_id == GHL_INVOICE_ID
    assert record.label == "INV-0001"
    assert record.details["contact_id"] == CONTACT_ID
    assert record.remote_status == "draft"
    assert CREATE_PENDING not in record.details
    assert len(record.fingerprint) == 64
    contact = contact_record(connection, customer)
    assert contact.external_id == CONTACT_ID
    assert contact.state == SyncRecord.State.SYNCED
    connection.refresh_from_db()
    assert connection.invoices_synced == 1
    assert connection.last_sync_at is not None


def test_pushing_again_updates_the_same_ghl_invoice(connection, invoice, owner, ghl_api):
    push(connection, invoice, owner)
    invoice_update(
        invoice=invoice,
        actor=owner,
        data=InvoiceInput(
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            currency="GBP",
            customer=invoice.customer,
            lines=[LineInput("Boiler service", Decimal("2"), Decimal("100"), Decimal("20"))],
        ),
    )

    push(connection, invoice, owner)
    push(connection, invoice, owner)  # and again: still the same invoice

    assert ghl_api["create"].call_count == 1
    assert ghl_api["update"].call_count == 2
    assert ghl_api["upsert"].call_count == 1  # the contact, unchanged, is not sent again
    body = json.loads(ghl_api["update"].calls.last.request.content)
    assert body["invoiceItems"][0]["qty"] == 2
    assert body["invoiceItems"][0]["name"] == "Boiler service"
    assert body["contactId"] == CONTACT_ID
    assert "items" not in body
    record = invoice_record(connection, invoice)
    assert record.external_id == GHL_INVOICE_ID
    connection.refresh_from_db()
    assert connection.invoices_synced == 1  # counted once, however often it is pushed


def test_an_edited_customer_is_upserted_again_before_its_next_invoice(
    connection, invoice, customer, owner, ghl_api
):
    push(connection, invoice, owner)
    customer.email = "ada@engines.example.test"
    customer.save()

    push(connection, invoice, owner)

    assert ghl_api["upsert"].call_count == 2
    upsert = json.loads(ghl_api["upsert"].calls.last.request.content)
    assert upsert["email"] == "ada@engines.example.test"


def test_a_refusal_with_a_known_contact_upserts_it_and_tries_once_more(
    connection, invoice, owner, ghl_api
):
    """The contact was deleted in GoHighLevel since it was last upserted: the invoice is
    refused with the id Torqueflow knew; upserting it again gives the id to use."""
    push(connection, invoice, owner)
    ghl_api["update"].mock(
        side_effect=[
            httpx.Response(422, json=fixture("error_422_unprocessable.json")),
            httpx.Response(200, json=fixture("invoice_updated.json")),
        ]
    )

    summary = push(connection, invoice, owner)

    assert summary.pushed == 1
    assert ghl_api["upsert"].call_count == 2
    assert ghl_api["update"].call_count == 2
    assert invoice_record(connection, invoice).state == SyncRecord.State.SYNCED


def test_an_unchanged_invoice_is_not_sent_again_unless_asked(connection, invoice, ghl_api):
    push(connection, invoice)
    record = invoice_record(connection, invoice)
    SyncRecord.objects.filter(pk=record.pk).update(state=SyncRecord.State.PENDING)

    sync_push_due(connection_id=connection.pk)

    assert ghl_api["create"].call_count == 1
    assert ghl_api["update"].call_count == 0
    assert invoice_record(connection, invoice).state == SyncRecord.State.SYNCED


def test_a_timeout_is_looked_up_before_creating_again(connection, invoice, ghl_api):
    ghl_api["create"].mock(side_effect=httpx.ReadTimeout("no answer"))

    push(connection, invoice)

    record = invoice_record(connection, invoice)
    assert record.state == SyncRecord.State.PENDING  # will retry
    assert record.attempts == 1
    assert record.reason_code == ""
    assert CREATE_PENDING in record.details

    # It was created after all: the retry finds it by our number and updates it.
    ghl_api["search"].mock(
        return_value=httpx.Response(200, json=fixture("invoice_list_found.json"))
    )
    make_due(record)
    sync_push_due(connection_id=connection.pk)

    assert ghl_api["create"].call_count == 1
    assert dict(ghl_api["search"].calls.last.request.url.params) == {
        "altId": LOCATION_ID,
        "altType": "location",
        "search": "INV-0001",
        "limit": "20",
        "offset": "0",
    }
    assert ghl_api["update"].call_count == 1
    record.refresh_from_db()
    assert record.state == SyncRecord.State.SYNCED
    assert record.external_id == GHL_INVOICE_ID
    assert CREATE_PENDING not in record.details
    connection.refresh_from_db()
    assert connection.invoices_synced == 1


def test_a_timeout_then_nothing_found_creates(connection, invoice, ghl_api):
    ghl_api["create"].mock(
        side_effect=[
            httpx.ReadTimeout("no answer"),
            httpx.Response(200, json=fixture("invoice_created.json")),
        ]
    )
    push(connection, invoice)
    make_due(invoice_record(connection, invoice))

    sync_push_due(connection_id=connection.pk)

    assert ghl_api["search"].call_count == 1
    assert ghl_api["create"].call_count == 2
    assert invoice_record(connection, invoice).external_id == GHL_INVOICE_ID


def test_a_search_hit_for_another_invoice_is_not_taken(connection, invoice, ghl_api):
    other = fixture("invoice_list_found.json")
    other["invoices"][0].update(_id="someone-else", invoiceNumber="INV-00011", name="Other")
    ghl_api["search"].mock(return_value=httpx.Response(200, json=other))
    ghl_api["create"].mock(
        side_effect=[
            httpx.ReadTimeout("no answer"),
            httpx.Response(200, json=fixture("invoice_created.json")),
        ]
    )
    push(connection, invoice)
    make_due(invoice_record(connection, invoice))

    sync_push_due(connection_id=connection.pk)

    assert ghl_api["update"].call_count == 0
    assert invoice_record(connection, invoice).external_id == GHL_INVOICE_ID


def test_a_validation_error_fails_with_the_reason(connection, invoice, ghl_api):
    ghl_api["create"].mock(
        return_value=httpx.Response(422, json=fixture("error_422_unprocessable.json"))
    )

    push(connection, invoice)

    record = invoice_record(connection, invoice)
    assert record.state == SyncRecord.State.FAILED
    assert record.reason_code == "validation"
    assert "contactDetails.email must be an email" in record.reason_text
    assert CREATE_PENDING not in record.details  # refused, so certainly not created
    connection.refresh_from_db()
    assert connection.invoices_synced == 0


def test_a_refused_contact_names_the_customer_to_edit(connection, invoice, customer, ghl_api):
    ghl_api["upsert"].mock(
        return_value=httpx.Response(422, json=fixture("error_422_unprocessable.json"))
    )

    push(connection, invoice)

    record = invoice_record(connection, invoice)
    assert record.state == SyncRecord.State.FAILED
    assert "contactDetails.email must be an email" in record.reason_text
    assert record.fix == {"kind": "customer", "ids": [customer.pk]}
    assert not ghl_api["create"].called


def test_a_refused_invoice_names_nothing_to_fix(connection, invoice, ghl_api):
    ghl_api["create"].mock(
        return_value=httpx.Response(422, json=fixture("error_422_unprocessable.json"))
    )
    push(connection, invoice)
    assert invoice_record(connection, invoice).fix == {}


def test_rate_limited_waits_without_counting_an_attempt(connection, invoice, ghl_api):
    ghl_api["upsert"].mock(
        return_value=httpx.Response(
            429,
            json=fixture("error_429_rate_limited.json"),
            headers={"X-RateLimit-Interval-Milliseconds": "10000"},
        )
    )

    summary = push(connection, invoice)

    assert summary.deferred
    record = invoice_record(connection, invoice)
    assert record.state == SyncRecord.State.PENDING
    assert record.attempts == 0
    assert record.next_attempt_at > timezone.now() + datetime.timedelta(seconds=8)


def test_void_invoices_are_not_pushed(connection, org, customer, ghl_api):
    invoice = make_invoice(org, customer=customer, finalise=True)
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.VOID)

    push(connection, invoice)

    record = invoice_record(connection, invoice)
    assert record.state == SyncRecord.State.FAILED
    assert record.reason_text == "Void invoices are not pushed to GoHighLevel"
    assert not ghl_api["create"].called


# --- auto-push --------------------------------------------------------------------------------


def test_auto_push_off_by_default(connection, org, customer):
    draft = make_invoice(org, customer=customer)
    invoice_finalise(invoice=draft, actor=None)
    assert not SyncRecord.objects.filter(connection=connection).exists()


def test_auto_push_on_finalise(connection, org, customer, ghl_api):
    connection.settings["auto_push"] = True
    connection.save()
    draft = make_invoice(org, customer=customer)

    invoice_finalise(invoice=draft, actor=None)

    record = invoice_record(connection, draft)
    assert record.state == SyncRecord.State.PENDING
    sync_push_due(connection_id=connection.pk)
    assert invoice_record(connection, draft).external_id == GHL_INVOICE_ID


def test_auto_push_ignores_bills_and_drafts(connection, org):
    connection.settings["auto_push"] = True
    connection.save()
    provider = registry.get("ghl")
    bill = make_invoice(org, kind=Invoice.Kind.PURCHASE, finalise=True)
    sale = make_invoice(org, finalise=True)

    assert not provider.wants(connection=connection, obj=bill, change="finalised")
    assert not provider.wants(connection=connection, obj=sale, change="voided")
    assert not provider.wants(connection=connection, obj=sale, change="payments_changed")
    assert provider.wants(connection=connection, obj=sale, change="updated")
    assert not provider.wants(connection=connection, obj=sale.customer, change="finalised")


# --- Test Connection ----------------------------------------------------------------------


@respx.mock
def test_test_connection_reads_the_location(connection, owner):
    route = respx.get(f"{API}/locations/{LOCATION_ID}").mock(
        return_value=httpx.Response(200, json=fixture("location_get.json"))
    )

    result = connection_test(connection=connection, actor=owner)

    assert result.ok
    assert route.called


@respx.mock
def test_test_connection_fails_when_ghl_refuses(connection, owner):
    respx.get(f"{API}/locations/{LOCATION_ID}").mock(
        return_value=httpx.Response(403, json={"statusCode": 403, "message": "Forbidden"})
    )

    result = connection_test(connection=connection, actor=owner)

    assert not result.ok
    connection.refresh_from_db()
    assert connection.state == Connection.State.ACTIVE
