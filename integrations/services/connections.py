"""Writes to connections: activate after consent, choose an account, disconnect, toggles."""

import logging
from dataclasses import asdict, dataclass, replace
from typing import Any

import requests
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from integrations import registry
from integrations.auth import Credentials
from integrations.errors import ConnectionNotActive, IntegrationError
from integrations.models import Connection
from integrations.selectors import connection_credentials
from invoicing.services.audit import audit_record

from .activity import activity_record
from .sync import sync_resume_after_reconnect
from .tokens import access_token_get, token_fields

logger = logging.getLogger(__name__)


def connection_row_lock(organisation: Organisation, provider: registry.Provider) -> Connection:
    """The organisation's connection to the provider, created if need be, locked for update
    (call inside a transaction)."""
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
    connection = connection_row_lock(organisation, provider)
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
    provider.connected(connection=connection, token=token)
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
    connection = connection_row_lock(organisation, provider)
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
    """Wipe the tokens and any typed credentials; keep the row, its history and every
    external id already stored."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    connection.state = Connection.State.DISCONNECTED
    connection.access_token = None
    connection.refresh_token = None
    connection.credentials = {}
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


@transaction.atomic
def connection_set_toggle(
    *, connection: Connection, actor: AbstractBaseUser | None, key: str, value: bool
) -> Connection:
    """Save one of the provider's on/off settings on an active connection."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    provider = registry.get(connection.provider)
    if provider is None or key not in {t.key for t in provider.toggles}:
        raise ValidationError("That setting does not exist.")
    if not isinstance(value, bool):
        raise ValidationError("A setting is either on or off.")
    if connection.state != Connection.State.ACTIVE:
        again = "Reconnect" if connection.state == Connection.State.REQUIRES_REAUTH else "Connect"
        raise ValidationError(f"{again} {provider.name} before changing its settings.")
    previous = provider.toggle_value(connection, key)
    provider.toggle_changed(connection=connection, key=key, value=value, previous=previous)
    connection.settings[key] = value
    connection.save(update_fields=["settings"])
    audit_record(
        organisation=connection.organisation,
        actor=actor,
        action=f"{provider.key}.setting_changed",
        obj=connection,
        details={"setting": key, "value": value, "previous": previous},
    )
    return connection


@dataclass(frozen=True)
class ConnectionTestResult:
    ok: bool
    # Why it failed, for the activity log; never a token.
    reason: str = ""
    # The test moved the connection to another state (a refused refresh: requires_reauth).
    state_changed: bool = False


def connection_test(
    *, connection: Connection, actor: AbstractBaseUser | None
) -> ConnectionTestResult:
    """Make the provider's cheap authenticated call; log the outcome and audit it."""
    provider = registry.get(connection.provider)
    state_before = connection.state
    try:
        if provider is None:
            raise ConnectionNotActive(f"{connection.provider} is not installed on this server")
        if isinstance(provider.auth, Credentials):
            # The check that accepted the credentials is the cheap call.
            provider.auth.check(connection_credentials(connection_id=connection.pk))
        else:
            access_token = access_token_get(connection_id=connection.pk)
            provider.test_connection(connection=connection, access_token=access_token)
    except (IntegrationError, requests.RequestException) as error:
        reason_code = getattr(error, "reason_code", "remote_error")
        result = ConnectionTestResult(ok=False, reason=str(error) or reason_code)
        logger.info("Connection test failed for %s: %s", connection.pk, reason_code)
    else:
        reason_code = ""
        result = ConnectionTestResult(ok=True)
    connection.refresh_from_db(fields=["state"])
    result = replace(result, state_changed=connection.state != state_before)
    name = provider.name if provider else connection.provider
    activity_record(
        connection=connection,
        action="test",
        result="ok" if result.ok else "failed",
        subject=connection.remote_account_name,
        message="Connection is working"
        if result.ok
        else f"Connection test failed: {result.reason}",
    )
    audit_record(
        organisation=connection.organisation,
        actor=actor,
        action=f"{provider.key if provider else connection.provider}.tested",
        obj=connection,
        details={"ok": result.ok, "reason_code": reason_code, "provider": name},
    )
    return result
