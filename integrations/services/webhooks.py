"""The webhook inbox: store verified events once, answer at once, apply them in tasks.

A delivery costs one INSERT … ON CONFLICT DO NOTHING and, at most, one dispatcher message:
while a dispatcher is queued or running (it holds DISPATCH_KEY), a request adds nothing to
the broker. The dispatcher sends the apply task of every stored event not yet queued. When
neither the key's store nor the broker answers, the provider is told to deliver again (5xx
or 429): its redelivery wakes a dispatcher, and the sweeper sends whatever is left received
but not applied, so a broker outage loses no event.
"""

import datetime
import logging
import traceback

from django.core.cache import cache
from django.db import connection, transaction
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
    """The event is stored but nothing could be woken to apply it."""


# The one pending dispatch: while this key is held, a dispatcher is queued or running and
# will see every event committed before it lets go, so a request adds nothing to the queue.
DISPATCH_KEY = "webhooks:dispatch"
DISPATCH_HOLD_SECONDS = 30
DISPATCH_BATCH = 200

_COLUMNS = (
    "provider",
    "event_key",
    "payload",
    "body",
    "received_at",
    "state",
    "attempts",
    "error",
    "processed_at",
)


def webhook_store(
    *, provider: registry.Provider, events: list[registry.InboundEvent], body: bytes = b""
) -> int:
    """Store each event, with the delivery's raw `body`, unless its key was seen before (a
    replay is a no-op), in one statement; then make sure a dispatcher will queue their
    apply tasks.

    Returns how many were new. Any refusal by the database other than a known key is
    raised. Raises WebhookQueueDown, after storing, when no dispatcher could be woken: the
    stored events wait for the provider's redelivery or the sweeper.
    """
    if not events:
        return 0
    keys = [event.key[:255] for event in events]
    # What the provider would ignore anyway is stored as ignored, and never queued.
    wanted = {
        key
        for key, event in zip(keys, events, strict=True)
        if provider.webhook_needs_apply(payload=event.payload)
    }
    created = _insert_new(provider.key, keys, [event.payload for event in events], wanted, body)
    if not wanted:
        return len(created)
    if not (created & wanted) and not _waiting(provider.key, list(wanted)):
        # Only replays of events already on their way: nothing to wake.
        return len(created)
    webhook_wake()
    return len(created)


def _insert_new(
    provider_key: str, keys: list[str], payloads: list, wanted: set[str], body: bytes
) -> set[str]:
    """INSERT … ON CONFLICT DO NOTHING: one round trip, no transaction of its own. Returns
    the keys stored now (not the ones seen before)."""
    meta = WebhookEvent._meta
    fields = [meta.get_field(name) for name in _COLUMNS]
    now = timezone.now()
    params: list = []
    seen: set[str] = set()
    rows = 0
    for key, payload in zip(keys, payloads, strict=True):
        if key in seen:
            continue
        seen.add(key)
        if key in wanted:
            state, processed_at = WebhookEvent.State.RECEIVED, None
        else:
            state, processed_at = WebhookEvent.State.IGNORED, now
        values = (provider_key, key, payload, body, now, state, 0, "", processed_at)
        params += [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
        rows += 1
    # Only names from the model and placeholders go into the text; the values are parameters.
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    table, key_column = quote(meta.db_table), quote("event_key")
    columns = ", ".join(quote(f.column) for f in fields)
    conflict = f"{quote('provider')}, {quote('event_key')}"
    sql = " ".join(
        (
            f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * rows)}",  # noqa: S608
            f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {key_column}",
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def _waiting(provider_key: str, keys: list[str]) -> bool:
    """Whether a replayed event is still waiting to be queued (stored while nothing could be
    woken): its redelivery wakes the dispatcher."""
    return WebhookEvent.objects.filter(
        provider=provider_key,
        event_key__in=keys,
        state=WebhookEvent.State.RECEIVED,
        queued_at__isnull=True,
    ).exists()


def webhook_wake() -> None:
    """Queue a dispatcher unless one is queued or running already. Raises WebhookQueueDown
    when neither the lock nor the broker answers."""
    from integrations.tasks import dispatch_webhooks_task

    try:
        if not cache.add(DISPATCH_KEY, 1, timeout=DISPATCH_HOLD_SECONDS):
            return
        dispatch_webhooks_task.delay()
    except Exception as error:
        logger.warning("Could not wake the webhook dispatcher", exc_info=True)
        _let_go()
        raise WebhookQueueDown("Webhook events are stored but not queued") from error


def _let_go() -> None:
    try:
        cache.delete(DISPATCH_KEY)
    except Exception:
        logger.warning("Could not release the webhook dispatcher's key", exc_info=True)


def webhook_dispatch() -> int:
    """Send the apply task of every stored event not yet queued, a batch at a time, then let
    go of the dispatch key and look once more: an event committed after the last batch
    either found the key held (and is seen here) or took it (and queued a dispatcher)."""
    sent = 0
    while True:
        batch = _claim_unqueued()
        if batch:
            sent += _send_applies(batch)
            cache.touch(DISPATCH_KEY, DISPATCH_HOLD_SECONDS)
            continue
        _let_go()
        if not _unqueued().exists() or not cache.add(DISPATCH_KEY, 1, DISPATCH_HOLD_SECONDS):
            return sent


def _unqueued():
    return WebhookEvent.objects.filter(state=WebhookEvent.State.RECEIVED, queued_at__isnull=True)


def _claim_unqueued() -> list[int]:
    with transaction.atomic():
        ids = list(
            _unqueued()
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:DISPATCH_BATCH]
        )
        if ids:
            WebhookEvent.objects.filter(pk__in=ids).update(queued_at=timezone.now())
    return ids


def _send_applies(event_ids: list[int]) -> int:
    """Publish the apply tasks on one producer; what the broker refuses is unclaimed again
    (for the sweeper) and the error raised."""
    from integrations.tasks import apply_webhook_task

    sent = 0
    try:
        with apply_webhook_task.app.producer_or_acquire() as producer:
            for event_id in event_ids:
                apply_webhook_task.apply_async((event_id,), producer=producer)
                sent += 1
    except Exception:
        WebhookEvent.objects.filter(pk__in=event_ids[sent:]).update(queued_at=None)
        _let_go()
        raise
    return sent


def enqueue_apply(event_id: int) -> None:
    """Send one event's apply task once the current transaction commits; raises
    WebhookQueueDown (from the commit) when the broker refuses it."""
    transaction.on_commit(lambda: _send_apply(event_id))


def _send_apply(event_id: int) -> None:
    from integrations.tasks import apply_webhook_task

    try:
        apply_webhook_task.delay(event_id)
    except Exception as error:
        logger.warning("Could not queue webhook event %s", event_id, exc_info=True)
        WebhookEvent.objects.filter(pk=event_id).update(queued_at=None)
        raise WebhookQueueDown(f"Webhook event {event_id} is stored but not queued") from error


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
