"""The webhook inbox: store verified events once, answer at once, apply them in a task."""

import logging
import traceback

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations import registry
from integrations.models import WebhookEvent

logger = logging.getLogger(__name__)


def enqueue_apply(event_id: int) -> None:
    from integrations.tasks import apply_webhook_task

    transaction.on_commit(lambda: apply_webhook_task.delay(event_id))


def webhook_store(*, provider: registry.Provider, events: list[registry.InboundEvent]) -> int:
    """Store each event unless its key was seen before (a replay is a no-op).

    Returns how many were new. A concurrent duplicate resolves to the row that won.
    """
    created = 0
    for event in events:
        try:
            with transaction.atomic():
                row = WebhookEvent.objects.create(
                    provider=provider.key, event_key=event.key[:255], payload=event.payload
                )
                enqueue_apply(row.pk)
            created += 1
        except IntegrityError:
            logger.info("Webhook %s %s seen before; ignored", provider.key, event.key)
    return created


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
