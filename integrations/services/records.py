"""Writes to a SyncRecord that another writer may be making at the same moment.

A push holds its records in memory for as long as the provider takes to answer, while a
webhook or the reconciler may apply to the same record. Every writer changes only the fields
it names, on the row as it is now and under the row's lock, so a push finishing and an
inbound apply at the same moment both keep what they wrote.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction

from integrations.models import SyncRecord

# The typed fields a writer may set; details (the provider's scratch data) is merged instead.
WRITABLE = frozenset(
    field.name
    for field in SyncRecord._meta.concrete_fields
    if field.name
    not in {
        "id",
        "organisation",
        "connection",
        "object_type",
        "object_id",
        "details",
        "backfill",
    }
)


def sync_record_write(
    record: SyncRecord,
    *,
    fields: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    drop: Iterable[str] = (),
    change: Callable[[dict[str, Any]], None] | None = None,
) -> SyncRecord:
    """Set `fields` on the record's row, merge `data` into its details, remove the `drop`
    keys and let `change` edit the details as they are now; all under the row's lock.

    The in-memory `record` is updated to match, and returned.
    """
    fields = dict(fields or {})
    unknown = set(fields) - WRITABLE
    if unknown:
        raise ValueError(f"Not a writable SyncRecord field: {', '.join(sorted(unknown))}")
    drop = tuple(drop)
    with transaction.atomic():
        row = SyncRecord.objects.select_for_update().get(pk=record.pk)
        for name, value in fields.items():
            setattr(row, name, value)
        update = list(fields)
        if data or drop or change:
            details = {**row.details, **(data or {})}
            for key in drop:
                details.pop(key, None)
            if change is not None:
                change(details)
            if details != row.details:
                row.details = details
                update.append("details")
        if update:
            row.save(update_fields=update)
    for name in fields:
        setattr(record, name, getattr(row, name))
    record.details = row.details
    return record
