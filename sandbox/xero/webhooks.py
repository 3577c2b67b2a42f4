"""Xero's webhooks: INVOICE UPDATE events, several to a delivery ({"events": [...],
"firstEventSequence", "lastEventSequence", "entropy"}), signed with `x-xero-signature` =
base64(HMAC-SHA256(webhook key, raw body)); and its "intent to receive" handshake. Storing,
sending and resending are the core's (sandbox/core/webhooks.py)."""

import base64
import hashlib
import hmac
import json
import secrets
import string
from collections.abc import Collection, Iterable

from django.conf import settings

from sandbox.core import webhooks
from sandbox.core.registry import Signing
from sandbox.models import ProviderEvent, XeroInvoice

from . import dates
from .constants import KEY

SIGNATURE_HEADER = "x-xero-signature"
# Used when neither XERO_WEBHOOK_KEY nor SANDBOX_XERO_WEBHOOK_KEY is set.
FALLBACK_KEY = "sandbox-xero-webhook-key-not-for-production"


def webhook_key() -> str:
    return (
        getattr(settings, "XERO_WEBHOOK_KEY", "")
        or getattr(settings, "SANDBOX_XERO_WEBHOOK_KEY", "")
        or FALLBACK_KEY
    )


def sign(body: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def headers(body: bytes, *, genuine: bool = True) -> dict[str, str]:
    key = webhook_key() if genuine else secrets.token_hex(16)
    return {SIGNATURE_HEADER: sign(body, key)}


def signing() -> Signing:
    default = webhook_key() in (FALLBACK_KEY, getattr(settings, "SANDBOX_XERO_WEBHOOK_KEY", None))
    return Signing(
        scheme=f"HMAC-SHA256 (base64) in {SIGNATURE_HEADER}",
        key_note="with the sandbox default key (XERO_WEBHOOK_KEY unset)"
        if default
        else "with XERO_WEBHOOK_KEY",
    )


def api_base_url() -> str:
    return f"{settings.SANDBOX_BASE_URL.rstrip('/')}/sandbox/xero/api.xro/2.0"


def _entropy() -> str:
    return "".join(secrets.choice(string.ascii_uppercase) for _ in range(20))


def queue_invoice_events(
    invoices: Iterable[XeroInvoice], reason: str, *, created: Collection[int] = ()
) -> list[int]:
    """An INVOICE UPDATE per invoice (an INVOICE CREATE for those whose pk is in `created`,
    new through the API, as Xero sends), sent together once the transaction commits.
    Payments show up as UPDATEs too: the webhooks spec has no payment category."""
    now = dates.webhook_string(dates.now())
    events = [
        webhooks.Event(
            event_type=f"INVOICE {_event_type(invoice, created)}",
            subject=str(invoice.invoice_id),
            account=str(invoice.tenant.tenant_id),
            account_name=invoice.tenant.name,
            payload={
                "resourceUrl": f"{api_base_url()}/Invoices/{invoice.invoice_id}",
                "resourceId": str(invoice.invoice_id),
                "eventDateUtc": now,
                "eventType": _event_type(invoice, created),
                "eventCategory": "INVOICE",
                "tenantId": str(invoice.tenant.tenant_id),
                "tenantType": "ORGANISATION",
            },
        )
        for invoice in invoices
    ]
    return [row.pk for row in webhooks.queue(KEY, events, reason)]


def _event_type(invoice: XeroInvoice, created: Collection[int]) -> str:
    return "CREATE" if invoice.pk in created else "UPDATE"


def body_for(events: list[ProviderEvent]) -> bytes:
    """One delivery of `events`; their pks are the event sequence."""
    payload = {
        "events": [e.payload for e in events],
        "firstEventSequence": min(e.pk for e in events),
        "lastEventSequence": max(e.pk for e in events),
        "entropy": _entropy(),
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def intent_body() -> bytes:
    """The intent to receive: a delivery without events."""
    body = {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": _entropy()}
    return json.dumps(body, separators=(",", ":")).encode()
