"""Delivering outbound webhooks.

An event makes a Message per subscribed endpoint inside the transaction that made it; after
commit a task delivers each endpoint's due messages. One worker at a time delivers to an
endpoint (it holds the endpoint's lease), and a failing endpoint pauses until its next retry,
so a slow or dead endpoint holds one worker for one try at most, never the others' messages.
The sweeper enqueues endpoints with due messages nobody is delivering: retries come due that
way, and so does a message whose task was lost."""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organisation
from crm import events

from .. import schedule
from ..feature import feature_on
from ..models import RESPONSE_EXCERPT, Attempt, Endpoint, Message
from ..signing import body_encode, signed_headers, slack_message
from ..ssrf import UnsafeURL, url_check
from .endpoints import endpoint_lock, secrets_in_use

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 15.0
# How long a worker may hold an endpoint's lease: longer than one try can take.
LEASE = datetime.timedelta(seconds=60)
# A worker gives the endpoint back after this many tries, so others get their turn.
TRIES_PER_TURN = 50
# Retries due sooner than this go out from a task's countdown; later ones from the sweeper.
COUNTDOWN_MAX = 60
TEST_EVENT = "webhook.test"
USER_AGENT = "Torqueflow-Webhooks/1.0"


def _now() -> datetime.datetime:
    return timezone.now()


_client: httpx.Client | None = None


def _http() -> httpx.Client:
    """One client per process: making one builds a TLS context (tens of ms), and its pool
    keeps connections to a busy receiver open between deliveries."""
    global _client
    if _client is None:
        _client = httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
    return _client


def delivery_enqueue(*, endpoint_id: int, countdown: float = 0) -> None:
    """Deliver the endpoint's due messages once the current transaction commits."""
    from ..tasks import deliver_endpoint_task

    def send() -> None:
        if countdown:
            deliver_endpoint_task.apply_async((endpoint_id,), countdown=countdown)
        else:
            deliver_endpoint_task.delay(endpoint_id)

    transaction.on_commit(send)


def _message_add(*, endpoint: Endpoint, payload: dict[str, Any], now: datetime.datetime) -> Message:
    # A failing endpoint's new message waits for its next retry instead of a try of its own.
    due = endpoint.paused_until if endpoint.paused_until and endpoint.paused_until > now else now
    return Message.objects.create(
        organisation_id=endpoint.organisation_id,
        endpoint=endpoint,
        event_id=payload["id"],
        event_type=payload["type"],
        payload=payload,
        next_attempt_at=due,
        created_at=now,
    )


def event_record(*, organisation_id: int, event: str, payload: dict[str, Any]) -> list[Message]:
    """Called from the `announced` signal, inside the event's transaction."""
    now = _now()
    endpoints = [
        endpoint
        for endpoint in Endpoint.objects.filter(organisation_id=organisation_id, enabled=True)
        if event in endpoint.events
    ]
    if not endpoints or not feature_on(organisation_id=organisation_id):
        return []
    made = [_message_add(endpoint=endpoint, payload=payload, now=now) for endpoint in endpoints]
    for endpoint in endpoints:
        delivery_enqueue(endpoint_id=endpoint.pk)
    return made


def test_payload(*, organisation: Organisation) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": TEST_EVENT,
        "version": events.VERSION,
        "occurred_at": _now().astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
        "organisation_id": organisation.pk,
        "data": {"message": "This is a test event from Torqueflow."},
    }


@transaction.atomic
def endpoint_test_event_send(*, endpoint: Endpoint) -> Message:
    endpoint = endpoint_lock(endpoint_id=endpoint.pk)
    message = _message_add(
        endpoint=endpoint, payload=test_payload(organisation=endpoint.organisation), now=_now()
    )
    message.next_attempt_at = _now()
    message.save(update_fields=["next_attempt_at"])
    _unpause(endpoint)
    delivery_enqueue(endpoint_id=endpoint.pk)
    return message


@transaction.atomic
def message_resend(*, message: Message) -> Message:
    """Try again now, from the start of the schedule, with the same webhook-id."""
    endpoint = endpoint_lock(endpoint_id=message.endpoint_id)
    message = Message.objects.select_for_update().get(pk=message.pk)
    message.status = Message.Status.PENDING
    message.retry_index = 0
    message.next_attempt_at = _now()
    message.save(update_fields=["status", "retry_index", "next_attempt_at"])
    _unpause(endpoint)
    delivery_enqueue(endpoint_id=endpoint.pk)
    return message


def _unpause(endpoint: Endpoint) -> None:
    if endpoint.paused_until:
        endpoint.paused_until = None
        endpoint.save(update_fields=["paused_until"])


# --- delivering --------------------------------------------------------------------------


def _lease_take(endpoint_id: int, now: datetime.datetime) -> bool:
    return bool(
        Endpoint.objects.filter(pk=endpoint_id, enabled=True)
        .filter(Q(busy_until__isnull=True) | Q(busy_until__lt=now))
        .update(busy_until=now + LEASE)
    )


def _due(endpoint_id: int, now: datetime.datetime):
    return Message.objects.filter(
        endpoint_id=endpoint_id, status=Message.Status.PENDING, next_attempt_at__lte=now
    )


def endpoint_deliver(*, endpoint_id: int) -> int:
    """Deliver the endpoint's due messages, oldest first, one at a time; returns the tries
    made. Does nothing while another worker holds the endpoint."""
    if not _lease_take(endpoint_id, _now()):
        return 0
    tries = 0
    try:
        while tries < TRIES_PER_TURN:
            endpoint = Endpoint.objects.get(pk=endpoint_id)
            now = _now()
            if not endpoint.enabled or (endpoint.paused_until and endpoint.paused_until > now):
                break
            message = _due(endpoint_id, now).order_by("next_attempt_at", "pk").first()
            if message is None:
                break
            Endpoint.objects.filter(pk=endpoint_id).update(busy_until=now + LEASE)
            tries += 1
            if not attempt_make(endpoint=endpoint, message=message):
                break
    finally:
        Endpoint.objects.filter(pk=endpoint_id).update(busy_until=None)
    # A message added while the lease was held found it taken: look once more.
    endpoint = Endpoint.objects.filter(pk=endpoint_id, enabled=True).first()
    paused = endpoint is not None and endpoint.paused_until and endpoint.paused_until > _now()
    if endpoint is not None and not paused and _due(endpoint_id, _now()).exists():
        delivery_enqueue(endpoint_id=endpoint_id)
    return tries


@dataclass
class _Result:
    ok: bool
    status_code: int | None = None
    body: str = ""
    error: str = ""
    retry_after: float | None = None
    duration_ms: int = 0


def _request(*, endpoint: Endpoint, message: Message, now: datetime.datetime) -> _Result:
    try:
        url_check(endpoint.url)
    except UnsafeURL as error:
        return _Result(ok=False, error=str(error)[:300])
    headers = {"content-type": "application/json", "user-agent": USER_AGENT}
    if endpoint.kind == Endpoint.Kind.SLACK:
        body = body_encode(slack_message(message.payload))
    else:
        body = body_encode(message.payload)
        headers |= signed_headers(
            secrets_in_use=secrets_in_use(endpoint, now=now),
            msg_id=message.event_id,
            at=now,
            body=body,
        )
    started = time.monotonic()
    try:
        response = _http().post(endpoint.url, content=body.encode(), headers=headers)
        text = response.text[:RESPONSE_EXCERPT]
    except httpx.TimeoutException:
        return _Result(ok=False, error="Timed out after 15 s", duration_ms=_ms(started))
    except httpx.HTTPError as error:
        return _Result(
            ok=False, error=f"Could not connect: {error}"[:300], duration_ms=_ms(started)
        )
    return _Result(
        ok=200 <= response.status_code < 300,
        status_code=response.status_code,
        body=text,
        retry_after=schedule.retry_after_seconds(response.headers.get("retry-after"), now=now)
        if response.status_code in (429, 503)
        else None,
        duration_ms=_ms(started),
    )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def attempt_make(*, endpoint: Endpoint, message: Message) -> bool:
    """One try of one message, recorded; True when it was delivered."""
    now = _now()
    result = _request(endpoint=endpoint, message=message, now=now)
    with transaction.atomic():
        endpoint = endpoint_lock(endpoint_id=endpoint.pk)
        message = Message.objects.select_for_update().get(pk=message.pk)
        message.attempts += 1
        Attempt.objects.create(
            organisation_id=message.organisation_id,
            message=message,
            number=message.attempts,
            at=now,
            outcome=Attempt.Outcome.SUCCESS if result.ok else Attempt.Outcome.FAILURE,
            status_code=result.status_code,
            duration_ms=result.duration_ms,
            response_body=result.body,
            error=result.error,
        )
        message.last_status_code = result.status_code
        if result.ok:
            _succeeded(endpoint, message, now)
        else:
            _failed(endpoint, message, now, result)
        message.save()
    return result.ok


def _succeeded(endpoint: Endpoint, message: Message, now: datetime.datetime) -> None:
    message.status, message.delivered_at, message.next_attempt_at = "delivered", now, None
    if endpoint.failing_since or endpoint.paused_until:
        endpoint.failing_since = endpoint.paused_until = None
        endpoint.save(update_fields=["failing_since", "paused_until"])


def _failed(endpoint: Endpoint, message: Message, now: datetime.datetime, result: _Result) -> None:
    from .alerts import endpoint_auto_disable

    if result.status_code == 410:
        message.status, message.next_attempt_at = "failed", None
        endpoint_auto_disable(endpoint=endpoint, reason="The endpoint answered 410 Gone.")
        return
    delay = schedule.retry_delay(message.retry_index, retry_after=result.retry_after)
    message.retry_index += 1
    if delay is None:
        message.status, message.next_attempt_at = "failed", None
    else:
        message.next_attempt_at = now + delay
    fields = []
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        fields.append("failing_since")
    elif now - endpoint.failing_since >= schedule.FAILING_LIMIT:
        endpoint_auto_disable(endpoint=endpoint, reason="Every delivery failed for three days.")
        return
    if message.next_attempt_at:
        endpoint.paused_until = message.next_attempt_at
        fields.append("paused_until")
        seconds = delay.total_seconds()
        if seconds <= COUNTDOWN_MAX:
            delivery_enqueue(endpoint_id=endpoint.pk, countdown=seconds)
    if fields:
        endpoint.save(update_fields=fields)


def sweep(*, now: datetime.datetime | None = None) -> int:
    """Enqueue every enabled, unleased endpoint with a due message; returns how many."""
    now = now or _now()
    ids = list(
        Endpoint.objects.filter(enabled=True)
        .filter(Q(busy_until__isnull=True) | Q(busy_until__lt=now))
        .filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now))
        .filter(messages__status=Message.Status.PENDING, messages__next_attempt_at__lte=now)
        .values_list("pk", flat=True)
        .distinct()
    )
    from ..tasks import deliver_endpoint_task

    for endpoint_id in ids:
        deliver_endpoint_task.delay(endpoint_id)
    return len(ids)
