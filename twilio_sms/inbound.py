"""Twilio's callbacks at /webhooks/twilio/: which organisation a verified delivery belongs
to, and applying it (a status callback or an incoming message)."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.conf import settings
from django.utils import timezone
from twilio.request_validator import RequestValidator

from integrations.models import Connection, WebhookEvent

from . import selectors, services
from .models import STATUS_ORDER, SmsMessage


def public_url(request) -> str:
    """The URL Twilio called: behind a proxy, the public origin from settings."""
    base = settings.TWILIO_PUBLIC_WEBHOOK_BASE.rstrip("/")
    if base:
        return base + request.get_full_path()
    return request.build_absolute_uri()


def signature_valid(*, auth_token: str, url: str, params: dict[str, str], signature: str) -> bool:
    return bool(auth_token) and RequestValidator(auth_token).validate(url, params, signature)


def verified_connections(request, params: dict[str, str]) -> list[Connection]:
    """The active connections of the delivery's account whose Auth Token signed it."""
    signature = request.headers.get("X-Twilio-Signature", "")
    account_sid = params.get("AccountSid", "")
    if not signature or not account_sid:
        return []
    url = public_url(request)
    return [
        connection
        for connection in selectors.connections_for_account(account_sid)
        if signature_valid(
            auth_token=connection.credentials.get("auth_token", ""),
            url=url,
            params=params,
            signature=signature,
        )
    ]


MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")


def event_key(payload: dict[str, Any]) -> str:
    """Unique per delivery that can change something: a message's sid and its status.
    Raises ValueError for a body that is not a Twilio message callback."""
    sid = payload.get("MessageSid") or payload.get("SmsSid") or ""
    if not MESSAGE_SID.fullmatch(sid):
        raise ValueError("A Twilio callback names its MessageSid")
    status = payload.get("MessageStatus") or payload.get("SmsStatus") or ""
    if status not in STATUS_ORDER:
        raise ValueError("A Twilio callback carries a message status")
    return f"{sid}:{status}"


def _incoming(payload: dict[str, Any]) -> bool:
    status = payload.get("MessageStatus") or payload.get("SmsStatus") or ""
    return status in ("received", "receiving") and "Body" in payload


# How long a message may sit queued without a sid while its send is in flight.
IN_FLIGHT = datetime.timedelta(minutes=5)


class SendInFlight(Exception):
    pass


def _send_in_flight(organisation_ids: list[int]) -> bool:
    return SmsMessage.objects.filter(
        organisation_id__in=organisation_ids,
        direction=SmsMessage.Direction.OUTBOUND,
        sid="",
        status="queued",
        created_at__gte=timezone.now() - IN_FLIGHT,
    ).exists()


def apply_event(event: WebhookEvent) -> bool:
    payload = event.payload
    connections = selectors.connections_for_account(str(payload.get("AccountSid", "")))
    if _incoming(payload):
        to = str(payload.get("To", ""))
        connection = next((c for c in connections if c.credentials.get("sender") == to), None) or (
            connections[0] if len(connections) == 1 else None
        )
        if connection is None:
            return False
        services.sms_receive(organisation=connection.organisation, payload=payload)
        event.organisation = connection.organisation
        return True
    sid = str(payload.get("MessageSid") or payload.get("SmsSid") or "")
    status = str(payload.get("MessageStatus") or payload.get("SmsStatus") or "")
    organisations = {c.organisation_id: c.organisation for c in connections}
    owner = (
        SmsMessage.objects.filter(organisation_id__in=organisations, sid=sid)
        .values_list("organisation_id", flat=True)
        .first()
    )
    if owner is None:
        if _send_in_flight(list(organisations)):
            # Twilio can call back before the worker that sent the message has saved its
            # sid: failing here makes the apply task try again shortly.
            raise SendInFlight(f"No message {sid} yet while a send is in flight")
        return False
    event.organisation = organisations[owner]
    return services.sms_status_apply(
        organisation=organisations[owner],
        sid=sid,
        status=status,
        error_code=str(payload.get("ErrorCode") or ""),
    )
