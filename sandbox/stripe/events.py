"""Stripe's webhooks: one event a delivery, `{"id": "evt_…", "object": "event", "type",
"data": {"object", "previous_attributes"}, "account"…}`, signed as Stripe signs them
(`Stripe-Signature: t=<unix>,v1=<HMAC-SHA256 of "{t}.{body}">`). Events about a connected
account carry its id in `account` and are signed with the Connect endpoint's secret; the
platform's own with the account endpoint's. Storing, sending and resending are the core's; a
resend is the same event, newly signed."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from django.conf import settings

from sandbox.core import webhooks
from sandbox.core.registry import Signing
from sandbox.models import ProviderEvent, StripeAccount

from .common import now
from .constants import API_VERSION, KEY, new_id

SIGNATURE_HEADER = "Stripe-Signature"


def queue(
    event_type: str,
    obj: dict[str, Any],
    *,
    account: StripeAccount | None,
    reason: str,
    previous: dict[str, Any] | None = None,
    request_id: str | None = None,
    idempotency_key: str | None = None,
) -> ProviderEvent:
    """Store one event and send it once the transaction commits."""
    data: dict[str, Any] = {"object": obj}
    if previous:
        data["previous_attributes"] = previous
    payload: dict[str, Any] = {
        "id": new_id("evt_"),
        "object": "event",
        "api_version": API_VERSION,
        "created": now(),
        "data": data,
        "livemode": bool(obj.get("livemode")),
        "pending_webhooks": 1,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }
    if account is not None:
        payload["account"] = account.account_id
    event = webhooks.Event(
        event_type=event_type,
        payload=payload,
        account=account.account_id if account else "",
        account_name=str(account) if account else "",
        subject=str(obj.get("id", "")),
    )
    return webhooks.queue(KEY, [event], reason)[0]


def body_for(event: ProviderEvent) -> bytes:
    return json.dumps(event.payload, indent=2).encode()


def secret_for(body: bytes) -> str:
    """The Connect endpoint's secret for events about a connected account."""
    try:
        connected = bool(json.loads(body).get("account"))
    except (ValueError, AttributeError):
        connected = False
    if connected:
        return settings.SANDBOX_STRIPE_CONNECT_WEBHOOK_SECRET
    return settings.SANDBOX_STRIPE_WEBHOOK_SECRET


def signature(body: bytes, secret: str, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{stamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def headers(body: bytes, *, genuine: bool = True) -> dict[str, str]:
    secret = secret_for(body) if genuine else "whsec_" + secrets.token_hex(16)
    return {
        SIGNATURE_HEADER: signature(body, secret),
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }


def signing() -> Signing:
    trusted = (
        settings.STRIPE_WEBHOOK_SECRET == settings.SANDBOX_STRIPE_WEBHOOK_SECRET
        and settings.STRIPE_CONNECT_WEBHOOK_SECRET == settings.SANDBOX_STRIPE_CONNECT_WEBHOOK_SECRET
    )
    return Signing(
        scheme=f"HMAC-SHA256 in {SIGNATURE_HEADER} (t=…,v1=…)",
        key_note=(
            "with the Connect endpoint's secret for events carrying `account`, the account "
            "endpoint's for the platform's own (the sandbox's secrets, not for production)"
        ),
        trusted=trusted,
        distrust_note=(
            "STRIPE_WEBHOOK_SECRET or STRIPE_CONNECT_WEBHOOK_SECRET is another secret: "
            "Torqueflow will refuse these webhooks"
        ),
    )
