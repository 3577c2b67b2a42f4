"""Twilio's webhooks: status callbacks (to the URL each message named) and incoming messages
(to Torqueflow's webhook URL), form-encoded POSTs signed as Twilio signs them
(`X-Twilio-Signature`, sandbox/twilio/signing.py, with the account's Auth Token). Storing,
sending, dropping and resending are the core's; a resend is the same callback, newly signed."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl, urlencode

from sandbox.core import webhooks
from sandbox.core.registry import Signing
from sandbox.models import ProviderEvent, TwilioSandboxMessage

from .constants import ACCOUNT_SID, AUTH_TOKEN, FRIENDLY_NAME, KEY
from .signing import signature

SIGNATURE_HEADER = "X-Twilio-Signature"


def _queue(event_type: str, url: str, params: dict[str, str], sid: str, reason: str):
    event = webhooks.Event(
        event_type=event_type,
        payload={"url": url, "params": params},
        account=ACCOUNT_SID,
        account_name=FRIENDLY_NAME,
        subject=sid,
    )
    return webhooks.queue(KEY, [event], reason)[0]


def queue_status(message: TwilioSandboxMessage) -> ProviderEvent | None:
    """The message's status callback, when it named a StatusCallback URL."""
    if not message.status_callback:
        return None
    params = {
        "AccountSid": message.account_sid,
        "MessageSid": message.sid,
        "SmsSid": message.sid,
        "MessageStatus": message.status,
        "SmsStatus": message.status,
        "To": message.to,
        "From": message.from_number,
        "ApiVersion": "2010-04-01",
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    if message.error_code:
        params["ErrorCode"] = message.error_code
    return _queue(
        f"status {message.status}",
        message.status_callback,
        params,
        message.sid,
        f"Text to {message.to} {message.status}",
    )


def queue_incoming(message: TwilioSandboxMessage) -> ProviderEvent:
    """A customer's text, posted to Torqueflow's incoming-message webhook."""
    params = {
        "AccountSid": message.account_sid,
        "MessageSid": message.sid,
        "SmsSid": message.sid,
        "SmsMessageSid": message.sid,
        "SmsStatus": "received",
        "From": message.from_number,
        "To": message.to,
        "Body": message.body,
        "NumMedia": "0",
        "NumSegments": str(message.num_segments),
        "ApiVersion": "2010-04-01",
    }
    return _queue(
        "incoming message",
        webhooks.url(KEY),
        params,
        message.sid,
        f"Reply from {message.from_number}",
    )


def body_for(event: ProviderEvent) -> bytes:
    return urlencode(event.payload.get("params", {})).encode()


def target_for(event: ProviderEvent) -> str:
    return event.payload.get("url", "")


def headers(body: bytes, target: str, *, genuine: bool = True) -> dict[str, str]:
    params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    token = AUTH_TOKEN if genuine else secrets.token_hex(16)
    return {
        SIGNATURE_HEADER: signature(target, params, token),
        "User-Agent": "TwilioProxy/1.1",
    }


def signing() -> Signing:
    return Signing(
        scheme=(
            f"base64 HMAC-SHA1 in {SIGNATURE_HEADER} over the URL called followed by the "
            "POST parameters sorted by name"
        ),
        key_note="with the account's Auth Token (the sandbox's, not for production)",
    )
