"""Sign a body as each provider that posts webhooks does, with keys made for the tests.

Every registered provider that receives webhooks needs an entry here, so that the fuzz test
reaches past its signature check.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

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
    from sandbox.stripe.events import signature

    at = int(timezone.now().timestamp())
    return {"Stripe-Signature": signature(body, STRIPE_SECRET, at)}


TWILIO_ACCOUNT_SID = "AC" + "d" * 32
TWILIO_AUTH_TOKEN = "twilio-auth-token-for-body-tests"
TWILIO_URL = "http://testserver/webhooks/twilio/"


def sign_twilio(body: bytes) -> dict[str, str]:
    """X-Twilio-Signature over the URL and the form's parameters (sorted), as Twilio signs."""
    from twilio.request_validator import RequestValidator

    try:
        params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        params = {}
    signature = RequestValidator(TWILIO_AUTH_TOKEN).compute_signature(TWILIO_URL, params)
    return {"X-Twilio-Signature": signature}


def twilio_connect() -> None:
    """Twilio checks signatures with the Auth Token of the account's connection."""
    from accounts.services import organisation_create
    from integrations.models import Connection

    Connection.objects.create(
        organisation=organisation_create(name="Body tests SMS"),
        provider="twilio",
        state=Connection.State.ACTIVE,
        remote_account_id=TWILIO_ACCOUNT_SID,
        credentials={
            "account_sid": TWILIO_ACCOUNT_SID,
            "auth_token": TWILIO_AUTH_TOKEN,
            "sender": "+15005550006",
        },
    )


SIGNERS: dict[str, Callable[[bytes], dict[str, str]]] = {
    "xero": sign_xero,
    "ghl": sign_ghl,
    "stripe": sign_stripe,
    "twilio": sign_twilio,
}
# Providers whose signature is checked with the key of an account named inside the body
# (Twilio's AccountSid): a signed body that no longer names it is refused (401), not read.
ACCOUNT_IN_BODY = {"twilio"}
# What a provider needs in the database before its signatures can be checked.
SETUP: dict[str, Callable[[], None]] = {"twilio": twilio_connect}


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


def twilio_delivery(**changes) -> dict:
    """A documented Twilio incoming message (the number's "A message comes in" webhook)."""
    return {
        "AccountSid": TWILIO_ACCOUNT_SID,
        "MessageSid": "SM" + "e" * 32,
        "SmsSid": "SM" + "e" * 32,
        "SmsStatus": "received",
        "From": "+447911123456",
        "To": "+15005550006",
        "Body": "Invoice 120 is paid",
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
        **changes,
    }


DELIVERIES: dict[str, Callable[..., dict]] = {
    "xero": xero_delivery,
    "ghl": ghl_delivery,
    "stripe": stripe_delivery,
    "twilio": twilio_delivery,
}


def encode(value: object) -> bytes:
    """As providers send it: compact, non-ASCII characters (and NUL) as \\u escapes."""
    return json.dumps(value, separators=(",", ":")).encode()


def encode_form(value: object) -> bytes:
    """As Twilio sends it: application/x-www-form-urlencoded, every value a string."""
    fields = value if isinstance(value, dict) else {"value": value}
    pairs = {str(k): "" if v is None else str(v) for k, v in fields.items()}
    # Lone surrogates go as the bytes a careless sender would put on the wire.
    return urlencode(pairs, encoding="utf-8", errors="surrogatepass").encode()


# How each provider encodes its deliveries (JSON unless named here), and their content type.
ENCODERS: dict[str, Callable[[object], bytes]] = {"twilio": encode_form}
CONTENT_TYPES: dict[str, str] = {"twilio": "application/x-www-form-urlencoded"}


def use_test_webhook_keys(settings):
    settings.XERO_WEBHOOK_KEY = XERO_KEY
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = STRIPE_SECRET
    settings.GHL_WEBHOOK_PUBLIC_KEY = (
        GHL_KEY.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return settings
