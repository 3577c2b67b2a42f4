"""Back-fill: send the invoices finalised before a connection was made, which are never sent
automatically, when the owner asks for them on the provider's page.

Starting one is a row on Backfill, created under the connection's row lock (one at a time per
connection) with its marking task enqueued on commit. The task marks the invoices pending in
chunks through the sync engine, which pushes them as it pushes anything else; the sweeper
sends the task again if its message was lost. Progress is read from the records the back-fill
marked, so it survives a reload; once none is pending the back-fill is done and its figures
are kept on the row.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from integrations import registry
from integrations.models import Backfill, Connection, SyncRecord
from invoicing.models import Invoice
from invoicing.services.audit import audit_record

from .sync import SWEEP_AFTER, sync_mark_pending_many

logger = logging.getLogger(__name__)

# Invoices marked per transaction: a large organisation's back-fill never holds one long
# transaction, and the pushes start while the rest is being marked.
CHUNK = 1000


@dataclass(frozen=True)
class BackfillProgress:
    """What the provider's page shows of a back-fill: "n of N sent", then the figures."""

    backfill: Backfill
    total: int
    sent: int
    failed: int

    @property
    def done(self) -> int:
        return self.sent + self.failed

    @property
    def finished(self) -> bool:
        return self.backfill.finished

    @property
    def duration(self) -> datetime.timedelta | None:
        if self.backfill.finished_at is None:
            return None
        return max(self.backfill.finished_at - self.backfill.started_at, datetime.timedelta(0))

    @property
    def duration_text(self) -> str:
        duration = self.duration
        return duration_text(duration) if duration is not None else ""


def backfill_candidates(
    *,
    connection: Connection,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[Invoice]:
    """The organisation's invoices that a back-fill would send on this connection: finalised
    (not draft, not void) before the connection was made, of a kind its provider takes, with
    no record on the connection yet, and dated (invoice date) within the range."""
    provider = registry.get(connection.provider)
    scope = provider.backfill_scope(connection=connection) if provider else None
    if scope is None or connection.connected_at is None:
        return Invoice.objects.none()
    recorded = SyncRecord.objects.filter(
        connection=connection,
        object_type=ContentType.objects.get_for_model(Invoice),
        object_id=OuterRef("pk"),
    )
    invoices = (
        Invoice.objects.filter(organisation_id=connection.organisation_id)
        .exclude(status__in=(Invoice.Status.DRAFT, Invoice.Status.VOID))
        .filter(Q(finalised_at__lt=connection.connected_at) | Q(finalised_at__isnull=True))
        .filter(scope)
        .exclude(Exists(recorded))
    )
    if date_from is not None:
        invoices = invoices.filter(issue_date__gte=date_from)
    if date_to is not None:
        invoices = invoices.filter(issue_date__lte=date_to)
    return invoices


def backfill_count(
    *,
    connection: Connection,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> int:
    """N in "Send N earlier invoices": one query."""
    return backfill_candidates(connection=connection, date_from=date_from, date_to=date_to).count()


def backfill_offered(*, connection: Connection | None) -> bool:
    """Whether the connection's page has a back-fill section at all."""
    if connection is None or not connection.is_active or connection.connected_at is None:
        return False
    provider = registry.get(connection.provider)
    return provider is not None and provider.backfill_scope(connection=connection) is not None


def backfill_current(*, connection: Connection) -> Backfill | None:
    """The back-fill the page shows: one under way, or the last one finished and not yet
    dismissed."""
    return (
        Backfill.objects.filter(connection=connection, dismissed_at__isnull=True)
        .order_by("-started_at", "-pk")
        .first()
    )


def backfill_progress(*, backfill: Backfill) -> BackfillProgress:
    """Read from the records this back-fill marked (one query), or from the figures kept
    when it finished (none)."""
    if backfill.finished:
        return BackfillProgress(
            backfill=backfill, total=backfill.total, sent=backfill.sent, failed=backfill.failed
        )
    counts = _counts(backfill)
    return BackfillProgress(
        backfill=backfill,
        total=max(backfill.total, counts["marked"]),
        sent=counts["synced"],
        failed=counts["failed"],
    )


def _counts(backfill: Backfill) -> dict[str, int]:
    return SyncRecord.objects.filter(backfill=backfill).aggregate(
        marked=Count("pk"), **SyncRecord.state_counts()
    )


def backfill_start(
    *,
    connection: Connection,
    actor: AbstractBaseUser | None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> Backfill:
    """Start sending the earlier invoices in the range. Raises ValidationError when one is
    already under way (a double-click, a second tab), or when there is nothing to send."""
    provider = registry.get(connection.provider)
    name = provider.name if provider else connection.provider
    try:
        with transaction.atomic():
            backfill = _create(
                connection=connection, actor=actor, name=name, date_from=date_from, date_to=date_to
            )
    except IntegrityError as error:
        # Two starts that both passed the check where row locks are not available (SQLite):
        # the unique constraint lets one through.
        raise ValidationError(_already_running(name)) from error
    return backfill


def _already_running(name: str) -> str:
    return f"Earlier invoices are already being sent to {name}."


def _create(
    *,
    connection: Connection,
    actor: AbstractBaseUser | None,
    name: str,
    date_from: datetime.date | None,
    date_to: datetime.date | None,
) -> Backfill:
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    if not connection.is_active:
        raise ValidationError(f"Connect {name} before sending earlier invoices.")
    if Backfill.objects.filter(
        connection=connection, state__in=Backfill.UNFINISHED_STATES
    ).exists():
        raise ValidationError(_already_running(name))
    total = backfill_count(connection=connection, date_from=date_from, date_to=date_to)
    if not total:
        raise ValidationError("There are no earlier invoices to send in those dates.")
    now = timezone.now()
    # A new back-fill replaces the figures of the last one.
    Backfill.objects.filter(connection=connection, dismissed_at__isnull=True).update(
        dismissed_at=now
    )
    backfill = Backfill.objects.create(
        organisation_id=connection.organisation_id,
        connection=connection,
        date_from=date_from,
        date_to=date_to,
        total=total,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    audit_record(
        organisation=connection.organisation,
        actor=actor,
        action=f"{connection.provider}.backfill",
        obj=connection,
        details={
            "invoices": total,
            "date_from": date_from.isoformat() if date_from else None,
            "date_to": date_to.isoformat() if date_to else None,
        },
    )
    transaction.on_commit(lambda: _send_mark(backfill.pk))
    return backfill


def _send_mark(backfill_id: int) -> None:
    from integrations.tasks import backfill_mark_task

    try:
        backfill_mark_task.delay(backfill_id)
    except Exception:
        # The broker is down: the back-fill stays queued and the sweeper sends it again.
        logger.warning(
            "Could not enqueue back-fill %s; the sweeper will", backfill_id, exc_info=True
        )


def backfill_mark(*, backfill_id: int) -> None:
    """Mark the back-fill's invoices pending, a chunk per transaction, then let it run.
    Safe to run twice, or twice at once: an invoice with a record is not a candidate."""
    while _mark_chunk(backfill_id):
        pass


def _mark_chunk(backfill_id: int) -> bool:
    """Mark the next chunk; False once there is nothing left to mark."""
    with transaction.atomic():
        backfill = (
            Backfill.objects.select_for_update()
            .select_related("connection")
            .filter(pk=backfill_id)
            .first()
        )
        if backfill is None or backfill.state != Backfill.State.QUEUED:
            return False
        connection = backfill.connection
        chunk: list[tuple[int, str]] = []
        if connection.is_active:
            chunk = list(
                backfill_candidates(
                    connection=connection,
                    date_from=backfill.date_from,
                    date_to=backfill.date_to,
                )
                .order_by("pk")
                .values_list("pk", "number")[:CHUNK]
            )
        backfill.marked_at = timezone.now()
        if chunk:
            sync_mark_pending_many(
                connection=connection, model=Invoice, objects=chunk, backfill_id=backfill.pk
            )
            backfill.save(update_fields=["marked_at"])
            return True
        # Everything is marked (or the connection went away meanwhile): N is what was marked.
        backfill.total = SyncRecord.objects.filter(backfill=backfill).count()
        backfill.state = Backfill.State.RUNNING
        backfill.save(update_fields=["marked_at", "total", "state"])
    backfill_settle(connection_id=backfill.connection_id)
    return False


def backfill_settle(*, connection_id: int) -> Backfill | None:
    """Finish the connection's running back-fill once none of its records is pending, keeping
    its figures. Called after each push, by the sweeper and by the page's progress poll."""
    backfill = Backfill.objects.filter(
        connection_id=connection_id, state=Backfill.State.RUNNING
    ).first()
    if backfill is None:
        return None
    counts = _counts(backfill)
    if counts["pending"]:
        return backfill
    with transaction.atomic():
        backfill = Backfill.objects.select_for_update().get(pk=backfill.pk)
        if backfill.state != Backfill.State.RUNNING:
            return backfill
        counts = _counts(backfill)
        if counts["pending"]:
            return backfill
        # When the last of its invoices was answered, not when someone happened to look.
        answered = SyncRecord.objects.filter(backfill=backfill).aggregate(
            attempt=Max("last_attempt_at"), synced=Max("last_synced_at")
        )
        last = max((at for at in answered.values() if at is not None), default=None)
        backfill.state = Backfill.State.DONE
        backfill.total = counts["marked"]
        backfill.sent = counts["synced"]
        backfill.failed = counts["failed"]
        backfill.finished_at = max(last, backfill.started_at) if last else timezone.now()
        backfill.save(update_fields=["state", "total", "sent", "failed", "finished_at"])
    return backfill


def backfill_dismiss(*, connection: Connection) -> int:
    """Hide the figures of the connection's finished back-fill."""
    return Backfill.objects.filter(
        connection=connection, state=Backfill.State.DONE, dismissed_at__isnull=True
    ).update(dismissed_at=timezone.now())


def backfill_sweep(*, older_than: datetime.timedelta = SWEEP_AFTER) -> int:
    """Send again the marking task of back-fills still queued after a while (a lost message
    or a worker that died), and finish running ones that nobody's push has finished."""
    cutoff = timezone.now() - older_than
    stalled = list(
        Backfill.objects.filter(state=Backfill.State.QUEUED)
        .filter(Q(marked_at__lte=cutoff) | Q(marked_at__isnull=True, started_at__lte=cutoff))
        .values_list("pk", flat=True)
    )
    for backfill_id in stalled:
        _send_mark(backfill_id)
    for connection_id in Backfill.objects.filter(state=Backfill.State.RUNNING).values_list(
        "connection_id", flat=True
    ):
        backfill_settle(connection_id=connection_id)
    return len(stalled)


def duration_text(duration: datetime.timedelta) -> str:
    """ "3 minutes 12 seconds", "1 hour 5 minutes", "less than a second"."""
    seconds = int(duration.total_seconds())
    if seconds < 1:
        return "less than a second"
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [(hours, "hour"), (minutes, "minute")] + ([] if hours else [(seconds, "second")])
    words = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
    return " ".join(words)
