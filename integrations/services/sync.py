"""The sync engine: mark what must be pushed, push it in batches within the provider's
limits, and decide what a failure means for the badge.

Records are marked pending in the transaction that changed the object and the push is
enqueued on commit; the sweeper re-enqueues anything left pending, so a lost broker message
cannot lose an invoice. Workers claim records with SKIP LOCKED, so two never push the same one.
"""

import datetime
import logging
import time
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from integrations import registry
from integrations.errors import (
    CONNECTION,
    ConnectionNotActive,
    IntegrationError,
    NeedsUser,
    RateLimited,
    ReauthRequired,
)
from integrations.models import Connection, SyncRecord, SyncRetry
from integrations.ratelimit import RateLimiter
from integrations.retry import MAX_ATTEMPTS, next_retry
from invoicing.services.audit import audit_record

from .activity import activity_record
from .push_messages import push_claiming, push_hold, push_lost, push_started, send_push
from .records import sync_record_write

logger = logging.getLogger(__name__)

# A claimed record is left alone this long; a worker that died frees it when this passes.
CLAIM_SECONDS = 300
SWEEP_AFTER = datetime.timedelta(minutes=3)
MAX_BATCHES_PER_TASK = 50
# While invoices are arriving briskly (a bulk finalise), a part-filled batch waits for them in
# steps of FILL_STEP_SECONDS, for up to FILL_WAIT_SECONDS after its oldest was queued: a call
# is the scarce thing, and one that carries a full batch is worth a second's wait.
FILL_STEP_SECONDS = 0.5
FILL_WAIT_SECONDS = 2.0
# A push that finds every concurrent slot taken comes back after this.
SLOT_RETRY_SECONDS = 1.0
# A push told to wait this long or less (the pace of a provider's limit, not a spent minute)
# waits in its task with its batch claimed, rather than becoming another message.
PACE_WAIT_SECONDS = 2.5
# A push that finds nothing due comes back for what is due within this (a rate limit's wait).
FOLLOW_UP_SECONDS = 120
# Reasons that clear up by themselves once the connection is active again.
RESUME_ON_RECONNECT = (ConnectionNotActive.reason_code, ReauthRequired.reason_code)
REASON_TEXT = {
    ConnectionNotActive.reason_code: "Connection not active",
    ReauthRequired.reason_code: "App revoked",
}


def enqueue_push(connection_id: int, *, countdown: float = 0) -> None:
    """Push the connection's due records once the current transaction commits."""
    transaction.on_commit(lambda: _send_push(connection_id, countdown))


def _send_push(connection_id: int, countdown: float) -> None:
    try:
        send_push(connection_id, countdown=countdown)
    except Exception:
        # The broker is down. What changed is committed and its record is pending: a message
        # never sent is a lost message, and the sweeper enqueues the push once the broker is
        # back. The change itself (a finalise, a webhook, a retry) must not fail for it.
        logger.warning(
            "Could not enqueue a push for connection %s; the sweeper will",
            connection_id,
            exc_info=True,
        )


def _mark_pending(*, connection: Connection, obj: models.Model, force: bool = False) -> SyncRecord:
    content_type = ContentType.objects.get_for_model(obj)
    record, _ = SyncRecord.objects.select_for_update().get_or_create(
        connection=connection,
        object_type=content_type,
        object_id=obj.pk,
        defaults={"organisation_id": connection.organisation_id},
    )
    record.state = SyncRecord.State.PENDING
    record.queued_at = timezone.now()
    record.next_attempt_at = None
    record.label = str(obj)[:100]
    record.reason_code = ""
    record.reason_text = ""
    record.fix = {}
    if force:
        record.attempts = 0
        record.force = True
    record.save()
    return record


def sync_mark_pending_many(
    *,
    connection: Connection,
    model: type[models.Model],
    objects: Sequence[tuple[int, str]],
    backfill_id: int | None = None,
) -> None:
    """Mark many objects with no record on the connection pending in one insert, as Sync now
    would (whatever the provider's automatic rules say), and push them once this commits.

    `objects` are (pk, label) pairs. One that has a record meanwhile (a Sync now pressed on
    it) keeps its record as it is: nothing is marked twice.
    """
    content_type = ContentType.objects.get_for_model(model)
    now = timezone.now()
    SyncRecord.objects.bulk_create(
        [
            SyncRecord(
                organisation_id=connection.organisation_id,
                connection=connection,
                object_type=content_type,
                object_id=pk,
                state=SyncRecord.State.PENDING,
                queued_at=now,
                label=label[:100],
                force=True,
                backfill_id=backfill_id,
            )
            for pk, label in objects
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    enqueue_push(connection.pk)


def sync_object_changed(*, obj: models.Model, organisation_id: int, change: str) -> int:
    """A local object changed: every active connection that wants it gets a pending record.
    An interrupted one (app revoked, credits run out) keeps a record failed as "Connection
    not active", which goes again when it is reconnected.

    Call inside the transaction that changed the object.
    """
    marked = 0
    for connection in Connection.objects.filter(
        organisation_id=organisation_id,
        state__in=Connection.LINKED_STATES,
    ):
        provider = registry.get(connection.provider)
        if provider is None or not provider.wants(connection=connection, obj=obj, change=change):
            continue
        record = _mark_pending(connection=connection, obj=obj)
        if connection.is_active:
            enqueue_push(connection.pk)
        else:
            _record_failed(connection, record, ConnectionNotActive("Connection not active"))
        marked += 1
    return marked


@transaction.atomic
def sync_now(
    *, connection: Connection, obj: models.Model, actor: AbstractBaseUser | None
) -> SyncRecord:
    """Push this object now: resets attempts, ignores auto-sync toggles and earlier failures."""
    record = _mark_pending(connection=connection, obj=obj, force=True)
    audit_record(
        organisation=connection.organisation,
        actor=actor,
        action=f"{connection.provider}.sync_now",
        obj=obj,
    )
    enqueue_push(connection.pk)
    return record


@transaction.atomic
def sync_retry_failed(*, connection: Connection, actor: AbstractBaseUser | None) -> int:
    """The bulk "Retry failed" action: every failed record of the connection goes again,
    remembered as one SyncRetry so that the failed page can follow them until they settle."""
    failed = list(
        SyncRecord.objects.select_for_update().filter(
            connection=connection, state=SyncRecord.State.FAILED
        )
    )
    retry = (
        SyncRetry.objects.create(
            organisation_id=connection.organisation_id,
            connection=connection,
            started_by=actor if actor is not None and actor.is_authenticated else None,
        )
        if failed
        else None
    )
    for record in failed:
        record.retry = retry
        record.state = SyncRecord.State.PENDING
        record.attempts = 0
        record.queued_at = timezone.now()
        record.next_attempt_at = None
        record.reason_code = record.reason_text = ""
        record.fix = {}
        record.force = True
        record.save()
    if failed:
        audit_record(
            organisation=connection.organisation,
            actor=actor,
            action=f"{connection.provider}.retry_failed",
            obj=connection,
            details={"records": len(failed)},
        )
        enqueue_push(connection.pk)
    return len(failed)


def sync_resume_after_reconnect(*, connection: Connection) -> int:
    """Records that failed only because the connection was down (or whose fix is to
    reconnect) go back to pending. Called by every way of connecting again, in the
    transaction that made the connection active."""
    waiting = SyncRecord.objects.filter(
        connection=connection, state=SyncRecord.State.FAILED
    ).filter(Q(reason_code__in=RESUME_ON_RECONNECT) | Q(fix__kind=CONNECTION))
    provider = registry.get(connection.provider)
    name = provider.name if provider else connection.provider
    return sync_requeue_fixed(
        record_ids=list(waiting.values_list("pk", flat=True)), fixed=f"{name} reconnected"
    )


def sync_requeue_fixed(*, record_ids: Collection[int], fixed: str) -> int:
    """Failed records whose fix was just saved go back to pending with their attempts reset,
    and are pushed once the transaction commits; the activity log says they were queued
    again after the fix (`fixed` says what was fixed). Records no longer failed are left
    alone. Call inside the transaction that saved the fix."""
    if not record_ids:
        return 0
    now = timezone.now()
    by_connection: dict[int, list[SyncRecord]] = defaultdict(list)
    with transaction.atomic():
        records = list(
            SyncRecord.objects.select_for_update()
            .filter(pk__in=list(record_ids), state=SyncRecord.State.FAILED)
            .order_by("pk")
        )
        for record in records:
            record.state = SyncRecord.State.PENDING
            record.attempts = 0
            record.queued_at = now
            record.next_attempt_at = None
            record.reason_code = record.reason_text = ""
            record.fix = {}
            by_connection[record.connection_id].append(record)
        SyncRecord.objects.bulk_update(
            records,
            [
                "state",
                "attempts",
                "queued_at",
                "next_attempt_at",
                "reason_code",
                "reason_text",
                "fix",
            ],
        )
        for connection in Connection.objects.filter(pk__in=list(by_connection)):
            queued = by_connection[connection.pk]
            activity_record(
                connection=connection,
                record=queued[0] if len(queued) == 1 else None,
                action="requeue",
                result="info",
                subject=_subject(queued[0]) if len(queued) == 1 else "",
                message=f"{_invoice_count(len(queued))} queued again after the fix: {fixed}",
                details={"records": len(queued)},
            )
            enqueue_push(connection.pk)
    return len(records)


def _invoice_count(count: int) -> str:
    return "1 invoice" if count == 1 else f"{count} invoices"


def _claim(connection: Connection, limit: int) -> list[SyncRecord]:
    now = timezone.now()
    with transaction.atomic():
        records = list(
            SyncRecord.objects.select_for_update(skip_locked=True)
            .filter(connection=connection, state=SyncRecord.State.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("queued_at", "pk")[:limit]
        )
        if records:
            SyncRecord.objects.filter(pk__in=[r.pk for r in records]).update(
                next_attempt_at=now + datetime.timedelta(seconds=CLAIM_SECONDS),
                last_attempt_at=now,
            )
    return records


def _release(records: list[SyncRecord], *, after_seconds: float) -> None:
    SyncRecord.objects.filter(pk__in=[r.pk for r in records]).update(
        next_attempt_at=timezone.now() + datetime.timedelta(seconds=after_seconds)
    )


def _subject(record: SyncRecord) -> str:
    return record.label or f"{record.object_type.model} {record.object_id}"


def _record_synced(connection: Connection, result: registry.PushResult) -> None:
    record = result.record
    first_time = not record.external_id
    now = timezone.now()
    fields = {
        "state": SyncRecord.State.SYNCED,
        "external_id": result.external_id or record.external_id,
        "attempts": 0,
        "reason_code": "",
        "reason_text": "",
        "fix": {},
        "last_synced_at": now,
        "next_attempt_at": None,
        "force": False,
    }
    for name in ("fingerprint", "remote_status", "remote_url"):
        if getattr(result, name):
            fields[name] = getattr(result, name)
    try:
        sync_record_write(record, fields=fields, data=result.details, drop=result.drop)
    except SyncRecord.DoesNotExist:
        _record_gone(connection, record)
        return
    Connection.objects.filter(pk=connection.pk).update(
        invoices_synced=F("invoices_synced") + (1 if first_time else 0), last_sync_at=now
    )
    activity_record(
        connection=connection,
        record=record,
        action="push",
        result="ok",
        subject=_subject(record),
        details={"external_id": record.external_id},
    )


def _record_failed(connection: Connection, record: SyncRecord, error: IntegrationError) -> None:
    """Decide what an error means for one record: retry later, or Sync failed with a reason.
    Decided on the row as it is now, under its lock: only the push's own fields are written."""
    message = str(error)
    with transaction.atomic():
        locked = SyncRecord.objects.select_for_update().filter(pk=record.pk).first()
        if locked is None:
            _record_gone(connection, record)
            return
        record = locked
        record.fix = {}
        if isinstance(error, NeedsUser):
            failed_text = REASON_TEXT.get(error.reason_code, message)
            record.fix = error.fix.as_json() if error.fix else {}
            decision = None
        else:
            record.attempts += 1
            decision = next_retry(
                attempts=record.attempts, retry_after=getattr(error, "retry_after", None)
            )
            failed_text = (
                f"No answer after {MAX_ATTEMPTS} attempts: {message}"
                if message
                else f"No answer after {MAX_ATTEMPTS} attempts"
            )
        if decision is None or decision.give_up:
            record.state = SyncRecord.State.FAILED
            record.reason_code = error.reason_code
            record.reason_text = failed_text[:500]
            record.next_attempt_at = None
            record.force = False
            result = "failed"
        else:
            record.next_attempt_at = timezone.now() + datetime.timedelta(
                seconds=decision.delay_seconds
            )
            result = "retry"
        record.save(
            update_fields=[
                "state",
                "reason_code",
                "reason_text",
                "next_attempt_at",
                "force",
                "attempts",
                "fix",
            ]
        )
    if decision is not None and not decision.give_up:
        enqueue_push(connection.pk, countdown=decision.delay_seconds)
    activity_record(
        connection=connection,
        record=record,
        action="push",
        result=result,
        subject=_subject(record),
        message=message,
    )


def _record_gone(connection: Connection, record: SyncRecord) -> None:
    """The connection moved to another account while this push was on its way: its records
    went to history, and what came back belongs to the account it left."""
    logger.info(
        "Record %s of connection %s left with a move to another account during its push",
        record.pk,
        connection.pk,
    )


def _requires_reauth(connection: Connection, error: ReauthRequired) -> None:
    """The provider refused the app in the middle of a push (revoked, organisation gone):
    the connection waits for a reconnect, like after a refused token refresh."""
    changed = Connection.objects.filter(pk=connection.pk, state=Connection.State.ACTIVE).update(
        state=Connection.State.REQUIRES_REAUTH, last_error=str(error)[:500]
    )
    if changed:
        activity_record(
            connection=connection,
            action="push",
            result="failed",
            message=f"{error}: reconnect to resume syncing",
        )


@dataclass
class PushSummary:
    pushed: int = 0
    failed: int = 0
    deferred: bool = False


def _push_batch(
    connection: Connection, provider: registry.Provider, records: list[SyncRecord]
) -> PushSummary:
    summary = PushSummary()
    to_push: list[SyncRecord] = []
    for record in records:
        fingerprint = provider.fingerprint(record=record)
        unchanged = fingerprint and fingerprint == record.fingerprint and record.external_id
        if unchanged and not record.force:
            SyncRecord.objects.filter(pk=record.pk).update(
                state=SyncRecord.State.SYNCED, next_attempt_at=None, fix={}
            )
            continue
        to_push.append(record)
    if not to_push:
        return summary
    try:
        results = provider.push(connection=connection, records=to_push)
    except RateLimited:
        raise  # pacing, not failure: the loop waits and releases without counting an attempt
    except IntegrationError as error:
        if isinstance(error, ReauthRequired):
            _requires_reauth(connection, error)
        results = [registry.PushResult(record=r, error=error) for r in to_push]
    for result in results:
        if result.error is None:
            _record_synced(connection, result)
            summary.pushed += 1
        else:
            _record_progress(connection, result)
            _record_failed(connection, result.record, result.error)
            summary.failed += 1
    return summary


def _record_progress(connection: Connection, result: registry.PushResult) -> None:
    """A push can fail after part of it got through (the invoice created, then its payment
    refused): keep the remote id and what was pushed, so the retry does not create it again."""
    if not result.external_id:
        return
    if not result.record.external_id:
        Connection.objects.filter(pk=connection.pk).update(invoices_synced=F("invoices_synced") + 1)
    fields = {"external_id": result.external_id}
    for name in ("fingerprint", "remote_status", "remote_url"):
        if getattr(result, name):
            fields[name] = getattr(result, name)
    sync_record_write(result.record, fields=fields, data=result.details, drop=result.drop)


def sync_push_due(
    *, connection_id: int, max_batches: int = MAX_BATCHES_PER_TASK, later: bool = False
) -> PushSummary:
    """Push the connection's due records, batch after batch, within its rate limit.

    Where the provider allows several calls at once (Xero: 5), a task that claims a full
    batch enqueues another, which takes the next batch meanwhile: up to one fewer batches
    than that are in flight, each in its own concurrency slot. A task that finds every slot
    taken comes back a moment later (one message for later per connection). `later` is a
    push that was scheduled (a rate limit's wait, a retry's back-off) rather than asked for
    now.
    """
    push_started(connection_id, later=later)
    total = PushSummary()
    connection = Connection.objects.filter(pk=connection_id).first()
    provider = registry.get(connection.provider) if connection else None
    if connection is None or provider is None:
        return total
    limiter = (
        RateLimiter(key=f"connection:{connection.pk}", limit=provider.rate_limit)
        if provider.rate_limit
        else None
    )
    for _ in range(max_batches):
        connection.refresh_from_db()
        with _slot(limiter) as free:
            if not free:
                # The holders may already have claimed their last batch before what this
                # task was sent for was due: come back when a slot may be free.
                total.deferred = True
                enqueue_push(connection.pk, countdown=SLOT_RETRY_SECONDS)
                return total
            if not _push_next_batch(connection, provider, limiter, total):
                return total
    enqueue_push(connection.pk)  # more may be due; another task carries on
    return total


@contextmanager
def _slot(limiter: RateLimiter | None) -> Iterator[bool]:
    if limiter is None:
        yield True
        return
    # The slot lasts as long as the claim: a worker killed mid-batch frees both at once.
    with limiter.concurrency_slot(lease_seconds=CLAIM_SECONDS) as free:
        yield free


def _push_next_batch(
    connection: Connection,
    provider: registry.Provider,
    limiter: RateLimiter | None,
    total: PushSummary,
) -> bool:
    """Claim and push one batch, adding to `total`. False when the task should stop: nothing
    more is due, or the limit says wait (a later task is enqueued for then)."""
    if _another_push_paces(limiter):
        # It claims again before it stops, and what is due goes with it; this follow-up (one
        # per connection) takes whatever it leaves. The waiting message stays held meanwhile.
        enqueue_push(connection.pk, countdown=SLOT_RETRY_SECONDS)
        total.deferred = True
        return False
    push_claiming(connection.pk)
    records = _claim(connection, provider.batch_size)
    if not records:
        _follow_up_later(connection)
        return False
    if limiter is not None and connection.is_active and _filling(records, provider.batch_size):
        _release(records, after_seconds=0)
        enqueue_push(connection.pk, countdown=FILL_STEP_SECONDS)
        push_hold(connection.pk, FILL_STEP_SECONDS)  # what arrives meanwhile fills this batch
        total.deferred = True
        return False
    if limiter is not None:
        # After the claim, so that finding nothing to push spends none of the limit.
        wait = _acquire_at_pace(limiter)
        if wait:
            _release(records, after_seconds=wait)
            enqueue_push(connection.pk, countdown=wait)
            if wait <= PACE_WAIT_SECONDS:
                # Another push is pacing the calls: what changes meanwhile goes with it or
                # with this follow-up, not in a message per finalise.
                push_hold(connection.pk, wait)
            total.deferred = True
            return False
    full = len(records) == provider.batch_size
    if full and _slot_free(limiter):
        enqueue_push(connection.pk)  # another worker takes the next batch meanwhile
    if not _active_after_claim(connection, records):
        total.failed += len(records)
        return full
    try:
        summary = _push_batch(connection, provider, records)
    except RateLimited as error:
        wait = error.retry_after or 60.0
        if limiter is not None:
            limiter.block(wait)
        _release(records, after_seconds=wait)
        activity_record(
            connection=connection,
            action="push",
            result="retry",
            message=f"Rate limited; waiting {wait:.0f}s",
        )
        enqueue_push(connection.pk, countdown=wait)
        total.deferred = True
        return False
    total.pushed += summary.pushed
    total.failed += summary.failed
    return full  # a partial batch took the last of what was due


def _another_push_paces(limiter: RateLimiter | None) -> bool:
    """A paced limit is spent one batch at a time: did another push in flight take its slot
    before this one? (The earliest goes on, so two pushes meeting never both stand aside.)"""
    if limiter is None or not limiter.limit.spread_seconds or not limiter.limit.concurrent:
        return False
    return not limiter.held_first()


def _acquire_at_pace(limiter: RateLimiter) -> float:
    """A call for this batch: 0 when it may go, else how long to wait. A wait that is only
    the pace is waited here, by the one push in flight (another push task claims nothing
    meanwhile, leaving the other worker process to webhooks)."""
    wait = limiter.acquire()
    waited = 0.0
    while 0 < wait <= PACE_WAIT_SECONDS and waited < 2 * PACE_WAIT_SECONDS:
        time.sleep(wait)
        waited += wait
        wait = limiter.acquire()
    return wait


def _follow_up_later(connection: Connection) -> None:
    """Nothing is due now. Records pending for soon (a wait for the limit, a fill step, a
    short back-off) get a push at the first of their times, whichever message was meant for
    them came early or was lost. Records claimed by a push in flight (their time is the
    claim's end) are that push's to settle; later ones have their own message and the
    sweeper."""
    now = timezone.now()
    next_due = SyncRecord.objects.filter(
        connection=connection,
        state=SyncRecord.State.PENDING,
        next_attempt_at__gt=now,
        next_attempt_at__lte=now + datetime.timedelta(seconds=FOLLOW_UP_SECONDS),
    ).aggregate(first=Min("next_attempt_at"))["first"]
    if next_due is not None:
        countdown = (next_due - now).total_seconds()
        enqueue_push(connection.pk, countdown=countdown)
        if countdown <= PACE_WAIT_SECONDS:
            push_hold(connection.pk, countdown)  # that push takes what changes meanwhile


def _filling(records: list[SyncRecord], batch_size: int) -> bool:
    """Whether this part-filled batch should wait for more: a claim takes every due record up
    to a batch, so a part-filled one holds all that is due, and when a fifth of a batch of them
    was queued in the last second more are on their way. A lone invoice goes at once, and
    none waits longer than FILL_WAIT_SECONDS."""
    if len(records) >= batch_size:
        return False
    now = timezone.now()
    brisk = now - datetime.timedelta(seconds=1)
    arrived = sum(1 for r in records if r.queued_at and r.queued_at >= brisk)
    oldest = min((r.queued_at for r in records if r.queued_at), default=now)
    waited = (now - oldest).total_seconds()
    return arrived >= max(2, batch_size // 5) and waited < FILL_WAIT_SECONDS


def _slot_free(limiter: RateLimiter | None) -> bool:
    """Room for one more batch in flight, keeping one of the provider's concurrent calls for
    what does not push (a webhook's read, a Sync now's push, the reconciler). A paced limit
    has no room for a second: it would only wait for the first, holding a worker."""
    concurrent = limiter.limit.concurrent if limiter is not None else None
    if limiter is not None and limiter.limit.spread_seconds:
        return False  # paced: one batch at a time spends the limit as fast as it may go
    return bool(concurrent) and limiter.in_flight() < concurrent - 1


def _active_after_claim(connection: Connection, records: list[SyncRecord]) -> bool:
    """Is the connection active, now that these records are claimed? If not, they fail as
    "Connection not active" and wait for a reconnect.

    The state is read after the claim: a reconnect that committed meanwhile has already
    resumed these very records, and failing them on a state read before it would leave them
    failed for good. A not-active verdict is taken under the connection's row lock, which a
    reconnect holds until its resume commits, so every record failed here is either seen by
    that resume or pushed because the connection is active again.
    """
    connection.refresh_from_db()
    if connection.is_active:
        return True
    with transaction.atomic():
        Connection.objects.select_for_update().get(pk=connection.pk)
        connection.refresh_from_db()
        if connection.is_active:
            return True
        not_active = ConnectionNotActive("Connection not active")
        for record in records:
            _record_failed(connection, record, not_active)
    return False


def sync_sweep(*, older_than: datetime.timedelta = SWEEP_AFTER) -> int:
    """Re-enqueue connections whose records were left pending: a lost message loses nothing."""
    cutoff = timezone.now() - older_than
    connection_ids = set(
        SyncRecord.objects.filter(state=SyncRecord.State.PENDING, queued_at__lte=cutoff)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()))
        .values_list("connection_id", flat=True)
        .distinct()
    )
    for connection_id in connection_ids:
        push_lost(connection_id)
        enqueue_push(connection_id)
    return len(connection_ids)
