"""Payments recorded in Torqueflow sent to Xero (xero_sync.payments_out), behind the Auto-sync
toggle "Send payments recorded in Torqueflow to Xero": off by default; on, each payment is
created in Xero once against its invoice and deleted there when soft-deleted here; and what
comes back from Xero (webhooks, the reconciler) is not recorded a second time.

Xero is mocked at the HTTP boundary with answers shaped like the spec's Payments examples."""

import datetime
from decimal import Decimal

import httpx
import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from integrations.invoice_sync import badge
from integrations.models import SyncActivity, SyncRecord
from integrations.services.connections import connection_set_toggle
from integrations.services.sync import sync_now, sync_push_due
from invoicing.models import Invoice, Payment
from invoicing.services.payments import payment_delete
from tests.factories import CustomerFactory, make_payment
from xero_sync import payments_out
from xero_sync.client import Account, XeroClient, invoice_state_from_element
from xero_sync.inbound import apply_invoice_state
from xero_sync.provider import XeroProvider
from xero_sync.reconcile import reconcile_connection

from .conftest import (
    API_URL,
    INVOICE_ID,
    PAYMENT_50,
    PAYMENT_ID,
    TENANT_ID,
    UPDATED_MS,
    fixture_json,
    link_contact,
    page_of,
    record_of,
    sent_json,
    synced,
    xero_answer,
    xero_element,
    xero_invoice,
)

pytestmark = pytest.mark.django_db

PAYMENTS = f"{API_URL}/Payments"
INVOICES = f"{API_URL}/Invoices"
BANK_ID = "5690f1e8-1d02-4893-90c2-ee1a69eff942"
CLEARING_ID = "13918178-849a-4823-9a31-57b7eac713d7"
EXCEEDS = "Payment amount exceeds the amount outstanding on this document"
NOT_AUTHORISED = "Payments can only be made against Authorised documents."
BANK = Account(
    account_id=BANK_ID,
    code="090",
    name="Business Bank Account",
    type="BANK",
    status="ACTIVE",
    enable_payments=False,
)


def created(payment_id=PAYMENT_50, amount="50.00", reference="", updated_ms=UPDATED_MS):
    return fixture_json(
        "payments_put_created.json",
        payment_id=payment_id,
        amount=amount,
        reference=reference,
        updated_ms=str(updated_ms),
        account_id=BANK_ID,
        invoice_id=INVOICE_ID,
        invoice_number="INV-0001",
    )


def refused(message, amount="50.00"):
    return fixture_json(
        "payments_put_refused.json",
        message=message,
        amount=amount,
        account_id=BANK_ID,
        invoice_id=INVOICE_ID,
    )


def deleted(payment_id=PAYMENT_50):
    return fixture_json(
        "payment_post_deleted.json",
        payment_id=payment_id,
        updated_ms=str(UPDATED_MS + 120_000),
        account_id=BANK_ID,
        invoice_id=INVOICE_ID,
        invoice_number="INV-0001",
    )


def updated(invoice):
    """POST /Invoices answering for this invoice (a Sync now sends it again)."""
    answer = fixture_json("invoices_post_updated.json")
    answer["Invoices"][0].update(InvoiceID=INVOICE_ID, InvoiceNumber=invoice.number)
    return answer


def retry_now(*records):
    SyncRecord.objects.filter(pk__in=[r.pk for r in records]).update(next_attempt_at=None)


def payment_record(connection, payment) -> SyncRecord | None:
    return SyncRecord.objects.filter(
        connection=connection,
        object_type=ContentType.objects.get_for_model(Payment),
        object_id=payment.pk,
    ).first()


@pytest.fixture
def invoice(org, nominal, connection):
    """£120 (100 + 20% VAT), already in Xero as INVOICE_ID, with its customer."""
    invoice = xero_invoice(org, nominal)
    link_contact(connection, invoice.customer)
    synced(connection, invoice)
    return invoice


@pytest.fixture
def sending(connection, owner):
    """The owner turned the toggle on and chose the bank account."""
    connection = connection_set_toggle(
        connection=connection, actor=owner, key="send_payments", value=True
    )
    return payments_out.payments_account_set(connection=connection, account=BANK, actor=owner)


# --- the client ---------------------------------------------------------------------------


def test_a_payment_is_put_with_its_idempotency_key(xero_api):
    route = xero_api.put(PAYMENTS).respond(json=created())
    payload = {
        "Invoice": {"InvoiceID": INVOICE_ID},
        "Account": {"AccountID": BANK_ID},
        "Date": "2026-10-26",
        "Amount": 50,
        "Reference": "Bank transfer",
    }

    with XeroClient(token="token-0", tenant_id=TENANT_ID) as client:
        result = client.create_payment(payload, idempotency_key="torqueflow-payment-1")

    assert result.ok and result.payment_id == PAYMENT_50 and result.status == "AUTHORISED"
    assert result.amount == Decimal("50.00")
    request = route.calls.last.request
    assert request.headers["Idempotency-Key"] == "torqueflow-payment-1"
    assert request.headers["xero-tenant-id"] == TENANT_ID
    assert request.url.params["summarizeErrors"] == "false"
    assert sent_json(route) == {"Payments": [payload]}


def test_a_refused_payment_carries_xeros_message(xero_api):
    xero_api.put(PAYMENTS).respond(json=refused(EXCEEDS))

    with XeroClient(token="token-0", tenant_id=TENANT_ID) as client:
        result = client.create_payment({}, idempotency_key="k")

    assert not result.ok
    assert result.errors == (EXCEEDS,)


def test_a_payment_is_deleted_by_posting_status_deleted(xero_api):
    route = xero_api.post(f"{PAYMENTS}/{PAYMENT_50}").respond(json=deleted())

    with XeroClient(token="token-0", tenant_id=TENANT_ID) as client:
        result = client.delete_payment(PAYMENT_50, idempotency_key="torqueflow-delete-1")

    assert result.ok and result.status == "DELETED"
    assert sent_json(route) == {"Payments": [{"Status": "DELETED"}]}
    assert route.calls.last.request.headers["Idempotency-Key"] == "torqueflow-delete-1"


def test_only_accounts_that_take_payments_are_offered(xero_api):
    xero_api.get(f"{API_URL}/Accounts").respond(
        json=fixture_json("accounts_get_chart.json", bank_id=BANK_ID, clearing_id=CLEARING_ID)
    )

    with XeroClient(token="token-0", tenant_id=TENANT_ID) as client:
        accounts = payments_out.payment_accounts(client)

    # The bank account and one with payments enabled; not Sales, not an archived bank.
    assert [(a.code, a.name) for a in accounts] == [
        ("090", "Business Bank Account"),
        ("880", "Owner A Drawings"),
    ]


# --- off by default -----------------------------------------------------------------------


def test_off_nothing_is_sent_and_the_badge_says_so(invoice, connection, xero_api):
    payment = make_payment(invoice, "50.00")

    record = record_of(connection, invoice)
    assert record.state == SyncRecord.State.SYNCED  # not made pending by the payment
    sync_push_due(connection_id=connection.pk)
    assert payment_record(connection, payment) is None
    assert not xero_api.calls

    record.last_synced_at = datetime.datetime(2026, 12, 7, 17, 40, tzinfo=datetime.UTC)
    shown = badge(provider=XeroProvider(), invoice=invoice, record=record, connection=connection)
    assert shown.label == "Synced to Xero"
    assert shown.tone == "green"
    assert shown.title == (
        "Last synced 07 Dec 2026 17:40. Payments recorded in Torqueflow are not sent to Xero."
    )


def test_on_the_badge_hover_says_only_when_it_was_synced(invoice, connection, sending):
    record = record_of(connection, invoice)
    record.last_synced_at = datetime.datetime(2026, 12, 7, 17, 40, tzinfo=datetime.UTC)
    shown = badge(provider=XeroProvider(), invoice=invoice, record=record, connection=sending)
    assert shown.title == "Last synced 07 Dec 2026 17:40"


# --- on: created once ---------------------------------------------------------------------


def test_on_a_payment_recorded_here_is_created_in_xero_once(invoice, connection, sending, xero_api):
    put = xero_api.put(PAYMENTS).respond(json=created())

    payment = make_payment(invoice, "50.00", reference="Bank transfer 1234")
    assert record_of(connection, invoice).state == SyncRecord.State.PENDING
    summary = sync_push_due(connection_id=connection.pk)

    assert summary.pushed == 1
    assert put.call_count == 1
    # The invoice is unchanged: only its payment went.
    assert [c.request.url.path for c in xero_api.calls] == ["/api.xro/2.0/Payments"]
    (sent,) = sent_json(put)["Payments"]
    assert sent == {
        "Invoice": {"InvoiceID": INVOICE_ID},
        "Account": {"AccountID": BANK_ID},
        "Date": payment.date.isoformat(),
        "Amount": 50,
        "Reference": "Bank transfer 1234",
    }
    assert put.calls.last.request.headers["Idempotency-Key"].startswith("torqueflow-payment-")
    assert payment_record(connection, payment).external_id == PAYMENT_50
    record = record_of(connection, invoice)
    assert record.state == SyncRecord.State.SYNCED
    assert SyncActivity.objects.filter(
        connection=connection, action="payment_out", message="Payment of £50.00 sent to Xero"
    ).exists()

    # Pushed again, and pressed Sync now: the payment is not created a second time.
    sync_push_due(connection_id=connection.pk)
    xero_api.post(INVOICES).respond(json=updated(invoice))
    sync_now(connection=connection, obj=invoice, actor=None)
    sync_push_due(connection_id=connection.pk)
    assert put.call_count == 1
    assert record_of(connection, invoice).state == SyncRecord.State.SYNCED


def test_a_lost_answer_is_sent_again_with_the_same_key(invoice, connection, sending, xero_api):
    put = xero_api.put(PAYMENTS)
    put.side_effect = [httpx.ReadTimeout("read timed out"), httpx.Response(200, json=created())]
    look_up = xero_api.get(f"{INVOICES}/{INVOICE_ID}").respond(
        json=xero_answer("invoice_authorised_unpaid.json")
    )
    payment = make_payment(invoice, "50.00")

    sync_push_due(connection_id=connection.pk)
    record = record_of(connection, invoice)
    assert record.state == SyncRecord.State.PENDING  # a timeout retries
    assert payment_record(connection, payment).details["maybe_created"] is True

    retry_now(record)
    sync_push_due(connection_id=connection.pk)

    assert look_up.called  # did the first one get in after all? Not here.
    first, second = (call.request.headers["Idempotency-Key"] for call in put.calls)
    assert first == second
    assert payment_record(connection, payment).external_id == PAYMENT_50
    assert record_of(connection, invoice).state == SyncRecord.State.SYNCED


def test_a_lost_answer_that_got_in_is_not_created_again(invoice, connection, sending, xero_api):
    put = xero_api.put(PAYMENTS).mock(side_effect=httpx.ReadTimeout("read timed out"))
    payment = make_payment(invoice, "50.00", reference="")
    sync_push_due(connection_id=connection.pk)
    # Xero made it: the invoice lists a £50 payment with our reference (the method's name).
    answer = xero_answer("invoice_part_paid_50.json")
    answer["Invoices"][0]["Payments"][0]["Reference"] = payment.method.name
    answer["Invoices"][0]["Payments"][0]["Date"] = f"{payment.date.isoformat()}T00:00:00"
    xero_api.get(f"{INVOICES}/{INVOICE_ID}").respond(json=answer)

    retry_now(record_of(connection, invoice))
    sync_push_due(connection_id=connection.pk)

    assert put.call_count == 1
    assert payment_record(connection, payment).external_id == PAYMENT_50
    assert record_of(connection, invoice).state == SyncRecord.State.SYNCED


def test_a_gohighlevel_payment_is_sent_too(invoice, connection, sending, xero_api):
    put = xero_api.put(PAYMENTS).respond(json=created(amount="120.00"))

    make_payment(invoice, "120.00", source="ghl", external_id="ghl-txn-1", reference="GHL 1")
    sync_push_due(connection_id=connection.pk)

    assert sent_json(put)["Payments"][0]["Amount"] == 120
    assert sent_json(put)["Payments"][0]["Reference"] == "GHL 1"


def test_a_payment_made_in_xero_is_never_sent_back(invoice, connection, sending, xero_api):
    make_payment(invoice, "50.00", source="xero", external_id=PAYMENT_ID)

    assert record_of(connection, invoice).state == SyncRecord.State.SYNCED
    sync_push_due(connection_id=connection.pk)
    assert not xero_api.calls


def test_payments_recorded_before_it_was_turned_on_are_not_sent(
    invoice, connection, owner, xero_api
):
    make_payment(invoice, "20.00")
    connection = connection_set_toggle(
        connection=connection, actor=owner, key="send_payments", value=True
    )
    payments_out.payments_account_set(connection=connection, account=BANK, actor=owner)
    put = xero_api.put(PAYMENTS).respond(json=created(amount="30.00"))

    later = make_payment(invoice, "30.00")
    sync_push_due(connection_id=connection.pk)

    assert put.call_count == 1
    assert sent_json(put)["Payments"][0]["Amount"] == 30
    assert payment_record(connection, later).external_id == PAYMENT_50


# --- deleted here -------------------------------------------------------------------------


def test_a_payment_deleted_here_is_deleted_in_xero_once(invoice, connection, sending, xero_api):
    xero_api.put(PAYMENTS).respond(json=created())
    payment = make_payment(invoice, "50.00")
    sync_push_due(connection_id=connection.pk)
    delete = xero_api.post(f"{PAYMENTS}/{PAYMENT_50}").respond(json=deleted())

    payment_delete(payment=payment, actor=None, reason="Entered twice")
    assert record_of(connection, invoice).state == SyncRecord.State.PENDING
    sync_push_due(connection_id=connection.pk)

    assert delete.call_count == 1
    assert sent_json(delete) == {"Payments": [{"Status": "DELETED"}]}
    assert payment_record(connection, payment).details["deleted_in_xero"] is True
    assert record_of(connection, invoice).state == SyncRecord.State.SYNCED

    sync_now(connection=connection, obj=invoice, actor=None)
    xero_api.post(INVOICES).respond(json=updated(invoice))
    sync_push_due(connection_id=connection.pk)
    assert delete.call_count == 1


# --- waiting and refusals -----------------------------------------------------------------


def test_without_an_account_payments_wait_and_go_once_one_is_chosen(
    invoice, connection, owner, xero_api
):
    connection = connection_set_toggle(
        connection=connection, actor=owner, key="send_payments", value=True
    )
    put = xero_api.put(PAYMENTS).respond(json=created())
    make_payment(invoice, "50.00")

    sync_push_due(connection_id=connection.pk)

    record = record_of(connection, invoice)
    assert record.state == SyncRecord.State.FAILED
    assert record.reason_text == "Choose the account payments go to on the Xero page"
    shown = badge(provider=XeroProvider(), invoice=invoice, record=record, connection=connection)
    assert (shown.label, shown.tone) == ("Sync failed", "red")
    assert not put.called

    payments_out.payments_account_set(connection=connection, account=BANK, actor=owner)
    assert record_of(connection, invoice).state == SyncRecord.State.PENDING
    sync_push_due(connection_id=connection.pk)

    assert put.call_count == 1
    assert sent_json(put)["Payments"][0]["Account"] == {"AccountID": BANK_ID}
    assert record_of(connection, invoice).state == SyncRecord.State.SYNCED


@pytest.mark.parametrize("message", [EXCEEDS, NOT_AUTHORISED])
def test_a_refused_payment_fails_the_badge_with_xeros_reason(
    invoice, connection, sending, xero_api, message
):
    put = xero_api.put(PAYMENTS).respond(json=refused(message))
    make_payment(invoice, "50.00")

    sync_push_due(connection_id=connection.pk)
    sync_push_due(connection_id=connection.pk)

    record = record_of(connection, invoice)
    assert record.state == SyncRecord.State.FAILED
    assert record.reason_text == f"Payment of £50.00 not sent to Xero: {message}"
    assert record.next_attempt_at is None  # no retries on its own
    assert put.call_count == 1


def test_a_new_invoice_and_its_payment_go_in_one_push_and_a_refusal_keeps_the_invoice(
    org, nominal, connection, sending, xero_api
):
    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    make_payment(invoice, "50.00")
    created_invoice = xero_api.put(INVOICES).respond(
        json=fixture_json("invoices_put_created_one.json")
    )
    xero_api.put(PAYMENTS).respond(json=refused(EXCEEDS))

    sync_push_due(connection_id=connection.pk)

    record = record_of(connection, invoice)
    assert record.state == SyncRecord.State.FAILED
    assert record.external_id == INVOICE_ID  # kept: the retry does not create it again
    assert created_invoice.call_count == 1


# --- coming back from Xero ----------------------------------------------------------------


def test_our_payment_in_xeros_invoice_is_not_recorded_again(invoice, connection, sending, xero_api):
    xero_api.put(PAYMENTS).respond(json=created(updated_ms=UPDATED_MS - 1000))
    ours = make_payment(invoice, "50.00")
    sync_push_due(connection_id=connection.pk)

    # The INVOICE UPDATE webhook (or the reconciler) reads the invoice with our payment.
    state = xero_element("invoice_part_paid_50.json")
    apply_invoice_state(connection, invoice_state_from_element(state))

    assert list(Payment.objects.filter(invoice=invoice).live()) == [ours]
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("50.00")


def test_the_reconciler_records_no_duplicate_either(invoice, connection, sending, xero_api):
    xero_api.put(PAYMENTS).respond(json=created(updated_ms=UPDATED_MS - 1000))
    ours = make_payment(invoice, "50.00")
    sync_push_due(connection_id=connection.pk)
    xero_api.get(INVOICES, params={"page": "1"}).respond(
        json=page_of("Invoices", [xero_element("invoice_part_paid_50.json")])
    )
    xero_api.get(PAYMENTS, params={"page": "1"}).respond(
        json=page_of("Payments", [xero_element("payment_authorised.json", payment_id=PAYMENT_50)])
    )

    reconcile_connection(connection, now=timezone.now())

    assert list(Payment.objects.filter(invoice=invoice).live()) == [ours]


def test_a_payment_deleted_here_that_xero_still_lists_is_not_recorded_back(
    invoice, connection, sending, xero_api
):
    """Deleted here after it was sent, before the delete reached Xero: the reconciler's
    page still lists it, and it must not come back as a payment from Xero."""
    xero_api.put(PAYMENTS).respond(json=created(updated_ms=UPDATED_MS - 1000))
    ours = make_payment(invoice, "50.00")
    sync_push_due(connection_id=connection.pk)
    payment_delete(payment=ours, actor=None, reason="Keyed twice")
    xero_api.get(INVOICES, params={"page": "1"}).respond(
        json=page_of("Invoices", [xero_element("invoice_part_paid_50.json")])
    )
    xero_api.get(PAYMENTS, params={"page": "1"}).respond(json=page_of("Payments", []))

    reconcile_connection(connection, now=timezone.now())

    assert not Payment.objects.filter(invoice=invoice, source="xero").exists()
    assert list(Payment.objects.filter(invoice=invoice).live()) == []


def test_a_payment_we_sent_then_deleted_in_xero_is_soft_deleted_here(
    invoice, connection, sending, xero_api
):
    xero_api.put(PAYMENTS).respond(json=created(updated_ms=UPDATED_MS - 1000))
    ours = make_payment(invoice, "50.00")
    sync_push_due(connection_id=connection.pk)
    # Someone deletes it in Xero: the invoice, updated since, lists no payment.
    apply_invoice_state(
        connection,
        invoice_state_from_element(xero_element("invoice_authorised_unpaid.json")),
    )

    ours.refresh_from_db()
    assert ours.is_deleted
    assert ours.deleted_reason == "Deleted in Xero"
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.UNPAID
    # …and it is not sent to Xero as a deletion, nor created again.
    assert record_of(connection, invoice).state == SyncRecord.State.SYNCED
    sync_push_due(connection_id=connection.pk)
    assert [c.request.method for c in xero_api.calls] == ["PUT"]


def test_an_older_snapshot_without_our_payment_deletes_nothing(
    invoice, connection, sending, xero_api
):
    xero_api.put(PAYMENTS).respond(json=created(updated_ms=UPDATED_MS + 60_000))
    ours = make_payment(invoice, "50.00")
    sync_push_due(connection_id=connection.pk)
    # Read before our payment was made (UPDATED_MS is older than the payment).
    apply_invoice_state(
        connection,
        invoice_state_from_element(xero_element("invoice_authorised_unpaid.json")),
    )

    ours.refresh_from_db()
    assert not ours.is_deleted


def test_deleting_the_refused_payment_here_clears_the_failed_badge(
    invoice, connection, sending, xero_api
):
    xero_api.put(PAYMENTS).respond(json=refused(EXCEEDS))
    payment = make_payment(invoice, "50.00")
    sync_push_due(connection_id=connection.pk)
    assert record_of(connection, invoice).state == SyncRecord.State.FAILED

    payment_delete(payment=payment, actor=None, reason="Wrong amount")
    sync_push_due(connection_id=connection.pk)

    record = record_of(connection, invoice)
    assert record.state == SyncRecord.State.SYNCED
    assert [c.request.method for c in xero_api.calls] == ["PUT"]  # nothing to delete there
