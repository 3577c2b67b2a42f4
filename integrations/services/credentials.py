"""Connect a Credentials provider: check the typed values with the provider's cheap call,
then store them encrypted and make the connection Active.

The values never reach a log line, the audit log or the activity log: those name the
fields, never their contents.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.models import Organisation
from integrations import registry
from integrations.auth import Credentials
from integrations.models import Connection
from invoicing.services.audit import audit_record

from .activity import activity_record
from .connections import connection_row_lock
from .sync import sync_resume_after_reconnect


@dataclass(frozen=True)
class CredentialsSaved:
    connection: Connection
    # True when the connection became Active now; False when an active one was edited.
    connected: bool


@sensitive_variables("values")
def credentials_connect(
    *,
    organisation: Organisation,
    provider: registry.Provider,
    actor: AbstractBaseUser | None,
    values: dict[str, str],
) -> CredentialsSaved:
    """Check `values` with the provider, then store them. When the provider refuses them
    (errors.CredentialsRejected) or cannot be reached (another IntegrationError), nothing is
    stored and the connection keeps its state and its previous credentials."""
    auth = provider.auth
    if not isinstance(auth, Credentials):
        raise TypeError(f"{provider.key} does not connect with credentials")
    # Outside the transaction: no row lock is held while the provider answers.
    account = auth.check(values)
    return _store(
        organisation=organisation,
        provider=provider,
        actor=actor,
        values={f.name: values.get(f.name, "") for f in auth.fields},
        account=account,
    )


@sensitive_variables("values")
@transaction.atomic
def _store(
    *,
    organisation: Organisation,
    provider: registry.Provider,
    actor: AbstractBaseUser | None,
    values: dict[str, str],
    account: registry.RemoteAccount | None,
) -> CredentialsSaved:
    connection = connection_row_lock(organisation, provider)
    connecting = connection.state != Connection.State.ACTIVE
    connection.credentials = values
    connection.state = Connection.State.ACTIVE
    connection.remote_account_id = account.id if account else ""
    connection.remote_account_name = account.name if account else ""
    connection.last_error = ""
    if connecting:
        connection.connected_at = timezone.now()
        connection.connected_by = actor
        connection.disconnected_at = None
    connection.save()
    details = {"remote_account_id": connection.remote_account_id, "fields": sorted(values)}
    audit_record(
        organisation=organisation,
        actor=actor,
        action=f"{provider.key}.connected" if connecting else f"{provider.key}.credentials_changed",
        obj=connection,
        details=details,
    )
    activity_record(
        connection=connection,
        action="connect" if connecting else "credentials",
        result="ok",
        subject=connection.remote_account_name,
        message=f"Connected to {provider.name}" if connecting else "Credentials updated",
    )
    if connecting:
        sync_resume_after_reconnect(connection=connection)
    return CredentialsSaved(connection=connection, connected=connecting)
