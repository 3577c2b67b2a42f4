"""Webhooks back to Torqueflow: GoHighLevel's bodies, signed with Ed25519 in X-GHL-Signature."""

import base64
import datetime as dt
import json
import os
import subprocess
import sys
import uuid

import pytest
import requests
import responses
from cryptography.hazmat.primitives import serialization
from django.conf import settings as django_settings
from django.utils import timezone

from ghl import signatures
from sandbox.ghl import constants, webhooks
from sandbox.models import Faults, GhlInvoice, ProviderEvent

from .ghl_support import allow, body, refresh

URL = "http://torqueflow.test/webhooks/ghl/"


@pytest.fixture
def receiver(settings):
    settings.SANDBOX_GHL_WEBHOOK_URL = URL
    settings.GHL_WEBHOOK_PUBLIC_KEY = constants.WEBHOOK_PUBLIC_KEY_PEM
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, URL, status=200)
        yield mock


def knobs(**values) -> None:
    Faults.set_knobs("ghl", **values)


def deliveries(mock) -> list[tuple[bytes, dict, dict]]:
    return [(c.request.body, c.request.headers, json.loads(c.request.body)) for c in mock.calls]


def verified(raw: bytes, headers) -> bool:
    """Checked with the public key alone, and by Torqueflow's own verifier."""
    public_key = serialization.load_pem_public_key(constants.WEBHOOK_PUBLIC_KEY_PEM.encode())
    public_key.verify(base64.b64decode(headers["X-GHL-Signature"]), raw)  # raises when bad
    return signatures.verify(headers=headers, body=raw)


def pay(client, invoice_id: str, amount: str | None = None):
    data = {"amount": amount} if amount else {}
    return client.post(f"/sandbox/ghl/invoices/{invoice_id}/pay/", data)


def test_the_public_key_is_the_private_keys_half():
    derived = (
        webhooks.private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert derived.decode() == constants.WEBHOOK_PUBLIC_KEY_PEM


def test_paying_in_part_then_in_full_sends_two_signed_events(
    ghl, ghl_sent_invoice, client, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert pay(client, ghl_sent_invoice["_id"], "20").status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        pay(client, ghl_sent_invoice["_id"])

    (raw1, headers1, part), (raw2, headers2, full) = deliveries(receiver)
    assert verified(raw1, headers1) and verified(raw2, headers2)
    assert headers1["Content-Type"] == "application/json"
    assert part["type"] == "InvoicePartiallyPaid"
    assert (part["status"], part["amountPaid"], part["amountDue"]) == ("partially_paid", 20, 100)
    assert full["type"] == "InvoicePaid"
    assert (full["status"], full["amountPaid"], full["amountDue"]) == ("paid", 120, 0)
    for event in (part, full):
        assert event["locationId"] == event["altId"] == ghl.location_id
        assert event["_id"] == ghl_sent_invoice["_id"]
        assert (event["invoiceNumber"], event["total"]) == ("TF-0001", 120)
        assert uuid.UUID(event["webhookId"])
        sent_at = dt.datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
        assert abs(timezone.now() - sent_at) < dt.timedelta(seconds=5)
    assert part["webhookId"] != full["webhookId"]
    assert ProviderEvent.objects.filter(status_code=200).count() == 2


def test_a_tampered_body_fails_verification(ghl, ghl_sent_invoice, client, receiver):
    pay(client, ghl_sent_invoice["_id"])
    event = ProviderEvent.objects.get(event_type="InvoicePaid")
    raw = webhooks.body_for(event)
    headers = {"X-GHL-Signature": webhooks.sign(raw)}

    assert signatures.verify(headers=headers, body=raw)
    assert not signatures.verify(headers=headers, body=raw.replace(b'"paid"', b'"void"'))


def test_voiding_sends_invoice_void(
    ghl, ghl_sent_invoice, client, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/sandbox/ghl/invoices/{ghl_sent_invoice['_id']}/void/")

    [(raw, headers, event)] = deliveries(receiver)
    assert verified(raw, headers)
    assert (event["type"], event["status"], event["_id"]) == (
        "InvoiceVoid",
        "void",
        ghl_sent_invoice["_id"],
    )


def test_uninstalling_sends_uninstall_and_kills_the_tokens(
    ghl, client, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/sandbox/ghl/locations/{ghl.location_id}/uninstall/")
    assert response.status_code == 302

    [(raw, headers, event)] = deliveries(receiver)
    assert verified(raw, headers)
    assert set(event) == {"type", "appId", "locationId", "webhookId", "timestamp"}
    assert event["type"] == "UNINSTALL"
    assert event["appId"] == constants.CLIENT_ID.split("-")[0]
    assert event["locationId"] == ghl.location_id
    assert ghl.get(f"locations/{ghl.location_id}").status_code == 401
    assert body(refresh(ghl.client, ghl.tokens["refresh_token"])) == {
        "statusCode": 400,
        "message": "Invalid grant: refresh token is invalid",
    }


def test_dropped_webhooks_are_not_sent_and_can_be_resent(
    ghl, ghl_sent_invoice, client, receiver, django_capture_on_commit_callbacks
):
    knobs(drop_webhooks=1.0)
    with django_capture_on_commit_callbacks(execute=True):
        pay(client, ghl_sent_invoice["_id"])
    assert len(receiver.calls) == 0
    event = ProviderEvent.objects.get(event_type="InvoicePaid")
    assert event.dropped
    ProviderEvent.objects.filter(event_type="INSTALL").delete()  # from connecting

    knobs(drop_webhooks=0.0)
    client.post("/sandbox/ghl/webhooks/resend/")

    [(raw, headers, payload)] = deliveries(receiver)
    assert verified(raw, headers)
    assert payload["webhookId"] == event.payload["webhookId"]  # the same event, a new timestamp
    event.refresh_from_db()
    assert (event.status_code, event.attempts, event.dropped) == (200, 2, False)


def test_a_failing_receiver_never_breaks_the_action(
    ghl, ghl_sent_invoice, client, receiver, django_capture_on_commit_callbacks
):
    receiver.replace(responses.POST, URL, body=requests.ConnectionError("refused"))
    with django_capture_on_commit_callbacks(execute=True):
        response = pay(client, ghl_sent_invoice["_id"])

    assert response.status_code == 302
    assert GhlInvoice.objects.get().status == "paid"
    event = ProviderEvent.objects.get(event_type="InvoicePaid")
    assert event.status_code is None and "ConnectionError" in event.error


def test_installing_sends_install_once(
    ghl_plumbing, client, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        allow(client, ghl_plumbing)

    [(raw, headers, event)] = deliveries(receiver)
    assert verified(raw, headers)
    assert event["type"] == "INSTALL"
    assert (event["locationId"], event["companyId"]) == (
        ghl_plumbing.location_id,
        ghl_plumbing.company_id,
    )
    assert event["userId"] == constants.DEMO_USER_ID
    with django_capture_on_commit_callbacks(execute=True):
        allow(client, ghl_plumbing)  # already installed: consent again, no new INSTALL
    assert len(receiver.calls) == 1


def test_api_changes_send_webhooks_only_when_asked(
    ghl, ghl_sent_invoice, receiver, django_capture_on_commit_callbacks
):
    url = f"invoices/{ghl_sent_invoice['_id']}/void"
    knobs(webhooks_for_api_changes=True)
    with django_capture_on_commit_callbacks(execute=True):
        ghl.post(url, ghl.alt())

    [(_, _, event)] = deliveries(receiver)
    assert (event["type"], event["_id"]) == ("InvoiceVoid", ghl_sent_invoice["_id"])


def test_no_webhooks_for_api_changes_by_default(
    ghl, ghl_invoice, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ghl.post(
            f"invoices/{ghl_invoice['_id']}/send",
            ghl.alt(userId=ghl.tokens["userId"], action="email", liveMode=True),
        )
    assert len(receiver.calls) == 0


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SANDBOX_ENABLED": "1"}, constants.WEBHOOK_PUBLIC_KEY_PEM),
        ({"SANDBOX_ENABLED": "1", "GHL_WEBHOOK_PUBLIC_KEY": "mine"}, "mine"),
        ({"SANDBOX_ENABLED": "0"}, "MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg="),
    ],
)
def test_settings_trust_the_sandbox_key_only_when_no_key_is_set(env, expected):
    environment = {k: v for k, v in os.environ.items() if k != "GHL_WEBHOOK_PUBLIC_KEY"}
    environment.update(env)
    code = "import torqueflow.settings as s; print(s.GHL_WEBHOOK_PUBLIC_KEY)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert expected.strip() in result.stdout
