"""Webhooks back to Torqueflow, exactly as Xero sends them: a JSON body of events, signed
with `x-xero-signature` = base64(HMAC-SHA256(webhook key, raw body)).

Events are stored in the transaction that made the change and sent after it commits, inline
with a short timeout. A failed delivery is logged and kept for "Resend"; it never reaches the
user's action.
"""

import base64
import hashlib
import hmac
import json
import logging
import secrets
import string
from collections.abc import Iterable

import requests
from django.conf import settings
from django.db import transaction

from sandbox.models import XeroFaults, XeroInvoice, XeroWebhookEvent

from . import constants, dates, faults

logger = logging.getLogger(__name__)

# Used when neither XERO_WEBHOOK_KEY nor SANDBOX_XERO_WEBHOOK_KEY is set.
FALLBACK_KEY = "sandbox-xero-webhook-key-not-for-production"


def webhook_key() -> str:
    return (
        getattr(settings, "XERO_WEBHOOK_KEY", "")
        or getattr(settings, "SANDBOX_XERO_WEBHOOK_KEY", "")
        or FALLBACK_KEY
    )


def webhook_url() -> str:
    return getattr(settings, "SANDBOX_XERO_WEBHOOK_URL", "") or (
        f"{settings.SANDBOX_BASE_URL.rstrip('/')}/webhooks/xero/"
    )


def sign(body: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def api_base_url() -> str:
    return f"{settings.SANDBOX_BASE_URL.rstrip('/')}/sandbox/xero/api.xro/2.0"


def _entropy() -> str:
    return "".join(secrets.choice(string.ascii_uppercase) for _ in range(20))


def queue_invoice_events(invoices: Iterable[XeroInvoice], reason: str) -> list[int]:
    """Store an INVOICE UPDATE per invoice and send them together once the transaction
    commits (at once when there is none). Payments show up this way too: the webhooks spec
    has no payment category."""
    now = dates.now()
    ids = [
        XeroWebhookEvent.objects.create(
            tenant=invoice.tenant,
            category="INVOICE",
            event_type="UPDATE",
            resource_id=invoice.invoice_id,
            resource_url=f"{api_base_url()}/Invoices/{invoice.invoice_id}",
            event_date=now,
            reason=reason[:200],
        ).pk
        for invoice in invoices
    ]
    if ids:
        transaction.on_commit(lambda: deliver(ids), robust=True)
    return ids


def body_for(events: list[XeroWebhookEvent]) -> bytes:
    payload = {
        "events": [
            {
                "resourceUrl": e.resource_url,
                "resourceId": str(e.resource_id),
                "eventDateUtc": dates.webhook_string(e.event_date),
                "eventType": e.event_type,
                "eventCategory": e.category,
                "tenantId": str(e.tenant.tenant_id),
                "tenantType": "ORGANISATION",
            }
            for e in events
        ],
        "firstEventSequence": min(e.pk for e in events),
        "lastEventSequence": max(e.pk for e in events),
        "entropy": _entropy(),
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def _post(body: bytes, signature: str) -> tuple[int | None, str]:
    try:
        response = requests.post(
            webhook_url(),
            data=body,
            headers={"Content-Type": "application/json", "x-xero-signature": signature},
            timeout=constants.WEBHOOK_TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        logger.warning("Sandbox Xero webhook to %s failed: %s", webhook_url(), error)
        return None, f"{type(error).__name__}: {error}"[:300]
    return response.status_code, ""


def deliver(event_ids: list[int]) -> None:
    """Send the stored events as one delivery; never raises."""
    try:
        events = list(
            XeroWebhookEvent.objects.select_related("tenant")
            .filter(pk__in=event_ids)
            .order_by("pk")
        )
        if not events:
            return
        now = dates.now()
        chosen = XeroWebhookEvent.objects.filter(pk__in=[e.pk for e in events])
        if faults.roll(XeroFaults.current().drop_webhooks):
            chosen.update(attempted_at=now, dropped=True, status_code=None, error="")
            return
        body = body_for(events)
        status, error = _post(body, sign(body, webhook_key()))
        chosen.update(attempted_at=now, dropped=False, status_code=status, error=error)
        if status is not None and status != 200:
            logger.warning("Sandbox Xero webhook answered %s", status)
    except Exception:
        logger.exception("Sandbox Xero webhook delivery failed")


def resend_undelivered() -> int:
    """Deliver again every event that was dropped or not answered with 200."""
    pending = list(
        XeroWebhookEvent.objects.exclude(status_code=200)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if pending:
        deliver(pending)
    return len(pending)


def intent_to_receive() -> dict[str, object]:
    """Xero's handshake: an empty delivery signed correctly, then one signed wrongly. A
    receiver must answer 200 and 401."""
    body = json.dumps(
        {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": _entropy()},
        separators=(",", ":"),
    ).encode()
    good_status, good_error = _post(body, sign(body, webhook_key()))
    bad_status, bad_error = _post(body, sign(body, secrets.token_hex(16)))
    result: dict[str, object] = {
        "url": webhook_url(),
        "at": dates.utc_string(dates.now()),
        "correctly_signed": good_status,
        "wrongly_signed": bad_status,
        "errors": [e for e in (good_error, bad_error) if e],
        "passed": good_status == 200 and bad_status == 401,
    }
    XeroFaults.objects.update_or_create(pk=1, defaults={"last_intent_result": result})
    return result
