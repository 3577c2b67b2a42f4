"""Writes to connections: activate after consent, choose an account, disconnect, toggles."""

from dataclasses import asdict
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from integrations import registry
from integrations.models import Connection
from invoicing.services.audit import audit_record

from .activity import activity_record
from .sync import sync_resume_after_reconnect
from .tokens import token_fields


def _lock(organisation: Organisation, provider: registry.Provider) -> Connection:
    Connection.objects.get_or_create(organisation=organisation, provider=provider.key)
    return Connection.objects.select_for_update().get(
        organisation=organisation, provider=provider.key
    )


@transaction.atomic
def connection_activate(
    *,
    organisation: Organisation,
    provider: registry.Provider,
    actor: AbstractBaseUser | None,
    token: dict[str, Any],
    account: registry.RemoteAccount,
) -> Connection:
    connection = _lock(organisation, provider)
    for name, value in token_fields(token).items():
        setattr(connection, name, value)
    connection.state = Connection.State.ACTIVE
    connection.remote_account_id = account.id
    connection.remote_account_name = account.name
    connection.connected_at = timezone.now()
    connection.connected_by = actor
    connection.disconnected_at = None
    connection.last_error = ""
    connection.settings.pop("remote_accounts", None)
    connection.save()
    audit_record(
        organisation=organisation,
        actor=actor,
        action=f"{provider.key}.connected",
        obj=connection,
        details={"remote_account_id": account.id, "name": account.name},
    )
    activity_record(
        connection=connection,
        action="connect",
        result="ok",
        subject=account.name,
        message=f"Connected to {provider.name} account {account.name}",
    )
    sync_resume_after_reconnect(connection=connection)
    return connection


@transaction.atomic
def connection_await_account_choice(
    *,
    organisation: Organisation,
    provider: registry.Provider,
    actor: AbstractBaseUser | None,
    token: dict[str, Any],
    accounts: list[registry.RemoteAccount],
) -> Connection:
    """Consent reached several accounts: keep the tokens and let the user pick one."""
    connection = _lock(organisation, provider)
    for name, value in token_fields(token).items():
        setattr(connection, name, value)
    connection.state = Connection.State.SETUP_INCOMPLETE
    connection.connected_by = actor
    connection.settings["remote_accounts"] = [asdict(account) for account in accounts]
    connection.save()
    return connection


@transaction.atomic
def connection_choose_account(
    *, connection: Connection, actor: AbstractBaseUser | None, account_id: str
) -> Connection:
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    choices = {a["id"]: a for a in connection.settings.get("remote_accounts", [])}
    if connection.state != Connection.State.SETUP_INCOMPLETE or account_id not in choices:
        raise ValidationError("Choose one of the accounts you authorised.")
    chosen = choices[account_id]
    connection.state = Connection.State.ACTIVE
    connection.remote_account_id = chosen["id"]
    connection.remote_account_name = chosen["name"]
    connection.connected_at = timezone.now()
    connection.disconnected_at = None
    connection.settings.pop("remote_accounts", None)
    connection.save()
    audit_record(
        organisation=connection.organisation,
        actor=actor,
        action=f"{connection.provider}.connected",
        obj=connection,
        details={"remote_account_id": chosen["id"], "name": chosen["name"]},
    )
    sync_resume_after_reconnect(connection=connection)
    return connection


@transaction.atomic
def connection_disconnect(*, connection: Connection, actor: AbstractBaseUser | None) -> Connection:
    """Wipe the tokens; keep the row, its history and every external id already stored."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    connection.state = Connection.State.DISCONNECTED
    connection.access_token = None
    connection.refresh_token = None
    connection.token_expires_at = None
    connection.disconnected_at = timezone.now()
    connection.settings.pop("remote_accounts", None)
    connection.save()
    audit_record(
        organisation=connection.organisation,
        actor=actor,
        action=f"{connection.provider}.disconnected",
        obj=connection,
        details={"remote_account_id": connection.remote_account_id},
    )
    activity_record(connection=connection, action="disconnect", result="info")
    return connection
