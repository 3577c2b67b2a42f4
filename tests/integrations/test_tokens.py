import threading

import pytest
import responses
from django.db import connection as db_connection
from django.db import connections

from integrations.errors import ConnectionNotActive, ReauthRequired, TransientError
from integrations.models import Connection, SyncActivity
from integrations.services.tokens import access_token_get

from .conftest import TOKEN_URL


def token_response(n: int) -> dict:
    return {
        "access_token": f"access-{n}",
        "refresh_token": f"refresh-{n}",
        "expires_in": 1800,
        "token_type": "Bearer",
        "scope": "offline_access invoices",
    }


@pytest.mark.django_db
@responses.activate
def test_a_fresh_token_is_used_without_calling_the_provider(org, make_connection):
    connection = make_connection(org, expires_in_seconds=1800)
    assert access_token_get(connection_id=connection.pk) == "access-0"
    assert len(responses.calls) == 0


@pytest.mark.django_db
@responses.activate
def test_a_token_near_expiry_is_refreshed_and_the_rotated_refresh_token_stored(
    org, make_connection
):
    connection = make_connection(org, expires_in_seconds=60)
    responses.post(TOKEN_URL, json=token_response(1))

    assert access_token_get(connection_id=connection.pk) == "access-1"

    connection.refresh_from_db()
    assert connection.refresh_token == "refresh-1"
    assert "refresh_token=refresh-0" in responses.calls[0].request.body
    assert "grant_type=refresh_token" in responses.calls[0].request.body


@pytest.mark.django_db
@responses.activate
def test_a_refused_token_is_refreshed_even_before_its_expiry(org, make_connection):
    connection = make_connection(org, expires_in_seconds=1800)
    responses.post(TOKEN_URL, json=token_response(1))

    assert access_token_get(connection_id=connection.pk, refused_token="access-0") == "access-1"
    assert len(responses.calls) == 1


@pytest.mark.django_db
@responses.activate
def test_a_refused_token_another_caller_already_replaced_is_not_refreshed_again(
    org, make_connection
):
    """A 401 that comes back after another worker's refresh: the new token is used as is
    (a second refresh would spend the rotated refresh token for nothing)."""
    connection = make_connection(org, expires_in_seconds=1800)
    responses.post(TOKEN_URL, json=token_response(1))
    assert access_token_get(connection_id=connection.pk, refused_token="access-0") == "access-1"

    assert access_token_get(connection_id=connection.pk, refused_token="access-0") == "access-1"
    assert len(responses.calls) == 1


@pytest.mark.django_db
@responses.activate
def test_tokens_are_encrypted_at_rest(org, make_connection):
    connection = make_connection(org, access_token="plain-access", refresh_token="plain-refresh")
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM integrations_connection WHERE id = %s",
            [connection.pk],
        )
        stored = cursor.fetchone()
    assert "plain-access" not in stored[0]
    assert "plain-refresh" not in stored[1]
    connection.refresh_from_db()
    assert connection.access_token == "plain-access"


@pytest.mark.django_db
@responses.activate
def test_invalid_grant_moves_the_connection_to_requires_reauth(org, make_connection):
    connection = make_connection(org, expires_in_seconds=10)
    responses.post(
        TOKEN_URL,
        status=400,
        json={"error": "invalid_grant", "error_description": "refresh token revoked"},
    )

    with pytest.raises(ReauthRequired):
        access_token_get(connection_id=connection.pk)

    connection.refresh_from_db()
    assert connection.state == Connection.State.REQUIRES_REAUTH
    activity = SyncActivity.objects.get(connection=connection)
    assert activity.result == "failed"
    assert "refresh-0" not in activity.message
    with pytest.raises(ConnectionNotActive):
        access_token_get(connection_id=connection.pk)
    assert len(responses.calls) == 1


@pytest.mark.django_db(transaction=True)
@responses.activate
def test_twenty_concurrent_callers_cause_one_refresh(org, make_connection):
    if db_connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; make test runs this on PostgreSQL")
    connection = make_connection(org, expires_in_seconds=5)
    responses.post(TOKEN_URL, json=token_response(1))
    barrier = threading.Barrier(20)
    results: list[str] = []
    errors: list[Exception] = []

    def worker():
        try:
            barrier.wait()
            results.append(access_token_get(connection_id=connection.pk))
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert results == ["access-1"] * 20
    assert len(responses.calls) == 1
    connection.refresh_from_db()
    assert connection.refresh_token == "refresh-1"


@pytest.mark.django_db
@responses.activate
def test_a_4xx_without_an_oauth_error_field_still_asks_to_reconnect(org, make_connection):
    # Some providers refuse a used refresh token with their own error envelope.
    connection = make_connection(org, expires_in_seconds=10)
    responses.post(
        TOKEN_URL,
        status=400,
        json={"statusCode": 400, "message": "Invalid grant: refresh token is invalid"},
    )
    with pytest.raises(ReauthRequired, match="refresh token is invalid"):
        access_token_get(connection_id=connection.pk)
    connection.refresh_from_db()
    assert connection.state == Connection.State.REQUIRES_REAUTH


@pytest.mark.django_db
@pytest.mark.parametrize("status", [429, 500, 503])
@responses.activate
def test_a_provider_outage_during_refresh_is_transient(org, make_connection, status):
    connection = make_connection(org, expires_in_seconds=10)
    responses.post(TOKEN_URL, status=status, body="<html>Service Unavailable</html>")
    with pytest.raises(TransientError):
        access_token_get(connection_id=connection.pk)
    connection.refresh_from_db()
    assert connection.state == Connection.State.ACTIVE
    assert connection.refresh_token == "refresh-0"
