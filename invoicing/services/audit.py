from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models

from accounts.models import Organisation
from invoicing.models import AuditLog


def audit_record(
    *,
    organisation: Organisation,
    actor: AbstractBaseUser | None,
    action: str,
    obj: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Write one audit entry; `actor` None means Torqueflow itself (a task or a provider)."""
    entry = audit_entry(
        organisation=organisation, actor=actor, action=action, obj=obj, details=details
    )
    entry.save(force_insert=True)
    return entry


def audit_entry(
    *,
    organisation: Organisation,
    actor: AbstractBaseUser | None,
    action: str,
    obj: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """An audit entry not yet saved (to write many with bulk_create)."""
    return AuditLog(
        organisation=organisation,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        details=details or {},
    )
