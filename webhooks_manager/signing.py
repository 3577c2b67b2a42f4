"""Signing secrets and what each endpoint kind sends: Standard Webhooks (signed JSON) or a
Slack incoming-webhook message."""

import base64
import datetime
import json
import secrets
from typing import Any

from standardwebhooks import Webhook

from crm import events

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def body_encode(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def signed_headers(
    *, secrets_in_use: list[str], msg_id: str, at: datetime.datetime, body: str
) -> dict[str, str]:
    """The three Standard Webhooks headers; one `v1,` signature per secret in use (two while
    a rotated secret still signs)."""
    signatures = " ".join(Webhook(secret).sign(msg_id, at, body) for secret in secrets_in_use)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }


def _subject(data: dict[str, Any]) -> str:
    for key in ("number", "name", "title"):
        if data.get(key):
            return str(data[key])
    invoice = data.get("invoice") or {}
    return str(invoice.get("number") or data.get("id") or "")


def slack_message(payload: dict[str, Any]) -> dict[str, str]:
    """A readable line for a Slack channel: what happened, to what, and the amount or who."""
    event = events.EVENTS.get(payload.get("type", ""))
    what = event.description if event else "Test event from Torqueflow"
    data = payload.get("data") or {}
    details = [_subject(data)]
    customer = data.get("customer") or {}
    if customer.get("name"):
        details.append(f"for {customer['name']}")
    amount = data.get("total") or data.get("amount")
    if amount:
        currency = data.get("currency") or (data.get("invoice") or {}).get("currency", "")
        details.append(f"({currency} {amount})".replace("( ", "("))
    if data.get("email"):
        details.append(f"<{data['email']}>")
    if data.get("start"):
        details.append(f"at {data['start']}")
    text = f"{what}: {' '.join(d for d in details if d)}".rstrip(": ")
    return {"text": text}
