"""Writes to connections: activate after consent, choose an account, disconnect, toggles."""

import datetime
import json
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
from integrations.selectors import account_choices, connection_credentials
from invoicing.services.audit import audit_record

from .activity import activity_record
from .history import sync_records_archive
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


def _adopt_token(
    connection: Connection, provider: registry.Provider | None, token: dict[str, Any]
) -> None:
    """Put a consent's tokens on the (locked) connection."""
    for name, value in token_fields(token).items():
        setattr(connection, name, value)
    if token.get("expires_at") and token.get("expires_in") is not None:
        # A token kept while the owner chose expires when it was issued to, not from now.
        connection.token_expires_at = datetime.datetime.fromtimestamp(
            float(token["expires_at"]), tz=datetime.UTC
        )
    if provider is not None:
        provider.connected(connection=connection, token=token)


def _point_at(connection: Connection, *, account_id: str, account_name: str) -> bool:
    """Point the locked connection at a remote account. Records made in another account go
    to history and the connection starts afresh; True when that happened."""
    moved = bool(connection.remote_account_id) and connection.remote_account_id != account_id
    if moved:
        sync_records_archive(connection=connection)
    connection.remote_account_id = account_id
    connection.remote_account_name = account_name
    return moved


def _clear_choice(connection: Connection) -> None:
    connection.settings.pop("remote_accounts", None)
    connection.pending_token = None


def _activated(
    connection: Connection,
    *,
    actor: AbstractBaseUser | None,
    previous: tuple[str, str],
    moved: bool,
) -> None:
    """Audit, log and resume after the connection became active on its account."""
    provider = registry.get(connection.provider)
    name = provider.name if provider else connection.provider
    details = {"remote_account_id": connection.remote_account_id}
    details["name"] = connection.remote_account_name
    if moved:
        details["previous_remote_account_id"] = previous[0]
    audit_record(
        organisation=connection.organisation,
        actor=actor,
        action=f"{connection.provider}.connected",
        obj=connection,
        details=details,
    )
    message = f"Connected to {name} account {connection.remote_account_name}"
    if moved:
        message += f"; what was sent to {previous[1] or previous[0]} stays there"
    activity_record(
        connection=connection,
        action="connect",
        result="ok",
        subject=connection.remote_account_name,
        message=message,
    )
    sync_resume_after_reconnect(connection=connection)


@transaction.atomic
def connection_consented(
    *,
    organisation: Organisation,
    provider: registry.Provider,
    actor: AbstractBaseUser | None,
    token: dict[str, Any],
    accounts: list[registry.RemoteAccount],
) -> Connection:
    """A consent came back with the accounts it reached. One account, and nothing to decide:
    the connection becomes active on it. Otherwise the owner chooses (the connection's
    settings list the accounts); a connection already linked to an account stays as it is,
    syncing there with its own tokens, until then."""
    connection = connection_row_lock(organisation, provider)
    linked = connection.state in Connection.LINKED_STATES and bool(connection.remote_account_id)
    if len(accounts) == 1 and (not linked or accounts[0].id == connection.remote_account_id):
        return _activate(
            connection, provider=provider, actor=actor, token=token, account=accounts[0]
        )
    connection.settings["remote_accounts"] = [asdict(account) for account in accounts]
    if linked:
        connection.pending_token = json.dumps(dict(token))
    else:
        for name, value in token_fields(token).items():
            setattr(connection, name, value)
        connection.pending_token = None
        connection.state = Connection.State.SETUP_INCOMPLETE
        connection.connected_by = actor
    connection.save()
    return connection


def connection_activate(
    *,
    organisation: Organisation,
    provider: registry.Provider,
    actor: AbstractBaseUser | None,
    token: dict[str, Any],
    account: registry.RemoteAccount,
) -> Connection:
    """Activate the connection on `account` (records made in another account go to history)."""
    with transaction.atomic():
        connection = connection_row_lock(organisation, provider)
        return _activate(connection, provider=provider, actor=actor, token=token, account=account)


def _activate(
    connection: Connection,
    *,
    provider: registry.Provider,
    actor: AbstractBaseUser | None,
    token: dict[str, Any],
    account: registry.RemoteAccount,
) -> Connection:
    previous = (connection.remote_account_id, connection.remote_account_name)
    _adopt_token(connection, provider, token)
    moved = _point_at(connection, account_id=account.id, account_name=account.name)
    connection.state = Connection.State.ACTIVE
    connection.connected_at = timezone.now()
    connection.connected_by = actor
    connection.disconnected_at = None
    connection.last_error = ""
    _clear_choice(connection)
    connection.save()
    _activated(connection, actor=actor, previous=previous, moved=moved)
    return connection


@transaction.atomic
def connection_choose_account(
    *, connection: Connection, actor: AbstractBaseUser | None, account_id: str
) -> Connection:
    """The owner chose among the accounts a consent reached. On a linked connection, keeping
    its own account changes nothing but the tokens (the new ones when the consent reached
    it; otherwise the ones it has); another account moves it there (records to history)."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    choices = {a["id"]: a for a in account_choices(connection)}
    if account_id not in choices:
        raise ValidationError("Choose one of the accounts you authorised.")
    provider = registry.get(connection.provider)
    chosen = choices[account_id]
    pending = json.loads(connection.pending_token) if connection.pending_token else {}
    linked = connection.state in Connection.LINKED_STATES
    if linked and account_id == connection.remote_account_id:
        if chosen.get("reached", True) and pending:
            _adopt_token(connection, provider, pending)
            connection.state = Connection.State.ACTIVE
            connection.last_error = ""
        _clear_choice(connection)
        connection.save()
        if connection.is_active:
            sync_resume_after_reconnect(connection=connection)
        return connection
    previous = (connection.remote_account_id, connection.remote_account_name)
    if pending:
        _adopt_token(connection, provider, pending)
    moved = _point_at(connection, account_id=chosen["id"], account_name=chosen["name"])
    connection.state = Connection.State.ACTIVE
    connection.connected_at = timezone.now()
    connection.connected_by = actor
    connection.disconnected_at = None
    connection.last_error = ""
    _clear_choice(connection)
    connection.save()
    _activated(connection, actor=actor, previous=previous, moved=moved)
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
    _clear_choice(connection)
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
