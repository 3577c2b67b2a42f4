from typing import Any

from integrations.models import Connection, SyncActivity, SyncRecord


def activity_record(
    *,
    connection: Connection,
    action: str,
    result: str,
    subject: str = "",
    message: str = "",
    record: SyncRecord | None = None,
    details: dict[str, Any] | None = None,
) -> SyncActivity:
    """One line in the owner's sync activity log. Never pass tokens or secrets here."""
    return SyncActivity.objects.create(
        organisation_id=connection.organisation_id,
        connection=connection,
        record=record,
        action=action,
        subject=subject[:255],
        result=result,
        message=message[:5000],
        details=details or {},
    )
