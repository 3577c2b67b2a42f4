"""Hand out a valid access token, refreshing ahead of expiry under a row lock.

Refresh tokens rotate: a second refresh with the old token breaks the connection. So the
refresh happens inside SELECT ... FOR UPDATE on the connection row, and a caller that waited
for the lock re-reads the row and uses the token the first caller stored.
"""

import datetime
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone
from oauthlib.oauth2 import InvalidGrantError, OAuth2Error
from requests_oauthlib import OAuth2Session

from integrations import registry
from integrations.errors import ConnectionNotActive, ReauthRequired, TransientError
from integrations.locks import file_lock
from integrations.models import Connection

from .activity import activity_record

logger = logging.getLogger(__name__)

HTTP_TIMEOUT = 20


def token_fields(token: dict[str, Any], *, keep_refresh_token: str | None = None) -> dict[str, Any]:
    """The Connection fields a token response sets."""
    expires_in = token.get("expires_in")
    expires_at = None
    if expires_in is not None:
        expires_at = timezone.now() + datetime.timedelta(seconds=int(float(expires_in)))
    scopes = token.get("scope") or []
    if isinstance(scopes, str):
        scopes = scopes.split()
    fields: dict[str, Any] = {
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token") or keep_refresh_token,
        "token_expires_at": expires_at,
        "last_refreshed_at": timezone.now(),
    }
    if scopes:
        fields["scopes"] = list(scopes)
    return fields


def _is_fresh(connection: Connection, margin: int) -> bool:
    if not connection.access_token:
        return False
    if connection.token_expires_at is None:
        return True
    return connection.token_expires_at - timezone.now() > datetime.timedelta(seconds=margin)


def _is_refused(connection: Connection, refused_token: str | None) -> bool:
    return refused_token is not None and connection.access_token == refused_token


class _RefreshRefused(Exception):
    """The token endpoint answered 4xx: the request itself was refused, and resending the
    same refresh token cannot succeed (whatever error field, if any, the body carries)."""

    def __init__(self, response: requests.Response):
        super().__init__(response.status_code)
        self.status_code = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        self.reason = str(
            body.get("error_description") or body.get("error") or body.get("message") or ""
        )[:200]


def _refuse_client_errors(response: requests.Response) -> requests.Response:
    if 400 <= response.status_code < 500 and response.status_code != 429:
        raise _RefreshRefused(response)
    return response


def refresh_call(*, provider: registry.Provider, refresh_token: str) -> dict[str, Any]:
    """One refresh at the provider's token endpoint. Raises ReauthRequired or TransientError."""
    config = provider.oauth_config()
    session = OAuth2Session(client_id=config.client_id, scope=config.scopes)
    session.register_compliance_hook("refresh_token_response", _refuse_client_errors)
    try:
        return session.refresh_token(
            config.token_url,
            refresh_token=refresh_token,
            client_id=config.client_id,
            client_secret=config.client_secret,
            timeout=HTTP_TIMEOUT,
        )
    except _RefreshRefused as error:
        detail = f": {error.reason}" if error.reason else ""
        raise ReauthRequired(f"{provider.name} refused the refresh{detail}") from error
    except InvalidGrantError as error:
        raise ReauthRequired(f"{provider.name} refused the refresh: {error.description}") from error
    except OAuth2Error as error:
        raise TransientError(f"Token refresh failed: {error.error}") from error
    except (requests.Timeout, requests.ConnectionError) as error:
        raise TransientError("Token refresh did not answer") from error
    except (ValueError, Warning) as error:
        # A body that is not a token response (an HTML error page from a proxy).
        raise TransientError("Token refresh gave an unreadable answer") from error


@contextmanager
def _refresh_lock(connection_id: int) -> Iterator[Connection]:
    """The connection row, held so that one caller at a time refreshes it.

    PostgreSQL: SELECT ... FOR UPDATE in a transaction. SQLite has no row locks, and a write
    transaction there locks the whole database for the length of the HTTP call (so the
    sandbox, served from the same database, could not store the token it hands out): a file
    lock serialises refreshes across processes instead, outside any transaction.
    """
    if db_connection.features.has_select_for_update:
        with transaction.atomic():
            yield Connection.objects.select_for_update().get(pk=connection_id)
        return
    with file_lock(f"connection-{connection_id}"):
        yield Connection.objects.get(pk=connection_id)


def access_token_get(*, connection_id: int, refused_token: str | None = None) -> str:
    """A valid access token for the connection, refreshed once however many callers ask.

    `refused_token` is the token a caller just had refused (401): it refreshes unless the
    stored token is already another one, however late the caller's 401 came back.
    """
    connection = Connection.objects.get(pk=connection_id)
    provider = registry.get(connection.provider)
    margin = provider.refresh_margin_seconds if provider else 300
    if connection.state != Connection.State.ACTIVE:
        raise ConnectionNotActive(f"The {connection.provider} connection is not active")
    if _is_fresh(connection, margin) and not _is_refused(connection, refused_token):
        return connection.access_token

    refused: ReauthRequired | None = None
    with _refresh_lock(connection_id) as connection:
        if connection.state != Connection.State.ACTIVE:
            raise ConnectionNotActive(f"The {connection.provider} connection is not active")
        if _is_fresh(connection, margin) and not _is_refused(connection, refused_token):
            return connection.access_token
        try:
            token = refresh_call(provider=provider, refresh_token=connection.refresh_token or "")
        except ReauthRequired as error:
            refused = error
            connection.state = Connection.State.REQUIRES_REAUTH
            connection.last_error = str(error)
            connection.save(update_fields=["state", "last_error"])
            activity_record(
                connection=connection, action="token_refresh", result="failed", message=str(error)
            )
        else:
            for name, value in token_fields(
                token, keep_refresh_token=connection.refresh_token
            ).items():
                setattr(connection, name, value)
            connection.save()
            logger.info("Refreshed tokens for connection %s", connection.pk)
            return connection.access_token
    # Reached only when the provider refused: the state change above is stored first.
    raise refused


def tokens_refresh_expiring(*, within: datetime.timedelta = datetime.timedelta(minutes=15)) -> int:
    """Refresh active connections whose access token expires soon, so idle ones stay alive."""
    soon = timezone.now() + within
    refreshed = 0
    for connection_id in Connection.objects.filter(
        state=Connection.State.ACTIVE, token_expires_at__lte=soon, refresh_token__isnull=False
    ).values_list("pk", flat=True):
        try:
            access_token_get(connection_id=connection_id)
            refreshed += 1
        except (ReauthRequired, ConnectionNotActive, TransientError) as error:
            logger.warning("Could not refresh connection %s: %s", connection_id, error)
    return refreshed
