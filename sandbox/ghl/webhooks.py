"""GoHighLevel's webhooks: one JSON body per event with `type`, `locationId`, `webhookId` and
`timestamp`, signed with Ed25519 over the raw body in `X-GHL-Signature` (base64). Invoice
events carry the invoice as the API answers it. Storing, sending and resending are the core's
(sandbox/core/webhooks.py); the webhookId stays the same on a resend, the timestamp is new."""

from __future__ import annotations

import base64
import json
import uuid
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from django.conf import settings

from sandbox.core import webhooks
from sandbox.core.registry import Signing
from sandbox.models import GhlInvoice, GhlLocation, Grant, ProviderEvent

from . import constants, dates
from .constants import KEY
from .invoices import serialize

SIGNATURE_HEADER = "X-GHL-Signature"


@cache
def private_key() -> ed25519.Ed25519PrivateKey:
    """The sandbox's signing key (constants.WEBHOOK_PRIVATE_KEY_SEED): not for production."""
    return ed25519.Ed25519PrivateKey.from_private_bytes(constants.WEBHOOK_PRIVATE_KEY_SEED)


def sign(body: bytes, key: ed25519.Ed25519PrivateKey | None = None) -> str:
    return base64.b64encode((key or private_key()).sign(body)).decode()


def headers(body: bytes, *, genuine: bool = True) -> dict[str, str]:
    key = None if genuine else ed25519.Ed25519PrivateKey.generate()
    return {SIGNATURE_HEADER: sign(body, key)}


def torqueflow_trusts_sandbox_key() -> bool:
    """Whether Torqueflow verifies with the sandbox's public key (GHL_WEBHOOK_PUBLIC_KEY)."""
    configured = getattr(settings, "GHL_WEBHOOK_PUBLIC_KEY", "").replace("\\n", "\n").strip()
    return configured == constants.WEBHOOK_PUBLIC_KEY_PEM.strip()


def signing() -> Signing:
    return Signing(
        scheme=f"Ed25519 in {SIGNATURE_HEADER}",
        key_note="with the sandbox's key (not for production)",
        trusted=torqueflow_trusts_sandbox_key(),
        distrust_note=(
            "GHL_WEBHOOK_PUBLIC_KEY is another key: Torqueflow will refuse these webhooks"
        ),
        public_key=constants.WEBHOOK_PUBLIC_KEY_PEM,
    )


# --- queueing ----------------------------------------------------------------------------------


def queue(event_type: str, location: GhlLocation, payload: dict[str, Any], reason: str):
    """Store one event and send it once the transaction commits (at once without one)."""
    webhook_id = str(uuid.uuid4())
    event = webhooks.Event(
        event_type=event_type,
        payload={**payload, "webhookId": webhook_id},
        account=location.location_id,
        account_name=location.name,
        subject=webhook_id,
    )
    return webhooks.queue(KEY, [event], reason)[0]


def queue_invoice_event(invoice: GhlInvoice, event_type: str, reason: str) -> ProviderEvent:
    """InvoicePaid, InvoicePartiallyPaid, InvoiceVoid, …: the invoice with the event fields."""
    location = invoice.location
    payload = {"type": event_type, "locationId": location.location_id, **serialize(invoice)}
    return queue(event_type, location, payload, reason)


def queue_install_event(install: Grant, event_type: str, reason: str) -> ProviderEvent:
    """INSTALL or UNINSTALL of the app on a location."""
    location = GhlLocation.objects.get(location_id=install.account)
    payload: dict[str, Any] = {
        "type": event_type,
        "appId": constants.app_id(install.app.client_id),
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


def body_for(event: ProviderEvent) -> bytes:
    """The raw body of a delivery: the payload with the current `timestamp`."""
    payload = {**event.payload, "timestamp": dates.iso(dates.now())}
    return json.dumps(payload, separators=(",", ":")).encode()
