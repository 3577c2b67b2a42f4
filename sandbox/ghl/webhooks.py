"""Webhooks back to Torqueflow, as GoHighLevel sends them: one JSON body per event with
`type`, `locationId`, `webhookId` and `timestamp`, signed with Ed25519 over the raw body in
`X-GHL-Signature` (base64). Invoice events carry the invoice as the API answers it.

Events are stored in the transaction that made the change and sent after it commits, inline
with a short timeout. A failed delivery is logged and kept for "Resend undelivered"; it never
reaches the user's action. The webhookId stays the same on a resend; the timestamp is new.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from functools import cache
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.conf import settings
from django.db import transaction

from sandbox.faults import roll
from sandbox.models import GhlInstall, GhlInvoice, GhlLocation, GhlWebhookEvent, XeroFaults

from . import constants, dates
from .invoices import serialize

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-GHL-Signature"


@cache
def private_key() -> ed25519.Ed25519PrivateKey:
    """The sandbox's signing key (constants.WEBHOOK_PRIVATE_KEY_SEED): not for production."""
    return ed25519.Ed25519PrivateKey.from_private_bytes(constants.WEBHOOK_PRIVATE_KEY_SEED)


def sign(body: bytes) -> str:
    return base64.b64encode(private_key().sign(body)).decode()


def webhook_url() -> str:
    return getattr(settings, "SANDBOX_GHL_WEBHOOK_URL", "") or (
        f"{settings.SANDBOX_BASE_URL.rstrip('/')}/webhooks/ghl/"
    )


def torqueflow_trusts_sandbox_key() -> bool:
    """Whether Torqueflow verifies with the sandbox's public key (GHL_WEBHOOK_PUBLIC_KEY)."""
    configured = getattr(settings, "GHL_WEBHOOK_PUBLIC_KEY", "").replace("\\n", "\n").strip()
    return configured == constants.WEBHOOK_PUBLIC_KEY_PEM.strip()


# --- queueing ----------------------------------------------------------------------------------


def queue(
    event_type: str, location: GhlLocation | None, payload: dict[str, Any], reason: str
) -> GhlWebhookEvent:
    """Store one event and send it once the transaction commits (at once without one)."""
    webhook_id = uuid.uuid4()
    event = GhlWebhookEvent.objects.create(
        location=location,
        event_type=event_type,
        webhook_id=webhook_id,
        payload={**payload, "webhookId": str(webhook_id)},
        reason=reason[:200],
        created_at=dates.now(),
    )
    transaction.on_commit(lambda: deliver([event.pk]), robust=True)
    return event


def queue_invoice_event(invoice: GhlInvoice, event_type: str, reason: str) -> GhlWebhookEvent:
    """InvoicePaid, InvoicePartiallyPaid, InvoiceVoid, …: the invoice with the event fields."""
    location = invoice.location
    payload = {"type": event_type, "locationId": location.location_id, **serialize(invoice)}
    return queue(event_type, location, payload, reason)


def queue_install_event(install: GhlInstall, event_type: str, reason: str) -> GhlWebhookEvent:
    """INSTALL or UNINSTALL of the app on a location."""
    location = install.location
    payload: dict[str, Any] = {
        "type": event_type,
        "appId": install.app.app_id,
        "locationId": location.location_id,
    }
    if event_type == "INSTALL":
        payload.update(
            installType="Location",
            companyId=location.company_id,
            userId=install.user_id,
            companyName=constants.COMPANY_NAME,
            isWhitelabelCompany=False,
        )
    return queue(event_type, location, payload, reason)


# --- delivery ------------------------------------------------------------------------------------


def body_for(event: GhlWebhookEvent) -> bytes:
    """The raw body of a delivery: the payload with the current `timestamp`."""
    payload = {**event.payload, "timestamp": dates.iso(dates.now())}
    return json.dumps(payload, separators=(",", ":")).encode()


def _post(body: bytes) -> tuple[int | None, str]:
    try:
        response = requests.post(
            webhook_url(),
            data=body,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body)},
            timeout=constants.WEBHOOK_TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        logger.warning("Sandbox GHL webhook to %s failed: %s", webhook_url(), error)
        return None, f"{type(error).__name__}: {error}"[:300]
    return response.status_code, ""


def deliver(event_ids: list[int]) -> None:
    """Send each stored event in its own request; never raises."""
    for event in GhlWebhookEvent.objects.filter(pk__in=event_ids).order_by("pk"):
        try:
            _deliver_one(event)
        except Exception:
            logger.exception("Sandbox GHL webhook %s could not be delivered", event.webhook_id)


def _deliver_one(event: GhlWebhookEvent) -> None:
    event.attempted_at = dates.now()
    event.attempts += 1
    if roll(XeroFaults.current().drop_webhooks):
        event.dropped, event.status_code, event.error = True, None, ""
    else:
        event.status_code, event.error = _post(body_for(event))
        event.dropped = False
        if event.status_code is not None and not 200 <= event.status_code < 300:
            logger.warning("Sandbox GHL webhook answered %s", event.status_code)
    event.save(update_fields=["attempted_at", "attempts", "dropped", "status_code", "error"])


def resend_undelivered() -> int:
    """Deliver again every event that was dropped or not answered with a 2xx."""
    pending = list(
        GhlWebhookEvent.objects.exclude(status_code__gte=200, status_code__lt=300)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if pending:
        deliver(pending)
    return len(pending)
