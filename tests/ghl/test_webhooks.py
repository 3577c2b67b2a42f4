"""GoHighLevel webhooks through the hub's inbox (/webhooks/ghl/): real Ed25519 signatures
from a key pair made for the tests (its public half in settings), the legacy RSA scheme,
replays, payments recorded exactly once, voids noted, uninstall disconnecting."""

import datetime
import json
from decimal import Decimal

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone

from integrations.models import Connection, SyncActivity, SyncRecord, WebhookEvent
from integrations.services.webhooks import webhook_apply
from invoicing.models import AuditLog, Invoice, Payment, PaymentMethod
from tests.factories import make_invoice

from .conftest import (
    COMPANY_ID,
    GHL_INVOICE_ID,
    LOCATION_ID,
    public_pem,
    sign_ed25519,
    sign_rsa,
    webhook_body,
)

pytestmark = pytest.mark.django_db

URL = "/webhooks/ghl/"


def encode(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def post(raw: bytes, **headers):
    return Client(enforce_csrf_checks=True).post(
        URL, raw, content_type="application/json", headers=headers
    )


@pytest.fixture
def deliver(ed25519_key):
    """Sign a body with the GoHighLevel (test) key, post it, apply what was stored."""

    def _deliver(body: dict) -> int:
        raw = encode(body)
        response = post(raw, **{"X-GHL-Signature": sign_ed25519(ed25519_key, raw)})
        for event in WebhookEvent.objects.filter(state=WebhookEvent.State.RECEIVED):
            webhook_apply(event_id=event.pk)
        return response.status_code

    return _deliver


@pytest.fixture
def pushed(connection, invoice):
    """INV-0001 (120.00) as GoHighLevel holds it."""
    return SyncRecord.objects.create(
        organisation=connection.organisation,
        connection=connection,
        object_type=ContentType.objects.get_for_model(Invoice),
        object_id=invoice.pk,
        state=SyncRecord.State.SYNCED,
        external_id=GHL_INVOICE_ID,
        last_synced_at=timezone.now(),
        label=invoice.number,
        remote_status="sent",
    )


def ghl_payments(invoice) -> list[Payment]:
    return list(Payment.objects.filter(invoice=invoice, source="ghl").order_by("pk"))


# --- signatures ----------------------------------------------------------------------------


def test_ed25519_signed_body_is_accepted_and_stored(ed25519_key, connection):
    raw = encode(webhook_body("webhook_invoice_paid.json"))

    response = post(raw, **{"X-GHL-Signature": sign_ed25519(ed25519_key, raw)})

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.provider == "ghl"
    assert event.event_key == "wh-paid-1"


def test_tampered_body_is_rejected(ed25519_key, connection):
    raw = encode(webhook_body("webhook_invoice_paid.json"))
    signature = sign_ed25519(ed25519_key, raw)
    tampered = raw.replace(b'"amountPaid":120', b'"amountPaid":999')
    assert tampered != raw

    assert post(tampered, **{"X-GHL-Signature": signature}).status_code == 401
    assert not WebhookEvent.objects.exists()


def test_a_signature_from_another_key_is_rejected(connection):
    raw = encode(webhook_body("webhook_invoice_paid.json"))
    stranger = ed25519.Ed25519PrivateKey.generate()

    assert post(raw, **{"X-GHL-Signature": sign_ed25519(stranger, raw)}).status_code == 401
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-GHL-Signature": "N/A"},
        {"X-GHL-Signature": "N/A", "X-WH-Signature": "N/A"},
        {"X-GHL-Signature": "not base64 !!"},
        {"X-WH-Signature": ""},
    ],
)
def test_missing_or_empty_signature_is_rejected(connection, headers):
    raw = encode(webhook_body("webhook_invoice_paid.json"))
    assert post(raw, **headers).status_code == 401
    assert not WebhookEvent.objects.exists()


def test_legacy_rsa_signature_is_accepted_when_the_current_one_is_absent(rsa_key, connection):
    raw = encode(webhook_body("webhook_invoice_paid.json"))

    response = post(raw, **{"X-WH-Signature": sign_rsa(rsa_key, raw)})

    assert response.status_code == 200
    assert WebhookEvent.objects.get().event_key == "wh-paid-1"


def test_legacy_rsa_signature_over_a_tampered_body_is_rejected(rsa_key, connection):
    raw = encode(webhook_body("webhook_invoice_paid.json"))
    signature = sign_rsa(rsa_key, raw)

    assert post(raw + b" ", **{"X-WH-Signature": signature}).status_code == 401


def test_when_the_current_header_is_there_the_legacy_one_does_not_count(rsa_key, connection):
    raw = encode(webhook_body("webhook_invoice_paid.json"))
    headers = {"X-GHL-Signature": "bm90IGEgc2lnbmF0dXJl", "X-WH-Signature": sign_rsa(rsa_key, raw)}
    assert post(raw, **headers).status_code == 401


def test_the_public_key_comes_from_settings(settings, ed25519_key, connection):
    other = ed25519.Ed25519PrivateKey.generate()
    raw = encode(webhook_body("webhook_invoice_paid.json"))
    # As it may arrive from the environment: one line, "\\n" for its line breaks.
    settings.GHL_WEBHOOK_PUBLIC_KEY = public_pem(other.public_key()).replace("\n", "\\n")

    assert post(raw, **{"X-GHL-Signature": sign_ed25519(ed25519_key, raw)}).status_code == 401
    assert post(raw, **{"X-GHL-Signature": sign_ed25519(other, raw)}).status_code == 200


# --- replays ---------------------------------------------------------------------------------


def test_the_same_webhook_id_is_stored_once(deliver, pushed, invoice):
    body = webhook_body("webhook_invoice_paid.json")

    assert deliver(body) == 200
    assert deliver(body) == 200

    assert WebhookEvent.objects.count() == 1
    assert len(ghl_payments(invoice)) == 1


@pytest.mark.parametrize("minutes", [-6, 6])
def test_a_body_outside_five_minutes_is_refused(ed25519_key, connection, minutes):
    sent_at = timezone.now() + datetime.timedelta(minutes=minutes)
    body = webhook_body("webhook_invoice_paid.json", timestamp=sent_at.isoformat())
    raw = encode(body)

    assert post(raw, **{"X-GHL-Signature": sign_ed25519(ed25519_key, raw)}).status_code == 401
    assert not WebhookEvent.objects.exists()


def test_a_replay_after_five_minutes_is_refused(ed25519_key, deliver, pushed, invoice):
    body = webhook_body("webhook_invoice_paid.json")
    raw = encode(body)
    signature = sign_ed25519(ed25519_key, raw)
    assert post(raw, **{"X-GHL-Signature": signature}).status_code == 200

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=10)):
        assert post(raw, **{"X-GHL-Signature": signature}).status_code == 401


def test_an_unreadable_timestamp_is_refused(ed25519_key, connection):
    raw = encode(webhook_body("webhook_invoice_paid.json", timestamp="last tuesday"))
    assert post(raw, **{"X-GHL-Signature": sign_ed25519(ed25519_key, raw)}).status_code == 401


def test_a_signed_body_that_is_not_json_is_400(ed25519_key, connection):
    raw = b"not json"
    assert post(raw, **{"X-GHL-Signature": sign_ed25519(ed25519_key, raw)}).status_code == 400
    raw = b"[1, 2]"
    assert post(raw, **{"X-GHL-Signature": sign_ed25519(ed25519_key, raw)}).status_code == 400


def test_if_storing_fails_the_answer_is_429(ed25519_key, connection, monkeypatch):
    """GoHighLevel retries only on 429."""

    def broken(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr("integrations.webhook_views.webhook_store", broken)
    raw = encode(webhook_body("webhook_invoice_paid.json"))

    assert post(raw, **{"X-GHL-Signature": sign_ed25519(ed25519_key, raw)}).status_code == 429


# --- payments --------------------------------------------------------------------------------


def test_paid_records_one_payment_and_the_invoice_is_paid(deliver, pushed, invoice, org):
    assert deliver(webhook_body("webhook_invoice_paid.json")) == 200

    (payment,) = ghl_payments(invoice)
    assert payment.amount == Decimal("120.00")
    assert payment.method.name == "GoHighLevel"
    assert payment.method.is_system
    assert payment.reference == f"GHL invoice {GHL_INVOICE_ID}"
    assert payment.external_id == f"{GHL_INVOICE_ID}:120.00"
    assert payment.date == datetime.date(2026, 11, 21)
    assert payment.created_by is None
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert invoice.amount_paid == Decimal("120.00")
    event = WebhookEvent.objects.get()
    assert event.state == WebhookEvent.State.APPLIED
    assert event.organisation == org
    assert AuditLog.objects.filter(action="payment.recorded", object_id=str(invoice.pk)).exists()
    assert SyncActivity.objects.filter(action="payment", result="ok").exists()
    pushed.refresh_from_db()
    assert pushed.remote_status == "paid"


def test_partially_paid_then_paid_records_the_difference(deliver, pushed, invoice):
    deliver(webhook_body("webhook_invoice_partially_paid.json"))
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PART_PAID
    assert invoice.amount_paid == Decimal("50.00")

    deliver(webhook_body("webhook_invoice_paid.json"))

    assert [p.amount for p in ghl_payments(invoice)] == [Decimal("50.00"), Decimal("70.00")]
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert invoice.amount_paid == Decimal("120.00")


def test_a_duplicate_event_under_another_webhook_id_records_nothing(deliver, pushed, invoice):
    deliver(webhook_body("webhook_invoice_paid.json"))
    deliver(webhook_body("webhook_invoice_paid.json", webhookId="wh-paid-again"))

    assert WebhookEvent.objects.count() == 2
    assert [p.amount for p in ghl_payments(invoice)] == [Decimal("120.00")]


def test_an_older_event_arriving_late_records_nothing(deliver, pushed, invoice):
    deliver(webhook_body("webhook_invoice_paid.json"))
    deliver(webhook_body("webhook_invoice_partially_paid.json"))

    assert [p.amount for p in ghl_payments(invoice)] == [Decimal("120.00")]
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


def test_an_invoice_update_with_amount_paid_records_it(deliver, pushed, invoice):
    deliver(
        webhook_body(
            "webhook_invoice_partially_paid.json", type="InvoiceUpdate", webhookId="wh-update-1"
        )
    )
    assert [p.amount for p in ghl_payments(invoice)] == [Decimal("50.00")]


def test_an_invoice_event_without_type_is_read_from_its_status(deliver, pushed, invoice):
    deliver(webhook_body("webhook_invoice_paid_without_type.json"))
    assert [p.amount for p in ghl_payments(invoice)] == [Decimal("120.00")]


def test_payments_already_recorded_by_hand_are_not_counted(deliver, pushed, invoice):
    """Only GoHighLevel's own payments are compared with its amountPaid."""
    from tests.factories import make_payment

    make_payment(invoice, "20.00")
    deliver(webhook_body("webhook_invoice_partially_paid.json"))

    assert [p.amount for p in ghl_payments(invoice)] == [Decimal("50.00")]
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("70.00")


def test_the_gohighlevel_method_is_made_once_per_organisation(deliver, pushed, invoice, org):
    deliver(webhook_body("webhook_invoice_partially_paid.json"))
    deliver(webhook_body("webhook_invoice_paid.json"))
    assert PaymentMethod.objects.filter(organisation=org, name="GoHighLevel").count() == 1


def test_an_invoice_we_do_not_hold_is_ignored(deliver, pushed):
    deliver(webhook_body("webhook_invoice_paid.json", _id="not-ours"))
    assert WebhookEvent.objects.get().state == WebhookEvent.State.IGNORED
    assert not Payment.objects.exists()


def test_an_unknown_location_is_ignored(deliver, pushed):
    deliver(webhook_body("webhook_invoice_paid.json", altId="another-location"))
    assert WebhookEvent.objects.get().state == WebhookEvent.State.IGNORED
    assert not Payment.objects.exists()


def test_payments_are_not_recorded_while_disconnected(deliver, pushed, connection):
    Connection.objects.filter(pk=connection.pk).update(state=Connection.State.DISCONNECTED)
    deliver(webhook_body("webhook_invoice_paid.json"))
    assert WebhookEvent.objects.get().state == WebhookEvent.State.IGNORED
    assert not Payment.objects.exists()


def test_a_payment_for_an_invoice_void_in_torqueflow_is_audited_not_recorded(
    deliver, pushed, invoice
):
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.VOID)
    deliver(webhook_body("webhook_invoice_paid.json"))

    assert not Payment.objects.exists()
    assert AuditLog.objects.filter(action="ghl.payment_not_recorded").exists()
    assert WebhookEvent.objects.get().state == WebhookEvent.State.APPLIED


def test_another_organisation_holding_the_same_number_is_untouched(
    deliver, pushed, other_org, invoice
):
    theirs = make_invoice(other_org, finalise=True)
    assert theirs.number == invoice.number
    deliver(webhook_body("webhook_invoice_paid.json"))
    assert not Payment.objects.filter(invoice=theirs).exists()


def test_a_webhook_for_another_app_is_ignored(deliver, pushed):
    deliver(webhook_body("webhook_invoice_paid.json", appId="someone-elses-app"))
    assert WebhookEvent.objects.get().state == WebhookEvent.State.IGNORED
    assert not Payment.objects.exists()


# --- void ------------------------------------------------------------------------------------


def test_void_in_ghl_is_audited_and_shown_but_ours_is_not_voided(
    deliver, pushed, invoice, owner_client
):
    assert deliver(webhook_body("webhook_invoice_void.json")) == 200

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.UNPAID
    assert invoice.voided_at is None
    audit = AuditLog.objects.get(action="ghl.invoice_voided")
    assert audit.object_id == str(invoice.pk)
    assert audit.actor is None
    pushed.refresh_from_db()
    assert pushed.badge_note == "Voided in GHL"
    page = owner_client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert "Voided in GHL" in page

    # Told twice: still one audit entry.
    deliver(webhook_body("webhook_invoice_void.json", webhookId="wh-void-2"))
    assert AuditLog.objects.filter(action="ghl.invoice_voided").count() == 1


# --- uninstall -------------------------------------------------------------------------------


def test_uninstall_disconnects_and_keeps_the_ids(deliver, pushed, connection, customer):
    assert deliver(webhook_body("webhook_uninstall.json")) == 200

    connection.refresh_from_db()
    assert connection.state == Connection.State.DISCONNECTED
    assert connection.access_token is None
    assert connection.refresh_token is None
    assert connection.remote_account_id == LOCATION_ID
    pushed.refresh_from_db()
    assert pushed.external_id == GHL_INVOICE_ID
    assert AuditLog.objects.filter(action="ghl.disconnected").exists()
    assert WebhookEvent.objects.get().state == WebhookEvent.State.APPLIED


def test_uninstall_without_webhook_id_or_timestamp_is_accepted_once(ed25519_key, connection):
    """The documented UNINSTALL body is {type, appId, locationId}: the body is its key."""
    raw = encode(
        {"type": "UNINSTALL", "appId": "6601a2b3c4d5e6f7a8b9c0d1", "locationId": LOCATION_ID}
    )
    headers = {"X-GHL-Signature": sign_ed25519(ed25519_key, raw)}

    assert post(raw, **headers).status_code == 200
    assert post(raw, **headers).status_code == 200
    assert WebhookEvent.objects.count() == 1
    webhook_apply(event_id=WebhookEvent.objects.get().pk)
    connection.refresh_from_db()
    assert connection.state == Connection.State.DISCONNECTED


def test_agency_uninstall_disconnects_its_locations(deliver, connection):
    body = webhook_body("webhook_uninstall.json", webhookId="wh-agency")
    del body["locationId"]
    deliver(body)
    connection.refresh_from_db()
    assert connection.settings["companyId"] == COMPANY_ID
    assert connection.state == Connection.State.DISCONNECTED


def test_uninstall_of_another_location_changes_nothing(deliver, connection):
    deliver(webhook_body("webhook_uninstall.json", locationId="elsewhere"))
    connection.refresh_from_db()
    assert connection.state == Connection.State.ACTIVE
    assert WebhookEvent.objects.get().state == WebhookEvent.State.IGNORED
