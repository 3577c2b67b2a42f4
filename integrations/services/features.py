"""Enable and disable a NoAuth provider: an internal feature with no remote account (the
client portal). Enabled is the Active state, so the hub treats it like any connection."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from integrations import registry
from integrations.auth import NoAuth
from integrations.models import Connection
from invoicing.services.audit import audit_record

from .activity import activity_record
from .connections import connection_row_lock


@transaction.atomic
def feature_enable(
    *, organisation: Organisation, provider: registry.Provider, actor: AbstractBaseUser | None
) -> Connection:
    if not isinstance(provider.auth, NoAuth):
        raise TypeError(f"{provider.key} is not enabled, it is connected")
    connection = connection_row_lock(organisation, provider)
    if connection.state == Connection.State.ACTIVE:
        return connection
    connection.state = Connection.State.ACTIVE
    connection.connected_at = timezone.now()
    connection.connected_by = actor
    connection.disconnected_at = None
    connection.last_error = ""
    connection.save()
    audit_record(
        organisation=organisation, actor=actor, action=f"{provider.key}.enabled", obj=connection
    )
    activity_record(connection=connection, action="enable", result="info")
    return connection


@transaction.atomic
def feature_disable(*, connection: Connection, actor: AbstractBaseUser | None) -> Connection:
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    if connection.state != Connection.State.ACTIVE:
        return connection
    connection.state = Connection.State.DISCONNECTED
    connection.disconnected_at = timezone.now()
    connection.save()
    audit_record(
        organisation=connection.organisation,
        actor=actor,
        action=f"{connection.provider}.disabled",
        obj=connection,
    )
    activity_record(connection=connection, action="disable", result="info")
    return connection
