"""Stripe events through the hub's inbox (/webhooks/stripe/): signatures made as Stripe
makes them (good, tampered, stale, wrong secret), each event applied, refunds reversing the
payment, and duplicate or reordered deliveries converging on one payment."""

import json
import time
from decimal import Decimal

import pytest
from django.test import Client

from integrations.models import Connection, WebhookEvent
from integrations.services.webhooks import webhook_apply
from invoicing.models import Invoice, Payment
from tests.factories import OrganisationFactory

from .conftest import (
    ACCOUNT_ID,
    ACCOUNT_SECRET,
    API,
    INTENT_ID,
    fixture,
    sign,
)

pytestmark = pytest.mark.django_db

URL = "/webhooks/stripe/"


def post(raw: bytes, signature: str | None):
    headers = {"Stripe-Signature": signature} if signature is not None else {}
    return Client(enforce_csrf_checks=True).post(
        URL, raw, content_type="application/json", headers=headers
    )


def apply_all() -> None:
    for event in WebhookEvent.objects.filter(state=WebhookEvent.State.RECEIVED).order_by("pk"):
        webhook_apply(event_id=event.pk)


@pytest.fixture
def deliver():
    def _deliver(body: dict, **sign_kwargs) -> int:
        raw = json.dumps(body).encode()
        status = post(raw, sign(raw, **sign_kwargs)).status_code
        apply_all()
        return status

    return _deliver


def intent(mocked, invoice, name="payment_intent_succeeded.json"):
    mocked.get(f"{API}/v1/payment_intents/{INTENT_ID}", json=fixture(name, invoice=invoice))


def payments(invoice, *, live_only=False):
    rows = Payment.objects.filter(invoice=invoice, source="stripe")
    return list(rows.live() if live_only else rows)


# --- signatures ---------------------------------------------------------------------------


def test_a_good_signature_with_either_secret_is_accepted(connection):
    raw = json.dumps(fixture("event_account_updated.json")).encode()
    assert post(raw, sign(raw)).status_code == 200
    body = fixture("event_account_updated.json")
    body["id"] = "evt_other"
    raw = json.dumps(body).encode()
    assert post(raw, sign(raw, secret=ACCOUNT_SECRET)).status_code == 200


@pytest.mark.parametrize("case", ["tampered", "stale", "wrong_secret", "missing", "garbage_header"])
def test_bad_signatures_are_refused_with_401(connection, case):
    raw = json.dumps(fixture("event_account_updated.json")).encode()
    signature = {
        "tampered": sign(raw),
        "stale": sign(raw, at=int(time.time()) - 301),
        "wrong_secret": sign(raw, secret="whsec_not_ours"),
        "missing": None,
        "garbage_header": "nonsense",
    }[case]
    if case == "tampered":
        raw = raw.replace(b"Alpha Heating", b"Evil Heating")
    assert post(raw, signature).status_code == 401
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("raw", [b"[1, 2]", b"{not json", b'{"id": "evt_1"}'])
def test_a_signed_malformed_body_is_a_400(raw):
    assert post(raw, sign(raw)).status_code == 400


# --- payments ----------------------------------------------------------------------------


def test_checkout_completed_records_one_stripe_payment(connection, invoice, mocked, deliver):
    intent(mocked, invoice)
    assert deliver(fixture("event_checkout_session_completed.json", invoice=invoice)) == 200
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    [payment] = payments(invoice)
    assert payment.amount == Decimal("120.00")
    assert payment.reference == INTENT_ID
    assert payment.method.name == "Stripe"


def test_part_payment_leaves_the_invoice_part_paid(connection, invoice, mocked, deliver):
    body = fixture("payment_intent_succeeded.json", invoice=invoice)
    body["amount"] = body["amount_received"] = 5000
    mocked.get(f"{API}/v1/payment_intents/{INTENT_ID}", json=body)
    deliver(fixture("event_payment_intent_succeeded.json", invoice=invoice))
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PART_PAID
    assert invoice.amount_paid == Decimal("50.00")


def test_duplicate_and_both_events_record_one_payment(connection, invoice, mocked, deliver):
    intent(mocked, invoice)
    deliver(fixture("event_checkout_session_completed.json", invoice=invoice))
    deliver(fixture("event_checkout_session_completed.json", invoice=invoice))
    deliver(fixture("event_payment_intent_succeeded.json", invoice=invoice))
    assert len(payments(invoice)) == 1
    assert WebhookEvent.objects.filter(provider="stripe").count() == 2


def test_refund_reverses_the_payment(connection, invoice, mocked, deliver):
    intent(mocked, invoice)
    deliver(fixture("event_payment_intent_succeeded.json", invoice=invoice))
    mocked.replace(
        "GET",
        f"{API}/v1/payment_intents/{INTENT_ID}",
        json=fixture("payment_intent_refunded.json", invoice=invoice),
    )
    deliver(fixture("event_charge_refunded.json", invoice=invoice))
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.UNPAID
    [payment] = payments(invoice)
    assert payment.is_deleted
    assert payment.deleted_reason == "Refunded in Stripe (re_3QpAlpha0000000001)"


def test_a_refund_before_the_payment_is_not_lost(connection, invoice, mocked, deliver):
    """The refund arrives first: Stripe is read again, so the payment is recorded and
    reversed at once; the late success then changes nothing."""
    mocked.get(
        f"{API}/v1/payment_intents/{INTENT_ID}",
        json=fixture("payment_intent_refunded.json", invoice=invoice),
    )
    deliver(fixture("event_charge_refunded.json", invoice=invoice))
    deliver(fixture("event_payment_intent_succeeded.json", invoice=invoice))
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.UNPAID
    [payment] = payments(invoice)
    assert payment.is_deleted


def test_an_event_for_another_organisations_invoice_records_nothing(
    connection, mocked, deliver, org
):
    """The metadata names an invoice of another organisation: the connection's organisation
    is the only one searched."""
    from tests.factories import make_invoice

    other = OrganisationFactory(name="Bravo")
    theirs = make_invoice(other, lines=((1, "100.00", "20"),), finalise=True)
    body = fixture("payment_intent_succeeded.json", invoice=theirs)
    body["metadata"]["organisation_id"] = str(org.pk)
    mocked.get(f"{API}/v1/payment_intents/{INTENT_ID}", json=body)
    deliver(fixture("event_payment_intent_succeeded.json", invoice=theirs))
    assert not Payment.objects.filter(invoice=theirs).exists()
    event = WebhookEvent.objects.get()
    assert event.state == WebhookEvent.State.IGNORED


def test_an_event_for_an_unknown_account_is_ignored(mocked, deliver, invoice):
    deliver(fixture("event_payment_intent_succeeded.json", invoice=invoice))
    assert WebhookEvent.objects.get().state == WebhookEvent.State.IGNORED
    assert not mocked.calls


def test_account_updated_moves_the_card(connection, mocked, deliver):
    mocked.get(f"{API}/v1/accounts/{ACCOUNT_ID}", json=fixture("account_incomplete.json"))
    deliver(fixture("event_account_updated.json"))
    connection.refresh_from_db()
    assert connection.state == Connection.State.SETUP_INCOMPLETE
    assert connection.settings["past_due"] == ["external_account"]
    mocked.replace("GET", f"{API}/v1/accounts/{ACCOUNT_ID}", json=fixture("account_complete.json"))
    body = fixture("event_account_updated.json")
    body["id"] = "evt_1QpAlphaAccount02"
    deliver(body)
    connection.refresh_from_db()
    assert connection.state == Connection.State.ACTIVE


def test_unhandled_events_are_stored_as_ignored(connection):
    body = fixture("event_account_updated.json")
    body.update({"id": "evt_x", "type": "customer.created"})
    raw = json.dumps(body).encode()
    assert post(raw, sign(raw)).status_code == 200
    assert WebhookEvent.objects.get().state == WebhookEvent.State.IGNORED


def test_a_part_refund_keeps_the_payment_and_tells_the_owner(connection, invoice, mocked, deliver):
    from integrations.models import SyncActivity

    body = fixture("payment_intent_refunded.json", invoice=invoice)
    body["latest_charge"].update({"refunded": False, "amount_refunded": 2000})
    mocked.get(f"{API}/v1/payment_intents/{INTENT_ID}", json=body)
    deliver(fixture("event_charge_refunded.json", invoice=invoice))
    [payment] = payments(invoice, live_only=True)
    assert payment.amount == Decimal("120.00")
    note = SyncActivity.objects.get(action="refund")
    assert "partly refunded (20.00 GBP)" in note.message
