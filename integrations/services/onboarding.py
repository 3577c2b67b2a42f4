"""Writes for HostedOnboarding providers (auth.py): the platform's keys act on a remote account
the owner sets up on the provider's hosted pages.

The connection holds the remote account's id, the mode and what the provider keeps; it is
Setup incomplete until the provider says the account is ready, then Active. Links to the
hosted pages are single-use: they are handed to the browser and never stored.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from integrations import registry
from integrations.auth import HostedOnboarding
from integrations.models import Connection
from invoicing.services.audit import audit_record

from .activity import activity_record
from .connections import connection_row_lock

State = Connection.State
# The states in which a connection has a remote account that setup can go on with.
ONBOARDING_STATES = (State.ACTIVE, State.SETUP_INCOMPLETE)


def _auth(provider: registry.Provider) -> HostedOnboarding:
    if not isinstance(provider.auth, HostedOnboarding):
        raise ValueError(f"{provider.key} does not connect by hosted onboarding")
    return provider.auth


def onboarding_start(
    *,
    organisation: Organisation,
    provider: registry.Provider,
    actor: AbstractBaseUser | None,
    mode: str,
    return_url: str,
    refresh_url: str,
) -> str:
    """Create the remote account in `mode` (or go on with the one the connection has in that
    mode) and return the address of its setup pages. The account is created under the
    connection's row lock, so two clicks make one account."""
    if _auth(provider).mode(mode) is None:
        raise ValidationError(f"Choose one of the modes {provider.name} can be connected in.")
    with transaction.atomic():
        connection = connection_row_lock(organisation, provider)
        if connection.state == State.ACTIVE:
            raise ValidationError(f"{provider.name} is already connected.")
        same_mode = connection.settings.get("mode") == mode
        if not (connection.remote_account_id and same_mode):
            account = provider.onboarding_account_create(organisation=organisation, mode=mode)
            connection.remote_account_id = account.id
            connection.remote_account_name = account.name
            connection.settings = {**account.details, "mode": mode}
        connection.state = State.SETUP_INCOMPLETE
        connection.connected_by = actor
        connection.disconnected_at = None
        connection.last_error = ""
        connection.save()
        audit_record(
            organisation=organisation,
            actor=actor,
            action=f"{provider.key}.onboarding_started",
            obj=connection,
            details={"remote_account_id": connection.remote_account_id, "mode": mode},
        )
    return provider.onboarding_link(
        connection=connection, return_url=return_url, refresh_url=refresh_url
    )


def onboarding_resume(
    *, connection: Connection, provider: registry.Provider, return_url: str, refresh_url: str
) -> str:
    """A fresh link to the setup pages of the connection's account (the last one expired, or
    the owner goes on with setup)."""
    _auth(provider)
    if connection.state not in ONBOARDING_STATES or not connection.remote_account_id:
        raise ValidationError(f"Connect {provider.name} first.")
    return provider.onboarding_link(
        connection=connection, return_url=return_url, refresh_url=refresh_url
    )


def onboarding_refresh(
    *, connection: Connection, provider: registry.Provider, actor: AbstractBaseUser | None
) -> Connection:
    """Read the remote account again (the owner came back from the setup pages) and set the
    connection's state from it."""
    _auth(provider)
    if connection.state not in ONBOARDING_STATES or not connection.remote_account_id:
        return connection
    status = provider.onboarding_status(connection=connection)
    return onboarding_status_set(connection=connection, status=status, actor=actor)


@transaction.atomic
def onboarding_status_set(
    *, connection: Connection, status: registry.OnboardingStatus, actor: AbstractBaseUser | None
) -> Connection:
    """Active when the account is ready, Setup incomplete otherwise; a connection that was
    disconnected meanwhile stays disconnected (the read came too late to matter)."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    if connection.state not in ONBOARDING_STATES:
        return connection
    was = connection.state
    connection.state = State.ACTIVE if status.ready else State.SETUP_INCOMPLETE
    if status.name:
        connection.remote_account_name = status.name[:255]
    connection.settings = {**connection.settings, **status.details}
    if connection.state == State.ACTIVE and was != State.ACTIVE:
        connection.connected_at = timezone.now()
    connection.save()
    if connection.state != was:
        provider = registry.get(connection.provider)
        name = provider.name if provider else connection.provider
        ready = connection.state == State.ACTIVE
        activity_record(
            connection=connection,
            action="connect" if ready else "setup_incomplete",
            result="ok" if ready else "info",
            subject=connection.remote_account_name,
            message=f"{name} account {connection.remote_account_id} is ready"
            if ready
            else f"{name} needs more details for account {connection.remote_account_id}",
        )
        audit_record(
            organisation=connection.organisation,
            actor=actor,
            action=f"{connection.provider}.{'connected' if ready else 'setup_incomplete'}",
            obj=connection,
            details={"remote_account_id": connection.remote_account_id},
        )
    return connection
