"""Records belong to the remote account they were made in.

A connection that moves to another account (another Xero organisation, another GoHighLevel
location) cannot use its records there: their ids name objects of the first account. They
become history (PastSyncRecord, shown as "Was in <account>") and the connection starts a
fresh set in the new account.
"""

from django.utils import timezone

from integrations.models import Connection, PastSyncRecord, SyncRecord


def sync_records_archive(*, connection: Connection) -> int:
    """Move the connection's records to history: those with a remote id are kept as where
    the object was; every record is then removed, so the next push starts afresh.

    Call inside the transaction that switches the connection's account, holding its row lock
    (connection_row_lock), so no push or second switch interleaves. Returns how many were kept.
    """
    now = timezone.now()
    records = SyncRecord.objects.filter(connection=connection)
    kept = PastSyncRecord.objects.bulk_create(
        PastSyncRecord(
            organisation_id=connection.organisation_id,
            provider=connection.provider,
            remote_account_id=connection.remote_account_id,
            remote_account_name=connection.remote_account_name,
            object_type_id=row["object_type_id"],
            object_id=row["object_id"],
            external_id=row["external_id"],
            remote_url=row["remote_url"],
            last_synced_at=row["last_synced_at"],
            archived_at=now,
        )
        for row in records.exclude(external_id="").values(
            "object_type_id", "object_id", "external_id", "remote_url", "last_synced_at"
        )
    )
    # Activity rows keep their subject; their link to the record is SET_NULL.
    records.delete()
    Connection.objects.filter(pk=connection.pk).update(invoices_synced=0, last_sync_at=None)
    connection.invoices_synced = 0
    connection.last_sync_at = None
    return len(kept)
