"""Sign a body as each provider that posts webhooks does, with keys made for the tests.

Every registered provider that receives webhooks needs an entry here, so that the fuzz test
reaches past its signature check.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.utils import timezone

XERO_KEY = "xero-webhook-key-for-body-tests"
GHL_KEY = ed25519.Ed25519PrivateKey.generate()
STRIPE_SECRET = "whsec_body_tests_connect"


def sign_xero(body: bytes) -> dict[str, str]:
    digest = hmac.new(XERO_KEY.encode(), body, hashlib.sha256).digest()
    return {"x-xero-signature": base64.b64encode(digest).decode()}


def sign_ghl(body: bytes) -> dict[str, str]:
    return {"X-GHL-Signature": base64.b64encode(GHL_KEY.sign(body)).decode()}


def sign_stripe(body: bytes) -> dict[str, str]:
    """Stripe-Signature: t=<unix>,v1=HMAC-SHA256(secret, "<t>.<body>") in hex."""
    at = int(timezone.now().timestamp())
    digest = hmac.new(STRIPE_SECRET.encode(), f"{at}.".encode() + body, hashlib.sha256)
    return {"Stripe-Signature": f"t={at},v1={digest.hexdigest()}"}


SIGNERS: dict[str, Callable[[bytes], dict[str, str]]] = {
    "xero": sign_xero,
    "ghl": sign_ghl,
    "stripe": sign_stripe,
}


def now_stamp() -> str:
    return timezone.now().isoformat().replace("+00:00", "Z")


def xero_delivery(**event_changes) -> dict:
    """A documented Xero delivery with one invoice event."""
    event = {
        "resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/0f4b8f3c",
        "resourceId": "0f4b8f3c-9f3e-4b58-8f6e-2b1f2c3d4e5f",
        "eventDateUtc": "2026-10-26T09:58:46.117",
        "eventType": "UPDATE",
        "eventCategory": "INVOICE",
        "tenantId": "b9e3c3f1-6f4b-4d2a-9a57-2f5d8e0a1c11",
        "tenantType": "ORGANISATION",
        **event_changes,
    }
    return {
        "events": [event],
        "firstEventSequence": 1,
        "lastEventSequence": 1,
        "entropy": "S0m3r4Nd0mt3xt",
    }


def ghl_delivery(**changes) -> dict:
    """A documented GoHighLevel InvoicePaid delivery, sent now."""
    return {
        "type": "InvoicePaid",
        "webhookId": "wh-body-test",
        "locationId": "ve9EPM428h8vShlRW1KT",
        "_id": "6578278e879ad2646715ba9c",
        "status": "paid",
        "invoiceNumber": "INV-0001",
        "currency": "GBP",
        "total": 120,
        "amountPaid": 120,
        "amountDue": 0,
        "contactDetails": {"id": "seD4PfOuKoVMLkEZqohJ", "name": "Ada Lovelace"},
        "timestamp": now_stamp(),
        **changes,
    }


def stripe_delivery(**changes) -> dict:
    """A documented Stripe event from a connected account (payment_intent.succeeded)."""
    return {
        "id": "evt_3QpBodyTest0000001",
        "object": "event",
        "account": "acct_1QpBodyTest000001",
        "api_version": "2026-10-28.endive",
        "created": 1765152200,
        "data": {
            "object": {
                "id": "pi_3QpBodyTest0000001",
                "object": "payment_intent",
                "amount": 12000,
                "amount_received": 12000,
                "currency": "gbp",
                "status": "succeeded",
                "metadata": {"invoice_id": "1", "organisation_id": "1"},
            }
        },
        "livemode": False,
        "pending_webhooks": 1,
        "type": "payment_intent.succeeded",
        **changes,
    }


DELIVERIES: dict[str, Callable[..., dict]] = {
    "xero": xero_delivery,
    "ghl": ghl_delivery,
    "stripe": stripe_delivery,
}


def encode(value: object) -> bytes:
    """As providers send it: compact, non-ASCII characters (and NUL) as \\u escapes."""
    return json.dumps(value, separators=(",", ":")).encode()


def use_test_webhook_keys(settings):
    settings.XERO_WEBHOOK_KEY = XERO_KEY
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = STRIPE_SECRET
    settings.GHL_WEBHOOK_PUBLIC_KEY = (
        GHL_KEY.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return settings
