"""Applying Xero's state of an invoice to ours (xero_sync.inbound): payments recorded once,
payments deleted, voids and the work-order conflict; duplicates and out-of-order events.

Xero's answers are fixtures shaped like the spec's Invoice and Payment; each event goes
through the hub's inbox (webhook_apply) exactly as the Celery task runs it."""

import datetime
from decimal import Decimal

import httpx
import pytest

from integrations.models import SyncActivity, SyncRecord, WebhookEvent
from integrations.services.sync import sync_push_due
from integrations.services.webhooks import webhook_apply
from invoicing.models import AuditLog, Invoice, Payment, PaymentMethod
from invoicing.services.invoices import invoice_void
from tests.factories import WorkOrderFactory, make_invoice, make_payment
from xero_sync import inbound
from xero_sync.client import invoice_state_from_element
from xero_sync.provider import XeroProvider, event_key

from .conftest import (
    API_URL,
    INVOICE_ID,
    PAYMENT_30,
    PAYMENT_50,
    PAYMENT_ID,
    TENANT_ID,
    UPDATED_MS,
    page_of,
    record_of,
    synced,
    xero_answer,
    xero_element,
    xero_invoice,
)

pytestmark = pytest.mark.django_db

INVOICE_URL = f"{API_URL}/Invoices/{INVOICE_ID}"
_sequence = iter(range(1, 10_000))


def deliver(category="INVOICE", resource_id=INVOICE_ID) -> str:
    """One INVOICE UPDATE event stored and applied the way the hub's task does it."""
    return webhook_apply(event_id=store(category, resource_id).pk)


def store(category="INVOICE", resource_id=INVOICE_ID) -> WebhookEvent:
    """One INVOICE UPDATE event stored, waiting for its apply."""
    payload = {
        "resourceUrl": f"{API_URL}/Invoices/{resource_id}",
        "resourceId": resource_id,
        # Each event its own time: a new event, not a redelivery.
        "eventDateUtc": f"2026-10-26T10:00:{next(_sequence) % 60:02d}.{next(_sequence):03d}",
        "eventType": "UPDATE",
        "eventCategory": category,
        "tenantId": TENANT_ID,
        "tenantType": "ORGANISATION",
    }
    return WebhookEvent.objects.create(
        provider="xero", event_key=event_key(payload), payload=payload
    )


def xero_says(xero_api, *answers):
    """GET /Invoices/{id} answers these, in turn (the last one from then on)."""
    route = xero_api.get(INVOICE_URL)
    responses = [httpx.Response(200, json=answer) for answer in answers]
    route.side_effect = lambda request: responses.pop(0) if len(responses) > 1 else responses[0]
    return route


@pytest.fixture
def invoice_100(org, nominal, connection):
    """£100 with no tax, as in the issue's 50-then-30 example, pushed to Xero."""
    invoice = xero_invoice(org, nominal, lines=((1, "100.00", "0"),))
    synced(connection, invoice)
    return invoice


@pytest.fixture
def invoice_120(org, nominal, connection):
    invoice = xero_invoice(org, nominal)
    synced(connection, invoice)
    return invoice


def xero_payments(invoice):
    return list(Payment.objects.filter(invoice=invoice, source="xero").order_by("pk"))


def actions(invoice) -> list[str]:
    return list(
        AuditLog.objects.filter(object_type="invoicing.Invoice", object_id=str(invoice.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


# --- paid in Xero ---------------------------------------------------------------------------


OTHER_INVOICE_ID = "5b9e6b77-2c3d-4a8e-9f41-0d3c7a1e2b64"


def test_webhooks_waiting_together_are_read_in_one_call(org, nominal, connection, xero_api):
    """A payment webhook's apply reads, in the same GET /Invoices?IDs=, the other invoices
    whose webhooks wait to be applied; their applies then need no call of their own."""
    first = xero_invoice(org, nominal)
    synced(connection, first)
    second = xero_invoice(org, nominal)
    synced(connection, second, invoice_id=OTHER_INVOICE_ID)
    paid = [
        xero_element("invoice_paid_in_full.json"),
        xero_element(
            "invoice_paid_in_full.json",
            invoice_id=OTHER_INVOICE_ID,
            invoice_number="INV-0002",
            payment_id="0d0f5c7e-8a6b-4b3c-9d2e-1f4a5b6c7d8e",
        ),
    ]
    by_ids = xero_api.get(f"{API_URL}/Invoices", params={"page": "1"}).respond(
        json=page_of("Invoices", paid)
    )
    one_by_one = xero_api.get(url__startswith=f"{API_URL}/Invoices/")
    waiting = [store(resource_id=INVOICE_ID), store(resource_id=OTHER_INVOICE_ID)]

    assert [webhook_apply(event_id=e.pk) for e in waiting] == ["applied", "applied"]

    assert by_ids.call_count == 1
    params = by_ids.calls.last.request.url.params
    assert sorted(params["IDs"].split(",")) == sorted([INVOICE_ID, OTHER_INVOICE_ID])
    assert not one_by_one.called
    for invoice in (first, second):
        invoice.refresh_from_db()
        assert invoice.status == Invoice.Status.PAID

    # A webhook arriving after that read needs a read of its own.
    one_by_one.respond(json=xero_answer("invoice_paid_in_full.json"))
    assert deliver() == "applied"
    assert (by_ids.call_count, one_by_one.call_count) == (1, 1)


def test_paid_in_full_in_xero_makes_ours_paid_with_a_xero_sync_payment(
    invoice_120, connection, xero_api
):
    xero_says(xero_api, xero_answer("invoice_paid_in_full.json"))

    assert deliver() == WebhookEvent.State.APPLIED

    invoice_120.refresh_from_db()
    assert invoice_120.status == Invoice.Status.PAID
    assert invoice_120.amount_paid == Decimal("120.00")
    (payment,) = xero_payments(invoice_120)
    assert payment.method.name == "Xero Sync"
    assert payment.method == PaymentMethod.objects.get(
        organisation=invoice_120.organisation, name="Xero Sync", is_system=True
    )
    assert payment.reference == PAYMENT_ID
    assert payment.external_id == PAYMENT_ID
    assert payment.amount == Decimal("120.00")
    assert payment.date == datetime.date(2025, 3, 13)  # the payment's Date, /Date(...)/
    assert payment.created_by is None
    assert "payment.recorded" in actions(invoice_120)
    activity = SyncActivity.objects.get(action="payment")
    assert activity.result == "ok"
    assert activity.record == record_of(connection, invoice_120)
    assert "xero-access" not in str(activity.details) + activity.message


def test_part_payments_50_then_30_against_100(invoice_100, xero_api):
    xero_says(
        xero_api,
        xero_answer("invoice_part_paid_50.json"),
        xero_answer("invoice_part_paid_50_then_30.json", updated_ms=UPDATED_MS + 60_000),
    )

    deliver()
    invoice_100.refresh_from_db()
    assert invoice_100.status == Invoice.Status.PART_PAID
    assert invoice_100.amount_paid == Decimal("50.00")

    deliver()
    invoice_100.refresh_from_db()
    assert invoice_100.status == Invoice.Status.PART_PAID
    assert invoice_100.amount_paid == Decimal("80.00")
    assert invoice_100.balance_due == Decimal("20.00")
    assert [(p.external_id, p.amount) for p in xero_payments(invoice_100)] == [
        (PAYMENT_50, Decimal("50.00")),
        (PAYMENT_30, Decimal("30.00")),
    ]


def test_each_xero_payment_is_recorded_once_however_many_events(invoice_100, xero_api):
    xero_says(xero_api, xero_answer("invoice_part_paid_50_then_30.json"))

    for _ in range(4):
        assert deliver() == WebhookEvent.State.APPLIED

    invoice_100.refresh_from_db()
    assert invoice_100.amount_paid == Decimal("80.00")
    assert len(xero_payments(invoice_100)) == 2
    assert actions(invoice_100).count("payment.recorded") == 2
    assert SyncActivity.objects.filter(action="payment").count() == 2


def test_out_of_order_events_converge_on_xero_state(invoice_100, xero_api):
    """The event of the second payment is applied first: each apply reads Xero now."""
    xero_says(xero_api, xero_answer("invoice_part_paid_50_then_30.json"))

    deliver()  # the later event
    deliver()  # the earlier event, arriving late

    invoice_100.refresh_from_db()
    assert invoice_100.amount_paid == Decimal("80.00")
    assert len(xero_payments(invoice_100)) == 2


def test_an_older_snapshot_answered_late_is_not_applied(invoice_100, connection, xero_api):
    """Two applies run together and the one that read Xero first finishes last."""
    newer = invoice_state_from_element(
        xero_element("invoice_part_paid_50.json", updated_ms=UPDATED_MS + 60_000)
    )
    older = invoice_state_from_element(xero_element("invoice_part_paid_50_then_30.json"))

    inbound.apply_invoice_state(connection, newer)
    assert inbound.apply_invoice_state(connection, older) == []

    invoice_100.refresh_from_db()
    assert invoice_100.amount_paid == Decimal("50.00")
    assert [p.external_id for p in xero_payments(invoice_100)] == [PAYMENT_50]


def test_xero_payments_never_count_against_the_manual_balance_check(invoice_120, xero_api):
    """A payment made in Xero is a fact: recorded even beyond what we think is due."""
    make_payment(invoice_120, Decimal("20.00"))
    xero_says(xero_api, xero_answer("invoice_paid_in_full.json"))

    deliver()

    invoice_120.refresh_from_db()
    assert invoice_120.amount_paid == Decimal("140.00")
    assert invoice_120.status == Invoice.Status.PAID


def test_an_answer_without_payments_changes_no_payment(invoice_100, connection, xero_api):
    """Payments missing from the answer (a scope, summaryOnly) are unknown, not deleted."""
    xero_says(xero_api, xero_answer("invoice_part_paid_50.json"))
    deliver()
    answer = xero_answer("invoice_authorised_unpaid.json", updated_ms=UPDATED_MS + 60_000)
    del answer["Invoices"][0]["Payments"]
    xero_says(xero_api, answer)

    deliver()

    invoice_100.refresh_from_db()
    assert invoice_100.amount_paid == Decimal("50.00")
    assert not Payment.objects.get(external_id=PAYMENT_50).is_deleted


# --- deleted in Xero ------------------------------------------------------------------------


def test_payment_deleted_in_xero_soft_deletes_ours_and_reverts_to_part_paid(invoice_100, xero_api):
    xero_says(
        xero_api,
        xero_answer("invoice_part_paid_50_then_30.json"),
        xero_answer("invoice_part_paid_50.json", updated_ms=UPDATED_MS + 60_000),
    )
    deliver()
    deliver()  # the 30 was deleted in Xero: the invoice lists only the 50

    invoice_100.refresh_from_db()
    assert invoice_100.status == Invoice.Status.PART_PAID
    assert invoice_100.amount_paid == Decimal("50.00")
    fifty, thirty = xero_payments(invoice_100)
    assert not fifty.is_deleted
    assert thirty.is_deleted  # the row stays: audit trail
    assert thirty.deleted_reason == "Deleted in Xero"
    assert "payment.deleted" in actions(invoice_100)


def test_every_payment_deleted_reverts_to_unpaid(invoice_120, xero_api):
    xero_says(
        xero_api,
        xero_answer("invoice_paid_in_full.json"),
        xero_answer("invoice_authorised_unpaid.json", updated_ms=UPDATED_MS + 60_000),
    )
    deliver()
    deliver()

    invoice_120.refresh_from_db()
    assert invoice_120.status == Invoice.Status.UNPAID
    assert invoice_120.amount_paid == 0
    (payment,) = xero_payments(invoice_120)
    assert payment.is_deleted


def test_a_deleted_payment_is_never_recorded_again(invoice_100, connection, xero_api):
    """An older answer that still lists the deleted payment does not bring it back."""
    xero_says(
        xero_api,
        xero_answer("invoice_part_paid_50_then_30.json"),
        xero_answer("invoice_part_paid_50.json", updated_ms=UPDATED_MS + 60_000),
    )
    deliver()
    deliver()
    record = record_of(connection, invoice_100)
    record.details.pop("xero_updated_ms")  # as if no time had been kept
    record.save()
    inbound.apply_invoice_state(
        connection,
        invoice_state_from_element(xero_element("invoice_part_paid_50_then_30.json")),
    )

    invoice_100.refresh_from_db()
    assert invoice_100.amount_paid == Decimal("50.00")
    assert Payment.objects.filter(external_id=PAYMENT_30).count() == 1


def test_payment_event_for_a_deleted_payment(invoice_100, xero_api):
    xero_says(
        xero_api,
        xero_answer("invoice_part_paid_50_then_30.json"),
        xero_answer("invoice_part_paid_50.json", updated_ms=UPDATED_MS + 60_000),
    )
    deliver()
    xero_api.get(f"{API_URL}/Payments/{PAYMENT_30}").respond(
        json=xero_answer("payment_deleted.json", payment_id=PAYMENT_30)
    )

    assert deliver("PAYMENT", PAYMENT_30) == WebhookEvent.State.APPLIED

    invoice_100.refresh_from_db()
    assert invoice_100.amount_paid == Decimal("50.00")
    assert Payment.objects.get(external_id=PAYMENT_30).is_deleted


def test_deleted_payment_with_no_matching_row_is_noted_and_nothing_else(
    invoice_100, connection, xero_api
):
    """Made and deleted in Xero before we ever saw it: the badge and the audit log say so."""
    manual = make_payment(invoice_100, Decimal("10.00"))
    xero_says(xero_api, xero_answer("invoice_authorised_unpaid.json"))
    xero_api.get(f"{API_URL}/Payments/{PAYMENT_30}").respond(
        json=xero_answer("payment_deleted.json", payment_id=PAYMENT_30)
    )

    assert deliver("PAYMENT", PAYMENT_30) == WebhookEvent.State.APPLIED
    assert deliver("PAYMENT", PAYMENT_30) == WebhookEvent.State.APPLIED  # noted once

    record = record_of(connection, invoice_100)
    assert record.badge_note == "Payment delete - no match"
    assert record.state == SyncRecord.State.SYNCED
    assert actions(invoice_100).count("xero.payment_delete_no_match") == 1
    entry = AuditLog.objects.get(action="xero.payment_delete_no_match")
    assert entry.details["payment_id"] == PAYMENT_30
    invoice_100.refresh_from_db()
    assert invoice_100.status == Invoice.Status.PART_PAID
    assert invoice_100.amount_paid == Decimal("10.00")
    manual.refresh_from_db()
    assert not manual.is_deleted
    assert not Payment.objects.filter(source="xero").exists()


def test_no_match_note_shows_on_the_badge_tooltip(invoice_100, connection, xero_api):
    from integrations.invoice_sync import badge

    xero_says(xero_api, xero_answer("invoice_authorised_unpaid.json"))
    xero_api.get(f"{API_URL}/Payments/{PAYMENT_30}").respond(
        json=xero_answer("payment_deleted.json", payment_id=PAYMENT_30)
    )
    deliver("PAYMENT", PAYMENT_30)

    shown = badge(
        provider=XeroProvider(), invoice=invoice_100, record=record_of(connection, invoice_100)
    )
    assert "Payment delete - no match" in shown.title


# --- voided in Xero -------------------------------------------------------------------------


def test_voided_in_xero_voids_ours_and_frees_the_work_order(org, nominal, connection, xero_api):
    work_order = WorkOrderFactory(organisation=org)
    invoice = xero_invoice(org, nominal, work_order=work_order)
    synced(connection, invoice)
    xero_says(xero_api, xero_answer("invoice_voided.json"))

    assert deliver() == WebhookEvent.State.APPLIED

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.VOID
    assert invoice.void_reason == "Voided in Xero"
    assert "invoice.voided" in actions(invoice)
    # The work order is free: a new invoice for it can be made and finalised.
    again = make_invoice(org, finalise=True, work_order=work_order)
    assert again.status == Invoice.Status.UNPAID
    # The void was not pushed back to Xero.
    assert record_of(connection, invoice).state == SyncRecord.State.SYNCED


def test_voided_in_xero_after_its_payments_were_deleted_there(invoice_120, xero_api):
    """Xero voids only invoices without payments: ours loses its Xero payment, then voids."""
    xero_says(
        xero_api,
        xero_answer("invoice_paid_in_full.json"),
        xero_answer("invoice_voided.json", updated_ms=UPDATED_MS + 60_000),
    )
    deliver()
    deliver()

    invoice_120.refresh_from_db()
    assert invoice_120.status == Invoice.Status.VOID
    (payment,) = xero_payments(invoice_120)
    assert payment.is_deleted


def test_void_conflict_when_the_work_order_was_re_invoiced_locally(
    org, nominal, connection, xero_api
):
    work_order = WorkOrderFactory(organisation=org)
    old = xero_invoice(org, nominal, work_order=work_order)
    synced(connection, old)
    invoice_void(invoice=old, actor=None, reason="Wrong labour rate")  # voids are not pushed
    live = xero_invoice(org, nominal, work_order=work_order)
    live_before = Invoice.objects.values().get(pk=live.pk)
    xero_says(xero_api, xero_answer("invoice_voided.json"))  # voided by hand in Xero later

    assert deliver() == WebhookEvent.State.APPLIED
    assert deliver() == WebhookEvent.State.APPLIED  # written once

    assert Invoice.objects.values().get(pk=live.pk) == live_before
    conflict = AuditLog.objects.get(action="xero.void_conflict")
    assert conflict.object_id == str(old.pk)
    assert conflict.details["live_invoice_number"] == live.number
    record = record_of(connection, old)
    assert record.badge_note == "Work order already re-invoiced"
    from integrations.invoice_sync import badge

    shown = badge(provider=XeroProvider(), invoice=old, record=record)
    assert shown.label == "Work order already re-invoiced"


def test_void_blocked_by_payments_recorded_in_torqueflow(invoice_120, connection, xero_api):
    manual = make_payment(invoice_120, Decimal("20.00"))
    xero_says(xero_api, xero_answer("invoice_voided.json"))

    assert deliver() == WebhookEvent.State.APPLIED

    invoice_120.refresh_from_db()
    assert invoice_120.status == Invoice.Status.PART_PAID
    manual.refresh_from_db()
    assert not manual.is_deleted
    assert "xero.void_blocked" in actions(invoice_120)
    assert record_of(connection, invoice_120).badge_note.startswith("Voided in Xero")


def test_payment_in_xero_on_an_invoice_void_here_is_not_recorded(invoice_120, connection, xero_api):
    invoice_void(invoice=invoice_120, actor=None, reason="Duplicate")
    xero_says(xero_api, xero_answer("invoice_paid_in_full.json"))

    assert deliver() == WebhookEvent.State.APPLIED
    deliver()

    assert not xero_payments(invoice_120)
    assert actions(invoice_120).count("xero.payment_not_recorded") == 1
    assert record_of(connection, invoice_120).badge_note == ("Payment in Xero not recorded")


# --- one way: nothing goes back to Xero -----------------------------------------------------


def test_payments_are_never_pushed(org, nominal, connection, xero_api):
    from tests.factories import CustomerFactory

    from .conftest import fixture_json, link_contact

    customer = CustomerFactory(organisation=org)
    link_contact(connection, customer)
    invoice = xero_invoice(org, nominal, customer=customer)
    put = xero_api.put(f"{API_URL}/Invoices").respond(
        json=fixture_json("invoices_put_created_one.json")
    )
    assert sync_push_due(connection_id=connection.pk).pushed == 1  # finalise → push
    assert put.call_count == 1
    calls = len(xero_api.calls)

    make_payment(invoice, Decimal("50.00"))  # a manual payment in Torqueflow

    record = record_of(connection, invoice)
    assert record.state == SyncRecord.State.SYNCED
    assert sync_push_due(connection_id=connection.pk).pushed == 0
    assert len(xero_api.calls) == calls


def test_applying_xero_state_marks_nothing_for_push(invoice_120, connection, xero_api):
    xero_says(
        xero_api,
        xero_answer("invoice_paid_in_full.json"),
        xero_answer("invoice_voided.json", updated_ms=UPDATED_MS + 60_000),
    )
    deliver()
    deliver()

    record = record_of(connection, invoice_120)
    assert record.state == SyncRecord.State.SYNCED
    assert not SyncRecord.objects.filter(state=SyncRecord.State.PENDING).exists()


@pytest.mark.parametrize("change", ["payments_changed", "voided"])
def test_wants_ignores_payment_and_void_changes(connection, invoice_120, change):
    assert not XeroProvider().wants(connection=connection, obj=invoice_120, change=change)
