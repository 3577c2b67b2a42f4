"""Pushing through the hub (sync_push_due) to a Xero mocked at the HTTP boundary: what each
answer does to the records, the contacts, and the number of calls made."""

import datetime
import json
import time
from decimal import Decimal

import httpx
import pytest
import responses
import time_machine
from django.utils import timezone

from integrations.models import AccountCode, Connection, SyncActivity, SyncRecord
from integrations.services.sync import sync_now, sync_push_due, sync_resume_after_reconnect
from invoicing.models import Invoice
from invoicing.services.invoices import invoice_update
from tests.factories import CustomerFactory, NominalCodeFactory, SupplierFactory, invoice_data
from xero_sync import mapping

from .conftest import (
    API_URL,
    CONTACT_ID,
    FOUND_INVOICE_ID,
    INVOICE_ID,
    OTHER_CONTACT_ID,
    TENANT_ID,
    TOKEN_URL,
    fixture_json,
    fixture_text,
    link_contact,
    record_of,
    sent_json,
    token_response,
    xero_invoice,
)

pytestmark = pytest.mark.django_db

INVOICES = f"{API_URL}/Invoices"
CONTACTS = f"{API_URL}/Contacts"


def contact_created(party, contact_id=CONTACT_ID):
    return fixture_json(
        "contacts_put_created.json",
        contact_id=contact_id,
        contact_number=mapping.contact_number(party),
        name=mapping.contact_name(party),
        email=party.email,
    )


def retry_now(*records):
    """Skip the backoff: the next sync_push_due takes these records again."""
    SyncRecord.objects.filter(pk__in=[r.pk for r in records]).update(next_attempt_at=None)


# --- the happy path ----------------------------------------------------------------------


def test_first_push_creates_the_contact_then_the_invoice(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org, name="Jo Bloggs", email="jo@bloggs.test")
    invoice = xero_invoice(org, nominal, customer=customer, reference="Boiler service")
    contacts = xero_api.put(CONTACTS).respond(json=contact_created(customer))
    invoices = xero_api.put(INVOICES).respond(json=fixture_json("invoices_put_created_one.json"))

    summary = sync_push_due(connection_id=connection.pk)

    assert summary.pushed == 1
    record = record_of(connection, invoice)
    assert record.state == SyncRecord.State.SYNCED
    assert record.external_id == INVOICE_ID
    assert record.details["xero_total"] == "120.00"
    assert record.details["xero_total_tax"] == "20.00"
    assert record.details["total_mismatch"] is False
    assert record.label == invoice.number
    assert record.details["maybe_created"] is False
    assert record.remote_status == "AUTHORISED"
    assert record.remote_url == (
        f"https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID={INVOICE_ID}"
    )
    assert len(record.fingerprint) == 64
    # The contact went first, with our id as its ContactNumber, and the link is kept.
    assert sent_json(contacts)["Contacts"] == [mapping.contact_payload(customer)]
    assert sent_json(contacts)["Contacts"][0]["ContactNumber"] == f"C-{customer.pk}"
    link = record_of(connection, customer)
    assert (link.state, link.external_id) == (SyncRecord.State.SYNCED, CONTACT_ID)
    # The invoice refers to the contact by ContactID.
    request = invoices.calls.last.request
    body = json.loads(request.content)["Invoices"]
    assert body[0]["Contact"] == {"ContactID": CONTACT_ID}
    assert body[0]["InvoiceNumber"] == invoice.number
    assert body[0]["Reference"] == "Boiler service"
    assert request.url.params["summarizeErrors"] == "false"
    assert request.url.params["unitdp"] == "4"
    assert request.headers["xero-tenant-id"] == TENANT_ID
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Authorization"] == "Bearer xero-access-0"
    assert 0 < len(request.headers["Idempotency-Key"]) <= 128
    connection.refresh_from_db()
    assert connection.invoices_synced == 1


def test_the_contact_link_is_reused(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    contacts = xero_api.put(CONTACTS)
    invoices = xero_api.put(INVOICES).respond(json=fixture_json("invoices_put_created_one.json"))

    sync_push_due(connection_id=connection.pk)

    assert not contacts.called
    assert sent_json(invoices)["Invoices"][0]["Contact"] == {"ContactID": CONTACT_ID}
    assert record_of(connection, invoice).state == SyncRecord.State.SYNCED


def test_a_bill_goes_as_accpay_with_the_supplier_as_contact(org, nominal, connection, xero_api):
    supplier = SupplierFactory(organisation=org, name="Acme Parts", email="")
    bill = xero_invoice(org, nominal, kind=Invoice.Kind.PURCHASE, supplier=supplier)
    contacts = xero_api.put(CONTACTS).respond(json=contact_created(supplier))
    invoices = xero_api.put(INVOICES).respond(json=fixture_json("invoices_put_bill_created.json"))

    sync_push_due(connection_id=connection.pk)

    contact = sent_json(contacts)["Contacts"][0]
    assert contact["ContactNumber"] == f"S-{supplier.pk}"
    assert "EmailAddress" not in contact  # a blank email is never posted
    sent = sent_json(invoices)["Invoices"][0]
    assert sent["Type"] == "ACCPAY"
    assert "Reference" not in sent
    assert record_of(connection, bill).state == SyncRecord.State.SYNCED


def test_the_payload_omits_a_blank_email(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org, name="No Mail", email="")
    xero_invoice(org, nominal, customer=customer)
    contacts = xero_api.put(CONTACTS).respond(json=contact_created(customer))
    xero_api.put(INVOICES).respond(json=fixture_json("invoices_put_created_one.json"))

    sync_push_due(connection_id=connection.pk)

    assert sent_json(contacts)["Contacts"] == [
        {"Name": "No Mail", "ContactNumber": f"C-{customer.pk}"}
    ]


def test_a_batch_is_one_invoices_request_with_mixed_ok_and_error(
    org, nominal, connection, xero_api
):
    customer = CustomerFactory(organisation=org)
    first, second, third = (xero_invoice(org, nominal, customer=customer) for _ in range(3))
    contacts = xero_api.put(CONTACTS).respond(json=contact_created(customer))
    invoices = xero_api.put(INVOICES).respond(json=fixture_json("invoices_put_mixed_ok_error.json"))

    summary = sync_push_due(connection_id=connection.pk)

    assert (summary.pushed, summary.failed) == (2, 1)
    assert contacts.call_count == 1  # one contact, however many invoices
    assert invoices.call_count == 1  # the whole batch in one request
    assert [i["InvoiceNumber"] for i in sent_json(invoices)["Invoices"]] == [
        first.number,
        second.number,
        third.number,
    ]
    assert record_of(connection, first).external_id == INVOICE_ID
    assert record_of(connection, third).external_id == "7ef31b20-de17-4312-8382-412f869b1510"
    failed = record_of(connection, second)
    assert failed.state == SyncRecord.State.FAILED
    assert failed.reason_text == "Account code '200' is not a valid code for this document."
    assert failed.reason_code == "validation"
    assert failed.attempts == 0  # a refusal is not retried on its own
    assert failed.details["maybe_created"] is False  # Xero said no: nothing to look up


def test_an_unchanged_invoice_is_not_sent_again(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    invoices = xero_api.put(INVOICES).respond(json=fixture_json("invoices_put_created_one.json"))
    sync_push_due(connection_id=connection.pk)
    SyncRecord.objects.filter(pk=record_of(connection, invoice).pk).update(
        state=SyncRecord.State.PENDING
    )

    sync_push_due(connection_id=connection.pk)

    assert invoices.call_count == 1
    assert record_of(connection, invoice).state == SyncRecord.State.SYNCED


def test_an_edit_after_syncing_updates_by_invoice_id(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    put = xero_api.put(INVOICES).respond(json=fixture_json("invoices_put_created_one.json"))
    sync_push_due(connection_id=connection.pk)
    post = xero_api.post(INVOICES).respond(json=fixture_json("invoices_post_updated.json"))

    invoice_update(
        invoice=invoice,
        actor=None,
        data=invoice_data(org, customer=customer, lines=((2, "50.00", "20", nominal),)),
    )
    assert record_of(connection, invoice).state == SyncRecord.State.PENDING
    sync_push_due(connection_id=connection.pk)

    assert put.call_count == 1  # never created twice
    sent = sent_json(post)["Invoices"][0]
    assert sent["InvoiceID"] == INVOICE_ID
    assert sent["LineItems"][0]["Quantity"] == 2
    assert post.calls.last.request.url.params["summarizeErrors"] == "false"
    # A different version, so a different key from the create's.
    assert (
        post.calls.last.request.headers["Idempotency-Key"]
        != put.calls.last.request.headers["Idempotency-Key"]
    )
    assert record_of(connection, invoice).state == SyncRecord.State.SYNCED


# --- reasons found before any remote call ------------------------------------------------


def test_currency_mismatch_fails_without_calling_xero(org, nominal, connection, xero_api):
    invoice = xero_invoice(org, nominal, currency="EUR")

    sync_push_due(connection_id=connection.pk)

    record = record_of(connection, invoice)
    assert record.state == SyncRecord.State.FAILED
    assert record.reason_text == "Currency mismatch"
    assert record.reason_code == "currency_mismatch"
    assert not xero_api.calls


def test_unmapped_nominal_code_fails_without_calling_xero(org, nominal, connection, xero_api):
    no_code = xero_invoice(org, None)
    unmapped = xero_invoice(
        org,
        NominalCodeFactory(organisation=org, code="4999", name="Unmapped", xero_account_code=""),
    )

    sync_push_due(connection_id=connection.pk)

    for invoice in (no_code, unmapped):
        record = record_of(connection, invoice)
        assert record.state == SyncRecord.State.FAILED
        assert record.reason_text == "Unmapped nominal code"
        assert record.reason_code == "unmapped_nominal_code"
    assert not xero_api.calls


def test_one_bad_invoice_does_not_hold_up_the_batch(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    good = xero_invoice(org, nominal, customer=customer)
    euro = xero_invoice(org, nominal, customer=customer, currency="EUR")
    invoices = xero_api.put(INVOICES).respond(json=fixture_json("invoices_put_created_one.json"))

    summary = sync_push_due(connection_id=connection.pk)

    assert (summary.pushed, summary.failed) == (1, 1)
    assert [i["InvoiceNumber"] for i in sent_json(invoices)["Invoices"]] == [good.number]
    assert record_of(connection, euro).reason_code == "currency_mismatch"


# --- contacts ----------------------------------------------------------------------------


def test_a_contact_name_collision_fails_only_that_invoice(org, nominal, connection, xero_api):
    fresh = CustomerFactory(organisation=org, name="Fresh Customer")
    clash = CustomerFactory(organisation=org, name="Buzz Lightyear")
    ok_invoice = xero_invoice(org, nominal, customer=fresh)
    clash_invoice = xero_invoice(org, nominal, customer=clash)
    contacts = xero_api.put(CONTACTS).respond(
        json=fixture_json(
            "contacts_put_one_ok_one_name_collision.json",
            ok_contact_id=CONTACT_ID,
            ok_number=f"C-{fresh.pk}",
            ok_name="Fresh Customer",
            clash_number=f"C-{clash.pk}",
            clash_name="Buzz Lightyear",
        )
    )
    # Not ours from an earlier lost answer: no contact carries our number.
    by_number = xero_api.get(f"{CONTACTS}/C-{clash.pk}").respond(404)
    invoices = xero_api.put(INVOICES).respond(json=fixture_json("invoices_put_created_one.json"))

    sync_push_due(connection_id=connection.pk)

    assert contacts.call_count == 1 and by_number.call_count == 1
    assert [i["InvoiceNumber"] for i in sent_json(invoices)["Invoices"]] == [ok_invoice.number]
    assert record_of(connection, ok_invoice).state == SyncRecord.State.SYNCED
    failed = record_of(connection, clash_invoice)
    assert failed.state == SyncRecord.State.FAILED
    assert failed.reason_text == "Contact collision - manual mapping required"
    assert failed.reason_code == "contact_collision"
    assert not SyncRecord.objects.filter(object_id=clash.pk, external_id__gt="").exists()


def test_a_collision_with_our_own_earlier_contact_reuses_it(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org, name="Buzz Lightyear")
    invoice = xero_invoice(org, nominal, customer=customer)
    xero_api.put(CONTACTS).respond(
        json=fixture_json(
            "contacts_put_one_ok_one_name_collision.json",
            ok_contact_id=OTHER_CONTACT_ID,
            ok_number="C-0",
            ok_name="Someone Else",
            clash_number=f"C-{customer.pk}",
            clash_name="Buzz Lightyear",
        )
    )
    xero_api.get(f"{CONTACTS}/C-{customer.pk}").respond(
        json=fixture_json(
            "contact_get_by_contact_number.json",
            contact_id=CONTACT_ID,
            contact_number=f"C-{customer.pk}",
            name="Buzz Lightyear",
        )
    )
    invoices = xero_api.put(INVOICES).respond(json=fixture_json("invoices_put_created_one.json"))

    sync_push_due(connection_id=connection.pk)

    assert sent_json(invoices)["Invoices"][0]["Contact"] == {"ContactID": CONTACT_ID}
    assert record_of(connection, invoice).state == SyncRecord.State.SYNCED
    assert record_of(connection, customer).external_id == CONTACT_ID


# --- the connection ----------------------------------------------------------------------


def test_connection_not_active(org, nominal, connection, xero_api):
    invoice = xero_invoice(org, nominal)
    Connection.objects.filter(pk=connection.pk).update(state=Connection.State.DISCONNECTED)

    sync_push_due(connection_id=connection.pk)

    record = record_of(connection, invoice)
    assert record.state == SyncRecord.State.FAILED
    assert record.reason_text == "Connection not active"
    assert record.reason_code == "connection_not_active"
    assert not xero_api.calls


def test_app_revoked_on_403_moves_the_connection_to_requires_reauth(
    org, nominal, connection, xero_api
):
    invoices = [xero_invoice(org, nominal) for _ in range(2)]
    xero_api.put(CONTACTS).respond(
        403, json=fixture_json("error_403_authentication_unsuccessful.json")
    )

    sync_push_due(connection_id=connection.pk)

    for invoice in invoices:
        record = record_of(connection, invoice)
        assert record.state == SyncRecord.State.FAILED
        assert record.reason_text == "App revoked"
        assert record.reason_code == "app_revoked"
    connection.refresh_from_db()
    assert connection.state == Connection.State.REQUIRES_REAUTH
    assert SyncActivity.objects.filter(action="push", message__contains="reconnect").exists()

    # After reconnecting, the records go again.
    Connection.objects.filter(pk=connection.pk).update(state=Connection.State.ACTIVE)
    assert sync_resume_after_reconnect(connection=connection) == 2


@responses.activate
def test_401_token_expired_refreshes_once_and_retries(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    refresh = responses.post(TOKEN_URL, json=token_response(1))
    route = xero_api.put(INVOICES)
    route.side_effect = [
        httpx.Response(401, json=fixture_json("error_401_token_expired.json")),
        httpx.Response(200, json=fixture_json("invoices_put_created_one.json")),
    ]

    sync_push_due(connection_id=connection.pk)

    assert refresh.call_count == 1
    assert [c.request.headers["Authorization"] for c in route.calls] == [
        "Bearer xero-access-0",
        "Bearer xero-access-1",
    ]
    assert record_of(connection, invoice).state == SyncRecord.State.SYNCED
    connection.refresh_from_db()
    assert connection.access_token == "xero-access-1"
    assert connection.refresh_token == "xero-refresh-1"


@responses.activate
def test_an_expiring_token_is_refreshed_before_the_push(org, nominal, connection, xero_api):
    Connection.objects.filter(pk=connection.pk).update(
        token_expires_at=timezone.now() + datetime.timedelta(seconds=30)
    )
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    xero_invoice(org, nominal, customer=customer)
    responses.post(TOKEN_URL, json=token_response(1))
    route = xero_api.put(INVOICES).respond(json=fixture_json("invoices_put_created_one.json"))

    sync_push_due(connection_id=connection.pk)

    assert route.calls.last.request.headers["Authorization"] == "Bearer xero-access-1"


# --- retries, timeouts and limits --------------------------------------------------------


def test_transient_errors_retry_and_fail_on_the_third_attempt(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    put = xero_api.put(INVOICES).respond(
        503, text=fixture_text("error_503_organisation_offline.txt")
    )
    lookup = xero_api.get(INVOICES).respond(json=fixture_json("invoices_get_none_found.json"))
    record = record_of(connection, invoice)

    with time_machine.travel(timezone.now(), tick=False) as clock:
        for attempt in (1, 2):
            sync_push_due(connection_id=connection.pk)
            record.refresh_from_db()
            assert record.state == SyncRecord.State.PENDING
            assert record.attempts == attempt
            assert record.next_attempt_at > timezone.now()
            retry_now(record)
            clock.shift(5)  # past the pace bulk work keeps (two calls in two seconds)

        sync_push_due(connection_id=connection.pk)
    record.refresh_from_db()
    assert record.state == SyncRecord.State.FAILED
    assert record.reason_text == "No answer after 3 attempts: Xero organisation offline (503)"

    sync_push_due(connection_id=connection.pk)
    assert put.call_count == 3  # automatic retries stopped
    assert lookup.call_count == 2  # each retry first asked whether the invoice got in
    keys = {c.request.headers["Idempotency-Key"] for c in put.calls}
    assert len(keys) == 3  # Xero answered each time: a retry is a new request, not a replay


def test_a_transient_error_then_success(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    put = xero_api.put(INVOICES)
    put.side_effect = [
        httpx.Response(500, text="Internal Server Error"),
        httpx.Response(200, json=fixture_json("invoices_put_created_one.json")),
    ]
    xero_api.get(INVOICES).respond(json=fixture_json("invoices_get_none_found.json"))

    sync_push_due(connection_id=connection.pk)
    retry_now(record_of(connection, invoice))
    sync_push_due(connection_id=connection.pk)

    record = record_of(connection, invoice)
    assert record.state == SyncRecord.State.SYNCED
    assert record.attempts == 0


def test_no_duplicate_after_a_timeout_when_xero_committed(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    # Xero commits the invoice, but the answer never arrives.
    put = xero_api.put(INVOICES).mock(side_effect=httpx.ReadTimeout("read timed out"))

    sync_push_due(connection_id=connection.pk)

    record = record_of(connection, invoice)
    assert record.state == SyncRecord.State.PENDING
    assert record.attempts == 1
    assert record.details["maybe_created"] is True
    assert record.external_id == ""

    lookup = xero_api.get(INVOICES).respond(json=fixture_json("invoices_get_by_number_found.json"))
    post = xero_api.post(INVOICES).respond(json=fixture_json("invoices_post_updated.json"))
    retry_now(record)
    sync_push_due(connection_id=connection.pk)

    params = lookup.calls.last.request.url.params
    assert params["InvoiceNumbers"] == invoice.number
    assert params["ContactIDs"] == CONTACT_ID
    assert put.call_count == 1  # no second create
    assert sent_json(post)["Invoices"][0]["InvoiceID"] == FOUND_INVOICE_ID
    record.refresh_from_db()
    assert record.state == SyncRecord.State.SYNCED
    assert record.external_id == FOUND_INVOICE_ID
    assert record.details["maybe_created"] is False


def test_a_timeout_before_xero_committed_creates_it_on_retry(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    put = xero_api.put(INVOICES)
    put.side_effect = [
        httpx.ReadTimeout("read timed out"),
        httpx.Response(200, json=fixture_json("invoices_put_created_one.json")),
    ]
    lookup = xero_api.get(INVOICES).respond(json=fixture_json("invoices_get_none_found.json"))

    sync_push_due(connection_id=connection.pk)
    retry_now(record_of(connection, invoice))
    sync_push_due(connection_id=connection.pk)

    assert lookup.call_count == 1
    assert put.call_count == 2
    assert record_of(connection, invoice).external_id == INVOICE_ID
    # The outcome of the first was unknown, so the resend carries the same key: had Xero
    # committed it after all, it could answer from the first request instead of creating.
    first, second = (c.request.headers["Idempotency-Key"] for c in put.calls)
    assert first == second


def test_a_lost_worker_is_caught_by_the_maybe_created_mark(org, nominal, connection, xero_api):
    """A worker that died mid-request never counted an attempt; the mark made before sending
    still makes the next push look the invoice up first."""
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    record = record_of(connection, invoice)
    record.details["maybe_created"] = True
    record.save()
    lookup = xero_api.get(INVOICES).respond(json=fixture_json("invoices_get_by_number_found.json"))
    put = xero_api.put(INVOICES)
    xero_api.post(INVOICES).respond(json=fixture_json("invoices_post_updated.json"))

    sync_push_due(connection_id=connection.pk)

    assert lookup.called and not put.called
    assert record_of(connection, invoice).external_id == FOUND_INVOICE_ID


def test_429_waits_for_retry_after_without_counting_an_attempt(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    put = xero_api.put(INVOICES).respond(
        429, headers={"Retry-After": "42", "X-Rate-Limit-Problem": "minute"}
    )

    summary = sync_push_due(connection_id=connection.pk)

    record = record_of(connection, invoice)
    assert summary.deferred
    assert record.state == SyncRecord.State.PENDING
    assert record.attempts == 0
    assert record.next_attempt_at >= timezone.now() + datetime.timedelta(seconds=40)
    assert not record.details.get("maybe_created")  # refused outright: nothing to look up
    retry_now(record)
    sync_push_due(connection_id=connection.pk)
    assert put.call_count == 1  # everyone waits out the Retry-After
    assert SyncActivity.objects.filter(message="Rate limited; waiting 42s").exists()


def test_extra_calls_in_a_batch_count_against_the_minute_limit(org, nominal, connection, xero_api):
    """The hub counts one call per batch; the contact PUT before the invoices PUT takes a
    second slot, so a nearly spent minute defers the batch instead of overrunning Xero."""
    from integrations.ratelimit import RateLimiter
    from xero_sync.provider import XeroProvider

    invoice = xero_invoice(org, nominal)
    contacts = xero_api.put(CONTACTS).respond(json=contact_created(invoice.customer))
    invoices = xero_api.put(INVOICES)
    # Time stands still at the start of the next minute window, so the window cannot roll
    # over in the middle of the test.
    window_start = (time.time() // 60 + 1) * 60 + 1
    with time_machine.travel(window_start, tick=False) as clock:
        limiter = RateLimiter(key=f"connection:{connection.pk}", limit=XeroProvider.rate_limit)
        for _ in range(59):
            assert limiter.acquire(paced=False) == 0
        clock.shift(3)  # a little later in the minute, past the pace of bulk work

        summary = sync_push_due(connection_id=connection.pk)

    assert summary.deferred
    assert contacts.call_count == 1  # the 60th call of the minute
    assert not invoices.called  # the 61st waits for the next window
    record = record_of(connection, invoice)
    assert (record.state, record.attempts) == (SyncRecord.State.PENDING, 0)
    assert record_of(connection, invoice.customer).external_id == CONTACT_ID  # kept


# --- totals ------------------------------------------------------------------------------


def test_a_total_mismatch_is_flagged(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    xero_api.put(INVOICES).respond(json=fixture_json("invoices_put_total_differs_by_a_penny.json"))

    sync_push_due(connection_id=connection.pk)

    record = record_of(connection, invoice)
    assert record.state == SyncRecord.State.SYNCED
    assert record.details["total_mismatch"] is True
    assert record.details["xero_total"] == "120.01"
    assert invoice.total == Decimal("120.00")


def xero_answer_computing_line_level(request: httpx.Request) -> httpx.Response:
    """A Xero that computes each invoice's totals line by line from what we sent: Quantity x
    UnitAmount rounded to pennies, and our TaxAmount per line."""
    invoices = []
    for n, sent in enumerate(json.loads(request.content)["Invoices"]):
        subtotal, tax, total = mapping.xero_totals(sent)
        invoices.append(
            {
                **sent,
                "InvoiceID": f"00000000-0000-0000-0000-{n + 1:012d}",
                "SubTotal": float(subtotal),
                "TotalTax": float(tax),
                "Total": float(total),
                "StatusAttributeString": "OK",
            }
        )
    return httpx.Response(200, json={"Status": "OK", "Invoices": invoices})


def test_tricky_roundings_agree_with_xero(org, nominal, connection, xero_api):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    cases = [
        ((3, "0.3333", "20"),),
        ((1, "0.125", "20"), (1, "0.135", "20")),
        ((1, "0.025", "20"), (1, "0.025", "20"), (1, "0.025", "20")),
        ((7, "14.2857", "20"), ("2.5", "1.1111", "5")),
        (("0.3333", "99.99", "20"), ("1.5", "0.01", "20")),
    ]
    invoices = [xero_invoice(org, nominal, customer=customer, lines=lines) for lines in cases]
    xero_api.put(INVOICES).mock(side_effect=xero_answer_computing_line_level)

    sync_push_due(connection_id=connection.pk)

    for invoice in invoices:
        details = record_of(connection, invoice).details
        assert details["total_mismatch"] is False, invoice.number
        assert details["xero_total"] == str(invoice.total)
        assert details["xero_total_tax"] == str(invoice.tax_total)


# --- sync now ----------------------------------------------------------------------------


def test_sync_now_after_fixing_the_mapping(org, nominal, connection, xero_api, owner):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    unmapped = NominalCodeFactory(organisation=org, code="4999", name="Later", xero_account_code="")
    invoice = xero_invoice(org, unmapped, customer=customer)
    sync_push_due(connection_id=connection.pk)
    assert record_of(connection, invoice).reason_code == "unmapped_nominal_code"

    AccountCode.objects.create(organisation=org, nominal_code=unmapped, provider="xero", code="200")
    xero_api.put(INVOICES).respond(json=fixture_json("invoices_put_created_one.json"))
    sync_now(connection=connection, obj=invoice, actor=owner)
    sync_push_due(connection_id=connection.pk)

    assert record_of(connection, invoice).state == SyncRecord.State.SYNCED


def test_new_and_changed_invoices_in_one_batch(org, nominal, connection, xero_api):
    """PUT only creates and POST also updates: new invoices go by PUT, so one can never
    overwrite an invoice keyed into Xero under the same number; known ones go by POST."""
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    known = xero_invoice(org, nominal, customer=customer)
    SyncRecord.objects.filter(pk=record_of(connection, known).pk).update(
        state=SyncRecord.State.PENDING, external_id=FOUND_INVOICE_ID
    )
    new = xero_invoice(org, nominal, customer=customer)
    put = xero_api.put(INVOICES).respond(
        json={
            "Invoices": [
                {
                    **fixture_json("invoices_put_created_one.json")["Invoices"][0],
                    "InvoiceNumber": new.number,
                }
            ]
        }
    )
    post = xero_api.post(INVOICES).respond(json=fixture_json("invoices_post_updated.json"))

    summary = sync_push_due(connection_id=connection.pk)

    assert summary.pushed == 2
    assert [i["InvoiceNumber"] for i in sent_json(put)["Invoices"]] == [new.number]
    assert "InvoiceID" not in sent_json(put)["Invoices"][0]
    assert [i["InvoiceID"] for i in sent_json(post)["Invoices"]] == [FOUND_INVOICE_ID]
    assert record_of(connection, new).external_id == INVOICE_ID
    assert record_of(connection, known).external_id == FOUND_INVOICE_ID


def test_a_request_level_400_fails_the_batch_with_xeros_messages(
    org, nominal, connection, xero_api
):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    xero_api.put(INVOICES).respond(400, json=fixture_json("error_400_validation_exception.json"))

    sync_push_due(connection_id=connection.pk)

    record = record_of(connection, invoice)
    assert record.state == SyncRecord.State.FAILED
    assert record.reason_text == (
        "Invoice # must be unique.; The document date cannot be before the period lock date."
    )


def test_sync_now_after_an_error_element_is_a_new_request(
    org, nominal, connection, xero_api, owner
):
    """A fix made in Xero (an account code) leaves our payload as it was: the retry must not
    carry the key of the answered request, or Xero could replay the stored refusal."""
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    refused = fixture_json("invoices_put_mixed_ok_error.json")["Invoices"][1]
    put = xero_api.put(INVOICES)
    put.side_effect = [
        httpx.Response(200, json={"Invoices": [{**refused, "InvoiceNumber": invoice.number}]}),
        httpx.Response(200, json=fixture_json("invoices_put_created_one.json")),
    ]
    sync_push_due(connection_id=connection.pk)
    assert record_of(connection, invoice).state == SyncRecord.State.FAILED

    sync_now(connection=connection, obj=invoice, actor=owner)
    sync_push_due(connection_id=connection.pk)

    first, second = (c.request.headers["Idempotency-Key"] for c in put.calls)
    assert first != second
    assert sent_json(put, 0) == sent_json(put, 1)  # the same body all the same
    assert record_of(connection, invoice).state == SyncRecord.State.SYNCED
