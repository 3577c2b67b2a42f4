"""The webhook inbox: store verified events once, answer at once, apply them in a task.

An event whose apply task the broker refused stays stored with no `queued_at`, and the
provider is told to deliver again (5xx or 429): its redelivery sends the task, and the sweeper
sends whatever is left received but not applied, so a broker outage loses no event.
"""

import datetime
import logging
import traceback

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from integrations import registry
from integrations.errors import RateLimited
from integrations.models import WebhookEvent

logger = logging.getLogger(__name__)

# A received event not applied this long after its task was sent lost its message.
REQUEUE_AFTER = datetime.timedelta(minutes=10)
# An event the broker refused is sent again by the sweeper after this (or on redelivery).
UNQUEUED_AFTER = datetime.timedelta(minutes=1)


class WebhookQueueDown(Exception):
    """The event is stored but its apply task could not be sent."""


def enqueue_apply(event_id: int) -> None:
    """Send the apply task once the current transaction commits; raises WebhookQueueDown
    (from the commit) when the broker refuses it."""
    transaction.on_commit(lambda: _send_apply(event_id))


def _send_apply(event_id: int) -> None:
    from integrations.tasks import apply_webhook_task

    try:
        apply_webhook_task.delay(event_id)
    except Exception as error:
        logger.warning("Could not queue webhook event %s", event_id, exc_info=True)
        WebhookEvent.objects.filter(pk=event_id).update(queued_at=None)
        raise WebhookQueueDown(f"Webhook event {event_id} is stored but not queued") from error


def webhook_store(
    *, provider: registry.Provider, events: list[registry.InboundEvent], body: bytes = b""
) -> int:
    """Store each event, with the delivery's raw `body`, unless its key was seen before (a
    replay is a no-op, unless the first delivery could not be queued: then this one queues
    it).

    Returns how many were new. A concurrent duplicate resolves to the row that won; any other
    refusal by the database is raised. Raises WebhookQueueDown after storing everything when
    some apply task could not be sent.
    """
    created = 0
    queue_down: WebhookQueueDown | None = None
    for event in events:
        key = event.key[:255]
        try:
            with transaction.atomic():
                row = WebhookEvent.objects.create(
                    provider=provider.key,
                    event_key=key,
                    payload=event.payload,
                    body=body,
                    queued_at=timezone.now(),
                )
                enqueue_apply(row.pk)
            created += 1
        except IntegrityError:
            if not _seen_before(provider.key, key):
                raise
            if not _queue_unqueued(provider.key, key):
                logger.info("Webhook %s %s seen before; ignored", provider.key, event.key)
        except WebhookQueueDown as error:
            created += 1
            queue_down = error
    if queue_down is not None:
        raise queue_down
    return created


def _seen_before(provider_key: str, key: str) -> bool:
    """Whether an IntegrityError on storing was the unique key (a replay), not a value the
    database refused."""
    return WebhookEvent.objects.filter(provider=provider_key, event_key=key).exists()


def _queue_unqueued(provider_key: str, key: str) -> bool:
    """A redelivery of an event stored while the broker was down: queue it now."""
    with transaction.atomic():
        updated = WebhookEvent.objects.filter(
            provider=provider_key,
            event_key=key,
            state=WebhookEvent.State.RECEIVED,
            queued_at__isnull=True,
        ).update(queued_at=timezone.now())
        if updated:
            event_id = WebhookEvent.objects.only("pk").get(provider=provider_key, event_key=key).pk
            logger.info("Webhook %s %s redelivered before it was queued", provider_key, key)
            enqueue_apply(event_id)
    return bool(updated)


def webhook_sweep(
    *,
    unqueued_after: datetime.timedelta = UNQUEUED_AFTER,
    requeue_after: datetime.timedelta = REQUEUE_AFTER,
) -> int:
    """Queue again the events received but never applied: those the broker refused, and
    those whose task message was lost (a broker restarted empty). Applying is idempotent."""
    now = timezone.now()
    due = WebhookEvent.objects.filter(state=WebhookEvent.State.RECEIVED).filter(
        Q(queued_at__isnull=True, received_at__lte=now - unqueued_after)
        | Q(queued_at__lte=now - requeue_after)
    )
    swept = 0
    for event_id in due.values_list("pk", flat=True):
        try:
            webhook_requeue(event_id=event_id)
        except WebhookQueueDown:
            break  # still down: the next sweep tries again
        swept += 1
    return swept


def webhook_requeue(*, event_id: int) -> None:
    """Send an event's apply task again, as received (a failed one too); an applied event
    stays as it is. Raises WebhookQueueDown when the broker refuses it."""
    WebhookEvent.objects.filter(pk=event_id).exclude(state=WebhookEvent.State.APPLIED).update(
        state=WebhookEvent.State.RECEIVED, queued_at=timezone.now()
    )
    enqueue_apply(event_id)


def webhook_apply(*, event_id: int) -> str:
    """Apply one stored event once. Raises on failure so the task can retry; the error
    stays on the row for the admin.

    The provider's apply runs outside any transaction of ours: it may refresh a token on
    the way (refresh tokens rotate, and a rollback here must never undo the stored new one);
    it takes its own transactions and locks for what it changes, and is idempotent, so a
    second worker applying the same event at the same time changes nothing more.
    """
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None:  # deleted since it was queued: nothing left to apply
            logger.warning("Webhook event %s no longer exists", event_id)
            return WebhookEvent.State.IGNORED
        if event.state in (WebhookEvent.State.APPLIED, WebhookEvent.State.IGNORED):
            return event.state
        event.attempts += 1
        event.save(update_fields=["attempts"])
    provider = registry.get(event.provider)
    try:
        applied = provider.apply_webhook(event=event) if provider is not None else False
    except RateLimited as error:
        # Pacing, not failure: the event stays received and goes again once the provider's
        # limit allows (the sweeper sends it if that message is lost).
        wait = error.retry_after or 60.0
        WebhookEvent.objects.filter(pk=event.pk).update(
            queued_at=timezone.now() + datetime.timedelta(seconds=wait)
        )
        raise WebhookApplyDeferred(wait) from error
    except Exception as error:
        event.state = WebhookEvent.State.FAILED
        event.error = traceback.format_exc()[-5000:]
        event.save(update_fields=["state", "error"])
        raise WebhookApplyFailed(f"Webhook event {event_id} failed; see its error") from error
    event.state = WebhookEvent.State.APPLIED if applied else WebhookEvent.State.IGNORED
    event.error = ""
    event.processed_at = timezone.now()
    event.save(update_fields=["state", "error", "processed_at", "organisation"])
    return event.state


class WebhookApplyFailed(Exception):
    pass


class WebhookApplyDeferred(Exception):
    """The provider's rate limit is spent: apply again after `seconds`."""

    def __init__(self, seconds: float):
        super().__init__(f"Rate limited; apply again in {seconds:.0f}s")
        self.seconds = seconds
