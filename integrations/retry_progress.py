"""Where the last Retry failed of a connection stands: how many of the invoices it sent again
have arrived, failed again, or still wait. The failed page shows it while it settles."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from .models import Connection, SyncRecord, SyncRetry

# The failed page follows the last Retry failed this long; an older one is history.
SHOWN_FOR = datetime.timedelta(hours=1)

State = SyncRecord.State


@dataclass(frozen=True)
class RetryProgress:
    retry_id: int
    started_at: datetime.datetime
    sent: int
    failed: int
    waiting: int

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.waiting

    @property
    def settled(self) -> bool:
        return self.waiting == 0

    @property
    def summary(self) -> str:
        counted = f"{self.sent} of {self.total} sent"
        if not self.settled:
            return counted
        if self.failed:
            return f"{counted}; {self.failed} failed again."
        return f"{counted}."


def retry_progress(*, connection: Connection) -> RetryProgress | None:
    """The connection's last Retry failed of the past hour with its records' states counted,
    in one query; None when there is none."""
    retry = (
        SyncRetry.objects.filter(connection=connection, started_at__gte=timezone.now() - SHOWN_FOR)
        .annotate(**SyncRecord.state_counts(through="records"))
        .order_by("-started_at", "-pk")
        .first()
    )
    if retry is None:
        return None
    progress = RetryProgress(
        retry_id=retry.pk,
        started_at=retry.started_at,
        sent=retry.synced,
        failed=retry.failed,
        waiting=retry.pending,
    )
    return progress if progress.total else None
