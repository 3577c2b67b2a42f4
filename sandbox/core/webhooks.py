"""Webhooks back to Torqueflow, for every provider: events stored in the transaction that made
the change and sent once it commits, inline with a short timeout, with the body and signature
the adapter makes (one event a delivery, or every waiting event together). A failed delivery
is logged and kept for "Resend undelivered"; it never reaches the user's action. The
`drop_webhooks` knob loses deliveries on purpose.

A provider with a handshake (Xero's "intent to receive") also gets a check of the receiver:
one delivery signed correctly, one signed wrongly; it must answer 200 and 401."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F

from sandbox.models import Faults, ProviderEvent

from . import clock
from .faults import roll
from .registry import SandboxProvider, get

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Event:
    """An event an adapter queues."""

    event_type: str
    payload: dict[str, Any]
    account: str = ""
    account_name: str = ""
    subject: str = ""


def url(provider: str) -> str:
    """SANDBOX_<KEY>_WEBHOOK_URL, or Torqueflow's /webhooks/<key>/ at SANDBOX_BASE_URL."""
    configured = getattr(settings, f"SANDBOX_{provider.upper()}_WEBHOOK_URL", "")
    return configured or f"{settings.SANDBOX_BASE_URL.rstrip('/')}/webhooks/{provider}/"


def queue(provider: str, events: Iterable[Event], reason: str) -> list[ProviderEvent]:
    """Store the events and send them once the transaction commits (at once without one)."""
    now = clock.now()
    rows = [
        ProviderEvent.objects.create(
            provider=provider,
            account=event.account,
            account_name=event.account_name[:255],
            event_type=event.event_type,
            subject=event.subject,
            payload=event.payload,
            reason=reason[:200],
            created_at=now,
        )
        for event in events
    ]
    if rows:
        ids = [row.pk for row in rows]
        transaction.on_commit(lambda: deliver(provider, ids), robust=True)
    return rows


def _post(
    adapter: SandboxProvider, body: bytes, *, genuine: bool = True, target: str = ""
) -> tuple[int | None, str]:
    target = target or url(adapter.key)
    headers = {
        "Content-Type": adapter.webhook_content_type,
        **adapter.delivery_headers(body, target, genuine=genuine),
    }
    try:
        response = requests.post(target, data=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as error:
        logger.warning("Sandbox %s webhook to %s failed: %s", adapter.name, target, error)
        return None, f"{type(error).__name__}: {error}"[:300]
    return response.status_code, ""


def deliver(provider: str, event_ids: list[int]) -> None:
    """Send the stored events; never raises."""
    adapter = get(provider)
    events = list(ProviderEvent.objects.filter(provider=provider, pk__in=event_ids).order_by("pk"))
    deliveries = [events] if adapter.batch_webhooks and events else [[e] for e in events]
    for delivery in deliveries:
        try:
            _deliver(adapter, delivery)
        except Exception:
            logger.exception("Sandbox %s webhook delivery failed", adapter.name)


def _deliver(adapter: SandboxProvider, events: list[ProviderEvent]) -> None:
    sent = ProviderEvent.objects.filter(pk__in=[e.pk for e in events])
    now = clock.now()
    if roll(Faults.current(adapter.key).drop_webhooks):
        sent.update(
            attempted_at=now, attempts=F("attempts") + 1, dropped=True, status_code=None, error=""
        )
        return
    target = adapter.webhook_target(events)
    status, error = _post(adapter, adapter.webhook_body(events), target=target)
    sent.update(
        attempted_at=now, attempts=F("attempts") + 1, dropped=False, status_code=status, error=error
    )
    if status is not None and status not in adapter.webhook_ok:
        logger.warning("Sandbox %s webhook answered %s", adapter.name, status)


def undelivered(provider: str):
    ok = get(provider).webhook_ok
    return ProviderEvent.objects.filter(provider=provider).exclude(
        status_code__gte=ok.start, status_code__lt=ok.stop
    )


def resend_undelivered(provider: str) -> int:
    """Deliver again every event that was dropped or not answered as delivered."""
    pending = list(undelivered(provider).order_by("pk").values_list("pk", flat=True))
    if pending:
        deliver(provider, pending)
    return len(pending)


def check_receiver(provider: str) -> dict[str, Any]:
    """The provider's handshake: its body signed correctly, then wrongly."""
    adapter = get(provider)
    body = adapter.handshake_body()
    good_status, good_error = _post(adapter, body)
    bad_status, bad_error = _post(adapter, body, genuine=False)
    result: dict[str, Any] = {
        "url": url(provider),
        "at": clock.iso(clock.now()),
        "correctly_signed": good_status,
        "wrongly_signed": bad_status,
        "errors": [e for e in (good_error, bad_error) if e],
        "passed": good_status == 200 and bad_status == 401,
    }
    Faults.current(provider)
    Faults.objects.filter(provider=provider).update(receiver_check=result)
    return result
